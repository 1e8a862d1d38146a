"""Checks on the user's own data: small data through derive, cs231n-sized data through the
vectorized function generated from the derivation; from the API and from an .npz via the CLI."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import symderiv
from symderiv.check import truth as truth_mod
from symderiv.cli import cli

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))
import buggy  # noqa: E402
import correct  # noqa: E402


@pytest.fixture(scope="module")
def dev_set():
    """cs231n's development set sizes: N = 500, D = 3073 (with the bias column), C = 10, with the
    assignment's W = 1e-4 · randn and the λ = 5e1 of its gradient check."""
    rng = np.random.default_rng(0)
    X = rng.normal(scale=60.0, size=(500, 3073))
    X[:, -1] = 1.0
    return rng.normal(scale=1e-4, size=(3073, 10)), X, rng.integers(0, 10, 500), 5e1


def test_small_data_is_checked_against_a_derivation():
    rng = np.random.default_rng(3)
    data = (rng.normal(size=(3, 4)), rng.normal(size=(5, 3)), np.array([0, 3, 3, 1, 2]), 0.25)
    result = symderiv.check_gradient(correct.svm_naive, "hinge", data=data)
    assert result.passed and "derivations" in result.tolerances["truth"]
    assert [p.name for p in result.probes] == ["your-data"]  # a right function is called once
    wrong = symderiv.check_gradient(buggy.reg_half_gradient, "hinge", data=data)
    assert [p.name for p in wrong.probes] == ["your-data", "your-data-no-reg"]  # λ = 0 tells which term


def test_cs231n_sized_data_uses_the_generated_vectorized_function(dev_set):
    result = symderiv.check_gradient(correct.svm_vectorized, "hinge", data=dev_set)
    assert result.passed and "numpy_function" in result.tolerances["truth"]
    source = truth_mod.source_for(
        symderiv.losses.get("hinge"), symderiv.check.probes.user_probes(*dev_set, "XW")[0], "XW"
    )
    assert isinstance(source, truth_mod.VectorizedSource)


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("reg_half_gradient", "reg-mismatch"),
        ("grad_not_averaged", "grad-not-averaged"),
        ("reg_divided_by_n", "reg-grad-divided-by-N"),
    ],
)
def test_cs231n_sized_data_catches_the_regularization_and_averaging_bugs(dev_set, name, want):
    result = symderiv.check_gradient(getattr(buggy, name), "hinge", data=dev_set)
    assert result.verdict == "fail" and want in [d.id for d in result.diagnoses], result.report()


def test_softmax_on_cs231n_sized_data(dev_set):
    assert symderiv.check_gradient(correct.softmax_vectorized, "softmax", data=dev_set).passed
    assert not symderiv.check_gradient(buggy.softmax_correct_class_sign, "softmax", data=dev_set).passed


def test_layout_wx_data_is_given_in_the_users_layout():
    rng = np.random.default_rng(4)
    W, X, y = rng.normal(size=(3, 6)), rng.normal(size=(6, 8)), rng.integers(0, 3, 8)  # W is C×D
    assert symderiv.check_gradient(correct.svm_wx, "hinge", layout="WX", data=(W, X, y, 0.1)).passed


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ((np.zeros((3, 4)), np.zeros((5, 2)), np.zeros(5, int), 0.1), "do not fit layout"),
        ((np.zeros((3, 4)), np.zeros((5, 3)), np.zeros(4, int), 0.1), "5 labels, one per sample"),
        ((np.zeros((3, 4)), np.zeros((5, 3)), np.full(5, 7), 0.1), "classes 0 … 3"),
        ({"W": np.zeros((3, 4))}, "missing: X, y"),
    ],
)
def test_unusable_data_is_an_input_error(data, match):
    with pytest.raises(symderiv.InputError, match=match):
        symderiv.check_gradient(correct.svm_vectorized, "hinge", data=data)


def test_cli_checks_an_npz(tmp_path, dev_set):
    W, X, y, reg = dev_set
    np.savez(tmp_path / "dev.npz", W=W, X=X, y=y, reg=reg)
    for name, file, code in (("svm_vectorized", "correct.py", 0), ("reg_half_gradient", "buggy.py", 1)):
        run = CliRunner().invoke(
            cli,
            [
                "check",
                f"{CORPUS / file}::{name}",
                "--loss",
                "hinge",
                "--data",
                str(tmp_path / "dev.npz"),
                "--json",
            ],
        )
        assert run.exit_code == code, run.output
        assert json.loads(run.output)["verdict"] == ("pass" if code == 0 else "fail")
    np.savez(tmp_path / "partial.npz", W=W)
    run = CliRunner().invoke(
        cli,
        [
            "check",
            f"{CORPUS / 'correct.py'}::svm_vectorized",
            "--loss",
            "hinge",
            "--data",
            str(tmp_path / "partial.npz"),
        ],
    )
    assert run.exit_code == 2


def test_a_regularization_term_below_the_tolerance_is_reported(dev_set):
    W, X, y, _ = dev_set
    result = symderiv.check_gradient(buggy.reg_half_gradient, "hinge", data=(W, X, y, 5e-6))
    assert result.passed  # the bug is invisible at this λ, and the result says so
    assert any("regularization" in n and "tolerance" in n for n in result.notes)


def test_kinks_in_large_user_data_accept_every_subgradient():
    """The vectorized truth at kink conventions 0 and 1 gives the same subdifferential test."""
    from symderiv.strategies import margins

    rng = np.random.default_rng(5)
    W = rng.integers(-1, 2, size=(4, 3)).astype(float)
    X = rng.integers(-2, 3, size=(200, 4)).astype(float)
    y = rng.integers(0, 3, 200)
    assert (margins(W, X, y) == 0).sum() > 20
    data = (W, X, y, 0.5)
    for f in (correct.svm_vectorized, correct.svm_vectorized_ge):
        result = symderiv.check_gradient(f, "hinge", data=data)
        assert result.passed and "numpy_function" in result.tolerances["truth"], result.report()
    assert not symderiv.check_gradient(buggy.kink_inconsistent, "hinge", data=data).passed


def test_zeros_are_right_when_the_truth_is_zero():
    """At W = 0 with Δ = 0 every margin is 0: loss 0 and dW = 0 (with 1[m > 0]) is a right answer,
    not an unfinished template."""
    rng = np.random.default_rng(6)
    data = (np.zeros((3, 4)), rng.normal(size=(5, 3)), np.array([0, 1, 2, 3, 3]), 0.4)
    assert symderiv.check_gradient(buggy.wrong_delta, "hinge", delta=0.0, data=data).passed
    assert not symderiv.check_gradient(buggy.template_zeros, "hinge", delta=1.0, data=data).passed


@pytest.mark.parametrize(
    ("name", "loss"),
    [
        ("svm_float32", "hinge"),
        ("softmax_float32", "softmax"),
        ("svm_naive", "hinge"),
        ("softmax_naive", "softmax"),
        ("svm_half_l2", "hinge"),
    ],
)
def test_correct_styles_pass_on_cs231n_sized_data(dev_set, name, loss):
    assert symderiv.check_gradient(getattr(correct, name), loss, data=dev_set).passed
