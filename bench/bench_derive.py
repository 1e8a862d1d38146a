"""symderiv's concrete-size ``derive`` (proof included) against plain SymPy differentiation.

Three measurements, all in one run, every figure from a fresh Python process (``python -c``) that
imports first and times only the call (import excluded). Times are the CPU time of that process
(``time.process_time``; the work is single-threaded), with wall-clock in the note: on a shared
machine CPU time is the figure that reproduces.

* ``derive, fresh process`` — ``derive(loss, D=10, C=10, N=5)`` for each built-in loss, proof
  included (C**N = 10⁵ label patterns is above the exhaustive limit, so one pattern is proved
  symbolically, plus exact rational points); median of REPEATS processes. Target: < 0.5 s.
* ``derive scaling`` — the same call at D·C·N = 500 … 10⁴ (C = 10, N = 5, D = 10 … 200), with the
  time per entry of D·C·N (constant when the cost grows linearly), and in a separate process the
  tracemalloc peak of the call.
* ``plain SymPy`` — the hinge loss built with ``sympy.Max`` (L = (1/N) Σ_i Σ_{j≠y_i}
  Max(0, s_ij − s_iy_i + Δ) + λ Σ W², s = X·W in the entries), then ``sympy.diff(L, w_uv)`` for
  every entry, building excluded, with a time cap per size: "> cap" when it does not finish (a
  larger size is then not run — the cost only grows). No simplification and no proof: SymPy's
  share of the work only. The ratio row is SymPy time / symderiv time for the same size.

    python bench/bench_derive.py [--quick]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

LOSSES = ("hinge", "squared-hinge", "softmax")
C, N = 10, 5
SIZES = (500, 1000, 2500, 5000, 10_000)  # D·C·N; D = size / (C·N)
QUICK_SIZES = (500, 1000, 2500)
REPEATS = 3
CAP = 60.0  # seconds for plain SymPy per size
QUICK_CAP = 15.0
TARGET = 0.5

DERIVE = r"""
import json, sys, time, tracemalloc
import symderiv
for public in symderiv.__all__:  # import excluded: the package loads its stages lazily, load them all now
    getattr(symderiv, public)
name, D, C, N, memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
if memory:
    tracemalloc.start()
start, cpu = time.perf_counter(), time.process_time()
d = symderiv.derive(name, D=D, C=C, N=N)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = tracemalloc.get_traced_memory()[1] if memory else 0
print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak": peak, "proved": d.proved}))
"""

SYMPY = r"""
import json, sys, time
import sympy as sp
D, C, N, cap = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
W = sp.Matrix(D, C, lambda u, v: sp.Symbol(f"w_{u}_{v}", real=True))
X = sp.Matrix(N, D, lambda i, u: sp.Symbol(f"x_{i}_{u}", real=True))
delta, lam = sp.Symbol("Delta", real=True), sp.Symbol("lambda", nonnegative=True)
y = [(C - 1 - i) % C for i in range(N)]
start = time.perf_counter()
S = X * W
hinge = sp.Add(*[sp.Max(0, S[i, j] - S[i, y[i]] + delta) for i in range(N) for j in range(C) if j != y[i]])
L = hinge / N + lam * sp.Add(*[w**2 for w in W])
print(json.dumps({"build": time.perf_counter() - start}), flush=True)
start, cpu = time.perf_counter(), time.process_time()
for k, w in enumerate(W):
    sp.diff(L, w)
    elapsed = time.process_time() - cpu
    print(json.dumps({"done": k + 1, "cpu": elapsed, "seconds": time.perf_counter() - start}), flush=True)
    if elapsed > cap:
        break
"""


def _python(code: str, *args: object, timeout: float | None = None) -> tuple[list[dict], bool]:
    """Run ``python -c code args`` in a fresh process; its JSON lines, and whether it finished."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        finished = True
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        finished = False
    if finished and proc.returncode != 0:
        raise RuntimeError(
            f"benchmark process failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}"
        )
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")], finished


def derive_seconds(name: str, D: int) -> tuple[float, float]:
    """(CPU seconds, wall-clock seconds) of one derive call in a fresh process."""
    (result,), _ = _python(DERIVE, name, D, C, N, 0)
    if not result["proved"]:
        raise RuntimeError(f"derive({name!r}, D={D}) did not prove its claims")
    return result["cpu"], result["seconds"]


def derive_peak(name: str, D: int) -> float:
    (result,), _ = _python(DERIVE, name, D, C, N, 1)
    return result["peak"] / 2**20


def sympy_diff(D: int, cap: float) -> tuple[float | None, int, float, float]:
    """(CPU seconds to diff every entry, or None when it stopped at the cap; entries done;
    wall-clock seconds — or, past the cap, the CPU time extrapolated to every entry; seconds to
    build L). The child stops itself after the entry that passes the cap; the parent's timeout is
    only a safety net."""
    lines, _ = _python(SYMPY, D, C, N, cap, timeout=3 * cap + 120)
    build = next((r["build"] for r in lines if "build" in r), float("nan"))
    progress = [r for r in lines if "done" in r]
    done = progress[-1]["done"] if progress else 0
    cpu = progress[-1]["cpu"] if progress else float("nan")
    if done < D * C:
        return None, done, cpu * D * C / max(done, 1), build
    return cpu, done, progress[-1]["seconds"], build


def run(quick: bool = False) -> list[dict]:
    sizes = QUICK_SIZES if quick else SIZES
    cap = QUICK_CAP if quick else CAP
    repeats = 1 if quick else REPEATS
    rows: list[dict] = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    def row(benchmark, case, value, unit, note=""):
        rows.append({"benchmark": benchmark, "case": case, "value": value, "unit": unit, "note": note})

    for name in LOSSES:
        times = [derive_seconds(name, 10) for _ in range(repeats)]
        cpu, wall = statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)
        row(
            "derive, fresh process",
            f"{name} D=10 C=10 N=5",
            cpu,
            "s CPU",
            f"median of {repeats} processes (wall-clock {wall:.3g} s), import excluded, proof included; "
            f"target < {TARGET} s: {'met' if cpu < TARGET else 'NOT met'}",
        )

    ours: dict[tuple[str, int], float] = {}
    for name in LOSSES:
        first = None
        for size in sizes:
            D = size // (C * N)
            cpu, wall = derive_seconds(name, D)
            ours[(name, size)] = cpu
            first = first or cpu / size
            row(
                "derive scaling",
                f"{name} D·C·N={size} (D={D})",
                cpu,
                "s CPU",
                f"{cpu / size * 1e6:.0f} µs per entry of D·C·N ({cpu / size / first:.2f}× the smallest size's); "
                f"wall-clock {wall:.3g} s",
            )
    for name in LOSSES:
        for size in sizes:
            peak = derive_peak(name, size // (C * N))
            row("derive memory", f"{name} D·C·N={size}", peak, "MiB", "tracemalloc peak of the derive call")

    exceeded = None
    for size in sizes:
        D = size // (C * N)
        bound = f"> {cap / ours[('hinge', size)]:.0f}"
        if exceeded is not None:
            row(
                "plain SymPy diff",
                f"hinge D·C·N={size}",
                f"> {cap:.0f}",
                "s CPU",
                f"not run: D·C·N={exceeded} passed the cap",
            )
            row("ratio SymPy / derive", f"hinge D·C·N={size}", bound, "×", "lower bound (CPU time)")
            continue
        cpu, done, wall, build = sympy_diff(D, cap)
        if cpu is None:
            exceeded = size
            note = (
                f"stopped at the cap after {done} of {D * C} entries (all entries at that pace: ≈ {wall:.0f} s); "
                f"building L took {build:.2f} s (not counted)"
            )
            row("plain SymPy diff", f"hinge D·C·N={size}", f"> {cap:.0f}", "s CPU", note)
            row("ratio SymPy / derive", f"hinge D·C·N={size}", bound, "×", "lower bound (CPU time)")
        else:
            note = (
                f"diff only, all {D * C} entries (wall-clock {wall:.3g} s); building L took {build:.2f} s (not counted)"
            )
            row("plain SymPy diff", f"hinge D·C·N={size}", cpu, "s CPU", note)
            row("ratio SymPy / derive", f"hinge D·C·N={size}", cpu / ours[("hinge", size)], "×", "CPU time, same run")
    row(
        "environment",
        "load average at start",
        load,
        "",
        f"{os.cpu_count()} CPUs; times are CPU seconds of the single-threaded child (robust to a shared machine)",
    )
    return rows


def markdown(rows: list[dict]) -> str:
    keys = ("benchmark", "case", "value", "unit", "note")

    def cell(v: object) -> str:
        return (f"{v:.3g}" if isinstance(v, float) else str(v)).replace("|", "\\|")

    lines = ["| " + " | ".join(keys) + " |", "|" + "|".join("---" for _ in keys) + "|"]
    return "\n".join(lines + ["| " + " | ".join(cell(r[k]) for k in keys) + " |" for r in rows])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(markdown(run(quick="--quick" in argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
