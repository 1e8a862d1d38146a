"""``symderiv verify NOTE`` (issue 11): a whole note verified in a fresh process, interpreter start
and imports included, as a user runs it. Target: a seed-sized note (3–15 kB, 10–30 claims) in ≤ 2 s.

    python bench/bench_notes.py            # every note of tests/notes, and the seeds when ../shared/seeds exists
    python bench/bench_notes.py --quick    # one run each

Wall time is what the user waits; CPU time (of the child process) does not grow when other
processes share the machine. The import of symderiv alone is measured the same way, for scale.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDS = ROOT.parent / "shared" / "seeds"


def _notes() -> list[Path]:
    notes = sorted((ROOT / "tests" / "notes").glob("*.*"))
    if SEEDS.is_dir():
        notes += sorted(SEEDS.glob("0*.txt"))
    return notes


def _fresh(args: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one child process, and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode not in (0, 1):
        raise RuntimeError(out.stderr)
    return wall, cpu, out.stdout


def run(quick: bool = False) -> list[dict]:
    repeat = 1 if quick else 3
    rows = []
    imports = [_fresh(["-c", "import symderiv.cli"]) for _ in range(repeat)]
    rows.append(
        {
            "benchmark": "verify a note (fresh process)",
            "case": "import symderiv (for scale)",
            "value": round(min(w for w, _, _ in imports), 3),
            "unit": "s",
            "note": f"CPU {min(c for _, c, _ in imports):.2f} s; best of {repeat}",
        }
    )
    for note in _notes():
        runs = [_fresh(["-m", "symderiv", "verify", str(note), "--json"]) for _ in range(repeat)]
        result = json.loads(runs[0][2])
        verdicts = [c["verdict"] for c in result["claims"]]
        counts = ", ".join(f"{verdicts.count(v)} {v}" for v in ("proved", "refuted", "not understood"))
        where = "seed " if note.parent == SEEDS else ""
        rows.append(
            {
                "benchmark": "verify a note (fresh process)",
                "case": f"{where}{note.name} ({note.stat().st_size / 1000:.1f} kB, {len(verdicts)} claims)",
                "value": round(min(w for w, _, _ in runs), 3),
                "unit": "s",
                "note": f"CPU {min(c for _, c, _ in runs):.2f} s; {counts}; best of {repeat}; target ≤ 2 s",
            }
        )
    return rows


if __name__ == "__main__":
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for row in run(quick="--quick" in sys.argv):
        print(f"{row['case']:60s} {row['value']:7.3f} {row['unit']}  {row['note']}")
