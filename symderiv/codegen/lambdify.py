"""NumPy functions from symbolic results, through SymPy's NumPy printer and ``lambdify``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from ..algebra.functions import Pos, Step


class SymderivNumPyPrinter(NumPyPrinter):
    """NumPy printer that knows the indicator (with its value at the kink) and max(0, ·)."""

    kink: float = 0.0

    def _print_Step(self, expr: Step) -> str:
        return f"{self._module_format('numpy.heaviside')}({self._print(expr.args[0])}, {self.kink!r})"

    def _print_Pos(self, expr: Pos) -> str:
        return f"{self._module_format('numpy.maximum')}({self._print(expr.args[0])}, 0.0)"

    def _print_Max(self, expr: sp.Max) -> str:
        args = ", ".join(self._print(a) for a in expr.args)
        return f"{self._module_format('numpy.maximum')}.reduce([{args}])"

    def _print_Min(self, expr: sp.Min) -> str:
        args = ", ".join(self._print(a) for a in expr.args)
        return f"{self._module_format('numpy.minimum')}.reduce([{args}])"


@lru_cache(maxsize=8)
def numpy_printer(kink: float) -> type[SymderivNumPyPrinter]:
    return type("KinkNumPyPrinter", (SymderivNumPyPrinter,), {"kink": float(kink)})


def lambdify(args: Sequence[object], expr: object, kink: sp.Expr):
    """``sympy.lambdify`` to NumPy with common subexpressions eliminated and our printer.

    Symbols are renamed to plain identifiers first (w_{0,1} is no Python name): otherwise
    lambdify replaces them by dummies itself, one ``xreplace`` of the whole expression per
    argument group, which is most of its time."""
    names: dict[sp.Symbol, sp.Symbol] = {}

    def rename(a):
        if isinstance(a, sp.Symbol):
            return names.setdefault(a, sp.Symbol(f"a{len(names)}", **a.assumptions0))
        return [rename(b) for b in a]

    plain_args = [rename(a) for a in args]
    printer = numpy_printer(float(kink))({"fully_qualified_modules": True, "inline": True})
    renamed = sp.sympify(expr).xreplace(names)
    # the printer writes every NumPy name fully qualified, so the namespace needs only ``numpy``
    # (modules="numpy" would build SymPy's whole NumPy translation table: a third of a fresh derive)
    return sp.lambdify(plain_args, renamed, modules=[{"numpy": numpy}], printer=printer, cse=True, dummify=False)
