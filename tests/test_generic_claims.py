"""The symbolic-size proof's claims are live, and its result is right (issue 9, item 3).

Each claim of ``derive_generic`` compares two things it builds; if its check were replaced by
``True`` the correct derivation would still read "proved". So each check is exercised here with one
ingredient deliberately wrong (a transposed score, a case with its sign flipped, a regularizer
with the wrong coefficient, a matrix form without its 1/N, a loss summed instead of averaged, a
bias gradient without the regularizer), and must fail. The result itself — ∂L/∂w_uv with its
1/N, regularizer and bias row — is evaluated at concrete sizes and compared with central finite
differences of a loss written here in NumPy, independently of symderiv.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

import symderiv
from symderiv import losses
from symderiv.conventions import LAMBDA
from symderiv.derive import generic as g

CLAIMS = {  # how each claim of the symbolic-size derivation begins
    "scores": "∂L_i/∂s_ij",
    "chain": "∂s_iq/∂w_",  # ∂s_iq/∂w_uv = x_iu 1[q = v] (∂s_iq/∂w_vu = x_ui 1[q = v] under WX)
    "cases": "the cases",
    "regularizer": "∂R/∂w[",  # printed from the proof: ∂R/∂w[u,v] = 2*λ*w[u,v] (w[v,u] under WX)
    "matrix": "∂L/∂W =",  # the matrix form, printed: ∂L/∂W = Xᵀ M / N + 2 λ W
    "whole loss": "∂L/∂w_uv of the whole loss",
    "bias": "bias trick",
}


def failing(d) -> set[str]:
    """The names of the claims of ``d`` that do not hold."""
    names = {name for name, prefix in CLAIMS.items() for cl in d.claims if cl.statement.startswith(prefix)}
    assert len(names) == len(d.claims)  # every claim is one of the known ones
    return {
        name for name, prefix in CLAIMS.items() for cl in d.claims if cl.statement.startswith(prefix) and not cl.holds
    }


def test_the_correct_derivation_proves_every_claim():
    for options in ({}, {"bias": True}, {"reduction": "sum", "regularizer": "none"}, {"layout": "WX", "bias": True}):
        d = symderiv.derive("hinge", **options)
        assert failing(d) == set() and d.proved


# ------------------------------------------------------------------ each check fails on a wrong input


@pytest.mark.parametrize("layout", ["XW", "WX"])
def test_chain_rule_claim_fails_for_a_transposed_score(monkeypatch, layout):
    def transposed(c, feature_hi, sample):  # s_iq = Σ_l x_il w_ql: W indexed the wrong way round
        score, weight, feature = original(c, feature_hi, sample)
        return score.xreplace({g.w[g.l, g.q]: g.w[g.q, g.l], g.w[g.q, g.l]: g.w[g.l, g.q]}), weight, feature

    original = g._score
    monkeypatch.setattr(g, "_score", transposed)
    d = symderiv.derive("hinge", layout=layout)
    assert "chain" in failing(d) and not d.proved


def test_chain_rule_claim_fails_for_a_wrong_feature(monkeypatch):
    original = g._score
    monkeypatch.setattr(g, "_score", lambda c, hi, n: (*original(c, hi, n)[:2], g.x[n, g.v]))  # x_iv for x_iu
    d = symderiv.derive("squared-hinge")
    assert "chain" in failing(d) and not d.proved


@pytest.mark.parametrize("wrong", ["label sign", "other kept δ as 1"])
def test_cases_claim_fails_for_a_wrong_case(monkeypatch, wrong):
    original = g.split_cases

    def split(element):
        cases = original(element)
        if wrong == "label sign":
            return {**cases, "label": -cases["label"]}
        return {**cases, "other": element.xreplace({sp.KroneckerDelta(g.v, g.y[g.i]): 1})}

    monkeypatch.setattr(g, "split_cases", split)
    d = symderiv.derive("hinge")
    assert failing(d) == {"cases"} and not d.proved


@pytest.mark.parametrize("regularizer", ["l2", "half-l2"])
def test_regularizer_claim_fails_for_a_wrong_regularizer(monkeypatch, regularizer):
    original = g._regularizer
    monkeypatch.setattr(g, "_regularizer", lambda c, hi: original(c, hi) / 2)  # λΣw²/2 where λΣw² is meant
    d = symderiv.derive("softmax", regularizer=regularizer)
    assert {"regularizer", "whole loss"} <= failing(d) and not d.proved


def test_regularizer_claim_fails_for_a_transposed_regularizer(monkeypatch):
    def transposed(c, hi):  # Σ_ab w_ba² over a feature, b class: W read with its indices swapped
        return c.reg.coefficient * LAMBDA * sp.Sum(g.w[g.b, g.a] ** 2, (g.a, 0, hi), (g.b, 0, g.C - 1))

    monkeypatch.setattr(g, "_regularizer", transposed)
    d = symderiv.derive("hinge", layout="XW")
    assert "regularizer" in failing(d) and not d.proved


@pytest.mark.parametrize("layout", ["XW", "WX"])
def test_matrix_claim_fails_without_the_one_over_n(monkeypatch, layout):
    original = g._matrix_entry

    def summed(c, mf, closed):  # the matrix form of the sum reduction, where the mean is meant
        return original(c, g.matrix_form(losses.get("hinge"), dataclasses.replace(c, reduction="sum")), closed)

    monkeypatch.setattr(g, "_matrix_entry", summed)
    d = symderiv.derive("hinge", layout=layout, reduction="mean")
    assert failing(d) == {"matrix"} and not d.proved


def test_matrix_claim_fails_for_a_transposed_product(monkeypatch):
    original = g._matrix_entry

    def transposed(c, mf, closed):  # the (v, u) entry where the (u, v) one is meant
        return original(c, mf, closed).xreplace({g.u: g.v, g.v: g.u})

    monkeypatch.setattr(g, "_matrix_entry", transposed)
    d = symderiv.derive("softmax")
    assert failing(d) == {"matrix"} and not d.proved


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_whole_loss_claim_fails_when_the_reduction_is_not_the_assembled_one(monkeypatch, reduction):
    """The 1/N of the mean is derived from L = (1/N) Σ_i L_i + R, not only assembled: a loss
    summed where the assembly averages (or averaged where it sums) fails the claim."""
    original = g._whole_loss
    flipped = symderiv.Conventions(reduction="sum" if reduction == "mean" else "mean")
    monkeypatch.setattr(g, "_whole_loss", lambda c, sample, R: original(flipped, sample, R))
    d = symderiv.derive("hinge", reduction=reduction)
    assert failing(d) == {"whole loss"} and not d.proved


def test_whole_loss_claim_fails_for_a_wrong_sample_loss(monkeypatch):
    original = g._whole_loss
    monkeypatch.setattr(g, "_whole_loss", lambda c, sample, R: original(c, 2 * sample, R))
    d = symderiv.derive("squared-hinge")
    assert failing(d) == {"whole loss"} and not d.proved


@pytest.mark.parametrize("layout", ["XW", "WX"])
def test_bias_claim_fails_for_a_bias_gradient_without_the_regularizer(monkeypatch, layout):
    monkeypatch.setattr(
        g,
        "_bias_entry",
        lambda closed, scale, reg, weight: scale * sp.Sum(closed.xreplace({g.j: g.v}), (g.i, 0, g.N - 1)),
    )
    d = symderiv.derive("hinge", layout=layout, bias=True)
    assert failing(d) == {"bias"} and not d.proved


def test_bias_claim_fails_for_a_bias_gradient_with_a_feature(monkeypatch):
    original = g._bias_entry
    monkeypatch.setattr(
        g, "_bias_entry", lambda closed, scale, reg, weight: original(closed * g.x[g.i, g.D], scale, reg, weight)
    )
    d = symderiv.derive("softmax", bias=True)
    assert failing(d) == {"bias"} and not d.proved


# ------------------------------------------------------------------ the result against NumPy


def reference_loss(name, W, X, y, delta, lam, layout, bias, regularizer, reduction):
    """The loss written out in NumPy, as the notes define it."""
    Xs = X if layout == "XW" else X.T  # samples in rows
    if bias:
        Xs = np.hstack([Xs, np.ones((Xs.shape[0], 1))])
    S = Xs @ (W if layout == "XW" else W.T)
    n = np.arange(len(y))
    if name == "softmax":
        top = S.max(axis=1, keepdims=True)
        per_sample = np.log(np.exp(S - top).sum(axis=1)) + top[:, 0] - S[n, y]
    else:
        margins = S - S[n, y][:, None] + delta
        margins[n, y] = 0.0
        h = np.maximum(0.0, margins)
        per_sample = (h**2 if name == "squared-hinge" else h).sum(axis=1)
    data = per_sample.mean() if reduction == "mean" else per_sample.sum()
    coefficient = {"l2": 1.0, "half-l2": 0.5, "none": 0.0}[regularizer]
    return data + coefficient * lam * (W**2).sum()


def central_differences(f, W, h=1e-6):
    out = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        up, down = W.copy(), W.copy()
        up[idx] += h
        down[idx] -= h
        out[idx] = (f(up) - f(down)) / (2 * h)
    return out


def at_values(expr, sizes, W, X, y, delta, lam, layout, bias, entries):
    """``expr`` (index notation) at concrete sizes and values, for each (u, v) in ``entries``."""
    D_, C_, N_ = sizes
    e = expr.xreplace({g.N: N_, g.C: C_, g.D: D_}).doit()
    e = e.xreplace({g.y[n]: int(y[n]) for n in range(N_)})
    Xs = X if layout == "XW" else X.T
    if bias:
        Xs = np.hstack([Xs, np.ones((N_, 1))])
    S = Xs @ (W if layout == "XW" else W.T)
    values = {g.s[n, c]: S[n, c] for n in range(N_) for c in range(C_)}
    values.update(
        {(g.x[n, f] if layout == "XW" else g.x[f, n]): Xs[n, f] for n in range(N_) for f in range(Xs.shape[1])}
    )
    values.update({g.w[idx]: W[idx] for idx in np.ndindex(W.shape)})
    values.update({symderiv.Conventions().delta: delta, LAMBDA: lam})
    out = []
    for uu, vv in entries:
        out.append(float(e.xreplace({g.u: uu, g.v: vv}).xreplace(values).doit()))
    return np.array(out)


CASES = [  # every loss × layout × bias, with the (regularizer, reduction) pairs in rotation
    (loss, layout, bias, *pair)
    for n, (loss, layout, bias) in enumerate(
        (loss, layout, bias)
        for loss in ("hinge", "squared-hinge", "softmax")
        for layout in ("XW", "WX")
        for bias in (False, True)
    )
    for pair in [
        [("l2", "mean"), ("half-l2", "sum"), ("none", "mean"), ("l2", "sum"), ("half-l2", "mean"), ("none", "sum")][
            n % 6
        ]
    ]
]


@pytest.mark.parametrize("loss, layout, bias, regularizer, reduction", CASES)
def test_symbolic_size_gradient_equals_finite_differences_of_a_numpy_loss(loss, layout, bias, regularizer, reduction):
    rng = np.random.default_rng(20261130)
    D_, C_, N_ = 2, 3, 4
    y = np.array([0, 2, 1, 2])
    F = D_ + bias
    W = rng.normal(size=(F, C_) if layout == "XW" else (C_, F))
    X = rng.normal(size=(N_, D_) if layout == "XW" else (D_, N_))
    delta, lam = 1.0, 0.3
    d = symderiv.derive(loss, layout=layout, bias=bias, regularizer=regularizer, reduction=reduction)
    assert d.proved

    def f(W_):
        return reference_loss(loss, W_, X, y, delta, lam, layout, bias, regularizer, reduction)

    numeric = central_differences(f, W)
    # ∂L/∂w_uv for every feature u (the bias feature u = D included: x_iD = 1) and class v
    entries = [(uu, vv) for uu in range(F) for vv in range(C_)]
    derived = at_values(d.full, (D_, C_, N_), W, X, y, delta, lam, layout, bias, entries)
    expected = np.array([numeric[uu, vv] if layout == "XW" else numeric[vv, uu] for uu, vv in entries])
    np.testing.assert_allclose(derived, expected, rtol=1e-6, atol=1e-7)
    if bias:  # the bias row/column, as its own formula
        bias_entries = [(D_, vv) for vv in range(C_)]
        derived = at_values(d.bias_entry, (D_, C_, N_), W, X, y, delta, lam, layout, bias, bias_entries)
        expected = np.array([numeric[D_, vv] if layout == "XW" else numeric[vv, D_] for _, vv in bias_entries])
        np.testing.assert_allclose(derived, expected, rtol=1e-6, atol=1e-7)
