"""Stage 3, simplify and prove: rewrite derived expressions toward the notes' closed forms, and
prove equalities without ``sympy.simplify``.

The derivatives here are polynomials in a few kinds of atoms — indicators 1[m > 0], max(0, m),
exponentials, reciprocals of sums of exponentials — with the data x and weights w as variables.
:func:`normal_form` expands an expression into a dictionary {monomial in atoms: rational
coefficient} without ever looking inside an atom, which is linear in the size of the expression;
two expressions with the same normal form are equal for *every* value of their atoms, which proves
them equal. Where that is not enough (an identity that holds only because of what the atoms are,
such as max(0, m)·1[m > 0] = max(0, m)), named :class:`RewriteRule` objects put the expressions
into the same shape first, and :func:`equal_by_cases` splits on the sign of each margin.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from .functions import Pos, Step

Monomial = frozenset  # of (atom, exponent) pairs


# ------------------------------------------------------------------------------ rewrite rules


@dataclass(frozen=True)
class RewriteRule:
    """A named rewrite: where ``matches`` holds, replace by ``rewrite``. ``valid_for_kink`` says for
    which values of 1[0] the rule is an identity."""

    name: str
    description: str
    matches: Callable[[sp.Expr], bool]
    rewrite: Callable[[sp.Expr], sp.Expr]
    valid_for_kink: Callable[[sp.Expr], bool] = lambda kink: True
    #: the same identity on a monomial of a normal form (atom keys → exponents), for proofs
    on_monomial: Callable[[dict], dict] | None = None

    def __call__(self, expr: sp.Expr) -> sp.Expr:
        return expr.replace(self.matches, self.rewrite)


def _pos_times_step(e: sp.Expr) -> bool:
    if not e.is_Mul:
        return False
    steps = {f.args[0] for f in e.args if isinstance(f, Step)}
    return any(isinstance(f, Pos) and f.args[0] in steps for f in e.args)


def _drop_step_beside_pos(e: sp.Expr) -> sp.Expr:
    pos = {f.args[0] for f in e.args if isinstance(f, Pos)}
    return sp.Mul(*[f for f in e.args if not (isinstance(f, Step) and f.args[0] in pos)])


def _monomial_drop_step_beside_pos(m: dict) -> dict:
    pos = {key[1] for key in m if isinstance(key, tuple) and key[0] == "Pos"}
    return {k: e for k, e in m.items() if not (isinstance(k, tuple) and k[0] == "Step" and k[1] in pos)}


def _monomial_step_power(m: dict) -> dict:
    return {k: (1 if isinstance(k, tuple) and k[0] == "Step" else e) for k, e in m.items()}


RULES: tuple[RewriteRule, ...] = (
    RewriteRule(
        "pos-step",
        "max(0, m)·1[m > 0] = max(0, m): where the indicator is 0 or at the kink, max(0, m) is 0",
        _pos_times_step,
        _drop_step_beside_pos,
        on_monomial=_monomial_drop_step_beside_pos,
    ),
    RewriteRule(
        "step-square",
        "1[m > 0]² = 1[m > 0], when the indicator's value at the kink is 0 or 1",
        lambda e: e.is_Pow and isinstance(e.base, Step) and e.exp.is_Integer and e.exp > 0,
        lambda e: e.base,
        lambda kink: kink in (0, 1),
        on_monomial=_monomial_step_power,
    ),
)


def valid_rules(kink: sp.Expr) -> tuple[RewriteRule, ...]:
    return tuple(r for r in RULES if r.valid_for_kink(kink))


def apply_rules(expr: sp.Expr, kink: sp.Expr, rules: Iterable[RewriteRule] = RULES) -> sp.Expr:
    """Apply every rule valid for this kink convention, in order."""
    for rule in rules:
        if rule.valid_for_kink(kink):
            expr = rule(expr)
    return expr


# ------------------------------------------------------------------------------ normal form

Poly = dict  # {Monomial: Fraction}: a polynomial in canonical atoms


class Normalizer:
    """Normal forms of expressions as polynomials in their atoms, with exact rational coefficients.

    An atom is anything that is not a sum, product, integer power or number: a symbol, 1[m > 0],
    max(0, m), exp(a), log(a), 1/(a sum). Atoms are keyed canonically by their type and the normal
    forms of their arguments, so 1[Δ + s_j − s_y] and 1[s_j + Δ − s_y] are one atom however SymPy
    ordered the sum. ``subs`` maps symbols to expressions that are normalised in their place (the
    score s_ij → Σ_k x_ik w_kj), which compares a result in the scores with one in the weights
    without building either in the other's terms. Every distinct subexpression is normalised once.
    """

    def __init__(self, subs: dict[sp.Symbol, sp.Expr] | None = None, rules: Iterable[RewriteRule] = ()) -> None:
        self._memo: dict[sp.Expr, Poly] = {}
        self._interned: dict[tuple, int] = {}
        self._subs = dict(subs or {})
        self._rules = [r.on_monomial for r in rules if r.on_monomial is not None]

    def __call__(self, expr: sp.Expr) -> Poly:
        e = sp.sympify(expr)
        hit = self._memo.get(e)
        if hit is None:
            hit = {m: c for m, c in self._nf(e).items() if c != 0}
            if self._rules and (e.is_Mul or e.is_Pow):
                hit = self._apply_rules(hit)
            self._memo[e] = hit
        return hit

    def _apply_rules(self, p: Poly) -> Poly:
        out: Poly = {}
        for m, c in p.items():
            if len(m) > 1 or any(e != 1 for _, e in m):
                d = dict(m)
                for rule in self._rules:
                    d = rule(d)
                m = frozenset(d.items())
            out[m] = out.get(m, 0) + c
        return out

    def _nf(self, e: sp.Expr) -> Poly:
        if e.is_Rational:
            return {_ONE: Fraction(int(e.p), int(e.q))} if e != 0 else {}
        if e.is_Number:
            return {_ONE: Fraction(float(e))} if e != 0 else {}
        if e in self._subs:
            return self(self._subs[e])
        if e.is_Add:
            acc: Poly = {}
            for a in e.args:
                add_into(acc, self(a))
            return acc
        if e.is_Mul:
            acc = {_ONE: Fraction(1)}
            for f in e.args:
                acc = times(acc, self(f))
            return acc
        if e.is_Pow and e.exp.is_Integer and e.exp > 0:
            base = self(e.base)
            acc = {_ONE: Fraction(1)}
            for _ in range(int(e.exp)):
                acc = times(acc, base)
            return acc
        if e.is_Pow and e.exp.is_Integer and e.base.is_Symbol and e.base not in self._subs:
            return {frozenset({(e.base, int(e.exp))}): Fraction(1)}
        return {frozenset({(self.atom(e), 1)}): Fraction(1)}

    def atom(self, e: sp.Expr) -> object:
        """The canonical key of an atom: (its type's name, an interned id of its arguments' normal
        forms). Interning keeps keys small, so comparing monomials never compares whole sums."""
        if e.is_Symbol:
            return e
        args = tuple(frozenset(self(a).items()) for a in e.args)
        return (type(e).__name__, self._interned.setdefault(args, len(self._interned)))


_ONE: Monomial = frozenset()


def add_into(acc: Poly, p: Poly, scale: Fraction = Fraction(1)) -> Poly:
    for m, c in p.items():
        acc[m] = acc.get(m, 0) + scale * c
    return acc


def times(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            m = _merge(ma, mb)
            out[m] = out.get(m, 0) + ca * cb
    return out


def _merge(ma: Monomial, mb: Monomial) -> Monomial:
    if not ma:
        return mb
    if not mb:
        return ma
    atoms = {atom for atom, _ in ma}
    if not any(atom in atoms for atom, _ in mb):  # the usual case: no atom in common
        return ma | mb
    counter = Counter(dict(ma))
    counter.update(dict(mb))
    return frozenset((k, v) for k, v in counter.items() if v != 0)


def clean(p: Poly) -> Poly:
    return {m: c for m, c in p.items() if c != 0}


def normal_form(expr: sp.Expr) -> Poly:
    """Expand ``expr`` as a polynomial in its atoms: {monomial: coefficient}, zero terms dropped."""
    return Normalizer()(expr)


def identical(a: sp.Expr, b: sp.Expr, normalizer: Normalizer | None = None) -> bool:
    """True when ``a`` and ``b`` are equal as polynomials in their atoms (a proof of a == b), modulo
    the rewrite rules the normalizer was given."""
    n = normalizer or Normalizer()
    return clean(n(a)) == clean(n(b))


def equal_by_cases(a: sp.Expr, b: sp.Expr, kink: sp.Expr, max_cases: int = 729) -> bool | None:
    """Prove a == b by splitting on the sign of every margin m inside 1[m > 0] and max(0, m):
    m > 0 (1[m > 0] = 1, max(0, m) = m), m < 0 (both 0) and m = 0 (1[0] = kink, max = 0). Returns
    True when every case is an identity, None when it is undecided (too many cases, or a case that
    is not an identity — which may still be infeasible, so it is no counterexample)."""
    a, b = sp.sympify(a), sp.sympify(b)
    margins = sorted({f.args[0] for f in (a - b).atoms(Step, Pos)}, key=sp.default_sort_key)
    if 3 ** len(margins) > max_cases:
        return None
    for signs in itertools.product((1, -1, 0), repeat=len(margins)):
        mapping: dict[sp.Expr, sp.Expr] = {}
        for m, sign in zip(margins, signs, strict=True):
            mapping[Step(m)] = sp.Integer(1) if sign > 0 else (sp.Integer(0) if sign < 0 else kink)
            mapping[Pos(m)] = m if sign > 0 else sp.Integer(0)
        if not identical(a.xreplace(mapping), b.xreplace(mapping)):
            return None
    return True
