"""Correct implementations in the styles real code uses. Every one must pass ``symderiv check``.

``CORRECT`` maps each function to (loss, layout, the regularizer it uses); layout WX functions
take W as C×D and X as D×N.
"""

import numpy as np

# ---------------------------------------------------------------- multiclass SVM (hinge), layout XW


def svm_naive(W, X, y, reg):
    """cs231n's svm_loss_naive, completed: loops over samples and classes, λΣW²."""
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_vectorized(W, X, y, reg):
    """Vectorized with a mask matrix and one product Xᵀ M."""
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    M = (margins > 0).astype(float)
    M[np.arange(N), y] = -M.sum(axis=1)
    return loss, X.T @ M / N + 2 * reg * W


def svm_vectorized_ge(W, X, y, reg):
    """The indicator taken as m >= 0: a different subgradient at the kinks, equally right."""
    N = X.shape[0]
    scores = X @ W
    m = scores - scores[np.arange(N), y][:, None] + 1
    m[np.arange(N), y] = -1.0
    loss = np.maximum(0, m).sum() / N + reg * np.sum(W * W)
    M = (m >= 0).astype(float)
    M[np.arange(N), y] = -M.sum(axis=1)
    return loss, X.T @ M / N + 2 * reg * W


def svm_half_l2(W, X, y, reg):
    """½λΣW² with gradient λW, consistently."""
    loss, dW = svm_vectorized(W, X, y, 0.0)
    return loss + 0.5 * reg * np.sum(W * W), dW + reg * W


def svm_float32(W, X, y, reg):
    """Everything inside in float32."""
    W32, X32 = W.astype(np.float32), X.astype(np.float32)
    N = X.shape[0]
    scores = X32 @ W32
    margins = np.maximum(np.float32(0), scores - scores[np.arange(N), y][:, None] + np.float32(1))
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + np.float32(reg) * np.sum(W32 * W32)
    M = (margins > 0).astype(np.float32)
    M[np.arange(N), y] = -M.sum(axis=1)
    return loss, X32.T @ M / N + 2 * np.float32(reg) * W32


def svm_add_at(W, X, y, reg):
    """The correct-class column with np.add.at, which accumulates over repeated labels."""
    N = X.shape[0]
    S = X @ W
    margins = np.maximum(0, S - S[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    mask = (margins > 0).astype(float)
    dW = X.T @ mask
    np.add.at(dW.T, y, -(mask.sum(axis=1)[:, None] * X))
    return margins.sum() / N + reg * np.sum(W * W), dW / N + 2 * reg * W


def svm_seed002_fixed(W, X, y, reg):
    """Seed 002's chain-rule code with its two slips fixed (np.maximum, and X for dfdW)."""
    num_train = X.shape[0]
    i = np.arange(num_train)
    s = X @ W
    m = s - s[i, y][:, np.newaxis] + 1
    h = np.maximum(0, m)
    h[i, y] = 0
    L = (1 / num_train) * np.sum(h)
    L += reg * np.sum(W * W)
    dLdm = np.zeros(m.shape)
    dLdm[m > 0] = 1
    dmds = np.ones(m.shape)
    class_sums = -np.sum(dLdm, axis=1) + 1
    dmds[i, y] = class_sums
    dLdW = X.T @ (dLdm * dmds) / num_train
    dLdW += 2 * reg * W
    return L, dLdW


def svm_noisy_prints(W, X, y, reg):
    """Correct, and prints while it works (the CLI's --json output must stay one JSON object)."""
    print("debug: scores computed")
    return svm_vectorized(W, X, y, reg)


def svm_returns_list(W, X, y, reg):
    """Returns a list [loss, dW] and a NumPy scalar loss: still a pair of numbers."""
    loss, dW = svm_vectorized(W, X, y, reg)
    return [np.float64(loss), dW]


# ---------------------------------------------------------------- squared hinge


def squared_hinge_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    N, C = X.shape[0], W.shape[1]
    loss = 0.0
    for i in range(N):
        s = X[i] @ W
        for j in range(C):
            if j == y[i]:
                continue
            m = s[j] - s[y[i]] + 1
            if m > 0:
                loss += m * m
                dW[:, j] += 2 * m * X[i]
                dW[:, y[i]] -= 2 * m * X[i]
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W


def squared_hinge_vectorized(W, X, y, reg):
    N = X.shape[0]
    S = X @ W
    h = np.maximum(0, S - S[np.arange(N), y][:, None] + 1)
    h[np.arange(N), y] = 0
    M = 2 * h
    M[np.arange(N), y] = -M.sum(axis=1)
    return (h**2).sum() / N + 0.5 * reg * np.sum(W * W), X.T @ M / N + reg * W


# ---------------------------------------------------------------- softmax


def softmax_naive(W, X, y, reg):
    """cs231n's softmax_loss_naive with the max-shift trick."""
    loss = 0.0
    dW = np.zeros_like(W)
    N, C = X.shape[0], W.shape[1]
    for i in range(N):
        f = X[i].dot(W)
        f -= np.max(f)
        p = np.exp(f) / np.sum(np.exp(f))
        loss += -np.log(p[y[i]])
        for j in range(C):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W


def softmax_vectorized(W, X, y, reg):
    N = X.shape[0]
    S = X @ W
    S -= S.max(axis=1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).sum() / N + reg * np.sum(W * W)
    P[np.arange(N), y] -= 1
    return loss, X.T @ P / N + 2 * reg * W


def softmax_logsumexp(W, X, y, reg):
    """Loss as −s_y + logsumexp(s), half-l2."""
    N = X.shape[0]
    S = X @ W
    smax = S.max(axis=1, keepdims=True)
    lse = smax[:, 0] + np.log(np.exp(S - smax).sum(axis=1))
    loss = np.mean(lse - S[np.arange(N), y]) + 0.5 * reg * np.sum(W**2)
    P = np.exp(S - lse[:, None])
    Y = np.eye(W.shape[1])[y]
    return loss, X.T @ (P - Y) / N + reg * W


def softmax_float32(W, X, y, reg):
    W32, X32 = W.astype(np.float32), X.astype(np.float32)
    N = X.shape[0]
    S = X32 @ W32
    S -= S.max(axis=1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean() + np.float32(reg) * np.sum(W32 * W32)
    P[np.arange(N), y] -= 1
    return loss, X32.T @ P / N + 2 * np.float32(reg) * W32


# ---------------------------------------------------------------- layout WX (W is C×D, X is D×N)


def svm_wx(W, X, y, reg):
    """The cs231n notes' W x_i: scores S = W X are C×N."""
    N = X.shape[1]
    S = W @ X
    margins = np.maximum(0, S - S[y, np.arange(N)][None, :] + 1)
    margins[y, np.arange(N)] = 0
    M = (margins > 0).astype(float)
    M[y, np.arange(N)] = -M.sum(axis=0)
    return margins.sum() / N + reg * np.sum(W * W), M @ X.T / N + 2 * reg * W


def softmax_wx(W, X, y, reg):
    N = X.shape[1]
    S = W @ X
    S = S - S.max(axis=0, keepdims=True)
    P = np.exp(S) / np.exp(S).sum(axis=0, keepdims=True)
    loss = -np.log(P[y, np.arange(N)]).mean() + 0.5 * reg * np.sum(W * W)
    P[y, np.arange(N)] -= 1
    return loss, P @ X.T / N + reg * W


CORRECT = {
    "svm_naive": ("hinge", "XW", "l2"),
    "svm_vectorized": ("hinge", "XW", "l2"),
    "svm_vectorized_ge": ("hinge", "XW", "l2"),
    "svm_half_l2": ("hinge", "XW", "half-l2"),
    "svm_float32": ("hinge", "XW", "l2"),
    "svm_add_at": ("hinge", "XW", "l2"),
    "svm_seed002_fixed": ("hinge", "XW", "l2"),
    "svm_noisy_prints": ("hinge", "XW", "l2"),
    "svm_returns_list": ("hinge", "XW", "l2"),
    "squared_hinge_naive": ("squared-hinge", "XW", "l2"),
    "squared_hinge_vectorized": ("squared-hinge", "XW", "half-l2"),
    "softmax_naive": ("softmax", "XW", "l2"),
    "softmax_vectorized": ("softmax", "XW", "l2"),
    "softmax_logsumexp": ("softmax", "XW", "half-l2"),
    "softmax_float32": ("softmax", "XW", "l2"),
    "svm_wx": ("hinge", "WX", "l2"),
    "softmax_wx": ("softmax", "WX", "half-l2"),
}


# ---------------------------------------------------------------- loss layers (cs231n assignment 2)


def svm_loss_layer(x, y):
    """cs231n's layers.svm_loss (renamed): x is N×C scores; the mean over samples, no regularizer."""
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos
    dx /= N
    return loss, dx


def softmax_loss_layer(x, y):
    """cs231n's layers.softmax_loss (renamed), through log-probabilities."""
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


CORRECT.update(
    {
        "svm_loss_layer": ("hinge", "XW", "none"),
        "softmax_loss_layer": ("softmax", "XW", "none"),
    }
)
