"""The notes' other derivations (issue 12), each a proven claim: the softmax family's shift invariance and
where the shift must go (with its near misses refuted), one sample's matrix of partials and its outer
product (bias column included), and the hinge family's route through the margins. Each claim is checked
against an independent reference, can fail, and a report displays only what it proved."""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv import losses
from symderiv.algebra.evaluate import Evaluator, random_point
from symderiv.algebra.index import i, j, k, s, y
from symderiv.cli import cli
from symderiv.conventions import Conventions
from symderiv.derive.generic import L_i
from symderiv.losses import MarginRoute, ShiftInvariance
from symderiv.prove.derivations import (
    c_i,
    margin_claims,
    margin_forms,
    per_sample_claims,
    shift_claims,
    shift_forms,
)
from symderiv.render.notation import Chain
from symderiv.report import build_report, derive_for_report, render
from symderiv.report.claims import proved_relations, shows_what_was_proved
from symderiv.report.derivations import margin_chain, outer_product_relation, partials_relation, per_sample_matrices

SOFTMAX_FAMILY = [n for n in losses.builtin_names() if losses.get(n).shift_invariance is not None]
HINGE_FAMILY = [n for n in losses.builtin_names() if losses.get(n).margin_route is not None]


def _report(name, **conventions):
    d = derive_for_report(name, **conventions)
    report = build_report(d)
    return d, d.symbolic(), report, {e.key: e.claim for e in report.evidence}


def test_the_families_are_declared_by_the_losses():
    assert SOFTMAX_FAMILY == ["softmax", "softmax-smoothed"]
    assert HINGE_FAMILY == ["hinge", "squared-hinge", "crammer-singer"]


# ---------------------------------------------------------------- shift invariance


@pytest.mark.parametrize("name", SOFTMAX_FAMILY)
def test_shift_claims_hold_for_the_softmax_family(name):
    claims = {c.id: c for c in shift_claims(losses.get(name), Conventions())}
    assert set(claims) == {"shift.invariance", "shift.placement", "shift.near-miss"}
    assert all(c.holds for c in claims.values()), [c.line() for c in claims.values()]


def test_no_shift_claims_for_a_loss_without_the_capability():
    assert shift_claims(losses.get("hinge"), Conventions()) == []


def test_the_near_misses_are_refuted_at_the_counterexample():
    """Independent reference: the softmax of (3, 1, 2) for class 1 in floating point, and the two near misses
    written out by hand."""
    ce = next(c for c in shift_claims(losses.get("softmax"), Conventions()) if c.id == "shift.near-miss")
    ce = ce.counterexample
    e = math.exp
    want = e(1) / (e(3) + e(1) + e(2))
    numerator_only = e(1 - 3) / (e(3) + e(1) + e(2))
    all_but_first = e(1 - 3) / (e(3) + e(1 - 3) + e(2 - 3))
    assert ce["derived"] == pytest.approx(want, rel=1e-12)
    assert ce["claimed"] == pytest.approx(numerator_only, rel=1e-12)
    assert ce["partial"] == pytest.approx(all_but_first, rel=1e-12)
    assert not ce["numerator-only equal"] and not ce["partial equal"]


def _with_shift(base, **changes):
    return dataclasses.replace(base, name="probe", **changes)


def test_shift_proofs_can_fail():
    """A loss that is not shift invariant (a 1 added under the log), and a ratio whose denominator has a term
    that does not shift (the 1), are refuted."""
    softmax = losses.get("softmax")

    def sample(s_, y_, delta, ix):
        return -s_[y_] + sp.log(1 + ix.sum_all(lambda k_: sp.exp(s_[k_])))

    def ratio(s_, j_, ix):
        return sp.exp(s_[j_]) / (1 + ix.sum_all(lambda k_: sp.exp(s_[k_])))

    bad = _with_shift(softmax, sample=sample, shift_invariance=ShiftInvariance(ratio))
    claims = {c.id: c for c in shift_claims(bad, Conventions())}
    assert not claims["shift.invariance"].holds
    assert not claims["shift.placement"].holds


def test_shifting_the_scores_by_their_maximum_changes_nothing_in_floating_point():
    """The claim's identity, at large scores where the unshifted exponential overflows: the shifted form
    equals a log-sum-exp computed by NumPy's logaddexp (an independent reference)."""
    f = shift_forms(losses.get("softmax"), Conventions())
    scores = np.array([1000.0, 999.0, 1001.5])
    label = 1
    top = scores.max()
    shifted = f.shifted_sample
    C = len(scores)
    value = shifted.subs(sp.Symbol("C", integer=True, positive=True), C)
    value = value.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.Add(*[e.function.subs(k, n) for n in range(C)]))
    value = value.xreplace({s[i, n]: sp.Float(scores[n]) for n in range(C)})
    value = value.xreplace({s[i, y[i]]: sp.Float(scores[label]), c_i: sp.Float(top)})
    reference = -scores[label] + np.logaddexp.reduce(scores)
    assert float(value) == pytest.approx(reference, rel=1e-12)


# ---------------------------------------------------------------- one sample: partials and outer product


@pytest.mark.parametrize("name", losses.builtin_names())
@pytest.mark.parametrize(("layout", "bias"), [("XW", False), ("WX", True)])
def test_per_sample_claims_hold(name, layout, bias):
    d = derive_for_report(name, layout=layout, bias=bias, regularizer="half-l2", reduction="sum")
    claims = {c.id: c for c in per_sample_claims(d)}
    assert claims["per-sample.partials"].holds and claims["per-sample.outer-product"].holds
    assert claims["per-sample.outer-product"].lhs.shape == d.W.shape  # the bias column included


@pytest.mark.parametrize(("layout", "bias"), [("XW", False), ("WX", True)])
def test_the_outer_product_against_the_hand_written_numpy_reference(layout, bias):
    """Sample 0's outer product (the claim's lhs, in scores and features), evaluated at random rationals,
    against the loss's hand-written NumPy reference run on sample 0 alone."""
    d = derive_for_report("hinge", layout=layout, bias=bias)
    p = d.concrete()
    outer = next(c for c in per_sample_claims(d) if c.id == "per-sample.outer-product").lhs
    rng = random.Random(3)
    point = random_point(p.data_symbols, rng)
    point[d.delta] = sp.Integer(1)
    ev = Evaluator(point, d.conventions.kink)
    got = np.array([[float(ev(d.in_weights(e))) for e in row] for row in outer.tolist()])
    W = np.array([[float(point[w]) for w in row] for row in p.W.tolist()])
    X = np.array([[float(point.get(x, 1)) for x in row] for row in p.X.tolist()])
    Wr, x0 = (W, X[0:1]) if layout == "XW" else (W.T, X[:, 0:1].T)
    _, want = losses.get("hinge").reference(Wr, x0, np.array([p.y[0]]), 1.0, 0.0)
    assert np.allclose(got, want if layout == "XW" else want.T, rtol=1e-12)


def test_per_sample_proofs_can_fail():
    d = derive_for_report("softmax")
    wrong = dataclasses.replace(d, score_gradient=d.score_gradient.applyfunc(lambda e: 2 * e))
    claims = {c.id: c for c in per_sample_claims(wrong)}
    assert not claims["per-sample.outer-product"].holds
    assert claims["per-sample.partials"].holds  # the closed form does not use the derived G


# ---------------------------------------------------------------- the margin route


@pytest.mark.parametrize("name", HINGE_FAMILY)
@pytest.mark.parametrize(("layout", "bias"), [("XW", False), ("WX", True)])
def test_margin_route_holds(name, layout, bias):
    d = derive_for_report(name, layout=layout, bias=bias)
    (claim,) = margin_claims(d)
    assert claim.id == "route.margin" and claim.holds, claim.line()


def test_margin_route_matrices_are_the_notes():
    """Seed 002: dL/dm is the indicator of each margin, dm/ds is +1 in the class and −1 in the label."""
    d = derive_for_report("hinge")  # sample 0 has label 1, C = 3
    f = margin_forms(d.concrete(), 0)
    assert f.dm_ds == sp.Matrix([[1, -1, 0], [0, -1, 1]])
    assert [str(type(e).__name__) for e in f.dL_dm] == ["Step", "Step"]
    assert margin_claims(derive_for_report("softmax")) == []


def test_margin_route_can_fail():
    hinge = losses.get("hinge")
    wrong = MarginRoute(margin=hinge.margin_route.margin, of_margins=lambda m, y_, ix: ix.sum_other(lambda k_: m[k_]))
    probe = dataclasses.replace(hinge, name="probe", margin_route=wrong)
    d = derive_for_report("hinge")
    p = dataclasses.replace(d.concrete(), loss=probe)
    (claim,) = margin_claims(dataclasses.replace(d, problem=p))
    assert not claim.holds


# ---------------------------------------------------------------- the reports display what was proven


@pytest.fixture(scope="module")
def softmax_report():
    return _report("softmax")


@pytest.fixture(scope="module")
def hinge_wx_bias_report():
    return _report("hinge", layout="WX", bias=True)


def test_the_sections_appear_by_capability(softmax_report, hinge_wx_bias_report):
    md = render(softmax_report[2], "md")
    assert "## Numerical stability: the max shift" in md and "## The route through the margins" not in md
    assert "## The gradient of one sample" in md
    md = render(hinge_wx_bias_report[2], "md")
    assert "## Numerical stability" not in md and "## The route through the margins" in md
    # seed 001: W is C × (D + 1) and the gradient of one sample is M_i x_iᵀ
    assert r"\frac{\partial L_{i}}{\partial W} = M_{i} x_{i}^{\top}" in md
    assert r"x_{i} \in \mathbb{R}^{(D + 1) \times 1}" in md


def test_shift_near_misses_are_rejected_by_the_display_check(softmax_report):
    d, g, report, claims = softmax_report
    f = shift_forms(d.loss, d.conventions)
    placement = proved_relations("shift.placement", claims["shift.placement"], d, g)
    assert shows_what_was_proved(Chain(f.shifted_ratio, f.factored, f.ratio), placement, d, g)
    # the shift only in the numerator, shown as if it were the softmax: rejected
    assert not shows_what_was_proved(sp.Eq(f.numerator_only, f.ratio, evaluate=False), placement, d, g)
    assert not shows_what_was_proved(Chain(f.numerator_only, f.factored, f.ratio), placement, d, g)
    # the numerator-only relation: e^{−c_i} times the ratio, not the ratio, not e^{+c_i} times it
    miss = proved_relations("shift.near-miss", claims["shift.near-miss"], d, g)
    assert shows_what_was_proved(sp.Eq(f.numerator_only, f.numerator_only_value, evaluate=False), miss, d, g)
    assert not shows_what_was_proved(sp.Eq(f.numerator_only, f.ratio, evaluate=False), miss, d, g)
    plus = sp.Mul(sp.exp(c_i), f.ratio, evaluate=False)
    assert not shows_what_was_proved(sp.Eq(f.numerator_only, plus, evaluate=False), miss, d, g)
    # the loss, shifted: the shift must be added back as + c_i
    inv = proved_relations("shift.invariance", claims["shift.invariance"], d, g)
    assert shows_what_was_proved(Chain(L_i, f.sample, f.shifted_sample), inv, d, g)
    no_plus_c = f.shifted_sample - c_i
    assert not shows_what_was_proved(sp.Eq(L_i, no_plus_c, evaluate=False), inv, d, g)
    assert not shows_what_was_proved(sp.Eq(L_i, f.sample.xreplace({s[i, y[i]]: s[i, j]}), evaluate=False), inv, d, g)


def test_per_sample_near_misses_are_rejected_by_the_display_check(hinge_wx_bias_report):
    d, g, report, claims = hinge_wx_bias_report
    outer = outer_product_relation(d)
    proved = proved_relations("per-sample.outer-product", claims["per-sample.outer-product"], d, g)
    assert shows_what_was_proved(outer, proved, d, g)
    x_i, g_i, _ = per_sample_matrices(d)
    twice = sp.Eq(outer.lhs, sp.MatMul(2, g_i, sp.Transpose(x_i)), evaluate=False)
    assert not shows_what_was_proved(twice, proved, d, g)
    swapped = sp.Eq(outer.lhs, sp.MatMul(x_i, sp.Transpose(g_i)), evaluate=False)  # XW's order under WX
    assert not shows_what_was_proved(swapped, proved, d, g)
    chain = partials_relation(d)
    partials = proved_relations("per-sample.partials", claims["per-sample.partials"], d, g)
    assert shows_what_was_proved(chain, partials, d, g)
    values = chain.args[2]
    flipped = sp.Matrix(values)
    flipped[0, 0], flipped[1, 0] = values[1, 0], values[0, 0]  # class 0 and the label's class exchanged
    assert not shows_what_was_proved(Chain(chain.args[0], chain.args[1], flipped), partials, d, g)
    assert not shows_what_was_proved(Chain(chain.args[0], chain.args[1], values.T), partials, d, g)


def test_margin_route_near_misses_are_rejected_by_the_display_check(hinge_wx_bias_report):
    d, g, report, claims = hinge_wx_bias_report
    chain = margin_chain(d)
    proved = proved_relations("route.margin", claims["route.margin"], d, g)
    assert shows_what_was_proved(chain, proved, d, g)
    lhs, product, result = chain.args
    dL_dm, dm_ds = product.args
    sign = sp.MatMul(dL_dm, -dm_ds, evaluate=False)  # margins read as s_{y_i} − s_j
    assert not shows_what_was_proved(Chain(lhs, sign, result), proved, d, g)
    assert not shows_what_was_proved(Chain(lhs, product, -result), proved, d, g)


# ---------------------------------------------------------------- the named report configurations


def test_report_all_writes_the_named_configurations_only_with_default_conventions(tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["report", "--all", "--format", "md", "--out", str(tmp_path / "a")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "a" / "hinge-WX-bias.md").is_file() and (tmp_path / "a" / "softmax-half-l2-sum.md").is_file()
    md = (tmp_path / "a" / "hinge-WX-bias.md").read_text()
    assert r"W \in \mathbb{R}^{C \times (D + 1)}" in md
    md = (tmp_path / "a" / "softmax-half-l2-sum.md").read_text()
    assert "sum over samples" in md and r"\frac{1}{2}" in md
    out = runner.invoke(cli, ["report", "--all", "--layout", "WX", "--format", "md", "--out", str(tmp_path / "b")])
    assert out.exit_code == 0, out.output
    assert len(out.stdout.splitlines()) == len(losses.builtin_names())


def test_the_sections_use_the_notes_notation_of_the_concrete_example(hinge_wx_bias_report):
    """Sample 0 of the concrete derivation is shown as the concrete example shows it: sample 1, label y_1,
    scores s_1 … s_C, margins m_j, features x_{u1} (layout WX) — never SymPy's 0-based indices."""
    d, g, report, claims = hinge_wx_bias_report
    assert d.concrete().y[0] == 1
    md = render(report, "md")
    extra = md.split("## The gradient of one sample")[1].split("## What was proven")[0]
    assert "For sample $1$" in extra and "label $y_1 = 2$" in extra
    assert r"$m_{1} = s_{1} - s_{2} + \Delta$, $m_{3} = s_{3} - s_{2} + \Delta$" in extra
    assert r"\frac{\partial L_{1}}{\partial w_{vu}} = x_{u1}\  \frac{\partial L_{1}}{\partial s_{v}}" in extra
    assert r"\frac{\partial L_{1}}{\partial w_{3,4}}" in extra  # the bias column, class 3
    for zero in ("L_{0}", "L_0", "s_{0", "x_{0", "m_{0", "w_{0", "_{u0}"):
        assert zero not in extra, zero


@pytest.mark.parametrize("name", HINGE_FAMILY)
def test_the_margin_route_fits_the_page(name):
    """Every matrix the margin route displays fits a page: a row no wider than WIDEST_ROW characters of LaTeX,
    a column entry no wider than WIDEST_ENTRY (Crammer–Singer's product is then shown, not carried out)."""
    from symderiv.render.notation import latex
    from symderiv.report.derivations import WIDEST_ENTRY, WIDEST_ROW

    d = derive_for_report(name)
    chain = margin_chain(d)
    for side in chain.args:
        for M in side.args if isinstance(side, sp.MatMul) else (side,):
            widths = [len(latex(e)) for e in M]
            assert (sum(widths) <= WIDEST_ROW) if M.rows == 1 else (max(widths) <= WIDEST_ENTRY), (name, M.shape)
    assert len(chain.args) == (2 if name == "crammer-singer" else 3)
