"""Stage 1, build: the concrete-size SymPy problem — symbols W, X, S, the per-sample losses and L."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from ..conventions import LAMBDA, Conventions
from ..errors import InputError, TooLargeError
from ..losses import ConcreteIndexing, Loss

#: derive() refuses concrete sizes beyond this D·C·N (the generic-size derivation has no limit)
MAX_ENTRIES = 20_000


def w_symbol(u: int, v: int) -> sp.Symbol:
    """The weight of feature ``u`` and class ``v`` (whatever the layout stores where)."""
    return sp.Symbol(f"w_{{{u},{v}}}", real=True)


def x_symbol(i: int, u: int) -> sp.Symbol:
    """Feature ``u`` of sample ``i``."""
    return sp.Symbol(f"x_{{{i},{u}}}", real=True)


def s_symbol(i: int, j: int) -> sp.Symbol:
    """The score of sample ``i`` for class ``j``."""
    return sp.Symbol(f"s_{{{i},{j}}}", real=True)


@dataclass(frozen=True)
class Problem:
    """Everything symbolic about one loss at one concrete size.

    ``W`` and ``X`` are stored in the layout's shapes (XW: W is D'×C, X is N×D'; WX: W is C×D',
    X is D'×N), where D' = D + 1 with the bias trick. Scores are always indexed ``S[i, j]``
    (sample, class): ``S`` holds score symbols, ``S_def`` their definitions in W and X.
    """

    loss: Loss
    conventions: Conventions
    D: int
    C: int
    N: int
    y: tuple[int, ...]
    W: sp.Matrix
    X: sp.Matrix
    S: sp.Matrix
    S_def: sp.Matrix
    samples: tuple[sp.Expr, ...]  # L_i in the score symbols
    regularizer: sp.Expr  # R(W)
    scale: sp.Expr  # 1/N for the mean, 1 for the sum

    @property
    def features(self) -> int:
        return self.D + (1 if self.conventions.bias else 0)

    @property
    def lam(self) -> sp.Symbol:
        return LAMBDA

    @property
    def delta(self) -> sp.Expr:
        return self.conventions.delta

    def weight(self, u: int, v: int) -> sp.Expr:
        """w_uv by feature u and class v, whatever the layout."""
        return self.W[u, v] if self.conventions.layout == "XW" else self.W[v, u]

    def feature(self, i: int, u: int) -> sp.Expr:
        """x_iu by sample i and feature u (1 for the bias feature)."""
        return self.X[i, u] if self.conventions.layout == "XW" else self.X[u, i]

    @property
    def data_symbols(self) -> list[sp.Symbol]:
        """The symbols of L besides λ, in W's then X's order: the weights, the features (not the
        constant-1 bias feature), Δ when it is symbolic, and the loss's symbolic hyperparameters."""
        xs = [x for x in self.X if isinstance(x, sp.Symbol)]
        free = [h.symbol for h in self.loss.free_hyper(self.conventions.hyper)]
        return [*self.W, *xs, *self.delta.free_symbols, *free]

    @property
    def score_definitions(self) -> dict[sp.Symbol, sp.Expr]:
        return {self.S[i, j]: self.S_def[i, j] for i in range(self.N) for j in range(self.C)}

    def loss_in_scores(self) -> sp.Expr:
        """L = scale · Σ_i L_i(s_i) + R(W), with the scores as symbols."""
        return self.scale * sp.Add(*self.samples) + self.regularizer

    def loss_in_weights(self) -> sp.Expr:
        """L as a function of W and X alone (scores substituted)."""
        return substitute(self.loss_in_scores(), self.score_definitions)


def substitute(expr: sp.Expr, mapping: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """``expr.xreplace(mapping)``, but functions (exp, log, max(0, ·)) of the substituted arguments
    are rebuilt without re-running their ``eval`` — SymPy's exp inspects every term of a sum
    argument, which at D·C·N = 10⁴ costs more than the whole derivation. Sums and products are
    still built normally, so they come out flat and canonical."""
    memo: dict[sp.Expr, sp.Expr] = dict(mapping)

    def go(e: sp.Expr) -> sp.Expr:
        hit = memo.get(e)
        if hit is not None:
            return hit
        if not e.args:
            out = e
        else:
            args = [go(a) for a in e.args]
            if all(a is b for a, b in zip(args, e.args, strict=True)):
                out = e
            elif isinstance(e, sp.Function):
                out = e.func(*args, evaluate=False)
            else:
                out = e.func(*args)
        memo[e] = out
        return out

    return go(expr)


def check_sizes(D: object, C: object, N: object) -> tuple[int, int, int]:
    sizes = []
    for name, value in (("D", D), ("C", C), ("N", N)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{name} must be a whole number, not {value!r}")
        if value < 1:
            raise InputError(f"{name} must be at least 1, not {value}")
        sizes.append(value)
    D, C, N = sizes
    if C < 2:
        raise InputError(f"C must be at least 2 (a classifier needs two classes), not {C}")
    if D * C * N > MAX_ENTRIES:
        raise TooLargeError(
            f"D·C·N = {D * C * N} is too large to derive at concrete size (the limit is {MAX_ENTRIES}); "
            "derive at symbolic size instead (no sizes, or --generic)"
        )
    return D, C, N


def check_labels(y: object, C: int, N: int) -> tuple[int, ...]:
    if y is None:
        return default_labels(C, N)
    try:
        values = list(y)  # type: ignore[call-overload]  # anything iterable; the rest is refused below
        labels = tuple(int(v) for v in values)
        if any(float(v) != int(v) for v in values):
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"labels y must be a sequence of N = {N} whole numbers, not {y!r}") from None
    if len(labels) != N:
        raise InputError(f"labels y has {len(labels)} entries but N = {N}")
    bad = [v for v in labels if not 0 <= v < C]
    if bad:
        raise InputError(f"label {bad[0]} is out of range: labels are classes 0 … {C - 1} (C = {C})")
    return labels


def default_labels(C: int, N: int) -> tuple[int, ...]:
    """A label pattern that repeats labels as soon as N > C (where real bugs hide)."""
    return tuple((C - 1 - i) % C for i in range(N))


def build(loss: Loss, conventions: Conventions, D: int, C: int, N: int, y: Sequence[int]) -> Problem:
    """Symbols, scores and the loss at the given size."""
    F = D + (1 if conventions.bias else 0)

    def xval(i: int, u: int) -> sp.Expr:
        return sp.Integer(1) if conventions.bias and u == D else x_symbol(i, u)

    if conventions.layout == "XW":
        W = sp.Matrix(F, C, lambda u, v: w_symbol(u, v))
        X = sp.Matrix(N, F, lambda i, u: xval(i, u))
    else:
        W = sp.Matrix(C, F, lambda v, u: w_symbol(u, v))
        X = sp.Matrix(F, N, lambda u, i: xval(i, u))
    # s_ij = Σ_u x_iu w_uv, written out (faster than SymPy's generic matrix product)
    x_of = [[xval(i, u) for u in range(F)] for i in range(N)]
    w_of = [[w_symbol(u, v) for v in range(C)] for u in range(F)]
    S_def = sp.Matrix(N, C, lambda i, j: sp.Add(*[x_of[i][u] * w_of[u][j] for u in range(F)]))
    S = sp.Matrix(N, C, lambda i, j: s_symbol(i, j))
    delta = conventions.delta
    samples = tuple(
        loss.bind(loss.sample([S[i, j] for j in range(C)], y[i], delta, ConcreteIndexing(C, y[i])), conventions.hyper)
        for i in range(N)
    )
    coefficient = conventions.reg.coefficient
    regularizer = coefficient * LAMBDA * sp.Add(*[w**2 for w in W]) if coefficient else sp.Integer(0)
    scale = sp.Rational(1, N) if conventions.reduction == "mean" else sp.Integer(1)
    return Problem(loss, conventions, D, C, N, tuple(y), W, X, S, S_def, samples, regularizer, scale)
