"""One printer family for the notes' notation: terminal text, LaTeX (reports) and code comments.

The three printers are SymPy printer subclasses sharing their ``_print_<Class>`` methods (the
mixin :class:`NotesPrinting`); what differs between them is a few glyphs. The notation is a
*setting* of the printer, as ``LatexPrinter``'s ``mul_symbol`` is, never a string edit after
printing:

- ``indicator`` — the glyph of the indicator 1[·] (``\\mathbf{1}`` in LaTeX: amssymb's
  ``\\mathbb{1}`` has no blackboard digit in pdflatex, and KaTeX has none either; ``1`` in text);
- ``kronecker`` — how a Kronecker delta prints: ``"indicator"`` (1[j = k], the notes' choice and
  symderiv's default, used in prose and formulas alike) or ``"delta"`` (δ_{jk});
- ``layout`` — the index order of the concrete symbols: the weight of feature u and class v prints
  w_{uv} under ``"XW"`` (W is D×C) and w_{vu} under ``"WX"`` (W is C×D), feature u of sample i
  x_{iu} or x_{ui}: one index order for x and w per layout, the matrices' own. (Index notation
  already carries its order: ``w[v, u]`` prints w_{vu}.)
- ``index_base`` — the first index of a concrete-size symbol: 0 (SymPy's and NumPy's, s_{0,1}) or 1
  (the notes', s_{1,2}; a concrete index of index notation too: x[0, u] as x_{1u}); ``one_sample`` prints
  a concrete score (margin, probability) of one sample with its class alone (s_{0,1} as s_1 with
  ``index_base=1``), as the notes write s_j for the scores of sample i;
- ``line_width`` (LaTeX) — a displayed relation wider than this (in printed characters) is broken
  before a + or − into aligned rows, inside a parenthesised sum if a single term is too wide, the
  parenthesis keeping its size across the break (``\\Bigl(`` … ``\\Bigr)``, sized from the content);
  :func:`latex_rows` gives the rows.

What is printed is always an expression: a displayed relation "A = B" is an ``sp.Eq`` of two
expressions, a derivative is an unevaluated ``sp.Derivative`` (∂L_i/∂s_ij), cases are a
:class:`Cases`, the matrix form a SymPy matrix expression (MatrixSymbol, MatMul, Transpose) whose
shapes carry the bias column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from ..algebra.functions import ArgMaxOther, ExcludedSum, MaxOther, Pos, Step, excluded_sums
from ..conventions import LAMBDA

#: the printer settings every format shares, with the notes' choices as defaults
NOTATION_DEFAULTS: dict[str, object] = {
    "kronecker": "indicator",
    "layout": "XW",
    "index_base": 0,
    "one_sample": False,
    "line_width": None,
}

#: the per-class quantities of one sample that ``one_sample`` prints with their class alone: scores s_j,
#: margins m_j and probabilities p_j (the notes' notation for sample i)
ONE_SAMPLE = ("s", "m", "p")

#: what the LaTeX printer puts where the parenthesised sum it is breaking goes (never in its output)
_HOLE = "\ue010hole\ue011"


def _as_excluded(expr: sp.Sum):
    """Σ_k f(k)(1 − δ(k, t)) as the ExcludedSum Σ_{k≠t} f(k), or None for any other sum."""
    shown = excluded_sums(expr)
    return shown if isinstance(shown, ExcludedSum) else None


class Cases(sp.Expr):
    """``other`` where ``index`` ≠ ``label``, ``label_value`` where ``index`` = ``label``: the notes'
    two cases, as one expression. :meth:`as_expr` is the same value as SymPy algebra,
    other·(1 − δ) + label_value·δ, which is what a proof compares.

    >>> j, y = sp.symbols("j y")
    >>> text(Cases(sp.Integer(1), sp.Integer(0), j, y))
    '1 (j ≠ y);  0 (j = y)'
    """

    def __new__(cls, other, label_value, index, label):
        return sp.Expr.__new__(cls, *map(sp.sympify, (other, label_value, index, label)))

    @classmethod
    def split(cls, expr: sp.Expr, index: sp.Expr, label: sp.Expr) -> Cases:
        """``expr`` (a function of ``index`` with factors δ(index, label)) split into its cases."""
        d = sp.KroneckerDelta(index, label)
        other = expr.xreplace({d: sp.Integer(0)})
        on_label = expr.xreplace({index: label})
        return cls(other, on_label, index, label)

    @property
    def other(self) -> sp.Expr:
        return self.args[0]

    @property
    def label_value(self) -> sp.Expr:
        return self.args[1]

    @property
    def index(self) -> sp.Expr:
        return self.args[2]

    @property
    def label(self) -> sp.Expr:
        return self.args[3]

    def as_expr(self) -> sp.Expr:  # type: ignore[override]
        d = sp.KroneckerDelta(self.index, self.label)
        return self.other * (1 - d) + self.label_value * d


class Chain(sp.Basic):
    """lhs = rhs_1 = rhs_2 = …: one quantity rewritten step by step (printed as aligned rows)."""

    @property
    def relations(self) -> list[sp.Eq]:
        lhs, *rhss = self.args
        return [sp.Eq(lhs, r, evaluate=False) for r in rhss]


class Rows(sp.Basic):
    """Several relations shown together, one a row (printed as aligned rows)."""

    @property
    def relations(self) -> list[sp.Eq]:
        return list(self.args)


class InSpace(sp.Expr):
    """``M ∈ ℝ^{rows×cols}`` for a matrix symbol: its shape, printed from the matrix itself."""

    def __new__(cls, matrix):
        return sp.Expr.__new__(cls, matrix)

    @property
    def matrix(self):
        return self.args[0]


def _is_score(e: sp.Expr) -> bool:
    return (isinstance(e, sp.Indexed) and str(e.base) == "s") or (e.is_Symbol and e.name.startswith("s_{"))


def _is_margin(expr: sp.Add) -> bool:
    """A sum with a score in it (s_j − s_{y_i} + Δ), which the notes order scores-first."""
    return any(_is_score(t.as_coeff_Mul()[1]) for t in expr.args)


def notes_order(terms: list[sp.Expr]) -> list[sp.Expr]:
    """Order the terms of a sum as the notes write a margin: s_j − s_{y_i} + Δ — scores with a plus
    sign first, then scores with a minus sign, then the rest (Δ, constants). A max over scores
    (max_{r≠y_i} s_ir) counts as a score."""

    def rank(t: sp.Expr) -> int:
        coeff, rest = t.as_coeff_Mul()
        if _is_score(rest) or isinstance(rest, MaxOther):
            return 0 if coeff > 0 else 1
        return 2 if not t.is_Number else 3

    return sorted(terms, key=rank)


def _concrete(name: str) -> tuple[str, list[str]] | None:
    """``w_{0,1}`` → ("w", ["0", "1"]): a symbol of a concrete-size derivation."""
    base, sep, rest = name.partition("_{")
    if not sep or not rest.endswith("}") or "{" in rest[:-1] or not base.isalpha():
        return None
    return base, rest[:-1].split(",")


class NotesPrinting:
    """The ``_print_<Class>`` methods every printer of the family shares. A subclass supplies the
    glyphs: :meth:`_ind` (an indicator), :meth:`_sub` (subscripts), :meth:`_partial`,
    :meth:`_cases`, :meth:`_sum_over`, :meth:`_space`, :meth:`_transpose`."""

    _settings: dict
    _hole: sp.Basic | None = None  # the sum being broken into rows, printed as a placeholder
    _ne: str  # ≠ between two expressions
    _ne_sub: str  # ≠ in a subscript

    if TYPE_CHECKING:  # provided by SymPy's Printer

        def _print(self, expr: object, **kwargs: object) -> str: ...

        def parenthesize(self, item: object, level: int, strict: bool = False) -> str: ...

        def _as_ordered_terms(self, expr: object, order: object = None) -> list: ...

    # -- glyphs, per format
    def _ind(self, body: str) -> str:
        raise NotImplementedError

    def _sub(self, base: str, indices: list[str], concrete: bool = False) -> str:
        raise NotImplementedError

    def _delta(self, a: str, b: str) -> str:
        raise NotImplementedError

    def _greek(self, name: str) -> str:
        raise NotImplementedError

    def _plain_symbol(self, expr: sp.Symbol, *args, **kwargs) -> str:
        raise NotImplementedError

    def _power(self, out: str, exp: object) -> str:
        raise NotImplementedError

    def _max0(self, m: str) -> str:
        raise NotImplementedError

    def _partial(self, f: str, x: str) -> str:
        raise NotImplementedError

    def _cases(self, other: str, label: str, idx: str, lab: str) -> str:
        raise NotImplementedError

    def _sum_over(self, index: str, body: sp.Expr) -> str:
        raise NotImplementedError

    def _over(self, op: str, index: str, body: str) -> str:
        """max_{index} body or argmax_{index} body (``op`` is "max" or "argmax")."""
        raise NotImplementedError

    def _space(self, M: str, rows: str, cols: str) -> str:
        raise NotImplementedError

    def _rows(self, rows: list[tuple[str, str]]) -> str:
        raise NotImplementedError

    # -- the notes' atoms
    def _print_Step(self, expr: Step, exp=None) -> str:
        out = self._ind(f"{self._print(expr.args[0])} > 0")
        return out if exp is None else self._power(out, exp)

    def _print_Pos(self, expr: Pos, exp=None) -> str:
        out = self._max0(self._print(expr.args[0]))
        return out if exp is None else self._power(out, exp)

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp=None) -> str:
        a, b = (self._print(t) for t in expr.args)
        out = self._delta(a, b) if self._settings["kronecker"] == "delta" else self._ind(f"{a} = {b}")
        return out if exp is None else self._power(out, exp)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base, indices = self._print(expr.base.label), list(expr.indices)
        if self._settings["one_sample"] and base in ONE_SAMPLE and len(indices) == 2 and indices[0].is_Integer:
            indices = indices[1:]  # s[0, v] of one sample: s_v
        return self._sub(base, [self._shift(str(i)) if i.is_Integer else self._print(i) for i in indices])

    def _print_Symbol(self, expr: sp.Symbol, *args, **kwargs) -> str:
        name = expr.name
        if name == "Delta":
            return self._greek("Delta")
        if name == "lambda":
            return self._greek("lambda")
        concrete = _concrete(name)
        if concrete is not None:
            base, idx = concrete
            if self._settings["layout"] == "WX" and base in ("w", "x") and len(idx) == 2:
                idx = idx[::-1]  # the matrices' own order: W is C×D (w_vu), X is D×N (x_ui)
            if self._settings["one_sample"] and base in ONE_SAMPLE and len(idx) == 2:
                idx = idx[1:]  # the scores (margins, probabilities) of one sample: s_j, as the notes write them
            return self._sub(base, [self._shift(n) for n in idx], concrete=len(idx) > 1)
        numbered = re.fullmatch(r"([A-Za-z]+)_(\d+)", name)
        if numbered and self._settings["index_base"]:  # L_0, the loss of sample 0
            return self._sub(numbered.group(1), [self._shift(numbered.group(2))])
        return self._plain_symbol(expr, *args, **kwargs)

    def _shift(self, index: str) -> str:
        """A concrete index counted from the setting ``index_base`` (SymPy's 0, or the notes' 1)."""
        base = int(self._settings["index_base"])  # type: ignore[call-overload]
        return str(int(index) + base) if base and index.isdigit() else index

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        (var, n), *more = expr.variable_count
        if more or n != 1:
            return super()._print_Derivative(expr)  # type: ignore[misc]
        return self._partial(self._print(expr.expr), self._print(var))

    def _print_Cases(self, expr: Cases) -> str:
        idx, lab = self._print(expr.index), self._print(expr.label)
        return self._cases(self._print(expr.other), self._print(expr.label_value), idx, lab)

    def _print_MaxOther(self, expr: MaxOther, exp=None) -> str:
        index = f"{self._print(expr.index)}{self._ne_sub}{self._print(expr.excluded)}"
        body = self.parenthesize(expr.body, PRECEDENCE["Mul"])  # type: ignore[attr-defined]
        out = self._over("max", index, body)
        return out if exp is None else self._power(out, exp)

    def _print_ArgMaxOther(self, expr: ArgMaxOther, exp=None) -> str:
        index = f"{self._print(expr.index)}{self._ne_sub}{self._print(expr.excluded)}"
        body = self.parenthesize(expr.body, PRECEDENCE["Mul"])  # type: ignore[attr-defined]
        out = self._ind(f"{self._print(expr.at)} = {self._over('argmax', index, body)}")
        return out if exp is None else self._power(out, exp)

    def _print_ExcludedSum(self, expr) -> str:
        return self._sum_over(f"{self._print(expr.index)}{self._ne_sub}{self._print(expr.excluded)}", expr.body)

    def _print_Sum(self, expr: sp.Sum) -> str:
        shown = _as_excluded(expr)
        if shown is not None:
            return self._print(shown)
        (index, *_), *inner = expr.limits[::-1]  # SymPy lists the innermost sum first
        body = sp.Sum(expr.function, *inner[::-1]) if inner else expr.function
        return self._sum_over(self._print(index), body)

    def _print_InSpace(self, expr: InSpace) -> str:
        M = expr.matrix

        def dim(n: sp.Expr) -> str:  # D + 1, as the notes write it: symbols first
            return " + ".join(self._print(t) for t in sorted(sp.Add.make_args(n), key=lambda t: t.is_Number))

        return self._space(self._print(M), dim(M.shape[0]), dim(M.shape[1]))

    def _add_terms(self, expr: sp.Add, order=None) -> list[sp.Expr]:
        """The terms of a sum in the order the notes write them."""
        if _is_margin(expr):
            terms = notes_order(list(expr.args))
        else:  # a positive term first (p − 1, P − Y, but 1 − 1[·]); the regularizer's term (2λw_uv) last
            terms = self._as_ordered_terms(expr, order=order)  # type: ignore[attr-defined]
            lead = [t for t in terms if not t.is_Number and not t.could_extract_minus_sign()]
            terms = lead + [t for t in terms if t not in lead] if lead and terms[0] not in lead[:1] else terms
            reg = [t for t in terms if t.has(LAMBDA)]
            if reg and len(reg) < len(terms):
                terms = [t for t in terms if not t.has(LAMBDA)] + reg
        return terms

    def _print_Add(self, expr: sp.Add, order=None) -> str:
        if self._hole is not None and expr == self._hole:
            return _HOLE  # the sum being broken into rows (see NotesLatexPrinter._lines)
        terms = self._add_terms(expr, order)
        out = self._print(terms[0])
        for t in terms[1:]:
            coeff, _ = t.as_coeff_Mul()
            if coeff < 0:
                out += " - " + self.parenthesize(-t, PRECEDENCE["Add"])  # type: ignore[attr-defined]
            else:
                out += " + " + self.parenthesize(t, PRECEDENCE["Add"])  # type: ignore[attr-defined]
        return out

    def _print_Unequality(self, expr) -> str:
        return f"{self._print(expr.lhs)} {self._ne} {self._print(expr.rhs)}"

    def _print_MatAdd(self, expr) -> str:
        # the notes write the data term first, λW last, and P − Y with its positive term first
        def rank(t) -> tuple[bool, bool]:
            return t.has(LAMBDA), t.could_extract_minus_sign()

        terms = sorted(expr.args, key=rank)
        out = self._print(terms[0])
        for t in terms[1:]:
            if t.could_extract_minus_sign():
                out += " - " + self.parenthesize(-t, PRECEDENCE["Add"])  # type: ignore[attr-defined]
            else:
                out += " + " + self.parenthesize(t, PRECEDENCE["Add"])  # type: ignore[attr-defined]
        return out

    def _print_Equality(self, expr: sp.Eq) -> str:
        return f"{self._print(expr.lhs)} = {self._print(expr.rhs)}"

    def _print_Chain(self, expr: Chain) -> str:
        lhs, *rhss = (self._print(a) for a in expr.args)
        return self._rows([(lhs, rhss[0]), *(("", r) for r in rhss[1:])])

    def _print_Rows(self, expr: Rows) -> str:
        return self._rows([(self._print(e.lhs), self._print(e.rhs)) for e in expr.args])

    def _one_over(self, expr: sp.Mul) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
        """(a, b, rest) when ``expr`` is (a/b)·rest with a sum in rest — 1/N or ½ — printed as a
        fraction before the sum, as the notes write (1/N) Σ_i and ½ λ Σ w²."""
        if not expr.has(sp.Sum):
            return None
        coeff, rest = expr.as_coeff_Mul()
        if coeff.is_Rational and not coeff.is_Integer and rest.has(sp.Sum):
            return sp.Integer(coeff.p), sp.Integer(coeff.q), rest
        inverse = [f for f in expr.args if f.is_Pow and f.exp == -1 and f.base.is_Symbol]
        if len(inverse) != 1:
            return None
        rest = sp.Mul(*[f for f in expr.args if f is not inverse[0]], evaluate=False)
        return sp.Integer(1), inverse[0].base, rest

    def _data_order(self, expr: sp.Mul) -> list[sp.Expr] | None:
        """x_il w_lj (layout XW) or w_jl x_li (WX): a product of one feature and one weight in the
        order of the layout's product S = XW or S = WX."""
        factors = sp.Mul.make_args(expr)
        bases = sorted(str(f.base) for f in factors if isinstance(f, sp.Indexed))
        if len(factors) != 2 or bases != ["w", "x"]:
            return None
        first = "x" if self._settings["layout"] == "XW" else "w"
        return sorted(factors, key=lambda f: str(f.base) != first)

    def _print_MatrixElement(self, expr) -> str:
        return self._sub(
            self.parenthesize(expr.parent, PRECEDENCE["Mul"], strict=True), [self._print(expr.i), self._print(expr.j)]
        )


@dataclass(frozen=True)
class Row:
    """One printed row of a displayed relation: ``lhs = rhs`` (``relation``: it starts a relation and
    gets a number; ``lhs`` is empty on a chain's later rows), or the continuation of a broken one
    (``depth`` 0 after a top-level + or −, 1 inside a parenthesis, …)."""

    lhs: str
    rhs: str
    relation: bool
    depth: int = 0


#: the indentation of a continuation row after the alignment point, by depth
INDENT = (r"\quad", r"\qquad", r"\qquad\quad", r"\qquad\qquad")


def join_rows(rows: list[Row]) -> str:
    """Rows as one LaTeX body: ``lhs = rhs`` for a single relation, else aligned rows
    (``lhs &= rhs \\\\ &\\quad + …``), for an ``aligned`` or ``align*`` environment."""
    if len(rows) == 1 and rows[0].relation:
        return f"{rows[0].lhs} = {rows[0].rhs}".strip()
    return r" \\ ".join(
        f"{r.lhs} &= {r.rhs}".lstrip() if r.relation else f"&{INDENT[min(r.depth, 3)]} {r.rhs}" for r in rows
    )


def visible_width(latex_text: str) -> int:
    """A rough printed width of LaTeX math: the characters left once commands, braces and the letters
    of sub/superscripts go (a subscript counts as one)."""
    t = re.sub(r"_\{[^{}]*\}|\^\{[^{}]*\}|_.|\^.", "x", latex_text)
    t = re.sub(r"\\(left|right|mathbf|frac|quad|qquad|,|;|\.)", "", t)
    t = re.sub(r"\\[A-Za-z]+", "x", t)
    return len(re.sub(r"[{}\s]", "", t))


def _delimiter_size(inner: str) -> str:
    """The size of a parenthesis broken across rows, from what it encloses (the unbroken pair would be
    sized by ``\\left``/``\\right``): a fraction ``bigg``, a display sum or max ``Big``, else ``big``."""
    if r"\frac" in inner:
        return "bigg"
    if r"\sum" in inner or r"\max_" in inner:
        return "Big"
    return "big"


def _balanced(prefix: str) -> bool:
    """Whether ``prefix`` closes every brace and \\left it opens (a break there is at the top level)."""
    return prefix.count("{") == prefix.count("}") and prefix.count(r"\left") == prefix.count(r"\right")


class NotesLatexPrinter(NotesPrinting, LatexPrinter):
    """LaTeX in the notes' notation (reports: tex, Markdown, HTML with KaTeX)."""

    printmethod = "_symderiv_latex"  # ignore classes' own _latex: this printer decides
    _default_settings = {**LatexPrinter._default_settings, "indicator": r"\mathbf{1}", **NOTATION_DEFAULTS}
    _ne = r"\ne"
    _ne_sub = r" \ne "  # in a subscript: Σ_{k \ne y_i}

    def _ind(self, body: str) -> str:
        return rf"{self._settings['indicator']}\left[{body}\right]"

    def _delta(self, a: str, b: str) -> str:
        return rf"\delta_{{{a}{b}}}"

    def _sub(self, base: str, indices: list[str], concrete: bool = False) -> str:
        # numbers of a concrete size are separated (w_{0,1}, w_{10,1}); index letters are not (w_{uv})
        sep = "," if concrete or not all(len(i) == 1 or i.endswith("}") for i in indices) else ""
        return f"{base}_{{{sep.join(indices)}}}"

    def _greek(self, name: str) -> str:
        return "\\" + name

    def _plain_symbol(self, expr, *args, **kwargs) -> str:
        return LatexPrinter._print_Symbol(self, expr, *args, **kwargs)

    def _power(self, out: str, exp) -> str:
        return f"{out}^{{{exp}}}"

    def _max0(self, m: str) -> str:
        return rf"\max\left(0,\, {m}\right)"

    def _partial(self, f: str, x: str) -> str:
        return rf"\frac{{\partial {f}}}{{\partial {x}}}"

    def _cases(self, other: str, label: str, idx: str, lab: str) -> str:
        return rf"\begin{{cases}} {other} & {idx} \ne {lab} \\ {label} & {idx} = {lab} \end{{cases}}"

    def _sum_over(self, index: str, body: sp.Expr) -> str:
        inner = self._print(body)
        if body.is_Add:
            inner = rf"\left({inner}\right)"
        return rf"\sum_{{{index}}} {inner}"

    def _over(self, op: str, index: str, body: str) -> str:
        name = r"\max" if op == "max" else rf"\operatorname{{{op}}}"
        return rf"{name}_{{{index}}} {body}"

    def _space(self, M: str, rows: str, cols: str) -> str:
        def dim(d: str) -> str:
            return f"({d})" if "+" in d else d

        return rf"{M} \in \mathbb{{R}}^{{{dim(rows)} \times {dim(cols)}}}"

    def _print_Transpose(self, expr) -> str:
        return rf"{self.parenthesize(expr.arg, PRECEDENCE['Pow'])}^{{\top}}"

    def _rows(self, rows: list[tuple[str, str]]) -> str:
        return r" \\ ".join(f"{lhs} &= {rhs}" for lhs, rhs in rows)

    # -- displayed relations, as aligned rows broken to the setting line_width
    def _print_Equality(self, expr: sp.Eq) -> str:
        return join_rows(self.relation_rows([expr]))

    def _print_Chain(self, expr: Chain) -> str:
        return join_rows(self.relation_rows(expr.relations, chain=True))

    def _print_Rows(self, expr: Rows) -> str:
        return join_rows(self.relation_rows(expr.relations))

    def relation_rows(self, relations: list, chain: bool = False) -> list[Row]:
        """The printed rows of ``relations`` (a chain lhs = r_1 = r_2 shows its lhs once), each relation
        broken before + or − when wider than the setting ``line_width``."""
        width = self._settings["line_width"]
        rows: list[Row] = []
        for k, rel in enumerate(relations):
            lhs = self._print(rel.lhs)
            if k == 0 or not chain:
                budget = None if width is None else max(24, width - visible_width(lhs) - 2)
            lines = self._lines(rel.rhs, budget)
            rows.append(Row("" if chain and k else lhs, lines[0][1], True))
            # a continuation's leading + or − is binary, as after the term it continues: {} before it
            rows += [Row("", "{} " + t if t[:2] in ("+ ", "- ") else t, False, depth) for depth, t in lines[1:]]
        return rows

    def _lines(self, expr: sp.Basic, budget: int | None, depth: int = 0) -> list[tuple[int, str]]:
        """``expr`` printed as lines no wider than ``budget`` where it can be: a sum breaks before its
        terms; a product with a wide parenthesised sum breaks inside the parenthesis, each half of the
        parenthesis sized by a phantom of the whole sum (so both halves are as tall as the unbroken
        pair). Returns (depth, text) per line; a line after the first is a continuation at its depth."""
        whole = self._print(expr)
        if budget is None or visible_width(whole) <= budget:
            return [(depth, whole)]
        if isinstance(expr, sp.Add):
            return self._add_lines(expr, budget, depth)
        return self._paren_lines(expr, whole, budget, depth) or [(depth, whole)]

    def _add_lines(self, expr: sp.Add, budget: int, depth: int) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        current: tuple[int, str] | None = None
        for k, term in enumerate(self._add_terms(expr)):
            negative = k > 0 and term.as_coeff_Mul()[0] < 0
            body = -term if negative else term
            sign = ("- " if negative else "+ ") if k else ""
            text = sign + (self.parenthesize(body, PRECEDENCE["Add"]) if k else self._print(body))
            if current is not None and visible_width(current[1] + " " + text) <= budget:
                current = (current[0], current[1] + " " + text)
                continue
            if current is not None:
                out.append(current)
            pieces = self._lines(body, budget - 2, depth) if visible_width(text) > budget else [(depth, text)]
            if len(pieces) > 1:
                pieces[0] = (pieces[0][0], sign + pieces[0][1])
                out += pieces[:-1]
                current = pieces[-1]
            else:
                current = (depth, text)
        if current is not None:
            out.append(current)
        return out

    def _paren_lines(self, expr: sp.Basic, whole: str, budget: int, depth: int) -> list[tuple[int, str]] | None:
        """``prefix (A + B) suffix`` as the rows ``prefix \\Bigl(A`` and ``+ B\\Bigr) suffix`` (the size from
        the content, :func:`_delimiter_size`, the same on both rows), breaking the widest parenthesised sum
        printed at the top level of ``expr``; None when there is none worth breaking."""
        sums = [e for e in sp.preorder_traversal(expr) if isinstance(e, sp.Add) and e != expr]
        candidates = sorted(dict.fromkeys(sums), key=lambda e: -visible_width(self._print(e)))
        for target in candidates:
            inner = self._print(target)
            if visible_width(inner) * 3 < budget:
                return None
            self._hole = target
            try:
                outer = self._print(expr)
            finally:
                self._hole = None
            marker = rf"\left({_HOLE}\right)"
            if outer.count(_HOLE) != 1 or marker not in outer:
                continue
            prefix, suffix = outer.split(marker)
            if not _balanced(prefix):
                continue
            lines = self._lines(target, budget - 4, depth + 1)
            if len(lines) < 2:
                return None
            size = _delimiter_size(inner)
            first, (last_depth, last) = lines[0][1], lines[-1]
            return [
                (depth, rf"{prefix}\{size}l({first}"),
                *lines[1:-1],
                (last_depth, rf"{last}\{size}r){suffix}"),
            ]
        return None

    def _print_Mul(self, expr: sp.Mul) -> str:
        split = self._one_over(expr)
        if split is not None:
            a, b, rest = split
            return rf"\frac{{{self._print(a)}}}{{{self._print(b)}}} {self._print(rest)}"
        data = self._data_order(expr)
        if data is not None:
            return " ".join(self._print(f) for f in data)
        factors = sp.Mul.make_args(expr)
        derivatives = [f for f in factors if isinstance(f, sp.Derivative)]
        if derivatives and len(derivatives) < len(factors):  # x_iu ∂L_i/∂s_iv: the derivative last
            others = sp.Mul(*[f for f in factors if not isinstance(f, sp.Derivative)])
            return rf"{self._print(others)}\, " + r"\, ".join(self._print(f) for f in derivatives)
        coeff, rest = expr.as_coeff_Mul()
        first = sp.Mul.make_args(rest)[0]
        if coeff.is_Number and coeff not in (1, -1) and isinstance(first, Step | sp.KroneckerDelta):
            # a number before an indicator would read as one number: "2 1[·]" → "2 · 1[·]"
            sign = "- " if coeff < 0 else ""
            return rf"{sign}{self._print(abs(coeff))} \cdot {self._print(rest)}"
        return super()._print_Mul(expr)


class NotesTextPrinter(NotesPrinting, StrPrinter):
    """Plain text in the notes' notation, for terminals: s[i,y[i]], Σ_{k≠y[i]} (…), 1[j = y[i]]."""

    printmethod = "_symderiv_text"
    _default_settings = {**StrPrinter._default_settings, "indicator": "1", **NOTATION_DEFAULTS}
    _ne = "≠"
    _ne_sub = "≠"  # in a subscript: Σ_{k≠y[i]}

    def _ind(self, body: str) -> str:
        return f"{self._settings['indicator']}[{body}]"

    def _delta(self, a: str, b: str) -> str:
        return f"δ({a}, {b})"

    def _sub(self, base: str, indices: list[str], concrete: bool = False) -> str:
        return f"{base}[{','.join(indices)}]"

    def _greek(self, name: str) -> str:
        return {"Delta": "Δ", "lambda": "λ"}[name]

    def _plain_symbol(self, expr, *args, **kwargs) -> str:
        return StrPrinter._print_Symbol(self, expr)

    def _power(self, out: str, exp) -> str:
        return f"{out}**{exp}"

    def _print_Pow(self, expr, rational=False):
        if isinstance(expr.base, Step | Pos | sp.KroneckerDelta) and expr.exp.is_Integer:
            return self._print(expr.base) + "**" + self._print(expr.exp)
        return super()._print_Pow(expr, rational)

    def _max0(self, m: str) -> str:
        return f"max(0, {m})"

    def _partial(self, f: str, x: str) -> str:
        return f"∂{f}/∂{x}"

    def _cases(self, other: str, label: str, idx: str, lab: str) -> str:
        return f"{other} ({idx} ≠ {lab});  {label} ({idx} = {lab})"

    def _sum_over(self, index: str, body: sp.Expr) -> str:
        return f"Σ_{{{index}}} ({self._print(body)})"

    def _over(self, op: str, index: str, body: str) -> str:
        return f"{op}_{{{index}}} {body}"

    def _space(self, M: str, rows: str, cols: str) -> str:
        def dim(d: str) -> str:
            return f"({d})" if "+" in d else d

        return f"{M} ∈ R^({dim(rows)} × {dim(cols)})"

    def _print_Transpose(self, expr) -> str:
        return f"{self.parenthesize(expr.arg, PRECEDENCE['Pow'])}ᵀ"

    def _rows(self, rows: list[tuple[str, str]]) -> str:
        return "\n".join(f"{lhs} = {rhs}" if lhs else f"  = {rhs}" for lhs, rhs in rows)

    def _print_MatMul(self, expr) -> str:
        coeff, factors = expr.as_coeff_mmul()
        body = " ".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in factors.args)
        if coeff == 1:
            return body
        if coeff.is_Pow and coeff.exp == -1:
            return f"{body} / {self._print(coeff.base)}"
        return " ".join([*(self._print(a) for a in sp.Mul.make_args(coeff)), body])

    def _print_Mul(self, expr: sp.Mul) -> str:
        split = self._one_over(expr)
        if split is not None:
            a, b, rest = split
            return f"({self._print(a)}/{self._print(b)}) {self._print(rest)}"
        data = self._data_order(expr)
        if data is not None:
            return "*".join(self._print(f) for f in data)
        return super()._print_Mul(expr)


class NotesCommentPrinter(NotesTextPrinter):
    """Index notation in comments of generated code: the text printer, one line, ``#``-safe."""

    printmethod = "_symderiv_comment"


def settings(conventions=None, **overrides: object) -> dict[str, object]:
    """The notation settings for a derivation's conventions (the layout), plus ``overrides``."""
    out: dict[str, object] = {}
    if conventions is not None:
        out["layout"] = conventions.layout
    out.update(overrides)
    return out


def latex_rows(expr: object, conventions=None, **overrides: object) -> list[Row]:
    """The rows of a displayed relation (an ``sp.Eq``, :class:`Chain` or :class:`Rows`), printed as
    :func:`latex` prints them (with the setting ``line_width``, broken into continuation rows)."""
    printer = NotesLatexPrinter({"order": "none", "mul_symbol": None, **settings(conventions, **overrides)})
    relations = expr.relations if isinstance(expr, Chain | Rows) else [expr]
    return printer.relation_rows(relations, chain=isinstance(expr, Chain))


def latex(expr: object, conventions=None, **overrides: object) -> str:
    """``expr`` as LaTeX in the notes' notation (``conventions`` set the layout's index order).

    >>> latex(2 * Step(sp.Symbol("m")))
    '2 \\\\cdot \\\\mathbf{1}\\\\left[m > 0\\\\right]'
    >>> latex(sp.Symbol("w_{0,1}"), layout="WX")
    'w_{1,0}'
    """
    return NotesLatexPrinter({"order": "none", "mul_symbol": None, **settings(conventions, **overrides)}).doprint(expr)


def text(expr: object, conventions=None, **overrides: object) -> str:
    """``expr`` as plain text in the notes' notation.

    >>> text(sp.KroneckerDelta(*sp.symbols("j k")))
    '1[j = k]'
    """
    return NotesTextPrinter({"order": "none", **settings(conventions, **overrides)}).doprint(expr)


def comment(expr: object, conventions=None, **overrides: object) -> str:
    """``expr`` for a comment in generated code (one line of text in the notes' notation)."""
    return NotesCommentPrinter({"order": "none", **settings(conventions, **overrides)}).doprint(expr)


#: the indicator glyph of the LaTeX printer, for prose that names it ($\mathbf{1}[m > 0]$)
INDICATOR = NotesLatexPrinter._default_settings["indicator"]
