# ruff: noqa: E501 - the notes are the reports' own long lines of LaTeX
"""The layout of the reports' math, read by ``symderiv verify`` on notes written for this test (issue 11):
``align*`` with one relation per row and chains of rows (``&= …``), rows broken at + and − (``&\\quad {} + …``)
and inside a parenthesis (``\\Bigl( … \\cr &\\qquad {} - … \\Bigr)``), TeX's ``\\\\*``, a concrete example
counted from 1 (sample 1, its scores s_1 … s_C, its loss L_1), entries defined at concrete indices
(m_{1,3} = …), an undefined shift c_i, and values written in a sentence ($c_i = 3$).

Each right claim is proved, each wrong one refuted, and an ambiguous one is never refuted; the verdicts
are the mathematics of the claims as written."""

from __future__ import annotations

import symderiv

HINGE = r"""
Scores $s_{ij} = \sum_l x_{il} w_{lj}$ with $W \in \mathbb{R}^{D \times C}$.

$$
L_i = \sum_{k \ne y_i} \max(0, s_{ik} - s_{iy_i} + \Delta)
$$

$$
L = \frac{1}{N} \sum_i L_i + \lambda \sum_k \sum_l W_{kl}^2
$$
"""

BROKEN_PAREN = r"""
For the label's own score, $j = y_i$:

$$
\begin{align*} \frac{\partial L_i}{\partial s_{ij}} &= \Bigl(\left(1 - \mathbf{1}[j = y_i]\right) \mathbf{1}[s_{ij} - s_{iy_i} + \Delta > 0] \tag{1} \cr
&\qquad {} SIGN \mathbf{1}[j = y_i] \sum_{k \ne y_i} \mathbf{1}[s_{ik} - s_{iy_i} + \Delta > 0]\Bigr) \end{align*}
$$
"""

CONTINUED = r"""
$$
\begin{align*} \frac{\partial L}{\partial w_{uv}} &= \frac{1}{N} \sum_i x_{iu} \frac{\partial L_i}{\partial s_{iv}} \tag{2} \cr
&\quad {} + FACTOR \lambda w_{uv} \end{align*}
$$
"""


def verdicts(note: str, tex: bool = False) -> list[str]:
    return [c.verdict for c in symderiv.verify_notes(note, tex=tex).claims]


def test_a_parenthesis_broken_over_two_rows_is_one_formula():
    assert verdicts(HINGE + BROKEN_PAREN.replace("SIGN", "-")) == ["proved"]
    assert verdicts(HINGE + BROKEN_PAREN.replace("SIGN", "+")) == ["refuted"]
    for big in (("\\bigl(", "\\bigr)"), ("\\biggl(", "\\biggr)")):
        note = BROKEN_PAREN.replace("SIGN", "-").replace("\\Bigl(", big[0]).replace("\\Bigr)", big[1])
        assert verdicts(HINGE + note) == ["proved"]


def test_a_row_that_goes_on_with_plus_continues_the_relation_above():
    assert verdicts(HINGE + CONTINUED.replace("FACTOR", "2")) == ["proved"]
    assert verdicts(HINGE + CONTINUED.replace("FACTOR", "")) == ["refuted"]
    assert verdicts(HINGE + CONTINUED.replace("FACTOR", "2").replace("\\quad", "\\qquad\\quad")) == ["proved"]


def test_tex_rows_with_a_star_and_relations_with_their_own_left_sides():
    tex = r"""
\[ s_{ij} = \sum_l x_{il} w_{lj}, \quad W \in \mathbb{R}^{D \times C} \]
\[ L_i = \sum_{k \ne y_i} \max(0, s_{ik} - s_{iy_i} + \Delta) \]
\begin{align*}
\frac{\partial L_i}{\partial s_{ij}} &= \mathbf{1}[s_{ij} - s_{iy_i} + \Delta > 0] \quad (j \ne y_i) \tag{1} \\
\frac{\partial s_{ij}}{\partial w_{uv}} &= x_{iu} \mathbf{1}[j = v] \tag{2} \\*
  &= x_{iu} \mathbf{1}[v = j] \tag{3} \\
\frac{\partial L_i}{\partial s_{iy_i}} &= - \sum_{k \ne y_i} \mathbf{1}[s_{ik} - s_{iy_i} + \Delta > 0] \tag{4}
\end{align*}
"""
    assert verdicts(tex, tex=True) == ["proved"] * 4
    assert verdicts(tex.replace("&= - \\sum", "&= \\sum"), tex=True) == ["proved"] * 3 + ["refuted"]


CONCRETE = r"""
The loss of sample $i$ is $L_i = \sum_{j \ne y_i} \max(0, s_{ij} - s_{iy_i} + \Delta)$ with $s_{ij} = x_i w_j$,
$W \in \mathbb{R}^{D \times C}$, at $D = 3$, $C = 3$, $N = 2$ with labels $y = (2, 1)$.

For sample $1$ (label $y_1 = 2$), whose scores we write $s_1, \dots, s_{3}$ and whose loss is $L_{1}$:

$$
\begin{align*} \frac{\partial L_{1}}{\partial s_{1}} &= \mathbf{1}\left[s_{1} - s_{2} + \Delta \gt 0\right] \tag{1} \cr
\frac{\partial L_{1}}{\partial s_{2}} &= - \mathbf{1}\left[s_{1} - s_{2} + \Delta \gt 0\right] - \mathbf{1}\left[s_{3} - s_{2} + \Delta \gt 0\right] \tag{2} \cr
\frac{\partial L_{1}}{\partial s_{3}} &= \mathbf{1}\left[s_{3} - s_{2} + \Delta \gt 0\right] \tag{3} \end{align*}
$$

With the margins $m_{1,1} = s_{1,1} - s_{1,2} + \Delta$, $m_{1,3} = s_{1,3} - s_{1,2} + \Delta$:

$$
\begin{align*} \left[\begin{matrix}\frac{\partial L_{1}}{\partial s_{1,1}} & \frac{\partial L_{1}}{\partial s_{1,2}} & \frac{\partial L_{1}}{\partial s_{1,3}}\end{matrix}\right] &= \left[\begin{matrix}\mathbf{1}\left[m_{1,1} \gt 0\right] & \mathbf{1}\left[m_{1,3} \gt 0\right]\end{matrix}\right] \left[\begin{matrix}1 & -1 & 0\cr 0 & -1 & 1\end{matrix}\right] \tag{4} \end{align*}
$$

and $\frac{\partial L_{1}}{\partial w_{3,1}} = x_{1,3} \mathbf{1}\left[m_{1,1} \gt 0\right]$.
"""


def test_a_concrete_example_counted_from_one():
    assert verdicts(CONCRETE) == ["proved"] * 6  # y = (2, 1), (1)–(3), (4), ∂L_1/∂w_31
    wrong = CONCRETE.replace(r"\frac{\partial L_{1}}{\partial s_{3}} &= \mathbf{1}\left[s_{3} - s_{2}",
                             r"\frac{\partial L_{1}}{\partial s_{3}} &= \mathbf{1}\left[s_{3} - s_{1}")  # fmt: skip
    assert verdicts(wrong)[3] == "refuted"
    # the product in the other order is no claim about these matrices (a 3×2 times a 1×2): not refuted
    swapped = CONCRETE.replace(r"\left[\begin{matrix}\mathbf{1}\left[m_{1,1} \gt 0\right] & \mathbf{1}\left[m_{1,3} \gt 0\right]\end{matrix}\right] \left[\begin{matrix}1 & -1 & 0\cr 0 & -1 & 1\end{matrix}\right]",
                               r"\left[\begin{matrix}1 & -1 & 0\cr 0 & -1 & 1\end{matrix}\right] \left[\begin{matrix}\mathbf{1}\left[m_{1,1} \gt 0\right] & \mathbf{1}\left[m_{1,3} \gt 0\right]\end{matrix}\right]")  # fmt: skip
    assert verdicts(swapped)[4] == "not understood"
    # an entry defined at concrete indices is used only there
    assert verdicts(CONCRETE.replace("x_{1,3} \\mathbf{1}\\left[m_{1,1}", "x_{1,3} \\mathbf{1}\\left[m_{1,2}"))[5] == (
        "not understood"
    )


def test_the_concrete_example_in_chinese_takes_the_labels_of_the_note():
    zh = CONCRETE.replace(
        "For sample $1$ (label $y_1 = 2$), whose scores we write $s_1, \\dots, s_{3}$ and whose loss is $L_{1}$:",
        "样本 $1$（标签 $y_1 = 2$）的得分记作 $s_1, \\dots, s_{3}$，损失为 $L_{1}$；它对各个得分的导数：",
    )
    assert zh != CONCRETE
    assert verdicts(zh)[:4] == ["proved"] * 4


SHIFT = r"""
The loss is $L_i = -s_{iy_i} + \log \sum_k e^{s_{ik}}$ with $s_{ij} = x_i w_j$. Stable code subtracts the same
number $c_i$ from every score of sample $i$:

$$
\begin{align*} L_{i} &= - s_{iy_{i}} + \log{\left(\sum_{k} e^{s_{ik}} \right)} \tag{1} \cr
&= - s_{iy_{i}} + c_{i} + \log{\left(\sum_{k} e^{s_{ik} - c_{i}} \right)} \tag{2} \end{align*}
$$

$$
\frac{e^{s_{ij} - c_{i}}}{\sum_{k} e^{s_{ik} - c_{i}}} = \frac{e^{s_{ij}}}{\sum_{k} e^{s_{ik}}} \tag{3}
$$

Shifting only the numerator is not the same unless $c_{i} = 0$; at the scores $(3, 1, 2)$ with $c_{i} = 3$ it
is much smaller.
"""


def test_the_shift_by_any_number_and_values_in_a_sentence():
    assert verdicts(SHIFT) == ["proved"] * 3  # (1), (2) = (1)'s left side, (3); c_i = 0 and c_i = 3 are values
    wrong = SHIFT.replace(r"{\sum_{k} e^{s_{ik} - c_{i}}} = ", r"{\sum_{k} e^{s_{ik}}} = ")
    assert verdicts(wrong) == ["proved", "proved", "not understood"]  # holds only at c_i = 0: never refuted
