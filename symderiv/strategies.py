"""Hypothesis strategies for (W, X, y, reg) problems, including points exactly on kinks.

Needs Hypothesis (``pip install hypothesis``; it is in symderiv's ``test`` extra).

>>> from hypothesis import given
>>> from symderiv.strategies import problems
>>> from symderiv.testing import assert_gradient
>>> @given(problems(kinks=True))
... def test_svm(problem):
...     assert_gradient(svm_loss_vectorized, loss="hinge", data=problem)  # doctest: +SKIP

On a kink problem every entry of W and X is a small whole number times Δ (or a whole number when
Δ = 0), so every score and margin is exact in float64 and float32, and the data are nudged until
at least one margin s_j − s_{y_i} + Δ is exactly 0. The truth at such a point accepts any
subgradient, so ``>`` and ``>=`` implementations both pass.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st


class Problem(NamedTuple):
    """One problem in the user's layout: ``f(*problem)`` calls a cs231n-style function."""

    W: np.ndarray
    X: np.ndarray
    y: np.ndarray
    reg: float


def margins(W: np.ndarray, X: np.ndarray, y: np.ndarray, delta: float = 1.0, layout: str = "XW") -> np.ndarray:
    """The N×C margins s_j − s_{y_i} + Δ (NaN at j = y_i)."""
    S = X @ W if layout == "XW" else (W @ X).T
    N = S.shape[0]
    m = S - S[np.arange(N), y][:, None] + delta
    m[np.arange(N), y] = np.nan
    return m


@st.composite
def problems(
    draw,
    *,
    D: int | st.SearchStrategy[int] | None = None,
    C: int | st.SearchStrategy[int] | None = None,
    N: int | st.SearchStrategy[int] | None = None,
    layout: str = "XW",
    delta: float = 1.0,
    kinks: bool | None = None,
    reg: float | st.SearchStrategy[float] | None = None,
) -> Problem:
    """A random problem (W, X, y, reg) in ``layout``. Sizes default to 1 ≤ D ≤ 5, 2 ≤ C ≤ 4,
    1 ≤ N ≤ 6 (so D < C, D = C, D > C and repeated labels all occur); ``reg`` to 0 or a value in
    [0.01, 2]. ``kinks=True`` always puts at least one margin exactly at 0, ``False`` never
    (real-valued draws), ``None`` either."""
    D = _size(draw, D, 1, 5)
    C = _size(draw, C, 2, 4)
    N = _size(draw, N, 1, 6)
    y = np.array(draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N)), dtype=np.int64)
    on_kink = draw(st.booleans()) if kinks is None else kinks
    if reg is None:
        lam = draw(st.one_of(st.just(0.0), st.floats(0.01, 2.0)))
    elif isinstance(reg, st.SearchStrategy):
        lam = draw(reg)
    else:
        lam = float(reg)
    if on_kink:
        unit = abs(delta) if delta else 1.0
        Wi = np.array(draw(st.lists(st.integers(-2, 2), min_size=D * C, max_size=D * C))).reshape(D, C)
        Xi = np.array(draw(st.lists(st.integers(-2, 2), min_size=N * D, max_size=N * D))).reshape(N, D)
        W, X = Wi * unit, Xi.astype(float)
        m = margins(W, X, y, delta)
        if not np.any(m == 0):
            # put sample i's margin for class j on the kink through a bias-like shift of one weight
            i = draw(st.integers(0, N - 1))
            others = [j for j in range(C) if j != y[i]]
            j = draw(st.sampled_from(others))
            u = draw(st.integers(0, D - 1))
            assume(X[i, u] != 0)
            need = -m[i, j]  # raise s_ij by this much: w_uj += need / x_iu
            step = need / X[i, u]
            assume(float(step / unit).is_integer())
            W[u, j] += step
        assume(np.any(margins(W, X, y, delta) == 0))
    else:
        finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=64)
        W = np.array(draw(st.lists(finite, min_size=D * C, max_size=D * C))).reshape(D, C)
        X = np.array(draw(st.lists(finite, min_size=N * D, max_size=N * D))).reshape(N, D)
    W, X = W.astype(float), X.astype(float)
    if layout == "WX":
        W, X = W.T.copy(), X.T.copy()
    return Problem(W, X, y, lam)


def _size(draw, value, low: int, high: int) -> int:
    if value is None:
        return draw(st.integers(low, high))
    if isinstance(value, st.SearchStrategy):
        return draw(value)
    return int(value)


__all__ = ["Problem", "margins", "problems"]
