"""The derivation at concrete size, for one label pattern: build → differentiate (two routes) →
simplify by the named rewrite rules."""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ..algebra.normal_form import apply_rules
from ..conventions import Conventions
from ..losses import Loss
from . import differentiate
from .build import build


def derive_pattern(loss: Loss, conventions: Conventions, D: int, C: int, N: int, y: Sequence[int]):
    """Build, differentiate (two routes) and simplify for one label pattern."""
    problem = build(loss, conventions, D, C, N, y)  # 1. build
    G = differentiate.score_gradient(problem)  # 2. differentiate: per sample in the scores …
    direct = differentiate.direct(problem)  # … and directly, L(W) as a whole
    G = simplify(G, conventions)  # 3. simplify: named rewrites toward the closed forms
    return problem, G, direct


def simplify(G: sp.Matrix, conventions: Conventions) -> sp.Matrix:
    """Apply the named rewrite rules valid for the kink convention to the per-sample derivatives.
    (The direct route is only compared, never shown: the proofs apply the same rules to monomials.)"""
    return G.applyfunc(lambda e: apply_rules(e, conventions.kink))
