"""The corpus, from the API and the CLI: every correct implementation passes with the convention it
uses, every buggy one fails with the diagnosis its bug calls for."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import symderiv
from symderiv.cli import cli

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))

import buggy  # noqa: E402
import correct  # noqa: E402


@pytest.mark.parametrize("name", sorted(correct.CORRECT))
def test_correct_passes_api(name):
    loss, layout, regularizer = correct.CORRECT[name]
    result = symderiv.check_gradient(getattr(correct, name), loss, layout=layout)
    assert result.verdict == "pass", result.report()
    assert result.regularizer == regularizer
    assert result.diagnoses == [] and result.discrepancies == []
    assert all(p.status == "ok" for p in result.probes)


@pytest.mark.parametrize("name", sorted(buggy.BUGGY))
def test_buggy_fails_api_with_its_diagnosis(name):
    loss, layout, options, want = buggy.BUGGY[name]
    result = symderiv.check_gradient(getattr(buggy, name), loss, layout=layout, **options)
    assert result.verdict == "fail"
    assert want in [d.id for d in result.diagnoses], result.report()
    assert not result


def test_every_diagnosis_of_the_issue_has_a_buggy_implementation():
    named_in_issue = {
        "reg-mismatch",
        "reg-grad-factor",
        "grad-not-averaged",
        "loss-summed",
        "correct-class-sign",
        "loss-includes-correct-class",
        "repeated-labels-only",
        "d-ne-c-only",
        "overflow",
        "wrong-delta",
        "integer-dtype",
        "mutated",
        "swapped",
        "wrong-shape",
        "raised",
        "template",
        "zeros",
    }
    assert named_in_issue <= {want for _, _, _, want in buggy.BUGGY.values()}


def _cli_json(args):
    result = CliRunner().invoke(cli, ["check", *args, "--json"])
    return result.exit_code, result.output


@pytest.mark.parametrize("name", sorted(correct.CORRECT))
def test_correct_passes_cli(name):
    loss, layout, regularizer = correct.CORRECT[name]
    code, out = _cli_json([f"{CORPUS / 'correct.py'}::{name}", "--loss", loss, "--layout", layout])
    report = json.loads(out)  # exactly one JSON object, even when the function prints
    assert (code, report["verdict"], report["regularizer"]) == (0, "pass", regularizer)
    assert report["diagnoses"] == []


@pytest.mark.parametrize("name", sorted(buggy.BUGGY))
def test_buggy_fails_cli(name):
    loss, layout, options, want = buggy.BUGGY[name]
    extra = ["--timeout", str(options["timeout"])] if "timeout" in options else []
    code, out = _cli_json([f"{CORPUS / 'buggy.py'}::{name}", "--loss", loss, "--layout", layout, *extra])
    report = json.loads(out)
    assert code == 1 and report["verdict"] == "fail"
    assert report["diagnoses"] and all(isinstance(d, str) for d in report["diagnoses"])
    assert want in [f["id"] for f in report["findings"]]


def _run(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "symderiv", "check", *args], capture_output=True, text=True, timeout=timeout
    )


def test_cli_process_exit_codes_and_one_json_object():
    ok = _run(f"{CORPUS / 'correct.py'}::svm_noisy_prints", "--loss", "hinge", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["verdict"] == "pass"  # the function's print went elsewhere
    bad = _run(f"{CORPUS / 'buggy.py'}::reg_half_gradient", "--loss", "hinge")
    assert bad.returncode == 1
    assert bad.stdout.startswith("FAIL") and "factor of 2" in bad.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [f"{CORPUS / 'correct.py'}::no_such_function", "--loss", "hinge"],
            "has no function 'no_such_function'",
        ),
        (["no/such/file.py::f", "--loss", "hinge"], "no such file"),
        ([f"{CORPUS / 'correct.py'}::svm_naive", "--loss", "no-such-loss"], "unknown loss"),
        ([f"{CORPUS / 'correct.py'}", "--loss", "hinge"], "FILE.py::FUNCTION"),
        (
            [f"{CORPUS / 'correct.py'}::svm_naive", "--loss", "hinge", "--data", "missing.npz"],
            "no such data file",
        ),
    ],
)
def test_cli_unusable_input_exits_2_with_one_line(args, message):
    p = _run(*args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and message in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verdicts_do_not_depend_on_the_probe_seed(seed):
    for name in ("svm_vectorized_ge", "svm_float32", "softmax_float32", "svm_wx"):
        loss, layout, _ = correct.CORRECT[name]
        assert symderiv.check_gradient(getattr(correct, name), loss, layout=layout, seed=seed).passed, name
    for name in ("kink_inconsistent", "repeated_labels", "classes_from_wrong_axis", "correct_class_sign"):
        loss, layout, options, want = buggy.BUGGY[name]
        result = symderiv.check_gradient(getattr(buggy, name), loss, layout=layout, seed=seed, **options)
        assert want in [d.id for d in result.diagnoses], name
