"""The report's sections for the derivations the notes make besides the main one, each equation printed
from what :mod:`symderiv.prove.derivations` proved: one sample's gradient as the matrix of its partials
(seed 000) and as an outer product (seed 001's M_i x_iᵀ, bias column included); the route through the
margins (seed 002, the hinge family); and the max shift of stable softmax code (the softmax family).

A section appears only where the loss has what it needs (a capability of the loss, never its name).
"""

from __future__ import annotations

import sympy as sp

from ..algebra.index import i as I
from ..algebra.index import j as J
from ..algebra.index import s as S_BASE
from ..algebra.index import v as V
from ..derive.closed_form import closed_score_gradient
from ..derive.generic import L_i
from ..derive.matrix_form import matrix_form
from ..losses import ConcreteIndexing
from ..prove.derivations import (
    c_i,
    feature_vector,
    margin_claims,
    margin_forms,
    margin_symbol,
    partials_matrix,
    per_sample_claims,
    shift_claims,
    shift_forms,
)
from ..render.notation import Chain, InSpace, latex
from .document import NOTES_INDICES, Evidence, Section
from .i18n import Messages, messages


def sections(d, g, show, m: Messages | None = None) -> tuple[list[Section], list[Evidence]]:
    """The extra sections of the report of ``d`` (concrete) and ``g`` (symbolic size), and the evidence
    they cite. ``show`` makes :class:`Equation` objects in the layout's notation; ``m`` gives the words, in
    the report's language (:mod:`symderiv.report.i18n`). Sample 0 of the concrete derivation is shown in the
    notes' notation, as the concrete example is (:data:`~symderiv.report.document.NOTES_INDICES`: sample 1,
    scores s_1 … s_C)."""
    m = m or messages()
    claims = per_sample_claims(d) + margin_claims(d) + shift_claims(d.loss, d.conventions)
    evidence = [Evidence(c.id, c, "report") for c in claims]
    by_id = {c.id: c for c in claims}
    out = [_sample_section(d, g, show, m)]
    if "route.margin" in by_id:
        out.append(_margin_section(d, g, show, m))
    if "shift.invariance" in by_id:
        out.append(_shift_section(d, show, by_id["shift.near-miss"], m))
    return out, evidence


def sample_vector_name(d) -> str:
    """The name of ∂L_i/∂s_i as a column: the loss's weight matrix's letter (M_i, as seed 001), or G_i for a
    loss whose matrix form has no one-letter name (softmax's P − Y), defined by :func:`sample_vector_definition`."""
    name = d.loss.weights_name
    return f"{name}_i" if name.isidentifier() else "G_i"


def sample_vector_definition(d) -> sp.Eq | None:
    """G_ij = ∂L_i/∂s_ij, for a loss whose matrix form has no one-letter name (the matrix form's own
    ``definition.weights`` defines M_ij or G_ij otherwise): the entries of the per-sample column G_i."""
    if d.loss.weights_name.isidentifier():
        return None
    return sp.Eq(sp.IndexedBase("G")[I, J], sp.Derivative(L_i, S_BASE[I, J]), evaluate=False)


def per_sample_matrices(d) -> tuple[sp.MatrixSymbol, sp.MatrixSymbol, sp.MatrixSymbol]:
    """x_i (features, a column: D + 1 entries with the bias trick), g_i (∂L_i/∂s_i, a column) and W."""
    mf = matrix_form(d.loss, d.conventions)
    features = mf.X.shape[1] if d.conventions.layout == "XW" else mf.X.shape[0]
    classes = mf.G.shape[1]
    return sp.MatrixSymbol("x_i", features, 1), sp.MatrixSymbol(sample_vector_name(d), classes, 1), mf.W


def outer_product_relation(d) -> sp.Eq:
    """∂L_i/∂W = x_i g_iᵀ (layout XW) or g_i x_iᵀ (layout WX), as matrix symbols."""
    x_i, g_i, W = per_sample_matrices(d)
    rhs = sp.MatMul(x_i, sp.Transpose(g_i)) if d.conventions.layout == "XW" else sp.MatMul(g_i, sp.Transpose(x_i))
    return sp.Eq(sp.Derivative(L_i, W), rhs, evaluate=False)


def partials_relation(d, sample: int = 0) -> Chain:
    """∂L_0/∂W = the matrix of ∂L_0/∂w_uv (in W's shape, the notation) = the proven per-element derivative."""
    p = d.concrete()
    L0 = sp.Symbol(f"L_{sample}")
    partials = sp.ImmutableMatrix(p.W.applyfunc(lambda w: sp.Derivative(L0, w)))
    return Chain(sp.Derivative(L0, matrix_form(d.loss, d.conventions).W), partials, shown_partials(d, sample))


#: the widest row (characters of LaTeX) the matrix of partials shows written out; a wider matrix is shown
#: with entries x_0u times ∂L_0/∂s_0v (their values are in the concrete section), so that it fits a page
WIDEST_ROW = 200
#: the widest entry (characters of LaTeX) a column of the margin route shows carried out (Crammer–Singer's is not)
WIDEST_ENTRY = 160


def shown_partials(d, sample: int = 0, proven: sp.Matrix | None = None) -> sp.ImmutableMatrix:
    """The values of the matrix of partials as shown: ``proven`` (default: the per-element closed form)
    with the named quantities of :func:`names`; where a row would still be wide, each entry written
    x_0u·∂L_0/∂s_0v instead — after checking, entry by entry, that ``proven`` is that product."""
    p = d.concrete()
    proven = partials_matrix(p, sample) if proven is None else proven
    values = named(proven, d, sample)
    width = max(sum(len(latex(e, layout=d.conventions.layout)) for e in values.row(r)) for r in range(values.rows))
    if width <= WIDEST_ROW:
        return values
    closed = closed_score_gradient(p)
    L0 = sp.Symbol(f"L_{sample}")
    xu = lambda u: p.feature(sample, u)  # noqa: E731

    def entry(u: int, v: int) -> sp.Expr:
        if sp.expand(proven[u, v] if d.conventions.layout == "XW" else proven[v, u]) != sp.expand(
            xu(u) * closed[sample, v]
        ):
            return proven[u, v] if d.conventions.layout == "XW" else proven[v, u]  # shown as it is: no match
        partial = sp.Derivative(L0, p.S[sample, v])
        return partial if xu(u) == 1 else sp.Mul(xu(u), partial, evaluate=False)  # the bias feature is 1

    if d.conventions.layout == "XW":
        return sp.ImmutableMatrix(p.features, p.C, entry)
    return sp.ImmutableMatrix(p.C, p.features, lambda v, u: entry(u, v))


def names(d, sample: int = 0) -> dict[sp.Expr, sp.Symbol]:
    """Short names for the per-class quantities of one sample, from the loss's capabilities: the margins
    m_{i,j} (the hinge family) or the softmax probabilities p_{i,j} (the softmax family); {} otherwise."""
    p = d.concrete()
    label = p.y[sample]
    scores = [p.S[sample, k] for k in range(p.C)]
    if p.loss.margin_route is not None:
        margin = p.loss.margin_route.margin
        return {margin(scores, label, k, p.delta): margin_symbol(sample, k) for k in range(p.C) if k != label}
    if p.loss.shift_invariance is not None:
        ratio = p.loss.shift_invariance.ratio
        ix = ConcreteIndexing(p.C, label)
        return {ratio(scores, k, ix): sp.Symbol(f"p_{{{sample},{k}}}", positive=True) for k in range(p.C)}
    return {}


def named(M: sp.Matrix, d, sample: int = 0) -> sp.ImmutableMatrix:
    """``M`` with the quantities of :func:`names` written by their names."""
    table = names(d, sample)
    return sp.ImmutableMatrix(M.applyfunc(lambda e: e.xreplace(table).subs(table)) if table else M)


def margin_chain(d, sample: int = 0) -> Chain | None:
    """(∂L_0/∂s_0j)_j = (∂L_0/∂m)(∂m/∂s) = their product, as rows; where the rows would be wider than
    :data:`WIDEST_ROW`, transposed (columns: (∂m/∂s)ᵀ(∂L_0/∂m)ᵀ), and without the product carried out where
    an entry of it is wider than :data:`WIDEST_ENTRY`. None without the capability."""
    p = d.concrete()
    f = margin_forms(p, sample)
    if f is None:
        return None
    L0 = sp.Symbol(f"L_{sample}")
    lhs = sp.ImmutableMatrix([[sp.Derivative(L0, p.S[sample, j]) for j in range(p.C)]])
    dL_dm, dm_ds, dL_ds = (sp.ImmutableMatrix(M) for M in (f.dL_dm, f.dm_ds, f.dL_ds))
    widths = [len(latex(e, layout=d.conventions.layout)) for e in dL_ds]
    if sum(widths) <= WIDEST_ROW:
        return Chain(lhs, sp.MatMul(dL_dm, dm_ds, evaluate=False), dL_ds)
    if max(widths) > WIDEST_ENTRY:  # the product carried out would not fit even as a column: shown as a product
        return Chain(lhs.T, sp.MatMul(dm_ds.T, dL_dm.T, evaluate=False))
    return Chain(lhs.T, sp.MatMul(dm_ds.T, dL_dm.T, evaluate=False), dL_ds.T)


def derivation_relations(cid: str, claim, d) -> list[tuple[sp.Basic, sp.Basic]] | None:
    """The relations (lhs, rhs) a claim of :mod:`symderiv.prove.derivations` proved, as these sections name
    them (None for any other claim): each right side is the claim's own proven expression — the direct
    derivative of L_0 for the per-sample claims, so a displayed matrix is compared with SymPy's derivative."""
    if cid == "per-sample.partials":  # ∂L_0/∂W is, by notation, the matrix of its partials; its value is proven
        lhs, partials, _ = partials_relation(d).args
        return [(lhs, partials), (lhs, shown_partials(d, 0, claim.lhs))]
    if cid == "per-sample.outer-product":
        return [(outer_product_relation(d).lhs, claim.rhs)]
    if cid == "route.margin":
        chain = margin_chain(d)
        if chain is None:
            return None
        return [(chain.args[0], claim.lhs if chain.args[0].rows == 1 else claim.lhs.T)]
    f = shift_forms(d.loss, d.conventions)
    if f is None or not cid.startswith("shift."):
        return None
    return {
        "shift.invariance": [(L_i, claim.rhs), (L_i, claim.lhs)],
        "shift.placement": [(claim.lhs, f.factored), (claim.lhs, claim.rhs)],
        "shift.near-miss": [(claim.lhs, claim.rhs)],
    }.get(cid)


def derivation_at_size(expr: sp.MatrixExpr, d) -> sp.Basic:
    """A displayed matrix expression of these sections at the concrete derivation's values: x_i and g_i as
    sample 0's features and ∂L_0/∂s_0 (the outer product); a product of explicit matrices carried out."""
    p = d.concrete()
    x_i, g_i, _ = per_sample_matrices(d)
    values = {
        x_i: sp.ImmutableMatrix(feature_vector(p, 0)),
        g_i: sp.ImmutableMatrix(d.score_gradient.row(0).T),
    }
    if expr.has(x_i) or expr.has(g_i) or all(isinstance(a, sp.MatrixBase) for a in expr.args):
        return sp.Matrix(expr.xreplace(values).doit())
    return expr


def _one_sample(g, sample: int = 0) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """w_uv, x_iu and s_iv of index notation, for a concrete sample, in the layout's index order."""
    at = {I: sample}
    return g.weight, g.feature.xreplace(at), S_BASE[sample, V]


def _sample_section(d, g, show, m: Messages) -> Section:
    p = d.concrete()
    x_i, g_i, W = per_sample_matrices(d)
    G = matrix_form(d.loss, d.conventions).G
    entries = sample_vector_definition(d)
    shapes = m("list.sep").join(f"${show.inline(InSpace(M))}$" for M in (x_i, g_i))
    _, x_0u, s_0v = _one_sample(g)
    entry = sp.Mul(x_0u, sp.Derivative(sp.Symbol("L_0"), s_0v), evaluate=False)
    chain = partials_relation(d)
    shown = names(d) if chain.args[2].free_symbols & set(names(d).values()) else {}
    defined = m("list.sep").join(
        f"${show.inline(sp.Eq(name, value, evaluate=False), notation=NOTES_INDICES)}$" for value, name in shown.items()
    )
    return Section(
        m("derivation.sample.title"),
        [
            m(
                "derivation.sample.partials",
                i=1,
                label=p.y[0] + 1,
                weight=show.inline(g.weight),
                entry=show.inline(entry, notation=NOTES_INDICES),
            ),
            show(chain, "per-sample.partials", "closed-form.per-element", notation=NOTES_INDICES),
            *([m("derivation.sample.names", names=defined)] if defined else []),
            m(
                "derivation.sample.outer",
                bias=m("derivation.sample.bias" if d.conventions.bias else "derivation.sample.nobias"),
                g=f"${show.inline(g_i)}$",
                G=show.inline(G),
            ),
            *([show(entries, definition="definition.sample-vector")] if entries is not None else []),
            show(outer_product_relation(d), "per-sample.outer-product", "artifact.matrix-form"),
            m("derivation.sample.shapes", shapes=shapes),
        ],
    )


def _chain_rule_at(g, sample: int = 0) -> sp.Eq:
    """∂L_0/∂w_uv = x_0u ∂L_0/∂s_0v (the chain rule of step 2, for sample 0)."""
    w_uv, x_0u, s_0v = _one_sample(g, sample)
    L0 = sp.Symbol(f"L_{sample}")
    return sp.Eq(sp.Derivative(L0, w_uv), sp.Mul(x_0u, sp.Derivative(L0, s_0v), evaluate=False), evaluate=False)


def _margin_section(d, g, show, m: Messages) -> Section:
    p = d.concrete()
    f = margin_forms(p, 0)
    assert f is not None
    margins = m("list.sep").join(
        f"${show.inline(sp.Eq(margin, definition, evaluate=False), notation=NOTES_INDICES)}$"
        for margin, definition in zip(f.margins, f.definitions, strict=True)
    )
    chain = margin_chain(d)
    assert chain is not None
    return Section(
        m("derivation.margin.title"),
        [
            m("derivation.margin.intro", i=1, label=p.y[0] + 1, margins=margins),
            show(chain, "route.margin", "derivative.routes-agree", notation=NOTES_INDICES),
            m("derivation.margin.after", chain=show.inline(_chain_rule_at(g), notation=NOTES_INDICES)),
        ],
    )


def _shift_section(d, show, near_miss, m: Messages) -> Section:
    f = shift_forms(d.loss, d.conventions)
    assert f is not None
    c = show.inline(c_i)
    s_ij = f.ratio.as_numer_denom()[0].args[0]
    law = sp.Eq(sp.exp(s_ij - c_i), sp.Mul(sp.exp(s_ij), sp.exp(-c_i), evaluate=False), evaluate=False)
    ce = near_miss.counterexample
    blocks: list[object] = [
        m("derivation.shift.intro", c=c),
        show(Chain(L_i, f.sample, f.shifted_sample), "shift.invariance"),
        m("derivation.shift.why", law=show.inline(law), factor=show.inline(sp.exp(-c_i))),
        show(Chain(f.shifted_ratio, f.factored, f.ratio), "shift.placement"),
        m("derivation.shift.miss"),
        show(sp.Eq(f.numerator_only, f.numerator_only_value, evaluate=False), "shift.near-miss"),
    ]
    if ce is not None:
        cap = d.loss.shift_invariance
        blocks.append(
            m(
                "derivation.shift.counter",
                c=c,
                ratio=cap.words_in(m.lang),
                scores=", ".join(map(str, ce["point"]["s_i"])),
                cls=ce["class"] + 1,  # counted from 1, as the notes count classes
                top=ce["point"]["c_i"],
                want=f"{ce['derived']:.4f}",
                got=f"{ce['claimed']:.4f}",
                partial=f"{ce['partial']:.4f}",
            )
        )
    return Section(m("derivation.shift.title"), blocks)
