"""Speed of ``symderiv check``, side by side with the numerical checks people use instead.

    python bench/bench_check.py            # prints the rows
    python bench/bench_check.py --quick    # fewer repetitions

Measured in one run:

* the full check on the standard probes (cold: a fresh process, derivations compiled; warm:
  derivations cached), wall and CPU time, for each built-in loss;
* the check on cs231n's development-set sizes (N = 500, D = 3073, C = 10, W = 1e-4·randn, λ = 50
  as in the assignment's gradient check), where the truth is the vectorized generated function;
* a full central-difference check of the same dW: 2·D·C = 61 460 loss evaluations (timed on a
  random sample of entries and scaled: the whole takes minutes);
* cs231n's ``grad_check_sparse``: 10 random entries, and whether its relative errors expose a
  regularization gradient off by a factor of 2 (cs231n's reading: > 1e-2 "probably wrong");
* a teaching assistant's batch: 176 functions of the test corpus (correct and buggy, every loss;
  the one that hangs left out) checked by ``symderiv.check.batch.check_many`` in a fresh process,
  import included, with 2 workers and with 1 (target: 176 functions on 2 cores in ≤ 60 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

N, D, C, REG = 500, 3073, 10, 5e1


def svm_loss_vectorized(W, X, y, reg):
    """A correct cs231n-style vectorized SVM loss (the user's function in these benchmarks)."""
    n = X.shape[0]
    S = X @ W
    margins = np.maximum(0, S - S[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    M = (margins > 0).astype(float)
    M[np.arange(n), y] = -M.sum(axis=1)
    return margins.sum() / n + reg * np.sum(W * W), X.T @ M / n + 2 * reg * W


def svm_reg_factor_bug(W, X, y, reg):
    """The most common real bug: loss λΣW², gradient λW."""
    loss, dW = svm_loss_vectorized(W, X, y, reg)
    return loss, dW - reg * W


def svm_loss_naive(W, X, y, reg):
    """cs231n's loops."""
    dW = np.zeros(W.shape)
    loss = 0.0
    n = X.shape[0]
    for i in range(n):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / n + reg * np.sum(W * W), dW / n + 2 * reg * W


def dev_set(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=60.0, size=(N, D))
    X[:, -1] = 1.0  # the bias trick
    return rng.normal(scale=1e-4, size=(D, C)), X, rng.integers(0, C, N)


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, rng=None):
    """cs231n's gradient_check.grad_check_sparse, returning the relative errors instead of printing."""
    rng = rng if rng is not None else np.random.default_rng(0)
    errors = []
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(m)) for m in x.shape)
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad_numerical = (fxph - fxmh) / (2 * h)
        grad_analytic = analytic_grad[ix]
        errors.append(abs(grad_numerical - grad_analytic) / (abs(grad_numerical) + abs(grad_analytic)))
    return errors


COLD = """
import json, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {here!r})
t0 = time.perf_counter(); import symderiv; t1 = time.perf_counter()
from bench_check import svm_loss_naive
from symderiv.check import probes
import numpy as np
sys.path.insert(0, {corpus!r})
import correct
f = {{"hinge": correct.svm_naive, "squared-hinge": correct.squared_hinge_naive,
      "softmax": correct.softmax_naive}}[{loss!r}]
c0 = time.process_time(); t2 = time.perf_counter()
r = symderiv.check_gradient(f, {loss!r})
t3 = time.perf_counter(); c1 = time.process_time()
print(json.dumps({{"import": t1 - t0, "wall": t3 - t2, "cpu": c1 - c0, "truth": r.seconds["truth"],
                  "user": r.seconds["your function"], "verdict": r.verdict}}))
"""


BATCH = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r}); sys.path.insert(0, {corpus!r})
import buggy, correct
from symderiv.check.batch import check_many
items = [({corpus!r} + "/correct.py::" + n, dict(loss=l, layout=lay)) for n, (l, lay, _) in correct.CORRECT.items()]
items += [({corpus!r} + "/buggy.py::" + n, dict(loss=l, layout=lay, **o))
          for n, (l, lay, o, _) in buggy.BUGGY.items() if n != "hangs"]
targets = [items[i % len(items)] for i in range({count})]
b = check_many(targets, jobs={jobs})
print(json.dumps({{"wall": time.perf_counter() - t0, "distinct": len(items), **b.summary()}}))
"""


def _fresh(code: str) -> dict:
    """Run ``code`` in a fresh process with an empty cache of proven generated NumPy (its own temporary
    ``SYMDERIV_CACHE_DIR``: the process derives and proves, as the first check on a machine does;
    bench/bench_cold.py measures the warm cache)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SYMDERIV_CACHE_DIR": cache}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _batch(count: int, jobs: int) -> dict:
    code = BATCH.format(root=str(HERE.parent), corpus=str(HERE.parent / "tests" / "corpus"), count=count, jobs=jobs)
    return _fresh(code)


def _cold(loss: str) -> dict:
    code = COLD.format(root=str(HERE.parent), here=str(HERE), corpus=str(HERE.parent / "tests" / "corpus"), loss=loss)
    return _fresh(code)


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run(quick: bool = False) -> list[dict]:
    with tempfile.TemporaryDirectory() as cache:  # never the user's ~/.cache
        previous = os.environ.get("SYMDERIV_CACHE_DIR")
        os.environ["SYMDERIV_CACHE_DIR"] = cache
        try:
            return _run(quick)
        finally:
            if previous is None:
                os.environ.pop("SYMDERIV_CACHE_DIR", None)
            else:
                os.environ["SYMDERIV_CACHE_DIR"] = previous


def _run(quick: bool) -> list[dict]:
    import symderiv

    sys.path.insert(0, str(HERE.parent / "tests" / "corpus"))
    import correct

    rows: list[dict] = []
    repeat = 2 if quick else 5

    def row(case, value, unit, note=""):
        rows.append({"benchmark": "check", "case": case, "value": value, "unit": unit, "note": note})

    # 1. the full check on the standard probes
    naive = {
        "hinge": correct.svm_naive,
        "squared-hinge": correct.squared_hinge_naive,
        "softmax": correct.softmax_naive,
    }
    for loss, f in naive.items():
        cold = _cold(loss)
        assert cold["verdict"] == "pass"
        row(
            f"full check, {loss}, cold (fresh process, empty cache)",
            round(cold["wall"], 3),
            "s",
            f"CPU {cold['cpu']:.2f} s; truth (derive + lambdify) {cold['truth']:.2f} s; "
            f"user code {cold['user']:.3f} s; import symderiv {cold['import']:.2f} s not included",
        )
        symderiv.check_gradient(f, loss)
        warm = _best(lambda f=f, loss=loss: symderiv.check_gradient(f, loss), repeat)
        row(
            f"full check, {loss}, warm (derivations cached)",
            round(warm, 3),
            "s",
            "same process, second check onward (e.g. a pytest session)",
        )

    # 2. on cs231n's development set
    W, X, y = dev_set()
    data = (W, X, y, REG)
    symderiv.check_gradient(svm_loss_vectorized, "hinge", data=data)  # compile the generated function
    t_check = _best(lambda: symderiv.check_gradient(svm_loss_vectorized, "hinge", data=data), repeat)
    row(
        "check on user data N=500 D=3073 C=10, vectorized SVM",
        round(t_check, 3),
        "s",
        "truth from symderiv.numpy_function; the user function called at λ (again at λ = 0 only when wrong)",
    )
    t_naive = _best(lambda: symderiv.check_gradient(svm_loss_naive, "hinge", data=data), 1 if quick else 2)
    row(
        "check on user data N=500 D=3073 C=10, naive-loop SVM",
        round(t_naive, 3),
        "s",
        "most of it is the user's two loop calls",
    )
    bug = symderiv.check_gradient(svm_reg_factor_bug, "hinge", data=data)
    row(
        "symderiv catches reg-gradient factor-2 bug on the dev set",
        int(not bug.passed),
        "bool",
        ", ".join(d.id for d in bug.diagnoses),
    )
    bug_probes = symderiv.check_gradient(svm_reg_factor_bug, "hinge")
    row(
        "symderiv catches reg-gradient factor-2 bug on its probes",
        int(not bug_probes.passed),
        "bool",
        ", ".join(d.id for d in bug_probes.diagnoses),
    )

    # 3. a full central-difference check of the same dW (2·D·C loss evaluations)
    loss_only = lambda Wx: svm_loss_vectorized(Wx, X, y, REG)[0]  # noqa: E731
    sample = 100 if quick else 500
    rng = np.random.default_rng(1)
    Wc = W.copy()
    t = time.perf_counter()
    for _ in range(sample):
        ix = (int(rng.integers(D)), int(rng.integers(C)))
        old = Wc[ix]
        Wc[ix] = old + 1e-5
        loss_only(Wc)
        Wc[ix] = old - 1e-5
        loss_only(Wc)
        Wc[ix] = old
    per_entry = (time.perf_counter() - t) / sample
    t_full = per_entry * D * C
    row(
        "full central-difference check, 2·D·C = 61460 loss evaluations",
        round(t_full, 1),
        "s",
        f"timed on {sample} random entries ({2 * sample} evaluations), scaled to all {D * C} entries",
    )
    row("ratio: full central differences / symderiv check on the same data", round(t_full / t_check), "×", "")

    # 4. cs231n's sparse check: 10 random entries
    t_sparse = _best(
        lambda: grad_check_sparse(
            loss_only, W.copy(), svm_loss_vectorized(W, X, y, REG)[1], rng=np.random.default_rng(2)
        ),
        repeat,
    )
    row("cs231n grad_check_sparse, 10 random entries (20 loss evaluations)", round(t_sparse, 3), "s", "")
    row("ratio: symderiv check / sparse 10-entry check", round(t_check / t_sparse, 1), "×", "")
    trials = 10 if quick else 50
    _, analytic_bug = svm_reg_factor_bug(W, X, y, REG)
    flagged, worst = 0, []
    _, analytic_ok = svm_loss_vectorized(W, X, y, REG)
    ok_errors = []
    for k in range(trials):
        errors = grad_check_sparse(loss_only, W.copy(), analytic_bug, rng=np.random.default_rng(100 + k))
        flagged += max(errors) > 1e-2
        worst.append(max(errors))
        ok_errors.append(max(grad_check_sparse(loss_only, W.copy(), analytic_ok, rng=np.random.default_rng(100 + k))))
    row(
        "sparse check flags the factor-2 reg bug (max rel. error > 1e-2)",
        round(flagged / trials, 3),
        "fraction",
        f"{trials} runs of 10 entries; median max rel. error with the bug {np.median(worst):.1e}, "
        f"without {np.median(ok_errors):.1e} (cs231n: < 1e-4 'usually okay' with kinks)",
    )

    # 5. a teaching assistant's batch
    count = 44 if quick else 176
    for jobs in (2, 1):
        b = _batch(count, jobs)
        row(
            f"batch of {count} corpus functions, {jobs} worker{'s' if jobs > 1 else ''}, fresh process",
            round(b["wall"], 1),
            "s",
            f"import and derivations included; {b['distinct']} distinct functions repeated; {b['passed']} passed, "
            f"{b['failed']} failed, {b['errors']} errors"
            + ("; target ≤ 60 s for 176 on 2 cores: " + ("met" if b["wall"] <= 60 else "NOT met") if jobs == 2 else ""),
        )
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['case']:70s} {r['value']!s:>10} {r['unit']:8s} {r['note']}")
