"""LaTeX math of gradient notes → SymPy, with the grammar in ``grammar.lark`` (Lark, LALR).

The transformer builds *notation-level* expressions: a subscripted letter is an undefined SymPy
function of its indices (``s_{y_i}`` → ``s(y(i))``, ``x^{(i)}`` → ``x(i)``, ``W_{k,l}`` →
``W(k, l)``), indicators, max(0, ·), sums and derivatives are objects of :mod:`.objects`. What the
names mean (a score, a label, a weight) is decided later, by :mod:`.meaning`, from the note's own
definitions. A construct the grammar reads but the meaning cannot carry raises
:class:`NotUnderstood` with the token.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sympy as sp
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from .objects import (
    PLACEHOLDER,
    Deriv,
    ElidedMatrix,
    Indicator,
    IndicatorAt,
    NoteArgmax,
    NoteMatrix,
    NoteMax,
    NoteMaxOver,
    NoteNorm,
    NoteSum,
    Tr,
)

_RELATIONS = {
    "=": "=", "\\gt": ">", "\\lt": "<",
    "\\ne": "≠", "\\neq": "≠", "≠": "≠", "<": "<", ">": ">", "\\le": "≤", "\\leq": "≤", "≤": "≤",
    "\\leqslant": "≤", "\\ge": "≥", "\\geq": "≥", "≥": "≥", "\\geqslant": "≥", "\\in": "∈", "∈": "∈",
    "\\notin": "∉", "\\approx": "≈", "\\equiv": "=", "\\triangleq": ":=", "\\coloneqq": ":=", ":=": ":=",
    "\\propto": "∝",
}  # fmt: skip
_IMPLIES = {"\\Rightarrow", "\\Leftrightarrow", "\\implies", "\\iff", "\\to", "⇒", "→", "\\Longrightarrow"}
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "Δ": "Delta", "ε": "epsilon", "η": "eta",
    "θ": "theta", "κ": "kappa", "λ": "lambda", "Λ": "Lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi",
    "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Ω": "Omega",
}  # fmt: skip
ONE = sp.Symbol("𝟙")  # the indicator's name: 1, \mathbb{1}, \mathbf{1}, I, \mathbb{I}
E = sp.Symbol("e")


SCALAR_CAPITALS = set("NCDLRKTHIFEJ")


def letter_symbol(name: str) -> sp.Symbol:
    """A letter as written; capitals other than counts and L, R are matrices (non-commutative)."""
    if name.isupper() and name not in SCALAR_CAPITALS:
        return sp.Symbol(name, commutative=False)
    return sp.Symbol(name)


class NotUnderstood(Exception):
    """A formula symderiv reads but cannot give a meaning to; the message names the token."""


# ------------------------------------------------------------------ markers between rules
@dataclass(frozen=True)
class Rel:
    """``lhs op rhs`` with op one of = ≠ < > ≤ ≥ ∈ ∉ ≈ := ⇒ ∝."""

    op: str
    lhs: object
    rhs: object


@dataclass(frozen=True)
class Words:
    text: str


@dataclass(frozen=True)
class Juxt:
    """Factors written side by side, in their order (kept for subscripts such as w_{uv})."""

    items: tuple


@dataclass(frozen=True)
class Paren:
    items: tuple  # the comma/semicolon-separated arguments inside ( ), [ ] or \{ \}
    kind: str


@dataclass(frozen=True)
class Op:
    """An operator waiting for its operand: ∂ alone, ∂/∂x, ∇_x."""

    kind: str  # "partial", "d/dx", "nabla"
    wrt: object = None


@dataclass(frozen=True)
class Split:
    """Prose inside a formula that separates two formulas: ``A \\quad\\text{or}\\quad B``."""

    left: object
    right: object


@dataclass(frozen=True)
class Cases:
    rows: tuple  # (value, condition or None for "otherwise")


@dataclass(frozen=True)
class Row:
    """One line of a display: its parts, relations and separators in order, its line (1-based,
    within the formula) and its source text."""

    parts: tuple
    line: int
    start: int = 0
    end: int = 0
    amps: tuple = ()  # where each & stood: the number of parts before it (a matrix's cells)


@dataclass(frozen=True)
class Times:
    """``a \\times b``, kept in order (ℝ^{D×C} tells the shape)."""

    items: tuple


@dataclass(frozen=True)
class ParenPow:
    """``(a, b)^e``: only a function's arguments, as in ``\\max(0, m)^2``."""

    args: Paren
    exponent: object


@dataclass(frozen=True)
class Digits:
    text: str


@dataclass(frozen=True)
class Dots:
    """``\\cdots``, ``\\dots``, …: an elided run of entries, read only inside a matrix or a list."""

    text: str


def elided(cells: list[list], what: str) -> sp.Basic:
    """A matrix (or a list) written out: ``[[a, …], …]`` with elided runs (``\\cdots``, ``\\vdots``,
    ``\\ddots``) between entries that follow one index pattern, e.g. ``∂L_i/∂s_{i1} & \\cdots & ∂L_i/∂s_{iC}``
    (columns 1 … C) or ``w_{11} & \\cdots & w_{1C} \\\\ \\vdots \\\\ w_{D1} & \\cdots & w_{DC}``. Without
    elisions, the entries themselves. The pattern comes from the first and last entries: where they differ,
    1 runs to a count (C, D, N) or a number."""
    rows = [[c for c in line if not isinstance(c, Dots)] for line in cells]
    rows = [r for r in rows if r]
    if not rows:
        raise NotUnderstood(f"{what} with nothing in it")
    if not any(isinstance(c, Dots) for line in cells for c in line):
        if len({len(r) for r in rows}) != 1:
            raise NotUnderstood(f"{what} with rows of different lengths")
        return NoteMatrix(sp.Integer(len(rows)), sp.Integer(len(rows[0])), *(val(c) for r in rows for c in r))
    first, last = val(rows[0][0]), val(rows[-1][-1])
    row_end, col_end = val(rows[-1][0]), val(rows[0][-1])
    runs = []
    for a, b in ((first, row_end), (first, col_end)):
        diff = _differences(a, b)
        if len({pair for _path, pair in diff}) > 1:
            raise NotUnderstood(f"{what}: the entries change in more than one index along a row or a column")
        runs.append(([path for path, _pair in diff], diff[0][1]) if diff else None)
    if runs[0] is None and len(rows) > 1 or runs[1] is None and len(rows[0]) > 1 and len(cells[0]) > 1:
        raise NotUnderstood(f"{what}: no index pattern between its first and last entries")
    generic = first
    limits = []
    for run, var in zip(runs, (ROW_INDEX, COL_INDEX), strict=True):
        if run is None:
            limits += [sp.Integer(1), sp.Integer(1)]
            continue
        paths, (start, end) = run
        if start != 1:
            raise NotUnderstood(f"{what}: an elided run that does not start at 1")
        for path in paths:
            generic = _replace_at(generic, path, var)
        limits += [start, end]
    if _differences(generic.xreplace({ROW_INDEX: limits[1], COL_INDEX: limits[3]}), last):
        raise NotUnderstood(f"{what}: its last entry does not follow the pattern of the first")
    return ElidedMatrix(generic, *limits)


ROW_INDEX, COL_INDEX = sp.Symbol("r⋯"), sp.Symbol("c⋯")  # the running indices of an elided matrix


def _differences(a: sp.Basic, b: sp.Basic, path: tuple = ()) -> list:
    """Where two expressions of the same shape differ: [(path, (a's leaf, b's leaf))]."""
    if a == b:
        return []
    if a.func == b.func and len(a.args) == len(b.args) and a.args and not a.is_Atom:
        out = []
        for k, (x, y) in enumerate(zip(a.args, b.args, strict=True)):
            out += _differences(x, y, (*path, k))
        return out
    if isinstance(a, sp.Integer) and isinstance(b, sp.Integer | sp.Symbol):
        return [(path, (a, b))]
    raise NotUnderstood("the entries of a matrix written out follow no index pattern")


def _replace_at(e: sp.Basic, path: tuple, new: sp.Basic) -> sp.Basic:
    if not path:
        return new
    args = list(e.args)
    args[path[0]] = _replace_at(args[path[0]], path[1:], new)
    return e.func(*args, evaluate=False) if isinstance(e, sp.Add | sp.Mul | sp.Pow) else e.func(*args)


def val(x: object) -> sp.Expr:
    """The SymPy value of a transformed node."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, Digits):
        return sp.Integer(x.text) if "." not in x.text else sp.Rational(x.text)
    if isinstance(x, Juxt):
        return _product(list(x.items))
    if isinstance(x, Paren):
        if len(x.items) != 1:
            raise NotUnderstood(f"a tuple of {len(x.items)} items")
        inner = x.items[0]
        if isinstance(inner, Rel):
            raise NotUnderstood("a relation inside a formula")
        return val(inner)
    if isinstance(x, Words):
        raise NotUnderstood(f"the words {x.text!r} inside a formula")
    if isinstance(x, Op):
        raise NotUnderstood("an operator (∂, ∇) with nothing to act on")
    if isinstance(x, Split):
        raise NotUnderstood("prose inside a formula")
    if isinstance(x, Cases):
        return _cases(x)
    if isinstance(x, Rel):
        raise NotUnderstood(f"a relation {x.op} inside a formula")
    if isinstance(x, SlashOver):
        raise NotUnderstood("a derivative ∂…/∂ without its variable")
    if isinstance(x, Dots):
        raise NotUnderstood(f"{x.text} (an elided pattern)")
    if isinstance(x, Times):
        out = sp.Integer(1)
        for item in x.items:
            out = out * val(item)
        return out
    if isinstance(x, int):
        return sp.Integer(x)
    raise NotUnderstood(f"{x!r}")


def _cases(c: Cases) -> sp.Expr:
    pieces = []
    for value, cond in c.rows:
        pieces.append((val(value), cond if cond is not None else sp.true))
    return sp.Piecewise(*[(v, _condition(cond)) for v, cond in pieces], evaluate=False)


def _condition(cond: object) -> sp.Basic:
    if cond is sp.true:
        return sp.true
    if isinstance(cond, Rel):
        return relational(cond)
    raise NotUnderstood("a case without a condition")


def relational(r: Rel) -> sp.Basic:
    """A SymPy relational for ``r`` (unevaluated)."""
    a, b = val(r.lhs), val(r.rhs)
    make = {"=": sp.Eq, "≠": sp.Ne, "<": sp.Lt, ">": sp.Gt, "≤": sp.Le, "≥": sp.Ge}.get(r.op)
    if make is None:
        raise NotUnderstood(f"the relation {r.op} in a condition")
    return make(a, b, evaluate=False)


def _product(items: list) -> sp.Expr:
    """Side-by-side factors: ∂ and ∇ act on what follows; words at either end are dropped."""
    while items and isinstance(items[0], Words):
        items = items[1:]
    while items and isinstance(items[-1], Words):
        items = items[:-1]
    if not items:
        raise NotUnderstood("words only")
    for k, item in enumerate(items):
        if isinstance(item, Words):
            raise NotUnderstood(f"the words {item.text!r} inside a formula")
        if isinstance(item, Op):
            rest = items[k + 1 :]
            if not rest:
                raise NotUnderstood("an operator (∂, ∇) with nothing to act on")
            head = _product(items[:k]) if k else sp.Integer(1)
            operand = _product(rest)
            if item.kind == "partial":
                raise NotUnderstood("∂ outside a fraction")
            return head * Deriv(operand, item.wrt)
    out = sp.Integer(1)
    for item in items:
        out = out * val(item)
    return out


def _index_items(x: object) -> list:
    """The indices written in a subscript: ``{ij}`` → [i, j], ``{uy_i}`` → [u, y(i)], ``{k,l}``."""
    if isinstance(x, Paren) and x.kind == "group":
        out = []
        for item in x.items:
            out += _index_items(item)
        return out
    if isinstance(x, Juxt):
        out = []
        for item in x.items:
            out += _index_items(item)
        return out
    if isinstance(x, Digits):
        return [sp.Integer(int(ch)) for ch in x.text] if "." not in x.text else [val(x)]
    if isinstance(x, Words):
        return [sp.Symbol(x.text.strip())]
    if isinstance(x, Rel):
        return [x]
    return [val(x)]


def _name(base: object) -> str | None:
    if isinstance(base, sp.Symbol):
        return base.name
    return None


def _subscripted(base: object, sub: object) -> object:
    if isinstance(base, Op) and base.kind == "nabla" and base.wrt is None:
        idx = _index_items(sub)
        if len(idx) != 1:
            raise NotUnderstood("∇ with more than one subscript")
        return Op("nabla", idx[0])
    if isinstance(sub, Paren) and sub.kind == "group" and len(sub.items) == 1 and isinstance(sub.items[0], Words):
        name = _name(val(base))
        if name:
            return sp.Symbol(f"{name}_{sub.items[0].text.strip()}")  # L_{\text{data}}
    indices = _index_items(sub)
    if any(isinstance(i, Rel) for i in indices):
        raise NotUnderstood("a relation in a subscript")
    b = val(base)
    if isinstance(b, sp.Symbol):
        if b == ONE:
            raise NotUnderstood("a subscript on the indicator 1")
        return sp.Function(b.name)(*indices)
    if isinstance(b, sp.core.function.AppliedUndef):
        # f(x_i; W)_j: the score of sample i for class j; X^{(i)}_u and the like
        args = list(b.args)
        if b.func.__name__ == "f" and len(args) == 2:
            sample = args[0]
            if isinstance(sample, sp.core.function.AppliedUndef) and len(sample.args) == 1:
                return sp.Function("f")(sample.args[0], *indices)
        return sp.Function(b.func.__name__)(*args, *indices)
    if isinstance(b, Tr):
        raise NotUnderstood("a subscript after a transpose")
    if isinstance(b, NoteNorm) and indices in ([sp.Integer(2)], [sp.Symbol("F")]):
        return b
    raise NotUnderstood(f"a subscript on {b}")


def _superscripted(base: object, sup: object) -> object:
    """x^{(i)} (the sample index, written up), ^T and ^\\top, ℝ^{D×C}, e^{…}, powers."""
    if isinstance(sup, Paren) and sup.kind == "group" and len(sup.items) == 1:
        inner = sup.items[0]
        if isinstance(inner, Paren) and inner.kind == "paren" and len(inner.items) == 1:
            idx = val(inner.items[0])
            if isinstance(idx, sp.Symbol | sp.Integer):
                b = val(base)
                if isinstance(b, sp.Symbol):
                    return sp.Function(b.name)(idx)
                if isinstance(b, sp.core.function.AppliedUndef):
                    return sp.Function(b.func.__name__)(idx, *b.args)
                raise NotUnderstood("a sample superscript (i) on a compound expression")
    if sup == "T" or (isinstance(sup, Paren) and len(sup.items) == 1 and sup.items[0] == "T"):
        return Tr(val(base))
    if isinstance(base, Paren) and len(base.items) > 1:
        return ParenPow(base, sup)
    b = val(base)
    if b == sp.Symbol("ℝ"):
        inner = sup.items[0] if isinstance(sup, Paren) and len(sup.items) == 1 else sup
        dims = inner.items if isinstance(inner, Times) else (inner,)
        return sp.Function("ℝ")(*(val(d) for d in dims))
    exponent = val(sup)
    if b == E:
        return sp.exp(exponent)
    if exponent == sp.Symbol("T") and not isinstance(b, sp.Number):
        return Tr(b)
    return b**exponent


@v_args(inline=True)
class ToSympy(Transformer):
    """Parse tree → notation-level SymPy (see the module docstring)."""

    def start(self, rows):
        return rows

    def rows(self, *items):
        return [r for r in items if isinstance(r, Row)]

    @v_args(meta=True, inline=False)
    def row(self, meta, children):
        parts = []
        amps = []
        for c in children:
            if isinstance(c, Token):
                if c.type == "AMP":
                    amps.append(len(parts))
                elif c.type == "REL":
                    s = str(c)
                    parts.append(("rel", "⇒" if s in _IMPLIES else _RELATIONS.get(s, s)))
                elif c.type in ("COMMA", "SEMI"):
                    parts.append(("sep", str(c)))
                # & only aligns
            elif isinstance(c, Paren) and c.kind == "group" and len(c.items) == 1 and isinstance(c.items[0], Rel):
                rel = c.items[0]  # \boxed{a = b}: the braces hold the whole equation
                parts += [("expr", rel.lhs), ("rel", rel.op), ("expr", rel.rhs)]
            else:
                parts.append(("expr", c))
        if meta.empty:
            return Row(tuple(parts), 1, amps=tuple(amps))
        return Row(tuple(parts), meta.line, meta.start_pos, meta.end_pos, tuple(amps))

    # -------------------------------------------------- arithmetic
    def add(self, a, _op, b):
        return _float_condition(a, b, lambda x, y: val(x) + val(y))

    def sub(self, a, _op, b):
        return _float_condition(a, b, lambda x, y: val(x) - val(y))

    def pos(self, _op, a):
        return a

    def neg(self, _op, a):
        if isinstance(a, Split):
            return Split(-val(a.left), a.right)
        return -val(a)

    def mul(self, a, op, b):
        if isinstance(b, Op) or isinstance(a, SlashOver):  # a · ∂s/∂w: the operator acts on what follows
            return self.juxt(a, b)
        if str(op) in ("\\times", "×") and not isinstance(a, Split) and not isinstance(b, Split):
            return Times((*(a.items if isinstance(a, Times) else (a,)), b))
        if isinstance(b, sp.Symbol) and len(b.name) == 1 and not isinstance(a, Split):  # 2 · reg: letters stay apart
            return self.juxt(a, b)
        return _combine(a, b, lambda x, y: val(x) * val(y))

    def div(self, a, _op, b):
        slash = _slash_derivative(a, b)
        if slash is not None:
            return slash
        return _combine(a, b, lambda x, y: val(x) / val(y))

    def juxt(self, a, b):
        if isinstance(a, SlashOver):
            rest = _items(b)
            return Juxt((*a.factor, Deriv(_product(list(a.numerator)), val(rest[0])), *rest[1:]))
        if isinstance(b, Split):
            return Split(Juxt((*_items(a), *_items(b.left))), b.right)
        if isinstance(a, Split):
            return Split(a.left, Juxt((*_items(a.right), *_items(b))))
        items = _spelled((*_items(a), *_items(b)))
        if len(items) >= 3:
            for k in range(1, len(items) - 1):
                if isinstance(items[k], Words) and not any(isinstance(i, Words) for i in items[:k]):
                    left, right = items[:k], items[k + 1 :]
                    if all(isinstance(i, Words) for i in right):
                        break
                    return Split(Juxt(left), Juxt(right))
        return Juxt(items)

    # -------------------------------------------------- atoms
    def letter(self, tok):
        return letter_symbol(str(tok))

    def digit(self, tok):
        return Digits(str(tok))

    def number(self, tok):
        return Digits(str(tok))

    def greek(self, tok):
        s = str(tok)
        return sp.Symbol(GREEK.get(s, s.lstrip("\\")))

    def font(self, tok):
        s = str(tok)
        inner = s[s.find("{") + 1 : s.rfind("}")] if "{" in s else s.split()[-1][-1]
        inner = inner.strip()
        command = s[1 : s.find("{")] if "{" in s else s[1:-1]
        if inner in ("1", "I") and command.strip() in ("mathbb", "mathbf", "bm", "boldsymbol"):
            return ONE
        if inner == "R" and command.strip() == "mathbb":
            return sp.Symbol("ℝ")
        if len(inner) == 1 and inner.isalpha():
            return sp.Symbol(inner)
        raise NotUnderstood(s)

    def text(self, tok):
        s = str(tok)
        inner = s[s.find("{") + 1 : -1]
        if inner.strip() in SPELLED:  # \text{reg}, \mathrm{delta}
            return sp.Symbol(SPELLED[inner.strip()])
        return Words(inner)

    def dots(self, tok):
        return Dots(str(tok))  # only a matrix or a list can hold it: val() refuses it elsewhere

    def unknown(self, tok):
        raise NotUnderstood(str(tok))

    def infty(self, tok):
        return sp.oo

    def top(self, tok):
        return "T"

    def partial(self, tok):
        return Op("partial")

    def group(self, arglist=None):
        return Paren(tuple(arglist) if arglist is not None else (), "group")

    def paren(self, arglist):
        return Paren(tuple(arglist), "paren")

    def bracket(self, _l, arglist, _r):
        if any(isinstance(a, Dots) for a in arglist):  # [a_1, a_2, \cdots, a_C]: a list with an elided run
            return elided([list(arglist)], "a list")
        return Paren(tuple(arglist), "bracket")

    def brace(self, _l, arglist, _r):
        return Paren(tuple(arglist), "brace")

    @v_args(inline=False)
    def arglist(self, children):
        return [c for c in children if not isinstance(c, Token)]

    @v_args(inline=False)
    def relation(self, children):
        if len(children) == 1:
            return children[0]
        if len(children) != 3:
            raise NotUnderstood("a chain of relations inside brackets")
        a, op, b = children
        s = str(op)
        return Rel(_RELATIONS.get(s, s), a, b)

    def placeholder(self, _tok):
        return PLACEHOLDER  # \\cdot as an argument: 1[\\cdot], \\max(0, \\cdot)

    def bare_rel(self, op):
        raise NotUnderstood(f"a lone {op}")

    def norm(self, _a, x, _b):
        return NoteNorm(val(x))

    def abs(self, _a, x, _b):
        return sp.Abs(val(x))

    def accent(self, tok, x):
        raise NotUnderstood(f"{tok} (an accent)")

    def cases(self, _b, rows, _e):
        out = []
        for row in rows:
            exprs = [p for kind, p in row.parts if kind == "expr"]
            rels = [p for kind, p in row.parts if kind == "rel"]
            if not exprs:
                continue
            if len(rels) == 0 and len(exprs) == 2:
                value, cond = exprs
                if isinstance(cond, Words) or (
                    isinstance(cond, Juxt) and all(isinstance(i, Words) for i in cond.items)
                ):
                    out.append((value, None))
                    continue
                raise NotUnderstood("a case whose condition is not a relation")
            if len(rels) == 1 and len(exprs) == 3:
                value, lhs, rhs = exprs
                out.append((value, Rel(rels[0], _strip_words(lhs), rhs)))
                continue
            raise NotUnderstood("a case row that is not 'value & condition'")
        return Cases(tuple(out))

    def matrix(self, tok, rows, _e):
        cells = []
        for row in rows:
            if not row.parts and not row.amps:
                continue  # \\\\ twice: an empty row
            bounds = [0, *row.amps, len(row.parts)]
            line = []
            for a, b in itertools.pairwise(bounds):
                part = [p for kind, p in row.parts[a:b] if kind == "expr"]
                if len(part) != 1 or len(part) != b - a:
                    raise NotUnderstood(f"{str(tok).split('}')[0]}}} (a matrix cell that is not one expression)")
                line.append(part[0])
            if line:
                cells.append(line)
        return elided(cells, f"{str(tok).split('}')[0]}}}")

    def aligned(self, _b, rows, _e):
        return ("aligned", rows)

    # -------------------------------------------------- scripts
    def sup(self, base, _op, script, *prime):
        if prime:
            raise NotUnderstood("a prime (')")
        return _superscripted(base, script)

    def sub_(self, base, _op, script):
        return _subscripted(base, script)

    def subsup(self, base, _s, sub, _p, sup):
        return _superscripted(_subscripted(base, sub), sup)

    def supsub(self, base, _p, sup, _s, sub):
        sub_first = _subscripted(base, sub)
        return _superscripted(sub_first, sup)

    def prime(self, base, _p):
        raise NotUnderstood("a prime (')")

    @v_args(inline=False)
    def script_pair(self, children):
        sub = sup = None
        for k, c in enumerate(children):
            if isinstance(c, Token) and c.type == "SUB":
                sub = children[k + 1]
            elif isinstance(c, Token) and c.type == "SUP":
                sup = children[k + 1]
        return (sub, sup)

    script_pair_rev = script_pair

    # -------------------------------------------------- applications
    def apply_paren(self, head, arglist):
        return _apply(head, Paren(tuple(arglist), "paren"))

    def apply_bracket(self, head, _l, arglist, _r):
        return _apply(head, Paren(tuple(arglist), "bracket"))

    def apply_brace(self, head, _l, arglist, _r):
        return _apply(head, Paren(tuple(arglist), "brace"))

    # -------------------------------------------------- operators
    def bigop(self, tok, limits, body):
        if str(tok) not in ("\\sum", "∑"):
            raise NotUnderstood(str(tok))
        sub, _sup = limits
        return _sum(sub, body)

    @v_args(inline=False)
    def nabla(self, children):
        wrt = None
        operand = None
        k = 1
        if len(children) > k and isinstance(children[k], Token) and children[k].type == "SUB":
            idx = _index_items(children[k + 1])
            if len(idx) != 1:
                raise NotUnderstood("∇ with more than one subscript")
            wrt = idx[0]
            k += 2
        if len(children) > k:
            operand = children[k]
        if wrt is None:
            raise NotUnderstood("∇ without the variable it differentiates in")
        if operand is None:
            return Op("nabla", wrt)
        return Deriv(val(operand), wrt)

    def func(self, tok, *rest):
        name = str(tok).lstrip("\\")
        arg = rest[-1]
        if len(rest) > 1:
            raise NotUnderstood(f"{tok} with a subscript or power")
        x = _single(arg)
        if name == "log" or name == "ln":
            return sp.log(x)
        if name == "exp":
            return sp.exp(x)
        raise NotUnderstood(str(tok))

    def maxmin(self, tok, *rest):
        name = "".join(ch for ch in str(tok).replace("operatorname", "").replace("mathop", "").replace("mathrm", "")
                       if ch.isalpha())  # \\operatorname*{arg\\,max}, \\arg\\max: argmax  # fmt: skip
        if len(rest) > 1:  # max_{r ≠ y_i} s_{ir}, argmax_{r ≠ y_i} s_{ir}
            if name not in ("max", "argmax"):
                raise NotUnderstood(str(tok))
            index, cond = _over(rest[1])
            body = val(rest[-1])
            return (NoteMaxOver if name == "max" else NoteArgmax)(body, index, cond)
        if name != "max":
            raise NotUnderstood(str(tok))
        arg = rest[0]
        after: tuple = ()
        if isinstance(arg, Juxt) and isinstance(arg.items[0], Paren):  # \max(0, m)(j ≠ y_i)
            arg, after = arg.items[0], arg.items[1:]
        exponent = None
        if isinstance(arg, ParenPow):
            arg, exponent = arg.args, val(arg.exponent)
        if not (isinstance(arg, Paren) and arg.kind == "paren" and len(arg.items) == 2):
            raise NotUnderstood("a max without two arguments")
        a, b = (val(i) for i in arg.items)
        out = NoteMax(a, b) if exponent is None else NoteMax(a, b) ** exponent
        return Juxt((out, *after)) if after else out

    def frac(self, _tok, num, den):
        n_items = _group_items(num)
        d_items = _group_items(den)
        if d_items and isinstance(d_items[0], Op) and d_items[0].kind == "partial":
            wrt_items = d_items[1:]
            if len(wrt_items) != 1:
                raise NotUnderstood("∂ over more than one variable")
            wrt = val(wrt_items[0])
            if not (n_items and isinstance(n_items[0], Op) and n_items[0].kind == "partial"):
                raise NotUnderstood("a derivative whose numerator has no ∂")
            rest = n_items[1:]
            if not rest:
                return Op("d/dx", wrt)
            return Deriv(_product(list(rest)), wrt)
        if n_items and isinstance(n_items[0], Op):
            raise NotUnderstood("∂ in a numerator over a denominator without ∂")
        return val(_from_items(n_items)) / val(_from_items(d_items))

    def sqrt(self, _tok, x):
        return sp.sqrt(val(_group_single(x)))


@dataclass(frozen=True)
class SlashOver:
    """``… ∂f / ∂`` waiting for the variable: ``∂L_i/∂w_{uv}`` reads ∂ L_i / ∂, then w_{uv}."""

    factor: tuple  # what multiplies the derivative, written before it
    numerator: tuple


def _is_d(x: object) -> bool:
    return (isinstance(x, Op) and x.kind == "partial") or x == sp.Symbol("d")


def _slash_derivative(a: object, b: object) -> object | None:
    """``\\partial L_i / \\partial s_j`` and ``dL/dW``, written inline with a slash."""
    top, bottom = list(_items(a)), list(_items(b))
    marks = [k for k, x in enumerate(top) if _is_d(x)]
    if not marks or not bottom or not _is_d(bottom[0]):
        return None
    k = marks[-1]
    numerator = top[k + 1 :]
    if not numerator or (top[k] == sp.Symbol("d") and len(numerator) != 1):
        return None
    if len(bottom) == 1:
        return SlashOver(tuple(top[:k]), tuple(numerator))
    if len(bottom) == 2:
        return Juxt((*top[:k], Deriv(_product(numerator), val(bottom[1]))))
    return None


def _group_items(g: object) -> list:
    if isinstance(g, Paren) and g.kind == "group":
        if len(g.items) != 1:
            raise NotUnderstood("a fraction part with commas")
        g = g.items[0]
    if isinstance(g, Juxt):
        return list(g.items)
    return [g]


def _from_items(items: list) -> object:
    return Juxt(tuple(items)) if len(items) != 1 else items[0]


def _group_single(g: object) -> object:
    if isinstance(g, Paren) and g.kind == "group" and len(g.items) == 1:
        return g.items[0]
    return g


def _single(arg: object) -> sp.Expr:
    if isinstance(arg, Paren):
        if len(arg.items) != 1:
            raise NotUnderstood("a function of several arguments")
        return val(arg.items[0])
    return val(arg)


def _strip_words(x: object) -> object:
    if isinstance(x, Juxt):
        items = [i for i in x.items if not isinstance(i, Words)]
        return Juxt(tuple(items)) if len(items) != 1 else items[0]
    return x


SPELLED = {"reg": "lambda", "delta": "Delta"}  # the code's names, written in the math: 2 reg W, + delta


def _spelled(items: tuple) -> tuple:
    """Letters side by side that spell ``reg`` or ``delta`` are λ and Δ."""
    letters = "".join(i.name if isinstance(i, sp.Symbol) and len(i.name) == 1 else "\0" for i in items)
    for word, name in SPELLED.items():
        k = letters.find(word)
        if k >= 0:
            return _spelled((*items[:k], sp.Symbol(name), *items[k + len(word) :]))
    return items


def _items(x: object) -> tuple:
    return x.items if isinstance(x, Juxt) else (x,)


def _float_condition(a, b, op):
    """``a − b \\quad (j ≠ y_i)``: the condition after the last term is the whole formula's."""
    last = b.items[-1] if isinstance(b, Juxt) and len(b.items) > 1 else None
    if (
        isinstance(last, Paren)
        and last.kind in ("cond", "paren")
        and len(last.items) == 1
        and isinstance(last.items[0], Rel)
    ):
        rest = b.items[:-1]
        return Juxt((_combine(a, Juxt(rest) if len(rest) > 1 else rest[0], op), last))
    return _combine(a, b, op)


def _combine(a, b, op):
    if isinstance(a, Split):
        return Split(a.left, _combine(a.right, b, op))
    if isinstance(b, Split):
        return Split(_combine(a, b.left, op), b.right)
    return op(a, b)


def _apply(head: object, args: Paren) -> object:
    """``h(…)``, ``h[…]``, ``h\\{…\\}``: an indicator, a function of the note, or a product."""
    if isinstance(head, Paren):  # (a, b)(j ≠ y_i): side by side, as after \max(0, m)
        return Juxt((head, args if not (len(args.items) == 1 and isinstance(args.items[0], Rel)) else
                     Paren(args.items, "cond")))  # fmt: skip
    h = val(head) if not isinstance(head, Digits) else (ONE if head.text == "1" else val(head))
    if h in (ONE, sp.Symbol("I")) and len(args.items) == 1 and isinstance(args.items[0], Rel):
        return Indicator(relational(args.items[0]))
    if h == ONE and len(args.items) == 1 and args.items[0] == PLACEHOLDER:
        return Indicator(PLACEHOLDER)  # 1[·]: the indicator of any condition
    if h == ONE and len(args.items) == 1 and isinstance(args.items[0], Digits):
        return IndicatorAt(val(args.items[0]))  # 1[0]: the kink convention
    if h == ONE:
        raise NotUnderstood("an indicator without a condition")
    if args.kind == "bracket" and isinstance(h, sp.Symbol) and len(h.name) == 1 and all(map(_index_like, args.items)):
        return sp.Function(h.name)(*(val(i) for i in args.items))  # w[u, v]: code's indexing, w_{uv}
    if h == sp.Symbol("delta") and len(args.items) == 2 and not any(isinstance(i, Rel) for i in args.items):
        return sp.KroneckerDelta(*(val(i) for i in args.items))  # δ(j, k)
    if isinstance(h, sp.Symbol) and h.name in ("f", "R", "L", "g", "h", "q", "p", "H"):
        if any(isinstance(i, Rel) for i in args.items):
            raise NotUnderstood(f"a relation as an argument of {h.name}")
        return sp.Function(h.name)(*(val(i) for i in args.items))
    if len(args.items) == 1 and isinstance(args.items[0], Rel):
        return Juxt((head, Paren(args.items, "cond")))
    return Juxt((head, args))


def _over(sub: object) -> tuple[sp.Symbol, sp.Basic]:
    """The index and its condition under a max or argmax: ``_{r \\ne y_i}``, ``_r``, ``_{r=1}``."""
    items = sub.items if isinstance(sub, Paren) and sub.kind == "group" else (sub,)
    if len(items) != 1:
        raise NotUnderstood("a max over more than one index")
    item = items[0]
    if isinstance(item, Rel):
        index = val(item.lhs)
        if not isinstance(index, sp.Symbol) or item.op not in ("≠", "="):
            raise NotUnderstood(f"the range of a max ({item.op})")
        return index, (relational(item) if item.op == "≠" else sp.true)
    index = val(item)
    if not isinstance(index, sp.Symbol):
        raise NotUnderstood(f"a max over {index}")
    return index, sp.true


def _index_like(x: object) -> bool:
    """A letter, a digit or y_i: what code writes between brackets, w[u, v]."""
    if isinstance(x, Digits):
        return "." not in x.text
    if isinstance(x, sp.Symbol):
        return len(x.name) == 1 and x.name.islower()
    return isinstance(x, sp.core.function.AppliedUndef) and x.func.__name__ == "y" and len(x.args) == 1


def _sum(sub: object, body: object) -> sp.Expr:
    if sub is None:
        raise NotUnderstood("a sum without its index")
    items = sub.items if isinstance(sub, Paren) and sub.kind == "group" else (sub,)
    indices: list = []
    conds: list = []
    for item in items:
        if isinstance(item, Rel):
            if item.op == "=" and isinstance(val(item.lhs), sp.Symbol) and val(item.lhs) not in indices:
                indices.append(val(item.lhs))  # j = 1 (the lower bound)
            elif item.op in ("≠", "=") and isinstance(val(item.lhs), sp.Symbol):
                if val(item.lhs) not in indices:
                    indices.append(val(item.lhs))
                conds.append(relational(item))
            else:
                raise NotUnderstood(f"the sum's range ({item.op})")
        else:
            for idx in _index_items(item):
                if not isinstance(idx, sp.Symbol):
                    raise NotUnderstood(f"a sum over {idx}")
                indices.append(idx)
    if not indices:
        raise NotUnderstood("a sum without its index")
    out = val(body)
    for idx in reversed(indices):
        out = NoteSum(out, idx, sp.And(*[c for c in conds if idx in c.free_symbols]))
    return out


class _Delimiters:
    """Post-lexer: ``|…|`` and ``\\|…\\|`` use one token for both ends; the first of a pair opens."""

    always_accept = ("NORM", "BAR")

    def process(self, stream):
        open_ = {"NORM": False, "BAR": False}
        for tok in stream:
            if tok.type in open_:
                kind = tok.type
                tok = Token.new_borrow_pos(f"{kind}_{'CLOSE' if open_[kind] else 'OPEN'}", tok, tok)
                open_[kind] = not open_[kind]
            yield tok


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The Lark parser (LALR, grammar ``grammar.lark``), built once."""
    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False, postlex=_Delimiters(),
                cache=True)  # fmt: skip


def _join_split_delimiters(latex: str) -> str:
    """``\\right. \\\\ & \\quad \\left.``: one formula broken over two rows of an aligned block,
    joined back (the spaces keep every character's line and column)."""
    out = latex
    start = 0
    while True:
        k = out.find("\\right.", start)
        if k < 0:
            return out
        j = k + len("\\right.")
        while j < len(out) and out[j] in " \t\n":
            j += 1
        brk = next((b for b in ("\\\\", "\\cr") if out.startswith(b, j)), None)
        if brk is None:
            start = k + 1
            continue
        m = j + len(brk)
        while True:
            while m < len(out) and out[m] in " \t\n&":
                m += 1
            word = next((w for w in ("\\qquad", "\\quad") if out.startswith(w, m)), None)
            if word is None:
                break
            m += len(word)
        if not out.startswith("\\left.", m):
            start = k + 1
            continue
        m += len("\\left.")
        blank = "".join(ch if ch == "\n" else " " for ch in out[k:m])
        out = out[:k] + blank + out[m:]
        start = k


_OPENERS = {"LPAR": "RPAR", "LBRACK": "RBRACK", "LBRACE_ESC": "RBRACE_ESC", "LBRACE": "RBRACE",
            "BEGIN_CASES": "END_CASES", "BEGIN_MATRIX": "END_MATRIX", "BEGIN_ALIGNED": "END_ALIGNED"}  # fmt: skip
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_ENVIRONMENTS = ("BEGIN_CASES", "BEGIN_MATRIX")


def _join_layout_rows(latex: str) -> str:
    """Rows that only continue the row before them, joined back into one (the split is layout only).

    Read from the grammar's own tokens: a row break inside an open ``(``, ``[`` or ``\\{`` (a
    parenthesis the printer broke, ``\\Bigl( … \\cr &\\qquad {} - … \\Bigr)``), and a row of an
    aligned block that starts with ``&`` and goes on with ``+`` or ``-`` (``&\\quad {} + term``).
    The empty group ``{}`` that keeps a binary operator's spacing is dropped. Blanks keep every
    character's line and column; text the lexer cannot read is returned as it is."""
    try:
        toks = [t for t in parser().lex(latex) if t.type not in ("NORM_OPEN", "NORM_CLOSE", "BAR_OPEN", "BAR_CLOSE")]
    except LarkError:
        return latex
    blank: list[tuple[int | None, int | None]] = []
    stack: list[str] = []
    for k, tok in enumerate(toks):
        if tok.type in _OPENERS:
            stack.append(tok.type)
        elif tok.type in _CLOSERS and stack and stack[-1] == _CLOSERS[tok.type]:
            stack.pop()
        if tok.type == "LBRACE" and k + 1 < len(toks) and toks[k + 1].type == "RBRACE":
            if k == 0 or toks[k - 1].type not in ("SUB", "SUP", "FRAC", "RBRACE"):
                blank.append((tok.start_pos, toks[k + 1].end_pos))
            continue
        if tok.type != "ROWSEP":
            continue
        j = k + 1
        while j < len(toks) and (toks[j].type == "AMP" or toks[j].type == "LBRACE" and j + 1 < len(toks)
                                 and toks[j + 1].type == "RBRACE"):  # fmt: skip
            j += 2 if toks[j].type == "LBRACE" else 1
        top = stack[-1] if stack else None
        in_paren = top in ("LPAR", "LBRACK", "LBRACE_ESC")
        continues = (
            (top is None or top == "BEGIN_ALIGNED")
            and j > k + 1
            and toks[k + 1].type == "AMP"
            and j < len(toks)
            and toks[j].type in ("PLUS", "MINUS")
        )
        if in_paren or continues:
            blank.append((tok.start_pos, tok.end_pos))
            blank += [(t.start_pos, t.end_pos) for t in toks[k + 1 : j] if t.type == "AMP"]
    if not blank:
        return latex
    chars = list(latex)
    for a, b in blank:
        for i in range(a or 0, b or 0):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def parse_rows(latex: str) -> list[Row]:
    """The display's rows (split at ``\\\\`` of aligned environments), each a list of parts.

    Raises NotUnderstood with the offending token when the text is not in the grammar."""
    latex = _join_layout_rows(_join_split_delimiters(latex))
    try:
        tree = parser().parse(latex)
    except UnexpectedCharacters as exc:
        raise NotUnderstood(f"the character {latex[exc.pos_in_stream or 0]!r}") from None
    except UnexpectedToken as exc:
        tok = exc.token
        raise NotUnderstood(f"unexpected {str(tok) or 'end of formula'!r}") from None
    except UnexpectedInput as exc:
        raise NotUnderstood(f"unexpected input at column {exc.column}") from None
    try:
        rows = ToSympy().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, NotUnderstood):
            raise exc.orig_exc from None
        raise NotUnderstood(f"{type(exc.orig_exc).__name__}: {exc.orig_exc}") from None
    except LarkError as exc:  # pragma: no cover
        raise NotUnderstood(str(exc)) from None
    return _flatten_aligned(rows)


def _flatten_aligned(rows: list[Row]) -> list[Row]:
    out: list[Row] = []
    for row in rows:
        parts = row.parts
        nested = [p for kind, p in parts if kind == "expr" and isinstance(p, tuple) and p and p[0] == "aligned"]
        if nested and len(parts) == 1:
            out += _flatten_aligned(nested[0][1])
        else:
            out.append(row)
    return out


def parse_expr(latex: str) -> sp.Expr:
    """One expression (no relation), e.g. for tests: ``parse_expr(r"\\max(0, s_j)")``."""
    rows = parse_rows(latex)
    if len(rows) != 1 or len(rows[0].parts) != 1:
        raise NotUnderstood("not a single expression")
    return val(rows[0].parts[0][1])
