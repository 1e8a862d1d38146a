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
from . import code, figures
from .claims import abbreviation_definition, identify
from .code import vectorized_function
from .document import Equation, Evidence, Listing, Report, ReportError, Section, plain

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


def build(d, *, implementation=None, generic=None) -> Report:
    """The report of derivation ``d`` (concrete size), optionally with a user's implementation
    (:class:`~symderiv.report.code.Implementation`). ``generic`` is the symbolic-size derivation of
    the same loss and conventions, whose proven forms the derivation section prints."""
    loss, c = d.loss, d.conventions
    g = generic
    if g is None or getattr(g, "forms", None) is None:
        raise ReportError(f"loss {loss.name!r} has no symbolic-size derivation: a report prints its proven forms")
    if not g.proved:
        failed = next(cl for cl in g.claims if not cl.holds)
        raise ReportError(f"the symbolic-size derivation is not proven: {failed.line()}")
    evidence = [Evidence(cid, cl, "derive") for cid, cl in identify(d.claims, "derive")]
    evidence += report_evidence(d)
    evidence += [Evidence(cid, cl, "generic") for cid, cl in identify(g.claims, "generic")]
    show = _Shower(c.layout)
    mf = matrix_form(loss, c)
    #: the proven code of the boxed matrix form (numpy_gradient/numpy_loss, the vectorized function, …)
    code_claims = tuple(e.key for e in evidence if e.key.startswith("artifact.") and e.key != "artifact.matrix-form")
    sections: list[Section] = []

    # 1. definition
    definition = Section("The loss")
    figure = figures.margin_figure(d)
    definition.blocks += [
        _loss_intro(d),
        show(g.score_definition, definition="definition.scores"),
        show(sp.Eq(L_i, g.forms.sample, evaluate=False), definition="definition.per-sample-loss"),
        show(loss_definition(c), definition="definition.loss"),
    ]
    shown_cases = _shown(loss, g.forms.score_gradient)
    abbreviations = abbreviation_definition(loss, shown_cases)
    if abbreviations is not None:  # softmax's p_ij, as the loss defines it
        definition.blocks.append(show(abbreviations, definition="definition.abbreviation"))
    definition.blocks += [_symbols_paragraph(d, g, mf), figure]
    sections.append(definition)

    # 2. conventions
    sections.append(Section("Conventions", [_conventions_paragraph(d, g, mf)]))

    # 3. derivation
    der = Section("Derivation")
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
        "**Step 1: the per-sample loss in its scores.** Fix a sample $i$. " + _step1_words(d),
        show(
            sp.Eq(dLi_ds, Cases.split(shown_cases, J, Y_BASE[I]), evaluate=False),
            "symbolic.score-gradient",
            "closed-form.score-gradient",
        ),  # fmt: skip
        "**Step 2: the scores in the weights.** Each score is linear in the weights, and only the "
        f"scores of class $v$ contain ${show.inline(w_uv)}$:",
        show(
            sp.Eq(sp.Derivative(S_BASE[I, Q], w_uv), g.score_partial, evaluate=False),
            "symbolic.chain-rule",
            "report.score-derivative",
        ),  # fmt: skip
        "**Step 3: the chain rule.** Summing over the samples and their scores, only $q = v$ survives"
        + (", and the regularizer contributes its own derivative:" if has_reg else ":"),
        show(
            chain, "symbolic.full-gradient", "symbolic.chain-rule", "derivative.routes-agree", "report.score-derivative"
        ),
    ]
    if has_reg:
        reg_claims = ("symbolic.regularizer", "report.regularizer")
        der.blocks.append(show(sp.Eq(dR, g.reg_gradient, evaluate=False), *reg_claims))
    der.blocks += [
        "**Step 4: the cases $v \\ne y_i$ and $v = y_i$.** One sample's contribution to "
        f"${show.inline(w_uv)}$:",
        show(sp.Eq(dLi_dw, Cases(g.cases["other"], g.cases["label"], V, Y_BASE[I]), evaluate=False),
             "symbolic.cases", "closed-form.per-element"),  # fmt: skip
        f"**Step 5: the matrix form.** Collect $\\partial L_i/\\partial s_{{ij}}$ in the $N \\times C$ matrix "
        f"${show.inline(mf.G)}$ (row $i$, column $j$); the chain rule for all entries at once is one product:",
        show(mf.gradient, "artifact.matrix-form", "closed-form.matrix-weights", "symbolic.matrix-form",
             "evidence.random-points", "report.float-reference",
             *(("report.vectorized-float",) if any(e.key == "report.vectorized-float" for e in evidence) else ()),
             *code_claims, boxed=True),
        show(sp.Eq(mf.G[I, J], dLi_ds, evaluate=False), definition="definition.weights"),
        _matrix_words(d, mf, show),
    ]  # fmt: skip
    sections.append(der)

    # 4. the symbolic-size derivation step by step; 5. a concrete instance
    index_section = _index_section(g, evidence, show)
    if index_section is not None:
        sections.append(index_section)
    sections.append(_concrete_section(d, show))
    evidence_after = len(sections)

    # 6. code; 7. implementation
    generated = code.generated_numpy(d)
    if generated is not None:
        sections.append(
            Section(
                "Generated NumPy code",
                [
                    "The vectorized loss and gradient `symderiv.vectorize` generated from the same closed "
                    "form at symbolic size; it was run against the derived gradient (see the evidence above):",
                    Listing(generated),
                ],
            )
        )
    if implementation is not None:
        sections.append(code.implementation_section(d, implementation))

    cited = {key for s in sections for b in s.blocks if isinstance(b, Equation) for key in b.claims}
    report = Report(
        name=loss.name,
        title=loss.title,
        subtitle=_subtitle(d, show),
        sections=sections,
        evidence=[e for e in evidence if e.key in cited or e.source == "derive"],
        figure=figure,
        proof_intro=_proof_intro(d),
        evidence_after=evidence_after,
    )
    _number_and_check(report)
    return report


class _Shower:
    """Makes :class:`Equation` objects (and inline math) with the layout's notation setting."""

    def __init__(self, layout: str) -> None:
        self.layout = layout

    def __call__(self, expr: sp.Basic, *claims: str, definition: str = "", boxed: bool = False) -> Equation:
        return Equation(expr, tuple(claims), definition, boxed, 0, self.layout)

    def inline(self, expr: sp.Basic) -> str:
        return latex(expr, layout=self.layout)


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


def _index_section(g, evidence: list[Evidence], show: _Shower) -> Section | None:
    """The steps of the symbolic-size derivation, each printed from its expression, with the claims
    proving it."""
    blocks: list[object] = [
        "symderiv also derives the gradient at symbolic size, with $N$, $C$, $D$ and the labels left as "
        f"symbols, in index notation (a Kronecker delta is written ${show.inline(sp.KroneckerDelta(J, K))}$). "
        "Its steps, each covered by a claim proven at that size (marked ‡ in the evidence below):"
    ]
    proven = {e.key for e in evidence if e.claim.holds}
    shown = 0
    for step in g.steps:
        ids = next((ids for start, ids in INDEX_STEPS if step.title.startswith(start)), None)
        if step.expr is None or ids is None:
            continue
        keys = tuple(k for k in ids if k in proven)
        if not keys:
            continue  # a step nothing covers is not shown
        why = f" {step.why[0].upper()}{step.why[1:]}." if step.why else ""
        blocks.append(f"**{_plain_why(step.title).strip()}.**" + _plain_why(why))
        blocks.append(show(step.expr, *keys))
        shown += 1
    return Section("The same derivation in index notation", blocks) if shown else None


def _subtitle(d, show: _Shower) -> str:
    c = d.conventions
    R = regularizer(c)
    parts = [
        f"layout ${c.layout}$",
        "bias trick" if c.bias else "no bias",
        f"$R = {show.inline(R)}$" if c.regularizer != "none" else "no regularizer",
        "mean over samples" if c.reduction == "mean" else "sum over samples",
    ]
    if d.loss.uses_delta:
        parts.append(r"$\Delta$ symbolic" if c.delta == DELTA else f"$\\Delta = {show.inline(c.delta)}$")
    if d.loss.kinky:
        parts.append(f"${INDICATOR}[0] = {show.inline(c.kink)}$")
    fixed = dict(c.hyper)
    for h in d.loss.hyperparameters:
        symbol = show.inline(h.symbol)
        parts.append(f"${symbol} = {show.inline(fixed[h.name])}$" if h.name in fixed else f"${symbol}$ symbolic")
    return ", ".join(parts)


def _symbols_paragraph(d, g, mf) -> str:
    c = d.conventions
    reg = "$R(W)$ penalises large weights" if c.regularizer != "none" else "there is no regularizer, $R(W) = 0$"
    avg = (
        "the data loss is the mean over the $N$ samples"
        if c.reduction == "mean"
        else ("the data loss is the sum over the $N$ samples")
    )
    out = (
        "Here $i$ indexes the $N$ samples, $j$, $k$ and $q$ the $C$ classes, $l$ and $u$ the features; "
        f"{VECTOR_WORDS[c.layout]}; $y_i$ is the label of sample $i$"
    )
    if d.loss.uses_delta:
        out += ", $\\Delta > 0$ is the margin"
    return out + f"; {avg}, and {reg}."


#: the layout's rows and columns in words
VECTOR_WORDS = {
    "XW": "$x_i$ is row $i$ of $X$, $w_j$ is column $j$ of $W$",
    "WX": "$x_i$ is column $i$ of $X$, $w_j$ is row $j$ of $W$",
}


def _conventions_paragraph(d, g, mf) -> str:
    c = d.conventions
    show = _Shower(c.layout)
    shapes = ",\\quad ".join(show.inline(InSpace(M)) for M in (mf.X, mf.W))
    out = [f"**Layout {c.layout}:** ${shapes},\\quad {show.inline(mf.scores)}$; {VECTOR_WORDS[c.layout]}."]
    if c.bias:
        where = "row" if c.layout == "XW" else "column"
        out.append(
            f"**Bias trick:** every $x_i$ gets a constant feature $1$ appended, so there are $D+1$ "
            f"features (the shapes above count it) and the last {where} of $W$ holds the biases; nothing else "
            "changes, and the bias gradient is the case $u = D$ of the formulas below."
        )
    else:
        out.append(f"**No bias trick:** the scores are ${show.inline(mf.scores)}$ alone.")
    out.append(
        f"**Regularizer:** $R(W) = {show.inline(regularizer(c))}$; its derivative is step 3's."
        if c.regularizer != "none"
        else "**Regularizer:** none, $R(W) = 0$."
    )
    out.append(
        "**Averaging:** the mean, $\\frac{1}{N}\\sum_i L_i$: every gradient term carries $\\frac1N$."
        if c.reduction == "mean"
        else "**Averaging:** the sum, $\\sum_i L_i$: no $\\frac1N$."
    )
    if d.loss.uses_delta:
        out.append(
            "**Margin:** $\\Delta$ is kept as a symbol; any $\\Delta > 0$ gives the same formulas."
            if c.delta == DELTA
            else f"**Margin:** $\\Delta = {show.inline(c.delta)}$."
        )
    fixed = dict(c.hyper)
    for h in d.loss.hyperparameters:  # the loss's own, with its own words
        symbol = show.inline(h.symbol)
        value = (
            f"${symbol} = {show.inline(fixed[h.name])}$"
            if h.name in fixed
            else f"${symbol}$ is kept as a symbol (NumPy code uses ${symbol} = {h.default:g}$ unless told otherwise)"
        )
        out.append(f"**Hyperparameter ${symbol}$** ({h.words}): {value}.")
    k = show.inline(c.kink)
    if d.loss.kinky and not g.forms.score_gradient.has(Step):
        out.append(
            "**At a kink:** the loss is differentiable everywhere: no indicator appears in its gradient "
            f"(step 1), so the convention ${INDICATOR}[0] = {k}$ never enters it."
        )
    elif d.loss.kinky:
        words = {
            sp.Integer(0): "as in the notes' $" + INDICATOR + "[m > 0]$",
            sp.Integer(1): "as in an implementation that tests $m \\ge 0$",
            sp.Rational(1, 2): "as SymPy's $\\operatorname{Heaviside}(0)$",
        }.get(c.kink, "")
        out.append(
            f"**At a kink:** $\\max(0, m)$ has no derivative at $m = 0$. The report writes "
            f"${INDICATOR}[m > 0]$ for its derivative and takes ${INDICATOR}[0] = {k}$"
            + (f", {words}" if words else "")
            + ". This does not matter for a subgradient: at $m = 0$ the subdifferential of "
            "$\\max(0, m)$ is the whole interval $[0, 1]$, so every value of $"
            + INDICATOR
            + "[0]$ in $[0, 1]$ gives a valid subgradient, and random data hits a margin of exactly "
            "zero with probability zero."
        )
    else:
        out.append("**Kinks:** none; the loss is smooth, so no indicator convention is needed.")
    return "\n\n".join(out)


def _step1_words(d) -> str:
    """How ∂L_i/∂s_ij comes about, in the loss's own words (:attr:`~symderiv.losses.Loss.gradient_words`,
    plain text in the notes' notation); the cases themselves are printed from the proof."""
    words = d.loss.gradient_words
    return plain(words) if words else "Differentiating $L_i$ in each score gives, by cases:"


def _matrix_words(d, mf, show: _Shower) -> str:
    return (
        f"The result has the shape of $W$, ${show.inline(InSpace(mf.W))}$. Row $i$ of ${show.inline(mf.G)}$ is "
        "$\\partial L_i/\\partial s_{ij}$ from step 1, so the boxed product is steps 2–4 for all "
        "samples at once."
    )


def _concrete_section(d, show: _Shower) -> Section:
    p = d.concrete()
    i = 0
    yi = p.y[i]
    L0 = sp.Symbol(f"L_{i}")
    rows = Rows(*(sp.Eq(sp.Derivative(L0, p.S[i, j]), d.score_gradient[i, j], evaluate=False) for j in range(p.C)))
    return Section(
        "The derivation at a concrete size",
        [
            f"symderiv built $L$ at $D = {p.D}$, $C = {p.C}$, $N = {p.N}$ with labels "
            f"$y = ({', '.join(map(str, p.y))})$ and differentiated it with SymPy. For sample "
            f"${i}$ (label $y_{i} = {yi}$), the derivatives in its scores, exactly as derived "
            "and simplified:",
            show(rows, "derivative.routes-agree", "closed-form.score-gradient"),
            "They are the cases of step 1 with $j$ and $y_i$ filled in; the same holds for every "
            "sample and every label pattern (see the evidence below).",
        ],
    )


def _plain_why(text: str) -> str:
    return " " + plain(text.strip()) if text.strip() else ""


def _number_and_check(report: Report) -> None:
    n = 0
    for s in report.sections:
        for k, b in enumerate(s.blocks):
            if isinstance(b, Equation) and not b.definition:
                n += 1
                s.blocks[k] = dataclasses.replace(b, number=n)
    keys = {e.key: e for e in report.evidence}
    for eq in report.equations:
        if not eq.definition and not eq.claims:
            raise ReportError(f"equation ({eq.number}) is neither a definition nor covered by a claim")
        for key in eq.claims:
            if key not in keys:
                raise ReportError(f"equation ({eq.number}) cites claim {key!r}, which the derivation lacks")
            if not keys[key].claim.holds:
                raise ReportError(f"equation ({eq.number}) rests on a claim that failed: {keys[key].claim.line()}")


def _loss_intro(d) -> str:
    """What the loss means, in its own words (:attr:`~symderiv.losses.Loss.intro`, else its description)."""
    return plain(d.loss.intro or d.loss.description)


def _proof_intro(d) -> str:
    p = d.concrete()
    c = d.conventions
    symbols = "$X$, $W$, $\\lambda$" + (" and $\\Delta$" if d.loss.uses_delta and c.delta == DELTA else "")
    labels = ", ".join(str(k) for k in range(p.C))
    patterns = (
        f"for every one of the ${p.C}^{p.N} = {d.label_patterns}$ label patterns "
        + "$y \\in \\{"
        + labels
        + "\\}^{"
        + str(p.N)
        + "}$"
        if d.label_patterns == p.C**p.N
        else "for the labels $y = (" + ", ".join(map(str, p.y)) + ")$"
    )
    return (
        f"symderiv built the loss at $D = {p.D}$, $C = {p.C}$, $N = {p.N}$ with {symbols} kept as "
        f"symbols, and proved each claim below {patterns}. **Symbolic** claims are identities: both "
        "sides are brought to a normal form (polynomials in the atoms $" + INDICATOR + "[\\cdot]$, "
        "$\\max(0,\\cdot)$ and $e^{(\\cdot)}$, every score written out as $\\sum_k x_{ik} w_{kj}$) "
        "and compared term by term. **Rational** evaluation substitutes random fractions for every symbol "
        "and compares exact values. **Floating point** runs the NumPy gradient generated from the "
        "derivation against the loss's hand-written NumPy reference. The last column lists the numbered "
        "equations each claim covers; the unnumbered equations are the definitions the derivation starts "
        "from."
    )
