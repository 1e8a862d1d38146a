"""Prove or refute a formula derived by hand against the derivation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from ..algebra.evaluate import agree_at_points
from ..algebra.functions import from_sympy_builtins
from ..algebra.normal_form import apply_rules, equal_by_cases, identical
from ..conventions import LAMBDA
from ..derive.result import Derivation
from ..errors import InputError
from ..render.notation import text


@dataclass(frozen=True)
class FormulaVerdict:
    """``status`` is "proved", "refuted" (with a counterexample of exact values) or "unproven"
    (no proof found, but no counterexample either)."""

    status: str
    method: str
    entries: int
    counterexample: dict | None = field(default=None)

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    def __bool__(self) -> bool:
        return self.proved

    def __str__(self) -> str:
        head = f"{self.status}: {self.method} ({self.entries} entr{'y' if self.entries == 1 else 'ies'})"
        if not self.counterexample:
            return head
        ce = self.counterexample
        point = ", ".join(f"{k} = {v}" for k, v in ce["point"].items())
        return (
            f"{head}\n  counterexample at {ce['entry']}: derived {ce['derived']}, your formula {ce['claimed']}"
            f"\n  at {point}"
        )


def check_formula(
    derivation: Derivation,
    formula: object,
    *,
    entry: tuple[int, int] | None = None,
    sample: int | None = None,
    points: int = 20,
    seed: int = 0,
) -> FormulaVerdict:
    """Prove ``formula`` equal to the derivation's, or refute it: :func:`symderiv.verify_formula`
    for a derivation already made (that function's docstring says what ``formula`` may be)."""
    d = derivation
    p = d.concrete()
    targets, claimed, labels = _pairs(d, formula, entry, sample)
    kink = d.conventions.kink
    subs = p.score_definitions
    claimed = [apply_rules(from_sympy_builtins(_rational(c)).xreplace(subs), kink) for c in claimed]
    targets = [t.xreplace(subs) for t in targets]

    if all(identical(t, c) for t, c in zip(targets, claimed, strict=True)):
        return FormulaVerdict("proved", "symbolic: polynomial identity in the atoms", len(targets))
    symbols = sorted({*p.data_symbols, LAMBDA}, key=sp.default_sort_key)
    unknown = set().union(*(c.free_symbols for c in claimed)) - set(symbols)
    if unknown:
        names = ", ".join(sorted(text(s) for s in unknown))
        raise InputError(f"the formula uses symbols that are not the derivation's: {names}")
    _, counterexample = agree_at_points(
        targets,
        claimed,
        symbols,
        kink,
        points=points,
        seed=seed,
        positive=[LAMBDA, *p.delta.free_symbols],
        labels=labels,
    )
    if counterexample:
        return FormulaVerdict("refuted", "counterexample at a random rational point", len(targets), counterexample)
    if all(equal_by_cases(t, c, kink) for t, c in zip(targets, claimed, strict=True)):
        return FormulaVerdict("proved", "symbolic: case split on the sign of every margin", len(targets))
    return FormulaVerdict("unproven", f"no proof found; equal at {points} random rational points", len(targets))


def _rational(expr: sp.Expr) -> sp.Expr:
    """Python floats in a formula (1/N written 1 / 3) read as the simple rational they stand for,
    to 12 digits; a float that is no such rational stays as it is and is compared as a float."""
    return expr.replace(lambda e: e.is_Float, lambda e: sp.nsimplify(e, tolerance=1e-12, rational=True))


def _pairs(d: Derivation, formula: object, entry, sample) -> tuple[list, list, list[str]]:
    p = d.concrete()
    if sample is not None and not (isinstance(sample, int) and 0 <= sample < p.N):
        raise InputError(f"sample must be one of 0 … {p.N - 1}, not {sample!r}")

    def target(u: int, v: int) -> sp.Expr:
        if sample is None:
            return d.entry(u, v)
        assert d.score_gradient is not None
        return p.feature(sample, u) * d.score_gradient[sample, v]

    entries = [(u, v) for u in range(p.features) for v in range(p.C)]
    if isinstance(formula, sp.MatrixBase):
        if formula.shape != p.W.shape:
            raise InputError(f"the formula is a {formula.shape[0]}×{formula.shape[1]} matrix; W is {p.W.shape}")

        def claimed(u: int, v: int) -> sp.Expr:
            return formula[u, v] if d.conventions.layout == "XW" else formula[v, u]
    elif callable(formula):
        fn: Callable = formula

        def claimed(u: int, v: int) -> sp.Expr:
            return sp.sympify(fn(u, v))
    else:
        if entry is None:
            raise InputError("a single expression needs entry=(u, v): which ∂/∂w_uv it claims")
        u, v = entry
        if not (0 <= u < p.features and 0 <= v < p.C):
            raise InputError(f"entry {entry} is outside W: features 0 … {p.features - 1}, classes 0 … {p.C - 1}")
        entries = [(u, v)]
        expr = sp.sympify(formula)

        def claimed(u: int, v: int) -> sp.Expr:
            return expr

    return (
        [target(u, v) for u, v in entries],
        [claimed(u, v) for u, v in entries],
        [f"∂L{'_' + str(sample) if sample is not None else ''}/∂w[{u},{v}]" for u, v in entries],
    )
