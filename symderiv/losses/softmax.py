"""The softmax cross-entropy loss, L_i = −s_{y_i} + log Σ_j exp(s_j): smooth (no kinks, no margin Δ);
its closed forms are stated in the softmax probabilities p and the one-hot labels Y (matrix form G = P − Y).

Its NumPy reference uses the max-shift trick so exp never overflows. See :mod:`.hinge` for what
each field of the :class:`~symderiv.losses.base.Loss` record means.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..algebra.index import C, i, j, k, s
from ..algebra.normal_form import RewriteRule
from .base import Abbreviation, Loss, LossWords, ShiftInvariance, Slip, register

# ------------------------------------------------------------------- softmax cross-entropy


def softmax_sample(s, y, delta, ix):
    return -s[y] + sp.log(ix.sum_all(lambda j: sp.exp(s[j])))


def softmax_probability(s, j, ix):
    """p_j = e^{s_j} / Σ_k e^{s_k}: shifting every score by c leaves it unchanged (shift invariance)."""
    return sp.exp(s[j]) / ix.sum_all(lambda k: sp.exp(s[k]))


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


# ---------------------------------------------- at symbolic size: results read in the probabilities p_ij

p = sp.IndexedBase("p")
PROBABILITY_DEFINITION = sp.Eq(p[i, j], sp.exp(s[i, j]) / sp.Sum(sp.exp(s[i, k]), (k, 0, C - 1)), evaluate=False)


def _softmax_parts(e: sp.Expr):
    """In a product, exp(s_ia) and 1/Σ_k exp(s_ik): a softmax probability p_ia."""
    if not e.is_Mul:
        return None
    norm = next(
        (
            f
            for f in e.args
            if f.is_Pow
            and f.exp == -1
            and isinstance(f.base, sp.Sum)
            and f.base.function == sp.exp(s[i, f.base.limits[0][0]])
            and f.base.limits[0][1:] == (0, C - 1)
        ),
        None,
    )
    num = next(
        (
            f
            for f in e.args
            if isinstance(f, sp.exp)
            and isinstance(f.args[0], sp.Indexed)
            and f.args[0].base == s
            and f.args[0].indices[0] == i
        ),
        None,
    )
    return (norm, num) if norm is not None and num is not None else None


PROBABILITY = RewriteRule(
    "softmax-probability",
    "e^{s_ia} / Σ_k e^{s_ik} = p_ia, the softmax probability of class a",
    lambda e: _softmax_parts(e) is not None,
    lambda e: (
        p[i, _softmax_parts(e)[1].args[0].indices[1]] * sp.Mul(*[f for f in e.args if f not in _softmax_parts(e)])
    ),
)


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
        intro="The softmax classifier reads the scores as unnormalised log-probabilities and charges "
        "the negative log-probability of the correct class: the cross-entropy between the one-hot "
        "label and the softmax of the scores. It is smooth and never exactly zero.",
        gradient_words="The derivative of the log-sum-exp in s_ij is the softmax probability p_ij; "
        "the term -s_{iy_i} subtracts 1 for the label:",
        translations=(
            LossWords(
                "zh",
                title="Softmax 交叉熵损失",
                intro="Softmax 分类器把得分看作未归一化的对数概率，损失是正确类别的负对数概率，"
                "也就是 one-hot 标签与得分经 softmax 后的分布之间的交叉熵。它处处光滑，而且永远不会恰好为零。",
                gradient_words="log-sum-exp 对 s_ij 的导数就是 softmax 概率 p_ij；"
                "而 -s_{iy_i} 这一项在正确类别处减去 1：",
            ),
        ),
        abbreviations=(Abbreviation(PROBABILITY, PROBABILITY_DEFINITION, "softmax probabilities"),),
        shift_invariance=ShiftInvariance(
            ratio=softmax_probability, ratio_words="the softmax probability", translations=(("zh", "softmax 概率"),)
        ),
        slips=(
            Slip(
                "log10",
                "the loss is taken with log10: cross-entropy uses the natural log (np.log); your loss is "
                "1/ln 10 ≈ 0.434 of the truth",
                loss_data_factor=1 / np.log(10.0),
            ),
            Slip(
                "label-term-sign",
                "the label term has the wrong sign: the proven {label}, but your dW adds 2·x_i more to "
                "column y_i (P[i, y_i] += 1 instead of −= 1)",
                label_weight=2.0,
            ),
        ),
    )
)
