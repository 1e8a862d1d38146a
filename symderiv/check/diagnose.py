"""Compare what the user's function returned with the derived truth, and say what is wrong.

Tolerances. An entry of dW is right when it lies in the accepted interval (one point, or the
subdifferential's range at a kink) widened by ``rtol · scale + atol``, where ``scale`` is the
largest |entry| of the true dW at that probe, ``rtol`` is 1e-4 (1e-3 at the large-scores probe,
where float32 holds a score of 1000 only to 6e-5) and ``atol`` is 1e-12. The loss is right within
``rtol · (|data loss| + |regularization|) + atol``. float32 arithmetic inside a correct function
(about 1e-7 relative) passes by three orders of magnitude; the smallest bug the rules name — a
regularization factor, a missing 1/N — is orders of magnitude larger.

Diagnoses are rules, as data:

* STRUCTURAL — facts about one call: it raised, hung, returned the wrong kind of thing, changed
  its inputs, overflowed;
* MODELS — a bug as a prediction made from the truth's parts (data term, regularization term,
  score gradient G, the same at another Δ): the rule fits when its prediction reproduces what the
  user returned on every probe where it is checked, and the user is wrong on at least one;
* PATTERNS — when no model fits: the set of probes where the function is wrong (only with
  repeated labels, only when D ≠ C, only when λ > 0, only at a kink, only at large scores).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .probes import Probe
from .result import REGULARIZER_TEXT, Diagnosis, Discrepancy, ProbeReport
from .runner import Outcome
from .truth import Truth, block_rows

if TYPE_CHECKING:  # pragma: no cover
    from ..losses import Loss

COEFFICIENT = {"l2": 1.0, "half-l2": 0.5, "none": 0.0}
CANDIDATES = {"auto": ("l2", "half-l2"), "l2": ("l2",), "half-l2": ("half-l2",), "none": ("none",)}
ATOL = 1e-12
RTOL = 1e-4
#: margins a hand-written function might hard-code instead of the Δ it was given
OTHER_DELTAS = (0.0, 1.0, 0.5, 2.0, -1.0)


@dataclass
class Context:
    loss: Any  # the Loss, or its cached facts (symderiv.check.cache.LossFacts), which stand for it
    layout: str
    delta: float
    candidates: tuple[str, ...]
    timeout: float
    rtol_scale: float = 1.0
    reduction: str = "mean"
    signature: str = "linear"


@dataclass
class Observation:
    """One probe: what the user's function did, next to the truth."""

    probe: Probe
    truth: Truth
    outcome: Outcome
    loss: float | None = None
    grad: np.ndarray | None = None  # canonical layout (D×C)
    issues: list[tuple[str, str]] = field(default_factory=list)  # (rule id, detail)
    loss_ok: dict[str, bool] = field(default_factory=dict)
    grad_ok: dict[str, bool] = field(default_factory=dict)
    eps: float = 0.0  # the unit roundoff the user computed in, when coarser than float64's (float32)

    @property
    def numeric(self) -> bool:
        return self.loss is not None and self.grad is not None

    @property
    def loss_value(self) -> float:
        """The loss the function returned (only for a :attr:`numeric` observation)."""
        assert self.loss is not None
        return self.loss

    @property
    def grad_value(self) -> np.ndarray:
        """The dW the function returned, canonical layout (only for a :attr:`numeric` observation)."""
        assert self.grad is not None
        return self.grad

    @property
    def fits(self) -> bool:
        """Used to fit the bug models (the exact kinks and the float32-limited large scores are not)."""
        return self.numeric and not self.probe.kink and self.probe.shift is None


# ---------------------------------------------------------------- tolerances


def grad_within(user: np.ndarray, lower: np.ndarray, upper: np.ndarray, rtol: float, scale: float) -> np.ndarray:
    tol = rtol * scale + ATOL
    return (user >= lower - tol) & (user <= upper + tol)


def grad_scale(*arrays: np.ndarray) -> float:
    return max(float(np.abs(a).max()) if a.size else 0.0 for a in arrays)


def loss_tolerance(truth: Truth, c: float, rtol: float, *extra: float) -> float:
    return rtol * max([abs(truth.loss_data) + abs(c * truth.reg_loss), *map(abs, extra)]) + ATOL


def rtol_of(o: Observation, ctx: Context) -> float:
    return o.probe.rtol * ctx.rtol_scale


def compare(o: Observation, ctx: Context) -> None:
    """Fill ``loss_ok`` and ``grad_ok`` for every candidate regularizer."""
    if not o.numeric:
        return
    rounding_grad, rounding_loss = precision_tolerance(o)
    for name in COEFFICIENT:  # the requested conventions decide; the others name what the function does
        c = COEFFICIENT[name]
        loss, grad, lo, hi = o.truth.expected(c)
        lo, hi = lo - rounding_grad, hi + rounding_grad
        rtol = rtol_of(o, ctx)
        o.loss_ok[name] = abs(o.loss_value - loss) <= loss_tolerance(o.truth, c, rtol) + rounding_loss
        scale = grad_scale(lo, hi)
        o.grad_ok[name] = bool(grad_within(o.grad_value, lo, hi, rtol, scale).all()) and o.truth.in_subdifferential(
            o.grad_value, c, rtol * scale + ATOL
        )


#: rounding-error bound multiplier: the bound below is a first-order estimate, this is its safety factor
PRECISION_FACTOR = 8.0


def precision_tolerance(o: Observation) -> tuple[np.ndarray | float, float]:
    """What rounding in the user's precision may do to dW (per entry) and to the loss, when the user
    computes in a precision coarser than float64 (0 otherwise: float64 keeps the 1e-4 tolerance).

    The scores carry an error of about ε·Σ_l |x_il||w_lk|, which moves the per-sample gradient
    ∂L_i/∂s (entries of size ≤ 1 for softmax, indicators for the hinge) by about ε·(1 + that); dW sums
    x_iu times it over the samples, plus ε·2λ|W| from the regularizer. ε = 2⁻²⁴ for float32: at a
    confident softmax prediction p − 1 is a difference of two numbers near 1, and float32 cannot do
    better than this, however right the function."""
    if not o.eps:
        return 0.0, 0.0
    p = o.probe
    absW = np.abs(p.W if p.shift is None else p.W - p.shift)
    spread_sum, weighted = 0.0, np.zeros(p.D)
    step = block_rows(p.X)
    for start in range(0, p.N, step):  # block by block: no float64 copy of all of X (it may be gigabytes)
        absX = np.abs(np.asarray(p.X[start : start + step], dtype=float))
        spread = 1.0 + (absX @ absW).max(axis=1)  # per sample: 1 + the size of its largest score's terms
        spread_sum += float(spread.sum())
        weighted += absX.T @ spread
        del absX
    scale = p.N if o.truth.source.reduction == "mean" else 1
    grad = weighted[:, None] / scale + 2 * p.reg * absW
    loss = spread_sum / scale + p.reg * float((absW**2).sum())
    return PRECISION_FACTOR * o.eps * grad, PRECISION_FACTOR * o.eps * loss


def _eps(*dtypes: np.dtype) -> float:
    """The unit roundoff of the coarsest floating dtype among ``dtypes``, if coarser than float64's."""
    eps = max((float(np.finfo(d).eps) / 2 for d in dtypes if d.kind == "f"), default=0.0)
    return eps if eps > float(np.finfo(np.float64).eps) else 0.0


# ---------------------------------------------------------------- structural rules


def observe(probe: Probe, truth: Truth, outcome: Outcome, ctx: Context) -> Observation:
    """Turn one outcome into an observation: numbers in the canonical layout, or structural issues."""
    o = Observation(probe, truth, outcome)
    if outcome.status != "returned":
        o.issues.append((outcome.status, ""))
        return o
    if outcome.mutated:
        o.issues.append(("mutated", ", ".join(outcome.mutated)))
    value = outcome.value or {}
    if value.get("kind") == "none":
        o.issues.append(("template", "returns None"))
        return o
    if value.get("kind") != "pair":
        o.issues.append(("not-a-pair", value.get("repr", "?")))
        return o
    first, second = value["parts"]
    want = probe.W.shape if ctx.layout == "XW" else probe.W.T.shape
    a, b = first.get("array"), second.get("array")
    if a is not None and b is not None and a.shape == want and b.size == 1:
        o.issues.append(("swapped", ""))
        return o
    if a is None or a.size != 1:
        o.issues.append(("loss-not-scalar", first.get("repr", "?") if a is None else f"an array of shape {a.shape}"))
        return o
    if b is None:
        o.issues.append(("non-numeric", second.get("repr", "?")))
        return o
    if b.shape != want:
        transposed = b.shape == want[::-1]
        o.issues.append(("wrong-shape", f"{b.shape} instead of {want}" + (" (transposed)" if transposed else "")))
        return o
    if a.dtype.kind == "c" or b.dtype.kind == "c":
        parts = [name for name, x in (("the loss", a), ("dW", b)) if x.dtype.kind == "c"]
        o.issues.append(("complex", " and ".join(parts)))
        return o
    loss, grad = float(a.reshape(())), b.astype(float)
    if not (np.isfinite(loss) and np.isfinite(grad).all()):
        o.issues.append((probe.non_finite, ""))
        return o
    o.loss = loss
    o.grad = grad if ctx.layout == "XW" else grad.T
    o.eps = _eps(a.dtype, b.dtype, np.asarray(probe.X).dtype, np.asarray(probe.W).dtype)
    compare(o, ctx)
    wrong = not any(o.grad_ok[n] for n in ctx.candidates)
    if b.dtype.kind in "biu" and wrong:
        o.issues.append(("integer-dtype", f"dW has dtype {b.dtype}"))
    elif (
        wrong
        and grad.any()
        and np.all(grad == np.round(grad))
        and np.any(probe.X % 1)  # whole numbers out of real-valued data: truncated
        and np.any(o.truth.grad_data % 1)
    ):
        o.issues.append(("integer-dtype", "every entry of your dW is a whole number"))
    return o


def _raised(o: Observation, ctx: Context) -> str:
    e = o.outcome.error or {}
    where = f"{_short_path(e.get('file', '?'))}:{e.get('line', '?')}"
    if e.get("function"):
        where += f" in {e['function']}"
    code = f": {e['code']}" if e.get("code") else ""
    return f"{e.get('type', 'Exception')}: {e.get('message', '')} — at {where}{code}"


def _short_path(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


#: id → message (a format string over the context, the detail and the first probe's facts)
STRUCTURAL: dict[str, Callable[[Observation, Context, str], str]] = {
    "import-error": lambda o, ctx, d: f"importing your file raised {_raised(o, ctx)}",
    "raised": lambda o, ctx, d: f"your function raised {_raised(o, ctx)}",
    "timeout": lambda o, ctx, d: (
        f"{(o.outcome.error or {})['message']}: stopped (an endless loop in the file's top-level code?)"
        if (o.outcome.error or {}).get("message")
        else f"your function did not finish within {ctx.timeout:g} s and was stopped (an endless loop, or far too slow)"
    ),
    "crashed": lambda o, ctx, d: f"the process running your function died ({(o.outcome.error or {}).get('message')})",
    "template": lambda o, ctx, d: "unfinished template: your function returns None — it must return (loss, dW)",
    "zeros": lambda o, ctx, d: "unfinished template: your function returns zeros for both the loss and dW",
    "not-a-pair": lambda o, ctx, d: f"your function must return a pair (loss, dW); it returned {d}",
    "swapped": lambda o, ctx, d: "(dW, loss) returned in the wrong order: return the loss first, then dW",
    "loss-not-scalar": lambda o, ctx, d: f"the loss must be one number; yours is {d}",
    "non-numeric": lambda o, ctx, d: f"dW must be an array of numbers; yours is {d}",
    "complex": lambda o, ctx, d: f"{d} must be real, not complex (the gradient of a real loss is real)",
    "wrong-shape": lambda o, ctx, d: (
        f"dW has the wrong shape: {d}; dW must have the shape of W"
        + (
            f" (is your function written for layout {'WX' if ctx.layout == 'XW' else 'XW'}?)"
            if "transposed" in d
            else ""
        )
    ),
    "non-finite": lambda o, ctx, d: "your function returned inf or nan",
    "overflow": lambda o, ctx, d: (
        "overflow at large scores: with every score near 1000, exp(s) overflows and "
        "the result is inf or nan; subtract each sample's largest score before exp (the softmax is unchanged)"
    ),
    "batch-max-shift": lambda o, ctx, d: (
        "one maximum for the whole batch: when samples' scores differ by a large amount (here by about "
        "2000), exp(s − max) underflows to 0 for the samples far below the batch's maximum and log 0 = −inf; "
        "subtract each sample's own maximum (S.max(axis=1, keepdims=True)), not S.max()"
    ),
    "other-layout": lambda o, ctx, d: d,
    "integer-dtype": lambda o, ctx, d: (
        f"integer dtype truncation: {d}, so fractions are cut off; create dW as a "
        "float array (np.zeros(W.shape) or np.zeros_like(W, dtype=float))"
    ),
    "mutated": lambda o, ctx, d: (
        f"input mutated: your function changes the caller's {d} in place; work on a "
        f"copy ({d.split(',')[0]} = {d.split(',')[0]} - … instead of {d.split(',')[0]} -= …, or .copy())"
    ),
}


#: structural findings that already say why the numbers are wrong (no "no common bug" line then)
EXPLAINS = {"integer-dtype": "grad", "wrong-shape": "grad"}


# ---------------------------------------------------------------- bug models


@dataclass(frozen=True)
class Model:
    """A bug as a prediction from the truth's parts; ``predict(truth, c, param)``."""

    id: str
    component: str  # "loss" or "grad"
    predict: Callable[[Truth, float, Any], Any]
    message: Callable[[Context, str, Any, bool], str]  # (ctx, regularizer name, param, other part ok)
    params: Callable[[list[Observation], float], Iterable[Any]] = lambda obs, c: (None,)
    applies: Callable[[Loss], bool] = lambda loss: True  # whether it is a bug of this loss
    reductions: tuple[str, ...] = ("mean", "sum")  # the conventions it is a bug of


def _correct_class_term(loss: str | Loss) -> Callable[[float], float]:
    """What a loop that forgets to skip j = y_i adds to L_i (a model applies only where it is known)."""
    from ..losses import get

    term = (get(loss) if isinstance(loss, str) else loss).correct_class_term
    assert term is not None
    return term


def _reg(name: str) -> tuple[str, str]:
    return REGULARIZER_TEXT[name]


def _factor(ratio: float) -> str:
    """'off by a factor of 2 (too small)' for ratio ½; the sign too when it is negative."""
    if ratio == 0 or not np.isfinite(ratio):
        return "off entirely"
    size = abs(ratio)
    words = (
        f"off by a factor of {size:.3g} (too large)" if size >= 1 else f"off by a factor of {1 / size:.3g} (too small)"
    )
    return words + (", and of the wrong sign" if ratio < 0 else "")


def _fit_factor(component: str) -> Callable[[list[Observation], float], Iterable[float]]:
    def fit(obs: list[Observation], c: float) -> Iterable[float]:
        num = den = 0.0
        for o in obs:
            if o.probe.reg:
                if component == "grad":
                    num += float(np.sum((o.grad_value - o.truth.grad_data) * o.truth.reg_grad))
                    den += float(np.sum(o.truth.reg_grad**2))
                else:
                    num += (o.loss_value - o.truth.loss_data) * o.truth.reg_loss
                    den += o.truth.reg_loss**2
        enough = sum(1 for o in obs if o.probe.reg) >= (1 if component == "grad" else 2)
        if den == 0 or not enough:  # one scalar fits one loss value exactly: no evidence
            return ()
        k = num / den
        return () if abs(k) < 1e-9 or abs(k - c) < 1e-6 * max(1.0, abs(c)) else (k,)

    return fit


def _correct_class_flipped(t: Truth, c: float, _: object) -> np.ndarray:
    G = t.score_gradient()
    X, N = t.probe.X, t.samples_scale
    return t.grad_data - 2 * X.T @ (G * t.correct_class) / N + c * t.reg_grad


def _other_deltas(obs: list[Observation], c: float) -> Iterable[float]:
    delta = obs[0].truth.delta if obs else 1.0
    return [d for d in OTHER_DELTAS if d != delta]


MODELS: list[Model] = [
    Model(
        "reg-grad-missing",
        "grad",
        lambda t, c, k: t.grad_data,
        lambda ctx, r, k, ok: (
            f"dW has no regularization term: the gradient of {_reg(r)[0]} is {_reg(r)[1]}; add it to dW"
        ),
    ),
    Model(
        "reg-grad-divided-by-N",
        "grad",
        lambda t, c, k: t.grad_data + c * t.reg_grad / t.probe.N,
        lambda ctx, r, k, ok: (
            f"the regularization gradient is divided by N: add {_reg(r)[1]} after dividing dW by N, not before"
        ),
        reductions=("mean",),
    ),
    Model(
        "reg-grad-factor",
        "grad",
        lambda t, c, k: t.grad_data + k * t.reg_grad,
        lambda ctx, r, k, ok: (
            (
                f"regularization gradient {_factor(k / COEFFICIENT[r])}: your dW "
                if COEFFICIENT[r]
                else "dW has a regularization term but the loss has none: your dW "
            )
            + f"adds {2 * k:.3g}·λW, but the gradient of {_reg(r)[0]} is {_reg(r)[1]}"
        ),
        _fit_factor("grad"),
    ),
    Model(
        "grad-not-averaged",
        "grad",
        lambda t, c, k: t.probe.N * t.grad_data + c * (t.probe.N if k == "N" else 1.0) * t.reg_grad,
        lambda ctx, r, k, ok: (
            "gradient not divided by N: the loss averages over the N samples, so dW must be divided by N too"
        ),
        lambda obs, c: (1.0, "N"),
        reductions=("mean",),
    ),
    Model(
        "grad-averaged",
        "grad",
        lambda t, c, k: t.grad_data / t.probe.N + c * t.reg_grad,
        lambda ctx, r, k, ok: (
            "dW is divided by N, but the sum over samples was asked for (--reduction mean if averaging is meant)"
        ),
        reductions=("sum",),
    ),
    Model(
        "loss-averaged",
        "loss",
        lambda t, c, k: t.loss_data / t.probe.N + c * t.reg_loss,
        lambda ctx, r, k, ok: (
            "the loss is divided by N, but the sum over samples was asked for (--reduction mean if averaging is meant)"
        ),
        reductions=("sum",),
    ),
    Model(
        "correct-class-sign",
        "grad",
        _correct_class_flipped,
        lambda ctx, r, k, ok: (
            "the correct-class column has the wrong sign: column y_i of dW must get x_i times "
            + proven_cases(ctx.loss).get("label", "∂L_i/∂s_{i,y_i} (see symderiv derive --generic)")
        ),
    ),
    Model(
        "grad-transposed",
        "grad",
        lambda t, c, k: (t.grad_data + c * t.reg_grad).T if t.probe.D == t.probe.C else None,
        lambda ctx, r, k, ok: "dW is transposed (it only has W's shape when D = C)",
    ),
    Model(
        "data-grad-twice",
        "grad",
        lambda t, c, k: 2 * t.grad_data + c * t.reg_grad,
        lambda ctx, r, k, ok: (
            "the data gradient is accumulated twice: your dW's data part is exactly 2× the truth (the "
            "regularization part is right) — e.g. a loop's updates and a vectorized X.T @ M both added to dW, "
            "or both dW[:, j] and dW[:, y_i] updated for each term and then again"
        ),
    ),
    Model(
        "grad-zeros",
        "grad",
        lambda t, c, k: np.zeros_like(t.grad_data),
        lambda ctx, r, k, ok: (
            "dW is left at zeros"
            + (" while the loss is right" if ok else "")
            + ": the template's dW = np.zeros(W.shape) is never filled in — add the data gradient and "
            + f"{_reg(r)[1]}"
        ),
    ),
    Model(
        "grad-data-missing",
        "grad",
        lambda t, c, k: c * t.reg_grad if c else None,
        lambda ctx, r, k, ok: (
            f"dW holds only the regularization gradient {_reg(r)[1]}: the data term (the sum over samples "
            "through the scores) is never added"
        ),
    ),
    Model(
        "grad-sign",
        "grad",
        lambda t, c, k: -(t.grad_data + c * t.reg_grad),
        lambda ctx, r, k, ok: "dW has the opposite sign: it is −dL/dW (the direction of descent, not the gradient)",
    ),
    Model(
        "wrong-delta",
        "grad",
        lambda t, c, d: t.at_delta(d)[1] + c * t.reg_grad,
        lambda ctx, r, d, ok: f"wrong margin Δ: your code computes with Δ = {d:g}, but Δ = {ctx.delta:g}",
        _other_deltas,
        applies=lambda loss: loss.uses_delta,
    ),
    Model(
        "reg-loss-missing",
        "loss",
        lambda t, c, k: t.loss_data,
        lambda ctx, r, k, ok: f"the loss has no regularization term: add {_reg(r)[0]}",
    ),
    Model(
        "reg-loss-factor",
        "loss",
        lambda t, c, k: t.loss_data + k * t.reg_loss,
        lambda ctx, r, k, ok: (
            (
                f"regularization in the loss {_factor(k / COEFFICIENT[r])}: your loss "
                if COEFFICIENT[r]
                else "the loss has a regularization term but should have none: your loss "
            )
            + f"adds {k:.3g}·λΣW², but "
            + (f"your gradient is that of {_reg(r)[0]}" if ok else f"the regularizer is {_reg(r)[0]}")
        ),
        _fit_factor("loss"),
    ),
    Model(
        "loss-summed",
        "loss",
        lambda t, c, k: t.probe.N * t.loss_data + c * t.reg_loss,
        lambda ctx, r, k, ok: (
            "loss summed but gradient averaged: divide the loss by N as well" if ok else "the loss is not divided by N"
        ),
        reductions=("mean",),
    ),
    Model(
        "loss-includes-correct-class",
        "loss",
        lambda t, c, k: t.loss_data + _correct_class_term(t.source.loss)(t.delta) + c * t.reg_loss,
        lambda ctx, r, k, ok: (
            "the j = y_i term is included: the loss is off by "
            f"{_correct_class_term(ctx.loss)(ctx.delta):g} per sample (the correct class's margin is "
            "always Δ); skip j == y[i]"
        ),
        applies=lambda loss: loss.correct_class_term is not None,
    ),
    Model(
        "wrong-delta",
        "loss",
        lambda t, c, d: t.at_delta(d)[0] + c * t.reg_loss,
        lambda ctx, r, d, ok: f"wrong margin Δ: your code computes with Δ = {d:g}, but Δ = {ctx.delta:g}",
        _other_deltas,
        applies=lambda loss: loss.uses_delta,
    ),
]


def proven_cases(loss: Any) -> dict[str, str]:
    """∂L_i/∂s_ij of ``loss`` in its two cases as terminal text (``other``: j ≠ y_i; ``label``: j = y_i),
    printed from the proven symbolic-size derivation — what a diagnosis states as the truth; empty for a
    loss without one. Only a wrong function's diagnosis asks, so only then is SymPy imported."""
    from ..errors import SymderivError
    from ..pipeline import derive

    definition = getattr(loss, "definition", loss)
    try:
        generic: Any = derive(definition)  # no sizes: the symbolic-size derivation (GenericDerivation)
        return generic.score_case_lines() if generic.proved else {}
    except (SymderivError, AttributeError, TypeError):
        return {}


def _slip_message(slip) -> Callable[[Context, str, Any, bool], str]:
    """A slip's words, with ``{other}`` and ``{label}`` filled in with the proven derivative's cases."""

    def message(ctx: Context, r: str, k: Any, ok: bool) -> str:
        if "{" not in slip.message:
            return slip.message
        cases = proven_cases(ctx.loss)
        fallback = "the proven ∂L_i/∂s_ij (symderiv derive --generic)"
        return slip.message.format(other=cases.get("other", fallback), label=cases.get("label", fallback))

    return message


def _slip_predict(slip) -> Callable[[Truth, float, object], object]:
    def predict(t: Truth, c: float, _: object) -> object:
        if slip.component == "loss":
            return slip.loss_data_factor * t.loss_data + c * t.reg_loss
        grad = slip.grad_data_factor * t.grad_data + c * t.reg_grad
        if slip.label_weight:
            grad = grad + slip.label_weight * t.probe.X.T @ t.correct_class / t.samples_scale
        return grad

    return predict


def slip_models(loss: object) -> list[Model]:
    """The loss's own slips (``Loss.slips``, from its definition) as bug models."""
    return [
        Model(
            slip.id,
            slip.component,
            _slip_predict(slip),
            _slip_message(slip),
        )
        for slip in getattr(loss, "slips", ())
    ]


def _predicts(model: Model, o: Observation, c: float, param: object, ctx: Context) -> tuple[bool, bool, float]:
    """(the prediction matches the user's value, the user's value is wrong, the misfit in tolerances)"""
    predicted = model.predict(o.truth, c, param)
    if predicted is None:  # the model says nothing about this probe
        return True, False, 0.0
    rtol = rtol_of(o, ctx)
    if model.component == "grad":
        truth = o.truth.grad_data + c * o.truth.reg_grad
        tol = rtol * grad_scale(truth, predicted) + ATOL
        misfit = float(np.abs(o.grad_value - predicted).max()) / tol
        _, _, lo, hi = o.truth.expected(c)
        wrong = not bool(grad_within(o.grad_value, lo, hi, rtol, grad_scale(lo, hi)).all())
    else:
        loss = o.truth.expected(c)[0]
        misfit = abs(o.loss_value - predicted) / loss_tolerance(o.truth, c, rtol, predicted)
        wrong = abs(o.loss_value - loss) > loss_tolerance(o.truth, c, rtol)
    return misfit <= 1.0, wrong, misfit


def explain(
    component: str, obs: list[Observation], names: tuple[str, ...], ctx: Context, other_ok: bool
) -> Diagnosis | None:
    """The model that reproduces the user's ``component`` on every fitted probe; when several do
    (at λ/N below the tolerance, "divided by N" and "missing" both fit), the closest one."""
    fitted = [o for o in obs if o.fits]
    if not fitted:
        return None
    best: tuple[float, Diagnosis] | None = None
    for model in [*MODELS, *slip_models(ctx.loss)]:
        if model.component != component or not model.applies(ctx.loss):
            continue
        if ctx.reduction not in model.reductions:
            continue
        for name in names:
            c = COEFFICIENT[name]
            for param in model.params(fitted, c):
                results = [_predicts(model, o, c, param, ctx) for o in fitted]
                if all(m for m, _, _ in results) and any(w for _, w, _ in results):
                    misfit = max(r for _, _, r in results)
                    if best is None or misfit < best[0] * 0.5:  # clearly closer; else the earlier rule
                        probes = tuple(o.probe.name for o, (_, w, _) in zip(fitted, results, strict=True) if w)
                        best = (
                            misfit,
                            Diagnosis(model.id, model.message(ctx, name, param, other_ok), "", probes),
                        )
    return best[1] if best else None


# ---------------------------------------------------------------- patterns

#: (id, where the function is wrong, message): smallest sets first
PATTERNS: list[tuple[str, Callable[[Probe], bool], str]] = [
    (
        "kink-only",
        lambda p: p.kink,
        "wrong only where a margin is exactly 0: there dW must be a subgradient — use one indicator "
        "(m > 0, or m >= 0) for both the margin's class and the correct class",
    ),
    (
        "large-scores-only",
        lambda p: p.shift is not None,
        "wrong only with large scores (about 1000): precision is lost; shift each sample's scores by their maximum",
    ),
    ("single-sample-only", lambda p: p.N == 1, "wrong only when N = 1 (check the shapes your code assumes)"),
    (
        "repeated-labels-only",
        lambda p: p.repeated_labels,
        "wrong only with repeated labels: a fancy-indexed update such as dW[:, y] -= … (or += …) does not "
        "accumulate over repeated indices, only the last one counts; use np.add.at, or a loop, or X.T @ M",
    ),
    (
        "d-ne-c-only",
        lambda p: p.D != p.C and p.signature == "linear",
        "wrong only when D ≠ C: somewhere the number of features and the number of classes are mixed up "
        "(e.g. W.shape[0] for the classes, or a transposed product)",
    ),
    (
        "reg-only",
        lambda p: p.reg > 0,
        "wrong only when λ > 0: the regularization term is wrong (and not by a constant factor)",
    ),
]


def pattern(obs: list[Observation], failing: set[str]) -> Diagnosis | None:
    probes = [o.probe for o in obs]
    for id_, predicate, message in PATTERNS:
        inside = {p.name for p in probes if predicate(p)}
        if failing and failing <= inside and len(inside) < len(probes):
            return Diagnosis(id_, message, "", tuple(sorted(failing)))
    return None


# ---------------------------------------------------------------- the whole analysis


@dataclass
class Analysis:
    verdict: str
    regularizer: str | None
    diagnoses: list[Diagnosis]
    discrepancies: list[Discrepancy]
    probes: list[ProbeReport]


def analyse(obs: list[Observation], ctx: Context) -> Analysis:
    diagnoses: list[Diagnosis] = []
    # 1. structural: one diagnosis per rule, with the probes it happened on
    seen: dict[str, list[Observation]] = {}
    details: dict[str, str] = {}
    for o in obs:
        for id_, detail in o.issues:
            seen.setdefault(id_, []).append(o)
            details.setdefault(id_, detail)
    if "overflow" in seen:  # no shift at all overflows at both large-score probes: one finding
        seen.pop("batch-max-shift", None)
    numeric = [o for o in obs if o.numeric]
    if (
        numeric
        and all(o.loss_value == 0 and not o.grad_value.any() for o in numeric)
        and any(not any(_ok(o, n) for n in ctx.candidates) for o in numeric)  # zero is not the answer
    ):
        seen["zeros"] = numeric
        details["zeros"] = ""
    for id_, group in seen.items():
        where = "probes: " + ", ".join(o.probe.name for o in group)
        diagnoses.append(
            Diagnosis(id_, STRUCTURAL[id_](group[0], ctx, details[id_]), where, tuple(o.probe.name for o in group))
        )
    # 2. numbers: which regularizer conventions fit the loss, and the gradient, everywhere
    names = ctx.candidates
    loss_fits = [n for n in names if numeric and all(o.loss_ok[n] for o in numeric)]
    grad_fits = [n for n in names if numeric and all(o.grad_ok[n] for o in numeric)]
    both = [n for n in names if n in loss_fits and n in grad_fits]
    if both and not seen and len(numeric) == len(obs):
        return Analysis("pass", both[0], [], [], _probe_reports(obs, both[0]))
    fitting = both or loss_fits or grad_fits
    regularizer = fitting[0] if fitting else None
    other = [n for n in COEFFICIENT if n not in names and numeric and all(_ok(o, n) for o in numeric)]
    if other and not seen and len(numeric) == len(obs):
        diagnoses.append(
            Diagnosis(
                "other-regularizer",
                (
                    f"your function ignores reg: neither the loss nor dW has a regularization term (add "
                    f"{_reg(names[0])[0]} to the loss and {_reg(names[0])[1]} to dW, or check with "
                    "--regularizer none if that is meant)"
                    if other[0] == "none"
                    else f"your function consistently uses {_reg(other[0])[0]} (regularizer {other[0]}), not "
                    f"the requested {' or '.join(_reg(n)[0] for n in names)}: check with --regularizer "
                    f"{other[0]} (or auto) if that is meant"
                ),
                "",
                tuple(o.probe.name for o in numeric if o.probe.reg),
            )
        )
        return Analysis("fail", None, diagnoses, _discrepancies(obs, ctx, names[0]), _probe_reports(obs, names[0]))
    unexplained: list[str] = []
    if numeric and "zeros" not in seen:
        if loss_fits and grad_fits and not both:
            rl, rg = loss_fits[0], grad_fits[0]
            factor = COEFFICIENT[rg] / COEFFICIENT[rl] if COEFFICIENT[rl] else float("inf")
            diagnoses.append(
                Diagnosis(
                    "reg-mismatch",
                    f"regularization gradient {_factor(factor)}: your loss uses {_reg(rl)[0]} (gradient "
                    f"{_reg(rl)[1]}) but your dW adds {_reg(rg)[1]}, the gradient of {_reg(rg)[0]}",
                    "",
                    tuple(o.probe.name for o in numeric if o.probe.reg),
                )
            )
        else:
            for component, fits, other in (("grad", grad_fits, loss_fits), ("loss", loss_fits, grad_fits)):
                if fits:
                    continue
                found = explain(component, numeric, tuple(other) or names, ctx, bool(other))
                if found and not any(d.id == found.id for d in diagnoses):
                    diagnoses.append(found)
                elif not found:
                    unexplained.append(component)
    failing = {o.probe.name for o in obs if o.issues or not _ok(o, regularizer or names[0])}
    found = None
    if unexplained or (seen.keys() & {"raised", "non-finite", "wrong-shape", "timeout", "crashed"}):
        found = pattern(obs, failing)
    if found:
        diagnoses.insert(len(seen), found)
    else:
        explained_by_facts = {EXPLAINS[i] for i in seen if i in EXPLAINS}
        diagnoses.extend(
            closest(c, numeric, ctx, regularizer or names[0]) for c in unexplained if c not in explained_by_facts
        )
    diagnoses = _locate(diagnoses, obs, ctx, regularizer or names[0])
    return Analysis(
        "fail",
        regularizer,
        diagnoses,
        _discrepancies(obs, ctx, regularizer or names[0]),
        _probe_reports(obs, regularizer or names[0]),
    )


def _ok(o: Observation, name: str) -> bool:
    return o.numeric and o.loss_ok.get(name, False) and o.grad_ok.get(name, False)


def _generic(component: str, obs: list[Observation], ctx: Context, name: str) -> Diagnosis:
    wrong = [o.probe.name for o in obs if not (o.grad_ok if component == "grad" else o.loss_ok).get(name)]
    what = "dW is wrong" if component == "grad" else "the loss is wrong"
    return Diagnosis(f"{component}-wrong", f"{what}, and no common bug explains it", "", tuple(wrong))


# ---------------------------------------------------------------- the closest pattern


def _grad_parts(o: Observation, c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(yours, truth, which entries are wrong) at one probe."""
    _, truth, lo, hi = o.truth.expected(c)
    rtol = o.probe.rtol
    return o.grad_value, truth, ~grad_within(o.grad_value, lo, hi, rtol, grad_scale(lo, hi))


def _constant(values: list[float], scale: float) -> float | None:
    """The common value of ``values`` when they agree within 1e-4 of ``scale``, else None."""
    if not values:
        return None
    k = float(np.median(values))
    return k if max(abs(v - k) for v in values) <= RTOL * max(scale, 1e-12) else None


#: (id, message) of the closest patterns, tried in this order; the message formats the fitted value
CLOSEST_GRAD: list[tuple[str, str]] = [
    ("grad-ratio", "dW is {value:.4g} × the truth on every probe (a constant ratio): look for a stray factor"),
    (
        "data-grad-ratio",
        "dW's data part is {value:.4g} × the truth on every probe and its regularization part is right (a "
        "constant ratio): look for a stray factor in the data term",
    ),
    ("grad-offset", "every entry of dW is off by the same {value:+.4g} on every probe (a constant offset)"),
    (
        "grad-columns",
        "only class column(s) {value} of dW differ, on every probe: look at how those columns are computed",
    ),
    ("grad-rows", "only feature row(s) {value} of dW differ, on every probe: look at how those rows are computed"),
]
CLOSEST_LOSS: list[tuple[str, str]] = [
    ("loss-ratio", "the loss is {value:.4g} × the truth on every probe (a constant ratio)"),
    (
        "loss-data-ratio",
        "the loss's data part is {value:.4g} × the truth on every probe and its regularization term is right "
        "(a constant ratio)",
    ),
    ("loss-offset", "the loss is off by the same {value:+.4g} on every probe (a constant offset)"),
    (
        "loss-offset-per-sample",
        "the loss is off by {value:+.4g} per sample on every probe (a constant offset in each L_i, averaged)",
    ),
]


def _fit_grad(obs: list[Observation], c: float) -> dict[str, object]:
    found: dict[str, object] = {}
    ratios, data_ratios, offsets = [], [], []
    scale = max((grad_scale(o.truth.expected(c)[1]) for o in obs), default=1.0)
    cols: set[int] = set()
    rows: set[int] = set()
    every_c: set[int] = set()
    every_d: set[int] = set()
    for o in obs:
        yours, truth, bad = _grad_parts(o, c)
        ratios.append(float(np.sum(yours * truth) / max(np.sum(truth * truth), 1e-300)))
        data = yours - c * o.truth.reg_grad
        gd = o.truth.grad_data
        data_ratios.append(float(np.sum(data * gd) / max(np.sum(gd * gd), 1e-300)))
        offsets.extend((yours - truth).ravel().tolist())
        if bad.any():
            cols |= {int(v) for v in np.nonzero(bad)[1]}
            rows |= {int(u) for u in np.nonzero(bad)[0]}
        every_c |= set(range(truth.shape[1]))
        every_d |= set(range(truth.shape[0]))

    def holds(predict: Callable[[Observation], np.ndarray]) -> bool:
        return all(
            np.abs(o.grad - predict(o)).max() <= RTOL * grad_scale(o.truth.expected(c)[1], predict(o)) + ATOL
            for o in obs
        )

    k = float(np.median(ratios)) if ratios else None
    if k and abs(k - 1) > 1e-6 and holds(lambda o: k * o.truth.expected(c)[1]):
        found["grad-ratio"] = k
    kd = float(np.median(data_ratios)) if data_ratios else None
    if kd and abs(kd - 1) > 1e-6 and holds(lambda o: kd * o.truth.grad_data + c * o.truth.reg_grad):
        found["data-grad-ratio"] = kd
    offset = _constant(offsets, scale)
    if offset:
        found["grad-offset"] = offset
    if cols and cols < every_c:
        found["grad-columns"] = ", ".join(map(str, sorted(cols)))
    if rows and rows < every_d:
        found["grad-rows"] = ", ".join(map(str, sorted(rows)))
    return found


def _fit_loss(obs: list[Observation], c: float) -> dict[str, object]:
    found: dict[str, object] = {}
    truths = [o.truth.expected(c)[0] for o in obs]
    scale = max((abs(t) for t in truths), default=1.0)
    ratio = _constant([o.loss_value / t for o, t in zip(obs, truths, strict=True) if t], 1.0)
    if ratio is not None and len(truths) > 1 and abs(ratio - 1) > 1e-6:
        found["loss-ratio"] = ratio
    data = [(o.loss_value - c * o.truth.reg_loss) / o.truth.loss_data for o in obs if o.truth.loss_data]
    ratio = _constant(data, 1.0)
    if ratio is not None and len(data) > 1 and abs(ratio - 1) > 1e-6:
        found["loss-data-ratio"] = ratio
    offset = _constant([o.loss_value - t for o, t in zip(obs, truths, strict=True)], scale)
    if offset:
        found["loss-offset"] = offset
    per_sample = _constant(
        [(o.loss_value - t) * o.truth.samples_scale for o, t in zip(obs, truths, strict=True)], scale
    )
    if per_sample and not offset:
        found["loss-offset-per-sample"] = per_sample
    return found


def closest(component: str, obs: list[Observation], ctx: Context, name: str) -> Diagnosis:
    """When no rule explains ``component``: the closest pattern (a constant ratio, a constant
    offset, the columns or rows that differ), or the plain "no common bug" finding."""
    fitted = [o for o in obs if o.fits]
    generic = _generic(component, obs, ctx, name)
    if len(fitted) < 2:
        return generic
    c = COEFFICIENT[name]
    found = _fit_grad(fitted, c) if component == "grad" else _fit_loss(fitted, c)
    for id_, message in CLOSEST_GRAD if component == "grad" else CLOSEST_LOSS:
        if id_ in found:
            text = message.format(value=found[id_])
            return Diagnosis(id_, f"{text} — no common bug explains it", "", generic.probes)
    return generic


def _probe_reports(obs: list[Observation], name: str) -> list[ProbeReport]:
    out = []
    for o in obs:
        if o.issues:
            status = o.issues[0][0]
        elif _ok(o, name):
            status = "ok"
        else:
            parts = [p for p, ok in (("loss", o.loss_ok.get(name)), ("dW", o.grad_ok.get(name))) if not ok]
            status = "wrong " + " and ".join(parts)
        out.append(ProbeReport(o.probe.name, o.probe.describe(), status, o.outcome.seconds))
    return out


def _locate(diagnoses: list[Diagnosis], obs: list[Observation], ctx: Context, name: str) -> list[Diagnosis]:
    """Add where each numeric diagnosis shows: the worst entry, its values and its symbolic truth."""
    out = []
    for d in diagnoses:
        if d.where or not d.probes:
            out.append(d)
            continue
        group = [o for o in obs if o.probe.name in d.probes and o.numeric]
        loss_side = d.id.startswith(("reg-loss", "loss")) or d.id in {"wrong-delta"} and not _grad_wrong(group, name)
        where = _where_loss(group, name) if loss_side else (_where_grad(group, ctx, name) or _where_loss(group, name))
        if not where:
            where = "probes: " + ", ".join(d.probes)
        out.append(Diagnosis(d.id, d.message, where, d.probes))
    return out


def _grad_wrong(group: list[Observation], name: str) -> bool:
    return any(not o.grad_ok.get(name, True) for o in group)


def _where_loss(group: list[Observation], name: str) -> str:
    wrong = [o for o in group if not o.loss_ok.get(name, True)]
    if not wrong:
        return ""
    o = wrong[0]
    truth = o.truth.expected(COEFFICIENT[name])[0]
    return (
        f"loss on probe {o.probe.name} ({o.probe.sizes()}): yours {o.loss:.6g}, "
        f"truth {truth:.6g} (off by {o.loss_value - truth:+.4g}); wrong on {len(wrong)} of {len(group)} probes"
    )


def _where_grad(group: list[Observation], ctx: Context, name: str) -> str:
    worst = None
    for o in group:
        _, grad, lo, hi = o.truth.expected(COEFFICIENT[name])
        scale = grad_scale(lo, hi) or 1.0
        excess = np.maximum(lo - o.grad, o.grad - hi) / scale
        k = int(np.argmax(excess))
        if excess.flat[k] > 0 and (worst is None or excess.flat[k] > worst[0]):
            worst = (excess.flat[k], o, np.unravel_index(k, excess.shape), grad, lo, hi)
    if worst is None:
        return ""
    _, o, (u, v), grad, lo, hi = worst
    rtol = rtol_of(o, ctx)
    bad = ~grad_within(o.grad_value, lo, hi, rtol, grad_scale(lo, hi))
    index = (u, v) if ctx.layout == "XW" else (v, u)
    cols = sorted({int(c) for c in np.nonzero(bad)[1]})
    accepted = f"{grad[u, v]:.6g}" if lo[u, v] == hi[u, v] else f"anything in [{lo[u, v]:.6g}, {hi[u, v]:.6g}]"
    lines = [
        f"on probe {o.probe.name} ({o.probe.sizes()}): "
        f"{int(bad.sum())} of {bad.size} entries of dW differ, in class column(s) " + ", ".join(map(str, cols)),
        f"worst dW[{index[0]},{index[1]}] (feature {u}, class {v}): yours {o.grad_value[u, v]:.6g}, truth {accepted}",
    ]
    truth_text = _entry_text(o, int(u), int(v), name) if ctx.signature == "linear" else None
    if truth_text:
        lines.append(truth_text)
    return "\n".join(lines)


def _entry_text(o: Observation, u: int, v: int, name: str) -> str | None:
    try:
        text = o.truth.source.entry_text(u, v, name)
    except Exception:  # noqa: BLE001 — the symbolic display is a courtesy; the verdict stands without it
        return None
    if text and len(text) > 400:
        text = text[:399] + "…"
    return text


def _discrepancies(obs: list[Observation], ctx: Context, name: str, limit: int = 100) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    c = COEFFICIENT[name]
    for o in obs:
        if not o.numeric:
            continue
        loss, grad, lo, hi = o.truth.expected(c)
        rtol = rtol_of(o, ctx)
        if not o.loss_ok.get(name, True):
            out.append(Discrepancy(o.probe.name, None, o.loss_value, loss, loss, loss))
        bad = ~grad_within(o.grad_value, lo, hi, rtol, grad_scale(lo, hi))
        for u, v in zip(*np.nonzero(bad), strict=True):
            index = (int(u), int(v)) if ctx.layout == "XW" else (int(v), int(u))
            out.append(
                Discrepancy(
                    o.probe.name,
                    index,
                    float(o.grad_value[u, v]),
                    float(grad[u, v]),
                    float(lo[u, v]),
                    float(hi[u, v]),
                )
            )
    out.sort(key=lambda d: -d.error)
    return out[:limit]
