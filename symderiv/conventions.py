"""Conventions are data: one frozen record says how a loss is laid out, averaged, regularized and
differentiated at its kinks. Every stage reads it; none takes loose flags of its own."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

import sympy as sp

from .convention_table import (  # noqa: F401  (re-exported: the names every stage reads from here)
    CONVENTION_FIELDS,
    CONVENTION_OPTIONS,
    LAYOUTS,
    REDUCTIONS,
    REGULARIZER_NAMES,
    OptionSpec,
)
from .errors import InputError


@dataclass(frozen=True)
class Regularizer:
    """R(W) = coefficient · λ · Σ w²; its gradient is 2 · coefficient · λ · W."""

    name: str
    coefficient: sp.Rational
    latex: str  # R(W) written in the notes' notation, with \lambda
    description: str


REGULARIZERS: dict[str, Regularizer] = {
    r.name: r
    for r in (
        Regularizer("l2", sp.Integer(1), r"\lambda \sum_{k,l} W_{k,l}^2", "λ Σ W² (cs231n)"),
        Regularizer("half-l2", sp.Rational(1, 2), r"\tfrac{1}{2}\lambda \sum_{k,l} W_{k,l}^2", "½ λ Σ W²"),
        Regularizer("none", sp.Integer(0), "0", "no regularization"),
    )
}
assert tuple(REGULARIZERS) == REGULARIZER_NAMES  # the command line's choices (symderiv.convention_table)


KINK_VALUES = {"0": sp.Integer(0), "1/2": sp.Rational(1, 2), "1": sp.Integer(1)}


def _as_kink(value: object) -> sp.Rational:
    try:
        k = sp.Rational(str(Fraction(str(value))))
    except (ValueError, ZeroDivisionError) as exc:
        raise InputError(f"the indicator's value at a kink must be a number in [0, 1], not {value!r}") from exc
    if not 0 <= k <= 1:
        raise InputError(f"the indicator's value at a kink must lie in [0, 1] (a subgradient), not {value}")
    return k


def _as_delta(value: object) -> sp.Expr:
    if value is None or (isinstance(value, str) and value.strip().lower() in {"delta", "δ", "symbolic", "Δ"}):
        return DELTA
    if isinstance(value, sp.Symbol):
        return value
    try:
        return sp.Rational(str(Fraction(str(value))))
    except (ValueError, ZeroDivisionError) as exc:
        raise InputError(f"the margin Δ must be a number or 'delta' (symbolic), not {value!r}") from exc


DELTA = sp.Symbol("Delta", real=True)
LAMBDA = sp.Symbol("lambda", nonnegative=True)


@dataclass(frozen=True)
class Conventions:
    """How a loss is set up and differentiated.

    >>> print(Conventions(layout="WX", regularizer="half-l2", delta=1).describe()[0])
    layout WX: W is C×D, X is D×N (one column per sample), S = W @ X (seed 001; the cs231n notes' W_j x_i)
    """

    layout: str = "XW"
    bias: bool = False  # the bias trick: a constant-1 feature appended to every sample
    regularizer: str = "l2"
    reduction: str = "mean"
    delta: sp.Expr = field(default=DELTA)  # symbolic Δ by default, or a number
    kink: sp.Rational = field(default=sp.Integer(0))  # value of 1[m > 0] at m = 0
    #: values of the loss's own hyperparameters (``Loss.hyperparameters``), as sorted (name, number)
    #: pairs; one left out stays symbolic. ``Loss.hyper`` validates them against the loss.
    hyper: tuple[tuple[str, sp.Expr], ...] = ()

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise InputError(f"unknown layout {self.layout!r}: choose one of {', '.join(LAYOUTS)}")
        if self.regularizer not in REGULARIZERS:
            raise InputError(f"unknown regularizer {self.regularizer!r}: choose one of {', '.join(REGULARIZERS)}")
        if self.reduction not in REDUCTIONS:
            raise InputError(f"unknown reduction {self.reduction!r}: choose 'mean' or 'sum'")
        object.__setattr__(self, "delta", _as_delta(self.delta))
        object.__setattr__(self, "kink", _as_kink(self.kink))
        object.__setattr__(self, "bias", bool(self.bias))
        pairs = self.hyper.items() if isinstance(self.hyper, dict) else self.hyper
        try:
            hyper = tuple(sorted((str(name), sp.Rational(str(Fraction(str(value))))) for name, value in pairs))
        except (TypeError, ValueError, ZeroDivisionError):
            raise InputError(f"hyperparameters are (name, number) pairs, not {self.hyper!r}") from None
        object.__setattr__(self, "hyper", hyper)

    @property
    def reg(self) -> Regularizer:
        return REGULARIZERS[self.regularizer]

    def as_options(self) -> dict[str, object]:
        """These conventions as keyword arguments of :func:`symderiv.derive`."""
        return {name: getattr(self, name) for name in CONVENTION_FIELDS}

    def with_(self, **changes: object) -> Conventions:
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> list[str]:
        """The conventions in words, one line each."""
        kink = {sp.Integer(0): "0, as the notes' 1[m > 0]", sp.Rational(1, 2): "½, as SymPy's Heaviside(0)"}
        return [
            f"layout {self.layout}: {LAYOUTS[self.layout]}",
            "bias trick: a constant-1 feature is appended, W gains one row of biases"
            if self.layout == "XW" and self.bias
            else "bias trick: a constant-1 feature is appended, W gains one column of biases"
            if self.bias
            else "no bias trick",
            f"regularizer {self.regularizer}: {self.reg.description}",
            f"reduction {self.reduction}: {REDUCTIONS[self.reduction]}",
            f"margin Δ = {self.delta}" if self.delta != DELTA else "margin Δ symbolic",
            f"indicator at a kink: 1[0] = {kink.get(self.kink, str(self.kink))}; any value in [0, 1] "
            "gives a subgradient",
            *(f"hyperparameter {name} = {value}" for name, value in self.hyper),
        ]
