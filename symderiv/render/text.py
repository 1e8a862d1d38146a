"""Plain text for terminals: SymPy's ``StrPrinter`` taught the indicator, max(0, ·) and the
symbols of a concrete derivation (w_{0,1} prints as w[0,1])."""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

from ..algebra.functions import Pos, Step


class TextPrinter(StrPrinter):
    """Plain-text printing for terminals, in the notes' notation: 1[m > 0], max(0, m), w[u,v]."""

    def _print_Step(self, expr: Step) -> str:
        return f"1[{self._print(expr.args[0])} > 0]"

    def _print_Pos(self, expr: Pos) -> str:
        return f"max(0, {self._print(expr.args[0])})"

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name = expr.name
        if "_{" in name and name.endswith("}"):
            base, _, index = name.partition("_{")
            return f"{base}[{index[:-1]}]"
        return {"Delta": "Δ", "lambda": "λ"}.get(name, name)
