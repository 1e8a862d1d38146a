"""HINGE
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..algebra.functions import Pos, Step
from .base import Loss, register

# ---------------------------------------------------------------- multiclass SVM (Weston–Watkins)


def hinge_sample(s, y, delta, ix):
    return ix.sum_other(lambda j: Pos(s[j] - s[y] + delta))


def hinge_score_gradient(s, y, j, delta, ix):
    return ix.cases(
        j,
        other=Step(s[j] - s[y] + delta),
        label=-ix.sum_other(lambda k: Step(s[k] - s[y] + delta)),
    )


def hinge_weights(S, y, delta):
    N, C = S.shape
    M = sp.zeros(N, C)
    for i in range(N):
        for j in range(C):
            M[i, j] = Step(S[i, j] - S[i, y[i]] + delta) if j != y[i] else 0
        M[i, y[i]] = -sum(M.row(i))
    return M


def numpy_margins(W, X, y, delta):
    N = X.shape[0]
    S = X @ W
    margins = S - S[np.arange(N), y][:, None] + delta
    margins[np.arange(N), y] = -np.inf  # the j = y_i term is excluded, not zero-clamped
    return margins


def hinge_reference(W, X, y, delta, kink):
    N = X.shape[0]
    margins = numpy_margins(W, X, y, delta)
    loss = np.maximum(0, margins).sum()
    M = (margins > 0) + kink * (margins == 0)
    M[np.arange(N), y] = -M.sum(axis=1)
    return float(loss), X.T @ M


HINGE = register(
    Loss(
        name="hinge",
        title="Multiclass SVM (hinge) loss",
        description="Weston–Watkins multiclass SVM: L_i = Σ_{j≠y_i} max(0, s_j − s_{y_i} + Δ)",
        sample=hinge_sample,
        score_gradient=hinge_score_gradient,
        weights=hinge_weights,
        reference=hinge_reference,
        weights_name="M",
        latex={
            "sample": r"L_i = \sum_{j \ne y_i} \max\left(0,\; s_j - s_{y_i} + \Delta\right)",
            "ds_other": r"\mathbb{1}\left[s_j - s_{y_i} + \Delta > 0\right]",
            "ds_label": r"-\sum_{k \ne y_i} \mathbb{1}\left[s_k - s_{y_i} + \Delta > 0\right]",
            "weights": r"M_{ij} = \mathbb{1}\left[s_{ij} - s_{i y_i} + \Delta > 0\right]\ (j \ne y_i),"
            r"\quad M_{i y_i} = -\sum_{k \ne y_i} M_{ik}",
        },
    )
)

