"""The NumPy behind ``Derivation.numpy_gradient`` and ``Derivation.numpy_loss``, in two parts:

* **score functions**, printed from the derivation by symderiv's NumPy printer (SymPy's
  ``NumPyPrinter`` with the indicator's kink value, :mod:`symderiv.codegen.lambdify`) after SymPy's ``cse``,
  as ``lambdify`` does: ∂L_i/∂s_ij (N×C) and the per-sample losses L_i, as functions of the N·C
  scores (and Δ when it is symbolic) — small expressions, so this is fast;
* **glue** (:meth:`ScoreRoute.__call__`): the scores S from W and X (layout, bias feature), the
  per-sample max shift S − max_j s_ij for losses with exponentials (exp never overflows: softmax
  is finite at scores of ±1000), the chain rule dW = scale · Xᵀ G + 2cλ W and
  L = scale · Σ_i L_i + cλ Σ W².

Both parts are proof obligations of the derivation (:mod:`symderiv.obligations`): the score
functions and the glue are executed on SymPy symbols and compared with the derivation, and the
shift is proven not to change G or L_i (shift invariance).
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable

import numpy
import sympy as sp

from ..derive.build import Problem
from .lambdify import numpy_printer
from .score_glue import ScoreRoute

__all__ = ["ScoreRoute", "compile_functions", "score_route"]


def score_route(problem: Problem, G: sp.Matrix, functions: Callable | None = None) -> ScoreRoute:
    """The :class:`ScoreRoute` of a derivation: ``G`` is its (simplified) ∂L_i/∂s_ij. The score
    functions are lambdified from G and the L_i unless ``functions`` is given (the proof passes a
    stand-in)."""
    p, c = problem, problem.conventions
    outputs = G.row_join(sp.Matrix(p.N, 1, list(p.samples)))
    symbolic_delta = bool(c.delta.free_symbols)
    free = p.loss.free_hyper(c.hyper)
    args: list = [list(p.S)] + ([c.delta] if symbolic_delta else []) + [h.symbol for h in free]
    return ScoreRoute(
        layout=c.layout,
        bias=c.bias,
        N=p.N,
        C=p.C,
        scale=p.scale,
        reg=c.reg.coefficient,
        shift=outputs.has(sp.exp),
        symbolic_delta=symbolic_delta,
        functions=functions or compile_functions(args, outputs, c.kink),
        hyper=tuple(h.name for h in free),
    )


def compile_functions(args: list, outputs: sp.Matrix, kink: sp.Expr) -> Callable:
    """``lambdify(args, outputs)`` to NumPy, assembled here: SymPy's ``cse``, then each line printed by
    symderiv's NumPy printer (symbols by argument position, so no renaming pass over the
    expressions), compiled as one function ``f(scores[, delta])`` returning the outputs as a flat
    array. (``sympy.lambdify`` takes three times as long on these, most of it not printing.)"""
    scores, *rest = args
    names = {s: f"s{k}" for k, s in enumerate(scores)}
    names.update({s: "delta" if s.name == "Delta" or s.name == "Δ" else f"h{k}" for k, s in enumerate(rest)})
    temps = (sp.Symbol(f"x{k}") for k in itertools.count())
    pairs, reduced = sp.cse(list(outputs), symbols=temps, order="none")
    base = numpy_printer(float(kink))

    class Printer(base):  # type: ignore[valid-type, misc]
        def _print_Symbol(self, e: sp.Symbol) -> str:
            return names.get(e) or e.name

    printer = Printer({"fully_qualified_modules": True, "inline": True, "order": "none"})
    lines = [f"def score_functions(scores{''.join(', ' + names[s] for s in rest)}):"]
    lines.append(f"    [{', '.join(names[s] for s in scores)}] = scores")
    show = printer._print  # the printer's dispatch itself: ``doprint`` adds a pass over each expression
    lines += [f"    {t} = {show(e)}" for t, e in pairs]
    lines.append(f"    return numpy.array([{', '.join(show(e) for e in reduced)}])")
    text = "\n".join(lines) + "\n"
    filename = f"<symderiv score functions {next(_COUNTER)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)  # tracebacks show the code
    namespace: dict = {"numpy": numpy}
    exec(compile(text, filename, "exec"), namespace)
    fn = namespace["score_functions"]
    fn.__source__ = text
    return fn


_COUNTER = itertools.count()
