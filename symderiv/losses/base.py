"""What a loss is: the :class:`Loss` record, the :class:`Indexing` protocol its formulas are
written against, and the registry (:func:`register`, :func:`get`). No stage of the pipeline names a
loss: everything loss-specific (formulas, words, hints) is a field of its :class:`Loss`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import sympy as sp

from ..algebra.normal_form import RewriteRule
from ..errors import InputError


class Indexing(Protocol):
    """How a definition sums over classes and splits cases, so that one definition gives both the
    concrete-size expression (Python loops over 0 … C−1) and the symbolic-size one (index notation:
    ``Sum`` over k with the exclusion k ≠ y_i written as 1 − δ(k, y_i))."""

    def sum_all(self, f: Callable[[Any], sp.Expr]) -> sp.Expr:
        """Σ_k f(k) over all classes."""

    def sum_other(self, f: Callable[[Any], sp.Expr]) -> sp.Expr:
        """Σ_{k ≠ y_i} f(k)."""

    def cases(self, j: Any, other: sp.Expr, label: sp.Expr) -> sp.Expr:
        """``other`` where j ≠ y_i, ``label`` where j = y_i."""


class ConcreteIndexing:
    """:class:`Indexing` at a concrete number of classes and a concrete label."""

    def __init__(self, C: int, label: int) -> None:
        self.C, self.label = C, label

    def sum_all(self, f):
        return sp.Add(*[f(k) for k in range(self.C)])

    def sum_other(self, f):
        return sp.Add(*[f(k) for k in range(self.C) if k != self.label])

    def cases(self, j, other, label):
        return label if j == self.label else other


#: L_i(s, y_i, Δ, indexing): s[j] is the score of class j, y_i the label
SampleLoss = Callable[[Any, Any, sp.Expr, Indexing], sp.Expr]
#: closed form of ∂L_i/∂s_j(s, y_i, j, Δ, indexing), as the notes write it (cases j ≠ y_i, j = y_i)
ScoreGradient = Callable[[Any, Any, Any, sp.Expr, Indexing], sp.Expr]
#: closed form of the weight matrix G = dL/dS (N×C), written with matrix operations
MatrixWeights = Callable[[sp.Matrix, Sequence[int], sp.Expr], sp.Matrix]
#: hand-written vectorized NumPy in the plain convention (layout XW, sums over samples, no
#: regularizer): (W, X, y, delta, kink) -> (Σ_i L_i, Σ_i ∂L_i/∂W)
Reference = Callable[[np.ndarray, np.ndarray, np.ndarray, float, float], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class Abbreviation:
    """A named quantity a loss's results read better with, at symbolic size (softmax's p_ij):
    ``rule`` rewrites an expression to use it, ``definition`` (p_ij = …) is printed beside it."""

    rule: RewriteRule
    definition: sp.Eq
    words: str  # what it is, e.g. "softmax probabilities"


@dataclass(frozen=True)
class Slip:
    """A slip typical of hand-written code for one loss, as ``symderiv check`` names it: what the
    function returns instead of the truth, as factors on the truth's data part (the regularization
    part stays right), and what to tell the student. The check compares the prediction with what
    the function returned on every probe; ``id`` names the diagnosis."""

    id: str
    message: str
    #: the data part of the loss (Σ_i L_i / N), times this
    loss_data_factor: float = 1.0
    #: the data part of dW, times this
    grad_data_factor: float = 1.0
    #: added to ∂L_i/∂s_{y_i} of every sample: G + label_weight·Y (Y the one-hot labels)
    label_weight: float = 0.0

    @property
    def component(self) -> str:
        """Which part the slip changes: "loss", else "grad"."""
        return "loss" if self.loss_data_factor != 1.0 else "grad"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per registered loss
class Loss:
    """One loss, declared once: its per-sample formula, its closed forms and a NumPy reference."""

    name: str
    title: str
    sample: SampleLoss
    score_gradient: ScoreGradient
    weights: MatrixWeights
    reference: Reference
    uses_delta: bool = True
    #: the weight matrix G of the matrix form dW = Xᵀ G / N + ∂R/∂W, as matrix algebra ("M", "P - Y");
    #: every formula a report or terminal shows is printed from the derivation, never held here
    weights_name: str = "G"
    description: str = ""
    #: which layouts / conventions the definition supports (all, for the built-ins)
    kinky: bool = True  # has max(0, ·) kinks, so the indicator convention matters
    #: words for people (all optional; plain text in the notes' notation — y_i, Δ, s_ij — which a
    #: report turns into math; words only: no derived formula is typed here): what the loss means …
    intro: str = ""
    #: … how ∂L_i/∂s_ij comes about, leading into its cases, which the report prints from the proof …
    gradient_words: str = ""
    #: … and what the y_i column of dW must get, for the checker's diagnosis of a flipped sign
    label_column_hint: str = ""
    #: what L_i gains when a loop forgets to skip j = y_i, as a function of Δ (None: the loss has no
    #: such term); the checker recognises that bug by it
    correct_class_term: Callable[[float], float] | None = None
    #: named quantities the symbolic-size results are shown with (softmax: the probabilities p_ij)
    abbreviations: tuple[Abbreviation, ...] = ()
    #: slips typical of hand-written code for this loss, which ``symderiv check`` names
    slips: tuple[Slip, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise InputError(f"a loss name must be a word such as 'hinge', not {self.name!r}")


_REGISTRY: dict[str, Loss] = {}


def register(loss: Loss, *, replace: bool = False) -> Loss:
    """Add ``loss`` to the registry, so that ``derive(loss.name, ...)`` finds it."""
    if loss.name in _REGISTRY and not replace:
        raise InputError(f"a loss named {loss.name!r} is registered already (pass replace=True)")
    _REGISTRY[loss.name] = loss
    return loss


def get(name: str | Loss) -> Loss:
    """The registered loss called ``name`` (a :class:`Loss` passes through)."""
    if isinstance(name, Loss):
        return name
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"unknown loss {name!r}: choose one of {', '.join(names())}") from None


def names() -> list[str]:
    """The names of every registered loss, in registration order."""
    return list(_REGISTRY)


def unregister(name: str) -> None:
    """Remove the loss called ``name`` from the registry (no error when there is none)."""
    _REGISTRY.pop(name, None)
