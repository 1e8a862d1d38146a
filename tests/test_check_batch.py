"""Batches for teaching assistants: many targets (FILE::FUNC, globs, folders with --function), in
parallel, one table, one JSON object, CSV and Gradescope files; exit 0 all pass, 1 any fails, 2 for
unusable input."""

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from symderiv.check import batch
from symderiv.errors import InputError

ROOT = Path(__file__).resolve().parent.parent

GOOD = textwrap.dedent(
    """
    import numpy as np

    def svm_loss_naive(W, X, y, reg):
        dW = np.zeros(W.shape)
        loss = 0.0
        for i in range(X.shape[0]):
            s = X[i].dot(W)
            for j in range(W.shape[1]):
                if j == y[i]:
                    continue
                m = s[j] - s[y[i]] + 1
                if m > 0:
                    loss += m
                    dW[:, j] += X[i]
                    dW[:, y[i]] -= X[i]
        N = X.shape[0]
        return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W
    """
)
# the most common real bug: the regularization gradient λW for a loss λΣW²
BAD = GOOD.replace("dW / N + 2 * reg * W", "dW / N + reg * W")
NO_FUNCTION = "def something_else(W, X, y, reg):\n    return 0.0, W\n"


@pytest.fixture
def subs(tmp_path):
    folder = tmp_path / "subs"
    for name, text in {"alice": GOOD, "bob": BAD, "carol": GOOD}.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "linear_svm.py").write_text(text)
    (folder / "dave").mkdir()
    (folder / "dave" / "notes.py").write_text(NO_FUNCTION)
    return folder


def _cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "symderiv", "check", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


# ---------------------------------------------------------------- targets


def test_plan_expands_globs_folders_and_function_names(subs):
    glob = batch.plan([f"{subs}/*/linear_svm.py::svm_loss_naive"])
    assert glob.batch and [Path(t.split("::")[0]).parent.name for t in glob.targets] == ["alice", "bob", "carol"]
    folder = batch.plan([str(subs)], function="svm_loss_naive")
    assert folder.targets == glob.targets  # dave's file does not define the function: not a submission
    one = batch.plan([f"{subs}/alice/linear_svm.py"], function="svm_loss_naive")
    assert not one.batch and one.targets == (f"{subs}/alice/linear_svm.py::svm_loss_naive",)
    twice = batch.plan([f"{subs}/alice/linear_svm.py::svm_loss_naive"] * 2)
    assert len(twice.targets) == 1


@pytest.mark.parametrize(
    ("specs", "function", "message"),
    [
        (["{subs}/alice/linear_svm.py"], None, "FILE.py::FUNCTION"),
        (["{subs}/nobody/*.py::svm_loss_naive"], None, "no file matches"),
        (["{subs}"], "softmax_loss_naive", "defines softmax_loss_naive"),
        (["{subs}/missing.py::f", "{subs}/alice/linear_svm.py::svm_loss_naive"], None, "no such file"),
        (["{subs}"], "not a name", "function name"),
    ],
)
def test_plan_refuses_unusable_input(subs, specs, function, message):
    with pytest.raises(InputError, match=message):
        batch.plan([s.format(subs=subs) for s in specs], function)


# ---------------------------------------------------------------- the API


def test_check_many_keeps_order_and_counts(subs):
    targets = [f"{subs}/{n}/linear_svm.py::svm_loss_naive" for n in ("alice", "bob", "carol")]
    targets.append(f"{subs}/dave/notes.py::svm_loss_naive")
    seen = []
    result = batch.check_many(targets, loss="hinge", jobs=2, progress=lambda e: seen.append(e.target))
    assert [e.target for e in result.entries] == targets and sorted(seen) == sorted(targets)
    assert [e.verdict for e in result.entries] == ["pass", "fail", "pass", "error"]
    assert result.entries[1].result.diagnoses[0].id == "reg-mismatch"
    assert "has no function 'svm_loss_naive'" in result.entries[3].error
    assert result.summary() | {"seconds": 0} == {
        "targets": 4,
        "passed": 2,
        "failed": 1,
        "errors": 1,
        "verdict": "fail",
        "seconds": 0,
        "jobs": 2,
    }
    sequential = batch.check_many(targets, loss="hinge", jobs=1)
    assert [e.verdict for e in sequential.entries] == [e.verdict for e in result.entries]


# ---------------------------------------------------------------- the command line


def test_external_contract_two_targets_one_json_object_exit_1(tmp_path):
    (tmp_path / "impl.py").write_text(
        GOOD.replace("svm_loss_naive", "good") + BAD.replace("svm_loss_naive", "reg_factor")
    )
    p = _cli("impl.py::good", "impl.py::reg_factor", "--loss", "hinge", "--json", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    report = json.loads(p.stdout)  # one object
    assert "good" in p.stdout and "reg_factor" in p.stdout
    assert [r["target"] for r in report["results"]] == ["impl.py::good", "impl.py::reg_factor"]
    assert [r["verdict"] for r in report["results"]] == ["pass", "fail"]
    # each result is the single-target object: the same keys, plus its target
    single = json.loads(_cli("impl.py::good", "--loss", "hinge", "--json", cwd=tmp_path).stdout)
    assert set(report["results"][0]) == set(single) | {"target"} and "results" not in single
    assert report["summary"]["passed"] == 1 and report["summary"]["failed"] == 1


def test_single_target_keeps_its_report(tmp_path):
    (tmp_path / "impl.py").write_text(GOOD)
    p = _cli("impl.py::svm_loss_naive", "--loss", "hinge", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.startswith("PASS  impl.py::svm_loss_naive: hinge")
    assert "targets:" not in p.stdout


def test_folder_table_csv_and_gradescope(subs, tmp_path):
    out_csv, out_gs = tmp_path / "out" / "grades.csv", tmp_path / "results.json"
    p = _cli(
        subs, "--function", "svm_loss_naive", "--loss", "hinge", "-j", "2", "--csv", out_csv, "--gradescope", out_gs
    )
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["target", "verdict", "probes"]
    assert [ln.split()[1] for ln in lines[1:4]] == ["PASS", "FAIL", "PASS"]
    assert "[reg-mismatch]" in lines[2]
    assert lines[-1].startswith("3 targets: 2 passed, 1 failed, 0 errors")
    rows = list(csv.DictReader(out_csv.open()))
    assert [(Path(r["target"].split("::")[0]).parent.name, r["verdict"], r["score"]) for r in rows] == [
        ("alice", "pass", "1"),
        ("bob", "fail", "0"),
        ("carol", "pass", "1"),
    ]
    assert rows[1]["diagnosis_ids"] == "reg-mismatch" and "factor of 2" in rows[1]["diagnoses"]
    gs = json.loads(out_gs.read_text())
    assert gs["score"] == 2
    assert [set(t) for t in gs["tests"]] == [{"name", "score", "max_score", "output", "status"}] * 3
    assert [t["status"] for t in gs["tests"]] == ["passed", "failed", "passed"]
    assert gs["tests"][1]["output"].startswith("FAIL") and gs["tests"][1]["max_score"] == 1


def test_all_passing_glob_exits_0(subs):
    p = _cli(f"{subs}/[ac]*/linear_svm.py::svm_loss_naive", "--loss", "hinge", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["summary"] | {"seconds": 0, "jobs": 0} == {
        "targets": 2,
        "passed": 2,
        "failed": 0,
        "errors": 0,
        "verdict": "pass",
        "seconds": 0,
        "jobs": 0,
    }


def test_never_overwrites_an_output_file_without_force(subs, tmp_path):
    out = tmp_path / "grades.csv"
    out.write_text("the TA's own notes\n")
    p = _cli(subs, "--function", "svm_loss_naive", "--loss", "hinge", "--csv", out)
    assert p.returncode == 2 and "exists already" in p.stderr and "Traceback" not in p.stderr
    assert out.read_text() == "the TA's own notes\n"
    p = _cli(subs, "--function", "svm_loss_naive", "--loss", "hinge", "--csv", out, "--force")
    assert p.returncode == 1 and out.read_text().startswith("target,verdict")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{subs}/zzz*.py::f", "--loss", "hinge"], "no file matches"),
        (["{subs}", "--loss", "hinge"], "FILE.py::FUNCTION"),
        (["{subs}", "--function", "svm_loss_naive", "--loss", "no-such-loss"], "unknown loss"),
        (["{subs}", "--function", "svm_loss_naive", "--loss", "hinge", "-j", "0"], "-j"),
    ],
)
def test_unusable_batch_input_exits_2(subs, args, message):
    p = _cli(*[a.format(subs=subs) for a in args])
    assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr


class _Terminal:
    """A stderr that says it is a terminal, and keeps what is written."""

    def __init__(self, tty):
        self.tty, self.text = tty, []

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass


@pytest.mark.parametrize("tty", [True, False])
def test_progress_bar_only_on_a_terminal(subs, monkeypatch, tty):
    stderr = _Terminal(tty)
    monkeypatch.setattr(sys, "stderr", stderr)
    targets = [f"{subs}/{n}/linear_svm.py::svm_loss_naive" for n in ("alice", "bob")]
    result = batch._run_with_progress(targets, {"loss": "hinge"}, jobs=1)
    assert [e.verdict for e in result.entries] == ["pass", "fail"]
    assert ("checking" in "".join(stderr.text)) is tty
