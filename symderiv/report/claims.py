"""The claims a report cites, by id — ONE table (:data:`CITED`) — and what each proved.

Every displayed equation of a report holds the expression it prints and the ids of the claims it
cites (:class:`~symderiv.report.document.Equation`). This module answers, for an id, which
relations "lhs = rhs" the claim proved (:func:`proved_relations`), so a test can check that each
equation prints what its first cited claim proved.

Adapter, until every :class:`~symderiv.derive.result.Claim` carries ``id``, ``lhs`` and ``rhs`` (branch
``proof``): a claim without an ``id`` is recognised by the words of its statement
(:data:`LEGACY_WORDS`), and a claim without ``lhs``/``rhs`` stands for the fields of the derivation
it is about (:func:`_fields`). Once claims carry them, both fall away by themselves: the table below
is then the only thing to reconcile with the final ids.
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
from ..derive.result import Claim
from ..losses import Loss
from ..render.notation import Cases, Rows

#: every claim id a report cites, with what it establishes
CITED: dict[str, str] = {
    # symderiv derive, at the report's concrete size
    "closed-form.score-gradient": "∂L_i/∂s_ij equals the loss's closed form (cases j ≠ y_i, j = y_i), every label",
    "routes.direct": "the derivative through the scores equals the direct derivative of L(W)",
    "closed-form.per-element": "∂L/∂w_uv equals the per-element closed form",
    "artifact.matrix-form": "dL/dW equals the matrix form (symderiv.derive.matrix_form) at the concrete size",
    "evidence.rational-points": "the direct derivative and the matrix form agree at random rational points",
    # symderiv derive --generic (symbolic size)
    "generic.score-gradient": "∂L_i/∂s_ij by SymPy's diff of the index expression equals the closed form",
    "generic.chain-rule": "∂s_iq/∂w_uv = x_iu 1[q = v], so ∂L_i/∂w_uv = x_iu ∂L_i/∂s_iv",
    "generic.cases": "the cases v ≠ y_i and v = y_i recombine to ∂L_i/∂w_uv",
    "generic.regularizer": "∂R/∂w_uv, by SymPy's diff of R in index notation",
    "generic.full-gradient": "∂L/∂w_uv with its 1/N, by SymPy's diff of the whole loss L = scale Σ_i L_i + R",
    "generic.matrix-form": "the (u, v) entry of the matrix form equals ∂L/∂w_uv",
    "generic.bias": "with x_iD = 1 the bias gradient is the column sum of G plus ∂R/∂w_Dv",
    # checked while building the report
    "report.scores": "∂s_ij/∂w_uv = x_iu 1[j = v] for every score and weight",
    "report.regularizer": "∂R/∂W = 2cλW, entry by entry",
    "report.float": "the generated NumPy gradient equals the loss's hand-written NumPy reference",
    "report.vectorized": "the generated vectorized NumPy gradient equals the derived gradient",
}

#: the definitions a report displays (no claim: the input of the derivation), by id
DEFINITIONS: dict[str, str] = {
    "definition.scores": "s_ij in the weights and features (layout)",
    "definition.per-sample-loss": "L_i, built by the loss's definition",
    "definition.loss": "L = scale Σ_i L_i + R(W)",
    "definition.abbreviation": "the loss's named quantities (softmax's probabilities p_ij), as the loss defines them",
    "definition.weights": "G_ij = ∂L_i/∂s_ij, the weight matrix of the matrix form",
}

#: until claims carry ``id``: the words of each claim's statement (source, id, words)
LEGACY_WORDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("derive", "closed-form.score-gradient", ("∂L_i/∂s_j", "closed form")),
    ("derive", "routes.direct", ("through the scores", "direct")),
    ("derive", "closed-form.per-element", ("per-element closed form",)),
    ("derive", "evidence.rational-points", ("random points",)),
    ("derive", "artifact.matrix-form", ("matrix form",)),
    ("derive", "generic.instantiated", ("symbolic-size closed form, instantiated",)),
    ("generic", "generic.score-gradient", ("∂L_i/∂s_ij", "closed form")),
    ("generic", "generic.full-gradient", ("whole loss",)),
    ("generic", "generic.chain-rule", ("chain rule",)),
    ("generic", "generic.cases", ("recombine",)),
    ("generic", "generic.regularizer", ("∂R/∂",)),
    ("generic", "generic.matrix-form", ("matrix expression",)),
    ("generic", "generic.bias", ("bias",)),
)


def claim_id(claim, source: str, used: Iterable[str] = ()) -> str:
    """The claim's id: its own ``id`` when it has one, else recognised by its statement's words
    (ids in ``used`` are taken)."""
    own = getattr(claim, "id", None)
    if own:
        return own
    for src, cid, words in LEGACY_WORDS:
        if src == source and cid not in used and all(w in claim.statement for w in words):
            return cid
    return ""


def identify(claims: Iterable[Claim], source: str) -> list[tuple[str, Claim]]:
    """(id, claim) for each claim; a claim no id fits gets ``source.claimN``."""
    out: list[tuple[str, Claim]] = []
    used: set[str] = set()
    for n, claim in enumerate(claims, 1):
        cid = claim_id(claim, source, used)
        if not cid or cid in used:
            cid = f"{source}.claim{n}"
        used.add(cid)
        out.append((cid, claim))
    return out


def proved_relations(cid: str, claim, d, g) -> list[tuple[sp.Basic, sp.Basic]]:
    """The relations (lhs, rhs) claim ``cid`` proved: its own ``lhs``/``rhs`` when it carries
    them, else the fields of the concrete derivation ``d`` and the symbolic-size ``g`` it is about."""
    lhs, rhs = getattr(claim, "lhs", None), getattr(claim, "rhs", None)
    if lhs is not None and rhs is not None:
        return [(lhs, rhs)]
    return _fields(cid, d, g)


def _fields(cid: str, d, g) -> list[tuple[sp.Basic, sp.Basic]]:
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
    if cid == "routes.direct":
        return concrete_scores
    if cid == "closed-form.per-element":
        return [(sp.Derivative(L_total, p.weight(u, v)), d.closed_form[u, v] if d.conventions.layout == "XW"
                 else d.closed_form[v, u]) for u in range(p.features) for v in range(p.C)]  # fmt: skip
    if cid in ("artifact.matrix-form", "evidence.rational-points", "report.float", "report.vectorized"):
        return [(mf.lhs, mf.rhs)]
    if g is None:
        return []
    weight = g.weight
    dLi_dw = sp.Derivative(L_i, weight)
    table = {
        "generic.score-gradient": [(sp.Derivative(L_i, s[g.forms.i, j]), g.forms.score_gradient)],
        "generic.chain-rule": [
            (sp.Derivative(s[g.forms.i, q], weight), g.score_partial),
            (dLi_dw, g.element),
            (sp.Derivative(L_total, weight), g.full),
        ],
        "generic.cases": [(dLi_dw, g.element)],
        "generic.regularizer": [(sp.Derivative(R_total, weight), g.reg_gradient)],
        "generic.full-gradient": [(sp.Derivative(L_total, weight), g.full)],
        "generic.matrix-form": [(g.matrix.lhs, g.matrix.rhs), (sp.Derivative(L_total, weight), g.full)],
        "generic.bias": []
        if g.bias_entry is None
        else [(sp.Derivative(L_total, weight.xreplace({u: D})), g.bias_entry)],
        "report.scores": [(sp.Derivative(s[g.forms.i, q], weight), g.score_partial)],
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
        return expr
    return mf.at(p.X, p.W, matrix_weights(p), p.N)


def shows_what_was_proved(expr: sp.Basic, proved: list[tuple[sp.Basic, sp.Basic]], d, g) -> bool:
    """Every relation ``expr`` displays is one of the ``proved`` relations: the same left side, and a
    right side equal to the proven one."""
    return all(any(rel.lhs == lhs and same(rel.rhs, rhs, d, g) for lhs, rhs in proved) for rel in relations(expr))
