"""The loss registry. A loss is one frozen :class:`Loss` definition, added with :func:`register`;
no stage of the pipeline names a loss."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import sympy as sp

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
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"unknown loss {name!r}: choose one of {', '.join(names())}") from None


def names() -> list[str]:
    _load_builtins()
    return list(_REGISTRY)


def builtin_names() -> list[str]:
    from . import builtin

    return list(builtin.BUILTIN)


def _load_builtins() -> None:
    from . import builtin  # noqa: F401  (registers on import)


__all__ = ["ConcreteIndexing", "Indexing", "Loss", "register", "get", "names", "builtin_names"]
