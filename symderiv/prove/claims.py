"""The claims of a concrete derivation: the two routes agree, and the derived gradient equals the
per-element closed form and the matrix form — compared as normal forms, then evidence at exact
rational points; folded over label patterns."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from fractions import Fraction

import sympy as sp

from ..algebra.evaluate import Evaluator, as_sympy, random_point, same_value
from ..algebra.functions import from_sympy_builtins
from ..algebra.normal_form import Normalizer, Poly, add_into, apply_rules, clean, identical, times, valid_rules
from ..conventions import LAMBDA, Conventions
from ..derive import differentiate
from ..derive.build import Problem
from ..derive.closed_form import closed_score_gradient, matrix_weights
from ..derive.result import Claim
from ..losses import ConcreteIndexing, Loss

SYMBOLIC = "symbolic: polynomial identity in the atoms 1[·], max(0,·), exp, modulo the named rewrite rules"


def symbolic_method(*exprs: sp.Basic) -> str:
    """:data:`SYMBOLIC`, naming only the atoms that occur in ``exprs`` (no exp for a hinge)."""
    found = [
        name
        for name, kinds in (
            ("1[·]", ("Step", "ArgMaxOther")),
            ("max(0,·)", ("Pos",)),
            ("max over classes", ("MaxOther",)),
        )
        if any(type(a).__name__ in kinds for e in exprs for a in sp.preorder_traversal(e))
    ]
    if any(e.has(sp.exp) for e in exprs):
        found.append("exp")
    if not found:
        return SYMBOLIC
    atoms = ("the atom " if len(found) == 1 else "the atoms ") + ", ".join(found)
    return f"symbolic: polynomial identity in {atoms}, modulo the named rewrite rules"


def prove(
    problem: Problem, G: sp.Matrix, direct: sp.Matrix, *, points: int, seed: int, state: dict | None = None
) -> list[Claim]:
    """The claims of one label pattern: the two routes agree; the derived gradient equals the
    per-element closed form and the matrix form. Everything is compared as normal forms
    (polynomials in canonical atoms, scores normalised as Σ_k x_ik w_kj), with the chain rule
    dW = scale · Xᵀ G + ∂R/∂W carried out in that algebra; then evidence at rational points.
    ``state``, when given, receives the normalizer and the normal forms, for the artifact
    obligations (:mod:`symderiv.obligations`)."""
    p = problem
    norm = Normalizer(p.score_definitions, valid_rules(p.conventions.kink))
    derived = [[norm(G[i, j]) for j in range(p.C)] for i in range(p.N)]
    closed, matrix = closed_score_gradient(p), matrix_weights(p)
    route1 = _chain_rule_nf(p, derived, norm)
    route2 = {(u, v): clean(norm(direct[n])) for n, (u, v) in enumerate(entries(p))}
    # Every form below is dW = scale·Xᵀ G + ∂R/∂W for its own G, through the one chain rule that
    # route 1 and the direct route already proved; so equal G (entry by entry) means equal dW.
    same_closed = all(derived[i][j] == norm(closed[i, j]) for i in range(p.N) for j in range(p.C))
    same_matrix = all(derived[i][j] == norm(matrix[i, j]) for i in range(p.N) for j in range(p.C))
    if state is not None:
        state.update(norm=norm, derived=derived, direct=route2)
    method = symbolic_method(closed)  # the atoms of the closed forms (the rewrite rules remove the rest)
    claims = [
        Claim(
            "the derivative through the scores equals the direct derivative of L(W), entry by entry",
            route1 == route2,
            method,
            id="derivative.routes-agree",
            lhs=direct,  # rhs, the chain rule's dL/dW, is built on demand by Derivation.claim (Derivation.gradient)
        ),
        Claim(
            "∂L/∂w_uv equals the per-element closed form (cases v ≠ y_i and v = y_i)",
            same_closed,
            method,
            "compared as ∂L_i/∂s_iv, through the shared chain rule",
            None if same_closed else _score_counterexample(p, G, closed),
            id="closed-form.per-element",
            lhs=G,
            rhs=closed,
        ),
        Claim(
            f"dL/dW equals the matrix form with G = {p.loss.weights_name}",
            same_matrix,
            method,
            "compared as G entry by entry, through the shared chain rule",
            None if same_matrix else _score_counterexample(p, G, matrix),
            id="closed-form.matrix-weights",
            lhs=G,
            rhs=matrix,
        ),
    ]
    if points:
        claims.append(_at_points(p, direct, points, seed))
    return claims


def _evaluators(p: Problem, point: dict) -> tuple[Evaluator, Evaluator]:
    """Evaluators at ``point`` (values of W, X, Δ, λ): one for expressions in W and X, and one that
    also knows the scores s_ij, computed exactly from their definitions."""
    ev = Evaluator(point, p.conventions.kink)
    scores = {p.S[i, j]: as_sympy(ev(p.S_def[i, j])) for i in range(p.N) for j in range(p.C)}
    return ev, Evaluator({**point, **scores}, p.conventions.kink)


def _score_counterexample(p: Problem, derived: sp.Matrix, claimed: sp.Matrix, tries: int = 20) -> dict | None:
    """A point (exact rational W, X, Δ) where a claimed G_ij differs from the derived one."""
    rng = random.Random(1)
    symbols = sorted(p.data_symbols, key=sp.default_sort_key)
    for _ in range(tries):
        point = random_point(symbols, rng, positive=p.delta.free_symbols)
        _, evs = _evaluators(p, point)
        for i in range(p.N):
            for j in range(p.C):
                a, b = evs(derived[i, j]), evs(claimed[i, j])
                if not same_value(a, b):
                    return {
                        "entry": f"∂L_{i}/∂s[{i},{j}]",
                        "derived": as_sympy(a),
                        "claimed": as_sympy(b),
                        "point": {str(s): v for s, v in point.items()},
                    }
    return None


def _chain_rule_nf(p: Problem, rows: list[list[Poly]], norm: Normalizer) -> dict[tuple[int, int], Poly]:
    """dW = scale · Xᵀ G + ∂R/∂W carried out on normal forms (``rows[i][v]`` is G_iv's)."""
    scale = Fraction(int(p.scale.p), int(p.scale.q))
    reg = 2 * Fraction(int(p.conventions.reg.coefficient.p), int(p.conventions.reg.coefficient.q))
    out = {}
    for u, v in entries(p):
        acc: Poly = {}
        for i in range(p.N):
            add_into(acc, times(norm(p.feature(i, u)), rows[i][v]), scale)
        if reg:
            add_into(acc, norm(LAMBDA * p.weight(u, v)), reg)
        out[(u, v)] = clean(acc)
    return out


def _at_points(p: Problem, direct: sp.Matrix, points: int, seed: int) -> Claim:
    """The direct derivative (in W) against the matrix form (in the scores, evaluated from exact
    scores) at random rational points."""
    rng = random.Random(seed)
    symbols = sorted({*p.data_symbols, LAMBDA}, key=sp.default_sort_key)
    G = matrix_weights(p)
    for k in range(points):
        point = random_point(symbols, rng, positive=[LAMBDA, *p.delta.free_symbols])
        ev, evs = _evaluators(p, point)
        weights = [[evs(G[i, v]) for v in range(p.C)] for i in range(p.N)]
        for idx, (u, v) in enumerate(entries(p)):
            claimed = sum((ev(p.feature(i, u)) * weights[i][v] for i in range(p.N)), Fraction(0))
            claimed = ev(p.scale) * claimed + 2 * ev(p.conventions.reg.coefficient * LAMBDA * p.weight(u, v))
            derived = ev(direct[idx])
            if not same_value(derived, claimed):
                return Claim(
                    "direct derivative and matrix form agree at random points",
                    False,
                    "rational evaluation",
                    f"differs at point {k + 1}",
                    {
                        "entry": f"w[{u},{v}]",
                        "derived": as_sympy(derived),
                        "claimed": as_sympy(claimed),
                        "point": {str(s): val for s, val in point.items()},
                    },
                    id="evidence.random-points",
                )
    method = "exact rational evaluation" if p.loss.kinky else "rational inputs, exp and log to 40 digits"
    return Claim(
        "direct derivative and matrix form agree at random points",
        True,
        method,
        f"{points} points",
        id="evidence.random-points",
    )


def summarise_patterns(claims: list[Claim], patterns: int) -> list[Claim]:
    """Fold the per-pattern claims into one claim per id, counting the patterns (the first
    pattern's — the derivation's own labels' — expressions are kept as ``lhs``/``rhs``)."""
    by_id: dict[str, list[Claim]] = {}
    for c in claims:
        by_id.setdefault(c.id or c.statement, []).append(c)
    out = []
    for group in by_id.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        failure = next((c for c in group if not c.holds), None)
        detail = f"all {len(group)} label patterns"
        counterexample = failure.counterexample if failure is not None else None
        out.append(dataclasses.replace(group[0], holds=failure is None, detail=detail, counterexample=counterexample))
    return out


def prove_score_cases(loss: Loss, conventions: Conventions, C: int, labels: Sequence[int]) -> Claim:
    """∂L_i/∂s_j equals the closed form's cases for each label value in ``labels`` — per sample, so
    with every value 0 … C−1 it holds for every label pattern of any N."""
    s = differentiate.generic_scores(C)
    norm = Normalizer(rules=valid_rules(conventions.kink))
    ok = True
    lhs: list[list[sp.Expr]] = []
    rhs: list[list[sp.Expr]] = []
    for label in labels:
        derived = differentiate.sample_gradient(loss, C, label, conventions.delta, conventions.hyper)
        lhs.append([apply_rules(g, conventions.kink) for g in derived])
        rhs.append([])
        for j in range(C):
            closed = from_sympy_builtins(
                loss.bind(
                    loss.score_gradient(s, label, j, conventions.delta, ConcreteIndexing(C, label)), conventions.hyper
                )
            )
            rhs[-1].append(closed)
            ok &= identical(lhs[-1][j], closed, norm)
    which = (
        f"every label y_i of {C} classes" if len(labels) == C else f"the labels y_i ∈ {{{', '.join(map(str, labels))}}}"
    )
    return Claim(
        f"∂L_i/∂s_j equals the closed form (cases j ≠ y_i, j = y_i) for {which}",
        ok,
        symbolic_method(sp.Matrix(rhs)),
        id="closed-form.score-gradient",
        lhs=sp.Matrix(lhs),  # row r: ∂L_i/∂s_0 … ∂L_i/∂s_{C−1} for the label labels[r], in generic scores s_j
        rhs=sp.Matrix(rhs),
    )


def entries(p: Problem) -> list[tuple[int, int]]:
    """(u, v) = (feature, class) for each entry of W, in W's own (row-major) order."""
    if p.conventions.layout == "XW":
        return [(u, v) for u in range(p.features) for v in range(p.C)]
    return [(u, v) for v in range(p.C) for u in range(p.features)]
