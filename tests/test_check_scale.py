"""Issue 10, scale and time: the truth at the user's data size never builds an N×N matrix and needs
memory of the order of N·C beyond the data; the time limit counts only the user's calls."""

import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import symderiv
from symderiv.check import probes, runner, truth
from symderiv.losses import get

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))
import correct  # noqa: E402


def _svm_reference(W, X, y, reg):
    """Hand-written vectorized hinge loss and gradient (independent of symderiv)."""
    n = X.shape[0]
    S = X @ W
    M = np.maximum(0, S - S[np.arange(n), y][:, None] + 1)
    M[np.arange(n), y] = 0
    G = (M > 0).astype(float)
    G[np.arange(n), y] = -G.sum(axis=1)
    return M.sum() / n + reg * np.sum(W * W), X.T @ G / n + 2 * reg * W


def _data(N, D, C=10, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=3.0, size=(N, D)).astype(dtype)
    return rng.normal(scale=0.1, size=(D, C)).astype(dtype), X, rng.integers(0, C, N)


def test_truth_at_data_size_never_builds_an_n_by_n_matrix(monkeypatch):
    W, X, y = _data(6000, 30)
    largest = []
    real_eye = np.eye

    def eye(n, *args, **kwargs):
        largest.append(n)
        return real_eye(n, *args, **kwargs)

    monkeypatch.setattr(np, "eye", eye)
    (t,), _ = truth.compute_truths(get("hinge"), probes.user_probes(W, X, y, 0.3, "XW")[:1], "XW", 1.0)
    assert largest and max(largest) <= truth.BLOCK < 6000
    loss, dW = _svm_reference(W, X, y, 0.3)
    got_loss, got_dW, _, _ = t.expected(1.0)
    assert got_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(got_dW, dW, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_truth_memory_beyond_the_data_is_a_fraction_of_the_data(dtype):
    W, X, y = _data(20000, 200, dtype=dtype)
    chosen = probes.user_probes(W, X, y, 0.3, "XW")[:1]
    truth.compute_truths(get("hinge"), chosen, "XW", 1.0)  # compile the generated functions first
    tracemalloc.start()
    truth.compute_truths(get("hinge"), chosen, "XW", 1.0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    data = W.nbytes + X.nbytes + y.nbytes
    assert peak < 0.5 * data, (peak, data)  # N×N alone would be 3.2 GB, 100 times the data


def test_a_right_function_on_user_data_is_called_once_a_wrong_one_twice():
    W, X, y = _data(300, 12)
    right = symderiv.check_gradient(_svm_reference, "hinge", data=(W, X, y, 0.5))
    assert right.passed and [p.name for p in right.probes] == ["your-data"]

    def wrong(W, X, y, reg):
        loss, dW = _svm_reference(W, X, y, reg)
        return loss, dW - reg * W

    result = symderiv.check_gradient(wrong, "hinge", data=(W, X, y, 0.5))
    assert [p.name for p in result.probes] == ["your-data", "your-data-no-reg"] and not result.passed


def test_the_time_limit_counts_only_the_users_calls(monkeypatch):
    """--timeout 0.2 on a 1 ms function while symderiv's own truth takes 0.6 s: only the user's calls count."""
    import symderiv.check.core as core

    slow_truths = core.standard_truths.__wrapped__

    def slow(*args):  # symderiv's side made slow on purpose (a cold first derivation on a slow machine)
        time.sleep(0.6)
        return slow_truths(*args)

    monkeypatch.setattr(core, "standard_truths", slow)
    start = time.monotonic()
    result = symderiv.check_gradient(correct.svm_vectorized, "squared-hinge", timeout=0.2)
    assert time.monotonic() - start > 0.6  # the run took longer than the limit …
    assert result.seconds["your function"] < 0.2
    assert [d.id for d in result.diagnoses] != ["timeout"]  # … and the function was not stopped


def test_results_returned_before_a_timeout_are_kept():
    calls = [runner.Call(f"p{i}", (np.eye(2), np.eye(2), np.array([0, 1]), float(i))) for i in range(4)]

    def slow_on_the_third(W, X, y, reg):
        if reg == 2.0:
            while True:
                pass
        return 0.0, W

    outcomes, _ = runner.run(slow_on_the_third, calls, timeout=0.5)
    assert [o.status for o in outcomes] == ["returned", "returned", "timeout"]
    assert outcomes[0].value["kind"] == "pair"


def test_an_import_time_loop_is_stopped(tmp_path):
    user = tmp_path / "loops.py"
    user.write_text("while True:\n    pass\n\ndef f(W, X, y, reg):\n    return 0.0, W\n")
    start = time.monotonic()
    running = runner.Running(
        (str(user), "f"), [runner.Call("p", (np.eye(2),) * 2 + (np.array([0, 1]), 0.0))], 0.5, import_timeout=1.0
    )
    outcomes, _ = running.finish()
    assert time.monotonic() - start < 5
    assert outcomes[0].status == "timeout" and "importing" in outcomes[0].error["message"]


def test_huge_prints_neither_block_nor_fill_memory():
    def chatty(W, X, y, reg):
        for _ in range(200):
            print("x" * 100_000)
        return correct.svm_vectorized(W, X, y, reg)

    result = symderiv.check_gradient(chatty, "hinge")
    assert result.passed and 0 < len(result.printed) <= runner.PRINTED_BYTES


def test_a_signature_mismatch_points_at_the_users_def(tmp_path):
    user = tmp_path / "student.py"
    user.write_text("import numpy as np\n\n\ndef svm(W, X, y):\n    return 0.0, W\n")
    result = symderiv.check_gradient(f"{user}::svm", "hinge")
    message = result.diagnoses[0].message
    assert "student.py:4" in message and "def svm(W, X, y)" in message and "runner.py" not in message


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,pgid="], capture_output=True, text=True).stdout.split("\n")
    rows = [tuple(map(int, line.split())) for line in out if line.strip()]
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for child, parent, _ in rows:
            if parent == p and child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


def _alive_with(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


def test_grandchildren_of_the_users_function_do_not_outlive_the_check(tmp_path):
    marker = f"{317 + time.time() % 1:.6f}"  # an unusual sleep duration names our grandchildren
    user = tmp_path / "forks.py"
    user.write_text(
        "import os, subprocess, sys\n"
        f"sys.path.insert(0, {str(CORPUS)!r})\n"
        "import correct\n\n"
        "def f(W, X, y, reg):\n"
        f"    subprocess.Popen(['sleep', '{marker}'])\n"
        "    if os.fork() == 0:\n"
        f"        os.execvp('sleep', ['sleep', '{marker}'])\n"
        "    return correct.svm_vectorized(W, X, y, reg)\n"
    )
    result = symderiv.check_gradient(f"{user}::f", "hinge")
    assert result.passed
    time.sleep(0.2)
    assert _alive_with(marker) == []


@pytest.mark.parametrize("signum", ["TERM", "INT", "HUP"])
def test_stopping_symderiv_stops_the_users_process_group(tmp_path, signum):
    import os
    import signal

    marker = f"{417 + time.time() % 1:.6f}"
    user = tmp_path / "spins.py"
    user.write_text(
        "import subprocess\n\n"
        "def f(W, X, y, reg):\n"
        f"    subprocess.Popen(['sleep', '{marker}'])\n"
        "    while True:\n"
        "        pass\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "symderiv", "check", f"{user}::f", "--loss", "hinge", "--timeout", "60"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    try:
        deadline = time.monotonic() + 30
        while not _alive_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive_with(marker), "the user's function never started"
        family = _descendants(proc.pid)
        proc.send_signal(getattr(signal, f"SIG{signum}"))
        proc.wait(10)
        time.sleep(0.3)
        assert _alive_with(marker) == []
        assert [p for p in family if Path(f"/proc/{p}").exists() and "Z" not in _state(p)] == []
    finally:
        proc.kill()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_cli_timeout_half_a_second_on_a_fast_function_passes():
    """The issue's acceptance test, on the command line: a fresh process derives its truth (seconds)."""
    import os

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "symderiv",
            "check",
            f"{CORPUS / 'correct.py'}::svm_vectorized",
            "--loss",
            "hinge",
            "--timeout",
            "0.5",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("PASS")


@pytest.mark.parametrize("how", ["returns", "spins"])
def test_a_grandchild_that_leaves_the_process_group_with_setsid_does_not_outlive_the_check(tmp_path, how):
    """os.setsid() escapes a process-group kill: the child is a subreaper and its whole tree is killed."""
    marker = f"{517 + time.time() % 1:.6f}"
    user = tmp_path / "escapes.py"
    spin = "    while True:\n        pass\n"
    tail = "    return correct.svm_vectorized(W, X, y, reg)\n" if how == "returns" else spin
    user.write_text(
        "import os, sys\n"
        f"sys.path.insert(0, {str(CORPUS)!r})\n"
        "import correct\n\n"
        "def f(W, X, y, reg):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"  # a daemon: its parent exits at once, it is orphaned
        f"            os.execvp('sleep', ['sleep', '{marker}'])\n"
        "        os._exit(0)\n" + tail
    )
    result = symderiv.check_gradient(f"{user}::f", "hinge", timeout=3)
    assert result.passed if how == "returns" else not result.passed
    time.sleep(0.3)
    assert _alive_with(marker) == []


@pytest.mark.parametrize(("bad", "layout"), [(np.nan, "XW"), (np.inf, "XW"), (-np.inf, "WX")])
def test_nan_or_inf_in_large_data_is_refused_with_where_it_is(bad, layout):
    """From 4M entries of X on, NaN/inf is found by the truth's own pass over X (not by one pass more)."""
    from symderiv.check import core

    W, X, y = _data(core.TAKE_TURNS // 300 + 1, 300)
    X[4321, 17] = bad
    data = (W, X, y, 0.1) if layout == "XW" else (W.T, X.T, y, 0.1)
    where = "X[4321, 17]" if layout == "XW" else "X[17, 4321]"
    with pytest.raises(symderiv.InputError, match=r"X holds 1 non-finite value\(s\) \(NaN or inf\), e\.g\. ") as info:
        symderiv.check_gradient(_svm_reference, "hinge", layout=layout, data=data)
    assert where.replace(" ", "") in str(info.value).replace(" ", "")


def test_finite_values_whose_sum_overflows_are_not_refused():
    from symderiv.check import core

    W, X, y = _data(core.TAKE_TURNS // 300 + 1, 300)
    X[:, 0] = 1e305  # the sum of a block overflows to inf; every entry is finite
    W[0] = 0.0  # the scores stay finite (and dW's row 0, a mean of 1e305·G, too)
    result = symderiv.check_gradient(_svm_reference, "hinge", data=(W, X, y, 0.1))
    assert result.verdict in ("pass", "fail")  # a verdict, not an InputError about NaN
