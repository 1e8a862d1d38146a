"""Every built-in loss × convention is derived, proved, and its generated NumPy agrees with the
package's hand-written references (plain convention, adapted here independently).

Tolerances: rtol=1e-10, atol=1e-12 element by element (the generated code and the references
compute the same float expressions in different orders; softmax's reference also max-shifts).
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symderiv
from symderiv import losses

RTOL, ATOL = 1e-10, 1e-12
LOSSES = ["hinge", "squared-hinge", "softmax"]
LAYOUTS = ["XW", "WX"]
REGULARIZERS = {"l2": 1.0, "half-l2": 0.5, "none": 0.0}  # R(W) = coefficient · λ · Σ W²
REDUCTIONS = ["mean", "sum"]
DELTAS = [None, "3/4"]  # symbolic Δ (evaluated at 1.3 below), or the number 3/4
KINKS = ["0", "1/2"]
#: (D, C, N): D<C, D=C with N=1, D>C with N>C (repeated labels), N>C with all labels checked,
#: one feature, and a case with more label patterns than derive proves exhaustively (C**N > 64)
SIZES = [(2, 3, 2), (3, 3, 1), (4, 2, 3), (2, 2, 5), (1, 3, 3), (3, 4, 4)]
SYMBOLIC_DELTA_VALUE = 1.3


def expected(name, *, layout, bias, regularizer, reduction, W, X, y, reg, delta, kink=0.0):
    """(L, dL/dW) from the package's plain-convention reference (XW, summed, unregularized),
    adapted to the layout, bias trick, reduction and regularizer. Written independently of the
    derivation: only NumPy transposes, a column of ones, a scale and 2·c·λ·W."""
    W = np.asarray(W, float)
    X = np.asarray(X, float)
    Wp = W if layout == "XW" else W.T  # features × classes
    Xp = X if layout == "XW" else X.T  # samples × features
    if bias:
        Xp = np.hstack([Xp, np.ones((Xp.shape[0], 1))])
    N = Xp.shape[0]
    loss, grad = losses.get(name).reference(Wp, Xp, np.asarray(y), delta, kink)
    scale = 1.0 / N if reduction == "mean" else 1.0
    c = REGULARIZERS[regularizer]
    loss = scale * loss + c * reg * float(np.sum(Wp * Wp))
    grad = scale * grad + 2 * c * reg * Wp
    return loss, (grad if layout == "XW" else grad.T)


def random_data(d, rng, scale=1.5):
    """W in the derivation's layout and X without the constant-1 feature, as numpy_* expect."""
    W = rng.normal(scale=scale, size=d.W.shape)
    X = rng.normal(scale=scale, size=(d.N, d.D) if d.conventions.layout == "XW" else (d.D, d.N))
    return W, X


def check_numeric(d, rng, *, reg=0.37, points=2):
    c = d.conventions
    delta_value = SYMBOLIC_DELTA_VALUE if c.delta.free_symbols else float(c.delta)
    pass_delta = SYMBOLIC_DELTA_VALUE if c.delta.free_symbols else None
    for _ in range(points):
        W, X = random_data(d, rng)
        grad = d.numpy_gradient(W, X, reg, pass_delta)
        loss = d.numpy_loss(W, X, reg, pass_delta)
        want_loss, want_grad = expected(
            d.loss.name,
            layout=c.layout,
            bias=c.bias,
            regularizer=c.regularizer,
            reduction=c.reduction,
            W=W,
            X=X,
            y=d.y,
            reg=reg,
            delta=delta_value,
            kink=float(c.kink),
        )
        assert grad.shape == W.shape
        np.testing.assert_allclose(grad, want_grad, rtol=RTOL, atol=ATOL)
        assert loss == pytest.approx(want_loss, rel=RTOL, abs=ATOL)


COMBOS = list(itertools.product(LOSSES, LAYOUTS, [False, True], REGULARIZERS, REDUCTIONS, DELTAS, KINKS))


@pytest.mark.parametrize(
    "name,layout,bias,regularizer,reduction,delta,kink",
    COMBOS,
    ids=["-".join(str(v) for v in combo).replace("/", "_") for combo in COMBOS],
)
def test_every_convention_is_proved_and_matches_reference(name, layout, bias, regularizer, reduction, delta, kink):
    index = COMBOS.index((name, layout, bias, regularizer, reduction, delta, kink))
    D, C, N = SIZES[index % len(SIZES)]  # every size meets every loss and layout across the matrix
    rng = random.Random(index)
    y = [rng.randrange(C) for _ in range(N)]  # a random label pattern, repeats allowed
    d = symderiv.derive(
        name,
        D=D,
        C=C,
        N=N,
        y=y,
        layout=layout,
        bias=bias,
        regularizer=regularizer,
        reduction=reduction,
        delta=delta,
        kink=kink,
    )
    assert d.proved is True, "\n".join(c.line() for c in d.claims)
    assert all(c.holds for c in d.claims) and len(d.claims) >= 4
    assert d.y == tuple(y)
    if C**N <= 64:  # derive(all_labels="auto") proves every label pattern
        assert d.label_patterns == C**N
    features = D + bias
    assert d.W.shape == ((features, C) if layout == "XW" else (C, features))
    check_numeric(d, np.random.default_rng(index))


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("D,C,N", SIZES)
def test_sizes_default_conventions(name, D, C, N):
    d = symderiv.derive(name, D=D, C=C, N=N)
    assert d.proved is True
    check_numeric(d, np.random.default_rng(D * 100 + C * 10 + N), points=3)


@pytest.mark.parametrize("name", LOSSES)
def test_large_scores_softmax_stable_and_hinge_exact(name):
    """Scores of order 10² must not overflow the generated softmax (the reference max-shifts)."""
    d = symderiv.derive(name, D=3, C=4, N=3, y=[3, 3, 0], delta=1, regularizer="none", reduction="sum")
    rng = np.random.default_rng(7)
    W = rng.normal(scale=10.0, size=d.W.shape)
    X = rng.normal(scale=10.0, size=(3, 3))
    want_loss, want_grad = expected(
        name, layout="XW", bias=False, regularizer="none", reduction="sum", W=W, X=X, y=d.y, reg=0.0, delta=1.0
    )
    grad = d.numpy_gradient(W, X)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-9)
    assert d.numpy_loss(W, X) == pytest.approx(want_loss, rel=1e-9)


@st.composite
def problems(draw):
    C = draw(st.integers(2, 4))
    N = draw(st.integers(1, 5))
    D = draw(st.integers(1, 4))
    y = draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N))
    return D, C, N, y


@pytest.mark.parametrize("name", LOSSES)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=problems(),
    layout=st.sampled_from(LAYOUTS),
    bias=st.booleans(),
    regularizer=st.sampled_from(list(REGULARIZERS)),
    reduction=st.sampled_from(REDUCTIONS),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_random_sizes_labels_values(name, problem, layout, bias, regularizer, reduction, seed):
    D, C, N, y = problem
    d = symderiv.derive(
        name,
        D=D,
        C=C,
        N=N,
        y=y,
        layout=layout,
        bias=bias,
        regularizer=regularizer,
        reduction=reduction,
        all_labels=False,
    )
    assert d.proved is True
    check_numeric(d, np.random.default_rng(seed), points=1)


# ------------------------------------------------- the package's references, checked independently


def loop_reference(name, W, X, y, delta):
    """Per-sample, per-class loops: the notes' formulas written the slowest obvious way."""
    N, C = X.shape[0], W.shape[1]
    loss, grad = 0.0, np.zeros_like(W)
    for i in range(N):
        s = X[i] @ W
        if name == "softmax":
            p = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
            loss += -s[y[i]] + s.max() + np.log(np.exp(s - s.max()).sum())
            for j in range(C):
                grad[:, j] += (p[j] - (j == y[i])) * X[i]
            continue
        for j in range(C):
            if j == y[i]:
                continue
            m = s[j] - s[y[i]] + delta
            if m > 0:
                weight = 1.0 if name == "hinge" else 2 * m
                loss += m if name == "hinge" else m * m
                grad[:, j] += weight * X[i]
                grad[:, y[i]] -= weight * X[i]
    return loss, grad


@pytest.mark.parametrize("name", LOSSES)
@settings(max_examples=25, deadline=None)
@given(problem=problems(), seed=st.integers(0, 2**32 - 1))
def test_package_references_match_loops_and_finite_differences(name, problem, seed):
    D, C, N, y = problem
    rng = np.random.default_rng(seed)
    W, X = rng.normal(size=(D, C)), rng.normal(size=(N, D))
    loss, grad = losses.get(name).reference(W, X, np.array(y), 1.0, 0.0)
    want_loss, want_grad = loop_reference(name, W, X, y, 1.0)
    assert loss == pytest.approx(want_loss, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-12)
    # central differences, away from the kinks
    S = X @ W
    margins = S - S[np.arange(N), y][:, None] + 1.0
    assume(name == "softmax" or np.min(np.abs(margins)) > 1e-4)
    h, fd = 1e-6, np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        fd[idx] = (loop_reference(name, W + E, X, y, 1.0)[0] - loop_reference(name, W - E, X, y, 1.0)[0]) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)
