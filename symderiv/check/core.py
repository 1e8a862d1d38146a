"""``check_gradient``: the pipeline of a check, read as its steps — probes, the user's function in a
child process (while the truth is computed here), comparison, diagnoses, result."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from ..conventions import LAYOUTS
from ..errors import InputError, NotSupportedError
from ..losses import get
from . import diagnose, probes, runner, truth
from .result import CheckResult

TOLERANCE_TEXT = (
    "dW entries within 1e-4 × max|true dW| (1e-3 at the large-scores probe; at a kink, anywhere in the "
    "subgradient interval), loss within 1e-4 relative; computed in float32, plus what float32 rounding can do"
)


#: rtol_scale multiplies the relative tolerance 1e-4: below 1e-4 float64 rounding fails right functions,
#: above 100 (a tolerance of 1 % of max|dW|) wrong ones pass
MIN_RTOL_SCALE, MAX_RTOL_SCALE = 1e-4, 100.0


def check_gradient(
    f: Callable | str,
    loss: str = "hinge",
    *,
    layout: str = "XW",
    regularizer: str = "auto",
    delta: float = 1.0,
    reduction: str = "mean",
    bias: bool = False,
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
    supported — X with its ones column is just data. ``delta`` is the margin Δ,
    ``layout`` "XW" (X is N×D, W is D×C) or "WX" (W is C×D, X is D×N).

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
    if bias:
        raise NotSupportedError(
            "checking with the bias trick appended by symderiv is not supported: append the constant-1 "
            "feature to X yourself (as cs231n does) and check with bias=False"
        )
    if not (isinstance(timeout, int | float) and not isinstance(timeout, bool) and 0 < timeout < math.inf):
        raise InputError(f"timeout must be a finite positive number of seconds, not {timeout!r}")
    if not (
        isinstance(rtol_scale, int | float)
        and not isinstance(rtol_scale, bool)
        and MIN_RTOL_SCALE <= rtol_scale <= MAX_RTOL_SCALE
    ):
        raise InputError(
            f"rtol_scale must be a number from {MIN_RTOL_SCALE:g} to {MAX_RTOL_SCALE:g} (it multiplies the "
            f"relative tolerance 1e-4), not {rtol_scale!r}"
        )
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
    # on the user's data, the call at λ = 0 is made only when the call at λ is wrong (it tells a wrong
    # regularization term from a wrong data term): a right function is called once
    optional = data is not None and len(chosen) == 2
    calls = [runner.Call(p.name, p.args(layout), optional=optional and i == 1) for i, p in enumerate(chosen)]
    ctx = diagnose.Context(
        definition, layout, delta, diagnose.CANDIDATES[regularizer], timeout, rtol_scale, reduction
    )
    # 2. the user's function runs in a child process while the truth is derived here
    running = runner.Running(target, calls, timeout)
    try:
        if optional:
            truths, truth_seconds = truth.compute_truths(definition, chosen[:1], layout, delta, reduction)
            first = running.outcome(0)
            wanted = first is not None and not _right(diagnose.observe(chosen[0], truths[0], first, ctx), ctx)
            if wanted:
                start = time.perf_counter()
                truths.append(truths[0].without_regularization(chosen[1]))
                truth_seconds += time.perf_counter() - start
            else:
                chosen = chosen[:1]
            running.decide(wanted)
        else:
            truths, truth_seconds = truth.compute_truths(definition, chosen, layout, delta, reduction)
    except BaseException:
        running.finish_quietly()
        raise
    outcomes, printed = running.finish()
    user_seconds = sum(o.seconds for o in outcomes)
    # 3. compare and diagnose
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
    )


def _right(o: diagnose.Observation, ctx: diagnose.Context) -> bool:
    """Whether one observation is right under one of the accepted regularizers."""
    return not o.issues and any(o.loss_ok.get(n) and o.grad_ok.get(n) for n in ctx.candidates)


def _unpack(data: tuple | dict) -> tuple:
    if isinstance(data, dict) or hasattr(data, "files"):  # a dict, or what np.load returns for .npz
        keys = set(data.keys()) if isinstance(data, dict) else set(data.files)
        missing = [k for k in ("W", "X", "y") if k not in keys]
        if missing:
            raise InputError(f"the data must hold W, X, y (and reg); missing: {', '.join(missing)}")
        if "reg" not in keys:
            raise InputError(
                "the data must hold reg (λ) too: add it (0 for no regularization), or pass --reg on the command line"
            )
        return data["W"], data["X"], data["y"], data["reg"]
    try:
        W, X, y, reg = data
    except (TypeError, ValueError):
        raise InputError("data must be (W, X, y, reg) or a dict with those keys") from None
    return W, X, y, reg
