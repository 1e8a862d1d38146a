"""What a report is made of, before any format: sections of prose and equations, each equation
holding the expression it prints and the ids of the claims (the evidence) behind it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..derive.result import Claim
from ..errors import SymderivError
from ..render.notation import Row, latex, latex_rows

#: a concrete example in the notes' notation: classes and samples counted from 1, and the per-class quantities
#: of the one sample shown as s_j, m_j, p_j (the notes' s_j for the scores of sample i)
NOTES_INDICES: dict[str, object] = {"index_base": 1, "one_sample": True}

#: a displayed relation wider than this many printed characters is broken into aligned rows
LINE_WIDTH = 62


class ReportError(SymderivError):
    """A report could not be built (an equation without a proof, a missing field)."""


@dataclass(frozen=True)
class Evidence:
    """One claim as the report shows it: a short key, the claim, and where it came from."""

    key: str
    claim: Claim
    source: str  # "derive" (symderiv's proof) or "report" (checked while building the report)
    shown: str = ""  # the statement as prose markup, its formula printed from the claim's expressions (else its words)


@dataclass(frozen=True)
class Equation:
    """A displayed equation: the expression it prints (an ``sp.Eq`` of two expressions, a
    :class:`~symderiv.render.notation.Chain` or :class:`~symderiv.render.notation.Rows` of them), the
    claims it cites by id — the first is the claim whose proven relation it prints, the others support
    it — or, for a definition, which definition it displays (:data:`symderiv.report.claims.DEFINITIONS`)."""

    expr: sp.Basic
    claims: tuple[str, ...] = ()  # claim ids (Evidence keys); empty only for definitions
    definition: str = ""
    boxed: bool = False
    number: int = 0
    layout: str = "XW"  # the notation setting: index order of the layout
    notation: tuple[tuple[str, object], ...] = ()  # further printer settings (the concrete example's 1-based indices)

    @property
    def body(self) -> str:
        """The LaTeX of :attr:`expr`, by the notes' printer, broken into aligned rows if long."""
        return latex(self.expr, layout=self.layout, line_width=LINE_WIDTH, **dict(self.notation))

    @property
    def rows(self) -> list[Row]:
        """The printed rows of :attr:`body`: one per relation, plus the continuations of long ones."""
        return latex_rows(self.expr, layout=self.layout, line_width=LINE_WIDTH, **dict(self.notation))

    @property
    def numbers(self) -> list[int]:
        """One number per displayed relation (a chain or rows of n relations has n), from :attr:`number`."""
        return list(range(self.number, self.number + len(relations_of(self.expr)))) if self.number else []


def relations_of(expr: sp.Basic) -> list[sp.Basic]:
    """The relations "lhs = rhs" a displayed expression shows (one for an ``sp.Eq``)."""
    return list(expr.relations) if hasattr(expr, "relations") else [expr]


@dataclass
class Section:
    title: str
    blocks: list[object] = field(default_factory=list)  # str paragraphs (inline $…$), Equation, Figure…


@dataclass(frozen=True)
class Listing:
    """Verbatim code."""

    code: str
    language: str = "python"
    caption: str = ""


@dataclass(frozen=True)
class MathBlock:
    """Display math that is not a claim about the gradient (a rendering of the user's code)."""

    body: str


@dataclass
class Report:
    """A derivation report, ready for any of the templates."""

    name: str
    title: str
    subtitle: str
    sections: list[Section]
    evidence: list[Evidence]
    figure: Any = None  # a figures.Figure (figures are drawn above this module)
    proof_intro: str = ""
    evidence_after: int = 0  # the proof section follows this section (1-based)
    inline_svg: bool = False  # Markdown with the figure inline (Jupyter) instead of a file
    lang: str = "en"  # the language of its words (symderiv.report.i18n.LANGS)

    @property
    def equations(self) -> list[Equation]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Equation)]

    def evidence_for(self, key: str) -> Evidence:
        for e in self.evidence:
            if e.key == key:
                return e
        raise KeyError(key)

    def cited(self) -> set[str]:
        """Every claim id the report's equations cite."""
        return {key for eq in self.equations for key in eq.claims}

    def covers(self, key: str) -> list[int]:
        """Numbers of the equations that evidence ``key`` covers."""
        return [n for eq in self.equations if key in eq.claims for n in eq.numbers]


# ---------------------------------------------------------------- claims' wording as prose

#: the claims' words in the index order of layout WX (W is C×D: w_vu; X is D×N: x_ui), so that words
#: written for layout XW speak the layout's notation as the equations do
WX_WORDS = (
    ("Σ_k x_ik w_kj", "Σ_k w_jk x_ki"),
    ("x_ik w_kj", "w_jk x_ki"),
    ("w_uv", "w_vu"),
    ("x_iu", "x_ui"),
    ("w_Dv", "w_vD"),
    ("x_iD", "x_Di"),
)


def in_layout(text: str, layout: str) -> str:
    """Plain-text words about weights and features (w_uv, x_iu) in the index order of ``layout``."""
    if layout == "WX":
        for a, b in WX_WORDS:
            text = text.replace(a, b)
    return text


_PLAIN_MATH = [
    ("1[·]", r"\mathbf{1}[\cdot]"),
    ("max(0,·)", r"\max(0,\cdot)"),
    ("exp(", r"\exp("),
    ("1[", r"\mathbf{1}["),
    ("∂", r"\partial "),
    ("δ", r"\delta "),
    ("Δ", r"\Delta "),
    ("λ", r"\lambda "),
    ("ε", r"\epsilon "),
    ("κ", r"\kappa "),
    ("Σ_k", r"\sum_k "),
    ("Σ", r"\sum "),
    ("≠", r"\ne "),
    ("·", r"\cdot "),
    ("²", "^2"),
    ("ᵀ", r"^{\top}"),
]
_MATHY = re.compile(
    r"[_∂Δδλεκ≠·²Σᵀ]|^1\[|^[A-Za-z]{1,2}\(\w\)$|^d[A-Z]/d[A-Z]$|^[b-zB-HJ-Z]$|^[-+=/−]$|^\S*\]$|^(exp|log)\("
)
_OPEN = tuple("=+-−/·≠×(")  # a math run that ends with one of these goes on with the next word (x_iD = 1)


#: Chinese punctuation: it may follow a mathematical word directly, and the words after it are prose
_CJK_PUNCT = re.compile(r"[，。；：、）！？]")


def _split_word(word: str) -> tuple[str, str, str]:
    lead = "(" if word.startswith("(") and word.count("(") > word.count(")") else ""
    core = word[len(lead) :]
    trail = ""
    cjk = _CJK_PUNCT.search(core)
    if cjk and cjk.start() > 0:  # "Δ，其余的": the math word, then the punctuation and prose as its trail
        core, trail = core[: cjk.start()], core[cjk.start() :]
    while core and core[-1] in ",;:." or (core.endswith(")") and core.count(")") > core.count("(")):
        trail, core = core[-1] + trail, core[:-1]
    return lead, core, trail


def plain(text: str) -> str:
    """The core's plain-text claim wording (∂L_i/∂s_j, v ≠ y_i, 1[·]) as prose markup: runs of
    mathematical words become one ``$…$``."""
    text = re.sub(r"δ\(\s*(\w+),\s*(\w+)\s*\)", r"δ(\1,\2)", text)
    words = [_split_word(w) for w in text.split(" ")]
    out: list[str] = []
    run: list[str] = []

    def flush(trail: str = "") -> None:
        if run:
            m = " ".join(run)
            for a, b in _PLAIN_MATH:
                m = m.replace(a, b)
            m = re.sub(r"_([A-Za-z0-9]{2,})", r"_{\1}", m)
            m = re.sub(r"(?<!\\)max\(", r"\\max(", m)
            m = re.sub(r"(?<![\\A-Za-z])(log|exp)\b", r"\\\1", m)
            m = re.sub(r"\^\(([^()]*)\)", r"^{(\1)}", m)
            out.append(f"${m.strip()}${trail}")
            run.clear()

    for k, (lead, core, trail) in enumerate(words):
        mathy = bool(core) and bool(_MATHY.search(core))
        goes_on = run and (run[-1].endswith(_OPEN) or run[-1] in ("log", "exp") or core in ("/", "−", "+", "-", "="))
        if core and run and lead and _MATHY.search(core):
            goes_on = True  # Xᵀ (P − Y): a parenthesis in the middle of a formula
        if core and goes_on:
            mathy = True  # the formula goes on: "= 1", "/ N", "= (1/N) Σ_i L_i"
            if lead:
                run.append(lead + core if "(" not in trail and ")" not in trail else lead + core + trail.rstrip(",;:."))
                if trail.rstrip(",;:.") != trail or k == len(words) - 1:
                    flush(trail[len(trail.rstrip(",;:.")) :])
                continue
        if mathy:
            if lead:
                flush()
                out.append(lead)
            opened = sum(w.count("(") - w.count(")") for w in run) + core.count("(") - core.count(")")
            while opened > 0 and trail.startswith(")"):  # exp(a − t): the parenthesis closes inside the math
                core, trail, opened = core + ")", trail[1:], opened - 1
            run.append(core)
            if trail or k == len(words) - 1:
                flush(trail)
        else:
            flush()
            out.append(lead + core + trail)
    flush()
    text = " ".join(out)
    return re.sub(r"\( \$", "($", text)
