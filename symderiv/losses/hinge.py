"""The multiclass SVM (hinge) loss of Weston and Watkins, as cs231n uses it — and the model for
adding a loss of your own: copy this file, change the four functions and the record, and import it.

A loss is ONE :class:`~symderiv.losses.base.Loss` record, registered on import:

* ``sample(s, y, delta, ix)`` — the per-sample loss L_i, in the scores ``s[j]`` of one sample with
  label ``y``. Sums over classes go through ``ix`` (``ix.sum_other`` is Σ_{j ≠ y_i}, ``ix.sum_all``
  is Σ_j; ``ix.max_other`` and ``ix.argmax_other`` are max_{j≠y_i} and its argmax indicator, see
  :mod:`.crammer_singer`; ``ix.classes`` is C), so the same definition serves concrete sizes (a loop
  over 0 … C−1) and the symbolic size of index notation. Use :class:`~symderiv.Pos` for max(0, ·)
  and :class:`~symderiv.Step` for the indicator 1[· > 0], so that the value at a kink stays a stated
  convention.
* ``score_gradient(s, y, j, delta, ix)`` — the closed form the notes give for ∂L_i/∂s_j, by cases
  with ``ix.cases(j, other=…, label=…)``; symderiv proves it equal to what it derives.
* ``weights(S, y, delta)`` — the weight matrix G of the matrix form dW = Xᵀ G / N + ∂R/∂W, built with
  matrix operations (proven too); ``weights_name`` is its name in the text ("M", "P - Y").
* ``reference(W, X, y, delta, kink)`` — a hand-written vectorized NumPy (layout XW, summed over
  samples, no regularizer) returning (Σ_i L_i, Σ_i ∂L_i/∂W): an independent check for the tests.

The rest are words for people: ``title``, ``description``, ``intro`` and ``gradient_words`` (report
prose, words only: every formula a report shows is printed from the derivation; ``translations`` holds
them in other languages, ``LossWords("zh", …)`` for a report in Chinese), and ``correct_class_term``
(how ``symderiv check`` recognises a loop that forgets to skip j = y_i; its messages print the proven
derivative, never typed formulas). ``uses_delta`` and
``kinky`` say whether the margin Δ and the indicator's kink convention matter; ``hyperparameters``
declares a loss's own (label smoothing's ε, see :mod:`.softmax_smoothed`).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..algebra.functions import Pos, Step
from .base import Loss, LossWords, MarginRoute, register

# ---------------------------------------------------------------- multiclass SVM (Weston–Watkins)


def hinge_sample(s, y, delta, ix):
    return ix.sum_other(lambda j: Pos(s[j] - s[y] + delta))


def hinge_margin(s, y, j, delta):
    """m_j = s_j − s_{y_i} + Δ, the margin of class j (seed 002's route goes through it)."""
    return s[j] - s[y] + delta


def hinge_of_margins(m, y, ix):
    """L_i = Σ_{j≠y_i} max(0, m_j), in the margins."""
    return ix.sum_other(lambda j: Pos(m[j]))


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
        intro="The multiclass SVM wants the score of the correct class y_i to beat every other "
        "score by a safety margin Δ; each class that does not costs the amount by which it "
        "falls short. Plotted against the margin, the loss is a hinge.",
        gradient_words="Each term of L_i is a hinge in its margin: its derivative is the indicator that the "
        "margin is positive, with a plus sign in s_ij and a minus sign in s_{iy_i}; the label's score "
        "appears in every term, so its derivative collects them all:",
        correct_class_term=lambda delta: max(0.0, delta),
        translations=(
            LossWords(
                "zh",
                title="多类 SVM 损失（合页损失）",
                intro="多类 SVM 希望正确类别 y_i 的得分比其他每个类别的得分都高出一个安全边际 Δ，"
                "没有做到的类别按差距计入损失。把损失画成间隔的函数，图像形如一个合页。",
                gradient_words="L_i 的每一项都是关于其间隔的合页函数：它的导数是间隔为正的指示函数，对 s_ij 取正号，"
                "对 s_{iy_i} 取负号；正确类别的得分出现在每一项中，所以它的导数把各项都汇总起来：",
            ),
        ),
        margin_route=MarginRoute(margin=hinge_margin, of_margins=hinge_of_margins),
    )
)
