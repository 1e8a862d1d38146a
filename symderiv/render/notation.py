"""The notes' notation, as SymPy printer subclasses: s_{ij}, s_{i y_i}, 1[m > 0], max(0, m),
Σ_{k ≠ y_i}, 1[j = y_i] — for LaTeX (reports) and plain text (terminals)."""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..algebra.functions import ExcludedSum, excluded_sums
from .text import TextPrinter


def _as_excluded(expr: sp.Sum):
    """Σ_k f(k)(1 − δ(k, t)) as the ExcludedSum Σ_{k≠t} f(k), or None for any other sum."""
    shown = excluded_sums(expr)
    return shown if isinstance(shown, ExcludedSum) else None


def notes_order(terms: list[sp.Expr]) -> list[sp.Expr]:
    """Order the terms of a sum as the notes write a margin: s_j − s_{y_i} + Δ — scores with a plus
    sign first, then scores with a minus sign, then the rest (Δ, constants)."""

    def rank(t: sp.Expr) -> int:
        coeff, rest = t.as_coeff_Mul()
        if rest.has(sp.Indexed) or any("_{" in getattr(a, "name", "") for a in rest.free_symbols):
            return 0 if coeff > 0 else 1
        return 2 if not t.is_Number else 3

    return sorted(terms, key=rank)


def _is_score(e: sp.Expr) -> bool:
    return isinstance(e, sp.Indexed) or (e.is_Symbol and e.name.startswith("s_{"))


def _is_margin(expr: sp.Add) -> bool:
    """A sum with a score in it (s_j − s_{y_i} + Δ), which the notes order scores-first."""
    return any(_is_score(t.as_coeff_Mul()[1]) for t in expr.args)


class NotesLatexPrinter(LatexPrinter):
    """LaTeX in the notes' notation."""

    printmethod = "_symderiv_latex"  # ignore classes' own _latex: this printer decides

    def _print_Add(self, expr: sp.Add, order=None) -> str:
        if not _is_margin(expr):
            return super()._print_Add(expr, order)
        terms = notes_order(list(expr.args))
        out = self._print(terms[0])
        for t in terms[1:]:
            coeff, _ = t.as_coeff_Mul()
            if coeff < 0:
                out += " - " + self.parenthesize(-t, 40)  # PRECEDENCE["Add"]
            else:
                out += " + " + self.parenthesize(t, 40)
        return out

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = self._print(expr.base.label)
        indices = "".join(self._print(i) if i.is_Symbol else self._print(i) for i in expr.indices)
        return f"{base}_{{{indices}}}"

    def _print_Mul(self, expr: sp.Mul) -> str:
        out = super()._print_Mul(expr)
        # a number before an indicator would read as one number: "2 𝟙[·]" → "2 \cdot 𝟙[·]"
        return re.sub(r"(\d) \\mathbb\{1\}", r"\1 \\cdot \\mathbb{1}", out)

    def _print_Step(self, expr, exp=None) -> str:
        out = r"\mathbb{1}\left[%s > 0\right]" % self._print(expr.args[0])
        return out if exp is None else rf"{out}^{{{exp}}}"

    def _print_Pos(self, expr, exp=None) -> str:
        out = r"\max\left(0,\ %s\right)" % self._print(expr.args[0])
        return out if exp is None else rf"{out}^{{{exp}}}"

    def _print_KroneckerDelta(self, expr, exp=None) -> str:
        a, b = expr.args
        out = r"\mathbb{1}\left[%s = %s\right]" % (self._print(a), self._print(b))
        return out if exp is None else rf"{out}^{{{exp}}}"

    def _print_ExcludedSum(self, expr) -> str:
        inner = self._print(expr.body)
        if expr.body.is_Add:
            inner = rf"\left({inner}\right)"
        return rf"\sum_{{{self._print(expr.index)} \ne {self._print(expr.excluded)}}} {inner}"

    def _print_Sum(self, expr: sp.Sum) -> str:
        shown = _as_excluded(expr)
        if shown is not None:
            return self._print(shown)
        body = expr.function
        inner = rf"\left({self._print(body)}\right)" if body.is_Add else self._print(body)
        return rf"\sum_{{{self._print(expr.limits[0][0])}}} {inner}"

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        name = expr.name
        if "_{" in name:  # concrete-size symbols such as w_{0,1}
            return name
        return super()._print_Symbol(expr)


class NotesTextPrinter(TextPrinter):
    """Plain text in the notes' notation: s[i,y[i]], Σ_{k≠y[i]} (…), 1[j = y[i]]."""

    printmethod = "_symderiv_text"

    def _print_Add(self, expr: sp.Add, order=None) -> str:
        if not _is_margin(expr):
            return super()._print_Add(expr, order)
        terms = notes_order(list(expr.args))
        out = self._print(terms[0])
        for t in terms[1:]:
            coeff, _ = t.as_coeff_Mul()
            out += (" - " + self.parenthesize(-t, 40)) if coeff < 0 else (" + " + self.parenthesize(t, 40))
        return out

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        return f"{self._print(expr.base.label)}[{','.join(self._print(i) for i in expr.indices)}]"

    def _print_KroneckerDelta(self, expr) -> str:
        a, b = expr.args
        return f"1[{self._print(a)} = {self._print(b)}]"

    def _print_ExcludedSum(self, expr) -> str:
        return f"Σ_{{{self._print(expr.index)}≠{self._print(expr.excluded)}}} ({self._print(expr.body)})"

    def _print_Sum(self, expr: sp.Sum) -> str:
        shown = _as_excluded(expr)
        if shown is not None:
            return self._print(shown)
        return f"Σ_{{{self._print(expr.limits[0][0])}}} ({self._print(expr.function)})"


def latex(expr: object) -> str:
    """``expr`` as LaTeX in the notes' notation."""
    return NotesLatexPrinter({"order": "none", "mul_symbol": None}).doprint(expr)


def text(expr: object) -> str:
    """``expr`` as plain text in the notes' notation."""
    return NotesTextPrinter({"order": "none"}).doprint(expr)
