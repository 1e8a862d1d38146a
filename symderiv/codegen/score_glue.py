"""The glue of ``Derivation.numpy_gradient``/``numpy_loss`` (:class:`ScoreRoute`): scores from W and X,
the per-sample max shift, the score functions, the chain rule and the regularizer — NumPy only, no
SymPy, so that ``symderiv check`` can run the generated NumPy of a proven derivation from its cache
(:mod:`symderiv.check.cache`) without importing SymPy. Proven as claims ``artifact.numpy-gradient`` and
``artifact.numpy-loss`` (:mod:`symderiv.obligations` runs this very code on symbols)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy

if TYPE_CHECKING:  # pragma: no cover
    import sympy as sp


@dataclass(frozen=True)
class ScoreRoute:
    """(L, dL/dW) from W and X through the scores; see the module docstring."""

    layout: str
    bias: bool
    N: int
    C: int
    scale: sp.Rational | float  # 1/N for the mean, 1 for the sum (a float when read from the cache)
    reg: sp.Rational | float  # c in R(W) = cλ Σ W²
    shift: bool  # subtract each sample's largest score before the score functions
    symbolic_delta: bool  # Δ is an argument of the score functions
    functions: Callable  # (scores as a flat list (sample-major), [Δ], *hyper) -> N×(C+1): [G | L_i]
    hyper: tuple[str, ...] = ()  # the loss's symbolic hyperparameters, arguments after Δ

    def __call__(self, W, X, lam, delta, np=numpy, number: Callable = float, hyper: tuple = ()):
        """(L, dW) at arrays ``W`` and ``X`` (X without the constant-1 feature); ``hyper`` holds the
        values of :attr:`hyper`, in order. ``np`` and ``number`` are NumPy and ``float``; the proof runs
        this very code with SymPy-friendly stand-ins (:mod:`symderiv.obligations`)."""
        xw = self.layout == "XW"
        if self.bias:  # the constant-1 feature: a column of X (XW) or a row (WX)
            ones = np.ones((self.N, 1) if xw else (1, self.N), dtype=X.dtype)
            X = np.concatenate([X, ones], axis=1 if xw else 0)
        S = X @ W if xw else (W @ X).T  # N×C scores s_ij
        if self.shift:  # L_i and ∂L_i/∂s_ij are unchanged by s_ij − t_i (proven), and exp stays ≤ 1
            S = S - np.max(S, axis=1, keepdims=True)
        args = [list(S.ravel())] + ([delta] if self.symbolic_delta else []) + list(hyper)
        out = np.asarray(self.functions(*args)).reshape(self.N, self.C + 1)
        G, losses = out[:, : self.C], out[:, self.C]
        scale, c = number(self.scale), number(self.reg)
        dW = (X.T @ G if xw else G.T @ X.T) * scale + 2 * c * lam * W
        loss = np.sum(losses) * scale + c * lam * np.sum(W * W)
        return loss, dW
