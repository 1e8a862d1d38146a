"""The claims a derivation proves; wrong closed forms are caught and identified; kinks follow the
chosen convention in the generated NumPy."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

import symderiv
from symderiv import Step, losses

STATEMENTS = {  # the core claims, by their stable ids (symderiv.proof.CLAIM_IDS)
    "cases": "closed-form.score-gradient",
    "routes": "derivative.routes-agree",
    "per-element": "closed-form.per-element",
    "matrix": "closed-form.matrix-weights",
    "points": "evidence.random-points",
}


def claim(d, key):
    found = [c for c in d.claims if c.id == STATEMENTS[key]]
    assert len(found) == 1, [c.id for c in d.claims]
    return found[0]


def failing(d):
    return {key for key in STATEMENTS if not claim(d, key).holds}


@pytest.mark.parametrize("name", ["hinge", "squared-hinge", "softmax"])
def test_each_claim_holds_and_says_how(name):
    d = symderiv.derive(name, D=2, C=3, N=2, y=[1, 1])
    assert d.proved is True
    for key in STATEMENTS:
        c = claim(d, key)
        assert c.holds is True
        assert c.method
        assert c.counterexample is None
        assert c.line().startswith("proved")
    assert d.label_patterns == 9  # 3**2 ≤ 64: every label pattern was proved
    assert "all 9 label patterns" in claim(d, "per-element").detail


def test_indicators_are_explicit_never_heaviside():
    d = symderiv.derive("hinge", D=2, C=3, N=2)
    for expr in (d.score_gradient, d.gradient_direct, d.gradient, d.closed_form, d.matrix_form):
        assert not expr.has(sp.Heaviside)
        assert expr.has(Step)


# ------------------------------------------------------------------ deliberately wrong closed forms


def hinge_label_sign_slip(s, y, j, delta, ix):  # +Σ 1[·] at the label column: the minus sign lost
    return ix.cases(j, other=Step(s[j] - s[y] + delta), label=ix.sum_other(lambda k: Step(s[k] - s[y] + delta)))


def hinge_label_includes_y(s, y, j, delta, ix):  # −Σ_j 1[·] over every j, the j = y_i term included
    return ix.cases(j, other=Step(s[j] - s[y] + delta), label=-ix.sum_all(lambda k: Step(s[k] - s[y] + delta)))


def hinge_weights_label_sign_slip(S, y, delta):
    M = losses.get("hinge").weights(S, y, delta)
    for i in range(S.shape[0]):
        M[i, y[i]] = -M[i, y[i]]
    return M


def softmax_weights_without_minus_one(S, y, delta):  # P instead of P − Y
    E = S.applyfunc(sp.exp)
    return sp.Matrix(S.shape[0], S.shape[1], lambda i, j: E[i, j] / sum(E.row(i)))


@pytest.fixture
def temporary_loss():
    """Register a variant of a built-in under a new name; unregister it afterwards."""
    added = []

    def make(base, name, **changes):
        loss = dataclasses.replace(losses.get(base), name=name, **changes)
        symderiv.register(loss)
        added.append(name)
        return loss

    yield make
    for name in added:
        losses.unregister(name)


@pytest.mark.parametrize(
    "base,changes,wrong",
    [
        ("hinge", {"score_gradient": hinge_label_sign_slip}, {"cases", "per-element"}),
        ("hinge", {"score_gradient": hinge_label_includes_y}, {"cases", "per-element"}),
        ("hinge", {"weights": hinge_weights_label_sign_slip}, {"matrix", "points"}),
        ("softmax", {"weights": softmax_weights_without_minus_one}, {"matrix", "points"}),
    ],
    ids=["label-sign", "j=y-included", "weights-label-sign", "softmax-without-minus-one"],
)
def test_wrong_closed_form_is_not_proved_and_the_claim_is_named(temporary_loss, base, changes, wrong):
    loss = temporary_loss(base, f"{base}-wrong-{len(changes)}-{sorted(changes)[0]}", **changes)
    d = symderiv.derive(loss.name, D=2, C=3, N=2, y=[0, 2])
    assert d.proved is False
    assert failing(d) == wrong
    assert "NOT PROVED" in d.summary()
    for key in wrong:
        assert claim(d, key).line().startswith("FAILED")


def test_wrong_matrix_form_gives_a_genuine_exact_counterexample(temporary_loss):
    loss = temporary_loss("hinge", "hinge-wrong-weights", weights=hinge_weights_label_sign_slip)
    wrong = symderiv.derive(loss, D=2, C=3, N=2, y=[0, 2], points=5)
    right = symderiv.derive("hinge", D=2, C=3, N=2, y=[0, 2])
    ce = claim(wrong, "points").counterexample
    assert ce is not None
    assert set(ce) >= {"entry", "derived", "claimed", "point"}
    assert isinstance(ce["derived"], sp.Rational) and isinstance(ce["claimed"], sp.Rational)
    assert ce["derived"] != ce["claimed"]
    assert all(isinstance(v, sp.Rational) for v in ce["point"].values())
    # re-evaluate independently: substitute the point (by symbol name) into both matrices
    u, v = (int(t) for t in ce["entry"].strip("w[]").split(","))

    def at_point(expr):
        expr = right.in_weights(expr)
        value = expr.xreplace({s: ce["point"][str(s)] for s in expr.free_symbols})
        return sp.nsimplify(value)

    assert at_point(right.gradient[u, v]) == ce["derived"]
    assert at_point(wrong.matrix_form[u, v]) == ce["claimed"]


def test_registered_wrong_loss_is_found_by_name(temporary_loss):
    temporary_loss("hinge", "hinge-slip", score_gradient=hinge_label_sign_slip)
    assert "hinge-slip" in losses.names()
    assert symderiv.derive("hinge-slip", D=2, C=2, N=1).proved is False


# ------------------------------------------------------------------------------ kinks


def kink_problem(layout):
    """One sample with scores s = (2, 3, 1), label 0, Δ = 1: margins 2 (class 1) and exactly 0
    (class 2). Only feature 0 is non-zero, so row 0 of dL/dW is ∂L/∂s."""
    W_xw = np.array([[2.0, 3.0, 1.0], [5.0, -4.0, 7.0]])
    X_xw = np.array([[1.0, 0.0]])
    if layout == "XW":
        return W_xw, X_xw
    return W_xw.T, X_xw.T


@pytest.mark.parametrize("layout", ["XW", "WX"])
@pytest.mark.parametrize("kink,value", [("0", 0.0), ("1/2", 0.5), ("1", 1.0)])
@pytest.mark.parametrize("delta", [1, None])
def test_hinge_at_a_kink_uses_the_chosen_indicator_value(layout, kink, value, delta):
    d = symderiv.derive(
        "hinge", D=2, C=3, N=1, y=[0], layout=layout, regularizer="none", reduction="sum", delta=delta, kink=kink
    )
    assert d.proved is True
    W, X = kink_problem(layout)
    grad = d.numpy_gradient(W, X, 0.0, None if delta else 1.0)
    want = np.array([[-(1.0 + value), 1.0, value], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(grad, want if layout == "XW" else want.T)
    assert d.numpy_loss(W, X, 0.0, None if delta else 1.0) == 2.0
    _, ref = losses.get("hinge").reference(*kink_problem("XW"), np.array([0]), 1.0, value)
    np.testing.assert_array_equal(ref, want)


@pytest.mark.parametrize("kink", ["0", "1/2", "1"])
def test_squared_hinge_at_a_kink_is_differentiable(kink):
    d = symderiv.derive("squared-hinge", D=2, C=3, N=1, y=[0], regularizer="none", reduction="sum", delta=1, kink=kink)
    assert d.proved is True
    W, X = kink_problem("XW")
    np.testing.assert_array_equal(d.numpy_gradient(W, X), [[-4.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
    assert d.numpy_loss(W, X) == 4.0


def test_kink_with_repeated_labels_and_mean():
    """Two samples with the same label, each with one margin exactly 0, averaged, with 2λW."""
    d = symderiv.derive("hinge", D=1, C=2, N=2, y=[1, 1], delta=1, kink="1/2")
    W = np.array([[1.0, 2.0]])  # s_i = x_i · (1, 2)
    X = np.array([[1.0], [-1.0]])  # margins: 1 − 2 + 1 = 0, and −1 + 2 + 1 = 2
    grad = d.numpy_gradient(W, X, 0.25)
    # ∂L/∂s: sample 0 → (½, −½), sample 1 → (1, −1); dW = Xᵀ G / 2 + 2λW
    want = (np.array([[0.5, -0.5]]) * 1.0 + np.array([[1.0, -1.0]]) * -1.0) / 2 + 2 * 0.25 * W
    np.testing.assert_array_equal(grad, want)
