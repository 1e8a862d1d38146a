"""The user's code runs in a child process: exceptions show the user's own line, hangs and crashes
become verdicts, prints stay out of our output, and any callable works."""

import sys
import time
from pathlib import Path

import numpy as np
import pytest

import symderiv
from symderiv.errors import InputError

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))
import buggy  # noqa: E402
import correct  # noqa: E402


def _ids(result):
    return [d.id for d in result.diagnoses]


def _line_of(function, text):
    import inspect

    source, start = inspect.getsourcelines(function)
    return start + next(k for k, line in enumerate(source) if text in line)


def test_exception_points_at_the_users_line():
    result = symderiv.check_gradient(buggy.raises, "hinge")
    message = result.diagnoses[0].message
    assert "ValueError" in message
    assert f"buggy.py:{_line_of(buggy.raises, 'h = max(0, m)')}" in message
    assert "h = max(0, m)" in message


def test_exception_raised_inside_numpy_still_points_at_the_users_line():
    def inverts(W, X, y, reg):
        return 0.0, np.linalg.inv(X)  # X is not square: NumPy raises from its own Python code

    message = symderiv.check_gradient(inverts, "hinge").diagnoses[0].message
    assert "LinAlgError" in message and "np.linalg.inv(X)" in message
    assert "numpy" not in message.split(" at ")[-1].split(":")[0]


def test_hang_becomes_a_timeout_verdict():
    start = time.monotonic()
    result = symderiv.check_gradient(buggy.hangs, "hinge", timeout=1)
    assert time.monotonic() - start < 10
    assert result.verdict == "fail" and _ids(result) == ["timeout"]
    assert any("not run" in n for n in result.notes)


def test_crash_becomes_a_verdict():
    result = symderiv.check_gradient(buggy.crashes, "hinge")
    assert _ids(result) == ["crashed"] and "status 3" in result.diagnoses[0].message


def test_prints_are_captured_not_shown():
    result = symderiv.check_gradient(correct.svm_noisy_prints, "hinge")
    assert result.passed and "debug: scores computed" in result.printed


def test_closures_and_lambdas_can_be_checked():
    scale = 2.0
    svm = correct.svm_vectorized
    assert symderiv.check_gradient(lambda W, X, y, reg: svm(W, X, y, reg * scale / 2), "hinge").passed


def test_input_mutation_fails_even_when_the_values_are_right():
    result = symderiv.check_gradient(buggy.mutates_input, "hinge")
    assert _ids(result) == ["mutated"] and "W" in result.diagnoses[0].message


def test_import_error_in_the_users_file_is_a_failing_verdict(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("import numpy as np\n\ndef f(W, X, y, reg)\n    return 0\n")
    result = symderiv.check_gradient(f"{bad}::f", "hinge")
    assert result.verdict == "fail" and _ids(result) == ["import-error"]
    assert "SyntaxError" in result.diagnoses[0].message and ":3" in result.diagnoses[0].message


def test_missing_function_is_unusable_input_and_lists_what_exists():
    with pytest.raises(InputError, match="has no function 'svm_loss'.*svm_naive"):
        symderiv.check_gradient(f"{CORPUS / 'correct.py'}::svm_loss", "hinge")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss": "no-such-loss"}, "unknown loss"),
        ({"layout": "YX"}, "unknown layout"),
        ({"regularizer": "l1"}, "unknown regularizer"),
        ({"delta": "wide"}, "margin Δ must be a number"),
        ({"timeout": 0}, "timeout"),
        ({"data": (1, 2)}, "data must be"),
    ],
)
def test_bad_options_raise_one_clear_input_error(kwargs, match):
    with pytest.raises(InputError, match=match):
        symderiv.check_gradient(correct.svm_vectorized, **{"loss": "hinge", **kwargs})


def test_result_object_carries_everything_the_json_has():
    result = symderiv.check_gradient(buggy.reg_half_gradient, "hinge")
    data = result.to_dict()
    assert data["verdict"] == "fail" and data["regularizer"] == "l2"
    assert data["diagnoses"] == [str(d) for d in result.diagnoses]
    assert {p["name"] for p in data["probes"]} >= {"random", "square", "tall", "single-sample", "kink"}
    worst = result.discrepancies[0]
    assert worst.error > 0 and worst.index is not None
    assert "∂L/∂w[" in result.diagnoses[0].where  # the symbolic truth of the worst entry
    assert data["tolerances"]["rtol"] == 1e-4


def test_regularizer_none_is_checked_when_asked_for():
    def unregularized(W, X, y, reg):
        return correct.svm_vectorized(W, X, y, 0.0)

    assert symderiv.check_gradient(unregularized, "hinge", regularizer="none").regularizer == "none"
    result = symderiv.check_gradient(unregularized, "hinge")
    assert _ids(result) == ["other-regularizer"] and "ignores reg" in result.diagnoses[0].message
    half = symderiv.check_gradient(correct.svm_half_l2, "hinge", regularizer="l2")
    assert _ids(half) == ["other-regularizer"] and "--regularizer half-l2" in half.diagnoses[0].message


def test_layout_wx_locations_are_in_the_users_indexing():
    result = symderiv.check_gradient(buggy.svm_wx_reg_half, "hinge", layout="WX")
    worst = result.discrepancies[0]
    assert worst.index is not None and worst.index[0] < 3  # row = class in layout WX (C = 3)
    assert "(feature" in result.diagnoses[0].where and "class" in result.diagnoses[0].where


def test_a_consistent_sum_over_samples_passes_with_reduction_sum_only():
    def summed(W, X, y, reg):
        N = X.shape[0]
        loss, dW = correct.svm_vectorized(W, X, y, 0.0)
        return N * loss + reg * np.sum(W * W), N * dW + 2 * reg * W

    result = symderiv.check_gradient(summed, "hinge", reduction="sum")
    assert result.passed and result.conventions["reduction"] == "sum"
    assert {"grad-not-averaged", "loss-summed"} <= set(_ids(symderiv.check_gradient(summed, "hinge")))
    averaged = symderiv.check_gradient(correct.svm_vectorized, "hinge", reduction="sum")
    assert {"grad-averaged", "loss-averaged"} <= set(_ids(averaged))


def test_conventions_of_a_derivation_can_be_passed_through():
    """The report passes a Derivation's conventions (layout, regularizer, reduction, bias) as they are."""
    result = symderiv.check_gradient(
        correct.svm_wx, "hinge", layout="WX", regularizer="l2", reduction="mean", bias=False
    )
    assert result.passed
    with pytest.raises(symderiv.NotSupportedError, match="bias trick"):
        symderiv.check_gradient(correct.svm_wx, "hinge", bias=True)
