"""The closed forms of the notes at concrete size, from the loss's definition: the per-element
cases of ∂L_i/∂s_ij and the matrix form dW = scale · Xᵀ G + ∂R/∂W."""

from __future__ import annotations

import sympy as sp

from ..algebra.functions import from_sympy_builtins
from ..losses import ConcreteIndexing
from .build import Problem
from .matrix_form import matrix_form as the_matrix_form


def closed_score_gradient(problem: Problem) -> sp.Matrix:
    """The per-element closed form of the notes, ∂L_i/∂s_ij by cases (j ≠ y_i, j = y_i). SymPy's
    Heaviside and Max(0, ·) in a definition are read as 1[· > 0] and max(0, ·), whose value at a
    kink is the derivation's convention."""
    p = problem
    scores = [[p.S[i, j] for j in range(p.C)] for i in range(p.N)]
    return explicit(
        sp.Matrix(
            p.N,
            p.C,
            lambda i, j: p.loss.bind(
                p.loss.score_gradient(scores[i], p.y[i], j, p.delta, ConcreteIndexing(p.C, p.y[i])),
                p.conventions.hyper,
            ),
        )
    )


def explicit(M: sp.Matrix) -> sp.Matrix:
    return M.applyfunc(from_sympy_builtins) if M.has(sp.Heaviside, sp.Max) else M


def matrix_weights(problem: Problem) -> sp.Matrix:
    """The weight matrix G of the matrix form (M, P − Y, …), built with matrix operations."""
    p = problem
    return explicit(p.loss.bind(p.loss.weights(p.S, list(p.y), p.delta), p.conventions.hyper))


def matrix_form(problem: Problem) -> sp.Matrix:
    """dW = scale · Xᵀ G + ∂R/∂W (layout XW), or scale · Gᵀ Xᵀ + ∂R/∂W (layout WX): the one matrix
    expression of :func:`symderiv.derive.matrix_form.matrix_form`, at the problem's matrices."""
    p = problem
    return the_matrix_form(p.loss, p.conventions).at(p.X, p.W, matrix_weights(p), p.N)
