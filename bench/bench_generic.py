"""The symbolic-size derivation (issue 5): each built-in loss, every layout, with and without the
bias trick, derived and proved in a fresh process (import excluded). Target: under 2 s each.

    python bench/bench_generic.py
"""

from __future__ import annotations

import json
import subprocess
import sys

LOSSES = ("hinge", "squared-hinge", "softmax")
PROGRAM = """
import json, sys, time
import symderiv
for public in symderiv.__all__:  # import excluded: the package loads its stages lazily, load them all now
    getattr(symderiv, public)
t = time.perf_counter()
d = symderiv.derive(sys.argv[1], layout=sys.argv[2], bias=sys.argv[3] == "1")
print(json.dumps({"seconds": time.perf_counter() - t, "proved": d.proved}))
"""


def _fresh(loss: str, layout: str, bias: bool) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, loss, layout, "1" if bias else "0"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def run(quick: bool = False) -> list[dict]:
    rows = []
    for loss in LOSSES:
        for layout in ("XW",) if quick else ("XW", "WX"):
            for bias in (False, True):
                times = [_fresh(loss, layout, bias) for _ in range(1 if quick else 3)]
                best = min(t["seconds"] for t in times)
                rows.append(
                    {
                        "benchmark": "symbolic-size derive (fresh process)",
                        "case": f"{loss} {layout}{' +bias' if bias else ''}",
                        "value": round(best, 3),
                        "unit": "s",
                        "note": ("proved" if all(t["proved"] for t in times) else "NOT PROVED")
                        + f"; best of {len(times)}; target < 2 s",
                    }
                )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(f"{row['case']:28s} {row['value']:8.3f} {row['unit']}  {row['note']}")
