"""Run every benchmark and print one Markdown table.

    python bench/run.py            # the full run (the table in README)
    python bench/run.py --quick    # fewer repetitions, for a smoke test

Each ``bench/bench_*.py`` exposes ``run() -> list[dict]`` (``run(quick=...)`` if it takes the
argument), rows with the keys benchmark, case, value, unit, note, and is runnable alone.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import importlib.util
import inspect
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEYS = ("benchmark", "case", "value", "unit", "note")


def blas_info() -> str:
    """Which BLAS ran: threadpoolctl when installed, else OpenBLAS asked directly through ctypes."""
    env = ", ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith(("OPENBLAS_", "OMP_", "MKL_")))
    env = f"; environment: {env}" if env else ""
    try:
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            p = blas[0]
            return (
                f"{p.get('internal_api')} {p.get('version')}, kernel {p.get('architecture')}, "
                f"{p.get('num_threads')} threads{env}"
            )
    except ImportError:
        pass
    import numpy as np

    libdir = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(glob.glob(str(libdir / "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        out = {}
        for key, restype in [("config", ctypes.c_char_p), ("corename", ctypes.c_char_p), ("num_threads", ctypes.c_int)]:
            for name in (f"scipy_openblas_get_{key}64_", f"openblas_get_{key}64_", f"openblas_get_{key}"):
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn.restype = restype
                    value = fn()
                    out[key] = value.decode() if isinstance(value, bytes) else value
                    break
        if out:
            return (
                f"{out.get('config', 'OpenBLAS')}; kernel {out.get('corename', '?')}, "
                f"{out.get('num_threads', '?')} threads "
                f"(threadpoolctl not installed: asked OpenBLAS via ctypes){env}"
            )
    return f"unknown BLAS (threadpoolctl not installed and no OpenBLAS found next to NumPy){env}"


def environment() -> list[str]:
    import numpy as np
    import sympy as sp

    return [
        f"Python {platform.python_version()}, NumPy {np.__version__}, SymPy {sp.__version__}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"BLAS: {blas_info()}",
        "load average at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min); "
        "figures are ratios of interleaved runs, so a busy machine slows both sides alike",
    ]


def _format(value) -> str:
    if isinstance(value, float):
        if value == 0 or 0.01 <= abs(value) < 1000:
            return f"{value:#.3g}" if abs(value) < 10 else f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def markdown(rows: list[dict]) -> str:
    """The rows as one Markdown table."""
    lines = ["| " + " | ".join(KEYS) + " |", "|" + "|".join(["---"] * len(KEYS)) + "|"]
    for row in rows:
        cells = [_format(row.get(k, "")).replace("|", "\\|") for k in KEYS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_rows(rows: list[dict]) -> None:
    """What a benchmark module prints when run alone."""
    print("\n".join(environment()))
    print()
    print(markdown(rows))


def modules() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def run_module(path: Path, quick: bool) -> list[dict]:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = module.run
    return run(quick=quick) if "quick" in inspect.signature(run).parameters else run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke test, not the README table)")
    parser.add_argument("only", nargs="*", help="run only these modules (e.g. bench_codegen)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    rows: list[dict] = []
    failed = 0
    for path in modules():
        if args.only and path.stem not in args.only and path.name not in args.only:
            continue
        start = time.perf_counter()
        try:
            rows += run_module(path, args.quick)
        except Exception as exc:  # one broken benchmark must not hide the others
            failed += 1
            traceback.print_exc()
            rows.append({"benchmark": path.stem, "case": "FAILED", "value": "", "unit": "", "note": repr(exc)})
        print(f"{path.name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    print("\n".join(environment()))
    print()
    print(markdown(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
