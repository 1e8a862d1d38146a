"""The loss registry. A loss is one frozen :class:`Loss` definition, added with :func:`register`;
no stage of the pipeline names a loss."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..errors import InputError

#: L_i as a function of the score vector s, the label y and the margin Δ
SampleLoss = Callable[[Sequence[sp.Expr], int, sp.Expr], sp.Expr]
#: closed form of ∂L_i/∂s_j, as written in the notes (the cases j ≠ y_i and j = y_i)
ScoreGradient = Callable[[Sequence[sp.Expr], int, int, sp.Expr], sp.Expr]
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
    #: LaTeX in the notes' notation, for reports: the per-sample loss, the cases of ∂L_i/∂s_j,
    #: and the weight matrix G of the matrix form dW = Xᵀ G / N + ∂R/∂W
    latex: dict[str, str] = field(default_factory=dict)
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


__all__ = ["Loss", "register", "get", "names", "builtin_names"]
