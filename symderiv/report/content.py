"""What a report says, independent of its format: sections of prose (with inline ``$…$`` math),
displayed equations in the notes' notation, and the evidence for each equation.

Every displayed :class:`Equation` holds the expression it prints — the proven expressions of the
derivation (``Derivation``'s fields and the symbolic-size forms of ``symderiv.derive.generic``), never
typed LaTeX — and either displays a definition (the loss as declared, the input of the derivation)
or cites, by id (:data:`symderiv.report.claims.CITED`), the claims that prove it; :func:`build`
refuses an equation whose claims were not proven, so a report never shows an equation symderiv did
not prove. Printing is :func:`symderiv.render.notation.latex`, with the layout as its notation setting."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import sympy as sp

from ..algebra.functions import Step, excluded_sums
from ..algebra.index import C as C_SYM
from ..algebra.index import N as N_SYM
from ..algebra.index import i as I
from ..algebra.index import j as J
from ..algebra.index import k as K
from ..algebra.index import q as Q
from ..algebra.index import s as S_BASE
from ..algebra.index import v as V
from ..algebra.index import y as Y_BASE
from ..conventions import DELTA, LAMBDA
from ..derive.generic import L_i, L_total, R_total, abbreviate, loss_definition, regularizer
from ..derive.matrix_form import matrix_form
from ..derive.result import Claim
from ..render.notation import INDICATOR, Cases, Chain, InSpace, Rows, latex
from . import code, derivations, figures
from .claims import abbreviation_definition, identify
from .code import vectorized_function
from .document import (
    NOTES_INDICES,
    Equation,
    Evidence,
    Listing,
    Report,
    ReportError,
    Section,
    in_layout,
    plain,
    relations_of,
)
from .i18n import Messages, messages

#: the size at which the report's claims are proven (every label pattern)
PROOF_SIZE = {"D": 3, "C": 3, "N": 2}
FLOAT_POINTS = 5
FLOAT_TOLERANCE = 1e-9


# ---------------------------------------------------------------- claims checked by the report


def report_evidence(d) -> list[Evidence]:
    """Claims the report checks itself, at the derivation's size: the score derivative (SymPy
    differentiates every score in every weight), the regularizer's gradient, and floating point
    (the generated NumPy gradient against the loss's hand-written NumPy reference)."""
    p = d.concrete()
    ok = True
    for i in range(p.N):
        for j in range(p.C):
            for u in range(p.features):
                for v in range(p.C):
                    want = p.feature(i, u) if j == v else 0
                    ok &= sp.expand(sp.diff(p.S_def[i, j], p.weight(u, v)) - want) == 0
    sizes = f"D={p.D}, C={p.C}, N={p.N}{', bias feature included' if d.conventions.bias else ''}"
    scores = Claim(
        "∂s_ij/∂w_uv = x_iu 1[j = v] for every sample i, class j, feature u and class v"
        if d.conventions.layout == "XW"  # the statement in the layout's index order
        else "∂s_ij/∂w_vu = x_ui 1[j = v] for every sample i, class j, feature u and class v",
        bool(ok),
        "SymPy differentiation of each score "
        + ("s_ij = Σ_k x_ik w_kj" if d.conventions.layout == "XW" else "s_ij = Σ_k w_jk x_ki")
        + " in each weight",
        sizes,
        id="report.score-derivative",
    )
    coef = 2 * d.conventions.reg.coefficient
    reg_ok = all(
        sp.expand(sp.diff(p.regularizer, p.weight(u, v)) - coef * LAMBDA * p.weight(u, v)) == 0
        for u in range(p.features)
        for v in range(p.C)
    )
    reg = Claim(
        f"∂R/∂W = {_coef_text(coef)}W, entry by entry",
        bool(reg_ok),
        "SymPy differentiation of R(W) in each weight",
        sizes,
        id="report.regularizer",
    )
    out = [Evidence("report.score-derivative", scores, "report")]
    if coef != 0:
        out.append(Evidence("report.regularizer", reg, "report"))
    out.append(Evidence("report.float-reference", float_claim(d), "report"))
    vectorized = vectorized_claim(d)
    if vectorized is not None:
        out.append(Evidence("report.vectorized-float", vectorized, "report"))
    return out


def _coef_text(coef: sp.Expr) -> str:
    return {sp.Integer(2): "2λ", sp.Integer(1): "λ", sp.Integer(0): "0·"}.get(sp.sympify(coef), f"{coef}λ")


def float_claim(d, points: int = FLOAT_POINTS, seed: int = 0) -> Claim:
    """The gradient lambdified from the derivation against the loss's hand-written NumPy
    reference, in float64 at random points."""
    p = d.concrete()
    c = d.conventions
    rng = np.random.default_rng(seed)
    y = np.array(p.y)
    scale = float(p.scale)
    coef = 2 * float(c.reg.coefficient)
    worst = 0.0
    for _ in range(points):
        reg = float(rng.uniform(0.1, 1.0))
        delta = 1.0 if c.delta == DELTA else float(c.delta)
        W = rng.normal(size=tuple(p.W.shape))
        Xs = rng.normal(size=(p.N, p.D) if c.layout == "XW" else (p.D, p.N))
        Xr = Xs if c.layout == "XW" else Xs.T  # N×D, the reference's layout
        if c.bias:
            Xr = np.hstack([Xr, np.ones((p.N, 1))])
        Wr = W if c.layout == "XW" else W.T
        _, ref = d.loss.reference(Wr, Xr, y, delta, float(c.kink), **d.loss.numbers(c.hyper))
        want = scale * ref + coef * reg * Wr
        if c.layout == "WX":
            want = want.T
        got = d.numpy_gradient(W, Xs, reg=reg, delta=delta if c.delta == DELTA else None)
        worst = max(worst, float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))))
    return Claim(
        "the generated NumPy gradient equals the loss's hand-written NumPy reference",
        worst <= FLOAT_TOLERANCE,
        "floating point (float64) at random normal W, X and λ",
        f"{points} points, {_difference(worst)}",
        id="report.float-reference",
    )


def _random_inputs(d, rng):
    p = d.concrete()
    c = d.conventions
    reg = float(rng.uniform(0.1, 1.0))
    W = rng.normal(size=tuple(p.W.shape))
    X = rng.normal(size=(p.N, p.D) if c.layout == "XW" else (p.D, p.N))
    return W, X, reg


def _difference(worst: float) -> str:
    # a bound, not the value: the last bits differ between machines, and reports must not
    return "relative differences below 1e-12" if worst < 1e-12 else f"largest relative difference {worst:.1e}"


def vectorized_claim(d, points: int = FLOAT_POINTS, seed: int = 1) -> Claim | None:
    """The vectorized NumPy function of ``symderiv.vectorize`` against the gradient lambdified from
    the derivation, in float64 at random points; None when that generator is unavailable."""
    f = vectorized_function(d)
    if f is None:
        return None
    c = d.conventions
    rng = np.random.default_rng(seed)
    y = np.array(d.concrete().y)
    worst = 0.0
    for _ in range(points):
        W, X, reg = _random_inputs(d, rng)
        args = (W, X, y, reg) + ((1.0,) if c.delta == DELTA and d.loss.uses_delta else ())
        try:
            _, got = f(*args)
        except Exception as exc:  # the generator is another stage's: report, never crash
            return Claim(
                "the generated vectorized NumPy gradient equals the derived gradient",
                False,
                "floating point (float64)",
                f"it raised {type(exc).__name__}: {exc}",
                id="report.vectorized-float",
            )
        want = d.numpy_gradient(W, X, reg=reg, delta=1.0 if c.delta == DELTA else None)
        worst = max(worst, float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))))
    return Claim(
        "the generated vectorized NumPy gradient (listed below) equals the derived gradient",
        worst <= FLOAT_TOLERANCE,
        "floating point (float64) at random normal W, X and λ",
        f"{points} points, {_difference(worst)}",
        id="report.vectorized-float",
    )


# ---------------------------------------------------------------- the report


def build(d, *, implementation=None, generic=None, lang: str = "en") -> Report:
    """The report of derivation ``d`` (concrete size), optionally with a user's implementation
    (:class:`~symderiv.report.code.Implementation`). ``generic`` is the symbolic-size derivation of
    the same loss and conventions, whose proven forms the derivation section prints. ``lang`` is the
    language of its words (:data:`symderiv.report.i18n.LANGS`); its math is the same in every language."""
    loss, c = d.loss, d.conventions
    m = messages(lang)
    g = generic
    if g is None or getattr(g, "forms", None) is None:
        raise ReportError(f"loss {loss.name!r} has no symbolic-size derivation: a report prints its proven forms")
    if not g.proved:
        failed = next(cl for cl in g.claims if not cl.holds)
        raise ReportError(f"the symbolic-size derivation is not proven: {failed.line()}")
    evidence = [Evidence(cid, cl, "derive") for cid, cl in identify(d.claims, "derive")]
    evidence += report_evidence(d)
    evidence += [
        Evidence(cid, cl, "generic", _printed_statement(cid, cl, g)) for cid, cl in identify(g.claims, "generic")
    ]
    show = _Shower(c.layout)
    mf = matrix_form(loss, c)
    #: the proven code of the boxed matrix form (numpy_gradient/numpy_loss, the vectorized function, …)
    code_claims = tuple(e.key for e in evidence if e.key.startswith("artifact.") and e.key != "artifact.matrix-form")
    sections: list[Section] = []

    # 1. definition
    definition = Section(m("section.loss"))
    figure = figures.margin_figure(d, lang)
    definition.blocks += [
        _loss_intro(d, m),
        show(g.score_definition, definition="definition.scores"),
        show(sp.Eq(L_i, g.forms.sample, evaluate=False), definition="definition.per-sample-loss"),
        show(loss_definition(c), definition="definition.loss"),
    ]
    shown_cases = _shown(loss, g.forms.score_gradient)
    abbreviations = abbreviation_definition(loss, shown_cases)
    if abbreviations is not None:  # softmax's p_ij, as the loss defines it
        definition.blocks.append(show(abbreviations, definition="definition.abbreviation"))
    definition.blocks += [_symbols_paragraph(d, g, mf, m), figure]
    sections.append(definition)

    # 2. conventions
    sections.append(Section(m("section.conventions"), [_conventions_paragraph(d, g, mf, m)]))

    # 3. derivation
    der = Section(m("section.derivation"))
    w_uv, x_iu = g.weight, g.feature
    dLi_ds = sp.Derivative(L_i, S_BASE[I, J])
    dR = sp.Derivative(R_total, w_uv)
    has_reg = c.regularizer != "none"
    scale = 1 / N_SYM if c.reduction == "mean" else sp.Integer(1)
    through = sp.Sum(sp.Derivative(L_i, S_BASE[I, Q]) * sp.Derivative(S_BASE[I, Q], w_uv), (Q, 0, C_SYM - 1))
    chain = Chain(
        sp.Derivative(L_total, w_uv),
        scale * sp.Sum(through, (I, 0, N_SYM - 1)) + (dR if has_reg else 0),
        scale * sp.Sum(x_iu * sp.Derivative(L_i, S_BASE[I, V]), (I, 0, N_SYM - 1)) + (dR if has_reg else 0),
    )
    dLi_dw = sp.Derivative(L_i, w_uv)
    der.blocks += [
        m("step1") + _step1_words(d, m),
        show(
            sp.Eq(dLi_ds, Cases.split(shown_cases, J, Y_BASE[I]), evaluate=False),
            "symbolic.score-gradient",
            "closed-form.score-gradient",
        ),  # fmt: skip
        m("step2", w_uv=show.inline(w_uv)),
        show(
            sp.Eq(sp.Derivative(S_BASE[I, Q], w_uv), g.score_partial, evaluate=False),
            "symbolic.chain-rule",
            "report.score-derivative",
        ),  # fmt: skip
        m("step3") + (m("step3.reg") if has_reg else m("step3.noreg")),
        show(
            chain, "symbolic.full-gradient", "symbolic.chain-rule", "derivative.routes-agree", "report.score-derivative"
        ),
    ]
    if has_reg:
        reg_claims = ("symbolic.regularizer", "report.regularizer")
        der.blocks.append(show(sp.Eq(dR, g.reg_gradient, evaluate=False), *reg_claims))
    der.blocks += [
        m("step4", w_uv=show.inline(w_uv)),
        show(sp.Eq(dLi_dw, Cases(g.cases["other"], g.cases["label"], V, Y_BASE[I]), evaluate=False),
             "symbolic.cases", "closed-form.per-element"),  # fmt: skip
        m("step5", G=show.inline(mf.G)),
        show(mf.gradient, "artifact.matrix-form", "closed-form.matrix-weights", "symbolic.matrix-form",
             "evidence.random-points", "report.float-reference",
             *(("report.vectorized-float",) if any(e.key == "report.vectorized-float" for e in evidence) else ()),
             *code_claims, boxed=True),
        show(sp.Eq(mf.G[I, J], dLi_ds, evaluate=False), definition="definition.weights"),
        _matrix_words(d, mf, show, m),
    ]  # fmt: skip
    sections.append(der)

    # 4. the symbolic-size derivation step by step; 5. a concrete instance
    index_section = _index_section(g, evidence, show, m)
    if index_section is not None:
        sections.append(index_section)
    sections.append(_concrete_section(d, show, m))
    extra, extra_evidence = derivations.sections(d, g, show, m)  # the notes' other derivations, each proven
    sections, evidence = sections + extra, evidence + extra_evidence
    evidence_after = len(sections)

    # 6. code; 7. implementation
    generated = code.generated_numpy(d)
    if generated is not None:
        sections.append(
            Section(
                m("section.code"),
                [
                    m("code.intro"),
                    Listing(generated),
                ],
            )
        )
    if implementation is not None:
        sections.append(code.implementation_section(d, implementation, lang))

    cited = {key for s in sections for b in s.blocks if isinstance(b, Equation) for key in b.claims}
    report = Report(
        name=loss.name,
        title=loss.words(lang).title,
        subtitle=_subtitle(d, show, m),
        sections=sections,
        evidence=[e for e in evidence if e.key in cited or e.source == "derive"],
        figure=figure,
        proof_intro=_proof_intro(d, m),
        evidence_after=evidence_after,
        lang=lang,
    )
    _number_and_check(report)
    return report


class _Shower:
    """Makes :class:`Equation` objects (and inline math) with the layout's notation setting."""

    def __init__(self, layout: str) -> None:
        self.layout = layout

    def __call__(
        self, expr: sp.Basic, *claims: str, definition: str = "", boxed: bool = False, notation: dict | None = None
    ) -> Equation:
        extra = tuple(sorted((notation or {}).items()))
        return Equation(expr, tuple(claims), definition, boxed, 0, self.layout, extra)

    def inline(self, expr: sp.Basic, notation: dict | None = None) -> str:
        return latex(expr, layout=self.layout, **(notation or {}))


def _shown(loss, expr: sp.Expr) -> sp.Expr:
    """A closed form as the notes show it: Σ_{k≠y_i} for the excluded sums, and the loss's named
    quantities (:attr:`~symderiv.losses.Loss.abbreviations`, such as softmax's p_ij)."""
    return abbreviate(loss, excluded_sums(expr))


#: steps of the symbolic-size derivation, by the start of their title: the claims that prove them
#: (the first is the one whose relation the step shows); steps not listed are definitions, shown above
INDEX_STEPS = (
    ("∂L_i/∂s_ij", ("symbolic.score-gradient",)),
    ("the scores in the weights", ("symbolic.chain-rule",)),
    ("chain rule", ("symbolic.chain-rule",)),
    ("cases v", ("symbolic.cases", "symbolic.chain-rule")),
    ("regularizer", ("symbolic.regularizer",)),
    ("full gradient", ("symbolic.full-gradient", "symbolic.chain-rule", "symbolic.regularizer")),
    ("bias", ("symbolic.bias",)),
    ("matrix form", ("symbolic.matrix-form",)),
)


#: the steps of the symbolic-size derivation by title: their message ids (``index.<id>.title``, ``….why``)
STEP_MESSAGES = {
    "∂L_i/∂s_ij, as SymPy differentiates it": "raw",
    "∂L_i/∂s_ij after delta summation": "delta",
    "∂L_i/∂s_ij in closed form (proven equal)": "closed",
    "the scores in the weights": "scores",
    "chain rule": "chain",
    "cases v ≠ y_i and v = y_i": "cases",
    "regularizer": "reg",
    "full gradient": "full",
    "bias (feature u = D)": "bias",
    "matrix form": "matrix",
}


def _index_section(g, evidence: list[Evidence], show: _Shower, m: Messages | None = None) -> Section | None:
    """The steps of the symbolic-size derivation, each printed from its expression, with the claims
    proving it."""
    m = m or messages()
    blocks: list[object] = [m("index.intro", delta=show.inline(sp.KroneckerDelta(J, K)))]
    proven = {e.key for e in evidence if e.claim.holds}
    simpler = _simplified_steps(g)
    shown = 0
    for step in g.steps:
        ids = next((ids for start, ids in INDEX_STEPS if step.title.startswith(start)), None)
        if step.expr is None or ids is None:
            continue
        expr, more = simpler.get(step.title, (step.expr, ()))
        keys = tuple(k for k in (*ids, *more) if k in proven)
        if not keys:
            continue  # a step nothing covers is not shown
        lhs, _, rhs = step.why.partition(" = ")
        layout = g.conventions.layout
        why = f" {_capitalised(in_layout(step.why, layout))}." if step.why and lhs != rhs else ""
        title, why = _capitalised(_plain_why(step.title).strip()), _plain_why(why)
        key = STEP_MESSAGES.get(step.title)
        if key is not None:  # the step's words in the report's language (English: its own)
            over = m("subtitle.mean" if g.conventions.reduction == "mean" else "subtitle.sum")
            math = {"dLi_ds": plain("∂L_i/∂s_ij"), "over": over}
            math["why_math"] = plain(in_layout(step.why, layout)) if step.why else ""
            math |= {f"w{n}": piece for n, piece in enumerate(re.findall(r"\$[^$]+\$", math["why_math"]))}
            title = m(f"index.{key}.title", title=title, **math)
            why = m(f"index.{key}.why", why=why, **math)
        blocks.append(m("index.step", title=title, why=why).rstrip())
        blocks.append(show(expr, *dict.fromkeys(keys)))
        shown += 1
    return Section(m("section.index"), blocks) if shown else None


def _printed_statement(cid: str, claim: Claim, g) -> str:
    """The statement of a symbolic-size claim whose words hold a formula printed as terminal text
    (∂R/∂w[u,v] = 2*λ*w[u,v]), with that formula printed as LaTeX from the claim's expressions instead."""
    show = _Shower(g.conventions.layout)
    if cid == "symbolic.regularizer" and claim.rhs is not None:
        return f"$\\partial R/\\partial {show.inline(g.weight)} = {show.inline(claim.rhs)}$"
    if cid == "symbolic.matrix-form":
        entry = f"$\\partial L/\\partial {show.inline(g.weight)}$"
        where = ", ".join(show.inline(n) for n in g.weight.indices)  # (u, v), or (v, u) under WX
        matrix = f"$\\partial L/\\partial W = {show.inline(g.matrix.rhs)}$"
        return f"{matrix}: the $({where})$ entry of that matrix expression equals {entry}"
    return ""


def _capitalised(title: str) -> str:
    """A step's title or sentence with a capital first letter ("Chain rule"); math (x_iD, ∂L_i/∂s_ij,
    G = M) left alone."""
    first = title.split(" ", 1)[0]
    return title[:1].upper() + title[1:] if first.isalpha() and title[1:2] != " " else title


def _simplified_steps(g) -> dict[str, tuple[sp.Basic, tuple[str, ...]]]:
    """For a loss with named quantities (softmax's p_ij), the steps in the notes' short form: after the
    delta summation ∂L_i/∂s_ij = e^{s_ij}/Σ_k e^{s_ik} − 1[j = y_i] = p_ij − 1[j = y_i], and the chain
    rule and the full gradient with that form (x_iu (p_iv − 1[v = y_i])); by step title, with the extra
    claim that proves the form equal to the closed form (symbolic.score-gradient). Empty otherwise."""
    derived = g.derived_score_gradient
    short = abbreviate(g.loss, excluded_sums(derived))
    if short == excluded_sums(derived):
        return {}
    dLi_ds = sp.Derivative(L_i, S_BASE[g.forms.i, J])
    element = g.feature * short.xreplace({J: V})
    full = g.full.xreplace({g.element: element})
    if full == g.full:  # the full gradient is not built from the element as expected: keep the steps
        return {}
    more = ("symbolic.score-gradient",)
    return {
        step.title: (expr, more)
        for step in g.steps
        for start, expr in (
            ("∂L_i/∂s_ij after delta summation", Chain(dLi_ds, derived, short)),
            ("chain rule", sp.Eq(sp.Derivative(L_i, g.weight), element, evaluate=False)),
            ("full gradient", sp.Eq(sp.Derivative(L_total, g.weight), full, evaluate=False)),
        )
        if step.title.startswith(start)
    }


def _subtitle(d, show: _Shower, m: Messages | None = None) -> str:
    m = m or messages()
    c = d.conventions
    R = regularizer(c)
    parts = [
        m("subtitle.layout", layout=c.layout),
        m("subtitle.bias") if c.bias else m("subtitle.nobias"),
        m("subtitle.reg", R=show.inline(R)) if c.regularizer != "none" else m("subtitle.noreg"),
        m("subtitle.mean") if c.reduction == "mean" else m("subtitle.sum"),
    ]
    if d.loss.uses_delta:
        parts.append(
            m("subtitle.delta.symbolic") if c.delta == DELTA else m("subtitle.delta", delta=show.inline(c.delta))
        )
    if d.loss.kinky:
        parts.append(f"${INDICATOR}[0] = {show.inline(c.kink)}$")
    fixed = dict(c.hyper)
    for h in d.loss.hyperparameters:
        symbol = show.inline(h.symbol)
        parts.append(
            f"${symbol} = {show.inline(fixed[h.name])}$" if h.name in fixed else m("subtitle.symbolic", symbol=symbol)
        )
    return m("list.sep").join(parts)


def _symbols_paragraph(d, g, mf, m: Messages | None = None) -> str:
    m = m or messages()
    c = d.conventions
    reg = m("symbols.reg") if c.regularizer != "none" else m("symbols.noreg")
    avg = m("symbols.mean") if c.reduction == "mean" else m("symbols.sum")
    margin = m("symbols.margin") if d.loss.uses_delta else ""
    return m("symbols", vectors=m(f"vectors.{c.layout}"), margin=margin, avg=avg, reg=reg)


def _conventions_paragraph(d, g, mf, m: Messages | None = None) -> str:
    m = m or messages()
    c = d.conventions
    show = _Shower(c.layout)
    shapes = ",\\quad ".join(show.inline(InSpace(M)) for M in (mf.X, mf.W))
    vectors = m(f"vectors.{c.layout}")
    out = [m("conv.layout", layout=c.layout, shapes=shapes, scores=show.inline(mf.scores), vectors=vectors)]
    if c.bias:
        out.append(m("conv.bias", where=m(f"conv.bias.{c.layout}")))
    else:
        out.append(m("conv.nobias", scores=show.inline(mf.scores)))
    out.append(m("conv.reg", R=show.inline(regularizer(c))) if c.regularizer != "none" else m("conv.noreg"))
    out.append(m("conv.mean") if c.reduction == "mean" else m("conv.sum"))
    if d.loss.uses_delta:
        out.append(m("conv.delta.symbolic") if c.delta == DELTA else m("conv.delta", delta=show.inline(c.delta)))
    fixed = dict(c.hyper)
    for h in d.loss.hyperparameters:  # the loss's own, with its own words
        symbol = show.inline(h.symbol)
        value = (
            m("conv.hyper.value", symbol=symbol, value=show.inline(fixed[h.name]))
            if h.name in fixed
            else m("conv.hyper.symbolic", symbol=symbol, default=f"{h.default:g}")
        )
        out.append(m("conv.hyper", symbol=symbol, words=h.words_in(m.lang), value=value))
    k = show.inline(c.kink)
    if d.loss.kinky and not g.forms.score_gradient.has(Step):
        out.append(m("conv.smooth", ind=INDICATOR, k=k))
    elif d.loss.kinky:
        words = {
            sp.Integer(0): m("conv.kink.0", ind=INDICATOR),
            sp.Integer(1): m("conv.kink.1"),
            sp.Rational(1, 2): m("conv.kink.half"),
        }.get(c.kink, "")
        out.append(m("conv.kink", ind=INDICATOR, k=k, words=m("conv.kink.with", words=words) if words else ""))
    else:
        out.append(m("conv.nokinks"))
    return "\n\n".join(out)


def _step1_words(d, m: Messages | None = None) -> str:
    """How ∂L_i/∂s_ij comes about, in the loss's own words (:attr:`~symderiv.losses.Loss.gradient_words`,
    plain text in the notes' notation); the cases themselves are printed from the proof."""
    m = m or messages()
    words = d.loss.words(m.lang).gradient_words
    return plain(words) if words else m("step1.default")


def _matrix_words(d, mf, show: _Shower, m: Messages | None = None) -> str:
    m = m or messages()
    return m("matrix.words", W_space=show.inline(InSpace(mf.W)), G=show.inline(mf.G))


def _concrete_section(d, show: _Shower, m: Messages | None = None) -> Section:
    p = d.concrete()
    i = 0
    yi = p.y[i]
    L0 = sp.Symbol(f"L_{i}")
    rows = Rows(*(sp.Eq(sp.Derivative(L0, p.S[i, j]), d.score_gradient[i, j], evaluate=False) for j in range(p.C)))
    m = m or messages()
    first = show.inline(L0, notation=NOTES_INDICES)
    return Section(
        m("section.concrete"),
        [
            m(
                "concrete.intro",
                D=p.D,
                C=p.C,
                N=p.N,
                labels=", ".join(str(label + 1) for label in p.y),  # counted from 1, as in the notes
                i=i + 1,
                yi=yi + 1,
                first=first,
            ),
            show(rows, "derivative.routes-agree", "closed-form.score-gradient", notation=NOTES_INDICES),
            m("concrete.after"),
        ],
    )


def _plain_why(text: str) -> str:
    return " " + plain(text.strip()) if text.strip() else ""


def _number_and_check(report: Report) -> None:
    n = 0
    for s in report.sections:
        for k, b in enumerate(s.blocks):
            if isinstance(b, Equation) and not b.definition:  # one number per displayed relation
                s.blocks[k] = dataclasses.replace(b, number=n + 1)
                n += len(relations_of(b.expr))
    keys = {e.key: e for e in report.evidence}
    for eq in report.equations:
        if not eq.definition and not eq.claims:
            raise ReportError(f"equation ({eq.number}) is neither a definition nor covered by a claim")
        for key in eq.claims:
            if key not in keys:
                raise ReportError(f"equation ({eq.number}) cites claim {key!r}, which the derivation lacks")
            if not keys[key].claim.holds:
                raise ReportError(f"equation ({eq.number}) rests on a claim that failed: {keys[key].claim.line()}")


def _loss_intro(d, m: Messages | None = None) -> str:
    """What the loss means, in its own words (:attr:`~symderiv.losses.Loss.intro`, else its description)."""
    return plain(d.loss.words(m.lang if m else "en").intro)


#: a score written out in the weights, in the layout's index order
SCORE_SUM = {"XW": r"\sum_k x_{ik} w_{kj}", "WX": r"\sum_k w_{jk} x_{ki}"}


def _atoms(d, m: Messages) -> str:
    """The atoms of the normal forms that this loss's gradient has: 1[·], max(0, ·), e^(·)."""
    G = d.score_gradient
    found = [
        f"${tex}$"
        for tex, present in (
            (INDICATOR + r"[\cdot]", G.has(Step)),
            (r"\max(0,\cdot)", any(type(a).__name__ in ("Pos", "MaxOther") for a in sp.preorder_traversal(G))),
            (r"e^{(\cdot)}", G.has(sp.exp)),
        )
        if present
    ]
    listed = m("list.and", head=m("list.sep").join(found[:-1]), last=found[-1]) if len(found) > 1 else found[0]
    return m("proof.atom" if len(found) == 1 else "proof.atoms", atoms=listed)


def _proof_intro(d, m: Messages | None = None) -> str:
    m = m or messages()
    p = d.concrete()
    c = d.conventions
    symbols = m("proof.symbols.delta") if d.loss.uses_delta and c.delta == DELTA else m("proof.symbols")
    labels = ", ".join(str(k + 1) for k in range(p.C))  # classes counted from 1, as in the notes
    patterns = (
        m("proof.patterns.all", C=p.C, N=p.N, count=d.label_patterns, labels=labels)
        if d.label_patterns == p.C**p.N
        else m("proof.patterns.one", labels=", ".join(str(label + 1) for label in p.y))
    )
    return m(
        "proof.intro",
        D=p.D,
        C=p.C,
        N=p.N,
        symbols=symbols,
        patterns=patterns,
        atoms=_atoms(d, m),
        score_sum=SCORE_SUM[c.layout],
    )
