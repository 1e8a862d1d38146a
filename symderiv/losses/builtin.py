"""The built-in losses: multiclass SVM hinge, squared hinge (L2-SVM), softmax cross-entropy."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..functions import Pos, Step
from . import Loss, register

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


def _numpy_margins(W, X, y, delta):
    N = X.shape[0]
    S = X @ W
    margins = S - S[np.arange(N), y][:, None] + delta
    margins[np.arange(N), y] = -np.inf  # the j = y_i term is excluded, not zero-clamped
    return margins


def hinge_reference(W, X, y, delta, kink):
    N = X.shape[0]
    margins = _numpy_margins(W, X, y, delta)
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
    )
)

# ---------------------------------------------------------------------- squared hinge (L2-SVM)


def squared_hinge_sample(s, y, delta, ix):
    return ix.sum_other(lambda j: Pos(s[j] - s[y] + delta) ** 2)


def squared_hinge_score_gradient(s, y, j, delta, ix):
    return ix.cases(
        j,
        other=2 * Pos(s[j] - s[y] + delta),
        label=-2 * ix.sum_other(lambda k: Pos(s[k] - s[y] + delta)),
    )


def squared_hinge_weights(S, y, delta):
    N, C = S.shape
    M = sp.zeros(N, C)
    for i in range(N):
        for j in range(C):
            M[i, j] = 2 * Pos(S[i, j] - S[i, y[i]] + delta) if j != y[i] else 0
        M[i, y[i]] = -sum(M.row(i))
    return M


def squared_hinge_reference(W, X, y, delta, kink):
    N = X.shape[0]
    h = np.maximum(0, _numpy_margins(W, X, y, delta))
    M = 2 * h
    M[np.arange(N), y] = -M.sum(axis=1)
    return float((h**2).sum()), X.T @ M


SQUARED_HINGE = register(
    Loss(
        name="squared-hinge",
        title="Squared hinge (L2-SVM) loss",
        description="L2-SVM: L_i = Σ_{j≠y_i} max(0, s_j − s_{y_i} + Δ)²",
        sample=squared_hinge_sample,
        score_gradient=squared_hinge_score_gradient,
        weights=squared_hinge_weights,
        reference=squared_hinge_reference,
        weights_name="M",
    )
)

# ------------------------------------------------------------------- softmax cross-entropy


def softmax_sample(s, y, delta, ix):
    return -s[y] + sp.log(ix.sum_all(lambda j: sp.exp(s[j])))


def softmax_score_gradient(s, y, j, delta, ix):
    p_j = sp.exp(s[j]) / ix.sum_all(lambda k: sp.exp(s[k]))
    return ix.cases(j, other=p_j, label=p_j - 1)


def softmax_weights(S, y, delta):
    N, C = S.shape
    E = S.applyfunc(sp.exp)
    P = sp.Matrix(N, C, lambda i, j: E[i, j] / sum(E.row(i)))
    Y = sp.Matrix(N, C, lambda i, j: 1 if j == y[i] else 0)
    return P - Y


def softmax_reference(W, X, y, delta, kink):
    N = X.shape[0]
    S = X @ W
    S = S - S.max(axis=1, keepdims=True)  # the max-shift trick: exp never overflows
    log_norm = np.log(np.exp(S).sum(axis=1))
    loss = (log_norm - S[np.arange(N), y]).sum()
    P = np.exp(S - log_norm[:, None])
    P[np.arange(N), y] -= 1
    return float(loss), X.T @ P


SOFTMAX = register(
    Loss(
        name="softmax",
        title="Softmax cross-entropy loss",
        description="cross-entropy of the softmax: L_i = −s_{y_i} + log Σ_j exp(s_j)",
        sample=softmax_sample,
        score_gradient=softmax_score_gradient,
        weights=softmax_weights,
        reference=softmax_reference,
        uses_delta=False,
        kinky=False,
        weights_name="P - Y",
    )
)

BUILTIN = {loss.name: loss for loss in (HINGE, SQUARED_HINGE, SOFTMAX)}
