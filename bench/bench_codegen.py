"""Generated vectorized NumPy (``symderiv.numpy_function``) vs careful hand-written vectorized NumPy.

CIFAR-10 sizes: D = 3073 (3072 pixels + the bias feature, as in cs231n), C = 10, N = 500 (a
minibatch) and N = 49000 (the training set); layout XW, L2 regularization, mean over samples,
float64. The hand-written implementations below are independent of the package (not its
references): what a careful person writes after the cs231n assignment. Both run side by side in
one process, repetitions interleaved (alternating which goes first); each figure is the median of
the per-repetition ratios generated / hand-written. Memory is the tracemalloc peak of one call
(NumPy reports its array allocations to tracemalloc), inputs excluded.

    python bench/bench_codegen.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc

import numpy as np

import symderiv

D, C = 3073, 10
SIZES = (500, 49000)
TARGET = 1.2


# ------------------------------------------------------------------ hand-written, independent


def hinge_hand(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    binary = (margins > 0).astype(scores.dtype)
    binary[rows, y] = -binary.sum(axis=1)
    dW = X.T @ binary / N + 2 * reg * W
    return loss, dW


def squared_hinge_hand(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    loss = np.sum(margins * margins) / N + reg * np.sum(W * W)
    weights = 2 * margins
    weights[rows, y] = -weights.sum(axis=1)
    dW = X.T @ weights / N + 2 * reg * W
    return loss, dW


def softmax_hand(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    total = exp.sum(axis=1, keepdims=True)
    loss = np.sum(np.log(total[:, 0]) - scores[rows, y]) / N + reg * np.sum(W * W)
    probs = exp / total
    probs[rows, y] -= 1
    dW = X.T @ probs / N + 2 * reg * W
    return loss, dW


HAND = {"hinge": hinge_hand, "squared-hinge": squared_hinge_hand, "softmax": softmax_hand}


# ------------------------------------------------------------------ measuring


def _timed(f, args) -> float:
    start = time.perf_counter()
    f(*args)
    return time.perf_counter() - start


def side_by_side(generated, hand, args, reps: int) -> tuple[float, float, float]:
    """(median ratio, median generated seconds, median hand-written seconds), interleaved."""
    generated(*args), hand(*args)  # warm up: caches, page faults, BLAS buffers
    ratios, tg, th = [], [], []
    for r in range(reps):
        if r % 2:
            b, a = _timed(hand, args), _timed(generated, args)
        else:
            a, b = _timed(generated, args), _timed(hand, args)
        ratios.append(a / b)
        tg.append(a)
        th.append(b)
    return statistics.median(ratios), statistics.median(tg), statistics.median(th)


def peak_bytes(f, args) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        f(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _mb(n: int) -> float:
    return n / 2**20


def run(quick: bool = False) -> list[dict]:
    rng = np.random.default_rng(0)
    rows: list[dict] = []
    for N in SIZES:
        reps = (5 if quick else 31) if N <= 5000 else (3 if quick else 9)
        X = rng.standard_normal((N, D))
        X[:, -1] = 1.0  # the bias feature, as cs231n appends it
        W = rng.standard_normal((D, C)) * 1e-3
        y = rng.integers(0, C, N)
        args = (W, X, y, 2.5e-4)
        for name, hand in HAND.items():
            generated = symderiv.numpy_function(name)
            (lg, dg), (lh, dh) = generated(*args), hand(*args)
            err = max(abs(lg - lh) / abs(lh), float(np.max(np.abs(dg - dh)) / np.max(np.abs(dh))))
            if err > 1e-10:
                raise AssertionError(f"{name} at N={N}: generated and hand-written differ (relative {err:.2g})")
            ratio, tg, th = side_by_side(generated, hand, args, reps)
            verdict = "meets" if ratio <= TARGET else "MISSES"
            rows.append(
                {
                    "benchmark": "codegen",
                    "case": f"{name}, N={N}, time",
                    "value": ratio,
                    "unit": "× hand-written",
                    "note": f"generated {_ms(tg)}, hand-written {_ms(th)}; median of {reps} interleaved; "
                    f"{verdict} the ≤ {TARGET}× target; results agree to {err:.1g}",
                }
            )
            mg, mh = peak_bytes(generated, args), peak_bytes(hand, args)
            rows.append(
                {
                    "benchmark": "codegen",
                    "case": f"{name}, N={N}, memory peak",
                    "value": _mb(mg),
                    "unit": "MiB",
                    "note": f"hand-written {_mb(mh):.3g} MiB ({mg / mh:.2f}×); tracemalloc, inputs excluded",
                }
            )
        del X
    return rows


if __name__ == "__main__":
    from run import print_rows  # bench/run.py, beside this file

    print_rows(run(quick="--quick" in sys.argv[1:]))
