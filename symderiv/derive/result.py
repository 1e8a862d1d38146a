"""The result of a derivation, as data: ordered steps, the derived and closed-form gradients, the
claims proven about them, and NumPy functions generated from the symbolic result.

This module imports no stage above :mod:`symderiv.derive`. What a result needs from above is given
to it: the pipeline attaches ``derive_fn`` (for :meth:`Derivation.symbolic` and ``.at``) and
``compile_numpy`` (the code generator behind :meth:`Derivation.numpy_gradient`); rich display in
Jupyter goes through :data:`DISPLAY`, which :mod:`symderiv.report` fills when it is imported."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ..algebra.evaluate import Evaluator, random_point
from ..conventions import LAMBDA, Conventions
from ..errors import InputError, NotSupportedError
from ..losses import Loss
from ..render.text_report import text_report
from .build import Problem
from .closed_form import closed_score_gradient, matrix_form
from .differentiate import chain_rule
from .matrix_form import matrix_form as matrix_form_expression

#: rich display of a derivation, by format ("latex", "markdown"): filled by :mod:`symderiv.report`
DISPLAY: dict[str, Callable[[Any], str]] = {}


#: Every claim symderiv produces, by its stable id (kebab-case, dot-separated namespace) → what it
#: says in one line. Reports and tests cite claims by these ids, never by the words of a statement.
CLAIM_IDS: dict[str, str] = {
    # concrete size (symderiv.prove.claims): the derivation itself
    "closed-form.score-gradient": "∂L_i/∂s_j by SymPy's diff of the per-sample loss equals the loss's closed form, "
    "per label value",
    "derivative.routes-agree": "dL/dW through the scores (chain rule on normal forms) equals the direct derivative "
    "of L(W), entry by entry",
    "closed-form.per-element": "∂L/∂w_uv equals the per-element closed form (cases v ≠ y_i and v = y_i), "
    "compared as ∂L_i/∂s_iv",
    "closed-form.matrix-weights": "the weight matrix G of the matrix form (M, P − Y, …) equals the derived "
    "∂L_i/∂s_ij, entry by entry",
    "evidence.random-points": "the direct derivative and the matrix form agree at random rational points",
    "evidence.numeric": "the generated NumPy gradient (float64) equals the exact derivative at a random point "
    "(Derivation.check_numeric)",
    # concrete size (symderiv.obligations): what users receive. Code that does not depend on the size is
    # proven at D ≤ 2, C ≤ 3, N ≤ 4 (a repeated label) against the direct derivative there; the detail says so
    "artifact.gradient": "Derivation.gradient (the chain rule through the scores, as shown in the steps) equals "
    "the direct derivative",
    "artifact.closed-form": "Derivation.closed_form (the per-element closed form in W's shape) equals the direct "
    "derivative",
    "artifact.matrix-form": "Derivation.matrix_form (scale·XᵀG + ∂R/∂W, as returned) equals the direct derivative",
    "artifact.numpy-scores": "the printed NumPy score functions behind numpy_gradient/numpy_loss (∂L_i/∂s_ij and "
    "L_i), run on SymPy score symbols, equal the derivation's; the printed 1[0] included",
    "artifact.shift-invariance": "∂L_i/∂s_ij and L_i at scores shifted by any per-sample t_i equal them unshifted "
    "(numpy_gradient/numpy_loss subtract each row's maximum; losses with exp only)",
    "artifact.numpy-gradient": "numpy_gradient's NumPy glue (scores, bias column, shift, chain rule, 1/N, "
    "regularizer), run on symbols with the derivation's G, equals the direct derivative",
    "artifact.numpy-loss": "numpy_loss's NumPy glue, run on symbols with the derivation's L_i, equals L(W)",
    "artifact.vectorized": "the vectorized numpy_function (symderiv codegen) with these conventions, run on "
    "SymPy symbols, returns L(W) and the direct derivative (absent when the generator does not support the loss)",
    # symbolic size (symderiv.derive.generic)
    "symbolic.score-gradient": "∂L_i/∂s_ij by SymPy's diff of the index expression, after the index rules, "
    "equals the closed form",
    "symbolic.chain-rule": "∂s_iq/∂w_uv = x_iu δ(q, v), so ∂L_i/∂w_uv = x_iu ∂L_i/∂s_iv",
    "symbolic.cases": "the cases v ≠ y_i and v = y_i recombine to ∂L_i/∂w_uv",
    "symbolic.regularizer": "∂R/∂w_uv equals 2cλ w_uv (c the regularizer's coefficient)",
    "symbolic.matrix-form": "the (u, v) entry of the matrix expression scale·XᵀG + ∂R/∂W equals ∂L/∂w_uv",
    "symbolic.full-gradient": "∂L/∂w_uv of the whole loss L = scale Σ_i L_i + R(W), by SymPy's diff in the scores "
    "and in W with the chain rule summed, equals the full gradient (the 1/N included)",
    "symbolic.bias": "with x_iD = 1 the bias weight's gradient is the column sum of G (plus ∂R/∂w_Dv)",
    "symbolic.instantiation": "the symbolic-size closed form, instantiated at a concrete size, equals the "
    "concrete derivation (GenericDerivation.at)",
    # derivations besides the main one (symderiv.prove.derivations), proven while a report is built
    "shift.invariance": "L_i is unchanged when every score s_ij is replaced by s_ij − c_i, for every c_i, so for "
    "c_i = max_k s_ik (losses with the shift-invariance capability: the softmax family)",
    "shift.placement": "exp(s_ij − c_i) / Σ_k exp(s_ik − c_i) = exp(s_ij) / Σ_k exp(s_ik): the shift goes into the "
    "numerator and every term of the denominator, and exp(−c_i) cancels",
    "shift.near-miss": "shifting only the numerator multiplies the ratio by exp(−c_i); it, and shifting only some "
    "terms of the denominator, differ from the ratio at a counterexample",
    "per-sample.partials": "the matrix of ∂L_i/∂w_uv (entry x_iu times the closed form of ∂L_i/∂s_iv) equals "
    "SymPy's derivative of L_i in every weight, bias column included",
    "per-sample.outer-product": "∂L_i/∂W = x_i (∂L_i/∂s_i)^T (layout XW) or (∂L_i/∂s_i) x_i^T (layout WX), and "
    "scale·Σ_i ∂L_i/∂W + ∂R/∂W = dL/dW",
    "route.margin": "through the margins m_j = s_j − s_{y_i} + Δ, Σ_j (∂L_i/∂m_j)(∂m_j/∂s)(∂s/∂W) equals the "
    "direct derivative of L_i (losses with the margin-route capability: the hinge family)",
    # checked by the report itself (symderiv.report.content)
    "report.score-derivative": "∂s_ij/∂w_uv = x_iu·1[j = v] for every sample, class, feature and class",
    "report.regularizer": "∂R/∂W = 2cλW, entry by entry",
    "report.float-reference": "the generated NumPy gradient equals the loss's hand-written NumPy reference (float64)",
    "report.vectorized-float": "the vectorized NumPy gradient equals the derived gradient (float64)",
}


@dataclass(frozen=True)
class Claim:
    """One proven (or refuted) statement, with how it was established. ``id`` is stable (see
    :data:`CLAIM_IDS`); ``lhs`` and ``rhs`` are the two expressions proven equal, when the claim
    compares two expressions (None for evidence at points and one-sided statements)."""

    statement: str
    holds: bool
    method: str
    detail: str = ""
    counterexample: Mapping[str, Any] | None = field(default=None, compare=False)
    id: str = ""  # stable id, e.g. "closed-form.score-gradient"
    lhs: object = field(default=None, compare=False)  # the expressions compared, when two-sided
    rhs: object = field(default=None, compare=False)

    def line(self) -> str:
        mark = "proved" if self.holds else "FAILED"
        out = f"{mark:6s}  {self.statement}  [{self.method}{'; ' + self.detail if self.detail else ''}]"
        if self.counterexample:
            ce = self.counterexample
            point = ", ".join(f"{k} = {v}" for k, v in ce["point"].items())
            out += f"\n        counterexample at {ce['entry']}: derived {ce['derived']}, claimed {ce['claimed']}"
            out += f"; at {point}"
        return out


def _number(name: str, value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, not {value!r}") from None
    if not np.isfinite(out):
        raise InputError(f"{name} must be finite, not {value!r}")
    return out


@dataclass(frozen=True)
class DerivationStep:
    """One step of a derivation as the notes would write it: what was done, the result, and why."""

    title: str
    expr: object  # a SymPy expression or Matrix, or None
    why: str = ""


@dataclass
class Derivation:
    """A derived gradient. ``proved`` is True when both routes agree, every closed form was
    proven equal to the derived result (symbolically, confirmed at exact rational points), and every
    artifact handed out — ``gradient``, ``closed_form``, ``matrix_form``, ``numpy_gradient``,
    ``numpy_loss`` and the vectorized ``numpy_function`` — was proven to compute it
    (:mod:`symderiv.obligations`)."""

    loss: Loss
    conventions: Conventions
    problem: Problem | None
    claims: list[Claim] = field(default_factory=list)
    score_gradient: sp.Matrix | None = None  # G_ij = ∂L_i/∂s_ij, derived and simplified
    gradient_direct: sp.Matrix | None = None  # dL/dW from L(W) directly, in W and X
    label_patterns: int = 1  # how many label patterns the proof covered
    #: ``symderiv.derive`` (attached by the pipeline): derives this loss again, for ``.symbolic()``
    derive_fn: Callable[..., Derivation] | None = field(default=None, repr=False, compare=False)
    #: the code generator (attached by the pipeline): (problem, G) -> the NumPy route behind
    #: numpy_gradient/numpy_loss, called as route(W, X, λ, Δ) -> (L, dL/dW)
    compile_numpy: Callable[[Problem, sp.Matrix], Callable] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def gradient(self) -> sp.Matrix:
        """dL/dW in W's shape, derived through the scores (chain rule on G), in the score symbols."""
        assert self.score_gradient is not None
        return chain_rule(self.concrete(), self.score_gradient)

    def symbolic(self) -> Derivation:
        """The symbolic-size derivation of the same loss with the same conventions (raises
        NotSupportedError for a loss without a symbolic-size form)."""
        return self.derive_again()

    def derive_again(self, **options: object) -> Derivation:
        """``symderiv.derive`` of this loss with this derivation's conventions, changed by ``options``."""
        if self.derive_fn is None:
            raise NotSupportedError("this derivation was not made by symderiv.derive: derive it with that")
        return self.derive_fn(self.loss, **{**self.conventions.as_options(), **options})

    @cached_property
    def closed_form(self) -> sp.Matrix:
        """The per-element closed form of the notes, in W's shape (proven equal to ``gradient``)."""
        return chain_rule(self.concrete(), closed_score_gradient(self.concrete()))

    @cached_property
    def matrix_form(self) -> sp.Matrix:
        """scale · Xᵀ G + ∂R/∂W with the loss's weight matrix G (proven equal to ``gradient``)."""
        return matrix_form(self.concrete())

    @cached_property
    def matrix_expression(self) -> sp.Eq:
        """∂L/∂W = the matrix form, as one SymPy matrix expression at symbolic size (built once, by
        :func:`symderiv.derive.matrix_form.matrix_form`; :attr:`matrix_form` is it at this size)."""
        return matrix_form_expression(self.loss, self.conventions).gradient

    @cached_property
    def steps(self) -> list[DerivationStep]:
        """The derivation as the notes reason: scores, per-sample loss, ∂L_i/∂s_j, chain rule."""
        p = self.concrete()
        assert self.score_gradient is not None
        why = "∂L/∂w_uv = scale · Σ_i x_iu ∂L_i/∂s_iv + ∂R/∂w_uv, since s_iv is linear in w_uv"
        return [
            DerivationStep("scores", p.S_def, "s_ij is the dot product of sample i and class j's weights"),
            DerivationStep("per-sample loss", sp.Matrix(p.samples), self.loss.description),
            DerivationStep("full loss", p.loss_in_scores(), f"{self.conventions.reduction} over samples plus R(W)"),
            DerivationStep("∂L_i/∂s_j", self.score_gradient, "differentiate each per-sample loss in its scores"),
            DerivationStep("chain rule", self.gradient, why),
            DerivationStep("closed form", self.closed_form, "the notes' cases v ≠ y_i and v = y_i, proven equal"),
        ]

    # ---------------------------------------------------------------- results
    @property
    def proved(self) -> bool:
        """True when every claim holds: the derivation and every artifact obligation (see README,
        "What `proved` covers")."""
        return bool(self.claims) and all(c.holds for c in self.claims)

    def claim(self, id: str) -> Claim:
        """The claim with this stable id (see :data:`CLAIM_IDS`)."""
        for k, c in enumerate(self.claims):
            if c.id == id:
                if c.id == "derivative.routes-agree" and c.rhs is None and self.problem is not None:
                    # the route through the scores, as a matrix, is built on demand (Derivation.gradient)
                    c = self.claims[k] = replace(c, rhs=self.gradient)
                return c
        known = ", ".join(c.id for c in self.claims) or "none"
        raise InputError(f"this derivation has no claim {id!r}; its claims are: {known}")

    @property
    def D(self) -> int:
        return self.concrete().D

    @property
    def C(self) -> int:
        return self.concrete().C

    @property
    def N(self) -> int:
        return self.concrete().N

    @property
    def y(self) -> tuple[int, ...]:
        return self.concrete().y

    @property
    def W(self) -> sp.Matrix:
        return self.concrete().W

    @property
    def X(self) -> sp.Matrix:
        return self.concrete().X

    @property
    def S(self) -> sp.Matrix:
        return self.concrete().S

    @property
    def delta(self) -> sp.Expr:
        """Δ of this derivation: the symbol Δ, or the number it was fixed to."""
        return self.conventions.delta

    lam = LAMBDA

    def _repr_latex_(self) -> str | None:
        show = DISPLAY.get("latex")
        return None if show is None else show(self)

    def _repr_markdown_(self) -> str | None:
        show = DISPLAY.get("markdown")
        return None if show is None else show(self)

    def entry(self, u: int, v: int) -> sp.Expr:
        """∂L/∂w_uv (feature u, class v), derived and simplified, in the score symbols."""
        p = self.concrete()
        if not all(isinstance(i, int | np.integer) and not isinstance(i, bool) for i in (u, v)):
            raise InputError(f"entry(u, v) takes two whole numbers (feature, class), not {u!r}, {v!r}")
        if not (0 <= u < p.features and 0 <= v < p.C):
            raise InputError(f"no weight w[{u},{v}]: features are 0 … {p.features - 1}, classes 0 … {p.C - 1}")
        return self.gradient[u, v] if self.conventions.layout == "XW" else self.gradient[v, u]

    def in_weights(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with the score symbols replaced by their definitions in W and X."""
        return sp.sympify(expr).xreplace(self.concrete().score_definitions)

    # ---------------------------------------------------------------- NumPy
    def numpy_gradient(self, W, X, reg=0.0, delta=None, **hyper: float) -> np.ndarray:
        """dL/dW at NumPy arrays ``W``, ``X`` (in the derivation's layout; without the constant-1
        feature when the bias trick is on) for the derivation's labels; ``reg`` is λ and ``delta``
        is Δ (only when Δ is symbolic; default 1); ``hyper`` gives the loss's symbolic
        hyperparameters by name (default: their declared defaults). Proven: claim ``artifact.numpy-gradient``."""
        W, X = self._arrays(W, X)
        reg, delta, values = self._values(reg, delta, hyper)
        return np.asarray(self._route(W, X, reg, delta, hyper=values)[1], dtype=float)

    def numpy_loss(self, W, X, reg=0.0, delta=None, **hyper: float) -> float:
        """L at NumPy arrays ``W``, ``X``; arguments as for :meth:`numpy_gradient`. Proven: claim
        ``artifact.numpy-loss``."""
        W, X = self._arrays(W, X)
        reg, delta, values = self._values(reg, delta, hyper)
        return float(self._route(W, X, reg, delta, hyper=values)[0])

    @cached_property
    def _route(self) -> Any:
        """The generated NumPy behind numpy_gradient/numpy_loss (score functions printed from G and L_i,
        and the glue: :class:`symderiv.codegen.numpy_route.ScoreRoute`), built once by the code
        generator the pipeline attached."""
        if self.compile_numpy is None:
            raise NotSupportedError("this derivation was not made by symderiv.derive: derive it with that")
        assert self.score_gradient is not None
        return self.compile_numpy(self.concrete(), self.score_gradient)

    def _arrays(self, W, X) -> tuple[np.ndarray, np.ndarray]:
        p = self.concrete()
        try:
            W = np.asarray(W, dtype=float)
            X = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
            raise InputError("W and X must be numeric arrays") from None
        if W.shape != p.W.shape:
            raise InputError(f"W has shape {W.shape}, but this derivation's W is {p.W.shape[0]}×{p.W.shape[1]}")
        want = (p.N, p.D) if self.conventions.layout == "XW" else (p.D, p.N)
        if X.shape != want:
            extra = " (without the constant-1 feature: symderiv appends it)" if self.conventions.bias else ""
            raise InputError(f"X has shape {X.shape}, but this derivation's X is {want[0]}×{want[1]}{extra}")
        return W, X

    def _values(self, reg, delta, hyper: Mapping[str, object] | None = None) -> tuple[float, float | None, tuple]:
        reg = _number("reg (the value of λ)", reg)
        delta = None if delta is None else _number("delta (the value of Δ)", delta)
        delta_value: float | None = None
        if self.conventions.delta.free_symbols:
            delta_value = 1.0 if delta is None else float(delta)
        elif delta is not None and float(delta) != float(self.conventions.delta):
            raise InputError(f"this derivation fixed Δ = {self.conventions.delta}; derive again for Δ = {delta}")
        hyper = dict(hyper or {})
        declared = {h.name for h in self.loss.hyperparameters}
        unknown = sorted(set(hyper) - declared)
        if unknown:
            raise InputError(f"the loss {self.loss.name!r} has no hyperparameter {unknown[0]!r}")
        fixed = dict(self.conventions.hyper)
        values = []
        for h in self.loss.hyperparameters:
            if h.name in fixed:
                if h.name in hyper and float(hyper[h.name]) != float(fixed[h.name]):  # type: ignore[arg-type]
                    raise InputError(
                        f"this derivation fixed {h.name} = {fixed[h.name]}; derive again for another value"
                    )
            else:
                values.append(_number(f"{h.name} ({h.words})", hyper.get(h.name, h.default)))
        return reg, delta_value, tuple(values)

    def check_numeric(self, seed: int = 0, rtol: float = 1e-9) -> Claim:
        """Floating-point evidence: the generated NumPy gradient (float64) against the direct
        derivative evaluated exactly, at a random point. The claim is appended to ``claims``."""
        p = self.concrete()
        rng = random.Random(seed)
        point = random_point([*p.data_symbols, LAMBDA], rng)
        point[LAMBDA] = abs(point[LAMBDA])
        W = np.array([[float(point[w]) for w in row] for row in p.W.tolist()])
        X = np.array([[float(point.get(x, 1)) for x in row] for row in p.X.tolist()])
        if self.conventions.bias:  # the constant-1 feature is appended by numpy_gradient
            X = X[:, :-1] if self.conventions.layout == "XW" else X[:-1, :]
        delta = float(point[self.conventions.delta]) if self.conventions.delta.free_symbols else None
        hyper = {h.name: float(point[h.symbol]) for h in self.loss.free_hyper(self.conventions.hyper)}
        got = self.numpy_gradient(W, X, float(point[LAMBDA]), delta, **hyper)
        ev = Evaluator(point, self.conventions.kink)
        assert self.gradient_direct is not None
        want = np.array([float(ev(e)) for e in self.gradient_direct]).reshape(p.W.shape)
        ok = bool(np.allclose(got, want, rtol=rtol, atol=rtol * max(1.0, float(np.abs(want).max()))))
        claim = Claim(
            "the generated NumPy gradient (float64) equals the exact derivative at a random point",
            ok,
            f"floating point, rtol {rtol:g}",
            f"max |difference| {float(np.abs(got - want).max()):.1e}",
            id="evidence.numeric",
        )
        self.claims[:] = [c for c in self.claims if c.id != claim.id] + [claim]  # ids stay unique
        return claim

    # ---------------------------------------------------------------- display
    def summary(self) -> str:
        """One line: loss, size, conventions, proof status."""
        p = self.concrete()
        status = "proved" if self.proved else "NOT PROVED"
        return (
            f"{self.loss.name}: D={p.D} C={p.C} N={p.N} y={list(p.y)} layout={self.conventions.layout}"
            f"{' +bias' if self.conventions.bias else ''} regularizer={self.conventions.regularizer} "
            f"reduction={self.conventions.reduction}: {status} ({len(self.claims)} claims, "
            f"{self.label_patterns} label pattern{'s' if self.label_patterns != 1 else ''})"
        )

    def __str__(self) -> str:
        return text_report(self)

    def concrete(self) -> Problem:
        """The concrete-size problem (W, X, S, labels) this derivation is of."""
        if self.problem is None:
            raise InputError("this derivation is at symbolic size: instantiate it with .at(D=..., C=..., N=...)")
        return self.problem
