"""``check_gradient``: the pipeline of a check, read as its steps — probes, the user's function in a
child process (while the truth is computed here), comparison, diagnoses, result."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..conventions import LAYOUTS, Conventions
from ..errors import InputError, NotSupportedError
from ..losses import get
from . import diagnose, probes, runner, truth
from .result import CheckResult

TOLERANCE_TEXT = (
    "dW entries within 1e-4 × max|true dW| (1e-3 at the large-scores probe; at a kink, anywhere in the "
    "subgradient interval), loss within 1e-4 relative — float32 inside your function passes"
)


def check_gradient(
    f: Callable | str,
    loss: str = "hinge",
    *,
    layout: str = "XW",
    regularizer: str = "auto",
    delta: float = 1.0,
    reduction: str = "mean",
    bias: bool = False,
    kink: object = 0,
    hyper: object = None,
    data: tuple | dict | None = None,
    timeout: float = 10.0,
    seed: int = 0,
    rtol_scale: float = 1.0,
) -> CheckResult:
    """Check a hand-written ``f(W, X, y, reg) -> (loss, dW)`` against the derived gradient.

    ``f`` is a callable or ``"FILE.py::FUNCTION"``. ``loss`` is a registered loss ("hinge",
    "squared-hinge", "softmax"); the loss is the mean over samples plus a regularizer: with
    ``regularizer="auto"`` both λΣW² ("l2") and ½λΣW² ("half-l2") are accepted and the one that
    matched is reported; "l2", "half-l2" or "none" insist on one. ``reduction`` is "mean" (cs231n:
    L = (1/N) Σ L_i + R) or "sum"; ``bias=True`` (symderiv appending the constant-1 feature) is not
    supported — X with its ones column is just data. ``kink`` (the value of 1[m > 0] at m = 0) may be
    any value in [0, 1]: at a kink the check accepts every subgradient, so it needs none. ``delta`` is the margin Δ,
    ``layout`` "XW" (X is N×D, W is D×C) or "WX" (W is C×D, X is D×N). ``hyper`` gives the loss's own
    hyperparameters (``{"epsilon": 0.2}`` for label smoothing); those not given take their declared defaults.

    Without ``data`` the function is called on the standard probes (shapes with D < C, D = C,
    D > C, repeated and distinct labels, N = 1, λ = 0 and λ > 0, margins exactly 0, scores near
    1000 for softmax). With ``data=(W, X, y, reg)`` (or a dict with those keys) it is checked on
    that data instead, at λ = reg and at λ = 0. ``f`` runs in a separate process; ``timeout``
    bounds all its calls together.

    >>> import numpy as np, symderiv
    >>> def svm(W, X, y, reg):
    ...     N = X.shape[0]; S = X @ W
    ...     M = np.maximum(0, S - S[np.arange(N), y][:, None] + 1); M[np.arange(N), y] = 0
    ...     G = (M > 0).astype(float); G[np.arange(N), y] = -G.sum(1)
    ...     return M.sum() / N + reg * np.sum(W * W), X.T @ G / N + 2 * reg * W
    >>> result = symderiv.check_gradient(svm, loss="hinge")
    >>> result.verdict, result.regularizer
    ('pass', 'l2')
    """
    started = time.perf_counter()
    definition = get(loss)
    if layout not in LAYOUTS:
        raise InputError(f"unknown layout {layout!r}: choose XW or WX")
    if regularizer not in diagnose.CANDIDATES:
        raise InputError(f"unknown regularizer {regularizer!r}: choose auto, l2, half-l2 or none")
    try:
        delta = float(delta)
    except (TypeError, ValueError):
        raise InputError(f"the margin Δ must be a number, not {delta!r}") from None
    if not math.isfinite(delta):
        raise InputError(f"the margin Δ must be finite, not {delta}")
    if reduction not in ("mean", "sum"):
        raise InputError(f"unknown reduction {reduction!r}: choose mean (cs231n) or sum")
    hyper_values = tuple(sorted(definition.numbers(definition.hyper(hyper)).items()))  # every one a number
    Conventions(kink=kink)  # a kink outside [0, 1] is no subgradient: refuse it like derive does
    if bias:
        raise NotSupportedError(
            "checking with the bias trick appended by symderiv is not supported: append the constant-1 "
            "feature to X yourself (as cs231n does) and check with bias=False"
        )
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise InputError(f"timeout must be a positive number of seconds, not {timeout!r}")
    target: runner.Target
    if isinstance(f, str):
        target = runner.resolve_path_target(f)
        name = f
    elif callable(f):
        target = f
        name = getattr(f, "__qualname__", getattr(f, "__name__", repr(f)))
    else:
        raise InputError(f"pass a function or 'FILE.py::FUNCTION', not {type(f).__name__}")

    # 1. the probes
    if data is None:
        chosen = probes.standard_probes(definition, delta, seed)
    else:
        W, X, y, reg = _unpack(data)
        chosen = probes.user_probes(W, X, y, reg, layout)
    calls = [runner.Call(p.name, p.args(layout)) for p in chosen]
    # 2. the user's function runs in a child process while the truth is derived here
    running = runner.Running(target, calls, timeout)
    try:
        truths, truth_seconds = truth.compute_truths(definition, chosen, layout, delta, reduction, hyper_values)
    except BaseException:
        running.finish_quietly()
        raise
    outcomes, printed = running.finish()
    user_seconds = sum(o.seconds for o in outcomes)
    # 3. compare and diagnose
    ctx = diagnose.Context(definition, layout, delta, diagnose.CANDIDATES[regularizer], timeout, rtol_scale, reduction)
    observations = []
    for i, (p, t) in enumerate(zip(chosen, truths, strict=True)):
        if i < len(outcomes):
            observations.append(diagnose.observe(p, t, outcomes[i], ctx))
    analysis = diagnose.analyse(observations, ctx)
    notes = list(dict.fromkeys(n for t in truths for n in t.notes))
    for t in truths:
        if t.probe.user_data and t.probe.reg:
            scale = float(np.abs(t.grad_data + t.reg_grad).max())
            if float(np.abs(t.reg_grad).max()) <= diagnose.RTOL * rtol_scale * scale:
                notes.append(
                    f"at λ = {t.probe.reg:g} the regularization gradient of your data is below the tolerance "
                    "(1e-4 of dW), so a wrong regularization term cannot show here: check without data too"
                )
    skipped = [p.name for p in chosen[len(outcomes) :]]
    if skipped:
        notes.append("not run (the function had stopped): " + ", ".join(skipped))
    if definition.kinky and definition.uses_delta and data is None and not any(p.kink for p in chosen):
        notes.append(f"no kink probe: Δ = {delta:g} is not held exactly in floating point")
    source = (
        "generated vectorized NumPy (symderiv.numpy_function)"
        if any(isinstance(t.source, truth.VectorizedSource) for t in truths)
        else "NumPy generated from proved derivations"
    )
    return CheckResult(
        verdict=analysis.verdict,
        function=name,
        loss=definition.name,
        layout=layout,
        delta=delta,
        regularizer=analysis.regularizer,
        regularizer_requested=regularizer,
        reduction=reduction,
        diagnoses=analysis.diagnoses,
        discrepancies=analysis.discrepancies,
        probes=analysis.probes,
        tolerances={
            "rtol": diagnose.RTOL * rtol_scale,
            "atol": diagnose.ATOL,
            "text": TOLERANCE_TEXT,
            "truth": source,
        },
        seconds={
            "total": time.perf_counter() - started,
            "truth": truth_seconds,
            "your function": user_seconds,
        },
        printed=printed,
        notes=notes,
        hyper=dict(hyper_values),
    )


def _unpack(data: Any) -> tuple:
    if isinstance(data, dict) or hasattr(data, "files"):  # a dict, or what np.load returns for .npz
        keys = set(data.keys()) if isinstance(data, dict) else set(data.files)
        missing = [k for k in ("W", "X", "y") if k not in keys]
        if missing:
            raise InputError(f"the data must hold W, X, y (and reg); missing: {', '.join(missing)}")
        return data["W"], data["X"], data["y"], (data["reg"] if "reg" in keys else 0.0)
    try:
        W, X, y, reg = data
    except (TypeError, ValueError):
        raise InputError("data must be (W, X, y, reg) or a dict with those keys") from None
    return W, X, y, reg
