"""Stage 2, differentiate: ∂L/∂w_uv for every entry, by two independent routes.

* :func:`score_gradient` and :func:`chain_rule` — the notes' way: ∂L_i/∂s_ij per sample with SymPy's ``diff`` on the
  small per-sample loss, then the chain rule dL/dW = Xᵀ · dL/dS (+ ∂R/∂W).
* :func:`direct` — reverse-mode differentiation of the whole expression L(W) with the scores
  substituted, node by node with SymPy's own partial derivatives (``fdiff``). It never sees the
  scores, so agreement with the first route is real evidence. One sweep gives every entry, at a
  cost linear in the size of L — where calling ``diff`` once per entry costs D·C times that.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import sympy as sp

from ..algebra.functions import from_sympy_builtins
from ..errors import NotSupportedError
from ..losses import ConcreteIndexing, Loss
from .build import Problem


def generic_scores(C: int) -> list[sp.Symbol]:
    """Score symbols s_0 … s_{C−1} of one sample, for per-label work shared by all samples."""
    return [sp.Symbol(f"s_{{{j}}}", real=True) for j in range(C)]


@lru_cache(maxsize=256)
def sample_gradient(loss: Loss, C: int, label: int, delta: sp.Expr, hyper: tuple = ()) -> tuple[sp.Expr, ...]:
    """∂L_i/∂s_j for j = 0 … C−1, by SymPy's ``diff`` of the per-sample loss with label ``label``,
    in :func:`generic_scores`. Computed once per label value and reused by every sample."""
    s = generic_scores(C)
    terms = sp.Add.make_args(loss.bind(loss.sample(s, label, delta, ConcreteIndexing(C, label)), hyper))
    # d/ds_j of a sum is the sum of the terms' derivatives; terms free of s_j contribute nothing
    return tuple(from_sympy_builtins(sp.Add(*[sp.diff(t, sj) for t in terms if t.has_free(sj)])) for sj in s)


def score_gradient(problem: Problem) -> sp.Matrix:
    """G_ij = ∂L_i/∂s_ij (N×C), in the score symbols, kink indicators explicit."""
    p = problem
    s = generic_scores(p.C)
    rows = []
    for i in range(p.N):
        rename = {s[j]: p.S[i, j] for j in range(p.C)}
        rows.append([g.xreplace(rename) for g in sample_gradient(p.loss, p.C, p.y[i], p.delta, p.conventions.hyper)])
    return sp.Matrix(rows)


def chain_rule(problem: Problem, G: sp.Matrix) -> sp.Matrix:
    """dL/dW in W's own shape from the score gradient G: entry (u, v) is
    scale · Σ_i x_iu G_iv + ∂R/∂w_uv."""
    p = problem
    reg = 2 * p.conventions.reg.coefficient * p.lam

    def entry(u: int, v: int) -> sp.Expr:
        data = sp.Add(*[p.feature(i, u) * G[i, v] for i in range(p.N)])
        return p.scale * data + reg * p.weight(u, v)

    return _in_layout(p, entry)


def direct(problem: Problem) -> sp.Matrix:
    """Route 2: dL/dW from L(W) itself, by one reverse sweep over its expression graph."""
    L = problem.loss_in_weights()
    wanted = set(problem.W)
    adjoints = reverse_sweep(L, wanted)
    return problem.W.applyfunc(lambda w: adjoints.get(w, sp.Integer(0)))


def reverse_sweep(expr: sp.Expr, wanted: set[sp.Symbol]) -> dict[sp.Expr, sp.Expr]:
    """∂expr/∂w for every symbol w in ``wanted``, by reverse accumulation over the expression DAG
    (equal subexpressions are one node). Partial derivatives of functions come from ``fdiff``."""
    order: list[sp.Expr] = []
    seen: set[sp.Expr] = set()
    depends: dict[sp.Expr, bool] = {}

    def visit(node: sp.Expr) -> bool:  # post-order; returns whether node depends on `wanted`
        stack = [(node, False)]
        while stack:
            e, done = stack.pop()
            if done:
                depends[e] = e in wanted or any(depends[a] for a in e.args)
                order.append(e)
                continue
            if e in seen:
                continue
            seen.add(e)
            stack.append((e, True))
            stack.extend((a, False) for a in e.args if a not in seen)
        return depends[node]

    visit(expr)
    pending: dict[sp.Expr, list[sp.Expr]] = defaultdict(list)
    pending[expr].append(sp.Integer(1))
    result: dict[sp.Expr, sp.Expr] = {}
    # Products and sums are built unevaluated: the result is only compared (as normal forms) and
    # evaluated, never shown, and SymPy's automatic simplification of each product would cost
    # more than the whole sweep (assumption queries on sums of exponentials).
    for node in reversed(order):
        terms = pending.pop(node, None)
        if not terms or not depends.get(node):
            continue
        adjoint = terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)
        if node in wanted:
            result[node] = adjoint
            continue
        for k, arg in enumerate(node.args):
            if depends.get(arg):
                partial = _partial(node, k)
                if partial == 1:
                    pending[arg].append(adjoint)
                else:
                    pending[arg].append(sp.Mul(adjoint, partial, evaluate=False))
    return result


def _partial(node: sp.Expr, k: int) -> sp.Expr:
    """∂node/∂(its k-th argument)."""
    if node.is_Add:
        return sp.Integer(1)
    if node.is_Mul:
        others = node.args[:k] + node.args[k + 1 :]
        return others[0] if len(others) == 1 else sp.Mul(*others, evaluate=False)
    if node.is_Pow:
        b, e = node.args
        if k == 0:
            return sp.Mul(e, sp.Pow(b, e - 1, evaluate=False), evaluate=False)
        return sp.Mul(node, sp.log(b), evaluate=False)
    if isinstance(node, sp.core.function.Application) and hasattr(node, "fdiff"):  # exp, log, Max, …
        return from_sympy_builtins(node.fdiff(k + 1))  # Max' is Heaviside: made an explicit 1[·]
    raise NotSupportedError(f"cannot differentiate through {type(node).__name__} (no partial derivative rule)")


def _in_layout(problem: Problem, entry) -> sp.Matrix:
    F, C = problem.features, problem.C
    if problem.conventions.layout == "XW":
        return sp.Matrix(F, C, lambda u, v: entry(u, v))
    return sp.Matrix(C, F, lambda v, u: entry(u, v))
