"""The claims a report cites, by id — ONE table (:data:`CITED`), a selection of the package's one
table of claim ids (:data:`symderiv.derive.result.CLAIM_IDS`) — and what each proved.

Every displayed equation of a report holds the expression it prints and the ids of the claims it
cites (:class:`~symderiv.report.document.Equation`). This module answers, for an id, which
relations "lhs = rhs" the claim proved (:func:`proved_relations`), so a test can check that each
equation prints what its first cited claim proved. A claim's ``lhs``/``rhs`` are the two
expressions it proved equal; the report names the quantity they are (∂L_i/∂s_ij, ∂L/∂w_uv, …), and
where the claim's own expression is the one the report displays (the symbolic-size claims), the
relation's right side is the claim's. The concrete-size claims compare whole matrices in other
symbols (G in the scores, dL/dW in W); for those the relation shows the derivation's field the
claim is about.
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from ..algebra.functions import ExcludedSum, excluded_sums
from ..algebra.index import D, i, j, q, s, u
from ..algebra.normal_form import Normalizer, valid_rules
from ..derive.closed_form import closed_score_gradient, matrix_weights
from ..derive.generic import L_i, L_total, R_total, abbreviate, canonical, generic_forms, index_rules, loss_definition
from ..derive.matrix_form import matrix_form
from ..derive.result import CLAIM_IDS, Claim
from ..losses import Loss
from ..render.notation import Cases, Rows
from .derivations import derivation_at_size, derivation_relations, sample_vector_definition

#: every claim id a report cites (what each establishes: :data:`symderiv.derive.result.CLAIM_IDS`)
CITED: dict[str, str] = {
    cid: CLAIM_IDS[cid]
    for cid in (
        # symderiv derive, at the report's concrete size: the derivation …
        "closed-form.score-gradient",
        "derivative.routes-agree",
        "closed-form.per-element",
        "closed-form.matrix-weights",
        "evidence.random-points",
        # … and what it hands out (the code of the boxed matrix form)
        "artifact.gradient",
        "artifact.closed-form",
        "artifact.matrix-form",
        "artifact.numpy-scores",
        "artifact.shift-invariance",
        "artifact.numpy-gradient",
        "artifact.numpy-loss",
        "artifact.vectorized",
        # symderiv derive --generic (symbolic size)
        "symbolic.score-gradient",
        "symbolic.chain-rule",
        "symbolic.cases",
        "symbolic.regularizer",
        "symbolic.full-gradient",
        "symbolic.matrix-form",
        "symbolic.bias",
        # checked while building the report
        "report.score-derivative",
        "report.regularizer",
        "report.float-reference",
        "report.vectorized-float",
        # the notes' other derivations, proven while the report is built (symderiv.prove.derivations)
        "per-sample.partials",
        "per-sample.outer-product",
        "route.margin",
        "shift.invariance",
        "shift.placement",
        "shift.near-miss",
    )
}

#: the definitions a report displays (no claim: the input of the derivation), by id
DEFINITIONS: dict[str, str] = {
    "definition.scores": "s_ij in the weights and features (layout)",
    "definition.per-sample-loss": "L_i, built by the loss's definition",
    "definition.loss": "L = scale Σ_i L_i + R(W)",
    "definition.abbreviation": "the loss's named quantities (softmax's probabilities p_ij), as the loss defines them",
    "definition.weights": "G_ij = ∂L_i/∂s_ij, the weight matrix of the matrix form",
    "definition.sample-vector": "G_ij = ∂L_i/∂s_ij, the entries of one sample's column G_i (a loss whose matrix "
    "form has no one-letter name)",
}


def identify(claims: Iterable[Claim], source: str) -> list[tuple[str, Claim]]:
    """(id, claim) for each claim: its own ``id``; a claim without one (or a repeated id) gets
    ``source.claimN``."""
    out: list[tuple[str, Claim]] = []
    used: set[str] = set()
    for n, claim in enumerate(claims, 1):
        cid = claim.id
        if not cid or cid in used:
            cid = f"{source}.claim{n}"
        used.add(cid)
        out.append((cid, claim))
    return out


def proved_relations(cid: str, claim: Claim, d, g) -> list[tuple[sp.Basic, sp.Basic]]:
    """The relations (lhs, rhs) claim ``cid`` proved, as the report names them: the quantity the
    claim is about, equal to the claim's own proven expression (``claim.rhs``, or ``claim.lhs`` where
    that is the side the report displays) at symbolic size; at concrete size, the field of the
    concrete derivation ``d`` the claim compared (its ``lhs``/``rhs`` are matrices in other symbols)."""
    other = derivation_relations(cid, claim, d)  # the notes' other derivations (symderiv.report.derivations)
    if other is not None:
        return other
    if g is not None and claim.lhs is not None and claim.rhs is not None:
        weight = g.weight
        dL_dw = sp.Derivative(L_total, weight)
        own = {
            "symbolic.score-gradient": [(sp.Derivative(L_i, s[g.forms.i, j]), claim.rhs)],
            "symbolic.chain-rule": [
                (sp.Derivative(s[g.forms.i, q], weight), g.score_partial),
                (sp.Derivative(L_i, weight), claim.rhs),
                (dL_dw, g.full),
            ],
            "symbolic.cases": [(sp.Derivative(L_i, weight), claim.lhs)],
            "symbolic.regularizer": [(sp.Derivative(R_total, weight), claim.rhs)],
            "symbolic.full-gradient": [(dL_dw, claim.rhs)],
            "symbolic.matrix-form": [(g.matrix.lhs, g.matrix.rhs), (dL_dw, claim.rhs)],
            "symbolic.bias": [(sp.Derivative(L_total, weight.xreplace({u: D})), claim.rhs)],
        }.get(cid)
        if own is not None:
            return own
    return _fields(cid, d, g)


def _fields(cid: str, d, g) -> list[tuple[sp.Basic, sp.Basic]]:
    """The relations of a claim that carries no expression of the report's quantity: the concrete
    derivation's fields, the symbolic-size matrix form, and the report's own checks."""
    p = d.concrete()
    mf = matrix_form(d.loss, d.conventions).gradient
    concrete_scores = [
        (sp.Derivative(sp.Symbol(f"L_{i}"), p.S[i, jj]), d.score_gradient[i, jj])
        for i in range(p.N)
        for jj in range(p.C)
    ]
    if cid == "closed-form.score-gradient":
        closed = closed_score_gradient(p)
        return [(lhs, closed[n // p.C, n % p.C]) for n, (lhs, _) in enumerate(concrete_scores)]
    if cid == "derivative.routes-agree":
        return concrete_scores
    if cid == "closed-form.per-element":
        return [(sp.Derivative(L_total, p.weight(u, v)), d.closed_form[u, v] if d.conventions.layout == "XW"
                 else d.closed_form[v, u]) for u in range(p.features) for v in range(p.C)]  # fmt: skip
    matrix_claims = ("closed-form.matrix-weights", "evidence.random-points", "report.float-reference")
    if cid in (*matrix_claims, "report.vectorized-float") or cid.startswith("artifact."):
        return [(mf.lhs, mf.rhs)]
    if g is None:
        return []
    weight = g.weight  # the report's own checks, which carry no expressions
    table = {
        "report.score-derivative": [(sp.Derivative(s[g.forms.i, q], weight), g.score_partial)],
        "report.regularizer": [(sp.Derivative(R_total, weight), g.reg_gradient)],
    }
    return table.get(cid, [])


# ---------------------------------------------------------------- comparing an equation with a claim


def relations(expr: sp.Basic) -> list[sp.Eq]:
    """The relations "lhs = rhs" a displayed expression shows (one for an ``sp.Eq``)."""
    return list(expr.relations) if hasattr(expr, "relations") else [expr]


def abbreviation_definition(loss: Loss, shown: sp.Expr) -> sp.Basic | None:
    """The definitions of the loss's named quantities (softmax's p_ij = e^{s_ij} / Σ_k e^{s_ik}) that
    ``shown`` uses: one relation, several as :class:`~symderiv.render.notation.Rows`, or None."""
    used = [short.definition for short in loss.abbreviations if shown.has(short.definition.lhs.base)]
    if not used:
        return None
    return used[0] if len(used) == 1 else Rows(*used)


def defined(definition: str, d, g) -> sp.Basic | None:
    """The expression a definition equation must display: the input of the derivation, built by the
    loss's definition and the conventions."""
    c = d.conventions
    return {
        "definition.scores": g.score_definition,
        "definition.per-sample-loss": sp.Eq(L_i, generic_forms(d.loss, c).sample, evaluate=False),
        "definition.loss": loss_definition(c),
        "definition.abbreviation": abbreviation_definition(
            d.loss, abbreviate(d.loss, excluded_sums(g.forms.score_gradient))
        ),
        "definition.weights": sp.Eq(matrix_form(d.loss, c).G[i, j], sp.Derivative(L_i, s[i, j]), evaluate=False),
        "definition.sample-vector": sample_vector_definition(d),
    }.get(definition)


def unfold(expr: sp.Basic, g) -> sp.Basic:
    """``expr`` with what is only notation written out: cases as δ-algebra, Σ_{k≠y_i} as a sum with
    1 − δ, p_ij as the softmax, and the placeholders ∂L_i/∂s_iq, ∂s_iq/∂w_uv, ∂R/∂w_uv as the
    symbolic-size derivation's proven forms."""

    def placeholder(e: sp.Derivative) -> sp.Expr:
        (var, _), *_ = e.variable_count
        if e.expr == L_i and isinstance(var, sp.Indexed) and var.base == s:
            return g.forms.score_gradient.xreplace({j: var.indices[1]})
        if isinstance(e.expr, sp.Indexed) and e.expr.base == s and var == g.weight:
            return g.score_partial.xreplace({q: e.expr.indices[1]})
        if e.expr == R_total and var == g.weight:
            return g.reg_gradient
        return e

    out = expr.replace(lambda e: isinstance(e, Cases), lambda e: e.as_expr())
    out = out.replace(lambda e: isinstance(e, ExcludedSum), lambda e: e.as_sum())
    for short in g.loss.abbreviations:  # p_ia as the softmax e^{s_ia} / Σ_k e^{s_ik}, by the loss's definition
        definition = short.definition
        out = out.replace(
            lambda e, base=definition.lhs.base: isinstance(e, sp.Indexed) and e.base == base,
            lambda e, definition=definition: definition.rhs.xreplace({definition.lhs.indices[1]: e.indices[1]}),
        )
    return out.replace(lambda e: isinstance(e, sp.Derivative) and e.expr in (L_i, R_total) or (
        isinstance(e, sp.Derivative) and isinstance(e.expr, sp.Indexed)), placeholder)  # fmt: skip


def same(a: sp.Basic, b: sp.Basic, d, g) -> bool:
    """Whether ``a`` and ``b`` are the same expression: structurally for matrix expressions, else as
    normal forms — after the index rules at symbolic size, in the score symbols at concrete size."""
    if isinstance(a, sp.MatrixBase) != isinstance(b, sp.MatrixBase):  # a matrix expression and its value
        a, b = (_at_size(e, d) if isinstance(e, sp.MatrixExpr) else e for e in (a, b))
    if isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase):
        return a.shape == b.shape and all(same(x, z, d, g) for x, z in zip(a, b, strict=True))
    if getattr(a, "is_Matrix", False) or getattr(b, "is_Matrix", False):
        return a == b
    a, b = unfold(a, g), unfold(b, g)
    c = d.conventions
    if a.has(sp.Indexed) or b.has(sp.Indexed):
        rules = index_rules(D if c.bias else D - 1)
        norm = Normalizer(rules=(*valid_rules(c.kink), *(r for r in rules if r.on_monomial)))
        return norm(canonical(sp.expand(a), rules)) == norm(canonical(sp.expand(b), rules))
    norm = Normalizer(d.concrete().score_definitions, valid_rules(c.kink))
    return norm(a) == norm(b)


def _at_size(expr: sp.MatrixExpr, d) -> sp.Basic:
    """The matrix form ``expr`` at the concrete derivation's matrices (a claim may hold the value)."""
    p = d.concrete()
    mf = matrix_form(d.loss, d.conventions)
    if expr != mf.rhs:
        return derivation_at_size(expr, d)
    return mf.at(p.X, p.W, matrix_weights(p), p.N)


def shows_what_was_proved(expr: sp.Basic, proved: list[tuple[sp.Basic, sp.Basic]], d, g) -> bool:
    """Every relation ``expr`` displays is one of the ``proved`` relations: the same left side, and a
    right side equal to the proven one."""
    return all(any(rel.lhs == lhs and same(rel.rhs, rhs, d, g) for lhs, rhs in proved) for rel in relations(expr))
