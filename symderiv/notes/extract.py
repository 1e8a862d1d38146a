"""Find the math in a note: a small scanner over Markdown or LaTeX source (no regular expressions).

Each piece of math comes with the 1-based line where its content starts, whether it is displayed,
its place in the source (for annotating), and the prose before it in the same paragraph (where
conditions such as "for j ≠ y_i" or "当 j≠y_i 时" are written).
"""

from __future__ import annotations

from dataclasses import dataclass

ENVIRONMENTS = ("equation", "equation*", "align", "align*", "gather", "gather*", "multline", "multline*",
                "eqnarray", "eqnarray*", "displaymath", "math")  # fmt: skip
ALIGNING = ("align", "align*", "eqnarray", "eqnarray*", "gather", "gather*")


@dataclass(frozen=True)
class Math:
    """One piece of math found in a note."""

    latex: str  # the content, without delimiters (align environments wrapped in aligned)
    line: int  # 1-based line of the content's first non-blank character
    display: bool
    start: int  # offsets of the whole piece, delimiters included
    end: int
    context: str  # the prose (with its inline math) before it, in the same paragraph
    content_line: int = 0  # the line where the content (right after the opening delimiter) begins


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _first_content(text: str, start: int, end: int) -> int:
    k = start
    while k < end and text[k] in " \t\r\n":
        k += 1
    return k


def scan(text: str, *, tex: bool = False) -> list[Math]:
    """Every piece of math in ``text`` (Markdown unless ``tex``), in order of appearance."""
    out: list[Math] = []
    n = len(text)
    k = 0
    para_start = 0  # where the current paragraph's prose began
    at_line_start = True
    while k < n:
        ch = text[k]
        if at_line_start and not tex:
            j = k
            while j < n and text[j] in " \t":
                j += 1
            if text.startswith("```", j) or text.startswith("~~~", j):
                fence = text[j : j + 3]
                close = text.find("\n" + fence, j + 3)
                close = n if close < 0 else close + 1 + 3
                nl = text.find("\n", close)
                k = n if nl < 0 else nl + 1
                para_start = k
                continue
        at_line_start = False
        if ch == "\n":
            at_line_start = True
            k += 1
            continue
        if tex and ch == "%" and (k == 0 or text[k - 1] != "\\"):
            nl = text.find("\n", k)
            k = n if nl < 0 else nl
            continue
        if not tex and ch == "`":
            close = text.find("`", k + 1)
            if close > 0 and "\n\n" not in text[k:close]:
                k = close + 1
                continue
        if ch == "\\" and k + 1 < n:
            nxt = text[k + 1]
            if nxt == "$":
                k += 2
                continue
            if nxt in "[(":
                closer = "\\]" if nxt == "[" else "\\)"
                close = text.find(closer, k + 2)
                if close >= 0:
                    out.append(_math(text, k, k + 2, close, close + 2, nxt == "[", para_start))
                    if nxt == "[":
                        para_start = close + 2
                    k = close + 2
                    continue
            if text.startswith("\\begin{", k):
                close_brace = text.find("}", k + 7)
                env = text[k + 7 : close_brace] if close_brace > 0 else ""
                if env in ENVIRONMENTS:
                    end_tag = "\\end{" + env + "}"
                    close = text.find(end_tag, close_brace)
                    if close >= 0:
                        m = _math(text, k, close_brace + 1, close, close + len(end_tag), True, para_start)
                        if env in ALIGNING:
                            m = Math("\\begin{aligned}" + m.latex + "\\end{aligned}", m.line, True, m.start, m.end,
                                     m.context, m.content_line)  # fmt: skip
                        out.append(m)
                        para_start = close + len(end_tag)
                        k = para_start
                        continue
            k += 2
            continue
        if ch == "$":
            if text.startswith("$$", k):
                close = text.find("$$", k + 2)
                if close >= 0:
                    out.append(_math(text, k, k + 2, close, close + 2, True, para_start))
                    para_start = close + 2
                    k = close + 2
                    continue
                k += 2
                continue
            inline = _inline_close(text, k + 1)
            if inline is not None:
                out.append(_math(text, k, k + 1, inline, inline + 1, False, para_start))
                k = inline + 1
                continue
        k += 1
    return out


def _inline_close(text: str, k: int) -> int | None:
    n = len(text)
    while k < n:
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == "$":
            return k
        if ch == "\n" and text.startswith("\n", k + 1):
            return None
        k += 1
    return None


def _math(text: str, start: int, c0: int, c1: int, end: int, display: bool, since: int) -> Math:
    first = _first_content(text, c0, c1)
    context = _last_paragraph(text[since:start])
    return Math(text[c0:c1], _line_of(text, first), display, start, end, context, _line_of(text, c0))


def _last_paragraph(prose: str) -> str:
    """The last paragraph of ``prose`` that is not blank (paragraphs end at blank lines)."""
    paragraphs: list[list[str]] = [[]]
    for line in prose.split("\n"):
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    filled = [p for p in paragraphs if p]
    return "\n".join(filled[-1]) if filled else ""


def line_offset(math: Math) -> int:
    """Add a row's line within ``math.latex`` (from 1) to get its line in the note."""
    return math.content_line - 1


def prose_runs(context: str) -> list[str]:
    """Runs of formula-like characters in plain prose (outside ``$…$``), e.g. "j≠y_i" in "当 j≠y_i 时"."""
    runs: list[str] = []
    current: list[str] = []
    inside = False
    for ch in context:
        if ch == "$":
            inside = not inside
            if current:
                runs.append("".join(current))
                current = []
            continue
        if inside:
            continue
        if ch.isascii() and (ch.isalnum() or ch in "_{}\\=<>!^ ") or ch in "≠≤≥":
            current.append(ch)
        else:
            if current:
                runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return [r.strip() for r in runs if any(c in r for c in "=≠<>≤≥") or "\\ne" in r]
