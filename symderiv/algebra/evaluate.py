"""Exact evaluation: expressions at a point, exactly (``Fraction``) where everything is rational and
to 30 digits through exp and log; random rational points; agreement of two lists of expressions at
such points, with a counterexample when they differ."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from fractions import Fraction

import mpmath
import sympy as sp

from .functions import Pos, Step

MP = mpmath.MPContext()  # a context of our own: the global mpmath precision is the user's
MP.dps = 40

DIGITS = 30  # precision where a value is not rational (exp, log): compared to 1e-25 relative


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
