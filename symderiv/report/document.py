"""What a report is made of, before any format: sections of prose and equations, each equation
holding the expression it prints and the ids of the claims (the evidence) behind it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..derive.result import Claim
from ..errors import SymderivError
from ..render.notation import latex


class ReportError(SymderivError):
    """A report could not be built (an equation without a proof, a missing field)."""


@dataclass(frozen=True)
class Evidence:
    """One claim as the report shows it: a short key, the claim, and where it came from."""

    key: str
    claim: Claim
    source: str  # "derive" (symderiv's proof) or "report" (checked while building the report)


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

    @property
    def body(self) -> str:
        """The LaTeX of :attr:`expr`, by the notes' printer, broken into aligned lines if long."""
        return break_lines(latex(self.expr, layout=self.layout))


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
        return [eq.number for eq in self.equations if key in eq.claims]


# ---------------------------------------------------------------- claims' wording as prose

_PLAIN_MATH = [
    ("1[·]", r"\mathbf{1}[\cdot]"),
    ("max(0,·)", r"\max(0,\cdot)"),
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


def _split_word(word: str) -> tuple[str, str, str]:
    lead = "(" if word.startswith("(") and word.count("(") > word.count(")") else ""
    core = word[len(lead) :]
    trail = ""
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


# ---------------------------------------------------------------- long equations as aligned lines


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
    lines: list[str] = []
    for term in _top_terms(rhs):
        if lines and _visible(lines[-1] + term) <= limit - 8:
            lines[-1] += " " + term
        else:
            lines.append(term)
    rows: list[str] = []
    for line in lines:
        rows += _break_inside(line) if _visible(line) > limit - 8 else [line]  # the first row has the lhs too
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
