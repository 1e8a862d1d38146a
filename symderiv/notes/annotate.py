"""Write a note back with a mark beside each equation: Markdown (the note itself, marks added) or
HTML (the note as text, equations highlighted, marks with their reasons)."""

from __future__ import annotations

import html

from .note import ClaimResult, NotesResult

MARKS = {"proved": "✔ proved", "refuted": "✘ refuted", "not understood": "? not understood"}


def _by_span(result: NotesResult) -> dict[tuple[int, int], list[ClaimResult]]:
    out: dict[tuple[int, int], list[ClaimResult]] = {}
    for c in result.claims:
        out.setdefault(c.span, []).append(c)
    return out


def _summary(claims: list[ClaimResult], code: bool = False) -> str:
    """The marks of one piece of math; with ``code``, symbols in Markdown code spans (s_{y_i} is no emphasis)."""
    tick = "`" if code else ""
    parts = []
    for c in claims:
        text = f"{MARKS[c.verdict]} (line {c.line})"
        if c.verdict == "refuted" and c.counterexample:
            ce = c.counterexample
            where = ", ".join(f"{k} = {v}" for k, v in {**ce["where"], **ce["values"]}.items())
            left, right = f"{tick}{ce['left']}{tick}", f"{tick}{ce['right']}{tick}"
            text += f": at {tick}{where}{tick} the left side is {left}, the right side {right}"
        elif c.verdict == "not understood" and c.reason:
            text += f": {c.reason}"
        parts.append(text)
    return "; ".join(parts)


def markdown(text: str, result: NotesResult) -> str:
    """The note with ``symderiv:`` marks after each piece of math that holds a claim."""
    pieces = []
    last = 0
    for (start, end), claims in sorted(_by_span(result).items()):
        if end <= last:
            continue
        pieces.append(text[last:end])
        mark = _summary(claims, code=True)
        display = text[start:end].startswith(("$$", "\\[", "\\begin"))
        if display:
            pieces.append(f"\n\n> **symderiv:** {mark}\n")
        else:  # inline math may sit in a table row: no line break, no bare |
            pieces.append(" **[symderiv: " + mark.replace("|", "\\|").replace("\n", " ") + "]**")
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


STYLE = """body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.5 }
pre.note { white-space: pre-wrap; font-family: inherit }
.math { font-family: ui-monospace, monospace; padding: 0 .2em; border-radius: .2em }
.proved { background: #e6f4ea } .refuted { background: #fde7e9 } .unknown { background: #fff4ce }
.mark { font-weight: bold; margin-left: .5em } .mark.proved { color: #137333 } .mark.refuted { color: #a50e0e }
.mark.unknown { color: #8a6100 }"""


def _class(claims: list[ClaimResult]) -> str:
    verdicts = {c.verdict for c in claims}
    if "refuted" in verdicts:
        return "refuted"
    if verdicts == {"proved"}:
        return "proved"
    return "unknown"


def page(text: str, result: NotesResult, title: str = "note") -> str:
    """The note as an HTML page: the text as written, each equation highlighted by its verdict."""
    body = []
    last = 0
    for (start, end), claims in sorted(_by_span(result).items()):
        if end <= last:
            continue
        cls = _class(claims)
        body.append(html.escape(text[last:start]))
        body.append(f'<span class="math {cls}">{html.escape(text[start:end])}</span>')
        body.append(f'<span class="mark {cls}">{html.escape(_summary(claims))}</span>')
        last = end
    body.append(html.escape(text[last:]))
    counts = result.counts()
    head = (f"{len(result.claims)} claims: {counts['proved']} proved, {counts['refuted']} refuted, "
            f"{counts['not understood']} not understood")  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} — symderiv verify</title><style>{STYLE}</style></head>\n"
        f"<body><p><strong>symderiv verify:</strong> {html.escape(head)}</p>\n"
        f'<pre class="note">{"".join(body)}</pre></body></html>\n'
    )
