"""Prove or refute a formula derived by hand against the derivation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..algebra.evaluate import agree_at_points
from ..algebra.functions import from_sympy_builtins
from ..algebra.normal_form import apply_rules, equal_by_cases, identical
from ..conventions import LAMBDA
from ..derive.result import Derivation
from ..errors import InputError
from ..render.notation import text


@dataclass(frozen=True)
class FormulaVerdict:
    """``status`` is "proved", "refuted" (with a counterexample of exact values) or "unproven"
    (no proof found, but no counterexample either)."""

    status: str
    method: str
    entries: int
    counterexample: dict | None = field(default=None)

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    def __bool__(self) -> bool:
        return self.proved

    def __str__(self) -> str:
        head = f"{self.status}: {self.method} ({self.entries} entr{'y' if self.entries == 1 else 'ies'})"
        if not self.counterexample:
            return head
        ce = self.counterexample
        point = ", ".join(f"{k} = {v}" for k, v in ce["point"].items())
        return (
            f"{head}\n  counterexample at {ce['entry']}: derived {ce['derived']}, your formula {ce['claimed']}"
            f"\n  at {point}"
        )


def check_formula(
    derivation: Derivation,
    formula: object,
    *,
    entry: tuple[int, int] | None = None,
    sample: int | None = None,
    points: int = 20,
    seed: int = 0,
) -> FormulaVerdict:
    """Prove ``formula`` equal to the derivation's, or refute it: :func:`symderiv.verify_formula`
    for a derivation already made (that function's docstring says what ``formula`` may be)."""
    d = derivation
    p = d.concrete()
    targets, claimed, labels = _pairs(d, formula, entry, sample)
    kink = d.conventions.kink
    subs = p.score_definitions
    claimed = [apply_rules(from_sympy_builtins(_rational(c)).xreplace(subs), kink) for c in claimed]
    targets = [t.xreplace(subs) for t in targets]

    if all(identical(t, c) for t, c in zip(targets, claimed, strict=True)):
        return FormulaVerdict("proved", "symbolic: polynomial identity in the atoms", len(targets))
    symbols = sorted({*p.data_symbols, LAMBDA}, key=sp.default_sort_key)
    unknown = set().union(*(c.free_symbols for c in claimed)) - set(symbols)
    if unknown:
        names = ", ".join(sorted(text(s) for s in unknown))
        raise InputError(f"the formula uses symbols that are not the derivation's: {names}")
    _, counterexample = agree_at_points(
        targets,
        claimed,
        symbols,
        kink,
        points=points,
        seed=seed,
        positive=[LAMBDA, *p.delta.free_symbols],
        labels=labels,
    )
    if counterexample:
        return FormulaVerdict("refuted", "counterexample at a random rational point", len(targets), counterexample)
    if all(equal_by_cases(t, c, kink) for t, c in zip(targets, claimed, strict=True)):
        return FormulaVerdict("proved", "symbolic: case split on the sign of every margin", len(targets))
    return FormulaVerdict("unproven", f"no proof found; equal at {points} random rational points", len(targets))


def _rational(expr: sp.Expr) -> sp.Expr:
    """Python floats in a formula (1/N written 1 / 3) read as the simple rational they stand for,
    to 12 digits; a float that is no such rational stays as it is and is compared as a float."""
    return expr.replace(lambda e: e.is_Float, lambda e: sp.nsimplify(e, tolerance=1e-12, rational=True))


#: what a claimed formula may not contain: symderiv cannot compare it (or it is not a number)
_UNSUPPORTED = (sp.Piecewise, sp.Integral, sp.Derivative, sp.Sum, sp.Product, sp.Limit, sp.Order)


def _admissible(value: object) -> sp.Expr:
    """A claimed entry as a SymPy expression, or InputError: not a string (parsed, it could mean
    anything), not None, not NaN or an infinity, nothing symderiv cannot compare (Piecewise, Integral …)."""
    if value is None or isinstance(value, str | bytes):
        raise InputError(f"a formula entry must be a SymPy expression or a number, not {type(value).__name__}")
    try:
        expr = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError, ValueError):
        kind = type(value).__name__
        raise InputError(f"a formula entry must be a SymPy expression or a number, not {kind}") from None
    if not isinstance(expr, sp.Expr):
        raise InputError(f"a formula entry must be an expression, not {type(expr).__name__}: {expr}")
    if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise InputError(f"a formula entry must be finite, not {expr}")
    found = sorted({type(a).__name__ for a in sp.preorder_traversal(expr) if isinstance(a, _UNSUPPORTED)})
    if found:
        raise InputError(
            f"the formula holds {', '.join(found)}, which symderiv cannot compare: write it with Max/Heaviside "
            "or symderiv.Step and explicit sums"
        )
    return expr


def _entry(entry: object) -> tuple[int, int]:
    """(u, v) as two whole numbers, or InputError."""
    u: object
    v: object
    try:
        u, v = entry  # type: ignore[misc]
    except (TypeError, ValueError):
        raise InputError(f"entry must be (u, v), two whole numbers, not {entry!r}") from None
    if not all(isinstance(i, int | np.integer) and not isinstance(i, bool) for i in (u, v)):
        raise InputError(f"entry must be (u, v), two whole numbers, not {entry!r}")
    return int(u), int(v)  # type: ignore[call-overload]


def _pairs(d: Derivation, formula: object, entry, sample) -> tuple[list, list, list[str]]:
    p = d.concrete()
    if sample is not None and not (isinstance(sample, int) and 0 <= sample < p.N):
        raise InputError(f"sample must be one of 0 … {p.N - 1}, not {sample!r}")

    def target(u: int, v: int) -> sp.Expr:
        if sample is None:
            return d.entry(u, v)
        assert d.score_gradient is not None
        return p.feature(sample, u) * d.score_gradient[sample, v]

    entries = [(u, v) for u in range(p.features) for v in range(p.C)]
    if isinstance(formula, sp.MatrixBase):
        if formula.shape != p.W.shape:
            raise InputError(f"the formula is a {formula.shape[0]}×{formula.shape[1]} matrix; W is {p.W.shape}")

        def claimed(u: int, v: int) -> sp.Expr:
            return _admissible(formula[u, v] if d.conventions.layout == "XW" else formula[v, u])
    elif callable(formula):
        fn: Callable = formula

        def claimed(u: int, v: int) -> sp.Expr:
            return _admissible(fn(u, v))
    else:
        if entry is None:
            raise InputError("a single expression needs entry=(u, v): which ∂/∂w_uv it claims")
        u, v = _entry(entry)
        if not (0 <= u < p.features and 0 <= v < p.C):
            raise InputError(f"entry {entry} is outside W: features 0 … {p.features - 1}, classes 0 … {p.C - 1}")
        entries = [(u, v)]
        expr = _admissible(formula)

        def claimed(u: int, v: int) -> sp.Expr:
            return expr

    return (
        [target(u, v) for u, v in entries],
        [claimed(u, v) for u, v in entries],
        [f"∂L{'_' + str(sample) if sample is not None else ''}/∂w[{u},{v}]" for u, v in entries],
    )
