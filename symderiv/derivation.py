"""The result of a derivation: ordered steps, the derived and closed-form gradients, the claims
proven about them, and NumPy functions generated from the symbolic result."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import sympy as sp

from .build import Problem
from .conventions import LAMBDA, Conventions
from .errors import InputError
from .losses import Loss
from .numpy_route import score_route
from .proof import Claim


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
    latex: str | None = None  # hand-written LaTeX in the notes' notation, where it reads better


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

    @cached_property
    def gradient(self) -> sp.Matrix:
        """dL/dW in W's shape, derived through the scores (chain rule on G), in the score symbols."""
        from .differentiate import chain_rule

        assert self.score_gradient is not None
        return chain_rule(self._concrete(), self.score_gradient)

    def symbolic(self) -> Derivation:
        """The symbolic-size derivation of the same loss with the same conventions (raises
        NotSupportedError for a loss without a symbolic-size form)."""
        from .pipeline import derive

        return derive(self.loss, **self.conventions.as_options())  # type: ignore[arg-type]

    @cached_property
    def closed_form(self) -> sp.Matrix:
        """The per-element closed form of the notes, in W's shape (proven equal to ``gradient``)."""
        from .differentiate import chain_rule
        from .pipeline import closed_score_gradient

        return chain_rule(self._concrete(), closed_score_gradient(self._concrete()))

    @cached_property
    def matrix_form(self) -> sp.Matrix:
        """scale · Xᵀ G + ∂R/∂W with the loss's weight matrix G (proven equal to ``gradient``)."""
        from .pipeline import matrix_form

        return matrix_form(self._concrete())

    @cached_property
    def steps(self) -> list[DerivationStep]:
        """The derivation as the notes reason: scores, per-sample loss, ∂L_i/∂s_j, chain rule."""
        p = self._concrete()
        assert self.score_gradient is not None
        why = "∂L/∂w_uv = scale · Σ_i x_iu ∂L_i/∂s_iv + ∂R/∂w_uv, since s_iv is linear in w_uv"
        return [
            DerivationStep("scores", p.S_def, "s_ij is the dot product of sample i and class j's weights"),
            DerivationStep(
                "per-sample loss", sp.Matrix(p.samples), self.loss.description, self.loss.latex.get("sample")
            ),
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
        """The claim with this stable id (see ``symderiv.proof.CLAIM_IDS``)."""
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
        return self._concrete().D

    @property
    def C(self) -> int:
        return self._concrete().C

    @property
    def N(self) -> int:
        return self._concrete().N

    @property
    def y(self) -> tuple[int, ...]:
        return self._concrete().y

    @property
    def W(self) -> sp.Matrix:
        return self._concrete().W

    @property
    def X(self) -> sp.Matrix:
        return self._concrete().X

    @property
    def S(self) -> sp.Matrix:
        return self._concrete().S

    @property
    def delta(self) -> sp.Expr:
        """Δ of this derivation: the symbol Δ, or the number it was fixed to."""
        return self.conventions.delta

    lam = LAMBDA

    def _repr_latex_(self) -> str:
        from .report import repr_latex

        return repr_latex(self)

    def _repr_markdown_(self) -> str:
        from .report import repr_markdown

        return repr_markdown(self)

    def entry(self, u: int, v: int) -> sp.Expr:
        """∂L/∂w_uv (feature u, class v), derived and simplified, in the score symbols."""
        p = self._concrete()
        if not (0 <= u < p.features and 0 <= v < p.C):
            raise InputError(f"no weight w[{u},{v}]: features are 0 … {p.features - 1}, classes 0 … {p.C - 1}")
        return self.gradient[u, v] if self.conventions.layout == "XW" else self.gradient[v, u]

    def in_weights(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with the score symbols replaced by their definitions in W and X."""
        return sp.sympify(expr).xreplace(self._concrete().score_definitions)

    # ---------------------------------------------------------------- NumPy
    def numpy_gradient(self, W, X, reg=0.0, delta=None) -> np.ndarray:
        """dL/dW at NumPy arrays ``W``, ``X`` (in the derivation's layout; without the constant-1
        feature when the bias trick is on) for the derivation's labels; ``reg`` is λ and ``delta``
        is Δ (only when Δ is symbolic; default 1). Proven: claim ``artifact.numpy-gradient``."""
        W, X = self._arrays(W, X)
        return np.asarray(self._route(W, X, *self._values(reg, delta))[1], dtype=float)

    def numpy_loss(self, W, X, reg=0.0, delta=None) -> float:
        """L at NumPy arrays ``W``, ``X``; arguments as for :meth:`numpy_gradient`. Proven: claim
        ``artifact.numpy-loss``."""
        W, X = self._arrays(W, X)
        return float(self._route(W, X, *self._values(reg, delta))[0])

    @cached_property
    def _route(self):
        """The generated NumPy (score functions lambdified from G and L_i, and the glue), built once."""
        assert self.score_gradient is not None
        return score_route(self._concrete(), self.score_gradient)

    def _arrays(self, W, X) -> tuple[np.ndarray, np.ndarray]:
        p = self._concrete()
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

    def _values(self, reg, delta) -> tuple[float, float | None]:
        reg = _number("reg (the value of λ)", reg)
        delta = None if delta is None else _number("delta (the value of Δ)", delta)
        if self.conventions.delta.free_symbols:
            return reg, 1.0 if delta is None else float(delta)
        if delta is not None and float(delta) != float(self.conventions.delta):
            raise InputError(f"this derivation fixed Δ = {self.conventions.delta}; derive again for Δ = {delta}")
        return reg, None

    def check_numeric(self, seed: int = 0, rtol: float = 1e-9) -> Claim:
        """Floating-point evidence: the generated NumPy gradient (float64) against the direct
        derivative evaluated exactly, at a random point. The claim is appended to ``claims``."""
        import random

        from .proof import Evaluator, random_point

        p = self._concrete()
        rng = random.Random(seed)
        point = random_point([*p.data_symbols, LAMBDA], rng)
        point[LAMBDA] = abs(point[LAMBDA])
        W = np.array([[float(point[w]) for w in row] for row in p.W.tolist()])
        X = np.array([[float(point.get(x, 1)) for x in row] for row in p.X.tolist()])
        if self.conventions.bias:  # the constant-1 feature is appended by numpy_gradient
            X = X[:, :-1] if self.conventions.layout == "XW" else X[:-1, :]
        delta = float(point[self.conventions.delta]) if self.conventions.delta.free_symbols else None
        got = self.numpy_gradient(W, X, float(point[LAMBDA]), delta)
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
        p = self._concrete()
        status = "proved" if self.proved else "NOT PROVED"
        return (
            f"{self.loss.name}: D={p.D} C={p.C} N={p.N} y={list(p.y)} layout={self.conventions.layout}"
            f"{' +bias' if self.conventions.bias else ''} regularizer={self.conventions.regularizer} "
            f"reduction={self.conventions.reduction}: {status} ({len(self.claims)} claims, "
            f"{self.label_patterns} label pattern{'s' if self.label_patterns != 1 else ''})"
        )

    def __str__(self) -> str:
        from .emit import text_report

        return text_report(self)

    def _concrete(self) -> Problem:
        if self.problem is None:
            raise InputError("this derivation is at symbolic size: instantiate it with .at(D=..., C=..., N=...)")
        return self.problem
