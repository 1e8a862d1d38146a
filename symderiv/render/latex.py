"""LaTeX in the notes' notation: SymPy's ``LatexPrinter`` taught the indicator, max(0, ·), and
the symbols of a concrete derivation (w_{u,v}, x_{i,u}, s_{i,j}, Δ, λ).

The indicator is drawn as a bold 1, ``\\mathbf{1}[m > 0]``: amssymb's ``\\mathbb{1}`` has no
blackboard digit and prints a wrong glyph in pdflatex, and KaTeX has none either."""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..algebra.functions import Pos, Step

INDICATOR = r"\mathbf{1}"


class ReportLatexPrinter(LatexPrinter):
    """``LatexPrinter`` for reports. Objects' own ``_latex`` methods are bypassed (their glyphs
    are not ours), so the indicator always prints as :data:`INDICATOR`.

    >>> m = sp.Symbol("m")
    >>> print(latex(Step(m)), latex(Pos(m)))
    \\mathbf{1}\\left[m > 0\\right] \\max\\left(0,\\, m\\right)
    """

    printmethod = "_symderiv_report_latex"

    def _print_Step(self, expr: Step) -> str:
        return r"%s\left[%s > 0\right]" % (INDICATOR, self._print(expr.args[0]))

    def _print_Pos(self, expr: Pos, exp: str | None = None) -> str:
        out = r"\max\left(0,\, %s\right)" % self._print(expr.args[0])
        return out if exp is None else r"%s^{%s}" % (out, exp)

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        name = expr.name
        if name == "Delta":
            return r"\Delta"
        if name == "lambda":
            return r"\lambda"
        if re.fullmatch(r"[a-zA-Z]+_\{[^{}]*\}", name):
            return name  # already LaTeX: w_{0,1}, x_{1,2}, s_{0,2}
        return super()._print_Symbol(expr, style=style)


def latex(expr: object, **settings: object) -> str:
    """``expr`` as LaTeX in the notes' notation."""
    return _separate(ReportLatexPrinter({"order": "none", **settings}).doprint(expr))


def notes_latex(fragment: str) -> str:
    """A LaTeX fragment from a loss definition with the indicator in the report's glyph."""
    return _separate(fragment.replace(r"\mathbb{1}", INDICATOR))


def _separate(text: str) -> str:
    """``2 \\mathbf{1}[…]`` reads as 21: a number before the indicator gets a visible product."""
    return re.sub(r"(\d)\s*(?=\\mathbf\{1\})", r"\1 \\cdot ", text)
