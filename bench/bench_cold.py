"""Cold start of ``symderiv check`` (issue 13: one function in ≤ 0.5 s wall, fresh process).

    python bench/bench_cold.py            # 7 fresh processes per case
    python bench/bench_cold.py --quick    # 3

Measured, each in fresh processes with a cache folder of its own (``SYMDERIV_CACHE_DIR``, a temporary
folder; never the user's ~/.cache):

* ``symderiv check tests/corpus/correct.py::FUNC --loss LOSS`` with a warm cache (the generated NumPy of
  proven derivations stored by an earlier check): wall time, median; and whether SymPy was imported;
* the same with an empty cache (the first check with these conventions derives and proves with SymPy);
* ``python -c "import symderiv"`` and the import time of what the warm check imports (``-X importtime``);
* ``python -c "import numpy"`` for scale (the floor of any NumPy program).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORRECT = ROOT / "tests" / "corpus" / "correct.py"
CASES = [("hinge", "svm_vectorized"), ("softmax", "softmax_vectorized")]


def _env(cache: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "SYMDERIV_CACHE_DIR": str(cache)}


def _wall(argv: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, done


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _check_argv(loss: str, func: str) -> list[str]:
    return [sys.executable, "-m", "symderiv", "check", f"{CORRECT}::{func}", "--loss", loss]


def _import_micros(stderr: str) -> tuple[int, dict[str, int]]:
    """From ``-X importtime``: the total import time (µs, top-level imports summed) and each module's
    cumulative time (at whatever depth it was first imported)."""
    total, out = 0, {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            total += int(m.group(1)) if not m.group(2) else 0
            out[m.group(3)] = int(m.group(1))
    return total, out


def run(quick: bool = False) -> list[dict]:
    repeat = 3 if quick else 7
    rows: list[dict] = []

    def row(case, value, unit, note=""):
        rows.append({"benchmark": "check cold start", "case": case, "value": value, "unit": unit, "note": note})

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for loss, func in CASES:
            cache = tmp / f"cache-{loss}"
            miss, done = _wall(_check_argv(loss, func), _env(cache))  # fills the cache
            assert done.returncode == 0, done.stdout + done.stderr
            warm = []
            for _ in range(repeat):
                wall, done = _wall(_check_argv(loss, func), _env(cache))
                assert done.returncode == 0, done.stdout + done.stderr
                warm.append(wall)
            traced = subprocess.run(
                [sys.executable, "-X", "importtime", *_check_argv(loss, func)[1:]],
                capture_output=True,
                text=True,
                env=_env(cache),
            )
            total, imports = _import_micros(traced.stderr)
            sympy = "sympy" in imports
            row(
                f"`symderiv check FILE::{func} --loss {loss}`, warm cache, fresh process",
                round(_median(warm), 3),
                "s",
                f"median of {repeat} (min {min(warm):.3f}, max {max(warm):.3f}); target ≤ 0.5 s; "
                f"SymPy imported: {'yes' if sympy else 'no'}; imports {total / 1e6:.3f} s "
                f"(NumPy {imports.get('numpy', 0) / 1e6:.3f} s, click {imports.get('click', 0) / 1e6:.3f} s)",
            )
            row(
                "the same, empty cache (first check with these conventions: derive and prove)",
                round(miss, 3),
                "s",
                "one run; stores the proven generated NumPy for every later process",
            )
        for label, code in (("import symderiv", "import symderiv"), ("import numpy", "import numpy")):
            walls = [_wall([sys.executable, "-c", code], _env(tmp / "unused"))[0] for _ in range(repeat)]
            row(f"`python -c '{label}'`, fresh process", round(_median(walls), 3), "s", f"median of {repeat}")
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    from run import print_rows

    print_rows(run(quick="--quick" in sys.argv))
