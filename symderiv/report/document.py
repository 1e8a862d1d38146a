"""What a report is made of, before any format: sections of prose and equations, each equation
with the evidence (proven claims) behind it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..derive.result import Claim
from ..errors import SymderivError


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
    """A displayed equation: the body of an ``aligned`` block, its number, and its evidence."""

    body: str
    claims: tuple[str, ...] = ()  # Evidence keys; empty only for definitions
    definition: bool = False
    boxed: bool = False
    number: int = 0


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
    ("Σ_k", r"\sum_k "),
    ("Σ", r"\sum "),
    ("≠", r"\ne "),
    ("·", r"\cdot "),
    ("²", "^2"),
]
_MATHY = re.compile(r"[_∂Δδλ≠·²Σ]|^1\[|^[A-Za-z]{1,2}\(\w\)$|^d[A-Z]/d[A-Z]$|^[b-zB-HJ-Z]$|^[-+=]$|^\S*\]$")


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
            out.append(f"${m.strip()}${trail}")
            run.clear()

    for k, (lead, core, trail) in enumerate(words):
        mathy = bool(core) and bool(_MATHY.search(core))
        if mathy:
            if lead:
                flush()
                out.append(lead)
            run.append(core)
            if trail or k == len(words) - 1:
                flush(trail)
        else:
            flush()
            out.append(lead + core + trail)
    flush()
    text = " ".join(out)
    return re.sub(r"\( \$", "($", text)
