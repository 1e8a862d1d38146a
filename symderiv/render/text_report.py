"""A derivation as text a person reads in a terminal. Every formula is printed by
:func:`symderiv.render.notation.text` from an expression of the derivation.

This module sits below :mod:`symderiv.derive` (whose results print through it), so it reads a
derivation through its public attributes only (its fields and ``d.matrix_expression``) and imports
none of the derive stage."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import SymderivError
from .notation import text


def text_report(d: Any, entry: tuple[int, int] | None = None) -> str:
    """The per-element derivative of one entry, the closed forms, and the proof status."""
    p = d.concrete()
    c = d.conventions
    loss = d.loss
    y0 = p.y[0]
    u, v = entry if entry is not None else (0, y0 if p.C > 1 else 0)
    other = next(j for j in range(p.C) if j != y0)
    L0 = sp.Symbol("L_0")
    assert d.score_gradient is not None
    derived = d.entry(u, v)  # checks the entry first (InputError for a weight that does not exist)

    def relation(lhs: sp.Expr, rhs: sp.Expr) -> str:
        return text(sp.Eq(lhs, rhs, evaluate=False), c)

    lines = [
        f"{loss.title} — {loss.description}",
        f"size D={p.D}, C={p.C}, N={p.N}, labels y={list(p.y)}",
        *("  " + line for line in c.describe()),
        "",
        "Per-sample derivative through the scores (sample 0, label y_0 = %d):" % y0,
        f"  {relation(sp.Derivative(L0, p.S[0, other]), d.score_gradient[0, other])}      (j ≠ y_0)",
        f"  {relation(sp.Derivative(L0, p.S[0, y0]), d.score_gradient[0, y0])}      (j = y_0)",
        "",
        "Closed form (the notes' cases, proven equal to the derivation above):",
        *_closed_form_lines(d),
        "",
        "Derived:",
        "  " + relation(sp.Derivative(sp.Symbol("L"), p.weight(u, v)), derived),
        "",
        "Proof:",
        *("  " + claim.line() for claim in d.claims),
        "",
        f"{'PROVED' if d.proved else 'NOT PROVED'}: {d.summary()}",
    ]
    return "\n".join(lines)


def _closed_form_lines(d: Any) -> list[str]:
    """The closed forms in index notation, from the symbolic-size derivation of the same loss; for a
    loss without one, ∂L_0/∂s_0j as derived (proven equal to the closed form) and the matrix form."""
    try:
        generic = d.symbolic()
    except SymderivError:  # a loss without a symbolic-size form: sample 0 at this size
        p = d.concrete()
        assert d.score_gradient is not None
        L0 = sp.Symbol("L_0")
        return [
            "  " + text(sp.Eq(sp.Derivative(L0, p.S[0, j]), d.score_gradient[0, j], evaluate=False), d.conventions)
            for j in range(p.C)
        ] + ["  matrix form: " + text(d.matrix_expression, d.conventions)]
    return list(generic.result_lines())
