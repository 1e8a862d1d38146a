"""The two losses added as one file each (issue 9, item 6): Crammer–Singer (a max over classes, ties
by the kink convention) and softmax cross-entropy with label smoothing ε (a hyperparameter besides Δ).

Every comparison is with something written here, independently of symderiv: per-sample loops,
finite differences away from kinks, exact values at ties, and the loss files' own NumPy references
(written by hand too, and checked here against the loops)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symderiv
from symderiv.errors import InputError, NotSupportedError
from symderiv.losses.crammer_singer import crammer_singer_reference
from symderiv.losses.softmax_smoothed import EPSILON, softmax_smoothed_reference

RTOL, ATOL = 1e-10, 1e-12
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- independent references


def cs_by_loops(W, X, y, delta, last=False):
    """Crammer–Singer, one sample at a time (XW, summed, no regularizer): the first (or last)
    maximiser among the classes j ≠ y_i gets +x_i, the label −x_i, when the margin is positive."""
    loss, grad = 0.0, np.zeros_like(W, dtype=float)
    for i in range(X.shape[0]):
        s = X[i] @ W
        others = [k for k in range(W.shape[1]) if k != y[i]]
        best = max(s[k] for k in others)
        ties = [k for k in others if s[k] == best]
        j = ties[-1] if last else ties[0]
        m = delta + best - s[y[i]]
        if m > 0:
            loss += m
            grad[:, j] += X[i]
            grad[:, y[i]] -= X[i]
    return loss, grad


def smoothed_by_loops(W, X, y, eps):
    """Label-smoothed cross-entropy, one sample at a time, with math.log of each probability."""
    C = W.shape[1]
    loss, grad = 0.0, np.zeros_like(W, dtype=float)
    for i in range(X.shape[0]):
        s = X[i] @ W
        log_p = s - s.max() - np.log(np.exp(s - s.max()).sum())
        p = np.exp(log_p)
        q = np.array([(1 - eps) * (j == y[i]) + eps / C for j in range(C)])
        loss -= sum(q[j] * log_p[j] for j in range(C))
        grad += np.outer(X[i], p - q)
    return loss, grad


def adapt(reference, *, layout, bias, regularizer, reduction, W, X, reg):
    """A plain-convention (XW, summed, no regularizer) reference under the given conventions."""
    Wp = W if layout == "XW" else W.T
    Xp = X if layout == "XW" else X.T
    if bias:
        Xp = np.hstack([Xp, np.ones((Xp.shape[0], 1))])
    loss, grad = reference(Wp, Xp)
    scale = 1 / Xp.shape[0] if reduction == "mean" else 1.0
    c = {"l2": 1.0, "half-l2": 0.5, "none": 0.0}[regularizer]
    loss, grad = scale * loss + c * reg * np.sum(Wp * Wp), scale * grad + 2 * c * reg * Wp
    return loss, grad if layout == "XW" else grad.T


def finite_differences(f, W, h=1e-6):
    g = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        g[idx] = (f(W + E) - f(W - E)) / (2 * h)
    return g


# ---------------------------------------------------------------- the loss files' references


@pytest.mark.parametrize("kink,last", [(0.0, False), (1.0, True)])
def test_cs_reference_is_the_argmax_by_loops_with_and_without_ties(kink, last):
    rng = np.random.default_rng(3)
    for trial in range(60):
        C, N, D = rng.integers(2, 6), rng.integers(1, 6), rng.integers(1, 4)
        y = rng.integers(0, C, size=N)
        if trial % 2:  # small integers: tied scores are common; drop samples with the margin exactly 0
            W, X = rng.integers(-2, 3, size=(D, C)).astype(float), rng.integers(-1, 2, size=(N, D)).astype(float)
            S = X @ W
            keep = [1 + max(S[i, k] for k in range(C) if k != y[i]) - S[i, y[i]] != 0 for i in range(N)]
            X, y = X[keep], y[keep]
        else:
            W, X = rng.normal(size=(D, C)), rng.normal(size=(N, D))
        loss, grad = crammer_singer_reference(W, X, y, 1.0, kink)
        want = cs_by_loops(W, X, y, 1.0, last)
        assert loss == pytest.approx(want[0], abs=1e-12)
        np.testing.assert_allclose(grad, want[1], atol=1e-12)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 1.0])
def test_smoothed_reference_is_the_cross_entropy_by_loops(eps):
    rng = np.random.default_rng(4)
    W, X, y = rng.normal(size=(3, 4)), rng.normal(size=(5, 3)), rng.integers(0, 4, 5)
    loss, grad = softmax_smoothed_reference(W, X, y, 1.0, 0.0, epsilon=eps)
    want = smoothed_by_loops(W, X, y, eps)
    assert loss == pytest.approx(want[0], rel=1e-12)
    np.testing.assert_allclose(grad, want[1], rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- Crammer–Singer: concrete size

CS_CASES = [  # (D, C, N, y, layout, bias, regularizer, reduction, delta, kink)
    (2, 3, 2, [0, 2], "XW", False, "l2", "mean", 1, "0"),
    (3, 3, 1, [1], "WX", True, "half-l2", "sum", None, "1/2"),
    (4, 2, 3, [1, 1, 0], "XW", True, "none", "mean", "3/4", "1"),
    (2, 4, 2, [3, 3], "WX", False, "l2", "sum", None, "0"),
]


@pytest.mark.parametrize("D,C,N,y,layout,bias,regularizer,reduction,delta,kink", CS_CASES)
def test_cs_concrete_proved_and_numpy_matches_loops(D, C, N, y, layout, bias, regularizer, reduction, delta, kink):
    d = symderiv.derive(
        "crammer-singer",
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
    f = symderiv.numpy_function(
        "crammer-singer",
        layout=layout,
        bias=bias,
        regularizer=regularizer,
        reduction=reduction,
        delta=1.3 if delta is None else delta,
        kink=kink,
        unproven=True,
    )
    rng = np.random.default_rng(D + 10 * C + 100 * N)
    dv = 1.3 if delta is None else float(sp.Rational(str(delta)))
    for _ in range(3):
        W = rng.normal(size=d.W.shape)
        X = rng.normal(size=(N, D) if layout == "XW" else (D, N))
        want_loss, want_grad = adapt(
            lambda Wp, Xp: cs_by_loops(Wp, Xp, y, dv),
            layout=layout,
            bias=bias,
            regularizer=regularizer,
            reduction=reduction,
            W=W,
            X=X,
            reg=0.3,
        )
        extra = 1.3 if delta is None else None
        np.testing.assert_allclose(d.numpy_gradient(W, X, 0.3, extra), want_grad, rtol=RTOL, atol=ATOL)
        assert d.numpy_loss(W, X, 0.3, extra) == pytest.approx(want_loss, rel=RTOL, abs=ATOL)
        loss, grad = f(W, X, np.array(y), 0.3)
        np.testing.assert_allclose(grad, want_grad, rtol=RTOL, atol=ATOL)
        assert loss == pytest.approx(want_loss, rel=RTOL, abs=ATOL)


def test_cs_finite_differences_away_from_kinks():
    d = symderiv.derive("crammer-singer", D=3, C=4, N=3, y=[0, 3, 1], delta=1, all_labels=False)
    rng = np.random.default_rng(11)
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(3, 3))
    fd = finite_differences(lambda V: d.numpy_loss(V, X, 0.2), W)
    np.testing.assert_allclose(d.numpy_gradient(W, X, 0.2), fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "kink,want", [("0", [-1.0, 1.0, 0.0, 0.0]), ("1", [-1.0, 0.0, 0.0, 1.0]), ("1/2", [-1.0, 0.5, 0.25, 0.25])]
)
def test_cs_exact_values_at_a_three_way_tie(kink, want):
    """Scores (0, 2, 2, 2), label 0: classes 1, 2, 3 tie. κ = 0 gives the first maximiser, κ = 1 the last,
    κ = ½ the running max's shares (from the last class to the first): class 2 takes over from class 3
    with ½, class 1 from both with ½, so a = (½, ¼, ¼)."""
    d = symderiv.derive("crammer-singer", D=1, C=4, N=1, y=[0], delta=1, kink=kink, regularizer="none", reduction="sum")
    W, X = np.array([[0.0, 2.0, 2.0, 2.0]]), np.array([[1.0]])
    assert d.numpy_gradient(W, X)[0].tolist() == want
    f = symderiv.numpy_function("crammer-singer", kink=kink, regularizer="none", reduction="sum", unproven=True)
    assert f(W, X, np.array([0]))[1][0].tolist() == want
    assert f(W, X, np.array([0]))[0] == 3.0


def test_cs_vectorized_matches_the_reference_at_ties_for_every_kink_and_layout():
    rng = np.random.default_rng(7)
    for trial in range(40):
        C, N, D = rng.integers(2, 6), rng.integers(1, 6), rng.integers(1, 4)
        y = rng.integers(0, C, size=N)
        W, X = rng.integers(-2, 3, size=(D, C)).astype(float), rng.integers(-1, 2, size=(N, D)).astype(float)
        for kink in (0.0, 0.5, 1.0):
            loss, grad = crammer_singer_reference(W, X, y, 1.0, kink)
            f = symderiv.numpy_function("crammer-singer", kink=kink, regularizer="none", reduction="sum", unproven=True)
            got = f(W, X, y)
            assert got[0] == loss and np.array_equal(got[1], grad), (trial, kink)
            g = symderiv.numpy_function(
                "crammer-singer", kink=kink, layout="WX", regularizer="none", reduction="sum", unproven=True
            )
            got = g(W.T, X.T, y)
            assert got[0] == loss and np.array_equal(got[1], grad.T), (trial, kink)


def test_cs_vectorized_keeps_float32():
    f = symderiv.numpy_function("crammer-singer", unproven=True)
    W, X = np.ones((3, 4), dtype=np.float32), np.ones((2, 3), dtype=np.float32)
    assert f(W, X, np.array([0, 1]))[1].dtype == np.float32


def test_cs_wrong_closed_form_is_caught():
    cs = symderiv.losses.get("crammer-singer")

    def no_label_term(s, y, j, delta, ix):
        return ix.cases(j, other=cs.score_gradient(s, y, j, delta, ix), label=sp.Integer(0))

    wrong = symderiv.Loss(**{**cs.__dict__, "name": "cs-wrong", "score_gradient": no_label_term})
    assert symderiv.derive(wrong, D=2, C=3, N=2, delta=1).proved is False
    assert symderiv.derive(wrong).proved is False  # at symbolic size too


# ---------------------------------------------------------------- Crammer–Singer: symbolic size


@pytest.mark.parametrize(
    "layout,bias,regularizer,reduction", [("XW", False, "l2", "mean"), ("WX", True, "half-l2", "sum")]
)
def test_cs_symbolic_size_proved_and_instantiated(layout, bias, regularizer, reduction):
    g = symderiv.derive("crammer-singer", layout=layout, bias=bias, regularizer=regularizer, reduction=reduction)
    assert g.proved, "\n".join(c.line() for c in g.claims)
    text = g.text()
    assert "max_{r≠y[i]} s[i,r]" in text and "argmax" in text
    for D, C, N, y in [(2, 3, 2, [0, 2]), (1, 4, 3, [3, 3, 1])]:
        at = g.at(D=D, C=C, N=N, y=y)
        assert at.proved and at.claims[-1].holds and "instantiated" in at.claims[-1].statement


def test_cs_symbolic_size_instantiation_tells_losses_apart():
    """The .at() claim is no tautology: against the hinge's concrete derivation it holds at C = 2 (where
    the max over one other class is that class: the two losses coincide) and fails at C = 3."""
    g = symderiv.derive("crammer-singer")
    assert g.cross_check(symderiv.derive("hinge", D=1, C=2, N=2, y=[0, 1])).holds is True
    assert g.cross_check(symderiv.derive("hinge", D=1, C=3, N=2, y=[0, 1])).holds is False
    assert g.cross_check(symderiv.derive("crammer-singer", D=1, C=3, N=2, y=[0, 1])).holds is True


# ---------------------------------------------------------------- label smoothing


THIRD = pytest.param(
    ["epsilon=1/3"],
    1 / 3,
    marks=pytest.mark.xfail(
        strict=True,
        reason="known limitation: with ε fixed to 1/3 the generated vectorized code computes with the double "
        "nearest 1/3, and the symbolic run of artifact.vectorized does not recover the exact values, so the "
        "obligation fails (proved is False: a missed proof, never a false one)",
    ),
)


@pytest.mark.parametrize("hyper,eps", [(None, 0.1), ({"epsilon": 0.25}, 0.25), THIRD])
@pytest.mark.parametrize(
    "layout,bias,regularizer,reduction", [("XW", False, "l2", "mean"), ("WX", True, "half-l2", "sum")]
)
def test_smoothed_proved_and_numpy_matches_loops(hyper, eps, layout, bias, regularizer, reduction):
    d = symderiv.derive(
        "softmax-smoothed",
        D=2,
        C=3,
        N=3,
        y=[0, 2, 2],
        layout=layout,
        bias=bias,
        regularizer=regularizer,
        reduction=reduction,
        hyper=hyper,
    )
    assert d.proved is True, "\n".join(c.line() for c in d.claims)
    f = symderiv.numpy_function(
        "softmax-smoothed", layout=layout, bias=bias, regularizer=regularizer, reduction=reduction, hyper=hyper
    )
    rng = np.random.default_rng(2)
    for _ in range(3):
        W = rng.normal(size=d.W.shape)
        X = rng.normal(size=(3, 2) if layout == "XW" else (2, 3))
        want_loss, want_grad = adapt(
            lambda Wp, Xp: smoothed_by_loops(Wp, Xp, [0, 2, 2], eps),
            layout=layout,
            bias=bias,
            regularizer=regularizer,
            reduction=reduction,
            W=W,
            X=X,
            reg=0.4,
        )
        kwargs = {"epsilon": eps} if hyper is None else {}
        np.testing.assert_allclose(d.numpy_gradient(W, X, 0.4, **kwargs), want_grad, rtol=RTOL, atol=ATOL)
        assert d.numpy_loss(W, X, 0.4, **kwargs) == pytest.approx(want_loss, rel=RTOL)
        loss, grad = f(W, X, np.array([0, 2, 2]), 0.4, **kwargs)
        np.testing.assert_allclose(grad, want_grad, rtol=RTOL, atol=ATOL)
        assert loss == pytest.approx(want_loss, rel=RTOL)


def test_smoothed_symbolic_epsilon_stays_a_symbol_and_is_proved():
    g = symderiv.derive("softmax-smoothed")
    assert g.proved
    assert EPSILON in g.forms.score_gradient.free_symbols
    at = g.at(D=2, C=3, N=2, y=[1, 1])
    assert at.proved and at.claims[-1].holds
    fixed = symderiv.derive("softmax-smoothed", hyper={"epsilon": "1/5"})
    assert fixed.proved and not fixed.forms.score_gradient.has(EPSILON)
    assert fixed.at(D=1, C=2, N=2, y=[0, 1]).proved


def test_smoothed_with_epsilon_zero_is_the_softmax_loss():
    s = symderiv.derive("softmax", D=2, C=3, N=2, y=[0, 2], delta=1)
    z = symderiv.derive("softmax-smoothed", D=2, C=3, N=2, y=[0, 2], hyper={"epsilon": 0})
    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    np.testing.assert_allclose(z.numpy_gradient(W, X, 0.1), s.numpy_gradient(W, X, 0.1), rtol=1e-13)


def test_smoothed_finite_differences_and_large_scores():
    d = symderiv.derive("softmax-smoothed", D=3, C=4, N=2, y=[1, 3], all_labels=False)
    rng = np.random.default_rng(9)
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(2, 3))
    fd = finite_differences(lambda V: d.numpy_loss(V, X, 0.2, epsilon=0.3), W)
    np.testing.assert_allclose(d.numpy_gradient(W, X, 0.2, epsilon=0.3), fd, rtol=1e-6, atol=1e-7)
    f = symderiv.numpy_function("softmax-smoothed", hyper={"epsilon": 0.3})
    loss, grad = f(1000 * W, X, np.array([1, 3]))  # scores near ±1000: the generated code shifts by the max
    want = smoothed_by_loops(1000 * W, X, [1, 3], 0.3)
    assert np.isfinite(loss) and loss == pytest.approx(want[0] / 2, rel=1e-9)
    np.testing.assert_allclose(grad, want[1] / 2, rtol=1e-9, atol=1e-12)


def test_hyperparameters_are_validated_with_one_line():
    with pytest.raises(InputError, match="no hyperparameter 'eps'"):
        symderiv.derive("softmax-smoothed", hyper={"eps": 0.1})
    with pytest.raises(InputError, match=r"lie in \[0, 1\]"):
        symderiv.numpy_function("softmax-smoothed", hyper={"epsilon": 1.5})
    with pytest.raises(InputError, match="NAME=VALUE"):
        symderiv.derive("softmax-smoothed", hyper=["epsilon"])
    with pytest.raises(InputError, match="has none besides Δ"):
        symderiv.derive("hinge", D=2, C=2, N=1, hyper={"epsilon": 0.1})
    d = symderiv.derive("softmax-smoothed", D=1, C=2, N=1, hyper={"epsilon": 0.1})
    with pytest.raises(InputError, match="fixed epsilon"):
        d.numpy_gradient(np.zeros((1, 2)), np.ones((1, 1)), epsilon=0.2)


# ---------------------------------------------------------------- the command line and the checker

IMPLEMENTATIONS = """
import numpy as np

def cs(W, X, y, reg):
    N = X.shape[0]; S = X @ W; rows = np.arange(N)
    other = S.copy(); other[rows, y] = -np.inf
    j = other.argmax(axis=1)
    m = 1 + other[rows, j] - S[rows, y]
    a = (m > 0).astype(float)
    G = np.zeros_like(S); G[rows, j] += a; G[rows, y] -= a
    return np.maximum(0, m).sum() / N + reg * np.sum(W * W), X.T @ G / N + 2 * reg * W

def cs_forgot_label(W, X, y, reg):
    N = X.shape[0]; S = X @ W; rows = np.arange(N)
    other = S.copy(); other[rows, y] = -np.inf
    j = other.argmax(axis=1)
    m = 1 + other[rows, j] - S[rows, y]
    G = np.zeros_like(S); G[rows, j] += (m > 0)
    return np.maximum(0, m).sum() / N + reg * np.sum(W * W), X.T @ G / N + 2 * reg * W

def smoothed(W, X, y, reg, eps=0.2):
    N, C = X.shape[0], W.shape[1]
    S = X @ W; S = S - S.max(axis=1, keepdims=True)
    logp = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    Q = np.full_like(S, eps / C); Q[np.arange(N), y] += 1 - eps
    return -(Q * logp).sum() / N + reg * np.sum(W * W), X.T @ (np.exp(logp) - Q) / N + 2 * reg * W
"""


def _cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "symderiv", *args], capture_output=True, text=True, env=env, timeout=300, cwd=cwd
    )


def test_check_cli_for_both_losses(tmp_path):
    impl = tmp_path / "impl.py"
    impl.write_text(IMPLEMENTATIONS)
    assert _cli("check", f"{impl}::cs", "--loss", "crammer-singer").returncode == 0
    wrong = _cli("check", f"{impl}::cs_forgot_label", "--loss", "crammer-singer")
    assert wrong.returncode == 1 and "FAIL" in wrong.stdout
    right = _cli("check", f"{impl}::smoothed", "--loss", "softmax-smoothed", "--hyper", "epsilon=0.2")
    assert right.returncode == 0, right.stdout + right.stderr
    assert "epsilon = 0.2" in right.stdout
    assert _cli("check", f"{impl}::smoothed", "--loss", "softmax-smoothed").returncode == 1  # default ε = 0.1
    bad = _cli("check", f"{impl}::smoothed", "--loss", "softmax-smoothed", "--hyper", "eps=0.2")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no hyperparameter 'eps'" in bad.stderr


def test_check_gradient_on_user_data_uses_the_vectorized_truth():
    import importlib.util
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # the user's file lives while it is checked
        path = Path(tmp) / "impl.py"
        path.write_text(IMPLEMENTATIONS)
        spec = importlib.util.spec_from_file_location("impl_new_losses", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rng = np.random.default_rng(0)
        W, X, y = 0.01 * rng.normal(size=(40, 10)), rng.normal(size=(60, 40)), rng.integers(0, 10, 60)
        # Crammer–Singer's vectorized code has no proof obligation yet (its max over classes): no truth at this size
        with pytest.raises(symderiv.NotSupportedError, match="no proof yet"):
            symderiv.check_gradient(module.cs, "crammer-singer", data=(W, X, y, 0.1))
        result = symderiv.check_gradient(
            module.smoothed, "softmax-smoothed", hyper={"epsilon": 0.2}, data=(W, X, y, 0.1)
        )
        assert result.passed and "vectorized" in result.tolerances["truth"], result.report()


def test_derive_codegen_and_report_cli(tmp_path):
    r = _cli("derive", "crammer-singer", "--generic")
    assert r.returncode == 0 and "proved" in r.stdout and "argmax" in r.stdout
    r = _cli("derive", "softmax-smoothed", "--hyper", "epsilon=0.1")
    assert r.returncode == 0 and "hyperparameter epsilon = 1/10" in r.stdout
    r = _cli("codegen", "softmax-smoothed")
    assert r.returncode == 0 and "def softmax_smoothed_loss_vectorized(W, X, y, reg=0.0, epsilon=0.1):" in r.stdout
    r = _cli("codegen", "crammer-singer", "--kink", "1")  # no proof obligation runs on its vectorized code yet
    assert r.returncode == 2 and "no proof yet" in r.stderr and "Traceback" not in r.stderr
    for name in ("crammer-singer", "softmax-smoothed"):
        r = _cli("report", name, "--format", "md", "--out", str(tmp_path))
        assert r.returncode == 0, r.stderr
        text = (tmp_path / f"{name}.md").read_text()
        assert "✗" not in text and "NOT" not in text


def test_vectorized_generator_refuses_what_it_cannot_express():
    """A max over a term free of the class index is no argmax the generator can place: it refuses."""
    cs = symderiv.losses.get("crammer-singer")
    odd = symderiv.Loss(
        **{
            **cs.__dict__,
            "name": "max-of-label",
            "sample": lambda s, y, delta, ix: symderiv.Pos(delta + ix.max_other(lambda k: s[y]) - s[y]),
        }
    )
    with pytest.raises(NotSupportedError):
        symderiv.numpy_function(odd)
