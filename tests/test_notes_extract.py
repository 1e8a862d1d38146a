"""Finding the math in a note: delimiters, line numbers, the prose before an equation; and a note of
any text never ends in a traceback."""

from hypothesis import given, settings
from hypothesis import strategies as st

import symderiv
from symderiv.notes.extract import prose_runs, scan

MARKDOWN = """# Title

Inline $a = b$ and an escaped \\$5, then `code with $x$`.

```python
s = "$not math$"
```

For $j \\ne y_i$:

$$
L_i = 1
$$

\\[ c = d \\]

\\begin{align}
e &= f \\\\
  &= g
\\end{align}
"""


def test_delimiters_lines_and_display():
    found = scan(MARKDOWN)
    assert [(m.latex.strip(), m.line, m.display) for m in found] == [
        ("a = b", 3, False),
        ("j \\ne y_i", 9, False),
        ("L_i = 1", 12, True),  # the line of the content, not of the $$
        ("c = d", 15, True),
        ("\\begin{aligned}\ne &= f \\\\\n  &= g\n\\end{aligned}", 18, True),
    ]


def test_the_prose_before_an_equation_is_its_paragraph():
    found = scan(MARKDOWN)
    assert found[2].context == "For $j \\ne y_i$:"
    assert found[3].context == ""  # nothing between two displays


def test_latex_comments_are_skipped():
    found = scan("% $a = b$\n\\begin{equation}\nc = d % not e\n\\end{equation}\n", tex=True)
    assert [m.line for m in found] == [3]


def test_plain_text_conditions():
    assert prose_runs("当 j≠y_i 时，有") == ["j≠y_i"]
    assert prose_runs("对于所有 $v \\ne y_i$ 的项") == []  # inline math is read as math, not prose


def test_rows_of_an_align_environment_are_claims_on_their_own_lines():
    note = "$$L_i = \\sum_{j \\ne y_i} \\max(0, s_j - s_{y_i} + \\Delta)$$\n\n" + (
        "\\begin{align}\n\\frac{\\partial L_i}{\\partial s_{y_i}} &= -\\sum_{j \\ne y_i} 1(s_j - s_{y_i} + \\Delta > 0)"
        " \\\\\n &= \\sum_{j \\ne y_i} 1(s_j - s_{y_i} + \\Delta > 0)\n\\end{align}\n"
    )
    result = symderiv.verify_notes(note)
    assert [(c.line, c.verdict) for c in result.claims] == [(4, "proved"), (5, "refuted")]


TOKENS = st.sampled_from(
    ["$", "$$", "\\[", "\\]", "\n", " ", "L_i", "=", "s_j", "s_{y_i}", "\\sum_{j \\ne y_i}", "\\max(0,", ")", "(",
     "\\frac{\\partial L_i}{\\partial s_j}", "\\Delta", "+", "-", "1[", "]", "\\mathbb{1}", "x_i", "w_j", "{", "}",
     "^", "_", "\\begin{cases}", "\\end{cases}", "&", "\\\\", "当", "j≠y_i", "\\text{if}", "W", "\\in", "\\mathbb{R}",
     "\\begin{aligned}", "\\end{aligned}", "\\nabla_W", "L", "dW", "\\log", "e^{", "p_j", "/", "\\partial"]
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_any_text_gives_verdicts_never_a_traceback(text):
    result = symderiv.verify_notes(text)
    for c in result.claims:
        assert c.verdict in ("proved", "refuted", "not understood")
        assert c.line >= 1
