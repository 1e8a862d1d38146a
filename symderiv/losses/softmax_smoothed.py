"""Softmax cross-entropy with label smoothing ε: the cross-entropy of the softmax p against the
smoothed target q instead of the one-hot label,

    q_j = (1 − ε)·1[j = y_i] + ε/C,      L_i = −Σ_j q_j log p_j,      p_j = e^{s_j} / Σ_k e^{s_k}.

The model for a loss with a hyperparameter of its own (see :mod:`.hinge` for the other fields of the
:class:`~symderiv.losses.base.Loss` record): ε is declared once, as a
:class:`~symderiv.losses.base.Hyperparameter` with its symbol, default and words, and the formulas
are written with that symbol. ``derive("softmax-smoothed", ...)`` keeps ε symbolic (every proof
holds for every ε); ``hyper={"epsilon": 0.1}`` (``--hyper epsilon=0.1`` on the command line) fixes
it; NumPy code, checks and plots use the given value or the default. ``ix.classes`` is C and
``ix.cases`` writes the indicator 1[j = y_i], so one definition serves concrete and symbolic sizes.

The closed form is ∂L_i/∂s_j = p_j − q_j, so dW = Xᵀ(P − Q)/N + 2λW. With ε = 0 this is
:mod:`.softmax`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Hyperparameter, Loss, LossWords, ShiftInvariance, register
from .softmax import softmax_probability

EPSILON = sp.Symbol("epsilon", real=True)  # ε ∈ [0, 1] is checked where a value is given

SMOOTHING = Hyperparameter(
    name="epsilon",
    symbol=EPSILON,
    default=0.1,
    words="label smoothing, the weight of the uniform distribution in the target",
    translations=(("zh", "标签平滑，目标中均匀分布所占的权重"),),
    low=0.0,
    high=1.0,
)

# ---------------------------------------------------------- softmax cross-entropy, smoothed labels


def smoothed_target(y, j, ix):
    """q_j = (1 − ε)·1[j = y_i] + ε/C."""
    uniform = EPSILON / ix.classes
    return ix.cases(j, other=uniform, label=1 - EPSILON + uniform)


def softmax_smoothed_sample(s, y, delta, ix):
    log_norm = sp.log(ix.sum_all(lambda k: sp.exp(s[k])))  # log Σ_k e^{s_k}
    return -ix.sum_all(lambda j: smoothed_target(y, j, ix) * (s[j] - log_norm))  # −Σ_j q_j log p_j


def softmax_smoothed_score_gradient(s, y, j, delta, ix):
    p_j = sp.exp(s[j]) / ix.sum_all(lambda k: sp.exp(s[k]))
    uniform = EPSILON / ix.classes
    return ix.cases(j, other=p_j - uniform, label=p_j - (1 - EPSILON + uniform))


def softmax_smoothed_weights(S, y, delta):
    N, C = S.shape
    E = S.applyfunc(sp.exp)
    P = sp.Matrix(N, C, lambda i, j: E[i, j] / sum(E.row(i)))
    Y = sp.Matrix(N, C, lambda i, j: 1 if j == y[i] else 0)
    Q = (1 - EPSILON) * Y + sp.ones(N, C) * EPSILON / C
    return P - Q


def softmax_smoothed_reference(W, X, y, delta, kink, epsilon=SMOOTHING.default):
    N, C = X.shape[0], W.shape[1]
    S = X @ W
    S = S - S.max(axis=1, keepdims=True)  # the max-shift trick: exp never overflows
    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    Q = np.full((N, C), epsilon / C)
    Q[np.arange(N), y] += 1 - epsilon
    return float(-(Q * log_p).sum()), X.T @ (np.exp(log_p) - Q)


SOFTMAX_SMOOTHED = register(
    Loss(
        name="softmax-smoothed",
        title="Softmax cross-entropy with label smoothing",
        description="label-smoothed cross-entropy: L_i = −Σ_j q_j log p_j, q_j = (1 − ε)·1[j = y_i] + ε/C",
        sample=softmax_smoothed_sample,
        score_gradient=softmax_smoothed_score_gradient,
        weights=softmax_smoothed_weights,
        reference=softmax_smoothed_reference,
        uses_delta=False,
        kinky=False,
        weights_name="P - Q",
        hyperparameters=(SMOOTHING,),
        intro="Label smoothing trains the softmax classifier against a softened target: the one-hot "
        "label keeps the weight 1-ε and the rest, ε, is spread uniformly over the C classes. The loss is "
        "the cross-entropy between this target and the softmax of the scores; with ε = 0 it is the softmax loss.",
        gradient_words="The smoothed target sums to 1 over the classes, so the derivative of the cross-entropy "
        "in a score is the softmax probability minus the target:",
        translations=(
            LossWords(
                "zh",
                title="带标签平滑的 Softmax 交叉熵损失",
                intro="标签平滑让 softmax 分类器去拟合一个软化的目标：one-hot 标签保留权重 1-ε，其余的 ε "
                "均匀分给 C 个类别。损失是这个目标与得分经 softmax 后的分布之间的交叉熵；"
                "当 ε=0 时，它就是 softmax 损失。",
                gradient_words="平滑后的目标在各类别上之和为 1，因此交叉熵对某个得分的导数就是 softmax 概率减去目标：",
            ),
        ),
        shift_invariance=ShiftInvariance(
            ratio=softmax_probability, ratio_words="the softmax probability", translations=(("zh", "softmax 概率"),)
        ),
    )
)
