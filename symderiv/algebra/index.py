"""The symbols of index notation at symbolic size: sample i, classes j, k, q, b, features u, l, a,
r (bound by a max over classes), the sizes N, C, D, and the indexed scores s, data x, weights w and
labels y. The symbolic-size derivation and the losses' named quantities (such as softmax's probabilities) share them."""

from __future__ import annotations

import sympy as sp

i, j, k, l, u, v, a, b, q = sp.symbols("i j k l u v a b q", integer=True, nonnegative=True)
#: the bound class index of a max over classes, max_{r ≠ y_i} s_ir (no rule rewrites it)
r = sp.Symbol("r", integer=True, nonnegative=True)
N, C, D = sp.symbols("N C D", integer=True, positive=True)
s, x, w, y = (sp.IndexedBase(name) for name in ("s", "x", "w", "y"))

__all__ = ["C", "D", "N", "a", "b", "i", "j", "k", "l", "q", "r", "s", "u", "v", "w", "x", "y"]
