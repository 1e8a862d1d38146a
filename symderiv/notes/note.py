"""A note, claim by claim: find the math, parse it, give it a meaning, infer the loss and its
conventions from the note's definitions, and prove or refute each claim.

The pipeline reads as its steps: :func:`verify_notes` = scan → parse → statements → infer →
verify each claim.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import sympy as sp
from sympy.core.relational import Relational

from ..derive.result import Derivation
from ..errors import InputError
from ..losses import names
from ..pipeline import derive
from .concrete import (
    FEATURE,
    Instance,
    Outcome,
    WEntry,
    bound_indices,
    compare,
    components,
    decide,
    free_indices,
    register_symbols,
)
from .extract import Math, line_offset, prose_runs, scan
from .meaning import (
    COUNT_C,
    COUNT_D,
    COUNT_N,
    DELTA,
    KNOWN_NAMES,
    PMAT,
    SAMPLE,
    SCORE_NAMES,
    YMAT,
    Context,
    head,
    hyperparameters,
    is_index,
    is_index_condition,
    resolve,
    roles,
)
from .objects import (
    ANY_TRUTH,
    COL,
    ROW,
    TOTAL,
    WMAT,
    XMAT,
    ClassWeights,
    DefinedVar,
    Deriv,
    Entry,
    EntryRow,
    Feature,
    IndicatorAt,
    Label,
    NoteSum,
    Prob,
    Sample,
    SampleLoss,
    Score,
    ScoreVector,
    Unknown,
    Weight,
)
from .parse import Digits, Juxt, NotUnderstood, Paren, Rel, Split, Words, parse_rows, relational, val

D, C, N = 2, 3, 2  # the size of every check
LABELS: tuple[int, ...] = (0, 2)  # every class is j ≠ y_i for some sample, and j = y_i for another


def _losses() -> tuple[str, ...]:
    """The losses a note's L_i may be: every registered one."""
    return tuple(names())


VERDICTS = ("proved", "refuted", "not understood")


@dataclass
class ClaimResult:
    """One claim of a note and its verdict."""

    line: int
    latex: str
    verdict: str  # "proved" | "refuted" | "not understood"
    reason: str = ""
    counterexample: dict | None = None
    span: tuple[int, int] = (0, 0)  # where the math holding the claim sits in the note (for annotating)

    def as_dict(self) -> dict:
        return {"line": self.line, "verdict": self.verdict, "latex": self.latex, "reason": self.reason,
                "counterexample": self.counterexample}  # fmt: skip


@dataclass
class NotesResult:
    """Every claim of a note, the loss it is about, and the conventions read from it."""

    claims: list[ClaimResult]
    loss: str | None
    conventions: dict

    @property
    def refuted(self) -> bool:
        return any(c.verdict == "refuted" for c in self.claims)

    def counts(self) -> dict:
        return {v: sum(c.verdict == v for c in self.claims) for v in VERDICTS}

    def as_dict(self) -> dict:
        return {"claims": [c.as_dict() for c in self.claims], "loss": self.loss, "conventions": self.conventions}

    def text(self) -> str:
        """The terminal summary: one line per claim (line, claim, verdict), then the reasons."""
        lines = []
        for c in self.claims:
            claim = " ".join(c.latex.split())
            if len(claim) > 70:
                claim = claim[:67] + "..."
            lines.append(f"line {c.line:>4}  {c.verdict:<15} {claim}")
            if c.verdict == "refuted" and c.counterexample:
                ce = c.counterexample
                where = ", ".join(f"{k} = {v}" for k, v in {**ce["where"], **ce["values"]}.items())
                lines.append(f"           counterexample: {where}: left side {ce['left']}, right side {ce['right']}")
            elif c.reason:
                lines.append(f"           {c.reason}")
        counts = self.counts()
        loss = self.loss or "unknown"
        lines.append(
            f"{len(self.claims)} claims: {counts['proved']} proved, {counts['refuted']} refuted, "
            f"{counts['not understood']} not understood (loss: {loss})"
        )
        return "\n".join(lines)


@dataclass
class Statement:
    line: int
    latex: str
    lhs: object  # notation level (from parse)
    rhss: list
    conditions: list = field(default_factory=list)  # notation-level relations (Rel objects)
    broken: str = ""  # why it could not be parsed
    span: tuple[int, int] = (0, 0)
    assumed: int = 0  # the line of a condition on a margin stated earlier in the same section
    inline: bool = False  # math inside a sentence ($c_i = 3$), not displayed


def verify_notes(text: str, *, tex: bool = False) -> NotesResult:
    """Verify every claim in a note (Markdown, or LaTeX with ``tex=True``): each is "proved",
    "refuted" (with a counterexample in the note's symbols) or "not understood" (with the reason).

    The loss and its conventions come from the note's own definitions (of L_i, the scores, W's
    shape, L); a claim's conditions from the equation or the sentence before it.
    """
    if not isinstance(text, str):
        raise InputError(f"a note is text, not {type(text).__name__}")
    ctx = Context()
    statements = _statements(scan(text, tex=tex))
    _pending_conditions(statements, _section_starts(text, tex))
    claims, setting = _classify(statements, ctx)
    bases = _display_bases(statements, ctx)
    results = []
    for c in claims:
        if c.decided is not None:
            c.decided.span = c.statement.span
            results.append(c.decided)
            continue
        at = replace(ctx, definitions=c.definitions, index_base=bases.get(c.statement.span))
        result = _verify(c.statement, at, c.setting)
        result.span = c.statement.span
        results.append(result)
    losses = list(dict.fromkeys(c.setting.loss for c in claims if c.setting.loss))
    if setting.loss and setting.loss not in losses:
        losses.append(setting.loss)
    return NotesResult(results, ", ".join(losses) or None, setting.describe())


def _display_bases(statements: list[Statement], ctx: Context) -> dict:
    """How each display counts concrete indices, where it shows it: from 0 when an index 0 appears,
    from 1 when an index equals a size the note states (s_3 with C = 3, L_2 with N = 2)."""
    sizes = {int(v) for name, (v, _line) in ctx.values.items() if name in ("N", "C") and isinstance(v, sp.Integer)}
    seen: dict = {}
    for s in statements:
        if s.broken or s.lhs is None:
            continue
        for x in [s.lhs, *s.rhss]:
            try:
                e = val(x)
            except (NotUnderstood, *_UNEXPECTED):
                continue
            if not isinstance(e, sp.Basic):
                continue
            for node in sp.preorder_traversal(e):
                if isinstance(node, sp.core.function.AppliedUndef):
                    numbers = {int(a) for a in node.args if isinstance(a, sp.Integer)}
                    if 0 in numbers:
                        seen.setdefault(s.span, set()).add(0)
                    if numbers & sizes:
                        seen.setdefault(s.span, set()).add(1)
    return {span: next(iter(b)) for span, b in seen.items() if len(b) == 1}


# ------------------------------------------------------------------ statements
_UNEXPECTED = (ArithmeticError, TypeError, ValueError, IndexError, KeyError, AttributeError, RecursionError)


def _unexpected(exc: Exception) -> str:
    return f"symderiv could not evaluate it ({type(exc).__name__}: {str(exc)[:80]})"


def _section_starts(text: str, tex: bool) -> list[int]:
    """Lines that start a section: Markdown headings and rules, LaTeX sectioning commands."""
    out = []
    for k, line in enumerate(text.split("\n"), start=1):
        t = line.strip()
        markdown_break = t.startswith("#") or t in ("---", "***", "___")
        if (not tex and markdown_break) or (tex and t.startswith(("\\section", "\\subsection"))):
            out.append(k)
    return out


def _pending_conditions(statements: list[Statement], sections: list[int]) -> None:
    """A derivation that states "if m > 0, then" goes on under that condition: remember, for each
    later statement of the same section, the line where such a condition was last stated."""
    pending = 0
    for s in statements:
        if any(k > pending for k in sections if k <= s.line):
            pending = 0
        if pending:
            s.assumed = pending
        if any(c.op in ("<", ">", "≤", "≥") for c in s.conditions):
            pending = s.line


def _statements(maths: list[Math]) -> list[Statement]:
    out: list[Statement] = []
    for m in maths:
        context = _context_conditions(m.context)
        try:
            rows = parse_rows(m.latex)
        except NotUnderstood as exc:
            if m.display or "=" in m.latex:
                broken = Statement(m.line, m.latex.strip(), None, [], context, broken=str(exc), span=(m.start, m.end))
                out.append(broken)
            continue
        rows = _join_continuations(rows, m.latex)
        offset = line_offset(m)
        first = len(out)
        prev_lhs = None
        for row in rows:
            src = m.latex[row.start : row.end].strip() if row.end > row.start else m.latex.strip()
            try:
                found, prev_lhs = _row_statements(row, prev_lhs)
            except NotUnderstood as exc:
                out.append(Statement(offset + row.line, src, None, [], context, broken=str(exc)))
                continue
            except _UNEXPECTED as exc:  # never a traceback for a note: the formula is not understood
                out.append(Statement(offset + row.line, src, None, [], context, broken=_unexpected(exc)))
                continue
            for lhs, rhss, conds in found:
                out.append(Statement(offset + row.line, src, lhs, rhss, [*context, *conds], inline=not m.display))
        for st in out[first:]:
            st.span = (m.start, m.end)
    return out


def _join_continuations(rows: list, latex: str) -> list:
    """An aligned row that only goes on with ``+ …`` or ``- …`` continues the row before it."""
    out: list = []
    for row in rows:
        src = latex[row.start : row.end]
        k = 0
        while k < len(src) and src[k] in " \t\n&":
            k += 1
        if src.startswith("\\quad", k):
            k += len("\\quad")
        while k < len(src) and src[k] in " \t\n":
            k += 1
        continues = k < len(src) and src[k] in "+-−" and not any(kind == "rel" for kind, _ in row.parts)
        if continues and out and out[-1].end > out[-1].start:
            prev = out[-1]
            joined = latex[prev.start : prev.end] + " " + src[k:]
            try:
                (merged,) = parse_rows(joined)
            except (NotUnderstood, ValueError):
                out.append(row)
                continue
            out[-1] = replace(merged, line=prev.line, start=prev.start, end=row.end)
            continue
        out.append(row)
    return out


def _last_sentence(prose: str) -> str:
    """The sentence an equation follows: back to a full stop (., 。, !, ?) or a table row's start."""
    k = len(prose)
    inside = False
    while k > 0:
        ch = prose[k - 1]
        if ch == "$":
            inside = not inside
        elif not inside:
            if ch in "。！？；":
                break
            if ch in ".!?" and k < len(prose) and prose[k] in " \n" and not prose[k - 2 : k - 1].isdigit():
                break
            if ch == "\n" and prose[k : k + 1] in ("|", "-", "*"):
                break
        k -= 1
    return prose[k:]


def _context_conditions(prose: str) -> list:
    """Conditions written before an equation: inline math such as $j \\ne y_i$, or plain "j≠y_i"
    (a sentence naming both cases, "j ≠ y_i and j = y_i", states no condition)."""
    prose = _last_sentence(prose)
    conds = []
    sources = [m.latex for m in scan(prose) if not m.display] + prose_runs(prose)
    for src in sources:
        try:
            rows = parse_rows(src)
        except NotUnderstood:
            continue
        for row in rows:
            parts = row.parts
            if len(parts) == 3 and parts[1][0] == "rel" and parts[1][1] in ("≠", "=", "<", ">", "≤", "≥"):
                a, b = parts[0][1], parts[2][1]
                if any(isinstance(x, Words | Split) for x in (a, b)):
                    continue
                if parts[1][1] in ("=", "≠") and not _looks_like_condition([a, b]):
                    continue
                conds.append(_Rel(parts[1][1], a, b))
    pairs = {(c.op, str(c.lhs), str(c.rhs)) for c in conds}
    return [c for c in conds if ({"=": "≠", "≠": "="}.get(c.op), str(c.lhs), str(c.rhs)) not in pairs]


def _Rel(op, a, b):
    return Rel(op, a, b)


def _row_statements(row, prev_lhs):
    """(lhs, [rhs…], conditions) for each chain of equalities in a row, and the row's first lhs."""
    segments: list[list] = [[]]
    conds: list = []  # conditions of the whole row (", j ≠ y_i")
    own: dict[int, list] = {}  # conditions written after one formula of the row ("… (j ≠ y_i)")
    for kind, p in row.parts:
        if kind == "sep":
            segments.append([])
            continue
        if kind == "rel" and p == "⇒":
            segments.append([])
            continue
        if kind == "expr":
            p, cond = _trailing_condition(p)
            if cond is not None:
                own.setdefault(len(segments) - 1, []).append(cond)
            while isinstance(p, Split):
                segments[-1].append(("expr", p.left))
                segments.append([])
                p = p.right
            if isinstance(p, tuple) and p and p[0] == "aligned":
                raise NotUnderstood("an aligned block inside a formula")
        segments[-1].append((kind, p))
    found = []
    first_lhs = prev_lhs
    for number, seg in enumerate(segments):
        seg = [(k, p) for k, p in seg if not (k == "expr" and _is_words(p))]
        if not seg:
            continue
        if seg[0][0] == "rel":
            if prev_lhs is None:
                continue
            seg = [("expr", prev_lhs), *seg]
        exprs = [p for k, p in seg[0::2]]
        rels = [p for k, p in seg[1::2]]
        if any(k != "expr" for k, _ in seg[0::2]) or any(k != "rel" for k, _ in seg[1::2]) or not rels:
            continue
        if len(exprs) != len(rels) + 1:
            raise NotUnderstood(f"a relation {rels[-1]} with nothing on its right")
        if rels == ["∈"]:
            found.append((exprs[0], ["∈", exprs[1]], []))
            continue
        if len(rels) == 1 and rels[0] in ("≠", "=", "<", ">", "≤", "≥") and _looks_like_condition(exprs):
            conds.append(_Rel(rels[0], exprs[0], exprs[1]))
            continue
        if all(r in ("=", ":=") for r in rels):
            found.append((exprs[0], exprs[1:], own.get(number, [])))
            if not found[:-1]:
                first_lhs = exprs[0]
        elif any(r in ("<", ">", "≤", "≥") for r in rels):
            conds.append(_Rel(rels[0], exprs[0], exprs[1]))
    return [(lhs, rhss, [*mine, *conds]) for lhs, rhss, mine in found], (
        first_lhs if first_lhs is not None else prev_lhs
    )


def _is_words(p) -> bool:
    return isinstance(p, Words) or (isinstance(p, Juxt) and all(isinstance(i, Words) for i in p.items))


def _trailing_condition(p):
    """``A (j ≠ y_i)`` → (A, j ≠ y_i)."""
    last = p.items[-1] if isinstance(p, Juxt) and p.items else None
    if (
        isinstance(last, Paren)
        and last.kind in ("cond", "paren")
        and len(last.items) == 1
        and isinstance(last.items[0], Rel)
    ):
        rest = p.items[:-1]
        return (Juxt(rest) if len(rest) != 1 else rest[0]), p.items[-1].items[0]
    return p, None


def _looks_like_condition(exprs) -> bool:
    """j ≠ y_i, v = y_i, k = j: both sides an index or a label."""
    try:
        a, b = (val(e) for e in exprs)
    except NotUnderstood:
        return False

    def index_like(x):
        if isinstance(x, sp.Symbol):
            return len(x.name) == 1 and x.name.islower()
        if isinstance(x, sp.core.function.AppliedUndef):
            return x.func.__name__ == "y" and len(x.args) == 1
        return isinstance(x, sp.Integer)

    return index_like(a) and index_like(b) and not (isinstance(a, sp.Integer) and isinstance(b, sp.Integer))


# ------------------------------------------------------------------ definitions and claims
@dataclass
class Setting:
    """The loss and conventions in force at a point of the note (a note may treat several losses)."""

    loss: str | None = None
    loss_from: str = "the note does not define L_i"
    delta: object = None
    layout: str = "XW"
    layout_from: str = "not stated; cs231n's X @ W assumed"
    layout_known: bool = False
    regularizer: str | None = None
    reduction: str | None = None
    conventions_from: str = "the note does not define L"
    sample_native: bool = False
    total_native: bool = False
    bias: bool = False  # the bias trick: a constant feature 1, W gains a row (column)
    bias_from: str = "not stated; no bias assumed"
    kink: object = 0  # 1[0], the value of the indicator at a kink: the note's, or the notes' usual 0
    kink_from: str = "not stated; 1[0] = 0 assumed"

    def describe(self) -> dict:
        return {
            "layout": self.layout if self.layout_known else None,
            "layout_from": self.layout_from,
            "delta": None if self.loss is None else ("Δ" if self.delta is None else str(self.delta)),
            "regularizer": self.regularizer,
            "reduction": self.reduction,
            "loss_from": self.loss_from,
            "conventions_from": self.conventions_from,
            "bias": self.bias,
            "bias_from": self.bias_from,
            "kink": str(self.kink),
            "kink_from": self.kink_from,
        }

    def options(self, layout: str | None = None) -> dict:
        return {"layout": layout or self.layout, "regularizer": self.regularizer or "l2",
                "reduction": self.reduction or "mean", "delta": self.delta, "kink": self.kink,
                "bias": self.bias}  # fmt: skip


@dataclass
class Claim:
    statement: Statement
    setting: Setting
    definitions: dict  # the note's definitions in force at the claim
    decided: ClaimResult | None = None  # a convention statement's verdict, decided while reading the note


def _classify(statements: list[Statement], ctx: Context) -> tuple[list[Claim], Setting]:
    """Walk the note in order: definitions go into ``ctx``, a definition of L_i that is a loss
    symderiv knows (or of L, with its conventions) sets the loss from there on; the rest are claims."""
    for s in statements:  # shapes and the scores' definition hold for the whole note
        if not s.broken and s.rhss[:1] == ["∈"]:
            _shape(ctx, [s.lhs, s.rhss[1]])
    for s in statements:  # x_iD = 1: the bias trick's constant feature
        if ctx.bias is None and not s.broken and len(s.rhss) == 1 and _constant_feature(s):
            ctx.bias, ctx.bias_from = True, f"x_iD = 1 (line {s.line}): the bias trick"
    st = Setting()
    if ctx.layout:
        st.layout, st.layout_from, st.layout_known = ctx.layout, ctx.layout_from, True
    if ctx.bias is not None:
        st.bias, st.bias_from = ctx.bias, ctx.bias_from
    kinks = _kink_statements(statements)
    if kinks:
        value, line = next(iter(kinks.values()))
        if isinstance(value, sp.Rational) and 0 <= value <= 1:
            st.kink, st.kink_from = value, f"1[0] = {value} (line {line})"
    claims: list[Claim] = []
    last = st
    pending_total: Statement | None = None
    labels: list[Claim] = []

    def claim(stmt):
        claims.append(Claim(stmt, st, dict(ctx.definitions)))

    for s in statements:
        if s.rhss[:1] == ["∈"]:
            continue
        if id(s) in kinks:
            claims.append(Claim(s, st, {}, _kink_verdict(s, kinks[id(s)], st)))
            continue
        if s.broken:
            claim(s)
            continue
        s.lhs = _dw(s.lhs)
        if _is_label_tuple(s):
            ctx.labels = tuple(int(i.text) for i in s.rhss[0].items)
            labels.append(Claim(s, st, {}))
            claims.append(labels[-1])
            continue
        try:
            v = val(s.lhs)
        except NotUnderstood as exc:
            s.broken = str(exc)
            claim(s)
            continue
        key = head(v) if not isinstance(v, Deriv) else None
        if key is not None and key[0] in SCORE_NAMES and key[1] <= 2:
            ctx.score_letter, ctx.sample_implicit = key[0], key[1] == 1
            if not st.layout_known:
                _layout_hint(ctx, s.rhss[0])
                if ctx.layout:
                    st = replace(st, layout=ctx.layout, layout_from=ctx.layout_from, layout_known=True)
            continue
        if key == ("L", 1):
            matched = _match_loss(s, ctx, st)
            if matched is not None and (matched.loss, matched.delta) == (st.loss, st.delta) and st.sample_native:
                matched = None  # the same loss again: a claim that the two agree
            if matched is not None:
                st = matched
                ctx.define("L", tuple(v.args), val(s.rhss[0]))
                ctx.definition_lines[key] = s.line
                ctx.definitions.pop(("L", 0), None)
                if len(s.rhss) > 1:
                    claim(replace(s, rhss=s.rhss[1:]))
                continue
        if key == ("L", 0) and st.loss is not None:
            matched = _match_conventions(s, ctx, st)
            if matched is not None:
                st = matched
                ctx.define("L", (), val(s.rhss[0]))
                if len(s.rhss) > 1:
                    claim(replace(s, rhss=s.rhss[1:]))
                continue
            pending_total = s  # it may use a name defined just after it (L = … + R(W), R(W) = …)
        if key is not None and key[1] == 0 and (key[0] in STATED or key[0] in hyperparameters()) and len(s.rhss) == 1:
            try:
                number = val(s.rhss[0])
            except NotUnderstood:
                number = None
            if isinstance(number, sp.Rational):  # "D = 3", "Δ = 1": a value the note works with, not a claim
                ctx.values[key[0]] = (number, s.line)
                continue
        if s.inline and _a_value(s, v, key, ctx):
            continue
        if _entrywise(s, v, ctx) or _implicit_entrywise(s, v, ctx):
            continue
        concrete = isinstance(v, sp.core.function.AppliedUndef) and any(isinstance(a, sp.Integer) for a in v.args)
        if concrete and key is not None and key not in ctx.definitions and _definable(v) and len(s.rhss) == 1 \
                and tuple(v.args) not in ctx.entries.get(key, {}):  # fmt: skip
            try:  # m_{0,2} = s_{0,2} − s_{0,1} + Δ: one entry, at concrete indices
                ctx.entries.setdefault(key, {})[tuple(v.args)] = val(s.rhss[0])
                continue
            except NotUnderstood:
                pass
        if concrete and key in ctx.entries and tuple(v.args) in ctx.entries[key] and len(s.rhss) == 1:
            try:
                again = val(s.rhss[0]) == ctx.entries[key][tuple(v.args)]
            except NotUnderstood:
                again = False
            if again:  # the same entry's definition, written again (the margins, before the route through them)
                claims.append(Claim(s, st, {}, ClaimResult(s.line, s.latex, "proved", "the note's definition of "
                                                           "this entry, written again")))  # fmt: skip
                continue
        if key is not None and key not in ctx.definitions and key not in ctx.entries and _definable(v):
            if _index_conditions(s):
                ctx.by_cases.add(key)  # one case of a definition by cases (p_j = 1 when j = y_i)
                continue
            params = tuple(v.args) if isinstance(v, sp.core.function.AppliedUndef) else ()
            try:
                body = val(s.rhss[0])
            except NotUnderstood as exc:
                s.broken = str(exc)
                claim(s)
                continue
            ctx.define(key[0], params, body)
            ctx.definition_lines[key] = s.line
            if pending_total is not None and key[0] != "L" and st.loss is not None and not st.total_native:
                matched = _match_conventions(pending_total, ctx, st)
                if matched is not None:
                    st = matched
                    pending_total = None
            if key == ("L", 1):
                st = replace(st, loss=None, sample_native=False,
                             loss_from=f"L_i (line {s.line}) is none of " + ", ".join(_losses()))  # fmt: skip
            if len(s.rhss) > 1:
                claim(replace(s, rhss=s.rhss[1:]))
            continue
        claim(s)
        last = st
    for c in labels:
        c.decided = _labels_verdict(c.statement, ctx)
    return claims, (st if st.loss else last)


# ------------------------------------------------------------------ convention statements
def _constant_feature(s: Statement) -> bool:
    """``x_{iD} = 1`` (or ``x_{Di} = 1``, ``X_{iD} = 1``): the feature D is the constant 1."""
    try:
        lhs, rhs = val(s.lhs), val(s.rhss[0])
    except NotUnderstood:
        return False
    return (rhs == 1 and isinstance(lhs, sp.core.function.AppliedUndef) and lhs.func.__name__ in ("x", "X")
            and len(lhs.args) == 2 and sp.Symbol("D") in lhs.args)  # fmt: skip


def _kink_statements(statements: list[Statement]) -> dict:
    """``1[0] = κ``: the note's value of the indicator at a kink, by statement (id → (value, line))."""
    out = {}
    for s in statements:
        if s.broken or len(s.rhss) != 1 or s.rhss[:1] == ["∈"]:
            continue
        try:
            lhs, rhs = val(s.lhs), val(s.rhss[0])
        except NotUnderstood:
            continue
        if isinstance(rhs, IndicatorAt):
            lhs, rhs = rhs, lhs
        if isinstance(lhs, IndicatorAt) and lhs.args[0] == 0 and rhs.is_number:
            out[id(s)] = (sp.nsimplify(rhs), s.line)
    return out


def _kink_verdict(s: Statement, stated: tuple, st: Setting) -> ClaimResult:
    """A kink convention is proved when it is one symderiv can derive with (1[0] ∈ [0, 1]: every such
    value gives a subgradient of max(0, m)) and the note's claims are derived with it; a second, different
    value is not understood (a contradiction, or a hypothesis: "with 1[0] = 1 the last maximiser …")."""
    value, line = stated
    if not (isinstance(value, sp.Rational) and 0 <= value <= 1):
        return ClaimResult(s.line, s.latex, "not understood",
                           f"1[0] = {value}: symderiv derives only with a value of 1[0] in [0, 1]")  # fmt: skip
    if value != st.kink:  # a second value: a contradiction, or a hypothesis ("with 1[0] = 1, …")
        return ClaimResult(s.line, s.latex, "not understood",
                           f"1[0] = {value}, while the note's kink convention is {st.kink_from}")  # fmt: skip
    return ClaimResult(s.line, s.latex, "proved", f"the kink convention: every claim is derived with 1[0] = {value} "
                       "(any value in [0, 1] gives a subgradient of max(0, m))")  # fmt: skip


def _is_label_tuple(s: Statement) -> bool:
    """``y = (1, 0)``: the labels of a note's example, a tuple of whole numbers."""
    if len(s.rhss) != 1 or not isinstance(s.rhss[0], Paren) or s.rhss[0].kind != "paren" or len(s.rhss[0].items) < 2:
        return False
    try:
        name = val(s.lhs)
    except NotUnderstood:
        return False
    return name == sp.Symbol("y") and all(isinstance(i, Digits) and i.text.isdigit() for i in s.rhss[0].items)


def _labels_verdict(s: Statement, ctx: Context) -> ClaimResult:
    """The labels of an example are a definition: proved when they fit the sizes the note gives (N labels,
    each a class of C, counted from 0 or from 1); refuted when they contradict them."""
    labels = [int(i.text) for i in s.rhss[0].items]
    sizes = {name: int(v) for name, (v, _line) in ctx.values.items() if name in ("N", "C")}
    problems = []
    if "N" in sizes and len(labels) != sizes["N"]:
        problems.append((f"{len(labels)} labels", f"N = {sizes['N']} samples"))
    if "C" in sizes and not (max(labels) < sizes["C"] or (min(labels) >= 1 and max(labels) <= sizes["C"])):
        problems.append((f"the label {max(labels)}", f"C = {sizes['C']} classes"))
    if problems:
        left, right = problems[0]
        return ClaimResult(s.line, s.latex, "refuted", f"{left} do not fit {right}",
                           {"where": {}, "values": {k: str(v) for k, v in sizes.items()}, "left": left, "right": right,
                            "sizes": {}})  # fmt: skip
    known = ", ".join(f"{k} = {v}" for k, v in sizes.items())
    return ClaimResult(s.line, s.latex, "proved", "the labels of the note's example" +
                       (f", consistent with {known}" if known else ""))  # fmt: skip


ENTRYWISE = set("MGABQ")  # capitals that name an N×C matrix defined entry by entry (M_ij = …)


def _entrywise(s: Statement, v, ctx: Context) -> bool:
    """Record ``M_{ij} = … (j ≠ y_i)`` or ``M_{iy_i} = …`` as one case of an entrywise definition."""
    if not (isinstance(v, sp.core.function.AppliedUndef) and len(v.args) == 2 and v.func.__name__ in ENTRYWISE):
        return False
    name = v.func.__name__
    cases = ctx.entrywise.get(name, [])
    if any(cond is None for cond, _ in cases):
        return False  # already defined for every entry: a later equation is a claim
    row, col = v.args
    if not isinstance(row, sp.Symbol):
        return False
    at = {row: ROW}
    cond = None
    if isinstance(col, sp.core.function.AppliedUndef) and col.func.__name__ == "y" and col.args == (row,):
        cond = sp.Eq(COL, sp.Function("y")(ROW), evaluate=False)
    elif isinstance(col, sp.Symbol):
        at[col] = COL
        mine = []
        for c in s.conditions:
            try:
                r = relational(c)
            except NotUnderstood:
                continue
            if col in r.free_symbols and _looks_like_condition([c.lhs, c.rhs]):
                mine.append(r.xreplace(at))
        cond = sp.And(*mine) if mine else None
    else:
        return False
    try:
        body = (s.rhss[0] if isinstance(s.rhss[0], sp.Basic) else val(s.rhss[0])).xreplace(at)
    except NotUnderstood:
        return False
    ctx.entrywise[name] = [*cases, (cond, body)]
    return True


def _implicit_entrywise(s: Statement, v, ctx: Context) -> bool:
    """``P_{ij} − Q_{ij} = …`` with Q defined nowhere else: the definition of Q, entry by entry."""
    if not isinstance(v, sp.Add) or len(s.rhss) != 1:
        return False
    unknown = [t for t in v.args if _entry_term(t, ctx) is not None]
    if len(unknown) != 1:
        return False
    coef, entry = _entry_term(unknown[0], ctx)
    try:
        body = (val(s.rhss[0]) - (v - unknown[0])) / coef
    except NotUnderstood:
        return False
    return _entrywise(replace(s, lhs=entry, rhss=[body]), entry, ctx)


def _entry_term(t, ctx: Context):
    """(±1, Q(i, j)) for a term ±Q_{ij} of a matrix the note has not defined, else None."""
    coef, rest = t.as_coeff_Mul()
    if coef not in (1, -1) or not (isinstance(rest, sp.core.function.AppliedUndef) and len(rest.args) == 2):
        return None
    name = rest.func.__name__
    if name not in ENTRYWISE or name in ctx.entrywise or (name, 2) in ctx.definitions:
        return None
    return coef, rest


def _index_conditions(s: Statement) -> bool:
    return any(c.op in ("=", "≠") and _looks_like_condition([c.lhs, c.rhs]) for c in s.conditions)


def _match_loss(s: Statement, ctx: Context, st: Setting) -> Setting | None:
    """The Setting for a definition of L_i that is a built-in loss (with Δ, or a margin of 1), else None."""
    v = val(s.lhs)
    trial = replace(ctx, definitions={k: d for k, d in ctx.definitions.items() if k[0] != "L"})
    try:
        r = resolve(val(s.rhss[0]), trial)
    except NotUnderstood:
        return None
    r = r.xreplace({v.args[0]: SAMPLE})
    deltas = [None] if r.has(DELTA) else [1]
    for loss in _losses():
        for delta in deltas:
            inst = Instance(derivation(loss, {"layout": st.layout, "delta": delta}), st.layout)
            if _same_everywhere(inst, r, lambda i, inst=inst: inst._samples[i]):
                return replace(st, loss=loss, delta=delta, sample_native=True, total_native=False,
                               loss_from=f"the definition of L_i (line {s.line})", regularizer=None, reduction=None,
                               conventions_from="the note does not define L")  # fmt: skip
    return None


def _match_conventions(s: Statement, ctx: Context, st: Setting) -> Setting | None:
    trial = _native(ctx, st)
    trial.definitions.pop(("L", 0), None)
    try:
        r = resolve(val(s.rhss[0]), trial)
    except NotUnderstood:
        return None
    for reduction in ("mean", "sum"):
        for regularizer in ("l2", "half-l2", "none"):
            opts = {**st.options(), "reduction": reduction, "regularizer": regularizer}
            assert st.loss is not None
            inst = Instance(derivation(st.loss, opts), st.layout)
            if _same_everywhere(inst, r, lambda _i, inst=inst: inst._full, samples=1):
                return replace(st, reduction=reduction, regularizer=regularizer, total_native=True,
                               conventions_from=f"the definition of L (line {s.line})")  # fmt: skip
    return None


STATED = ("Delta", "lambda", "N", "C", "D", "n", "m")
RESERVED = ("W", "X", "e", "Delta", "delta", "lambda", "N", "C", "D", "n", "m")  # "Δ = 1" is a value, not notation


def _a_value(s: Statement, v, key, ctx: Context) -> bool:
    """``$c_i = 3$`` in a sentence, for a name the note never defines ("the numerator-only shift by
    $c_i = 3$ gives …", "unless $c_i = 0$"): a value the prose works at, neither a definition nor a claim."""
    if key is None or key[0] in KNOWN_NAMES or key in ctx.definitions or len(s.rhss) != 1:
        return False
    if not (len(key[0]) == 1 and key[0].islower() and all(is_index(a) for a in getattr(v, "args", ()))):
        return False
    try:
        return isinstance(val(s.rhss[0]), sp.Number)
    except NotUnderstood:
        return False


def _definable(v) -> bool:
    if isinstance(v, sp.Symbol):
        return v.name not in RESERVED
    named = head(v)
    if (
        named is not None
        and named[0] in ("x", "X", "s", "S", "w", "W", "y")
        and any(isinstance(a, sp.Integer) or (isinstance(a, sp.Symbol) and a.name in STATED) for a in v.args)
    ):
        return False  # x_{iD} = 1, s_{i1} = …: a statement about one entry of a known quantity, not a definition
    return all(isinstance(a, sp.Symbol | sp.Integer) or head(a) is not None for a in v.args)


def _dw(lhs):
    """``dW`` is ∂L/∂W."""
    if isinstance(lhs, Juxt) and len(lhs.items) == 2 and lhs.items[0] == sp.Symbol("d"):
        w = lhs.items[1]
        if isinstance(w, sp.Symbol) and w.name == "W":
            return Deriv(sp.Symbol("L"), w)
    return lhs


def _layout_hint(ctx: Context, rhs) -> None:
    items = rhs.items if isinstance(rhs, Juxt) else (rhs,)
    try:
        first = val(items[0])
    except NotUnderstood:
        return
    name = head(first)
    if name is None:
        return
    if name[0] in ("x", "X"):
        ctx.layout, ctx.layout_from = "XW", "the scores' definition (x_i before W)"
    elif name[0] == "W":
        ctx.layout, ctx.layout_from = "WX", "the scores' definition (W before x_i)"


def _shape(ctx: Context, exprs) -> None:
    try:
        target, space = (val(e) for e in exprs)
    except NotUnderstood:
        return
    if not (isinstance(target, sp.Symbol) and target.name == "W"):
        return
    if isinstance(space, sp.core.function.AppliedUndef) and space.func.__name__ == "ℝ" and len(space.args) == 2:
        rows, cols = (str(a).replace(" ", "") for a in space.args)
        if rows.startswith("D") and cols == "C":
            ctx.layout, ctx.layout_from = "XW", "W ∈ ℝ^{D×C}"
        elif rows == "C" and cols.startswith("D"):
            ctx.layout, ctx.layout_from = "WX", "W ∈ ℝ^{C×D}"
        features = rows if ctx.layout_from.endswith("D×C}") else cols
        if features in ("D+1", "1+D") and ctx.bias is None:
            ctx.bias, ctx.bias_from = True, f"W ∈ ℝ^{{{rows}×{cols}}}: the bias trick"
        elif features == "D" and ctx.bias is None:
            ctx.bias, ctx.bias_from = False, f"W ∈ ℝ^{{{rows}×{cols}}}: no bias"


_DERIVATIONS: dict = {}


def derivation(loss: str, options: dict, y: tuple[int, ...] = LABELS, features: int = D) -> Derivation:
    """derive at the notes' small size (``features`` features), remembered."""
    key = (loss, tuple(sorted((k, str(v)) for k, v in options.items())), tuple(y), features)
    if key not in _DERIVATIONS:
        d = derive(loss, D=features, C=C, N=N, y=list(y),
                            all_labels=False, **options)  # fmt: skip
        register_symbols(d)
        _DERIVATIONS[key] = d
    return _DERIVATIONS[key]


def _same_everywhere(inst: Instance, note_expr, truth, samples: int | None = None) -> bool:
    for i in range(samples or inst.N):
        try:
            mine = inst.value(note_expr, {SAMPLE: i})
        except NotUnderstood:
            return False
        outcome = compare(inst, truth(i), mine, points=6, prove=False)
        if outcome.status == "refuted" or (outcome.status == "unknown" and "equal at" not in outcome.reason):
            return False
    return True


def _native(ctx: Context, st: Setting) -> Context:
    """``ctx`` where L_i (and L) stand for the derivation's own, once the note's definitions matched."""
    native = replace(ctx, definitions=dict(ctx.definitions))
    if st.sample_native:
        native.definitions.pop(("L", 1), None)
    if st.total_native:
        native.definitions.pop(("L", 0), None)
    return native


# ------------------------------------------------------------------ verifying one claim
def _verify(s: Statement, ctx: Context, st: Setting) -> ClaimResult:
    latex = s.latex
    if s.broken:
        return ClaimResult(s.line, latex, "not understood", s.broken)
    try:
        return _verify_claim(s, _native(ctx, st), st)
    except NotUnderstood as exc:
        return ClaimResult(s.line, latex, "not understood", str(exc))
    except _UNEXPECTED as exc:  # a reading symderiv cannot evaluate is never a refutation
        return ClaimResult(s.line, latex, "not understood", _unexpected(exc))


def _verify_claim(s: Statement, ctx: Context, st: Setting) -> ClaimResult:
    written = [val(x) for x in (s.lhs, *s.rhss)]
    heads = [head(node) for node in sp.preorder_traversal(sp.Tuple(*written))  # the scores' letter in the claim
             if isinstance(node, sp.core.function.AppliedUndef)]  # fmt: skip
    keys = [k for k in heads if k is not None and k[0] in SCORE_NAMES and k[1] in (1, 2)]
    if keys:  # s_ij anywhere in the claim: a single index on s is then a sample's (s_i, the vector)
        key = next((k for k in keys if k[1] == 2), keys[0])
        ctx = replace(ctx, score_letter=key[0], sample_implicit=key[1] == 1 and ctx.sample_implicit)
    lhs = resolve(written[0], ctx)
    conditions = []
    for c in s.conditions:
        try:
            r = resolve(relational(c), ctx)
        except NotUnderstood:
            continue  # prose that looked like a formula
        if is_index_condition(r) or r.has(Score):
            conditions.append(r)
    outcomes = []
    for rhs_written in written[1:]:
        rhs = resolve(rhs_written, ctx)
        if _plain_equation(lhs, rhs):
            raise NotUnderstood("an equation between plain values (s_j − s_{y_i} = −Δ): a condition, not an identity")
        count = _count_given_a_value(lhs, rhs)
        if count is not None:
            raise NotUnderstood(f"{count} is given a value here (\"let log C = …\"): a definition of {count}, "
                                f"or a claim about the count {count}?")  # fmt: skip
        outcomes.append(_check_pair(lhs, rhs, conditions, ctx, st))
    stated = ctx.values.get("Delta")
    if stated and st.delta is None and any(o.status == "refuted" for o, *_ in outcomes):
        # refuted for every Δ, but the note gives Δ a value: judge it at that value
        again = replace(s, conditions=s.conditions)
        result = _verify_claim(again, replace(ctx, values={}), replace(st, delta=stated[0]))
        if result.verdict == "proved":
            result.reason = f"for Δ = {stated[0]}, the value on line {stated[1]}; " + result.reason
        return result
    for o, env, inst, pair in outcomes:
        if o.status == "refuted":
            if s.assumed:
                return ClaimResult(s.line, s.latex, "not understood",
                                   f"false in general; it may rest on the condition on a margin stated before line "
                                   f"{s.assumed}, which symderiv does not carry over")  # fmt: skip
            try:
                example = _counterexample(o, env, inst, pair, ctx)
            except _UNEXPECTED:  # the refutation stands; only its rendering in the note's symbols failed
                example = {"where": {}, "values": {}, "left": str(o.left), "right": str(o.right), "sizes": {}}
            return ClaimResult(s.line, s.latex, "refuted", "the two sides differ", example)
    if all(o.status == "proved" for o, *_ in outcomes):
        reason = "; ".join(dict.fromkeys(o.reason for o, *_ in outcomes if o.reason))
        return ClaimResult(s.line, s.latex, "proved", reason)
    reasons = [o.reason for o, *_ in outcomes if o.status != "proved"]
    return ClaimResult(s.line, s.latex, "not understood", reasons[0])


def _count_given_a_value(lhs, rhs) -> str | None:
    """``log C = −max_j f_j``: one side holds nothing but a count (C, N, D) and numbers, the other the
    note's variables — the letter is being given a value, not the count stated."""
    for one, other in ((sp.sympify(lhs), sp.sympify(rhs)), (sp.sympify(rhs), sp.sympify(lhs))):
        counts = one.free_symbols & {COUNT_C, COUNT_N, COUNT_D}
        only_counts = bool(counts) and one.free_symbols == counts and not one.atoms(sp.core.function.AppliedUndef)
        if only_counts and (other.atoms(Score, Feature, Prob, Weight, SampleLoss) or other.has(TOTAL)):
            return str(next(iter(counts)))
    return None


def _plain_equation(lhs, rhs) -> bool:
    """Both sides polynomials of degree ≤ 1 in scores, features, weights or Δ, with no loss, sum,
    derivative or function in them: an equation that says where something is, not an identity."""
    pair = sp.Tuple(lhs, rhs)
    for one, other in ((lhs, rhs), (rhs, lhs)):
        if isinstance(one, Feature) and one.args[1] == COUNT_D and sp.sympify(other).is_number:
            return False  # x_iD = 1: the bias trick's constant feature, a claim about the data
    if any(pair.has(t) for t in (Deriv, SampleLoss, NoteSum, TOTAL)) or pair.atoms(sp.Function) - pair.atoms(
        Score, Feature, Prob, Weight, Label
    ):
        return False
    variables = pair.atoms(Score, Feature, Prob, Weight) | (pair.free_symbols & {DELTA})
    if not variables:
        return False
    try:
        return all(sp.Poly(side, *variables).total_degree() <= 1 for side in (lhs, rhs))
    except sp.PolynomialError:
        return False


def _check_pair(lhs, rhs, conditions, ctx: Context, st: Setting):
    """Check ``lhs = rhs`` at every case of its free indices; when W's shape matters and the note
    does not give it, in both layouts — and only a verdict both agree on stands."""
    claim = sp.Tuple(lhs, rhs)
    if st.layout_known or not any(claim.has(x) for x in (WMAT, XMAT, PMAT, YMAT, Weight)):
        return _readings(lhs, rhs, conditions, ctx, st, (st.layout,), "whether P and Y are N×C or C×N")
    return _readings(lhs, rhs, conditions, ctx, st, ("XW", "WX"), "W's shape (D×C or C×D)")


def _readings(lhs, rhs, conditions, ctx: Context, st: Setting, layouts, what: str):
    """Check the claim in every reading (layout, and P, Y as N×C or C×N under WX) that makes sense:
    a verdict stands only when every possible reading agrees."""
    results = []
    failures = []
    for layout in layouts:
        for class_rows in (False, True) if layout == "WX" and sp.Tuple(lhs, rhs).has(PMAT, YMAT) else (False,):
            try:
                results.append(_check_pair_in(lhs, rhs, conditions, ctx, replace(st, layout=layout), class_rows))
            except NotUnderstood as exc:  # this reading is impossible (an index both a class and a feature, shapes)
                failures.append(str(exc))
    if not results:
        raise NotUnderstood(failures[0])
    if len({r[0].status for r in results}) == 1:
        return results[0]
    raise NotUnderstood(f"{what}: the note does not say, and the claim holds in only one reading")


_INDEXED = (Score, Feature, Label, SampleLoss, Prob, WEntry, Weight, Entry, EntryRow, Sample, ClassWeights, ScoreVector)


def _index_numbers(claim, conds) -> set:
    """The concrete numbers a claim uses as indices (sample 1, s_3, y_1 = 2)."""
    numbers = set()
    for node in sp.preorder_traversal(claim):
        if isinstance(node, _INDEXED):
            numbers |= {int(a) for a in node.args if isinstance(a, sp.Integer)}
    for c in conds:
        if isinstance(c, sp.Eq):
            numbers |= {int(a) for a in c.args if isinstance(a, sp.Integer)}
            numbers |= {int(a.args[0]) for a in c.args if isinstance(a, Label) and isinstance(a.args[0], sp.Integer)}
    return numbers


def _from_one(e):
    """The claim with its concrete indices counted from 0 (the note counts from 1: sample 1, s_1 … s_C)."""
    if not isinstance(e, sp.Basic) or e.is_Atom:
        return e
    args = [_from_one(a) for a in e.args]
    if isinstance(e, _INDEXED):
        args = [a - 1 if isinstance(a, sp.Integer) else a for a in args]
    elif isinstance(e, DefinedVar):
        args[3] = sp.Tuple(*(a - 1 if isinstance(a, sp.Integer) else a for a in args[3]))
    elif isinstance(e, sp.Eq | sp.Ne) and any(isinstance(a, Label) for a in e.args):
        args = [a - 1 if isinstance(a, sp.Integer) else a for a in args]
    return e.func(*args)


def _one_sample(lhs, rhs):
    """A claim about "sample 1, whose scores we write s_1, …, s_C and whose loss is L_1": the loss
    of one concrete sample reads the scores it leaves without a sample index as that sample's."""
    pair = sp.Tuple(lhs, rhs)
    samples = {a.args[0] for a in pair.atoms(SampleLoss) if isinstance(a.args[0], sp.Integer)}
    if len(samples) != 1 or any(not isinstance(a.args[0], sp.Integer) for a in pair.atoms(SampleLoss)):
        return lhs, rhs
    if SAMPLE not in pair.free_symbols:
        return lhs, rhs
    (n,) = samples
    return lhs.xreplace({SAMPLE: n}), rhs.xreplace({SAMPLE: n})


def _check_pair_in(lhs, rhs, conditions, ctx: Context, st: Setting, class_rows: bool = False):
    """Concrete indices (sample 1, s_3, y_1 = 2) are read counting from 0 when a 0 shows it, else in
    both ways: a verdict stands when the readings that make sense agree (the note's sizes rule out
    s_3 as a 0-based class of C = 3)."""
    layout = st.layout
    feature = FEATURE
    if isinstance(lhs, Deriv) and isinstance(lhs.args[1], Weight):
        a, b = lhs.args[1].args
        feature = a if layout == "XW" else b
    vectors = sp.Tuple(lhs, rhs).has(ScoreVector, EntryRow) or (isinstance(lhs, Deriv) and lhs.args[1] == WMAT)
    claim = sp.Tuple(components(lhs, layout, feature, vectors), components(rhs, layout, feature, vectors))
    numbers = _index_numbers(claim, conditions)
    if not numbers or 0 in numbers:
        return _check_pair_at(lhs, rhs, conditions, ctx, st, class_rows, 0)
    results, failures = [], []
    for base in (1, 0) if ctx.index_base is None else (ctx.index_base,):
        try:
            results.append(_check_pair_at(lhs, rhs, conditions, ctx, st, class_rows, base))
        except NotUnderstood as exc:
            failures.append(str(exc))
        except (IndexError, ValueError) as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
    if not results:
        raise NotUnderstood(failures[0])
    if len({r[0].status for r in results}) == 1:
        return results[0]
    raise NotUnderstood("concrete indices: the note does not say whether it counts from 0 or from 1, and the "
                        "claim holds in only one reading")  # fmt: skip


def _check_pair_at(lhs, rhs, conditions, ctx: Context, st: Setting, class_rows: bool, base: int):
    layout = st.layout
    feature = FEATURE
    if isinstance(lhs, Deriv) and isinstance(lhs.args[1], Weight):
        a, b = lhs.args[1].args
        feature = a if layout == "XW" else b  # ∂L_i/∂w_uv = … x_i reads x_i as its u-th entry x_iu
    vectors = sp.Tuple(lhs, rhs).has(ScoreVector, EntryRow) or (isinstance(lhs, Deriv) and lhs.args[1] == WMAT)
    lhs_c, rhs_c = components(lhs, layout, feature, vectors), components(rhs, layout, feature, vectors)
    lhs_c, rhs_c = _one_sample(lhs_c, rhs_c)
    stated = {a.args[0] for c in conditions if isinstance(c, sp.Eq) for a in c.args if isinstance(a, Label)}
    if ctx.labels and _index_numbers(sp.Tuple(lhs_c, rhs_c), []):
        # a claim at concrete samples: the labels of the note's example (y = (2, 1)) where it states none
        conditions = [*conditions, *(sp.Eq(Label(sp.Integer(k + base)), sp.Integer(v), evaluate=False)
                                     for k, v in enumerate(ctx.labels)
                                     if sp.Integer(k + base) not in stated)]  # fmt: skip
    if base == 1:
        lhs_c, rhs_c = _from_one(lhs_c), _from_one(rhs_c)
        conditions = [_from_one(c) for c in conditions]
    claim = sp.Tuple(lhs_c, rhs_c)
    free = free_indices(claim)
    both = free & bound_indices(claim)
    if both:
        name = ", ".join(sorted(str(b) for b in both))
        raise NotUnderstood(f"{name} is both free and summed over")
    conds = []
    for c in conditions:
        if is_index_condition(c):
            if free_indices(c) <= free:
                conds.append(c)
        elif free_indices(c) <= free | {SAMPLE}:
            raise NotUnderstood(f"a claim under the condition {_show(c, ctx)} (symderiv checks claims that hold "
                                "everywhere, or for index cases)")  # fmt: skip
    role = roles(sp.Tuple(lhs_c, rhs_c, *conds), layout)
    if FEATURE in free:
        role[FEATURE] = "feature"
    unplaced = [x for x in free if x not in role]
    inst = Instance(_derivation_for(claim, st, _labels(claim, conds, based=base == 1), _features(claim, ctx)),
                    layout, ctx)  # fmt: skip
    inst.class_rows = class_rows
    inst.free_reals = set(unplaced)  # letters the note gives no role: the claim must hold for every value
    free = free - inst.free_reals
    order = sorted(free, key=lambda x: str(x))
    checked = 0
    result = None
    # a class index with no condition at all: notes write "v ≠ y_i" and "v = y_i" as two claims, so a
    # formula that fails only where v = y_i is ambiguous, not wrong
    open_classes = [x for x in order if role[x] == "class" and not any(x in c.free_symbols for c in conds)]
    only_at_label = None
    for values in itertools.product(*(range(inst.size(role[x])) for x in order)):
        env = dict(zip(order, values, strict=True))
        if not all(inst._truth(c, env) for c in conds):
            continue
        checked += 1
        outcome = decide(inst, lhs_c, rhs_c, env)
        if outcome.status == "refuted" and unplaced:
            raise NotUnderstood(f"what {unplaced[0]} is: the claim does not hold for every value of it")
        if outcome.status == "refuted" and claim.has(Unknown):
            name = next(iter(claim.atoms(Unknown))).args[0]
            raise NotUnderstood(f"what {name} is: the note does not define it, and the claim does not hold for "
                                "every value of it")  # fmt: skip
        if outcome.status == "refuted":
            at_label = [x for x in open_classes if _is_label_class(inst, env, x, role)]
            if at_label:
                only_at_label = only_at_label or (at_label[0], outcome, env)
                continue
            return outcome, env, inst, (lhs_c, rhs_c)
        if outcome.status != "proved" and result is None:
            result = outcome
    if checked == 0:
        raise NotUnderstood("no case of the indices satisfies the claim's conditions")
    if only_at_label is not None:
        x = only_at_label[0]
        if result is None:
            raise NotUnderstood(f"whether the claim includes {x} = y_i: it holds for {x} ≠ y_i and fails for "
                                f"{x} = y_i, and the note states no condition on {x}")  # fmt: skip
        raise NotUnderstood(f"whether the claim includes {x} = y_i (it fails there; no condition is stated)")
    if result is not None:
        return result, {}, inst, (lhs_c, rhs_c)
    where = f"at N = {inst.N}, C = {inst.C}, D = {inst.D}, labels y = ({', '.join(str(v + 1) for v in inst.y)})"
    return Outcome("proved", f"{checked} index case{'s' if checked != 1 else ''} {where}"), {}, inst, None


def _is_label_class(inst: Instance, env: dict, x, role: dict) -> bool:
    samples = [env[s] for s in env if role.get(s) == "sample"]
    if SAMPLE not in env and not samples:
        samples = list(range(inst.N))
    return any(inst.y[i] == env[x] for i in samples)


def _labels(claim, conds, based: bool = False) -> tuple[int, ...]:
    """The labels of the small derivation; a claim about concrete indices ("sample 0, label y_0 = 1")
    gets those labels. Numbers as indices count from 0 — only when a 0 shows it, or ``based`` (the
    claim was already brought to count from 0)."""
    numbers = _index_numbers(claim, conds)
    if numbers and 0 not in numbers and not based:
        raise NotUnderstood("concrete indices: does the note count from 0 or from 1?")
    y = list(LABELS)
    for c in conds:
        if isinstance(c, sp.Eq):
            a, b = c.args
            if isinstance(b, Label):
                a, b = b, a
            if isinstance(a, Label) and isinstance(a.args[0], sp.Integer) and isinstance(b, sp.Integer):
                sample, label = int(a.args[0]), int(b)
                if not (0 <= sample < N and 0 <= label < C):
                    raise NotUnderstood(f"y_{sample} = {label} is outside symderiv's check (N = 2, C = 3)")
                y[sample] = label
    return tuple(y)


def _features(claim, ctx: Context) -> int:
    """The check's number of features: the note's own D for a claim at concrete indices (the matrix of
    ∂L_0/∂w_uv written out at D = 3), else symderiv's small D."""
    stated = ctx.values.get("D", (None, 0))[0]
    if _index_numbers(claim, []) and isinstance(stated, sp.Integer) and D < stated <= 4:
        return int(stated)
    return D


def _derivation_for(claim, st: Setting, y: tuple[int, ...] = LABELS, features: int = D) -> Derivation:
    needs_loss = claim.has(SampleLoss) or claim.has(TOTAL)
    if needs_loss and st.loss is None:
        raise NotUnderstood(f"which loss L_i is: {st.loss_from}")
    if claim.has(TOTAL) and st.reduction is None:
        raise NotUnderstood(f"L's regularizer and averaging: {st.conventions_from}")
    loss = st.loss or "hinge"
    return derivation(loss, st.options(), y, features)


# ------------------------------------------------------------------ counterexamples in the note's symbols
def _counterexample(o: Outcome, env: dict, inst: Instance, pair, ctx: Context) -> dict:
    d = inst.d
    point = o.point or {}

    def value(e):
        e = sp.sympify(e)
        v = e.xreplace(point)
        if v.free_symbols:
            v = d.in_weights(e).xreplace(point)
        return v

    def at(e):
        return _num(value(e))

    entry = None
    left, right = o.left, o.right
    if isinstance(left, sp.MatrixBase) and isinstance(right, sp.MatrixBase):  # the first entry that differs
        for (r, c), a in zip(((r, c) for r in range(left.rows) for c in range(left.cols)), left, strict=True):
            b = right[r, c]
            gap = sp.N(value(a) - value(b), 30)
            if gap.is_number and abs(gap) > 1e-20:
                u, vv = (r, c) if inst.layout == "XW" else (c, r)
                entry, left, right = f"∂/∂w_{{{u + 1}{vv + 1}}} (W is {left.rows}×{left.cols})", a, b
                break

    where = {}
    for sym, index in sorted(env.items(), key=lambda kv: str(kv[0])):
        name = "u" if sym == FEATURE else str(sym)
        where[name] = index + 1 if sym != ANY_TRUTH else index  # indices count from 1, a truth value is 0 or 1
        if sym == SAMPLE or (pair and any(isinstance(n, Label) and n.args[0] == sym
                                          for n in sp.preorder_traversal(sp.Tuple(*pair)))):  # fmt: skip
            where[f"y_{name}"] = inst.y[index] + 1
    values = {}
    if pair:
        for node in sp.preorder_traversal(sp.Tuple(*pair)):
            if not isinstance(node, Score | Feature | Prob):
                continue
            if not _bound_inside(node, pair):
                try:
                    values[_show(node, ctx)] = at(inst.value(node, env))
                except NotUnderstood:
                    continue
            elif isinstance(node, Score) and not (free_indices(node.args[0]) - set(env)):
                i = int(inst.value(node.args[0], env))  # a sum over classes: every score of sample i
                for k in range(inst.C):
                    letter = ctx.score_letter
                    name = f"{letter}_{k + 1}" if ctx.sample_implicit else f"{letter}_{{{i + 1},{k + 1}}}"
                    values[name] = at(d.S[i, k])
            elif isinstance(node, Score):  # a sum over samples: every score
                for i in range(inst.N):
                    for k in range(inst.C):
                        values[f"{ctx.score_letter}_{{{i + 1},{k + 1}}}"] = at(d.S[i, k])
            elif isinstance(node, Feature) and not (free_indices(node.args[1]) - set(env)):
                u = int(inst.value(node.args[1], env))
                for i in range(inst.N):
                    values[f"x_{{{i + 1},{u + 1}}}"] = at(inst.feature(i, u))
    for count, name, size in ((COUNT_N, "N", inst.N), (COUNT_C, "C", inst.C), (COUNT_D, "D", inst.D)):
        if pair and sp.Tuple(*pair).has(count):
            values[name] = str(size)
    if pair and isinstance(pair[0], Deriv) and pair[0].args[0] == TOTAL and isinstance(pair[0].args[1], WEntry):
        u, v = (int(inst.value(x, env)) for x in pair[0].args[1].args)  # the regularizer's part of the truth
        name = f"w_{{{u + 1}{v + 1}}}" if inst.layout == "XW" else f"w_{{{v + 1}{u + 1}}}"
        values[name] = at(inst.weight(u, v))
    for sym, name in ((d.delta, "Δ"), (d.lam, "λ")):
        if sym in point and (name == "Δ" or (pair and sp.Tuple(*pair).has(TOTAL))):
            values[name] = _num(point[sym])
    if entry:
        where["entry"] = entry
    return {"where": where, "values": values, "left": at(left), "right": at(right),
            "sizes": {"N": inst.N, "C": inst.C, "D": inst.D}}  # fmt: skip


def _bound_inside(node, pair) -> bool:
    return bool(free_indices(node) & bound_indices(sp.Tuple(*pair)))


def _num(v) -> str:
    v = sp.sympify(v)
    if v.is_Rational:
        return str(v)
    if v.is_number:
        return str(sp.N(v, 12))
    return sp.sstr(v)


def _idx(x) -> str:
    if isinstance(x, Label):
        return f"y_{_idx(x.args[0])}"
    if x == FEATURE:
        return "u"
    return str(x)


def _show(e, ctx: Context) -> str:
    """An object in the note's notation: s_j, s_{y_i}, x_{iu}, w_{uv}, p_j."""
    if isinstance(e, Score):
        i, j = e.args
        letter = ctx.score_letter
        if i == SAMPLE and ctx.sample_implicit:
            return f"{letter}_{_brace(_idx(j))}"
        return f"{letter}_{{{_idx(i)}{_idx(j)}}}"
    if isinstance(e, Prob):
        return f"p_{_brace(_idx(e.args[1]))}"
    if isinstance(e, Feature):
        return f"x_{{{_idx(e.args[0])}{_idx(e.args[1])}}}"
    if isinstance(e, WEntry):
        return f"w_{{{_idx(e.args[0])}{_idx(e.args[1])}}}"
    if isinstance(e, Relational):
        return f"{_plain(e.lhs, ctx)} {_REL_TEXT.get(type(e), '?')} {_plain(e.rhs, ctx)}"
    return sp.sstr(e)


_REL_TEXT = {sp.StrictGreaterThan: ">", sp.GreaterThan: "≥", sp.StrictLessThan: "<", sp.LessThan: "≤",
             sp.Equality: "=", sp.Unequality: "≠"}  # fmt: skip


def _plain(e, ctx) -> str:
    reps = {}
    for node in sp.preorder_traversal(e):
        if isinstance(node, Score | Prob | Feature | WEntry):
            reps[node] = sp.Symbol(_show(node, ctx))
        elif isinstance(node, Label):
            reps[node] = sp.Symbol(_idx(node))
    reps[DELTA] = sp.Symbol("Δ")
    return sp.sstr(e.xreplace(reps))


def _brace(s: str) -> str:
    return s if len(s) == 1 else "{" + s + "}"


__all__ = ["ClaimResult", "NotesResult", "verify_notes", "COUNT_C", "COUNT_D"]
