"""``check_gradient``: the pipeline of a check, read as its steps — probes, the user's function in a
child process (while the truth is computed here), comparison, diagnoses, result."""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..convention_table import LAYOUTS
from ..errors import InputError, NotSupportedError, SymderivError
from . import cache, diagnose, probes, runner, truth
from .result import CheckResult, Diagnosis

TOLERANCE_TEXT = (
    "dW entries within 1e-4 × max|true dW| (1e-3 at the large-scores probe; at a kink, anywhere in the "
    "subgradient interval), loss within 1e-4 relative; for a function that computes in float32, plus what float32 "
    "rounding can do"
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
    kink: object = 0,
    hyper: object = None,
    data: tuple | dict | None = None,
    timeout: float = 10.0,
    seed: int = 0,
    rtol_scale: float = 1.0,
    try_other_layout: bool = True,
    signature: str = "auto",
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

    ``signature="layer"`` checks a loss layer ``f(x, y) -> (loss, dx)`` over the N×C scores x
    instead (cs231n assignment 2's ``svm_loss`` and ``softmax_loss``: the mean over samples, no
    regularizer); ``"auto"`` (the default) takes a function of two parameters for a layer. The
    truth is then the derivation's ∂L/∂S = G/N at the probes' scores.

    When ``f`` fails with a shape error (or returns dW in the other shape) and ``try_other_layout``
    is true, it is checked in the other layout too, and a function written for that layout is told so.

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
    definition = cache.definition_of(loss)  # a built-in's facts come from the cache: no SymPy
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
    if not (isinstance(kink, int | float) and not isinstance(kink, bool) and 0 <= kink <= 1):
        from ..conventions import Conventions

        Conventions(kink=kink)  # a kink outside [0, 1] is no subgradient: refuse it like derive does
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
    if signature not in SIGNATURES:
        raise InputError(f"unknown signature {signature!r}: choose auto, linear (f(W, X, y, reg)) or layer (f(x, y))")
    target: runner.Target
    if isinstance(f, str):
        target = runner.resolve_path_target(f)
        name = f
    elif callable(f):
        target = f
        name = getattr(f, "__qualname__", getattr(f, "__name__", repr(f)))
    else:
        raise InputError(f"pass a function or 'FILE.py::FUNCTION', not {type(f).__name__}")

    if signature == "auto":
        signature = detect_signature(target)
    if signature == "layer":
        if data is not None:
            raise NotSupportedError(
                "checking a loss layer f(x, y) on your own data is not supported; check it without data"
            )
        layout, regularizer = "XW", "none"  # x is N×C; a loss layer has no weights to regularize

    # 1. the probes
    if data is None:
        chosen = list(standard_probe_set(definition, delta, seed, signature))
    else:
        W, X, y, reg = _unpack(data)
        chosen = probes.user_probes(W, X, y, reg, layout, defer_finite_from=TAKE_TURNS)
    # on the user's data, the call at λ = 0 is made only when the call at λ is wrong (it tells a wrong
    # regularization term from a wrong data term): a right function is called once
    optional = data is not None and len(chosen) == 2
    calls = [runner.Call(p.name, p.args(layout), optional=optional and i == 1) for i, p in enumerate(chosen)]
    ctx = diagnose.Context(
        definition, layout, delta, diagnose.CANDIDATES[regularizer], timeout, rtol_scale, reduction, signature
    )
    # 2. the user's function runs in a child process while the truth is derived here
    running = runner.Running(target, calls, timeout)
    try:
        if optional:
            if chosen[0].X.size >= TAKE_TURNS:  # both sides are big matrix products on the same cores: take turns
                running.outcome(0)
            truths, truth_seconds = truth.compute_truths(definition, chosen[:1], layout, delta, reduction, hyper_values)
            first = running.outcome(0)
            wanted = first is not None and not _right(diagnose.observe(chosen[0], truths[0], first, ctx), ctx)
            if wanted:
                start = time.perf_counter()
                truths.append(truths[0].without_regularization(chosen[1]))
                truth_seconds += time.perf_counter() - start
            else:
                chosen = chosen[:1]
            running.decide(wanted)
        elif data is None:  # the same for every check with these conventions: computed once
            begun = time.perf_counter()
            truths = standard_truths(definition, delta, seed, signature, layout, reduction, hyper_values)
            truth_seconds = time.perf_counter() - begun
        else:
            truths, truth_seconds = truth.compute_truths(definition, chosen, layout, delta, reduction, hyper_values)
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
    diagnoses = analysis.diagnoses
    probe_reports = analysis.probes
    if signature == "layer":
        diagnoses = [_as_layer(d) for d in diagnoses]
        probe_reports = [dataclasses.replace(r, status=r.status.replace("dW", "dx")) for r in probe_reports]
    elif try_other_layout and analysis.verdict == "fail" and _shape_trouble(observations):
        other = _other_layout(
            f, definition.name, layout, regularizer, delta, reduction, data, timeout, seed, rtol_scale, hyper_values
        )
        if other is not None:  # the numbers of a function run in the wrong layout say nothing more
            diagnoses = [other, *(d for d in diagnoses if d.id not in ("grad-wrong", "loss-wrong"))]
    source = (
        "generated vectorized NumPy (symderiv.numpy_function)"
        if any(isinstance(t.source, truth.VectorizedSource) for t in truths)
        else "NumPy generated from proved derivations"
    )
    if signature == "layer":
        source = "∂L/∂S = G/N of proved derivations (their generated NumPy at W = the scores, X = I)"
    return CheckResult(
        verdict=analysis.verdict,
        function=name,
        loss=definition.name,
        layout=layout,
        delta=delta,
        regularizer=analysis.regularizer,
        regularizer_requested=regularizer,
        reduction=reduction,
        diagnoses=diagnoses,
        discrepancies=analysis.discrepancies,
        probes=probe_reports,
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
        signature=signature,
        heatmap=(
            _heatmap(observations, analysis.regularizer or diagnose.CANDIDATES[regularizer][0], ctx)
            if analysis.verdict == "fail"
            else None
        ),
        hyper=dict(hyper_values),
    )


SIGNATURES = ("auto", "linear", "layer")
#: entries of the user's X from which the truth is computed after the user's call, not during it: at that
#: size both are matrix products bound by the same cores and memory, so running them together makes neither
#: faster (on two cores, each side's BLAS threads then preempt the other's), and it would slow the user's
#: call, whose time alone counts against ``timeout``
TAKE_TURNS = 1 << 22


@functools.lru_cache(maxsize=32)
def standard_probe_set(definition, delta: float, seed: int, signature: str) -> tuple:
    """The standard probes for these conventions (a layer's: the scores of the linear ones)."""
    chosen = probes.standard_probes(definition, delta, seed)
    return tuple(probes.layer_probes(chosen) if signature == "layer" else chosen)


@functools.lru_cache(maxsize=32)
def standard_truths(
    definition, delta: float, seed: int, signature: str, layout: str, reduction: str, hyper: tuple = ()
) -> list:
    """The truths at :func:`standard_probe_set`, computed once per conventions (and hyperparameters,
    ``hyper`` as numbers): every check of a session (a batch, a pytest run) with the same conventions
    shares them; no check changes them."""
    chosen = list(standard_probe_set(definition, delta, seed, signature))
    return truth.compute_truths(definition, chosen, layout, delta, reduction, hyper)[0]


#: a loss layer's words for the linear classifier's (the diagnoses are written for dW)
LAYER_WORDS = (("dW", "dx"), ("shape of W", "shape of x"), ("W.shape", "x.shape"), ("(feature ", "(sample "))


def detect_signature(target: runner.Target) -> str:
    """The signature of ``target``: "layer" for a function of two positional parameters
    ``f(x, y)``, else "linear". A FILE::FUNCTION target is read (parsed, not run) to count them."""
    import ast
    import inspect

    if callable(target):
        try:
            params = list(inspect.signature(target).parameters.values())
        except (TypeError, ValueError):
            return "linear"
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        positional = [p for p in params if p.kind in kinds]
        required = [p for p in positional if p.default is inspect.Parameter.empty]
        starred = any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in params)
        return "layer" if len(required) == 2 and len(positional) < 4 and not starred else "linear"
    path, name = target
    try:
        tree = _parsed(path, Path(path).stat().st_mtime_ns)
    except (OSError, SyntaxError, ValueError):
        return "linear"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            count = len(node.args.posonlyargs) + len(node.args.args)
            without_default = count - len(node.args.defaults)
            return "layer" if without_default == 2 and count < 4 and node.args.vararg is None else "linear"
    return "linear"


@functools.lru_cache(maxsize=64)
def _parsed(path: str, mtime_ns: int):
    """The syntax tree of a user's file (cached per modification time: a batch checks many
    functions of one file)."""
    import ast

    return ast.parse(Path(path).read_text(encoding="utf-8"))


def _as_layer(d: Diagnosis) -> Diagnosis:
    message, where = d.message, d.where
    for old, new in LAYER_WORDS:
        message, where = message.replace(old, new), where.replace(old, new)
    return Diagnosis(d.id, message, where, d.probes)


def _heatmap(observations: list, name: str, ctx) -> dict | None:
    """yours − truth at the probe where dW is worst (relative to its scale), for the picture."""
    worst = None
    for o in observations:
        if not o.numeric:
            continue
        _, grad, lo, hi = o.truth.expected(diagnose.COEFFICIENT[name])
        scale = diagnose.grad_scale(lo, hi) or 1.0
        excess = np.maximum(lo - o.grad, o.grad - hi) / scale
        if excess.max() > diagnose.rtol_of(o, ctx) and (worst is None or excess.max() > worst[0]):
            worst = (float(excess.max()), o, grad)
    if worst is None:
        return None
    _, o, grad = worst
    return {
        "probe": o.probe.name,
        "sizes": o.probe.sizes(),
        "difference": o.grad - grad,  # canonical layout: rows are features (samples for a layer), columns classes
        "rows": "sample" if ctx.signature == "layer" else "feature",
    }


#: words of NumPy's shape errors (matmul, dot, broadcasting, indexing past an axis)
SHAPE_WORDS = ("shape", "dimension", "align", "broadcast", "out of bounds", "index")


def _shape_trouble(observations: list) -> bool:
    """Whether a probe raised a shape error or returned dW in another shape."""
    for o in observations:
        for id_, _ in o.issues:
            if id_ == "wrong-shape":
                return True
            error = o.outcome.error or {}
            if (
                id_ == "raised"
                and error.get("type") in ("ValueError", "IndexError")
                and any(w in error.get("message", "").lower() for w in SHAPE_WORDS)
            ):
                return True
    return False


def _other_layout(f, loss, layout, regularizer, delta, reduction, data, timeout, seed, rtol_scale, hyper=()):
    """The finding "written for the other layout", when the function runs there; None when it does not."""
    other = "WX" if layout == "XW" else "XW"
    try:
        result = check_gradient(
            f,
            loss,
            layout=other,
            regularizer=regularizer,
            delta=delta,
            reduction=reduction,
            data=_transposed(data),
            timeout=timeout,
            seed=seed,
            rtol_scale=rtol_scale,
            hyper=dict(hyper),
            try_other_layout=False,
        )
    except SymderivError:
        return None
    shape_free = all(p.status not in ("raised", "wrong-shape") for p in result.probes)
    if result.passed:
        message = f"written for layout {other}; pass --layout {other} (checked that way, it passes)"
    elif shape_free:
        first = result.diagnoses[0].message if result.diagnoses else "it fails"
        message = f"written for layout {other}; pass --layout {other} (checked that way, it still fails: {first})"
    else:
        return None
    return Diagnosis(
        "other-layout", message, f"layout {layout}: {LAYOUT_WORDS[layout]}; {other}: {LAYOUT_WORDS[other]}"
    )


LAYOUT_WORDS = {"XW": "X is N×D, W is D×C", "WX": "W is C×D, X is D×N"}


def _transposed(data):
    """User data handed to the other layout: W and X transposed."""
    if data is None:
        return None
    W, X, y, reg = _unpack(data)
    return (np.asarray(W).T, np.asarray(X).T, y, reg)


def _right(o: diagnose.Observation, ctx: diagnose.Context) -> bool:
    """Whether one observation is right under one of the accepted regularizers."""
    return not o.issues and any(o.loss_ok.get(n) and o.grad_ok.get(n) for n in ctx.candidates)


def _unpack(data: Any) -> tuple:
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
