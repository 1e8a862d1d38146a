"""``symderiv check --data`` at the size of cs231n's training set, side by side with the user's own call.

    python bench/bench_scale.py            # N = 49 000, D = 3073, C = 10 (float64: X is 1.2 GB)
    python bench/bench_scale.py --quick    # N = 4 900

Measured in one run, each in a fresh process on the same .npz file (a correct vectorized SVM):

* the user's own call ``f(W, X, y, reg)``, alone: seconds, and memory beyond the loaded data;
* ``symderiv.check_gradient(f, "hinge", data=...)`` in Python: seconds, and memory beyond the loaded
  data, of symderiv's process and its child together;
* the command line ``symderiv check svm.py::f --loss hinge --data train.npz`` next to a script that
  loads the same file and calls ``f`` once: wall seconds of each, and the difference — first with an
  empty cache of proven generated NumPy (``SYMDERIV_CACHE_DIR``, a folder of the run), then warm.

Memory is the peak of the summed proportional set size (PSS, /proc/PID/smaps_rollup) of the process
and all its descendants, sampled every 10 ms: pages the child shares with its parent (the data, which
the child only reads) count once. The targets (issue 10): the check passes, needs at most 1× the
data's size beyond the data, and at most 1 s more than the user's own call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
D, C, REG = 3073, 10, 2.5e4

USER_FILE = '''
import numpy as np


def f(W, X, y, reg):
    """A correct cs231n-style vectorized SVM."""
    n = X.shape[0]
    S = X @ W
    margins = np.maximum(0, S - S[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    M = (margins > 0).astype(float)
    M[np.arange(n), y] = -M.sum(axis=1)
    return margins.sum() / n + reg * np.sum(W * W), X.T @ M / n + 2 * reg * W
'''

SAMPLER = '''
import os, threading, time

def tree_pss_bytes(root):
    """Σ PSS of root and its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total

class Peak:
    def __init__(self):
        self.peak, self.stop = 0, False
        self.thread = threading.Thread(target=self.loop, daemon=True)
    def loop(self):
        while not self.stop:
            self.peak = max(self.peak, tree_pss_bytes(os.getpid()))
            time.sleep(0.01)
    def __enter__(self):
        self.thread.start(); return self
    def __exit__(self, *exc):
        self.stop = True; self.thread.join(); self.peak = max(self.peak, tree_pss_bytes(os.getpid()))
'''

MEASURE = """
import json, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {tmp!r})
exec({sampler!r})
import numpy as np
{setup}
with np.load({npz!r}) as npz:
    data = {{k: npz[k] for k in npz.files}}
data_bytes = sum(a.nbytes for a in data.values())
base = tree_pss_bytes(os.getpid())
from svm import f
import resource
def cpu():
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + c.ru_utime + c.ru_stime
with Peak() as peak:
    c0 = cpu()
    t0 = time.perf_counter()
    out = {call}
    seconds = time.perf_counter() - t0
    cpu_seconds = cpu() - c0
print(json.dumps({{"seconds": seconds, "cpu": cpu_seconds, "beyond": peak.peak - base, "data": data_bytes,
                  "out": {report}}}))
"""

USER = dict(setup="", call='f(data["W"], data["X"], data["y"], float(data["reg"]))', report="float(out[0])")
CHECK = dict(
    # warm: symderiv imported and its generated functions compiled (as in a session checking twice);
    # the command-line row below is cold
    setup=(
        "import symderiv; from svm import f as g; r = np.random.default_rng(1); "
        "symderiv.check_gradient(g, 'hinge', data=(r.normal(size=(30, 10)), r.normal(size=(200, 30)), "
        "r.integers(0, 10, 200), 0.1))"
    ),
    call='symderiv.check_gradient(f, "hinge", data=data)',
    report='{"verdict": out.verdict, "truth": out.seconds["truth"], "user": out.seconds["your function"]}',
)
SCRIPT = """
import sys, numpy as np
sys.path.insert(0, {tmp!r})
from svm import f
with np.load({npz!r}) as npz:
    f(npz["W"], npz["X"], npz["y"], float(npz["reg"]))
"""


def _make_data(folder: Path, N: int) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(scale=60.0, size=(N, D))
    X[:, -1] = 1.0  # the bias trick
    path = folder / "train.npz"
    np.savez(path, W=rng.normal(scale=1e-4, size=(D, C)), X=X, y=rng.integers(0, C, N), reg=REG)
    (folder / "svm.py").write_text(USER_FILE)
    return path


def _measure(kind: dict, npz: Path, tmp: Path) -> dict:
    code = MEASURE.format(root=str(ROOT), tmp=str(tmp), sampler=SAMPLER, npz=str(npz), **kind)
    env = {**os.environ, "SYMDERIV_CACHE_DIR": str(tmp / "cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wall(argv: list[str], tmp: Path) -> tuple[float, int]:
    # symderiv's cache of proven generated NumPy in the run's own folder (never the user's ~/.cache)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SYMDERIV_CACHE_DIR": str(tmp / "cache")}
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, done.returncode


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def run(quick: bool = False) -> list[dict]:
    N = 4_900 if quick else 49_000
    rows: list[dict] = []

    def row(case, value, unit, note=""):
        rows.append({"benchmark": "check at scale", "case": case, "value": value, "unit": unit, "note": note})

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        npz = _make_data(tmp, N)
        size = f"N={N} D={D} C={C}"
        repeat = 1 if quick else 3
        runs = [(_measure(USER, npz, tmp), _measure(CHECK, npz, tmp)) for _ in range(repeat)]  # interleaved
        user = {k: _median([u[k] for u, _ in runs]) for k in ("seconds", "cpu", "beyond", "data")}
        check = {k: _median([c[k] for _, c in runs]) for k in ("seconds", "cpu", "beyond")}
        check["out"] = runs[-1][1]["out"]
        check["out"]["user"] = _median([c["out"]["user"] for _, c in runs])
        check["out"]["truth"] = _median([c["out"]["truth"] for _, c in runs])
        extra = _median([c["seconds"] - u["seconds"] for u, c in runs])
        gib = 1 << 30
        data = user["data"]
        row(f"{size}: data (W, X, y) in memory", round(data / gib, 3), "GiB", "float64")
        row(
            f"{size}: the user's call alone",
            round(user["seconds"], 3),
            "s",
            f"memory beyond the data {user['beyond'] / gib:.3f} GiB",
        )
        row(
            f"{size}: check_gradient(f, data=...), verdict {check['out']['verdict']}",
            round(check["seconds"], 3),
            "s",
            f"= the user's call + {extra:.2f} s (target ≤ + 1 s; median of {repeat} interleaved); the user's call "
            f"inside the check {check['out']['user']:.2f} s, truth {check['out']['truth']:.2f} s (after the call: "
            "at this size they take turns)",
        )
        row(
            f"{size}: check_gradient CPU time / the user's call's CPU time",
            round(check["cpu"] / user["cpu"], 2),
            "×",
            f"{check['cpu']:.2f} s vs {user['cpu']:.2f} s, symderiv's process and its child (independent of the "
            "machine's load: the truth does the same two products with X as the call, so ≈ 2× is the floor)",
        )
        row(
            f"{size}: check_gradient memory beyond the data",
            round(check["beyond"] / data, 3),
            "× data",
            f"{check['beyond'] / gib:.3f} GiB, parent and child together (target ≤ 1×); the user's call alone "
            f"{user['beyond'] / data:.3f}×",
        )
        script = tmp / "plain.py"
        script.write_text(SCRIPT.format(tmp=str(tmp), npz=str(npz)))
        argv = [sys.executable, "-m", "symderiv", "check", f"{tmp / 'svm.py'}::f", "--loss", "hinge"]
        argv += ["--data", str(npz)]
        shutil.rmtree(tmp / "cache", ignore_errors=True)
        plain_first, _ = _wall([sys.executable, str(script)], tmp)
        first, code = _wall(argv, tmp)  # an empty cache: generates the vectorized NumPy and proves it (SymPy)
        row(
            f"{size}: `symderiv check --data` (exit {code}), first run (empty cache) vs the script",
            round(first - plain_first, 2),
            "s more",
            f"{first:.2f} s vs {plain_first:.2f} s: the first check with these conventions generates the vectorized "
            "NumPy and proves it (SymPy), and stores it for every later process",
        )
        walls = []
        for _ in range(repeat):
            plain, _ = _wall([sys.executable, str(script)], tmp)
            cli, code = _wall(argv, tmp)
            walls.append((plain, cli))
        plain, cli = _median([w[0] for w in walls]), _median([w[1] for w in walls])
        extra_cli = _median([c - p for p, c in walls])
        row(
            f"{size}: `symderiv check --data` (exit {code}) vs a script loading the .npz and calling f once",
            round(extra_cli, 2),
            "s more",
            f"{cli:.2f} s vs {plain:.2f} s (ratio {cli / plain:.2f}; target ≤ + 1 s; median of {repeat} interleaved, "
            "warm cache: no SymPy; the rest is importing symderiv, the child process and the truth's two products "
            "with X, made after the user's call)",
        )
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"| {r['case']} | {r['value']} {r['unit']} | {r['note']} |")
