"""What a report says, independent of its format: sections of prose (with inline ``$…$`` math),
displayed equations in the notes' notation, and the evidence for each equation.

Every displayed :class:`Equation` is either a definition (the loss as declared, the input of the
derivation) or names the claims that cover it; :func:`build` refuses an equation whose claims
were not proven, so a report never shows an equation symderiv did not prove."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..conventions import DELTA, LAMBDA
from ..derive.result import Claim
from ..render.latex import INDICATOR, latex, notes_latex
from . import code, figures
from .code import vectorized_function
from .document import Equation, Evidence, Listing, Report, ReportError, Section, plain

#: the size at which the report's claims are proven (every label pattern)
PROOF_SIZE = {"D": 3, "C": 3, "N": 2}
FLOAT_POINTS = 5
FLOAT_TOLERANCE = 1e-9


# ---------------------------------------------------------------- claims of the derivation

#: core claims recognised by words of their statement (the core words them; the report keys them)
CORE_KEYS = (
    ("score_cases", ("∂L_i/∂s_j", "closed form")),
    ("chain_rule", ("through the scores", "direct")),
    ("cases", ("per-element closed form",)),
    ("matrix", ("matrix form",)),
    ("points", ("random points",)),
)


def core_evidence(claims: list[Claim]) -> list[Evidence]:
    out: list[Evidence] = []
    used: set[str] = set()
    for claim in claims:
        key = next(
            (k for k, words in CORE_KEYS if k not in used and all(w in claim.statement for w in words)),
            None,
        )
        if key is None:
            key = f"claim{len(out) + 1}"
        used.add(key)
        out.append(Evidence(key, claim, "derive"))
    return out


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
        "∂s_ij/∂w_uv = x_iu · 1[j = v] for every sample i, class j, feature u and class v",
        bool(ok),
        "SymPy differentiation of each score s_ij = Σ_k x_ik w_kj in each weight",
        sizes,
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
    )
    out = [Evidence("scores", scores, "report")]
    if coef != 0:
        out.append(Evidence("regularizer", reg, "report"))
    out.append(Evidence("float", float_claim(d), "report"))
    vectorized = vectorized_claim(d)
    if vectorized is not None:
        out.append(Evidence("vectorized", vectorized, "report"))
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
            )
        want = d.numpy_gradient(W, X, reg=reg, delta=1.0 if c.delta == DELTA else None)
        worst = max(worst, float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))))
    return Claim(
        "the generated vectorized NumPy gradient (listed below) equals the derived gradient",
        worst <= FLOAT_TOLERANCE,
        "floating point (float64) at random normal W, X and λ",
        f"{points} points, {_difference(worst)}",
    )


# ---------------------------------------------------------------- notation by layout


@dataclass(frozen=True)
class Notation:
    """The layout's words and symbols."""

    shapes: str
    score: str
    weight: str  # one entry of W, feature u, class v
    ds_dw: str
    vector: str  # the weights of class v
    vector_label: str
    vector_words: str
    product: str  # dW without scale and regularizer, with {G} for the weight matrix


NOTATION = {
    "XW": Notation(
        shapes=r"X \in \mathbb{R}^{N \times D},\quad W \in \mathbb{R}^{D \times C},\quad S = XW",
        score=r"s_{ij} = x_i w_j = \sum_{k=1}^{D} x_{ik}\, w_{kj}",
        weight="w_{uv}",
        ds_dw=r"\frac{\partial s_{ij}}{\partial w_{uv}} = x_{iu}\, " + INDICATOR + r"\left[j = v\right]",
        vector="w_v",
        vector_label="w_{y_i}",
        vector_words="$x_i$ is row $i$ of $X$ (a $1 \\times D$ row), $w_j$ is column $j$ of $W$",
        product=r"X^\top {G}",
    ),
    "WX": Notation(
        shapes=r"W \in \mathbb{R}^{C \times D},\quad X \in \mathbb{R}^{D \times N},\quad S = WX",
        score=r"s_{ij} = W_j\, x_i = \sum_{k=1}^{D} W_{jk}\, x_{ik}",
        weight="W_{vu}",
        ds_dw=r"\frac{\partial s_{ij}}{\partial W_{vu}} = x_{iu}\, " + INDICATOR + r"\left[j = v\right]",
        vector="W_v",
        vector_label="W_{y_i}",
        vector_words="$x_i$ is column $i$ of $X$ (a $D \\times 1$ column), $W_j$ is row $j$ of $W$",
        product=r"{G}^\top X^\top",
    ),
}

REG_TERM = {"l2": r"2\lambda {w}", "half-l2": r"\lambda {w}", "none": ""}


def _scale(reduction: str) -> str:
    return r"\frac{1}{N}" if reduction == "mean" else ""


def _weights_symbol(name: str) -> str:
    return rf"\left({name}\right)" if re.search(r"[-+ ]", name.strip()) else name


def _with_index(fragment: str, new: str) -> str:
    """A fragment written for class j, rewritten for class ``new`` (s_j → s_v, p_j → p_v)."""
    out = re.sub(r"(?<=[sp])_j(?![A-Za-z0-9])", f"_{new}", fragment)
    out = re.sub(r"(?<=[sp])_\{j\}", f"_{{{new}}}", out)
    return out


def _split_definition(fragment: str) -> tuple[str, str | None]:
    """``p_j = \\frac{…}{…}`` → (``p_j``, ``\\frac{…}{…}``); a bare expression → (itself, None)."""
    depth = 0
    for k, ch in enumerate(fragment):
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "=" and depth == 0:
            return fragment[:k].strip(), fragment[k + 1 :].strip()
    return fragment.strip(), None


def _top_level(fragment: str) -> str:
    """``fragment`` with everything inside braces, brackets and parentheses removed."""
    out, depth = [], 0
    for ch in re.sub(r"\\(left|right)", "", fragment):
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _times(factor: str, expr: str) -> str:
    """``expr · factor`` with the parentheses the notes use: −(Σ …) x."""
    e = expr.strip()
    sign = ""
    if e.startswith("-"):
        sign, e = "-", e[1:].strip()
    coef = re.match(r"^(\d+)\s*(\\sum.*)$", e)
    if coef:
        sign, e = sign + coef.group(1), coef.group(2)
    if re.search(r"[-+]|\\sum", _top_level(e)):
        e = rf"\left({e.replace(chr(92) + 'sum_', chr(92) + 'textstyle' + chr(92) + 'sum_')}\right)"
    return f"{sign}{e}\\, {factor}"


# ---------------------------------------------------------------- the report


def build(d, *, implementation=None, generic=None) -> Report:
    """The report of derivation ``d`` (concrete size), optionally with a user's implementation
    (:class:`~symderiv.report.code.Implementation`)."""
    loss, c = d.loss, d.conventions
    L = loss.latex
    for key in ("sample", "ds_other", "ds_label", "weights"):
        if key not in L:
            raise ReportError(f"loss {loss.name!r} has no LaTeX for {key!r}: a report needs all four")
    nt = NOTATION[c.layout]
    evidence = core_evidence(d.claims) + report_evidence(d)
    index_section = None
    if generic is not None and getattr(generic, "proved", False):
        generic_evidence = [Evidence(f"generic{k + 1}", c, "generic") for k, c in enumerate(generic.claims)]
        index_section = _index_section(generic, generic_evidence)
        if index_section is not None:
            evidence += generic_evidence
    scale = _scale(c.reduction)
    reg_latex = notes_latex(c.reg.latex)
    G = loss.weights_name
    Gs = _weights_symbol(G)
    reg_w = REG_TERM[c.regularizer].replace("{w}", nt.weight)
    reg_W = REG_TERM[c.regularizer].replace("{w}", "W")
    sections: list[Section] = []

    # 1. definition
    full = rf"L = {scale}\sum_{{i=1}}^{{N}} L_i + R(W),\qquad R(W) = {reg_latex}"
    definition = Section("The loss")
    figure = figures.margin_figure(d)
    definition.blocks += [
        _loss_intro(d),
        Equation(rf"{nt.score}", definition=True),
        Equation(notes_latex(L["sample"]), definition=True),
        Equation(full, definition=True),
        _symbols_paragraph(d, nt),
        figure,
    ]
    sections.append(definition)

    # 2. conventions
    sections.append(Section("Conventions", [_conventions_paragraph(d, nt)]))

    # 3. derivation
    der = Section("Derivation")
    other_name, other_def = _split_definition(notes_latex(L["ds_other"]))
    label = notes_latex(L["ds_label"])
    cases = (
        r"\frac{\partial L_i}{\partial s_j} = \begin{cases} "
        + rf"{other_name} & j \ne y_i \\ {label} & j = y_i \end{{cases}}"
    )
    if other_def is not None:
        cases += rf"\qquad\text{{where }} {other_name} = {other_def}"
    der.blocks += [
        "**Step 1: the per-sample loss in its scores.** Fix a sample $i$ and write $s_j$ for its "
        "score $s_{ij}$. " + _step1_words(d),
        Equation(cases, claims=("score_cases",)),
        "**Step 2: the scores in the weights.** Each score is linear in the weights, and only the "
        f"scores of class $v$ contain ${nt.weight}$:",
        Equation(nt.ds_dw, claims=("scores",)),
        "**Step 3: the chain rule.** Summing over the samples and their scores, only $j = v$ survives:",
        Equation(
            rf"\frac{{\partial L}}{{\partial {nt.weight}}} "
            rf"&= {scale}\sum_{{i=1}}^{{N}} \sum_{{j=1}}^{{C}} \frac{{\partial L_i}}{{\partial s_{{ij}}}}\,"
            rf"\frac{{\partial s_{{ij}}}}{{\partial {nt.weight}}} + \frac{{\partial R}}{{\partial {nt.weight}}}"
            rf"\\ &= {scale}\sum_{{i=1}}^{{N}} x_{{iu}}\, \frac{{\partial L_i}}{{\partial s_{{iv}}}}"
            + (f" + {reg_w}" if reg_w else ""),
            claims=("chain_rule", "scores") + (("regularizer",) if reg_w else ()),
        ),
        "**Step 4: the cases $v \\ne y_i$ and $v = y_i$.** One sample's contribution to "
        f"${nt.weight}$, and the same for the whole weight vector ${nt.vector}$ of class $v$:",
        Equation(_cases_body(d, nt, other_name, label), claims=("cases",)),
        "**Step 5: the matrix form.** Collect $\\partial L_i/\\partial s_{ij}$ in the $N \\times C$ "
        f"matrix ${G}$ (row $i$, column $j$); the chain rule for all entries at once is one product:",
        Equation(
            rf"\frac{{\partial L}}{{\partial W}} = {scale}{nt.product.replace('{G}', Gs)}"
            + (f" + {reg_W}" if reg_W else ""),
            claims=("matrix", "points", "float")
            + (("regularizer",) if reg_W else ())
            + (("vectorized",) if any(e.key == "vectorized" for e in evidence) else ()),
            boxed=True,
        ),
        Equation(notes_latex(L["weights"]), claims=("matrix",)),
        _matrix_words(d, nt),
    ]
    sections.append(der)

    # 4. the symbolic-size derivation in index notation, when available; 5. a concrete instance
    if index_section is not None:
        sections.append(index_section)
    sections.append(_concrete_section(d))
    evidence_after = len(sections)

    # 5. evidence is rendered from Report.evidence by the templates; 6. code; 7. implementation
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

    report = Report(
        name=loss.name,
        title=loss.title,
        subtitle=_subtitle(d),
        sections=sections,
        evidence=evidence,
        figure=figure,
        proof_intro=_proof_intro(d),
        evidence_after=evidence_after,
    )
    _number_and_check(report)
    return report


#: steps of the symbolic-size derivation, by the start of their title: the words of the claims that
#: cover them ("definition" for the loss as declared); steps not listed are not shown
INDEX_STEPS = (
    ("scores", "definition"),
    ("per-sample loss", "definition"),
    ("∂L_i/∂s_ij", ("∂L_i/∂s_ij",)),
    ("∂s_iq/∂w_uv", ("chain rule",)),
    ("chain rule", ("chain rule",)),
    ("case v", ("cases",)),
    ("full gradient", ("chain rule", "∂R/∂w_uv")),
    ("bias", ("bias",)),
    ("matrix form", ("matrix expression",)),
)


def _index_section(g, evidence: list[Evidence]) -> Section | None:
    """The steps of the symbolic-size derivation (issue 5), each with the claims covering it."""
    blocks: list[object] = [
        "symderiv also derives the gradient at symbolic size, with $N$, $C$, $D$ and the labels left as "
        "symbols, in index notation (a Kronecker delta is written $" + INDICATOR + "[j = k]$). Its steps, "
        "each covered by a claim proven at that size (marked ‡ in the evidence below):"
    ]
    shown = 0
    for step in g.steps:
        latex_text = getattr(step, "latex", None)
        rule = next((words for start, words in INDEX_STEPS if step.title.startswith(start)), None)
        if not latex_text or rule is None:
            continue
        if rule == "definition":
            continue  # the definitions are displayed at the top already
        keys = tuple(e.key for e in evidence if any(w in e.claim.statement for w in rule) and e.claim.holds)
        if not keys:
            continue  # a step nothing covers is not shown
        why = f" {step.why[0].upper()}{step.why[1:]}." if step.why else ""
        blocks.append(f"**{_plain_why(step.title).strip()}.**" + _plain_why(why))
        blocks.append(Equation(break_lines(notes_latex(latex_text)), claims=keys))
        shown += 1
    return Section("The same derivation in index notation", blocks) if shown else None


def _visible(latex_text: str) -> int:
    """A rough printed width: characters left once commands, braces and sub/superscripts go."""
    t = re.sub(r"_\{[^{}]*\}|\^\{[^{}]*\}|_.|\^.", "x", latex_text)
    t = re.sub(r"\\(left|right|mathbf|frac|quad|qquad|,|;)", "", t)
    t = re.sub(r"\\[A-Za-z]+", "x", t)
    return len(re.sub(r"[{}\s]", "", t))


def _top_terms(rhs: str) -> list[str]:
    """``rhs`` split before each + or − at the top level (outside braces, brackets, parentheses)."""
    terms, depth, start = [], 0, 0
    k = 0
    while k < len(rhs):
        if rhs.startswith(r"\left", k) or rhs.startswith(r"\right", k):
            k += 5 if rhs.startswith(r"\left", k) else 6
            depth += 1 if rhs[k - 1] == "t" and rhs.startswith("left", k - 4) else -1
            k += 1  # the delimiter itself
            continue
        ch = rhs[k]
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif ch in "+-" and depth == 0 and rhs[:k].strip() and k > start:
            terms.append(rhs[start:k].strip())
            start = k
        k += 1
    terms.append(rhs[start:].strip())
    return [t for t in terms if t]


def break_lines(body: str, limit: int = 62) -> str:
    """A long ``lhs = rhs`` as aligned lines, broken before top-level + and − signs, and inside
    a long parenthesis when a single term is too wide."""
    if "&" in body or _visible(body) <= limit:
        return body
    depth, cut = 0, -1
    for k, ch in enumerate(body):
        depth += ch in "{[("
        depth -= ch in "}])"
        if ch == "=" and depth == 0:
            cut = k
            break
    if cut < 0:
        return body
    lhs, rhs = body[:cut].strip(), body[cut + 1 :].strip()
    rhs = re.sub(r"^\\frac\{(\\sum_\{?\w\}?)\s*(.*)\}\{N\}(?=\s*[-+]|$)", r"\\frac{1}{N} \1 \2", rhs)
    lines: list[str] = []
    for term in _top_terms(rhs):
        if lines and _visible(lines[-1] + term) <= limit - 8:
            lines[-1] += " " + term
        else:
            lines.append(term)
    rows: list[str] = []
    for line in lines:
        rows += _break_inside(line) if _visible(line) > limit else [line]
    if len(rows) == 1:
        return body
    return rf"{lhs} &= {rows[0]} \\ " + r" \\ ".join(rf"&\quad {row}" for row in rows[1:])


def _break_inside(term: str) -> list[str]:
    """``p (A + B) x`` as two rows, ``p \\left(A \\right.`` and ``\\left. + B\\right) x``."""
    start = term.find(r"\left(")
    if start < 0:
        return [term]
    depth, k = 0, start
    while k < len(term):
        if term.startswith(r"\left", k):
            depth += 1
            k += 5
        elif term.startswith(r"\right", k):
            depth -= 1
            if depth == 0:
                break
            k += 6
        k += 1
    inner = term[start + len(r"\left(") : k]
    prefix, after = term[:start], term[k + len(r"\right)") :]
    terms = _top_terms(inner)
    if len(terms) < 2:
        return [term]
    half = max(1, len(terms) // 2)
    first, second = " ".join(terms[:half]), " ".join(terms[half:])
    return [rf"{prefix}\left({first}\right.", rf"\qquad \left. {second}\right){after}"]


def _plain_why(text: str) -> str:
    return " " + plain(text.strip()) if text.strip() else ""


def _number_and_check(report: Report) -> None:
    n = 0
    for s in report.sections:
        for k, b in enumerate(s.blocks):
            if isinstance(b, Equation) and not b.definition:
                n += 1
                s.blocks[k] = Equation(b.body, b.claims, b.definition, b.boxed, n)
    keys = {e.key: e for e in report.evidence}
    for eq in report.equations:
        if not eq.definition and not eq.claims:
            raise ReportError(f"equation ({eq.number}) is neither a definition nor covered by a claim")
        for key in eq.claims:
            if key not in keys:
                raise ReportError(f"equation ({eq.number}) cites claim {key!r}, which the derivation lacks")
            if not keys[key].claim.holds:
                raise ReportError(f"equation ({eq.number}) rests on a claim that failed: {keys[key].claim.line()}")


def _subtitle(d) -> str:
    c = d.conventions
    parts = [
        f"layout ${'XW' if c.layout == 'XW' else 'WX'}$",
        "bias trick" if c.bias else "no bias",
        {"l2": r"$\lambda\sum W^2$", "half-l2": r"$\tfrac12\lambda\sum W^2$", "none": "no regularizer"}[c.regularizer],
        "mean over samples" if c.reduction == "mean" else "sum over samples",
    ]
    if d.loss.uses_delta:
        parts.append(r"$\Delta$ symbolic" if c.delta == DELTA else f"$\\Delta = {sp.latex(c.delta)}$")
    if d.loss.kinky:
        parts.append(f"${INDICATOR}[0] = {sp.latex(c.kink)}$")
    fixed = dict(c.hyper)
    for h in d.loss.hyperparameters:
        symbol = sp.latex(h.symbol)
        parts.append(f"${symbol} = {sp.latex(fixed[h.name])}$" if h.name in fixed else f"${symbol}$ symbolic")
    return ", ".join(parts)


def _loss_intro(d) -> str:
    return d.loss.intro or d.loss.description


def _symbols_paragraph(d, nt: Notation) -> str:
    c = d.conventions
    reg = {
        "l2": "$R(W) = \\lambda\\sum_{k,l} W_{kl}^2$ penalises large weights",
        "half-l2": "$R(W) = \\tfrac12\\lambda\\sum_{k,l} W_{kl}^2$ penalises large weights "
        "(the ½ cancels the 2 of the derivative)",
        "none": "there is no regularizer, $R(W) = 0$",
    }[c.regularizer]
    avg = (
        "the data loss is the mean over the $N$ samples"
        if c.reduction == "mean"
        else ("the data loss is the sum over the $N$ samples")
    )
    out = (
        f"Here $i$ indexes the $N$ samples, $j$ the $C$ classes and $k$ the $D$ features; "
        f"{nt.vector_words}; $y_i$ is the label of sample $i$"
    )
    if d.loss.uses_delta:
        out += ", $\\Delta > 0$ is the margin"
    return out + f"; {avg}, and {reg}."


def _conventions_paragraph(d, nt: Notation) -> str:
    c = d.conventions
    out = [f"**Layout {c.layout}:** ${nt.shapes}$; {nt.vector_words}."]
    if c.bias:
        where = "row" if c.layout == "XW" else "column"
        out.append(
            f"**Bias trick:** every $x_i$ gets a constant feature $1$ appended, so there are $D+1$ "
            f"features and the last {where} of $W$ holds the biases; nothing else changes, and the "
            "bias gradient is the case $x_{iu} = 1$ of the formulas below."
        )
    else:
        out.append("**No bias trick:** the scores are $XW$ alone.")
    out.append(
        {
            "l2": "**Regularizer:** $R(W) = \\lambda\\sum_{k,l} W_{kl}^2$, so $\\partial R/\\partial W = "
            "2\\lambda W$ (cs231n).",
            "half-l2": "**Regularizer:** $R(W) = \\tfrac12\\lambda\\sum_{k,l} W_{kl}^2$, so "
            "$\\partial R/\\partial W = \\lambda W$.",
            "none": "**Regularizer:** none, $R(W) = 0$.",
        }[c.regularizer]
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
            else f"**Margin:** $\\Delta = {sp.latex(c.delta)}$."
        )
    fixed = dict(c.hyper)
    for h in d.loss.hyperparameters:  # the loss's own, with its own words
        symbol = sp.latex(h.symbol)
        value = (
            f"${symbol} = {sp.latex(fixed[h.name])}$"
            if h.name in fixed
            else f"${symbol}$ is kept as a symbol (NumPy code uses ${symbol} = {h.default:g}$ unless told otherwise)"
        )
        out.append(f"**Hyperparameter ${symbol}$** ({h.words}): {value}.")
    smooth_gradient = r"\mathbb{1}" not in d.loss.latex.get("ds_other", "") + d.loss.latex.get("ds_label", "")
    if d.loss.kinky and smooth_gradient:
        out.append(
            "**At a kink:** the loss is differentiable everywhere: $\\max(0, m)^2$ has derivative "
            "$2\\max(0, m)$, which is $0$ at $m = 0$ from both sides, so no indicator appears in the gradient "
            f"and the convention ${INDICATOR}[0] = {sp.latex(c.kink)}$ never enters it."
        )
    elif d.loss.kinky:
        k = sp.latex(c.kink)
        words = {
            "0": "as in the notes' $" + INDICATOR + "[m > 0]$",
            "1": "as in an implementation that tests $m \\ge 0$",
            "\\frac{1}{2}": "as SymPy's $\\operatorname{Heaviside}(0)$",
        }.get(k, "")
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
    if not d.loss.gradient_words:
        return "Differentiating $L_i$ in each score gives, by cases:"
    return d.loss.gradient_words.replace(r"\mathbb{1}", INDICATOR)


def _cases_body(d, nt: Notation, other_name: str, label: str) -> str:
    other_v = _with_index(other_name, "v")
    xt = r"x_i^\top"
    lhs = rf"\frac{{\partial L_i}}{{\partial {nt.weight}}}"
    first = (
        rf"{lhs} &= x_{{iu}}\,\frac{{\partial L_i}}{{\partial s_{{v}}}} = \begin{{cases}} "
        rf"{_times('x_{iu}', other_v)} & v \ne y_i \\ {_times('x_{iu}', label)} & v = y_i \end{{cases}}"
    )
    vec = (
        rf"\\[4pt] \frac{{\partial L_i}}{{\partial {nt.vector}}} &= {_times(xt, other_v)}"
        rf"\qquad (v \ne y_i) \\ "
        rf"\frac{{\partial L_i}}{{\partial {nt.vector_label}}} &= {_times(xt, label)}"
    )
    return first + vec


def _matrix_words(d, nt: Notation) -> str:
    c = d.conventions
    shape = "D \\times C" if c.layout == "XW" else "C \\times D"
    if c.bias:
        shape = shape.replace("D", "(D+1)")
    return (
        f"The result has the shape of $W$, ${shape}$. Row $i$ of ${d.loss.weights_name}$ is "
        "$\\partial L_i/\\partial s_i$ from step 1, so the boxed product is steps 2–4 for all "
        "samples at once."
    )


def _concrete_section(d) -> Section:
    p = d.concrete()
    i = 0
    yi = p.y[i]
    row = ", ".join(rf"\frac{{\partial L_{{{i}}}}}{{\partial s_{{{i},{j}}}}}" for j in range(p.C))
    entries = r" \\ ".join(
        rf"\frac{{\partial L_{{{i}}}}}{{\partial s_{{{i},{j}}}}} &= {latex(d.score_gradient[i, j])}" for j in range(p.C)
    )
    del row
    return Section(
        "The derivation at a concrete size",
        [
            f"symderiv built $L$ at $D = {p.D}$, $C = {p.C}$, $N = {p.N}$ with labels "
            f"$y = ({', '.join(map(str, p.y))})$ and differentiated it with SymPy. For sample "
            f"${i}$ (label $y_{i} = {yi}$), the derivatives in its scores, exactly as derived "
            "and simplified:",
            Equation(entries, claims=("score_cases", "cases")),
            "They are the cases of step 1 with $j$ and $y_i$ filled in; the same holds for every "
            "sample and every label pattern (see the evidence below).",
        ],
    )


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
        "sides are brought to a normal form (polynomials in the atoms $\\mathbf{1}[\\cdot]$, "
        "$\\max(0,\\cdot)$ and $e^{(\\cdot)}$, every score written out as $\\sum_k x_{ik} w_{kj}$) "
        "and compared term by term. **Rational** evaluation substitutes random fractions for every symbol "
        "and compares exact values. **Floating point** runs the NumPy gradient generated from the "
        "derivation against the loss's hand-written NumPy reference. The last column lists the numbered "
        "equations each claim covers; the unnumbered equations are the definitions the derivation starts "
        "from."
    )
