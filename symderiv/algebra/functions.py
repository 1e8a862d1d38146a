"""The two functions at the heart of the piecewise losses, as SymPy functions of their own.

``Pos(m)`` is max(0, m) and ``Step(m)`` is the indicator 1[m > 0]. SymPy's ``Max`` differentiates
to ``Heaviside``, whose value at 0 is ½ silently; here the derivative of ``Pos`` is ``Step`` and
``Step(0)`` stays unevaluated, so the value at a kink is always a stated convention
(:attr:`Conventions.kink`), applied by :func:`at_kink`.
"""

from __future__ import annotations

import sympy as sp


class Step(sp.Function):
    """The indicator 1[m > 0]. ``Step(0)`` is left unevaluated: its value is a convention."""

    nargs = 1
    is_real = True
    is_nonnegative = True

    @classmethod
    def eval(cls, m):  # type: ignore[override]
        if m.is_Number:
            if m > 0:
                return sp.Integer(1)
            if m < 0:
                return sp.Integer(0)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)  # almost everywhere; kinks are handled by convention, not by delta functions

    def _eval_power(self, e):  # 1[·]^2 = 1[·] holds only when 1[0] is 0 or 1, so no automatic rule
        return None


class Pos(sp.Function):
    """max(0, m), differentiated to :class:`Step`."""

    nargs = 1
    is_real = True
    is_nonnegative = True

    @classmethod
    def eval(cls, m):  # type: ignore[override]
        if m.is_Number:
            return m if m > 0 else sp.Integer(0)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return Step(self.args[0])


def at_kink(expr: sp.Expr, kink: sp.Expr) -> sp.Expr:
    """Give every unevaluated ``Step(0)`` in ``expr`` the conventional value ``kink``."""
    return expr.replace(lambda e: isinstance(e, Step) and e.args[0] == 0, lambda e: kink)


def from_sympy_builtins(expr: sp.Expr) -> sp.Expr:
    """Rewrite SymPy's own spellings of the same functions into ours: ``Max(0, m)`` → ``Pos(m)``,
    ``Heaviside(m)`` → ``Step(m)`` (off the kink they agree)."""
    expr = sp.sympify(expr)

    def _max(e: sp.Expr) -> sp.Expr:
        args = list(e.args)
        if sp.Integer(0) in args:
            args.remove(sp.Integer(0))
            inner = args[0] if len(args) == 1 else sp.Max(*args)
            return Pos(inner)
        return e

    expr = expr.replace(lambda e: isinstance(e, sp.Max), _max)
    return expr.replace(lambda e: isinstance(e, sp.Heaviside), lambda e: Step(e.args[0]))


def exclusion(body: sp.Expr, k: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """If ``body`` is f(k)·(1 − δ(k, a)), return (f(k), a): the sum runs over k ≠ a."""
    for factor in sp.Mul.make_args(body):
        if factor.is_Add and len(factor.args) == 2 and sp.Integer(1) in factor.args:
            other = factor.args[0] if factor.args[1] == 1 else factor.args[1]
            if other.is_Mul and len(other.args) == 2 and other.args[0] == -1:
                delta = other.args[1]
                if isinstance(delta, sp.KroneckerDelta) and k in delta.args:
                    a = delta.args[0] if delta.args[1] == k else delta.args[1]
                    rest = sp.Mul(*[f for f in sp.Mul.make_args(body) if f is not factor])
                    return rest, a
    return None


class ExcludedSum(sp.Expr):
    """Σ_{k ≠ t} f(k) over k = 0 … upper, the notes' sum over the other classes. It is how results
    are shown; the derivation itself works with Σ_k f(k)(1 − δ(k, t)), which :meth:`doit` returns."""

    def __new__(cls, body, index, excluded, upper):
        return sp.Expr.__new__(cls, *map(sp.sympify, (body, index, excluded, upper)))

    @property
    def body(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1]

    @property
    def excluded(self):
        return self.args[2]

    @property
    def free_symbols(self):
        return (self.body.free_symbols - {self.index}) | self.excluded.free_symbols | self.args[3].free_symbols

    def as_sum(self) -> sp.Sum:
        return sp.Sum(self.body * (1 - sp.KroneckerDelta(self.index, self.excluded)), (self.index, 0, self.args[3]))

    def doit(self, **hints):
        return self.as_sum().doit(**hints)


def excluded_sums(expr: sp.Expr) -> sp.Expr:
    """Show every Σ_k f(k)(1 − δ(k, t)) in ``expr`` as :class:`ExcludedSum` Σ_{k ≠ t} f(k)."""

    def convert(e: sp.Sum) -> sp.Expr:
        (k, lo, hi), body = e.limits[0], e.function
        found = exclusion(body, k)
        if found is None or lo != 0 or len(e.limits) != 1:
            return e
        f, t = found
        return ExcludedSum(f, k, t, hi)

    return expr.replace(lambda e: isinstance(e, sp.Sum), convert)


# ---------------------------------------------------------------- the max over the other classes


def running_max(values: list[sp.Expr]) -> sp.Expr:
    """max(values), built from max(0, ·) so that its derivative is made of indicators whose value at a
    kink is the stated convention κ. The values are taken from the last to the first, each new one
    taking over unless the maximum so far is strictly larger:

        M = v_m,   then for t = m−1, …, 1:   M ← v_t + max(0, M − v_t)        (= max(v_t, M))

    Each earlier value appears once, so the expression grows linearly with the number of values.

    >>> running_max([sp.Integer(3), sp.Integer(-1), sp.Integer(5)])
    5
    """
    maximum = values[-1]
    for value in reversed(values[:-1]):
        maximum = value + Pos(maximum - value)
    return maximum


def argmax_weights(values: list[sp.Expr]) -> list[sp.Expr]:
    """a_t = ∂ max(values) / ∂ values[t] for :func:`running_max`: value t takes over from the
    maximum of the later values with 1 − 1[M_{>t} − v_t > 0] (1 for the last value) and keeps it while
    every earlier value r < t leaves it, 1[M_{>r} − v_r > 0]. At a tie the indicator's kink value κ
    decides: κ = 0 gives the first maximiser (as ``numpy.argmax``), κ = 1 the last, and every κ in
    [0, 1] gives weights a_t ≥ 0 that sum to 1 (a subgradient).

    >>> argmax_weights([sp.Integer(1), sp.Integer(4), sp.Integer(2)])
    [0, 1, 0]
    """
    m = len(values)
    keeps = [sp.Integer(0)] * m  # keeps[t] = 1[max(values[t+1:]) − v_t > 0]: v_t does not take over
    maximum = values[-1]
    for t in range(m - 2, -1, -1):
        keeps[t] = Step(maximum - values[t])
        maximum = values[t] + Pos(maximum - values[t])
    weights = []
    for t in range(m):
        weight = 1 - keeps[t] if t < m - 1 else sp.Integer(1)
        for r in range(t):
            weight *= keeps[r]
        weights.append(weight)
    return weights


_SUM_INDEX = sp.Symbol("k", integer=True, nonnegative=True)  # the class index of index notation


def _others(excluded: sp.Expr, upper: sp.Expr) -> list[int] | None:
    """The classes 0 … upper other than ``excluded``, when both are numbers."""
    if not (excluded.is_Integer and upper.is_Integer):
        return None
    return [c for c in range(int(upper) + 1) if c != int(excluded)]


class MaxOther(sp.Expr):
    """max_{r ≠ t} f(r) over r = 0 … upper, in index notation (``body`` is f(r), ``index`` the bound r).

    At concrete numbers :meth:`doit` is the :func:`running_max` over the classes, so ties follow the
    kink convention; its derivative in x is Σ_k a_k ∂f(k)/∂x with a_k the
    :class:`ArgMaxOther` indicator of the maximiser."""

    def __new__(cls, body, index, excluded, upper):
        return sp.Expr.__new__(cls, *map(sp.sympify, (body, index, excluded, upper)))

    body = property(lambda self: self.args[0])
    index = property(lambda self: self.args[1])
    excluded = property(lambda self: self.args[2])
    upper = property(lambda self: self.args[3])
    is_real = True

    @property
    def free_symbols(self):
        return (self.body.free_symbols - {self.index}) | self.excluded.free_symbols | self.upper.free_symbols

    def values(self) -> list[sp.Expr] | None:
        others = _others(self.excluded, self.upper)
        return None if others is None else [self.body.xreplace({self.index: sp.Integer(c)}) for c in others]

    def doit(self, **hints):
        e = self.func(*[a.doit(**hints) for a in self.args]) if hints.get("deep", True) else self
        values = e.values()
        return e if values is None else running_max(values)

    def _eval_derivative(self, x):
        k = _SUM_INDEX if not self.has(_SUM_INDEX) else sp.Dummy("k", integer=True, nonnegative=True)
        return sp.Sum(
            ArgMaxOther(k, self.body, self.index, self.excluded, self.upper)
            * sp.diff(self.body.xreplace({self.index: k}), x),
            (k, 0, self.upper),
        )


class ArgMaxOther(sp.Expr):
    """a_c, the argmax indicator of class c in max_{r ≠ t} f(r): 1[c = argmax_{r≠t} f(r)] with ties
    by the kink convention (see :func:`argmax_weights`); 0 at c = t. :meth:`doit` at concrete
    numbers gives the product of indicators of :func:`argmax_weights`."""

    def __new__(cls, at, body, index, excluded, upper):
        at, body, index, excluded, upper = map(sp.sympify, (at, body, index, excluded, upper))
        if at == excluded:
            return sp.Integer(0)  # the excluded class is never the argmax
        return sp.Expr.__new__(cls, at, body, index, excluded, upper)

    at = property(lambda self: self.args[0])
    body = property(lambda self: self.args[1])
    index = property(lambda self: self.args[2])
    excluded = property(lambda self: self.args[3])
    upper = property(lambda self: self.args[4])
    is_real = True
    is_nonnegative = True

    @property
    def free_symbols(self):
        inner = self.body.free_symbols - {self.index}
        return inner | self.at.free_symbols | self.excluded.free_symbols | self.upper.free_symbols

    def doit(self, **hints):
        e = self.func(*[a.doit(**hints) for a in self.args]) if hints.get("deep", True) else self
        if not isinstance(e, ArgMaxOther):
            return e
        others = _others(e.excluded, e.upper)
        if others is None or not e.at.is_Integer:
            return e
        if int(e.at) not in others:
            return sp.Integer(0)
        weights = argmax_weights([e.body.xreplace({e.index: sp.Integer(c)}) for c in others])
        return weights[others.index(int(e.at))]

    def _eval_derivative(self, x):
        return sp.Integer(0)  # piecewise constant: almost everywhere, as the indicator's
