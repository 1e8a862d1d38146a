"""The result of a derivation, as data: ordered steps, the derived and closed-form gradients, the
claims proven about them, and NumPy functions generated from the symbolic result.

This module imports no stage above :mod:`symderiv.derive`. What a result needs from above is given
to it: the pipeline attaches ``derive_fn`` (for :meth:`Derivation.symbolic` and ``.at``) and
``compile_numpy`` (the code generator behind :meth:`Derivation.numpy_gradient`); rich display in
Jupyter goes through :data:`DISPLAY`, which :mod:`symderiv.report` fills when it is imported."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Claim:
    """One proven (or refuted) statement, with how it was established."""

    statement: str
    holds: bool
    method: str
    detail: str = ""
    counterexample: Mapping[str, Any] | None = field(default=None, compare=False)

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
    """A derived gradient. ``proved`` is True when both routes agree and every closed form was
    proven equal to the derived result (symbolically, confirmed at exact rational points)."""

    loss: Loss
    conventions: Conventions
    problem: Problem | None
    claims: list[Claim] = field(default_factory=list)
    score_gradient: sp.Matrix | None = None  # G_ij = ∂L_i/∂s_ij, derived and simplified
    gradient_direct: sp.Matrix | None = None  # dL/dW from L(W) directly, in W and X
    label_patterns: int = 1  # how many label patterns the proof covered
    #: ``symderiv.derive`` (attached by the pipeline): derives this loss again, for ``.symbolic()``
    derive_fn: Callable[..., Derivation] | None = field(default=None, repr=False, compare=False)
    #: the code generator (attached by the pipeline): (arguments, expression, kink) -> NumPy function
    compile_numpy: Callable[[list, object, sp.Expr], Callable] | None = field(default=None, repr=False, compare=False)

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
        return bool(self.claims) and all(c.holds for c in self.claims)

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
        hyperparameters by name (default: their declared defaults)."""
        W, X = self._arrays(W, X)
        return np.asarray(self._gradient_fn(*self._args(W, X, reg, delta, hyper)), dtype=float)

    def numpy_loss(self, W, X, reg=0.0, delta=None, **hyper: float) -> float:
        """L at NumPy arrays ``W``, ``X``; arguments as for :meth:`numpy_gradient`."""
        W, X = self._arrays(W, X)
        return float(self._loss_fn(*self._args(W, X, reg, delta, hyper)))

    @cached_property
    def _symbols(self) -> list:
        p = self.concrete()
        xs = [x for x in p.X if isinstance(x, sp.Symbol)]  # lambdify takes W and X as separate lists
        args: list = [list(p.W), xs, LAMBDA]
        if self.conventions.delta.free_symbols:
            args.append(self.conventions.delta)
        args += [h.symbol for h in self.loss.free_hyper(self.conventions.hyper)]
        return args

    def _compile(self, expr: object) -> Callable:
        if self.compile_numpy is None:
            raise NotSupportedError("this derivation was not made by symderiv.derive: derive it with that")
        return self.compile_numpy(self._symbols, expr, self.conventions.kink)

    @cached_property
    def _gradient_fn(self):
        return self._compile(self.in_weights(self.gradient))

    @cached_property
    def _loss_fn(self):
        return self._compile(self.concrete().loss_in_weights())

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

    def _args(self, W: np.ndarray, X: np.ndarray, reg, delta, hyper: Mapping[str, object] | None = None) -> list:
        reg = _number("reg (the value of λ)", reg)
        delta = None if delta is None else _number("delta (the value of Δ)", delta)
        args: list = [list(W.ravel()), list(X.ravel()), reg]
        if self.conventions.delta.free_symbols:
            args.append(1.0 if delta is None else float(delta))
        elif delta is not None and float(delta) != float(self.conventions.delta):
            raise InputError(f"this derivation fixed Δ = {self.conventions.delta}; derive again for Δ = {delta}")
        hyper = dict(hyper or {})
        declared = {h.name for h in self.loss.hyperparameters}
        unknown = sorted(set(hyper) - declared)
        if unknown:
            raise InputError(f"the loss {self.loss.name!r} has no hyperparameter {unknown[0]!r}")
        fixed = dict(self.conventions.hyper)
        for h in self.loss.hyperparameters:
            if h.name in fixed:
                if h.name in hyper and float(hyper[h.name]) != float(fixed[h.name]):  # type: ignore[arg-type]
                    raise InputError(
                        f"this derivation fixed {h.name} = {fixed[h.name]}; derive again for another value"
                    )
            else:
                args.append(_number(f"{h.name} ({h.words})", hyper.get(h.name, h.default)))
        return args

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
        )
        self.claims.append(claim)
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
