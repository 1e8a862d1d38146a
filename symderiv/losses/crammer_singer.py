"""The Crammer–Singer multiclass hinge loss: only the most offending other class counts,

    L_i = max(0, Δ + max_{j≠y_i} s_j − s_{y_i})        (Crammer and Singer use Δ = 1).

A loss with a max over classes, declared like every other loss (see :mod:`.hinge` for what each
field of the :class:`~symderiv.losses.base.Loss` record is for):

* ``sample`` writes the inner max with ``ix.max_other(lambda k: s[k])``. At concrete size that is a
  running maximum over the other classes from the last to the first, built from max(0, ·),
  M ← s_k + max(0, M − s_k); at symbolic size it is the index-notation
  max_{r≠y_i} s_ir (``symderiv.algebra.functions.MaxOther``), whose derivative is the argmax
  indicator ``ix.argmax_other``. Either way ties follow the stated kink convention κ: κ = 0 gives
  the gradient to the *first* maximiser (as ``numpy.argmax``), κ = 1 to the last, κ = ½ shares it,
  and every κ ∈ [0, 1] gives a subgradient (the argmax weights are ≥ 0 and sum to 1).
* ``score_gradient`` is the notes' closed form, ∂L_i/∂s_j = 1[m_i > 0]·a_j (j ≠ y_i) and
  −1[m_i > 0] (j = y_i), with m_i = Δ + max_{j≠y_i} s_j − s_{y_i} and a_j the argmax indicator.
* ``weights`` is G, row i = 1[m_i > 0]·(a − e_{y_i}); ``reference`` a hand-written NumPy version of
  both with the same tie convention.

``sympy.Max`` would be the obvious spelling, but its derivative Heaviside(s_j − Max(others)) gives
*every* tied class the kink value, so at a tie the weights need not sum to 1
(tests/test_example_crammer_singer.py keeps that as strict xfails).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..algebra.functions import Pos, Step
from .base import ConcreteIndexing, Loss, LossWords, MarginRoute, register
from .hinge import hinge_margin

# ---------------------------------------------------------------- Crammer–Singer multiclass hinge


def crammer_singer_margin(s, y, delta, ix):
    """m_i = Δ + max_{k≠y_i} s_k − s_{y_i}."""
    return delta + ix.max_other(lambda k: s[k]) - s[y]


def crammer_singer_of_margins(m, y, ix):
    """L_i = max(0, max_{j≠y_i} m_j), in the margins m_j = s_j − s_{y_i} + Δ of the hinge."""
    return Pos(ix.max_other(lambda k: m[k]))


def crammer_singer_sample(s, y, delta, ix):
    return Pos(crammer_singer_margin(s, y, delta, ix))


def crammer_singer_score_gradient(s, y, j, delta, ix):
    active = Step(crammer_singer_margin(s, y, delta, ix))
    return ix.cases(j, other=active * ix.argmax_other(lambda k: s[k], j), label=-active)


def crammer_singer_weights(S, y, delta):
    N, C = S.shape
    G = sp.zeros(N, C)
    for i in range(N):
        ix = ConcreteIndexing(C, y[i])  # row i's classes: the same running max as the derivation
        scores = [S[i, k] for k in range(C)]
        active = Step(crammer_singer_margin(scores, y[i], delta, ix))
        for k in range(C):
            G[i, k] = -active if k == y[i] else active * ix.argmax_other(scores.__getitem__, k)
    return G


def crammer_singer_reference(W, X, y, delta, kink):
    """Plain convention (S = X @ W, summed over samples, no regularizer), vectorized over samples.
    The classes are visited from the last to the first; each takes the maximum over unless the
    maximum so far beats it (weight 1 − 1[M − s > 0], 1 − κ at a tie), like the derivation."""
    N, C = X.shape[0], W.shape[1]
    rows = np.arange(N)
    S = X @ W
    M = np.full(N, -np.inf)  # the maximum over the other classes visited so far
    a = np.zeros((N, C))  # argmax weights
    for k in reversed(range(C)):
        other = y != k
        t = M - S[:, k]
        keeps = np.where(np.isneginf(M), 0.0, (t > 0) + kink * (t == 0))
        keeps = np.where(other, keeps, 1.0)  # the label is not visited
        a *= keeps[:, None]
        a[:, k] = (1 - keeps) * other
        M = np.where(other, np.maximum(M, S[:, k]), M)
    m = delta + M - S[rows, y]
    active = (m > 0) + kink * (m == 0)
    G = active[:, None] * a
    G[rows, y] -= active
    return float(np.maximum(0, m).sum()), X.T @ G


CRAMMER_SINGER = register(
    Loss(
        name="crammer-singer",
        title="Crammer–Singer multiclass hinge loss",
        description="Crammer–Singer: L_i = max(0, Δ + max_{j≠y_i} s_j − s_{y_i})",
        sample=crammer_singer_sample,
        score_gradient=crammer_singer_score_gradient,
        weights=crammer_singer_weights,
        reference=crammer_singer_reference,
        weights_name="G",
        intro="The Crammer–Singer hinge asks the correct class's score s_{y_i} to beat only the "
        "best other score by the margin Δ: one hinge per sample, on the most offending class.",
        gradient_words="The one hinge is active when the margin of the most offending class is positive; it "
        "moves with the score of that class (the argmax of the other scores; at a tie the kink convention "
        "chooses: if 1[0] is 0, the first maximiser takes it) and against the label's score:",
        translations=(
            LossWords(
                "zh",
                title="Crammer–Singer 多类合页损失",
                intro="Crammer–Singer 合页损失只要求正确类别的得分 s_{y_i} 比其余类别中最高的得分高出间隔 Δ：每个样本"
                "只有一个合页，作用在违反最严重的那个类别上。",
                gradient_words="当违反最严重的类别的间隔为正时，这唯一的合页被激活：它随该类别的得分"
                "（其余得分的 argmax；并列时由不可导点的约定决定，取 1[0]=0 时归第一个最大者）正向变化，"
                "随正确类别的得分反向变化：",
            ),
        ),
        correct_class_term=None,
        margin_route=MarginRoute(margin=hinge_margin, of_margins=crammer_singer_of_margins),
    )
)
