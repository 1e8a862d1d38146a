"""The constructs ``symderiv verify`` reads since the dogfood work (issue 11), each on a note written for
this test, with a right claim (proved) beside a wrong one (refuted), or an ambiguous one (not understood):
conventions stated as equations (1[0] = κ, y = (…)), max and argmax over an index, matrices written out
with elisions, vectors (∂L_i/∂s_i, x_i) in an outer product, the bias trick from W's shape, Markdown-safe
spellings (\\gt, \\cr), \\boxed, placeholders (1[·]), and a count letter given a value.

Every expected verdict is the mathematics of the claim as written."""

from __future__ import annotations

import symderiv

HINGE = r"""
Scores $s_{ij} = \sum_l x_{il} w_{lj}$ with $W \in \mathbb{R}^{D \times C}$.

$$
L_i = \sum_{k \ne y_i} \max(0, s_{ik} - s_{iy_i} + \Delta)
$$
"""


def verdicts(note: str) -> dict[int, tuple[str, str]]:
    return {c.line: (c.verdict, c.reason) for c in symderiv.verify_notes(note).claims}


def only(note: str) -> list[str]:
    return [c.verdict for c in symderiv.verify_notes(note).claims]


def test_the_kink_convention_is_a_checked_convention():
    # 1[0] = 0 is proved as the convention the claims are then derived with; 1[0] = 2 is no subgradient's
    assert only(HINGE + "\nAt a kink we take $\\mathbf{1}[0] = 0$.\n") == ["proved"]
    assert only(HINGE + "\nAt a kink we take $\\mathbf{1}[0] = \\frac{1}{2}$.\n") == ["proved"]
    assert only(HINGE + "\nAt a kink we take $\\mathbf{1}[0] = 2$.\n") == ["not understood"]
    # a second, different value: a contradiction or a hypothesis, never refuted
    note = HINGE + "\nWe take $\\mathbf{1}[0] = 0$. With $\\mathbf{1}[0] = 1$ instead, ties go the other way.\n"
    assert only(note) == ["proved", "not understood"]
    result = symderiv.verify_notes(HINGE + "\nWe take $\\mathbf{1}[0] = \\frac{1}{2}$.\n")
    assert result.conventions["kink"] == "1/2"


def test_example_labels_are_a_definition_checked_against_the_sizes():
    assert only("With $N = 2$, $C = 3$ and labels $y = (1, 0)$.") == ["proved"]
    assert only("With $N = 2$, $C = 3$ and labels $y = (1, 0, 2)$.") == ["refuted"]  # three labels, two samples
    assert only("With $N = 2$, $C = 3$ and labels $y = (5, 0)$.") == ["refuted"]  # no class 5 of 3
    assert only("Labels $y = (1, 0)$.") == ["proved"]


CRAMMER_SINGER = r"""
$$
L_i = \max\left(0, \max_{r \ne y_i} s_{ir} - s_{iy_i} + \Delta\right)
$$

For $j \ne y_i$:

$$
\frac{\partial L_i}{\partial s_{ij}} = \mathbf{1}\left[j = \operatorname{argmax}_{r \ne y_i} s_{ir}\right]
\mathbf{1}\left[\max_{r \ne y_i} s_{ir} - s_{iy_i} + \Delta \gt 0\right]
$$

For $j \ne y_i$:

$$
\frac{\partial L_i}{\partial s_{ij}} = \mathbf{1}\left[\max_{r \ne y_i} s_{ir} - s_{iy_i} + \Delta \gt 0\right]
$$

$$
\frac{\partial L_i}{\partial s_{iy_i}} = -\mathbf{1}\left[\max_{r \ne y_i} s_{ir} - s_{iy_i} + \Delta \gt 0\right]
$$
"""


def test_max_and_argmax_over_an_index():
    result = symderiv.verify_notes(CRAMMER_SINGER)
    assert result.loss == "crammer-singer"
    # the argmax indicator is right; without it every other class would get the gradient; the label's is right
    assert [c.verdict for c in result.claims] == ["proved", "refuted", "proved"]


SOFTMAX = r"""
$$
s_{ij} = \sum_l x_{il} w_{lj}
$$

$$
L_i = -s_{iy_i} + \log \sum_k e^{s_{ik}}
$$
"""


def test_matrices_written_out_with_elisions():
    right = r"""
$$
\frac{\partial L_i}{\partial s_i} = \begin{bmatrix} p_{i1} - \mathbf{1}[1 = y_i] \\ \vdots \\
p_{iC} - \mathbf{1}[C = y_i] \end{bmatrix}
$$

$$
\frac{\partial L_i}{\partial s_i} = \begin{bmatrix} p_{i1} & \cdots & p_{iC} \end{bmatrix}
$$
"""
    assert only(SOFTMAX + right) == ["proved", "refuted"]  # a row or a column; the label's −1 missing


def test_the_per_sample_outer_product():
    note = r"""
$$
\nabla_W L_i = x_i \left(\frac{\partial L_i}{\partial s_i}\right)^{\top}
$$

$$
\nabla_W L_i = \left(\frac{\partial L_i}{\partial s_i}\right) x_i^{\top}
$$
"""
    got = only(SOFTMAX + "\n$W \\in \\mathbb{R}^{D \\times C}$\n" + note)
    assert got[0] == "proved"
    assert got[1] == "not understood"  # C×1 times 1×D is C×D, not W's D×C: no reading fits


def test_the_bias_trick_from_the_shape_and_the_constant_feature():
    note = (
        HINGE.replace(r"W \in \mathbb{R}^{D \times C}", r"W \in \mathbb{R}^{(D + 1) \times C}")
        + r"""
$$
x_{iD} = 1
$$

$$
\frac{\partial L_i}{\partial w_{Dv}} = \mathbf{1}[s_{iv} - s_{iy_i} + \Delta \gt 0] \quad (v \ne y_i)
$$

$$
\frac{\partial L_i}{\partial w_{Dv}} = 2 \mathbf{1}[s_{iv} - s_{iy_i} + \Delta \gt 0] \quad (v \ne y_i)
$$
"""
    )
    result = symderiv.verify_notes(note)
    assert result.conventions["bias"] is True
    assert [c.verdict for c in result.claims] == ["proved", "proved", "refuted"]  # x_iD = 1 holds with the bias
    without = symderiv.verify_notes(note.replace("(D + 1)", "D").replace("x_{iD} = 1", "x_{i1} = x_{i1}"))
    assert without.conventions["bias"] is False and without.claims[1].verdict == "not understood"  # no feature D


def test_markdown_safe_spellings_boxed_and_placeholders():
    note = (
        HINGE
        + r"""
For $j \ne y_i$:

$$
\boxed{\frac{\partial L_i}{\partial s_{ij}} = \mathbf{1}\left[s_{ij} - s_{iy_i} + \Delta \gt 0\right]}
$$

$$
\begin{aligned} \frac{\partial L_i}{\partial s_{iy_i}} &= - \sum_{k \ne y_i} \mathbf{1}\left[s_{ik} - s_{iy_i}
+ \Delta \gt 0\right] \cr &= \sum_{k \ne y_i} \mathbf{1}\left[s_{ik} - s_{iy_i} + \Delta \gt 0\right] \end{aligned}
$$

The rules: $\mathbf{1}[\cdot]^2 = \mathbf{1}[\cdot]$ and $\mathbf{1}[\cdot]^2 = 2 \mathbf{1}[\cdot]$.
"""
    )
    assert only(note) == ["proved", "proved", "refuted", "proved", "refuted"]


def test_a_count_letter_given_a_value_is_never_refuted():
    note = (
        SOFTMAX
        + r"""
A common choice is $\log C = -\max_j s_{ij}$.
"""
    )
    (verdict, reason) = next(iter(verdicts(note).values()))
    assert verdict == "not understood" and "C" in reason


def test_argmax_spellings_and_a_row_of_an_entrywise_matrix():
    spellings = [r"\operatorname{argmax}", r"\arg\max", r"\operatorname*{arg\,max}"]
    for argmax in spellings:
        note = CRAMMER_SINGER.replace(r"\operatorname{argmax}", argmax)
        assert [c.verdict for c in symderiv.verify_notes(note).claims] == ["proved", "refuted", "proved"], argmax
    rows = r"""
$$
M_{ij} = \frac{\partial L_i}{\partial s_{ij}}
$$

$$
\nabla_W L_i = x_i M_i^{\top}
$$

$$
\nabla_W L_i = x_i M_i^{\top} + W
$$
"""
    assert only(HINGE + rows) == ["proved", "refuted"]


def test_the_margin_route_through_a_quantity_the_note_defines():
    note = (
        HINGE
        + r"""
The margins $m_{ij} = s_{ij} - s_{iy_i} + \Delta$.

$$
\frac{\partial L_i}{\partial s_{ik}} = \sum_{j \ne y_i} \frac{\partial L_i}{\partial m_{ij}}
\frac{\partial m_{ij}}{\partial s_{ik}}
$$

$$
\frac{\partial L_i}{\partial m_{ij}} = \mathbf{1}[m_{ij} \gt 0] \quad (j \ne y_i)
$$

$$
\frac{\partial L_i}{\partial m_{ij}} = m_{ij} \quad (j \ne y_i)
$$

$$
\frac{\partial m_{ij}}{\partial s_{ik}} = \mathbf{1}[j = k] - \mathbf{1}[k = y_i] \quad (j \ne y_i)
$$
"""
    )
    assert only(note) == ["proved", "proved", "refuted", "proved"]
    # softmax's L_i is no function of the margins alone: what ∂L_i/∂m_ij holds fixed is not said
    softmax = SOFTMAX + note[len(HINGE) :]
    assert only(softmax)[1] == "not understood"


def test_the_softmax_shift_by_the_row_maximum():
    note = r"""
$$
p_{ij} = \frac{e^{s_{ij} - \max_{k} s_{ik}}}{\sum_{k} e^{s_{ik} - \max_{r} s_{ir}}}
$$

$$
p_{ij} = \frac{e^{s_{ij} - \max_{k} s_{ik}}}{\sum_{k} e^{s_{ik}}}
$$
"""
    assert only(SOFTMAX + "\n$p_{ij} = \\frac{e^{s_{ij}}}{\\sum_k e^{s_{ik}}}$\n" + note) == ["proved", "refuted"]
