"""The squared hinge loss (L2-SVM): the hinge's margin violations, squared,
L_i = Σ_{j≠y_i} max(0, s_j − s_{y_i} + Δ)².

The square makes the loss differentiable at the hinge, so the kink convention does not enter its
gradient (``symderiv derive squared-hinge`` shows the proven form). The margins' NumPy code is
shared with :mod:`.hinge`; see that file for what each field of the
:class:`~symderiv.losses.base.Loss` record means.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..algebra.functions import Pos
from .base import Loss, LossWords, MarginRoute, Slip, register
from .hinge import hinge_margin, numpy_margins

# ---------------------------------------------------------------------- squared hinge (L2-SVM)


def squared_hinge_sample(s, y, delta, ix):
    return ix.sum_other(lambda j: Pos(s[j] - s[y] + delta) ** 2)


def squared_hinge_of_margins(m, y, ix):
    """L_i = Σ_{j≠y_i} max(0, m_j)², in the margins m_j = s_j − s_{y_i} + Δ."""
    return ix.sum_other(lambda j: Pos(m[j]) ** 2)


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
    h = np.maximum(0, numpy_margins(W, X, y, delta))
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
        intro="The L2-SVM charges the same shortfalls as the hinge loss, squared: violations "
        "of the margin Δ are penalised quadratically, and the loss is differentiable at the "
        "hinge.",
        gradient_words="Each term of L_i is a squared hinge in its margin: its derivative is twice the hinge, "
        "with a plus sign in s_ij and a minus sign in s_{iy_i} (no indicator is left), and the label's "
        "score collects them all:",
        translations=(
            LossWords(
                "zh",
                title="平方合页损失（L2-SVM）",
                intro="L2-SVM 与合页损失惩罚同样的差距，只是取了平方：违反间隔 Δ 的程度按二次方惩罚，"
                "因此损失在合页处可导。",
                gradient_words="L_i 的每一项都是关于其间隔的平方合页函数：它的导数是合页的两倍，对 s_ij 取正号，"
                "对 s_{iy_i} 取负号（不再出现指示函数）；正确类别的得分把各项都汇总起来：",
            ),
        ),
        correct_class_term=lambda delta: max(0.0, delta) ** 2,
        slips=(
            Slip(
                "chain-rule-2-missing",
                "the chain rule's 2 is missing: the proven {other}, so every positive margin contributes twice "
                "itself times x_i to dW (your dW's data part is half the truth)",
                grad_data_factor=0.5,
            ),
        ),
        margin_route=MarginRoute(margin=hinge_margin, of_margins=squared_hinge_of_margins),
    )
)
