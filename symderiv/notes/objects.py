"""The objects a note's formulas are read into, before and after their names get a meaning."""

from __future__ import annotations

import sympy as sp


class Deriv(sp.Function):
    """∂f/∂x as written: ``Deriv(f, x)``; never evaluated by itself."""

    nargs = 2


class Indicator(sp.Function):
    """1[condition] as written, the condition a SymPy relational."""

    nargs = 1


class NoteSum(sp.Function):
    """Σ over ``index`` of ``body`` where ``condition`` holds (its range comes from what it indexes)."""

    nargs = 3


class NoteMax(sp.Function):
    """max(a, b) as written (max(0, m) becomes Pos(m) once its arguments have a meaning)."""

    nargs = 2


class NoteMaxOver(sp.Function):
    """max over ``index`` of ``body`` where ``condition`` holds: ``max_{r ≠ y_i} s_{ir}``."""

    nargs = 3


class NoteArgmax(sp.Function):
    """argmax over ``index`` of ``body`` where ``condition`` holds (only in 1[j = argmax …])."""

    nargs = 3


class IndicatorAt(sp.Function):
    """1[0] as written: the value the note gives the indicator 1[m > 0] at its kink m = 0."""

    nargs = 1


class ArgmaxIndicator(sp.Function):
    """1[j = argmax over ``index`` of ``body`` where ``condition`` holds]: ``(j, body, index, condition)``,
    at a tie as the derivation's kink convention says (:func:`symderiv.algebra.functions.argmax_weights`)."""

    nargs = 4


#: ``\cdot`` written as an argument, "any value": 1[·] (any condition), max(0, ·) (any number)
PLACEHOLDER = sp.Symbol("·")
#: 1[·], the indicator of any condition: 0 or 1
ANY_TRUTH = sp.Symbol("1[·]")


class NoteMatrix(sp.Function):
    """A matrix written out entry by entry: ``(rows, columns, *entries)``, row by row. Matrices keep their
    order in a product (the column of ∂m/∂s times the row of ∂L/∂m is not the other way round)."""

    def _eval_is_commutative(self):
        return False


class ElidedMatrix(sp.Function):
    """A matrix written with elisions: ``(entry, row_start, row_end, column_start, column_end)``, the entry
    in the running indices ``r⋯`` and ``c⋯`` (counted from 1, as written), ends a count such as C or D."""

    nargs = 5


class NoteNorm(sp.Function):
    """‖A‖ as written."""

    nargs = 1


class Tr(sp.Function):
    """A transpose as written (ᵀ, ^T, ^\\top)."""

    nargs = 1


# ------------------------------------------------------------ meanings
class Score(sp.Function):
    """s_ij: the score of sample i for class j."""

    nargs = 2


class ScoreVector(sp.Function):
    """s_i, the scores of sample i as a vector (when the note writes single scores s_ij)."""

    nargs = 1


class Label(sp.Function):
    """y_i: the label of sample i."""

    nargs = 1


class Feature(sp.Function):
    """x_iu: feature u of sample i."""

    nargs = 2


class Sample(sp.Function):
    """x_i: sample i as a vector of features."""

    nargs = 1


class Weight(sp.Function):
    """w_ab: an entry of W, indices in the order written (row, column)."""

    nargs = 2


class ClassWeights(sp.Function):
    """w_j: class j's weights as a vector."""

    nargs = 1


class SampleLoss(sp.Function):
    """L_i: the loss of sample i."""

    nargs = 1


class Prob(sp.Function):
    """p_ij = e^{s_ij} / Σ_k e^{s_ik}."""

    nargs = 2


TOTAL = sp.Symbol("L")  # the full loss
WMAT = sp.Symbol("W", commutative=False)  # matrices keep their order in a product (Mᵀ Xᵀ)
XMAT = sp.Symbol("X", commutative=False)


class Entry(sp.Function):
    """Entry (row, column) of a matrix the note defines entry by entry, case by case (M_ij = … (j ≠ y_i),
    M_{iy_i} = …): ``Entry(name, row, column)``, evaluated lazily at concrete indices."""

    nargs = 3


class DefinedVar(sp.Function):
    """A quantity the note defines (m_ij = s_ij − s_{iy_i} + Δ) as the variable of a derivative:
    ``(value at its indices, definition in its parameters, parameters, indices)``. ∂L_i/∂m_ij is the
    derivative of L_i written in the m's alone."""

    nargs = 4


class EntryRow(sp.Function):
    """M_i: row i of a matrix the note defines entry by entry, as a vector (the column of M_ic)."""

    nargs = 2


class Unknown(sp.Function):
    """A quantity the note names with indices but never defines (c_i, "the same number c_i"):
    ``Unknown(name, *indices)``, any real number at each index — a claim with it holds for every value
    (proved) or is not understood, never refuted."""


class Whole(sp.Function):
    """The whole N×C matrix of a note's entrywise definition (M in Xᵀ M)."""

    nargs = 1


ROW, COL = sp.Symbol("r·"), sp.Symbol("c·")  # the parameters of an entrywise definition
