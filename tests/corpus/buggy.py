"""Buggy implementations: at least one for every diagnosis ``symderiv check`` names.

``BUGGY`` maps each function to (loss, layout, extra check options, the diagnosis id that must be
reported). Most are a correct implementation from ``correct.py`` with one realistic slip.
"""

import os
import time

import numpy as np
from correct import softmax_loss_layer, softmax_vectorized, svm_loss_layer, svm_vectorized, svm_wx


def _svm_parts(W, X, y, delta=1.0):
    N = X.shape[0]
    S = X @ W
    margins = np.maximum(0, S - S[np.arange(N), y][:, None] + delta)
    margins[np.arange(N), y] = 0
    M = (margins > 0).astype(float)
    M[np.arange(N), y] = -M.sum(axis=1)
    return N, margins, M


# ---------------------------------------------------------------- regularization


def reg_half_gradient(W, X, y, reg):
    """Loss λΣW², gradient λW (the half-l2 gradient): off by a factor of 2."""
    N, margins, M = _svm_parts(W, X, y)
    return margins.sum() / N + reg * np.sum(W * W), X.T @ M / N + reg * W


def reg_factor_three(W, X, y, reg):
    """Regularization gradient 6λW: off by a factor of 3."""
    N, margins, M = _svm_parts(W, X, y)
    return margins.sum() / N + reg * np.sum(W * W), X.T @ M / N + 6 * reg * W


def reg_gradient_missing(W, X, y, reg):
    N, margins, M = _svm_parts(W, X, y)
    return margins.sum() / N + reg * np.sum(W * W), X.T @ M / N


def reg_divided_by_n(W, X, y, reg):
    """dW += 2λW before dW /= N."""
    N, margins, M = _svm_parts(W, X, y)
    dW = X.T @ M + 2 * reg * W
    return margins.sum() / N + reg * np.sum(W * W), dW / N


def reg_loss_missing(W, X, y, reg):
    N, margins, M = _svm_parts(W, X, y)
    return margins.sum() / N, X.T @ M / N + 2 * reg * W


def reg_wrong_nonconstant(W, X, y, reg):
    """A regularization gradient that is not a multiple of λW (2λW²): wrong only when λ > 0."""
    N, margins, M = _svm_parts(W, X, y)
    return margins.sum() / N + reg * np.sum(W * W), X.T @ M / N + 2 * reg * W * np.abs(W)


# ---------------------------------------------------------------- averaging


def grad_not_averaged(W, X, y, reg):
    N, margins, M = _svm_parts(W, X, y)
    return margins.sum() / N + reg * np.sum(W * W), X.T @ M + 2 * reg * W


def loss_summed(W, X, y, reg):
    """Loss summed over samples, gradient averaged."""
    N, margins, M = _svm_parts(W, X, y)
    return margins.sum() + reg * np.sum(W * W), X.T @ M / N + 2 * reg * W


# ---------------------------------------------------------------- the correct class


def correct_class_sign(W, X, y, reg):
    """dW[:, y_i] += count · x_i instead of −=."""
    N, margins, M = _svm_parts(W, X, y)
    M[np.arange(N), y] = -M[np.arange(N), y]
    return margins.sum() / N + reg * np.sum(W * W), X.T @ M / N + 2 * reg * W


def includes_correct_class(W, X, y, reg):
    """The naive loop without `if j == y[i]: continue` — the loss gains Δ per sample; the
    gradient's two extra terms cancel."""
    dW = np.zeros(W.shape)
    loss = 0.0
    N = X.shape[0]
    for i in range(N):
        s = X[i] @ W
        for j in range(W.shape[1]):
            m = s[j] - s[y[i]] + 1
            if m > 0:
                loss += m
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W


def repeated_labels(W, X, y, reg):
    """dW[:, y] -= … with fancy indexing: repeated labels do not accumulate."""
    N = X.shape[0]
    S = X @ W
    margins = np.maximum(0, S - S[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    mask = (margins > 0).astype(float)
    dW = X.T @ mask
    dW[:, y] -= X.T * mask.sum(axis=1)
    return margins.sum() / N + reg * np.sum(W * W), dW / N + 2 * reg * W


def classes_from_wrong_axis(W, X, y, reg):
    """num_classes = W.shape[0]: right only when D = C (skips classes when D < C, raises when D > C)."""
    dW = np.zeros(W.shape)
    num_classes = W.shape[0]
    N = X.shape[0]
    loss = 0.0
    for i in range(N):
        scores = X[i].dot(W)
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W


def wrong_delta(W, X, y, reg):
    """The margin without Δ: s_j − s_{y_i} (Δ = 0)."""
    N, margins, M = _svm_parts(W, X, y, delta=0.0)
    return margins.sum() / N + reg * np.sum(W * W), X.T @ M / N + 2 * reg * W


def kink_inconsistent(W, X, y, reg):
    """m > 0 for the margin's class but m >= 0 for the correct class: not a subgradient at a kink."""
    N = X.shape[0]
    S = X @ W
    m = S - S[np.arange(N), y][:, None] + 1
    m[np.arange(N), y] = -1
    M = (m > 0).astype(float)
    M[np.arange(N), y] = -(m >= 0).sum(axis=1)
    return np.maximum(0, m).sum() / N + reg * np.sum(W * W), X.T @ M / N + 2 * reg * W


def integer_dtype(W, X, y, reg):
    """dW = np.zeros(W.shape, dtype=int): accumulating x_i / N truncates."""
    N, margins, M = _svm_parts(W, X, y)
    dW = np.zeros(W.shape, dtype=int)
    dW += (X.T @ M / N + 2 * reg * W).astype(int)
    return margins.sum() / N + reg * np.sum(W * W), dW


# ---------------------------------------------------------------- softmax


def softmax_overflow(W, X, y, reg):
    """No max-shift: exp(1000) is inf."""
    N = X.shape[0]
    E = np.exp(X @ W)
    P = E / E.sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean() + reg * np.sum(W * W)
    P[np.arange(N), y] -= 1
    return loss, X.T @ P / N + 2 * reg * W


def softmax_correct_class_sign(W, X, y, reg):
    N = X.shape[0]
    S = X @ W
    S -= S.max(axis=1, keepdims=True)
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean() + reg * np.sum(W * W)
    P[np.arange(N), y] = 1 - P[np.arange(N), y]
    return loss, X.T @ P / N + 2 * reg * W


def softmax_half_loss_full_grad(W, X, y, reg):
    """½λΣW² in the loss, 2λW in the gradient."""
    loss, dW = softmax_vectorized(W, X, y, reg)
    return loss - 0.5 * reg * np.sum(W * W), dW


# ---------------------------------------------------------------- what comes back


def mutates_input(W, X, y, reg):
    """Right values, but a "weight decay" step applied to the caller's W in place."""
    loss, dW = svm_vectorized(W, X, y, reg)
    W *= 1.0 - 1e-3
    return loss, dW


def swapped_return(W, X, y, reg):
    loss, dW = svm_vectorized(W, X, y, reg)
    return dW, loss


def transposed_gradient(W, X, y, reg):
    loss, dW = svm_vectorized(W, X, y, reg)
    return loss, dW.T


def raises(W, X, y, reg):
    """Seed 002 as written: Python's max on an array raises."""
    num_train = X.shape[0]
    i = np.arange(num_train)
    s = X @ W
    m = s - s[i, y][:, np.newaxis] + 1
    h = max(0, m)
    return np.sum(h), m


def template_none(W, X, y, reg):
    """cs231n's template before the TODO is done (the student forgot even the return)."""
    loss = 0.0  # noqa: F841
    dW = np.zeros(W.shape)  # noqa: F841


def template_zeros(W, X, y, reg):
    loss = 0.0
    dW = np.zeros(W.shape)
    return loss, dW


def returns_string(W, X, y, reg):
    return "loss", "dW"


def returns_one_value(W, X, y, reg):
    return svm_vectorized(W, X, y, reg)[1]


def hangs(W, X, y, reg):
    while True:
        time.sleep(0.01)


def crashes(W, X, y, reg):
    os._exit(3)


def nan_everywhere(W, X, y, reg):
    loss, dW = svm_vectorized(W, X, y, reg)
    return loss, dW * np.nan


# ---------------------------------------------------------------- layout WX (W is C×D, X is D×N)


def svm_wx_reg_half(W, X, y, reg):
    loss, dW = svm_wx(W, X, y, reg)
    return loss, dW - reg * W


def svm_wx_not_averaged(W, X, y, reg):
    loss, dW = svm_wx(W, X, y, reg)
    return loss, (dW - 2 * reg * W) * X.shape[1] + 2 * reg * W


def svm_wx_transposed_product(W, X, y, reg):
    """dW = Xᵀ-style product of the XW layout, transposed back: right values, but here computed
    as (M @ X.T).T — the shape of Wᵀ."""
    loss, dW = svm_wx(W, X, y, reg)
    return loss, dW.T


# ---------------------------------------------------------------- issue 13: more named slips


def data_grad_twice(W, X, y, reg):
    """The naive loop's updates kept, and the vectorized product added as well: the data part twice."""
    N, margins, M = _svm_parts(W, X, y)
    dW = np.zeros(W.shape)
    for i in range(N):
        for j in range(W.shape[1]):
            if j != y[i] and margins[i, j] > 0:
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    dW += X.T @ M  # the same sum once more
    return margins.sum() / N + reg * np.sum(W * W), dW / N + 2 * reg * W


def softmax_log10(W, X, y, reg):
    """np.log10 for the cross-entropy: the loss is 1/ln 10 of the truth, the gradient right."""
    N = X.shape[0]
    S = X @ W
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    loss = -np.log10(P[np.arange(N), y]).mean() + reg * np.sum(W * W)
    P[np.arange(N), y] -= 1
    return loss, X.T @ P / N + 2 * reg * W


def grad_left_zero(W, X, y, reg):
    """The loss finished, the gradient still the template's zeros."""
    N, margins, _ = _svm_parts(W, X, y)
    dW = np.zeros(W.shape)
    return margins.sum() / N + reg * np.sum(W * W), dW


def reg_only_gradient(W, X, y, reg):
    """The template's dW = np.zeros(W.shape) with only the regularization gradient added."""
    N, margins, _ = _svm_parts(W, X, y)
    dW = np.zeros(W.shape)
    dW += 2 * reg * W
    return margins.sum() / N + reg * np.sum(W * W), dW


def softmax_label_plus_one(W, X, y, reg):
    """P[i, y_i] += 1 instead of −= 1."""
    N = X.shape[0]
    S = X @ W
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean() + reg * np.sum(W * W)
    P[np.arange(N), y] += 1
    return loss, X.T @ P / N + 2 * reg * W


def squared_hinge_no_two(W, X, y, reg):
    """d/dm max(0, m)² taken as max(0, m): the chain rule's 2 is missing."""
    N = X.shape[0]
    S = X @ W
    h = np.maximum(0, S - S[np.arange(N), y][:, None] + 1)
    h[np.arange(N), y] = 0
    M = h.copy()
    M[np.arange(N), y] = -M.sum(axis=1)
    return (h**2).sum() / N + reg * np.sum(W * W), X.T @ M / N + 2 * reg * W


def softmax_global_max(W, X, y, reg):
    """S -= S.max(): one maximum over the whole batch, so a sample far below it underflows to log 0."""
    N = X.shape[0]
    S = X @ W
    S = S - S.max()
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean() + reg * np.sum(W * W)
    P[np.arange(N), y] -= 1
    return loss, X.T @ P / N + 2 * reg * W


def odd_column_doubled(W, X, y, reg):
    """No common slip: class column 1 of dW doubled (the closest pattern names the column)."""
    loss, dW = svm_vectorized(W, X, y, reg)
    dW[:, 1] *= 2
    return loss, dW


def loss_offset(W, X, y, reg):
    """No common slip: the loss off by a constant 0.25 (the closest pattern names the offset)."""
    loss, dW = svm_vectorized(W, X, y, reg)
    return loss + 0.25, dW


def grad_scaled_three(W, X, y, reg):
    """No common slip: the whole dW (data and regularization) times 3 — a constant ratio."""
    loss, dW = svm_vectorized(W, X, y, reg)
    return loss, 3 * dW


# ---------------------------------------------------------------- loss layers f(x, y) -> (loss, dx)


def svm_layer_not_averaged(x, y):
    """dx /= N forgotten."""
    loss, dx = svm_loss_layer(x, y)
    return loss, dx * x.shape[0]


def svm_layer_correct_class_sign(x, y):
    """dx[i, y_i] += num_pos instead of −=."""
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1.0)
    margins[np.arange(N), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(N), y] += (margins > 0).sum(axis=1)
    return margins.sum() / N, dx / N


def softmax_layer_no_shift(x, y):
    """exp(x) without the max-shift: overflows at large scores."""
    N = x.shape[0]
    P = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean()
    P[np.arange(N), y] -= 1
    return loss, P / N


def softmax_layer_global_max(x, y):
    """x - np.max(x): one maximum for the whole batch."""
    N = x.shape[0]
    z = x - np.max(x)
    P = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean()
    P[np.arange(N), y] -= 1
    return loss, P / N


def softmax_layer_label_plus_one(x, y):
    loss, dx = softmax_loss_layer(x, y)
    dx[np.arange(x.shape[0]), y] += 2 / x.shape[0]  # p + 1 instead of p − 1
    return loss, dx


def softmax_layer_log10(x, y):
    loss, dx = softmax_loss_layer(x, y)
    return loss / np.log(10), dx


def layer_swapped(x, y):
    loss, dx = svm_loss_layer(x, y)
    return dx, loss


BUGGY = {
    "reg_half_gradient": ("hinge", "XW", {}, "reg-mismatch"),
    "reg_factor_three": ("hinge", "XW", {}, "reg-grad-factor"),
    "reg_gradient_missing": ("hinge", "XW", {}, "reg-grad-missing"),
    "reg_divided_by_n": ("hinge", "XW", {}, "reg-grad-divided-by-N"),
    "reg_loss_missing": ("hinge", "XW", {}, "reg-loss-missing"),
    "reg_wrong_nonconstant": ("hinge", "XW", {}, "reg-only"),
    "grad_not_averaged": ("hinge", "XW", {}, "grad-not-averaged"),
    "loss_summed": ("hinge", "XW", {}, "loss-summed"),
    "correct_class_sign": ("hinge", "XW", {}, "correct-class-sign"),
    "includes_correct_class": ("hinge", "XW", {}, "loss-includes-correct-class"),
    "repeated_labels": ("hinge", "XW", {}, "repeated-labels-only"),
    "classes_from_wrong_axis": ("hinge", "XW", {}, "d-ne-c-only"),
    "wrong_delta": ("hinge", "XW", {}, "wrong-delta"),
    "kink_inconsistent": ("hinge", "XW", {}, "kink-only"),
    "integer_dtype": ("hinge", "XW", {}, "integer-dtype"),
    "softmax_overflow": ("softmax", "XW", {}, "overflow"),
    "softmax_correct_class_sign": ("softmax", "XW", {}, "correct-class-sign"),
    "softmax_half_loss_full_grad": ("softmax", "XW", {}, "reg-mismatch"),
    "mutates_input": ("hinge", "XW", {}, "mutated"),
    "swapped_return": ("hinge", "XW", {}, "swapped"),
    "transposed_gradient": ("hinge", "XW", {}, "wrong-shape"),
    "raises": ("hinge", "XW", {}, "raised"),
    "template_none": ("hinge", "XW", {}, "template"),
    "template_zeros": ("hinge", "XW", {}, "zeros"),
    "returns_string": ("hinge", "XW", {}, "loss-not-scalar"),
    "returns_one_value": ("hinge", "XW", {}, "not-a-pair"),
    "hangs": ("hinge", "XW", {"timeout": 3}, "timeout"),
    "crashes": ("hinge", "XW", {}, "crashed"),
    "nan_everywhere": ("hinge", "XW", {}, "non-finite"),
    "svm_wx_reg_half": ("hinge", "WX", {}, "reg-mismatch"),
    "svm_wx_not_averaged": ("hinge", "WX", {}, "grad-not-averaged"),
    "svm_wx_transposed_product": ("hinge", "WX", {}, "wrong-shape"),
    # a correct XW function checked as layout WX: W arrives C×D
    "svm_vectorized": ("hinge", "WX", {}, "raised"),
    # issue 13
    "data_grad_twice": ("hinge", "XW", {}, "data-grad-twice"),
    "softmax_log10": ("softmax", "XW", {}, "log10"),
    "grad_left_zero": ("hinge", "XW", {}, "grad-zeros"),
    "reg_only_gradient": ("hinge", "XW", {}, "grad-data-missing"),
    "softmax_label_plus_one": ("softmax", "XW", {}, "label-term-sign"),
    "squared_hinge_no_two": ("squared-hinge", "XW", {}, "chain-rule-2-missing"),
    "softmax_global_max": ("softmax", "XW", {}, "batch-max-shift"),
    "svm_wx": ("hinge", "XW", {}, "other-layout"),
    "softmax_vectorized": ("softmax", "WX", {}, "other-layout"),
    "odd_column_doubled": ("hinge", "XW", {}, "grad-columns"),
    "loss_offset": ("hinge", "XW", {}, "loss-offset"),
    "grad_scaled_three": ("hinge", "XW", {}, "grad-ratio"),
    # loss layers
    "svm_layer_not_averaged": ("hinge", "XW", {}, "grad-not-averaged"),
    "svm_layer_correct_class_sign": ("hinge", "XW", {}, "correct-class-sign"),
    "softmax_layer_no_shift": ("softmax", "XW", {}, "overflow"),
    "softmax_layer_global_max": ("softmax", "XW", {}, "batch-max-shift"),
    "softmax_layer_label_plus_one": ("softmax", "XW", {}, "label-term-sign"),
    "softmax_layer_log10": ("softmax", "XW", {}, "log10"),
    "layer_swapped": ("hinge", "XW", {}, "swapped"),
}
