"""Issue 13's diagnoses, on buggy implementations written for them (tests/corpus/buggy.py): each
named slip gets its own finding with the words a student needs, the closest pattern is named when
no slip fits, and no buggy function of the corpus is left with "no common bug explains it"."""

import sys
from pathlib import Path

import numpy as np
import pytest

import symderiv
from symderiv.check import probes
from symderiv.losses import get

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))

import buggy  # noqa: E402
import correct  # noqa: E402


def _check(name):
    loss, layout, options, _ = buggy.BUGGY[name]
    return symderiv.check_gradient(getattr(buggy, name), loss, layout=layout, **options)


def _finding(result, id_):
    found = [d for d in result.diagnoses if d.id == id_]
    assert found, result.report()
    return found[0]


@pytest.mark.parametrize(
    ("name", "id_", "words"),
    [
        ("data_grad_twice", "data-grad-twice", "2×"),
        ("softmax_log10", "log10", "1/ln 10"),
        ("grad_left_zero", "grad-zeros", "while the loss is right"),
        ("reg_only_gradient", "grad-data-missing", "only the regularization gradient 2λW"),
        # the truth these messages state is printed from the proven derivative, in the terminal's notation
        ("softmax_label_plus_one", "label-term-sign", "∂L_i/∂s[i,y[i]] = p[i,y[i]] - 1"),
        ("squared_hinge_no_two", "chain-rule-2-missing", "∂L_i/∂s[i,j] = 2*max(0, s[i,j] - s[i,y[i]] + Δ)"),
        ("correct_class_sign", "correct-class-sign", "x_i times ∂L_i/∂s[i,y[i]] = -Σ_{k≠y[i]} (1[s[i,k]"),
        ("softmax_correct_class_sign", "correct-class-sign", "x_i times ∂L_i/∂s[i,y[i]] = p[i,y[i]] - 1"),
        ("softmax_global_max", "batch-max-shift", "each sample's own maximum"),
        ("svm_wx", "other-layout", "written for layout WX; pass --layout WX"),
        ("softmax_vectorized", "other-layout", "written for layout XW; pass --layout XW"),
        ("odd_column_doubled", "grad-columns", "column(s) 1 "),
        ("loss_offset", "loss-offset", "+0.25"),
        ("grad_scaled_three", "grad-ratio", "3 × the truth"),
    ],
)
def test_each_slip_is_named_with_its_words(name, id_, words):
    result = _check(name)
    assert not result.passed
    assert words in _finding(result, id_).message


def test_no_buggy_function_is_left_without_a_specific_diagnosis():
    vague = {"grad-wrong", "loss-wrong"}
    for name in buggy.BUGGY:
        if name == "hangs":
            continue
        ids = {d.id for d in _check(name).diagnoses}
        assert ids and not ids & vague, (name, ids)


def test_the_slip_predictions_are_what_the_buggy_functions_compute():
    """Independent of the check: the buggy functions against hand-written NumPy references."""
    rng = np.random.default_rng(5)
    W, X, y, reg = rng.normal(size=(3, 4)), rng.normal(size=(6, 3)), rng.integers(0, 4, 6), 0.3
    loss, dW = correct.softmax_vectorized(W, X, y, reg)
    log10_loss, log10_dW = buggy.softmax_log10(W, X, y, reg)
    assert np.isclose(log10_loss - reg * np.sum(W * W), (loss - reg * np.sum(W * W)) / np.log(10))
    assert np.allclose(log10_dW, dW)
    Y = np.eye(4)[y]
    assert np.allclose(buggy.softmax_label_plus_one(W, X, y, reg)[1], dW + 2 * X.T @ Y / 6)
    sq_loss, sq_dW = correct.squared_hinge_naive(W, X, y, reg)
    assert np.allclose(buggy.squared_hinge_no_two(W, X, y, reg)[1] - 2 * reg * W, (sq_dW - 2 * reg * W) / 2)
    svm_loss, svm_dW = correct.svm_vectorized(W, X, y, reg)
    assert np.allclose(buggy.data_grad_twice(W, X, y, reg)[1], 2 * svm_dW - 2 * reg * W)


def test_the_slips_come_from_the_loss_definitions():
    assert {s.id for s in get("softmax").slips} == {"log10", "label-term-sign"}
    assert {s.id for s in get("squared-hinge").slips} == {"chain-rule-2-missing"}
    assert get("hinge").slips == ()

    # a squared-hinge slip is not offered for hinge: the same halved data gradient is only a ratio there
    def half_data(W, X, y, reg):
        loss, dW = correct.svm_vectorized(W, X, y, reg)
        return loss, (dW - 2 * reg * W) / 2 + 2 * reg * W

    ids = [d.id for d in symderiv.check_gradient(half_data, "hinge").diagnoses]
    assert "chain-rule-2-missing" not in ids and ids == ["data-grad-ratio"]


def test_the_offset_per_sample_probe_underflows_a_batch_wide_shift():
    p = next(q for q in probes.standard_probes(get("softmax"), 1.0) if q.name == "offset-per-sample")
    S = p.X @ p.W
    per_sample = S - S.max(axis=1, keepdims=True)
    batch = S - S.max()
    with np.errstate(all="ignore"):
        assert np.isfinite(np.log(np.exp(per_sample).sum(axis=1))).all()
        assert not np.isfinite(np.log(np.exp(batch).sum(axis=1))).all()  # log 0 for the sample far below
    # a common offset within each sample: the shift leaves every sample's scores as they were, minus a constant
    rest = p.X @ (p.W - p.shift)
    assert np.allclose(S - rest, (S - rest)[:, :1])


def test_a_function_without_any_shift_is_told_overflow_only():
    ids = [d.id for d in _check("softmax_overflow").diagnoses]
    assert "overflow" in ids and "batch-max-shift" not in ids


def test_correct_functions_pass_the_new_probe():
    for name in ("softmax_naive", "softmax_vectorized", "softmax_logsumexp", "softmax_float32"):
        result = symderiv.check_gradient(getattr(correct, name), "softmax")
        assert result.passed and "offset-per-sample" in [p.name for p in result.probes], name
