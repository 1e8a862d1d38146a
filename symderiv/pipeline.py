"""The pipeline: build → differentiate → simplify → prove, read as its steps."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from fractions import Fraction

import sympy as sp

from . import differentiate
from .build import Problem, build, check_labels, check_sizes
from .conventions import LAMBDA, Conventions
from .derivation import Derivation
from .errors import InputError, TooLargeError
from .functions import from_sympy_builtins
from .losses import ConcreteIndexing, Loss, get
from .obligations import add_artifact_claims
from .proof import Claim, Evaluator, as_sympy, random_point, same_value
from .simplify import Normalizer, Poly, add_into, apply_rules, clean, identical, times, valid_rules

#: when C**N is at most this, derive(all_labels="auto") proves every label pattern
ALL_LABELS_LIMIT = 64
#: derive(all_labels=True) refuses more label patterns than this
MAX_LABEL_PATTERNS = 4096
SYMBOLIC = "symbolic: polynomial identity in the atoms 1[·], max(0,·), exp, modulo the named rewrite rules"


def derive(
    loss: str | Loss,
    *,
    D: int | None = None,
    C: int | None = None,
    N: int | None = None,
    y: Sequence[int] | None = None,
    layout: str = "XW",
    regularizer: str = "l2",
    reduction: str = "mean",
    bias: bool = False,
    delta: object = None,
    kink: object = 0,
    all_labels: bool | str = "auto",
    points: int = 2,
    seed: int = 0,
) -> Derivation:
    """Derive dL/dW for ``loss`` at size D×C with N samples and labels ``y``, and prove it.

    ``delta`` is Δ (symbolic unless a number is given), ``kink`` the value of the indicator
    1[m > 0] at m = 0. With ``all_labels`` (default: when C**N ≤ 64) the proof is repeated for
    every label pattern. Without sizes, the derivation is at symbolic size.

    >>> d = derive("hinge", D=2, C=3, N=2, y=[0, 2])
    >>> d.proved
    True
    """
    definition = get(loss)
    conventions = Conventions(
        layout=layout, bias=bias, regularizer=regularizer, reduction=reduction, delta=delta, kink=kink
    )
    if D is None and C is None and N is None:
        from .generic import derive_generic

        return derive_generic(definition, conventions)
    if D is None or C is None or N is None:
        raise InputError("give all three sizes D, C and N (or none, for the symbolic-size derivation)")
    D, C, N = check_sizes(D, C, N)
    labels = check_labels(y, C, N)
    if all_labels == "auto":
        all_labels = C**N <= ALL_LABELS_LIMIT
    elif not isinstance(all_labels, bool):
        raise InputError(f"all_labels must be True, False or 'auto', not {all_labels!r}")
    elif all_labels and C**N > MAX_LABEL_PATTERNS:
        raise TooLargeError(
            f"all_labels=True would prove C^N = {C}^{N} = {C**N} label patterns (the limit is {MAX_LABEL_PATTERNS}); "
            "the per-label proof already covers every pattern of any N — use all_labels='auto'"
        )
    if not isinstance(points, int) or points < 0:
        raise InputError(f"points must be a whole number ≥ 0, not {points!r}")

    problem, G, direct = derive_pattern(definition, conventions, D, C, N, labels)
    claims = [prove_score_cases(definition, conventions, C, range(C) if all_labels else sorted(set(labels)))]
    state: dict = {}
    claims += prove(problem, G, direct, points=points, seed=seed, state=state)
    patterns = 1
    if all_labels:
        for pattern in itertools.product(range(C), repeat=N):
            if pattern != labels:
                claims += prove(*derive_pattern(definition, conventions, D, C, N, pattern), points=0, seed=0)
                patterns += 1
        claims = summarise_patterns(claims, patterns)
    derivation = Derivation(
        loss=definition,
        conventions=conventions,
        problem=problem,
        claims=claims,
        score_gradient=G,
        gradient_direct=direct,
        label_patterns=patterns,
    )
    add_artifact_claims(derivation, state)  # what users receive: gradient, matrix form, NumPy, vectorized
    return derivation


def derive_pattern(loss: Loss, conventions: Conventions, D: int, C: int, N: int, y: Sequence[int]):
    """Build, differentiate (two routes) and simplify for one label pattern."""
    problem = build(loss, conventions, D, C, N, y)  # 1. build
    G = differentiate.score_gradient(problem)  # 2. differentiate: per sample in the scores …
    direct = differentiate.direct(problem)  # … and directly, L(W) as a whole
    G = simplify(G, conventions)  # 3. simplify: named rewrites toward the closed forms
    return problem, G, direct


def simplify(G: sp.Matrix, conventions: Conventions) -> sp.Matrix:
    """Apply the named rewrite rules valid for the kink convention to the per-sample derivatives.
    (The direct route is only compared, never shown: the proofs apply the same rules to monomials.)"""
    return G.applyfunc(lambda e: apply_rules(e, conventions.kink))


def closed_score_gradient(problem: Problem) -> sp.Matrix:
    """The per-element closed form of the notes, ∂L_i/∂s_ij by cases (j ≠ y_i, j = y_i). SymPy's
    Heaviside and Max(0, ·) in a definition are read as 1[· > 0] and max(0, ·), whose value at a
    kink is the derivation's convention."""
    p = problem
    scores = [[p.S[i, j] for j in range(p.C)] for i in range(p.N)]
    return _explicit(
        sp.Matrix(
            p.N,
            p.C,
            lambda i, j: p.loss.score_gradient(scores[i], p.y[i], j, p.delta, ConcreteIndexing(p.C, p.y[i])),
        )
    )


def _explicit(M: sp.Matrix) -> sp.Matrix:
    return M.applyfunc(from_sympy_builtins) if M.has(sp.Heaviside, sp.Max) else M


def matrix_weights(problem: Problem) -> sp.Matrix:
    """The weight matrix G of the matrix form (M, P − Y, …), built with matrix operations."""
    return _explicit(problem.loss.weights(problem.S, list(problem.y), problem.delta))


def matrix_form(problem: Problem) -> sp.Matrix:
    """dW = scale · Xᵀ G + ∂R/∂W (layout XW), or scale · Gᵀ Xᵀ + ∂R/∂W (layout WX)."""
    p = problem
    G = matrix_weights(p)
    reg = 2 * p.conventions.reg.coefficient * LAMBDA
    product = p.X.T * G if p.conventions.layout == "XW" else G.T * p.X.T
    return p.scale * product + reg * p.W


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
    route2 = {(u, v): clean(norm(direct[n])) for n, (u, v) in enumerate(_entries(p))}
    # Every form below is dW = scale·Xᵀ G + ∂R/∂W for its own G, through the one chain rule that
    # route 1 and the direct route already proved; so equal G (entry by entry) means equal dW.
    same_closed = all(derived[i][j] == norm(closed[i, j]) for i in range(p.N) for j in range(p.C))
    same_matrix = all(derived[i][j] == norm(matrix[i, j]) for i in range(p.N) for j in range(p.C))
    if state is not None:
        state.update(norm=norm, derived=derived, direct=route2)
    claims = [
        Claim(
            "the derivative through the scores equals the direct derivative of L(W), entry by entry",
            route1 == route2,
            SYMBOLIC,
            id="derivative.routes-agree",
            lhs=direct,  # rhs, the chain rule's dL/dW, is set by symderiv.obligations (Derivation.gradient)
        ),
        Claim(
            "∂L/∂w_uv equals the per-element closed form (cases v ≠ y_i and v = y_i)",
            same_closed,
            SYMBOLIC,
            "compared as ∂L_i/∂s_iv, through the shared chain rule",
            None if same_closed else _score_counterexample(p, G, closed),
            id="closed-form.per-element",
            lhs=G,
            rhs=closed,
        ),
        Claim(
            f"dL/dW equals the matrix form with G = {p.loss.weights_name}",
            same_matrix,
            SYMBOLIC,
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
    import random

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
    for u, v in _entries(p):
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
    import random

    rng = random.Random(seed)
    symbols = sorted({*p.data_symbols, LAMBDA}, key=sp.default_sort_key)
    G = matrix_weights(p)
    for k in range(points):
        point = random_point(symbols, rng, positive=[LAMBDA, *p.delta.free_symbols])
        ev, evs = _evaluators(p, point)
        weights = [[evs(G[i, v]) for v in range(p.C)] for i in range(p.N)]
        for idx, (u, v) in enumerate(_entries(p)):
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
        first = group[0]
        failure = next((c for c in group if not c.holds), None)
        detail = f"all {len(group)} label patterns"
        out.append(
            dataclasses.replace(
                first, holds=failure is None, detail=detail, counterexample=failure.counterexample if failure else None
            )
        )
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
        derived = differentiate.sample_gradient(loss, C, label, conventions.delta)
        lhs.append([apply_rules(g, conventions.kink) for g in derived])
        rhs.append([])
        for j in range(C):
            closed = from_sympy_builtins(
                loss.score_gradient(s, label, j, conventions.delta, ConcreteIndexing(C, label))
            )
            rhs[-1].append(closed)
            ok &= identical(lhs[-1][j], closed, norm)
    which = (
        f"every label y_i of {C} classes" if len(labels) == C else f"the labels y_i ∈ {{{', '.join(map(str, labels))}}}"
    )
    return Claim(
        f"∂L_i/∂s_j equals the closed form (cases j ≠ y_i, j = y_i) for {which}",
        ok,
        SYMBOLIC,
        id="closed-form.score-gradient",
        lhs=sp.Matrix(lhs),  # row r: ∂L_i/∂s_0 … ∂L_i/∂s_{C−1} for the label labels[r], in generic scores s_j
        rhs=sp.Matrix(rhs),
    )


def _entries(p: Problem) -> list[tuple[int, int]]:
    """(u, v) = (feature, class) for each entry of W, in W's own (row-major) order."""
    if p.conventions.layout == "XW":
        return [(u, v) for u in range(p.features) for v in range(p.C)]
    return [(u, v) for v in range(p.C) for u in range(p.features)]
