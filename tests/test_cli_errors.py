"""Issue 10: bad input is one line and exit 2 (one JSON object with --json), an internal error is exit 3
and "internal error" (the traceback only with --debug), and options that do not apply are refused."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

import symderiv
from symderiv.cli import cli

REPO = Path(__file__).resolve().parent.parent
CORRECT = Path(__file__).parent / "corpus" / "correct.py"


def _run(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "symderiv", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def _one_line_error(done, code=2):
    assert done.returncode == code, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symderiv: error: "), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    return lines[0]


def test_json_error_is_one_object_on_stdout_and_exit_2():
    """The external contract: `symderiv check impl.py::missing --loss hinge --json`."""
    done = _run("check", f"{CORRECT}::missing", "--loss", "hinge", "--json")
    assert done.returncode == 2
    obj = json.loads(done.stdout)  # exactly one JSON object: json.loads refuses anything more
    assert isinstance(obj, dict) and "error" in obj and "missing" in obj["error"]


@pytest.mark.parametrize(
    "args",
    [
        ["--loss", "nope"],
        ["--loss", "hinge", "--layout", "QQ"],
        ["--loss", "hinge", "--timeout", "inf"],
        ["--loss", "hinge", "--timeout", "-1"],
        ["--loss", "hinge", "--data", "/no/such.npz"],
    ],
)
def test_every_input_error_with_json_is_one_json_object(args):
    done = _run("check", f"{CORRECT}::svm_vectorized", *args, "--json")
    assert done.returncode == 2 and "error" in json.loads(done.stdout), (done.stdout, done.stderr)


def _npz(tmp_path, name="d.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


@pytest.fixture
def good():
    rng = np.random.default_rng(0)
    return {"W": rng.normal(size=(3, 4)), "X": rng.normal(size=(6, 3)), "y": np.array([0, 1, 2, 3, 0, 1]), "reg": 0.1}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"X": "nan"}, "non-finite"),
        ({"W": "inf"}, "non-finite"),
        ({"reg": None}, "must hold reg"),
        ({"y": "float"}, "whole-number labels"),
        ({"reg": -1.0}, "≥ 0"),
    ],
)
def test_bad_data_files_are_one_line(tmp_path, good, change, match):
    data = dict(good)
    for key, how in change.items():
        if how is None:
            del data[key]
        elif how == "nan":
            data[key] = data[key].copy()
            data[key][1, 2] = np.nan
        elif how == "inf":
            data[key] = data[key].copy()
            data[key][0, 0] = np.inf
        elif how == "float":
            data[key] = data[key].astype(float)
        else:
            data[key] = how
    line = _one_line_error(
        _run("check", f"{CORRECT}::svm_vectorized", "--loss", "hinge", "--data", _npz(tmp_path, **data))
    )
    assert match in line


def test_a_missing_reg_can_be_given_on_the_command_line(tmp_path, good):
    data = {k: v for k, v in good.items() if k != "reg"}
    done = _run(
        "check", f"{CORRECT}::svm_vectorized", "--loss", "hinge", "--data", _npz(tmp_path, **data), "--reg", "0.1"
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("content", [b"garbage", b"PK\x03\x04garbage", b""])
def test_garbage_npz_is_one_line(tmp_path, content):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    line = _one_line_error(_run("check", f"{CORRECT}::svm_vectorized", "--loss", "hinge", "--data", str(bad)))
    assert "bad.npz" in line and ".npz" in line


def test_nan_in_the_data_is_refused_not_called_mutation():
    W, X = np.ones((3, 4)), np.ones((5, 3))
    X[0, 0] = np.nan
    with pytest.raises(symderiv.InputError, match="non-finite"):
        symderiv.check_gradient(lambda W, X, y, reg: (0.0, W), "hinge", data=(W, X, np.zeros(5, int), 0.0))


def test_huge_but_finite_timeout_is_accepted():
    result = symderiv.check_gradient(lambda W, X, y, reg: (0.0, 0 * W), "hinge", timeout=1e308)
    assert result.verdict == "fail"  # it ran: a verdict, not an OverflowError


@pytest.mark.parametrize("scale", [0, -1, float("nan"), float("inf"), 1e9, True, "2"])
def test_bad_rtol_scale_is_refused(scale):
    with pytest.raises(symderiv.InputError, match="rtol_scale"):
        symderiv.check_gradient(lambda W, X, y, reg: (0.0, W), "hinge", rtol_scale=scale)


def test_complex_results_are_a_verdict(tmp_path):
    user = tmp_path / "cx.py"
    user.write_text(
        f"import sys\nsys.path.insert(0, {str(CORRECT.parent)!r})\nimport correct\n\n"
        "def f(W, X, y, reg):\n    loss, dW = correct.svm_vectorized(W, X, y, reg)\n    return loss, dW + 1e-3j\n"
    )
    done = _run("check", f"{user}::f", "--loss", "hinge", "--json")
    assert done.returncode == 1
    obj = json.loads(done.stdout)
    assert obj["verdict"] == "fail" and any("complex" in d for d in obj["diagnoses"])


def test_internal_error_is_exit_3_and_the_traceback_only_with_debug(monkeypatch):
    import symderiv.check.core as core

    def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    import symderiv.check.cli as check_cli

    monkeypatch.setattr(core, "check_gradient", broken)
    monkeypatch.setattr(check_cli, "check_gradient", broken)
    runner = CliRunner()
    out = runner.invoke(cli, ["check", f"{CORRECT}::svm_vectorized", "--loss", "hinge"])
    assert out.exit_code == 3 and "internal error" in out.output and "Traceback" not in out.output
    assert "--debug" in out.output
    out = runner.invoke(cli, ["--debug", "check", f"{CORRECT}::svm_vectorized", "--loss", "hinge"])
    assert out.exit_code == 3 and "Traceback" in out.output and "a bug of ours" in out.output
    out = runner.invoke(cli, ["check", f"{CORRECT}::svm_vectorized", "--loss", "hinge", "--json"])
    assert out.exit_code == 3 and json.loads(out.stdout)["error"].startswith("internal error")


def test_a_full_disk_is_one_line_exit_2(tmp_path, monkeypatch):
    import symderiv.report.writers as writers

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writers.os, "fsync", full)
    out = CliRunner().invoke(cli, ["report", "hinge", "--format", "md", "--out", str(tmp_path)])
    assert out.exit_code == 2 and out.output.strip().splitlines() == ["symderiv: error: No space left on device"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["derive", "hinge", "--steps"], "--steps applies only with --generic"),
        (["derive", "--all", "hinge"], "--all derives every built-in loss"),
        (["derive", "hinge", "--generic", "--entry", "0,1"], "--entry needs concrete sizes"),
        (["check", f"{CORRECT}::svm_vectorized", "--loss", "hinge", "--reg", "0.1"], "--reg applies to --data only"),
    ],
)
def test_options_that_do_not_apply_are_refused(args, match):
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 2 and match in out.output


def test_labels_without_sizes_are_refused():
    with pytest.raises(symderiv.InputError, match="need the sizes"):
        symderiv.derive("hinge", y=[0, 1])


@pytest.fixture(scope="module")
def small():
    return symderiv.derive("hinge", D=2, C=3, N=2, y=[0, 2])


@pytest.mark.parametrize(
    "formula",
    [
        lambda d: sp.Piecewise((d.X[0, 0], d.X[0, 0] > 0), (0, True)),
        lambda d: sp.Integral(d.X[0, 0], (d.X[0, 0], 0, 1)),
        lambda d: sp.nan,
        lambda d: sp.zoo,
        lambda d: None,
        lambda d: "x + 1",
    ],
)
def test_verify_formula_refuses_what_it_cannot_compare(small, formula):
    with pytest.raises(symderiv.InputError):
        symderiv.verify_formula(small, formula(small), entry=(0, 1))
    with pytest.raises(symderiv.InputError):
        symderiv.verify_formula(small, lambda u, v: formula(small))


@pytest.mark.parametrize("entry", [("a", "b"), (0.5, 1), (True, 0)])
def test_entry_takes_whole_numbers(small, entry):
    with pytest.raises(symderiv.InputError):
        small.entry(*entry)


def test_data_whose_scores_overflow_is_one_line(tmp_path, good):
    data = {**good, "W": np.full((3, 4), 1e300), "X": np.full((6, 3), 1e300)}
    done = _run("check", f"{CORRECT}::svm_vectorized", "--loss", "hinge", "--data", _npz(tmp_path, **data))
    assert "not finite even in float64" in _one_line_error(done)
