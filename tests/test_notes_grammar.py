"""The grammar of notes: (LaTeX source, expression) pairs, built by hand here, and the tokens it
refuses, named."""

import pytest
import sympy as sp

from symderiv.notes.objects import Deriv, Indicator, NoteMax, NoteNorm, NoteSum, Tr
from symderiv.notes.parse import ONE, NotUnderstood, parse_expr, parse_rows

s, y, x, w, L, f, S, W_ = (sp.Function(n) for n in ("s", "y", "x", "w", "L", "f", "S", "W"))
i, j, k, l, u, v, m = sp.symbols("i j k l u v m")
Delta, lam, N = sp.Symbol("Delta"), sp.Symbol("lambda"), sp.Symbol("N")
W, X, M, P, Y = (sp.Symbol(n, commutative=False) for n in "WXMPY")
margin = s(j) - s(y(i)) + Delta
any_j = sp.And()  # a sum with no condition

CASES = [
    # scores, samples, labels, weights
    (r"s_j", s(j)),
    (r"s_{ij}", s(i, j)),
    (r"s_{y_i}", s(y(i))),
    (r"f_j", f(j)),
    (r"f(x_i; W)_j", f(i, j)),
    (r"f(x_i;W)_{y_i}", f(i, y(i))),
    (r"x_i w_j", x(i) * w(j)),
    (r"w_j^T x_i", Tr(w(j)) * x(i)),
    (r"x^{(i)}", x(i)),
    (r"y^{(i)}", y(i)),
    (r"S_j^{(i)}", S(i, j)),
    (r"w_{uv}", w(u, v)),
    (r"w_{uy_i}", w(u, y(i))),
    (r"x_{iu}", x(i, u)),
    (r"W_{k,l}^2", W_(k, l) ** 2),
    # margin, regularization, counts
    (r"\Delta", Delta),
    (r"Δ", Delta),
    (r"\delta", sp.Symbol("delta")),
    (r"\lambda", lam),
    (r"λ", lam),
    (r"\frac{1}{N}", 1 / N),
    (r"\tfrac{1}{2} \lambda", lam / 2),
    (r"0.5", sp.Rational(1, 2)),
    # max, indicators
    (r"\max(0, s_j - s_{y_i} + \Delta)", NoteMax(0, margin)),
    (r"\max\left(0, s_j - s_{y_i} + 1\right)^2", NoteMax(0, s(j) - s(y(i)) + 1) ** 2),
    (r"1(s_j - s_{y_i} + \Delta > 0)", Indicator(sp.Gt(margin, 0))),
    (r"\mathbb{1}(s_j - s_{y_i} + \Delta > 0)", Indicator(sp.Gt(margin, 0))),
    (r"\mathbb{1}[s_j - s_{y_i} + \Delta > 0]", Indicator(sp.Gt(margin, 0))),
    (r"\mathbf{1}\{s_j - s_{y_i} + \Delta > 0\}", Indicator(sp.Gt(margin, 0))),
    (r"I(s_j - s_{y_i} + \Delta > 0)", Indicator(sp.Gt(margin, 0))),
    (r"1[j = y_i]", Indicator(sp.Eq(j, y(i), evaluate=False))),
    # sums
    (r"\sum_{j \ne y_i} s_j", NoteSum(s(j), j, sp.Ne(j, y(i)))),
    (r"\sum_{j\neq y_i} s_j", NoteSum(s(j), j, sp.Ne(j, y(i)))),
    (r"\sum_{j=1, j \ne y_i}^{C} s_j", NoteSum(s(j), j, sp.Ne(j, y(i)))),
    (r"\sum\limits_{j\ne y_i} s_j", NoteSum(s(j), j, sp.Ne(j, y(i)))),
    (r"\sum_j e^{s_j}", NoteSum(sp.exp(s(j)), j, any_j)),
    (r"\sum_k \sum_l W_{k,l}^2", NoteSum(NoteSum(W_(k, l) ** 2, l, any_j), k, any_j)),
    (r"\sum_j a b + c", NoteSum(sp.Symbol("a") * sp.Symbol("b"), j, any_j) + sp.Symbol("c")),
    # functions
    (r"e^{s_j}", sp.exp(s(j))),
    (r"\exp(s_j)", sp.exp(s(j))),
    (r"\log \sum_j e^{s_j}", sp.log(NoteSum(sp.exp(s(j)), j, any_j))),
    (r"\ln(s_j)", sp.log(s(j))),
    (
        r"-\log\left(\frac{e^{s_{y_i}}}{\sum_j e^{s_j}}\right)",
        -sp.log(sp.exp(s(y(i))) / NoteSum(sp.exp(s(j)), j, any_j)),
    ),  # fmt: skip
    (r"\|W\|^2", NoteNorm(W) ** 2),
    (r"\lVert W \rVert_F^2", NoteNorm(W) ** 2),
    # derivatives
    (r"\frac{\partial L_i}{\partial w_{uv}}", Deriv(L(i), w(u, v))),
    (r"\dfrac{\partial L_i}{\partial s_j}", Deriv(L(i), s(j))),
    (r"\frac{\partial L}{\partial W}", Deriv(sp.Symbol("L"), W)),
    (r"\nabla_{w_j} L_i", Deriv(L(i), w(j))),
    (r"\nabla_W L", Deriv(sp.Symbol("L"), W)),
    (
        r"\frac{\partial}{\partial s_{y_i}} \max(0, s_j - s_{y_i} + 1)",
        Deriv(NoteMax(0, s(j) - s(y(i)) + 1), s(y(i))),
    ),  # fmt: skip
    # matrix forms keep their order
    (r"X^\top M", Tr(X) * M),
    (r"X^T (P - Y)", Tr(X) * (P - Y)),
    (r"\frac{1}{N} X^\top (P - Y) + 2\lambda W", Tr(X) * (P - Y) / N + 2 * lam * W),
    # cases
    (
        r"\begin{cases} 1 & j \ne y_i \\ 0 & \text{otherwise} \end{cases}",
        sp.Piecewise((1, sp.Ne(j, y(i))), (0, True)),
    ),  # fmt: skip
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parses_to(source, expected):
    assert parse_expr(source) == expected


def test_the_indicator_one_is_its_own_name():
    assert parse_expr(r"\mathbb{1}") == ONE


def test_relations_and_rows():
    rows = parse_rows("L_i &= a \\\\\n &= b")
    assert [r.line for r in rows] == [1, 2]
    assert [k for k, _ in rows[0].parts] == ["expr", "rel", "expr"]
    assert rows[1].parts[0] == ("rel", "=")
    (row,) = parse_rows(r"W \in \mathbb{R}^{D \times C}")
    assert row.parts[1] == ("rel", "∈")
    assert row.parts[2][1] == sp.Function("ℝ")(sp.Symbol("D"), sp.Symbol("C"))  # the shape, in its order


def test_prose_between_two_formulas_splits_them():
    (row,) = parse_rows(r"L_i = a \quad \text{or equivalently} \quad L_i = b")
    exprs = [p for k, p in row.parts if k == "expr"]
    assert len(exprs) == 3 and type(exprs[1]).__name__ == "Split"


@pytest.mark.parametrize(
    ("source", "token"),
    [
        (r"s_j \foo", r"\foo"),
        (r"a + \cdots + b", r"\cdots"),
        (r"S_j'' - 1", "'"),
        (r"\min_j s_j", r"\min"),
        (r"\begin{pmatrix} a & b \\ c \end{pmatrix}", "pmatrix"),
        (r"\widetilde{X}", r"\widetilde"),
        (r"a + ", "end of formula"),
        ("s_j @ 2", "'@'"),
    ],
)
def test_what_it_cannot_read_is_named(source, token):
    with pytest.raises(NotUnderstood, match=token.replace("\\", "\\\\")):
        parse_expr(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [(r"2 \cdot reg \cdot W", 2 * lam * W), (r"\mathrm{reg}\, W", lam * W), (r"s_j + delta", s(j) + Delta)],
)
def test_the_code_names_of_lambda_and_delta(source, expected):
    assert parse_expr(source) == expected
