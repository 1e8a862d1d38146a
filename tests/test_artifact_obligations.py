"""What users receive is proven: every artifact obligation holds for the built-ins, and a deliberate
mistake in an artifact's code (not in the derivation) makes ``proved`` False with the right claim
failing. Softmax's NumPy is finite and right at scores of ±1000."""

from __future__ import annotations

import inspect
import itertools
import textwrap

import mpmath
import numpy as np
import pytest

import symderiv
from symderiv.codegen import lambdify, numpy_route, vectorize
from symderiv.derive import result
from symderiv.losses import builtin_names

ARTIFACTS = {
    "artifact.gradient",
    "artifact.closed-form",
    "artifact.matrix-form",
    "artifact.numpy-scores",
    "artifact.numpy-gradient",
    "artifact.numpy-loss",
    "artifact.vectorized",
}
CONVENTIONS = list(itertools.product(("XW", "WX"), (False, True), ("l2", "half-l2", "none"), ("mean", "sum")))


def failing(d) -> set[str]:
    return {c.id for c in d.claims if not c.holds}


@pytest.fixture(autouse=True)
def fresh_vectorized_cache():
    vectorize._compiled.cache_clear()
    yield
    vectorize._compiled.cache_clear()


def mutate(monkeypatch, owner, name: str, old: str, new: str) -> None:
    """Replace ``owner.name`` (a function or method) by a copy whose source has ``old`` replaced by
    ``new`` — a deliberate bug in exactly one place."""
    original = getattr(owner, name)
    source = textwrap.dedent(inspect.getsource(original))
    assert source.count(old) == 1, f"{old!r} is not in {name}'s source once"
    namespace = dict(original.__globals__)
    exec(compile(source.replace(old, new), f"<mutant {name}>", "exec"), namespace)
    monkeypatch.setattr(owner, name, namespace[name])


# ---------------------------------------------------------------- every convention is proven end to end


@pytest.mark.parametrize("name", builtin_names())
@pytest.mark.parametrize(("layout", "bias", "regularizer", "reduction"), CONVENTIONS)
def test_every_artifact_is_proven(name, layout, bias, regularizer, reduction):
    d = symderiv.derive(name, D=2, C=3, N=4, layout=layout, bias=bias, regularizer=regularizer, reduction=reduction)
    ids = {c.id for c in d.claims}
    try:
        symderiv.numpy_function(name, layout=layout, bias=bias, regularizer=regularizer, reduction=reduction)
        handed_out = True
    except symderiv.NotSupportedError:  # no vectorized form without a proof (Crammer–Singer's max over classes)
        handed_out = False
    assert ids >= ARTIFACTS - ({"artifact.vectorized"} if not handed_out else set())
    assert ("artifact.vectorized" in ids) == handed_out
    assert ("artifact.shift-invariance" in ids) == (name in ("softmax", "softmax-smoothed"))
    assert d.proved, [(c.id, c.detail) for c in d.claims if not c.holds]


@pytest.mark.parametrize("kink", ["1/2", "1", "1/3"])
@pytest.mark.parametrize("name", ["hinge", "squared-hinge"])
def test_artifacts_are_proven_for_every_kink_convention(name, kink):
    d = symderiv.derive(name, D=2, C=3, N=3, kink=kink, delta="1/3")
    assert d.proved, [(c.id, c.detail) for c in d.claims if not c.holds]


def test_a_large_derivation_proves_the_size_free_code_at_a_small_size_and_says_so():
    d = symderiv.derive("hinge", D=4, C=5, N=6)
    assert d.proved
    assert "at D=2, C=3, N=4" in d.claim("artifact.vectorized").detail
    assert "at D=2, C=3, N=4" in d.claim("artifact.numpy-gradient").detail
    assert "4×5" not in d.claim("artifact.numpy-scores").detail
    assert "6×5" in d.claim("artifact.numpy-scores").detail  # the printed code itself: at the derivation's size


# ---------------------------------------------------------------- mutations: each obligation catches its bug


def test_chain_rule_lambda_for_two_lambda_in_sympy(monkeypatch):
    mutate(monkeypatch, result, "chain_rule", "reg = 2 * p.conventions.reg.coefficient", "reg = 1 *"
           " p.conventions.reg.coefficient")  # fmt: skip
    d = symderiv.derive("hinge", D=2, C=3, N=2)
    assert d.proved is False
    assert failing(d) == {"artifact.gradient", "artifact.closed-form"}  # both are built by the chain rule


def test_chain_rule_lambda_for_two_lambda_in_numpy(monkeypatch):
    mutate(monkeypatch, numpy_route.ScoreRoute, "__call__", "+ 2 * c * lam * W", "+ c * lam * W")
    d = symderiv.derive("softmax", D=2, C=3, N=2)
    assert d.proved is False
    assert failing(d) == {"artifact.numpy-gradient"}
    W, X = np.ones((2, 3)), np.ones((2, 2))
    assert not np.allclose(d.numpy_gradient(W, X, reg=1.0), d.numpy_gradient(W, X, reg=0.0) + 2 * W)  # it is a bug


def test_dropped_one_over_n_in_numpy(monkeypatch):
    mutate(monkeypatch, numpy_route.ScoreRoute, "__call__", "loss = np.sum(losses) * scale", "loss = np.sum(losses)")
    d = symderiv.derive("hinge", D=2, C=3, N=2)
    assert failing(d) == {"artifact.numpy-loss"}
    assert d.proved is False


def test_dropped_one_over_n_in_the_matrix_form(monkeypatch):
    mutate(monkeypatch, result, "matrix_form", "matrix_weights(p), p.N)", "matrix_weights(p), 1)")  # N = 1: no 1/N
    d = symderiv.derive("squared-hinge", D=2, C=3, N=2)
    assert failing(d) == {"artifact.matrix-form"}


def test_kink_printed_as_one_minus_kink(monkeypatch):
    mutate(monkeypatch, lambdify.SymderivNumPyPrinter, "_print_Step", "{self.kink!r}", "{1 - self.kink!r}")
    for kink in ("0", "1"):
        d = symderiv.derive("hinge", D=2, C=3, N=2, kink=kink)
        assert failing(d) == {"artifact.numpy-scores", "artifact.numpy-gradient", "artifact.numpy-loss"}
        assert "differs" in d.claim("artifact.numpy-scores").detail
    assert symderiv.derive("hinge", D=2, C=3, N=2, kink="1/2").proved  # ½ = 1 − ½: no bug there


def test_kink_flipped_in_the_vectorized_printer(monkeypatch):
    mutate(monkeypatch, vectorize.ArrayPrinter, "_print_Step", 'return f"({x} > 0).astype(S.dtype)"',
           'return f"({x} >= 0).astype(S.dtype)"')  # fmt: skip
    d = symderiv.derive("hinge", D=2, C=3, N=2)  # κ = 0
    assert failing(d) == {"artifact.vectorized"}


def test_label_column_sign_flipped_in_the_vectorized_source(monkeypatch):
    subtracted = []  # the losses whose label column is printed as "G[…] -= …" (before the mutation)
    for name in builtin_names():
        try:
            if "] -= " in vectorize.source(name):
                subtracted.append(name)
        except symderiv.NotSupportedError:  # Crammer–Singer: no vectorized form is handed out
            pass
    assert {"hinge", "squared-hinge", "softmax"} <= set(subtracted)
    old, new = 'f"    G[{lab}] -= {pr.doprint(-B)}', 'f"    G[{lab}] += {pr.doprint(-B)}'
    mutate(monkeypatch, vectorize._Emitter, "_G", old, new)
    for name in subtracted:
        d = symderiv.derive(name, D=2, C=3, N=2)
        assert failing(d) == {"artifact.vectorized"}, name
        assert d.claim("artifact.vectorized").detail.startswith("differs at w[")


def test_label_column_added_with_the_wrong_sign_is_caught(monkeypatch):
    old, new = 'f"    G[{lab}] += {pr.doprint(B)}', 'f"    G[{lab}] -= {pr.doprint(B)}'
    mutate(monkeypatch, vectorize._Emitter, "_G", old, new)
    d = symderiv.derive("softmax-smoothed", D=2, C=3, N=2)
    assert failing(d) == {"artifact.vectorized"}
    assert d.claim("artifact.vectorized").detail.startswith("differs at w[")


def test_a_shift_that_is_not_per_sample_is_caught(monkeypatch):
    mutate(monkeypatch, numpy_route.ScoreRoute, "__call__", "np.max(S, axis=1, keepdims=True)",
           "np.max(S, axis=0, keepdims=True)")  # fmt: skip
    d = symderiv.derive("softmax", D=2, C=3, N=4)
    assert failing(d) == {"artifact.numpy-gradient", "artifact.numpy-loss"}


def test_code_the_proof_cannot_run_is_a_failed_obligation(monkeypatch):
    mutate(monkeypatch, lambdify.SymderivNumPyPrinter, "_print_Pos", "numpy.maximum", "numpy.fmax")
    d = symderiv.derive("hinge", D=2, C=3, N=2)
    assert "artifact.numpy-scores" in failing(d)
    assert "could not be run on symbols" in d.claim("artifact.numpy-scores").detail


# ---------------------------------------------------------------- stable NumPy: softmax at scores of ±1000


def softmax_reference(S: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Σ_i L_i and ∂/∂S, by hand: log-sum-exp with the row maximum subtracted."""
    shifted = S - S.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    P = np.exp(shifted - log_norm)
    loss = float(-(shifted - log_norm)[np.arange(len(y)), y].sum())
    P[np.arange(len(y)), y] -= 1
    return loss, P


@pytest.mark.parametrize(("layout", "bias"), [("XW", False), ("WX", True)])
def test_softmax_numpy_is_finite_and_right_at_scores_of_a_thousand(layout, bias):
    rng = np.random.default_rng(7)
    D, C, N = 3, 4, 5
    d = symderiv.derive("softmax", D=D, C=C, N=N, layout=layout, bias=bias, regularizer="none", reduction="sum")
    X = rng.normal(size=(N, D))
    W = rng.normal(size=(D + bias, C))
    W *= 1000 / np.abs(np.hstack([X, np.ones((N, 1))])[:, : D + bias] @ W).max()  # scores up to ±1000
    S = np.hstack([X, np.ones((N, 1))])[:, : D + bias] @ W
    assert np.abs(S).max() == pytest.approx(1000)
    y = np.array(d.y)
    want_loss, G = softmax_reference(S, y)
    want = np.hstack([X, np.ones((N, 1))])[:, : D + bias].T @ G
    args = (W, X) if layout == "XW" else (W.T, X.T)
    got, loss = d.numpy_gradient(*args), d.numpy_loss(*args)
    got = got if layout == "XW" else got.T
    assert np.isfinite(got).all() and np.isfinite(loss)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    # and against mpmath at 50 digits, without any shift
    with mpmath.workdps(50):
        exact = sum(
            mpmath.log(sum(mpmath.exp(mpmath.mpf(float(s))) for s in S[i])) - mpmath.mpf(float(S[i, y[i]]))
            for i in range(N)
        )
    assert loss == pytest.approx(float(exact), rel=1e-12)
