"""The pytest plugin, tested with pytester: the fixture, the marker, the options, readable failures,
and the whole corpus through a user's test file."""

import sys
from pathlib import Path

pytest_plugins = ["pytester"]

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))
import buggy  # noqa: E402
import correct  # noqa: E402

HEADER = f"""
import sys
import pytest
sys.path.insert(0, {str(CORPUS)!r})
import correct, buggy
"""


def test_fixture_passes_a_right_function_and_fails_a_wrong_one_readably(pytester):
    pytester.makepyfile(
        HEADER
        + """
def test_right(check_gradient):
    check_gradient(correct.svm_naive, loss="hinge")

def test_wrong(check_gradient):
    check_gradient(buggy.reg_half_gradient, loss="hinge")
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: FAIL  reg_half_gradient: hinge, layout XW*",
            "*regularization gradient off by a factor of 2 (too small)*[[]reg-mismatch[]]*",
            "*worst dW*",
        ]
    )
    assert "symderiv/check/" not in result.stdout.str()  # our frames are hidden


def test_marker_gives_the_fixture_its_options(pytester):
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.symderiv(loss="softmax", layout="WX")
def test_wx(check_gradient):
    result = check_gradient(correct.softmax_wx)
    assert result.regularizer == "half-l2" and result.layout == "WX"

@pytest.mark.symderiv(loss="softmax")
def test_call_overrides_marker(check_gradient):
    check_gradient(correct.svm_vectorized, loss="hinge", regularizer="l2")
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_marker_accepts_every_convention_and_passes_it_on(pytester):
    """One test per convention field, so a field the marker forgets fails by name; reduction="sum"
    must reach the check: the summed hinge passes and the averaged one fails."""
    from symderiv.conventions import CONVENTION_FIELDS

    values = {
        "layout": "XW",
        "regularizer": "l2",
        "reduction": "sum",
        "bias": False,
        "delta": 1.0,
        "kink": 0,
        "hyper": (),
    }
    assert set(values) == set(CONVENTION_FIELDS)
    marks = {field: ", ".join(f"{k}={v!r}" for k, v in {"reduction": "sum", field: values[field]}.items())
             for field in CONVENTION_FIELDS}  # fmt: skip
    tests = "".join(
        f"""
@pytest.mark.symderiv(loss="hinge", {marks[field]})
def test_{field}(check_gradient):
    check_gradient(svm_summed)
"""
        for field in CONVENTION_FIELDS
    )
    pytester.makepyfile(
        HEADER
        + """
import numpy as np

def svm_summed(W, X, y, reg):
    N = X.shape[0]; S = X @ W
    M = np.maximum(0, S - S[np.arange(N), y][:, None] + 1); M[np.arange(N), y] = 0
    G = (M > 0).astype(float); G[np.arange(N), y] = -G.sum(1)
    return M.sum() + reg * np.sum(W * W), X.T @ G + 2 * reg * W

@pytest.mark.symderiv(loss="hinge", reduction="sum")
def test_mean_is_wrong_for_sum(check_gradient):
    with pytest.raises(AssertionError):
        check_gradient(correct.svm_vectorized)
"""
        + tests
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=len(CONVENTION_FIELDS) + 1)


def test_marker_options_are_validated(pytester):
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.symderiv(los="hinge")
def test_typo(check_gradient):
    check_gradient(correct.svm_naive)
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown option(s) los*"])


def test_marker_is_registered(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.symderiv(loss=*"])


def test_timeout_option_stops_a_hanging_function(pytester):
    pytester.makepyfile(
        HEADER
        + """
def test_hang(check_gradient):
    check_gradient(buggy.hangs, loss="hinge")
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--symderiv-timeout", "1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*did not finish within 1 s*[[]timeout[]]*"])


def test_the_corpus_through_the_plugin(pytester):
    """Every correct implementation passes and every buggy one fails naming its diagnosis."""
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.parametrize("name", sorted(correct.CORRECT))
def test_correct(check_gradient, name):
    loss, layout, regularizer = correct.CORRECT[name]
    assert check_gradient(getattr(correct, name), loss=loss, layout=layout).regularizer == regularizer

@pytest.mark.parametrize("name", sorted(buggy.BUGGY))
def test_buggy(check_gradient, name):
    loss, layout, options, want = buggy.BUGGY[name]
    check_gradient(getattr(buggy, name), loss=loss, layout=layout, **options)
"""
    )
    reports = pytester.inline_run("-p", "no:cacheprovider")
    passed, skipped, failed = reports.listoutcomes()
    assert sorted(r.nodeid.split("[")[1][:-1] for r in passed) == sorted(correct.CORRECT)
    assert not skipped
    assert len(failed) == len(buggy.BUGGY)
    for report in failed:
        name = report.nodeid.split("[")[1][:-1]
        want = buggy.BUGGY[name][3]
        assert f"[{want}]" in report.longreprtext, (name, report.longreprtext[-2000:])
        assert "AssertionError: FAIL" in report.longreprtext
