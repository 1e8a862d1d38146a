"""The index-notation rules of the symbolic-size derivation, one by one (issue 9, item 3): each
rewrites what it should, to what it should, and leaves alone what it must not touch."""

from __future__ import annotations

import sympy as sp

from symderiv import Step
from symderiv.derive import generic as g

C, D, N = g.C, g.D, g.N
i, j, k, l, u, v, a, b, q, r = g.i, g.j, g.k, g.l, g.u, g.v, g.a, g.b, g.q, g.n  # r: the second sample index (n there)
s, x, w, y = g.s, g.x, g.w, g.y
HI = D - 1
delta = sp.KroneckerDelta


def rules(feature_hi=HI) -> dict:
    """The index rules by name (built inside each test, so that mutation testing sees them used)."""
    return {rule.name: rule for rule in g.index_rules(feature_hi)}


def test_index_ranges():
    for cls in (j, v, k, q, b, y[i], y[r]):
        assert g._index_range(cls, HI) == (0, C - 1)
    for feature in (u, l, a):
        assert g._index_range(feature, HI) == (0, HI)
        assert g._index_range(feature, D) == (0, D)
    for sample in (i, r):
        assert g._index_range(sample, HI) == (0, N - 1)
    assert g._index_range(sp.Symbol("t", integer=True), HI) is None
    assert g._index_range(x[i, u], HI) is None


def test_sum_linearity():
    rule = rules()["sum-linearity"]
    f, h = s[i, k], Step(s[i, k] - s[i, j])
    assert rule(sp.Sum(f + h, (k, 0, C - 1))) == sp.Sum(f, (k, 0, C - 1)) + sp.Sum(h, (k, 0, C - 1))
    assert rule(sp.Sum(x[i, u] * f, (k, 0, C - 1))) == x[i, u] * sp.Sum(f, (k, 0, C - 1))
    assert rule(sp.Sum(x[i, u], (k, 0, C - 1))) == C * x[i, u]  # the count of the range
    assert rule(sp.Sum(x[i, u], (k, 2, C - 1))) == (C - 2) * x[i, u]
    assert rule(sp.Sum(x[i, u], (k, 0, C - 1), (l, 0, HI))) == C * D * x[i, u]
    assert rule(sp.Sum(f * h, (k, 0, C - 1))) == sp.Sum(f * h, (k, 0, C - 1))  # nothing to split
    assert rule(sp.Sum(2 * f, (k, 0, C - 1))) == 2 * sp.Sum(f, (k, 0, C - 1))


def test_delta_sum():
    rule = rules()["delta-sum"]
    assert rule(sp.Sum(delta(k, j) * s[i, k], (k, 0, C - 1))) == s[i, j]
    assert rule(sp.Sum(delta(j, k) * s[i, k] * x[i, u], (k, 0, C - 1))) == s[i, j] * x[i, u]
    assert rule(sp.Sum(delta(k, y[i]) * s[i, k], (k, 0, C - 1))) == s[i, y[i]]
    two = sp.Sum(delta(a, u) * delta(b, v) * w[a, b], (a, 0, HI), (b, 0, C - 1))
    assert g.canonical(two, tuple(rules().values())) == w[u, v]
    assert rule(sp.Sum(delta(l, u) * x[i, l], (l, 0, HI))) == x[i, u]
    assert rule(sp.Sum(delta(r, i) * s[r, q], (r, 0, N - 1))) == s[i, q]
    # not when the target lies outside the summed range, or the range is not the full one
    unchanged = [
        sp.Sum(delta(k, u) * s[i, k], (k, 0, C - 1)),  # u is a feature, k a class
        sp.Sum(delta(k, j) * s[i, k], (k, 1, C - 1)),  # j may be 0
        sp.Sum(delta(l, u) * x[i, l], (l, 0, D)),  # feature range with the bias, rule without it
        sp.Sum(delta(k, k + 1) * s[i, k], (k, 0, C - 1)),  # the target contains k
        sp.Sum(s[i, k], (k, 0, C - 1)),
    ]
    for e in unchanged:
        assert rule(e) == e, e
    assert rules(D)["delta-sum"](sp.Sum(delta(l, u) * x[i, l], (l, 0, D))) == x[i, u]  # with the bias feature
    # Σ_k δ(k, y_k) f(k) is no delta sum: the target depends on the summed index
    e = sp.Sum(delta(k, y[k]) * s[i, k], (k, 0, C - 1))
    assert rule(e) == e


def test_delta_substitution():
    rule = rules()["delta-substitution"]
    assert rule(delta(j, y[i]) * s[i, j]) == delta(j, y[i]) * s[i, y[i]]
    assert rule(delta(y[i], v) * x[i, u] * Step(s[i, v] - s[i, k])) == delta(v, y[i]) * x[i, u] * Step(
        s[i, y[i]] - s[i, k]
    )
    assert rule(delta(j, y[i]) * j * x[i, u]) == delta(j, y[i]) * y[i] * x[i, u]  # the index itself a factor
    for e in (delta(j, y[i]) * s[i, k], s[i, j] * x[i, u], delta(j, k) * s[i, j], delta(j, y[i]) + s[i, j]):
        assert rule(e) == e, e


def test_delta_square_expressions_are_sympys_own():
    # SymPy evaluates δⁿ to δ as it builds the power, so the rule's expression half never fires;
    # its monomial half (below) is what the proofs use
    assert delta(j, y[i]) ** 2 == delta(j, y[i]) and delta(j, y[i]) ** 3 == delta(j, y[i])
    rule = rules()["delta-square"]
    assert rule(s[i, j] ** 2) == s[i, j] ** 2


def test_delta_square_in_normal_forms():
    from symderiv.algebra.normal_form import Normalizer, identical

    norm = Normalizer(rules=[rule for rule in rules().values() if rule.on_monomial])
    assert identical(delta(j, y[i]) ** 2 * s[i, j], delta(j, y[i]) * s[i, j], norm)
    assert identical((delta(j, y[i]) + 1) * delta(j, y[i]), 2 * delta(j, y[i]), norm)
    assert not identical(s[i, j] ** 2 * delta(j, y[i]), s[i, j] * delta(j, y[i]), norm)
    assert not identical(delta(j, y[i]) ** 2, delta(j, k), norm)
    assert not identical((delta(j, y[i]) + 1) * delta(j, y[i]), 2 * delta(j, y[i]), Normalizer())  # no rule, no proof


def test_every_rule_is_named_and_states_its_identity():
    names = [rule.name for rule in g.index_rules(HI)]
    assert names == ["sum-linearity", "delta-sum", "delta-substitution", "delta-square"]
    assert all(rule.description and "=" in rule.description for rule in g.index_rules(HI))


def test_canonical_runs_the_rules_to_a_fixed_point():
    every = tuple(rules().values())
    # ∂/∂w_uv of λ Σ_ab w_ab² is 2λ w_uv, through two delta sums
    R = g.LAMBDA * sp.Sum(w[a, b] ** 2, (a, 0, HI), (b, 0, C - 1))
    assert g.canonical(sp.diff(R, w[u, v]), every) == 2 * g.LAMBDA * w[u, v]
    # ∂s_iq/∂w_uv = δ(q, v) x_iu
    assert g.canonical(sp.diff(sp.Sum(x[i, l] * w[l, q], (l, 0, HI)), w[u, v]), every) == delta(q, v) * x[i, u]
    # Σ_q (1 − δ(q, y_i)) δ(q, v) = 1 − δ(v, y_i)
    e = sp.Sum((1 - delta(q, y[i])) * delta(q, v), (q, 0, C - 1))
    assert sp.expand(g.canonical(e, every) - (1 - delta(v, y[i]))) == 0
    assert g.canonical(s[i, j], every) == s[i, j]
    assert g.canonical(sp.Sum(delta(k, j) * s[i, k], (k, 0, C - 1)), every, limit=1) == s[i, j]
