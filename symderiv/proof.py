"""The claims a derivation proves, and the evidence: symbolic identities (normal forms in the
atoms), exact rational evaluation at random points, and counterexamples when a claim is false."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy as sp

from .functions import Pos, Step

MP = mpmath.MPContext()  # a context of our own: the global mpmath precision is the user's
MP.dps = 40

DIGITS = 30  # precision where a value is not rational (exp, log): compared to 1e-25 relative


#: Every claim symderiv produces, by its stable id (kebab-case, dot-separated namespace) → what it
#: says in one line. Reports and tests cite claims by these ids, never by the words of a statement.
CLAIM_IDS: dict[str, str] = {
    # concrete size (symderiv.pipeline): the derivation itself
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
    # symbolic size (symderiv.generic)
    "symbolic.score-gradient": "∂L_i/∂s_ij by SymPy's diff of the index expression, after the index rules, "
    "equals the closed form",
    "symbolic.chain-rule": "∂s_iq/∂w_uv = x_iu δ(q, v), so ∂L_i/∂w_uv = x_iu ∂L_i/∂s_iv",
    "symbolic.cases": "the cases v ≠ y_i and v = y_i recombine to ∂L_i/∂w_uv",
    "symbolic.regularizer": "∂R/∂w_uv equals 2cλ w_uv (c the regularizer's coefficient)",
    "symbolic.matrix-form": "the (u, v) entry of the matrix expression scale·XᵀG + ∂R/∂W equals ∂L/∂w_uv",
    "symbolic.bias": "with x_iD = 1 the bias weight's gradient is the column sum of G (plus ∂R/∂w_Dv)",
    "symbolic.instantiation": "the symbolic-size closed form, instantiated at a concrete size, equals the "
    "concrete derivation (GenericDerivation.at)",
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
    counterexample: Mapping[str, object] | None = field(default=None, compare=False)
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


class Evaluator:
    """Evaluates expressions at a point: exactly (``Fraction``) where everything is rational, and
    to ``DIGITS`` digits (mpmath) through exp and log. Each distinct subexpression is evaluated
    once, so evaluating every entry of a gradient costs about one pass over its graph."""

    def __init__(self, values: Mapping[sp.Expr, object], kink: sp.Expr) -> None:
        self._memo: dict[sp.Expr, object] = {k: _num(v) for k, v in values.items()}
        self._kink = _num(kink)

    def __call__(self, e: sp.Expr):
        hit = self._memo.get(e)
        if hit is None:
            hit = self._memo[e] = self._eval(e)
        return hit

    def _eval(self, e: sp.Expr):
        if e.is_Number:
            return _num(e)
        if e.is_Symbol:
            raise KeyError(f"no value for {e}")
        args = [self(a) for a in e.args]
        if e.is_Add:
            return _sum(args)
        if e.is_Mul:
            out = args[0]
            for a in args[1:]:
                left, right = _mix(out, a)
                out = left * right
            return out
        if e.is_Pow:
            b, x = args
            if isinstance(x, Fraction) and x.denominator == 1:
                return b ** int(x)
            return MP.power(_mp(b), _mp(x))
        if isinstance(e, Step):
            m = args[0]
            return Fraction(1) if m > 0 else (Fraction(0) if m < 0 else self._kink)
        if isinstance(e, Pos):
            return args[0] if args[0] > 0 else Fraction(0)
        if isinstance(e, sp.exp):
            return MP.exp(_mp(args[0]))
        if isinstance(e, sp.log):
            return MP.log(_mp(args[0]))
        value = e.func(*[sp.Rational(a) if isinstance(a, Fraction) else sp.Float(a, DIGITS) for a in args])
        return _num(value.evalf(DIGITS))


def _num(v):
    v = sp.sympify(v)
    if v.is_Rational:
        return Fraction(int(v.p), int(v.q))
    return MP.mpf(str(v.evalf(DIGITS)))


def _mp(v):
    return MP.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else v


def _mix(a, b):
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a, b
    return _mp(a), _mp(b)


def _sum(values):
    if all(isinstance(v, Fraction) for v in values):
        return sum(values, Fraction(0))
    return MP.fsum(_mp(v) for v in values)


def evaluate(exprs: Iterable[sp.Expr], values: Mapping[sp.Symbol, sp.Expr], kink: sp.Expr) -> list:
    """Evaluate expressions at a point (see :class:`Evaluator`)."""
    ev = Evaluator(values, kink)
    return [ev(sp.sympify(e)) for e in exprs]


def same_value(a, b) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    a, b = _mp(a), _mp(b)
    return bool(abs(a - b) <= MP.mpf("1e-25") * max(1, abs(a), abs(b)))


def as_sympy(v) -> sp.Expr:
    return sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sp.Float(v, 20)


def random_point(symbols: Iterable[sp.Symbol], rng: random.Random, positive: Iterable[sp.Symbol] = ()) -> dict:
    """Small random rationals (p/q, |p| ≤ 12, q ≤ 5) for each symbol; ``positive`` ones stay > 0."""
    positive = set(positive)
    point = {}
    for s in symbols:
        p, q = rng.randint(-12, 12), rng.randint(1, 5)
        if s in positive:
            p = abs(p) or 1
        point[s] = sp.Rational(p, q)
    return point


def agree_at_points(
    left: list[sp.Expr],
    right: list[sp.Expr],
    symbols: list[sp.Symbol],
    kink: sp.Expr,
    *,
    points: int,
    seed: int,
    positive: Iterable[sp.Symbol] = (),
    labels: list[str] | None = None,
) -> tuple[int, dict | None]:
    """Compare two lists of expressions entry by entry at random rational points. Returns the
    number of points checked and, if they differ, a counterexample with exact values."""
    rng = random.Random(seed)
    for k in range(points):
        point = random_point(symbols, rng, positive)
        lv = evaluate(left, point, kink)
        rv = evaluate(right, point, kink)
        for idx, (a, b) in enumerate(zip(lv, rv, strict=True)):
            if not same_value(a, b):
                return k + 1, {
                    "entry": labels[idx] if labels else idx,
                    "derived": as_sympy(a),
                    "claimed": as_sympy(b),
                    "point": {str(s): v for s, v in point.items()},
                }
    return points, None
