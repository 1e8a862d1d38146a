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
