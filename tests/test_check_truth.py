"""The truth the checker compares with: agreement with the registry's independent hand-written
reference, the subdifferential at kinks, and the tolerances."""

import sys
from pathlib import Path

import numpy as np
import pytest

import symderiv
from symderiv.check import probes as probes_mod
from symderiv.check import truth as truth_mod
from symderiv.losses import get
from symderiv.strategies import margins

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
import correct  # noqa: E402


@pytest.mark.parametrize("layout", ["XW", "WX"])
@pytest.mark.parametrize("loss", ["hinge", "squared-hinge", "softmax"])
def test_truth_agrees_with_the_independent_reference(loss, layout):
    """Padding, layouts, the shift trick of the large-scores probe and the λ split, all at once:
    the derived truth at every standard probe equals Loss.reference (mean, + λΣW²)."""
    definition = get(loss)
    chosen = probes_mod.standard_probes(definition, 1.0)
    truths, _ = truth_mod.compute_truths(definition, chosen, layout, 1.0)
    for p, t in zip(chosen, truths, strict=True):
        ref_loss, ref_grad = definition.reference(p.W, p.X, p.y, 1.0, 0)
        ref_loss = ref_loss / p.N + p.reg * np.sum(p.W**2)
        ref_grad = ref_grad / p.N + 2 * p.reg * p.W
        loss_value, grad, lower, upper = t.expected(1.0)
        assert loss_value == pytest.approx(ref_loss, rel=1e-9), p.name
        if p.kink:  # the reference takes 1[0] = 0: one end of the accepted interval
            assert np.all(lower - 1e-12 <= ref_grad) and np.all(ref_grad <= upper + 1e-12)
        else:
            np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-12, err_msg=p.name)


def test_score_gradient_from_the_derivation_is_the_reference_weights():
    definition = get("softmax")
    p = probes_mod.standard_probes(definition, 1.0)[2]
    t = truth_mod.compute_truths(definition, [p], "XW", 1.0)[0][0]
    S = p.X @ p.W
    P = np.exp(S - S.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    P[np.arange(p.N), p.y] -= 1
    np.testing.assert_allclose(t.score_gradient(), P, atol=1e-12)


def _kink_probe():
    definition = get("hinge")
    p = next(q for q in probes_mod.standard_probes(definition, 1.0) if q.kink)
    return definition, p, truth_mod.compute_truths(definition, [p], "XW", 1.0)[0][0]


def test_kink_probe_has_a_sample_with_two_margins_at_zero():
    _, p, t = _kink_probe()
    at_zero = margins(p.W, p.X, p.y) == 0
    assert at_zero.sum() >= 3 and at_zero.sum(axis=1).max() >= 2
    assert np.any(t.upper > t.lower)  # the accepted set is not a point


def test_greater_and_greater_equal_differ_at_the_kink_probe_and_both_pass():
    _, p, _ = _kink_probe()
    _, gt = correct.svm_vectorized(*p.args("XW"))
    _, ge = correct.svm_vectorized_ge(*p.args("XW"))
    assert np.abs(gt - ge).max() > 0.1  # the probe really tells them apart …
    for f in (correct.svm_vectorized, correct.svm_vectorized_ge):  # … and both are right
        assert symderiv.check_gradient(f, "hinge").passed


def _mixed(W, X, y, reg):
    """A subgradient chosen per sample: 1[m >= 0] for even samples, 1[m > 0] for odd ones."""
    N = X.shape[0]
    m = margins(W, X, y)
    m[np.arange(N), y] = -1
    M = np.where(np.arange(N)[:, None] % 2 == 0, m >= 0, m > 0).astype(float)
    M[np.arange(N), y] = -M.sum(axis=1)
    return np.maximum(0, m).sum() / N + reg * np.sum(W * W), X.T @ M / N + 2 * reg * W


def _opposite_kinks():
    """Small whole-number data where samples 0 and 1 both have class 1's margin at 0 and feature 0
    of opposite signs: one entry of dW gets kink contributions of both signs."""
    rng = np.random.default_rng(1)
    y = np.array([0, 0])
    while True:
        W = rng.integers(-2, 3, size=(2, 3)).astype(float)
        X = rng.integers(-2, 3, size=(2, 2)).astype(float)
        m = margins(W, X, y)
        if m[0, 1] == 0 and m[1, 1] == 0 and X[0, 0] * X[1, 0] < 0 and (m[:, 2] != 0).all():
            return W, X, y


def test_a_per_sample_subgradient_passes_where_the_endpoint_box_would_reject_it():
    W, X, y = _opposite_kinks()
    _, gt = correct.svm_vectorized(W, X, y, 0.0)
    _, ge = correct.svm_vectorized_ge(W, X, y, 0.0)
    _, mixed = _mixed(W, X, y, 0.0)
    box_low, box_high = np.minimum(gt, ge), np.maximum(gt, ge)
    assert np.any((mixed < box_low - 1e-9) | (mixed > box_high + 1e-9))  # outside [dW0, dW1] entrywise
    result = symderiv.check_gradient(_mixed, "hinge", data=(W, X, y, 0.3))
    assert result.passed, result.report()


def test_inconsistent_indicators_lie_in_the_entry_intervals_yet_fail():
    import buggy

    _, p, t = _kink_probe()
    _, dW = buggy.kink_inconsistent(*p.args("XW"))
    _, grad, lower, upper = t.expected(1.0)
    assert np.all(lower - 1e-12 <= dW) and np.all(dW <= upper + 1e-12)
    assert not t.in_subdifferential(dW, 1.0, 1e-9)
    assert t.in_subdifferential(correct.svm_vectorized_ge(*p.args("XW"))[1], 1.0, 1e-9)


@pytest.mark.parametrize(("relative", "passes"), [(1e-6, True), (1e-3, False)])
def test_tolerance_is_one_in_ten_thousand_of_the_gradient_scale(relative, passes):
    def nudged(W, X, y, reg):
        loss, dW = correct.svm_vectorized(W, X, y, reg)
        dW[0, 0] += relative * np.abs(dW).max()
        return loss, dW

    result = symderiv.check_gradient(nudged, "hinge")
    assert result.passed is passes
    if not passes:
        assert result.discrepancies and result.discrepancies[0].index == (0, 0)


def test_large_scores_probe_offsets_every_score_by_about_1000():
    definition = get("softmax")
    p = next(q for q in probes_mod.standard_probes(definition, 1.0) if q.shift is not None)
    S = p.X @ p.W
    assert np.all(S > 990) and np.all(S < 1010)
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.exp(S)).all()  # exp overflows without the max-shift trick
