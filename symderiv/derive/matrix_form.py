"""The matrix form of the gradient, built once: dL/dW = scale·XᵀG + 2cλW (layout XW) or
scale·GᵀXᵀ + 2cλW (layout WX), as a SymPy matrix expression (MatrixSymbol, MatMul, Transpose)
from the loss's weight matrix G (M, P − Y, …) and the conventions.

Every stage that needs the matrix form takes it from :func:`matrix_form`: the concrete derivation
instantiates it (:meth:`MatrixForm.at`), the symbolic-size derivation proves its (u, v) entry, and
every printer prints it. The shapes carry the bias column: with the bias trick X has D + 1 features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ..conventions import LAMBDA, Conventions
from ..losses import Loss

N, C, D = sp.symbols("N C D", integer=True, positive=True)
L = sp.Symbol("L")


@dataclass(frozen=True)
class MatrixForm:
    """The matrices of one layout and the matrix form of dL/dW built from them."""

    X: sp.MatrixSymbol  # N×F (XW) or F×N (WX), F = D (+ 1 with the bias trick)
    W: sp.MatrixSymbol  # F×C (XW) or C×F (WX)
    S: sp.MatrixSymbol  # the scores: N×C (XW) or C×N (WX)
    G: sp.MatrixExpr  # the loss's weight matrix, N×C: row i is ∂L_i/∂s_i
    scores: sp.Eq  # S = XW or S = WX
    gradient: sp.Eq  # ∂L/∂W = scale·XᵀG + 2cλW, or scale·GᵀXᵀ + 2cλW

    @property
    def rhs(self) -> sp.MatrixExpr:
        return self.gradient.rhs

    def at(self, X: sp.Matrix, W: sp.Matrix, G: sp.Matrix, samples: int) -> sp.Matrix:
        """The matrix form with the concrete matrices ``X``, ``W``, ``G`` and N = ``samples``."""
        values = {
            self.X: sp.ImmutableMatrix(X),
            self.W: sp.ImmutableMatrix(W),
            self.G: sp.ImmutableMatrix(G),
            N: sp.Integer(samples),
        }
        return sp.Matrix(self.rhs.xreplace(values).doit())


def weights_matrix(name: str, rows: sp.Expr = N, cols: sp.Expr = C) -> sp.MatrixExpr:
    """The loss's weight matrix from its name: "M" is one matrix, "P - Y" a difference of two."""
    letters = {n: sp.MatrixSymbol(n, rows, cols) for n in re.findall(r"[A-Za-z]\w*", name)}
    return sp.parse_expr(name, local_dict=letters)


def matrix_form(loss: Loss | None, conventions: Conventions) -> MatrixForm:
    """The matrix form of dL/dW for ``loss`` under ``conventions``, in symbolic sizes N, C, D (a
    loss of None, such as a custom loss of the code generator, has the weight matrix G)."""
    return _matrix_form("G" if loss is None else loss.weights_name, conventions)


@lru_cache(maxsize=128)
def _matrix_form(weights_name: str, conventions: Conventions) -> MatrixForm:
    c = conventions
    F = D + 1 if c.bias else D
    G = weights_matrix(weights_name)
    scale = [1 / N] if c.reduction == "mean" else []
    reg = 2 * c.reg.coefficient * LAMBDA
    # MatMul(...) rather than *: the product keeps (P − Y)ᵀ whole instead of distributing it
    if c.layout == "XW":
        X, W, S = sp.MatrixSymbol("X", N, F), sp.MatrixSymbol("W", F, C), sp.MatrixSymbol("S", N, C)
        product, scores = sp.MatMul(*scale, sp.Transpose(X), G), sp.MatMul(X, W)
    else:
        X, W, S = sp.MatrixSymbol("X", F, N), sp.MatrixSymbol("W", C, F), sp.MatrixSymbol("S", C, N)
        product, scores = sp.MatMul(*scale, sp.Transpose(G), sp.Transpose(X)), sp.MatMul(W, X)
    rhs = sp.MatAdd(product, sp.MatMul(reg, W)) if reg != 0 else product
    return MatrixForm(
        X=X,
        W=W,
        S=S,
        G=G,
        scores=sp.Eq(S, scores, evaluate=False),
        gradient=sp.Eq(sp.Derivative(L, W), rhs, evaluate=False),
    )
