"""verify_formula: the notes' formulas are proved; the slips real notes make are refuted with an
exact counterexample that is checked here independently."""

from __future__ import annotations

import re

import pytest
import sympy as sp

import symderiv
from symderiv import InputError, Step, verify_formula


@pytest.fixture(scope="module")
def hinge():
    d = symderiv.derive("hinge", D=3, C=3, N=2, y=[2, 2])  # D = C, so the index slip x_iv is well formed
    assert d.proved
    return d


def score(d, i, j):
    """s_ij written out in the weights, as seed 000 does: x_i w_jᵀ = Σ_k x_ik w_kj (layout XW)."""
    return sum(d.X[i, k] * d.W[k, j] for k in range(d.D))


def seed000(d, i, *, label_sign=-1, include_label=False, feature=lambda u, v: (u,), indicator=Step):
    """Seed 000's ∂L_i/∂w_uv: 1[s_v − s_{y_i} + Δ > 0]·x_iu for v ≠ y_i and
    −(Σ_{j≠y_i} 1[s_j − s_{y_i} + Δ > 0])·x_iu for v = y_i; keywords reproduce the slips."""
    yi = d.y[i]

    def m(j):
        return score(d, i, j) - score(d, i, yi) + d.delta

    def f(u, v):
        x = d.X[i, feature(u, v)[0]]
        if v != yi:
            return indicator(m(v)) * x
        classes = [j for j in range(d.C) if include_label or j != yi]
        return label_sign * sum(indicator(m(j)) for j in classes) * x

    return f


def full(d, per_sample, reg=2):
    """dL/dW = (1/N) Σ_i ∂L_i/∂W + reg·λ·W as a Matrix in W's shape (layout XW)."""
    return sp.Matrix(
        d.W.shape[0],
        d.W.shape[1],
        lambda u, v: sp.Rational(1, d.N) * sum(per_sample(d, i)(u, v) for i in range(d.N)) + reg * d.lam * d.W[u, v],
    )


def genuine(d, verdict, formula_at, sample=None):
    """Re-evaluate a counterexample: the derived entry and the user's formula at the point."""
    ce = verdict.counterexample
    assert verdict.status == "refuted" and ce is not None
    u, v = (int(t) for t in re.search(r"w\[(\d+),(\d+)\]", ce["entry"]).groups())
    point = ce["point"]

    def at(expr):
        expr = d.in_weights(sp.sympify(expr))
        value = expr.xreplace({s: point[str(s)] for s in expr.free_symbols})
        value = value.replace(lambda e: isinstance(e, Step), lambda e: d.conventions.kink)  # only Step(0) is left
        return sp.nsimplify(value) if not value.has(sp.exp) else value.evalf(30)

    derived = at(d.entry(u, v)) if sample is None else at(d.X[sample, u] * d.score_gradient[sample, v])
    claimed = at(formula_at(u, v))
    for mine, theirs in ((derived, ce["derived"]), (claimed, ce["claimed"])):
        if mine.is_Rational:
            assert mine == theirs
        else:
            assert float(mine) == pytest.approx(float(theirs), rel=1e-15)
    assert ce["derived"] != ce["claimed"]
    return u, v, ce


# ------------------------------------------------------------------------------ proved


@pytest.mark.parametrize("i", [0, 1])
def test_seed000_per_element_callable_is_proved(hinge, i):
    verdict = verify_formula(hinge, seed000(hinge, i), sample=i)
    assert verdict.status == "proved", str(verdict)
    assert verdict.proved and bool(verdict)
    assert verdict.entries == 9


def test_seed000_in_score_symbols_is_proved(hinge):
    s, x, yi = hinge.S, hinge.X, hinge.y[0]

    def f(u, v):
        if v != yi:
            return Step(s[0, v] - s[0, yi] + hinge.delta) * x[0, u]
        return -sum(Step(s[0, j] - s[0, yi] + hinge.delta) for j in range(3) if j != yi) * x[0, u]

    assert verify_formula(hinge, f, sample=0).proved


def test_full_gradient_matrix_with_mean_and_2_lambda_W_is_proved(hinge):
    verdict = verify_formula(hinge, full(hinge, seed000))
    assert verdict.status == "proved", str(verdict)
    assert verdict.entries == 9


def test_single_entry_docstring_example():
    d = symderiv.derive("hinge", D=2, C=3, N=1, y=[0])
    s, x = d.S, d.X
    assert verify_formula(d, Step(s[0, 1] - s[0, 0] + d.delta) * x[0, 1], entry=(1, 1), sample=0).proved


def test_formulas_with_sympy_heaviside_are_accepted(hinge):
    assert verify_formula(hinge, seed000(hinge, 0, indicator=sp.Heaviside), sample=0).proved


def test_formulas_with_sympy_max_are_accepted():
    d = symderiv.derive("squared-hinge", D=2, C=3, N=1, y=[1])
    yi = 1

    def f(u, v):
        m = [d.S[0, j] - d.S[0, yi] + d.delta for j in range(3)]
        if v != yi:
            return 2 * sp.Max(0, m[v]) * d.X[0, u]
        return -2 * sum(sp.Max(0, m[j]) for j in range(3) if j != yi) * d.X[0, u]

    assert verify_formula(d, f, sample=0).proved


def test_by_loss_name_with_derive_options_layout_wx_bias():
    """Seed 001's convention: W is C×(D+1), S = W x, margin 1; the formula as a Matrix in W's shape."""
    d = symderiv.derive("hinge", D=2, C=3, N=2, y=[0, 1], layout="WX", bias=True, delta=1, regularizer="none")
    X = d.X  # (D+1)×N with the constant 1 in the last row

    def s(i, j):
        return sum(d.W[j, k] * X[k, i] for k in range(3))

    def g(i, j):  # ∂L_i/∂s_j
        yi = d.y[i]
        if j != yi:
            return Step(s(i, j) - s(i, yi) + 1)
        return -sum(Step(s(i, k) - s(i, yi) + 1) for k in range(3) if k != yi)

    formula = sp.Matrix(3, 3, lambda j, u: sp.Rational(1, 2) * sum(g(i, j) * X[u, i] for i in range(2)))
    assert verify_formula(d, formula).proved
    again = verify_formula(
        "hinge", formula, D=2, C=3, N=2, y=[0, 1], layout="WX", bias=True, delta=1, regularizer="none"
    )
    assert again.proved


# ------------------------------------------------------------------------------ refuted slips


def test_missing_2_lambda_W_is_refuted(hinge):
    formula = full(hinge, seed000, reg=0)
    verdict = verify_formula(hinge, formula)
    genuine(hinge, verdict, lambda u, v: formula[u, v])
    assert "counterexample" in str(verdict)


def test_lambda_W_instead_of_2_lambda_W_is_refuted(hinge):
    formula = full(hinge, seed000, reg=1)
    genuine(hinge, verify_formula(hinge, formula), lambda u, v: formula[u, v])


def test_wrong_sign_on_the_label_column_is_refuted(hinge):
    f = seed000(hinge, 0, label_sign=+1)
    u, v, _ = genuine(hinge, verify_formula(hinge, f, sample=0), f, sample=0)
    assert v == hinge.y[0]  # the counterexample is in the label column


def test_the_j_equals_y_term_included_is_refuted(hinge):
    f = seed000(hinge, 1, include_label=True)
    u, v, _ = genuine(hinge, verify_formula(hinge, f, sample=1), f, sample=1)
    assert v == hinge.y[1]


def test_index_slip_x_iv_instead_of_x_iu_is_refuted(hinge):
    f = seed000(hinge, 0, feature=lambda u, v: (v,))
    u, v, _ = genuine(hinge, verify_formula(hinge, f, sample=0), f, sample=0)
    assert u != v


def test_softmax_without_minus_one_at_the_label_is_refuted():
    d = symderiv.derive("softmax", D=2, C=3, N=1, y=[2])

    def p(v):
        return sp.exp(d.S[0, v]) / sum(sp.exp(d.S[0, k]) for k in range(3))

    def right(u, v):
        return (p(v) - (1 if v == 2 else 0)) * d.X[0, u]

    def slip(u, v):
        return p(v) * d.X[0, u]

    assert verify_formula(d, right, sample=0).proved
    u, v, ce = genuine(d, verify_formula(d, slip, sample=0), slip, sample=0)
    assert v == 2


# ------------------------------------------------------------------------------ refused input


def test_symbols_not_in_the_derivation_are_input_errors(hinge):
    z = sp.Symbol("z")
    with pytest.raises(InputError, match="not the derivation's"):
        verify_formula(hinge, lambda u, v: z * hinge.X[0, u], sample=0)
    # a look-alike symbol without the derivation's assumptions is a different symbol
    with pytest.raises(InputError, match="not the derivation's"):
        verify_formula(hinge, sp.Symbol("x_{0,0}") * 2, entry=(0, 0), sample=0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"formula": sp.Integer(0)}, "entry"),
        ({"formula": sp.Integer(0), "entry": (5, 0)}, "outside W"),
        ({"formula": sp.zeros(2, 2)}, "matrix"),
        ({"formula": sp.Integer(0), "entry": (0, 0), "sample": 7}, "sample"),
        ({"formula": sp.Integer(0), "entry": (0, 0), "D": 3}, "options"),
    ],
)
def test_bad_verify_input(hinge, kwargs, match):
    with pytest.raises(InputError, match=match) as info:
        verify_formula(hinge, **kwargs)
    assert "\n" not in str(info.value)
