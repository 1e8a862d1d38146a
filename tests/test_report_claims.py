"""Formulas are printed, never typed (issue 9, item 2): every displayed equation of a report is printed
from the expression its cited claim proved, for every registered loss × layout × bias × regularizer
× reduction; the notation is a setting of the one printer family; a Loss holds no LaTeX."""

from __future__ import annotations

import dataclasses
import itertools
import re

import pytest
import sympy as sp

import symderiv
from symderiv import losses
from symderiv.algebra.functions import Step
from symderiv.algebra.index import i, j, k, s, u, v, w, y
from symderiv.codegen import vectorize
from symderiv.derive.generic import R_total
from symderiv.derive.result import CLAIM_IDS
from symderiv.render.notation import Cases, latex, text
from symderiv.report import build_report, derive_for_report, render
from symderiv.report.claims import CITED, DEFINITIONS, defined, proved_relations, same, shows_what_was_proved
from symderiv.report.document import LINE_WIDTH
from symderiv.report.render import md_math

CONFIGS = list(
    itertools.product(losses.builtin_names(), ("XW", "WX"), (False, True), ("l2", "half-l2", "none"), ("mean", "sum"))
)


def _report(name, layout, bias, regularizer, reduction):
    d = derive_for_report(name, layout=layout, bias=bias, regularizer=regularizer, reduction=reduction)
    g = d.symbolic()
    return d, g, build_report(d)


@pytest.mark.parametrize(("name", "layout", "bias", "regularizer", "reduction"), CONFIGS)
def test_every_displayed_equation_prints_what_its_cited_claim_proved(name, layout, bias, regularizer, reduction):
    d, g, report = _report(name, layout, bias, regularizer, reduction)
    claims = {e.key: e.claim for e in report.evidence}
    md = render(report, "md")
    for eq in report.equations:
        for row in eq.rows:  # the page shows the printed expression (spelled for Markdown), row by row
            assert md_math(row.rhs) in md and md_math(row.lhs) in md
        notation = dict(eq.notation)
        assert eq.body == latex(eq.expr, layout=layout, line_width=LINE_WIDTH, **notation)  # printed from eq.expr
        if eq.definition:
            assert eq.definition in DEFINITIONS and not eq.claims
            assert eq.expr == defined(eq.definition, d, g), eq.definition
            continue
        assert set(eq.claims) <= set(CITED), eq.claims
        first = eq.claims[0]
        proved = proved_relations(first, claims[first], d, g)
        assert proved, f"claim {first} proved nothing the report can compare"
        assert shows_what_was_proved(eq.expr, proved, d, g), f"({eq.number}) {eq.body} is not what {first} proved"


# ---------------------------------------------------------------- the findings of the audit, as regressions


@pytest.fixture(scope="module")
def wx_half():
    return _report("hinge", "WX", False, "half-l2", "mean")


def test_wx_half_l2_regularizer_gradient_is_lambda_w_vu(wx_half):
    d, g, report = wx_half
    tex = render(report, "tex")
    # the proof covers ∂R/∂w_vu = λ w_vu (W is C×D: w_vu is class v, feature u); that is what is shown
    assert r"\frac{\partial R}{\partial w_{vu}} = \lambda w_{vu}" in tex
    shown = tex.split("What was proven")[0] + tex.split(r"\end{longtable}")[-1]  # all but the claims' own words
    assert "w_{uv}" not in shown and r"\partial R" in shown
    # the regression itself: the audit's ∂R/∂w_uv = λ w_vu, and λ w_uv, are not what the claim proved
    claims = {e.key: e.claim for e in report.evidence}
    proved = proved_relations("symbolic.regularizer", claims["symbolic.regularizer"], d, g)
    lam = symderiv.Derivation.lam
    assert shows_what_was_proved(sp.Eq(sp.Derivative(R_total, w[v, u]), lam * w[v, u], evaluate=False), proved, d, g)
    assert not shows_what_was_proved(
        sp.Eq(sp.Derivative(R_total, w[u, v]), lam * w[v, u], evaluate=False), proved, d, g
    )
    assert not shows_what_was_proved(
        sp.Eq(sp.Derivative(R_total, w[v, u]), lam * w[u, v], evaluate=False), proved, d, g
    )
    assert not shows_what_was_proved(
        sp.Eq(sp.Derivative(R_total, w[v, u]), 2 * lam * w[v, u], evaluate=False), proved, d, g
    )


@pytest.mark.parametrize("bias", [False, True])
def test_wx_reports_never_say_xw(bias):
    _, _, report = _report("hinge", "WX", bias, "l2", "mean")
    for fmt in ("md", "tex", "html"):
        assert "XW" not in render(report, fmt)
    md = render(report, "md")
    if not bias:
        assert "the scores are $S = W X$ alone" in md


@pytest.mark.parametrize(
    ("layout", "bias", "shapes"),
    [
        ("XW", False, [r"X \in \mathbb{R}^{N \times D}", r"W \in \mathbb{R}^{D \times C}"]),
        ("XW", True, [r"X \in \mathbb{R}^{N \times (D + 1)}", r"W \in \mathbb{R}^{(D + 1) \times C}"]),
        ("WX", False, [r"X \in \mathbb{R}^{D \times N}", r"W \in \mathbb{R}^{C \times D}"]),
        ("WX", True, [r"X \in \mathbb{R}^{(D + 1) \times N}", r"W \in \mathbb{R}^{C \times (D + 1)}"]),
    ],
)
def test_shapes_carry_the_bias_column(layout, bias, shapes):
    _, _, report = _report("softmax", layout, bias, "l2", "mean")
    md = render(report, "md")
    conventions = md.split("## Conventions")[1].split("## Derivation")[0]
    for shape in shapes:
        assert shape in conventions
    assert ("D + 1" in md) == bias


def test_a_hand_typed_equation_is_caught(wx_half):
    """The comparison can fail: an equation whose expression is not what its claim proved."""
    d, g, report = wx_half
    claims = {e.key: e.claim for e in report.evidence}
    eq = next(e for e in report.equations if e.claims[:1] == ("symbolic.score-gradient",))
    proved = proved_relations("symbolic.score-gradient", claims["symbolic.score-gradient"], d, g)
    assert shows_what_was_proved(eq.expr, proved, d, g)
    wrong_sign = sp.Eq(eq.expr.lhs, Cases(eq.expr.rhs.other, -eq.expr.rhs.label_value, j, y[i]), evaluate=False)
    assert not shows_what_was_proved(wrong_sign, proved, d, g)
    swapped = sp.Eq(eq.expr.lhs, Cases(eq.expr.rhs.label_value, eq.expr.rhs.other, j, y[i]), evaluate=False)
    assert not shows_what_was_proved(swapped, proved, d, g)
    boxed = next(e for e in report.equations if e.boxed)
    matrix = proved_relations("artifact.matrix-form", claims["artifact.matrix-form"], d, g)
    assert shows_what_was_proved(boxed.expr, matrix, d, g)
    assert not shows_what_was_proved(sp.Eq(boxed.expr.lhs, 2 * boxed.expr.rhs, evaluate=False), matrix, d, g)
    # a claim that holds the concrete value (lhs, rhs = ∂L/∂W, dL/dW as derived) is compared entry by entry
    assert shows_what_was_proved(boxed.expr, [(boxed.expr.lhs, d.gradient)], d, g)  # d.gradient: W's shape
    assert not shows_what_was_proved(boxed.expr, [(boxed.expr.lhs, 2 * d.gradient)], d, g)


#: symbolic-size claims whose displayed relation's right side is the claim's own expression alone
OWN_EXPRESSION = ("symbolic.score-gradient", "symbolic.cases", "symbolic.regularizer", "symbolic.full-gradient")


def test_equations_show_the_claims_own_expressions(wx_half):
    """A claim carries the two expressions it proved equal (``lhs``, ``rhs``); the report compares a
    displayed equation with them. The report's own comparison confirms each claim's two sides, and
    a claim that had proved another expression would not support the displayed equation."""
    d, g, report = wx_half
    claims = {e.key: e.claim for e in report.evidence}
    for cid in ("closed-form.per-element", "closed-form.matrix-weights", *OWN_EXPRESSION, "symbolic.chain-rule"):
        claim = claims[cid]
        assert claim.lhs is not None and claim.rhs is not None, cid
        assert same(claim.lhs, claim.rhs, d, g), cid
        assert not same(claim.lhs, 2 * claim.rhs, d, g), cid
    checked = set()
    for eq in report.equations:
        cid = eq.claims[0] if eq.claims else ""
        if cid not in OWN_EXPRESSION:
            continue
        claim = claims[cid]
        assert shows_what_was_proved(eq.expr, proved_relations(cid, claim, d, g), d, g), cid
        other = dataclasses.replace(claim, lhs=2 * claim.lhs, rhs=2 * claim.rhs)
        assert not shows_what_was_proved(eq.expr, proved_relations(cid, other, d, g), d, g), cid
        checked.add(cid)
    assert checked == set(OWN_EXPRESSION)


def test_every_cited_id_is_in_the_one_table():
    _, _, report = _report("softmax", "XW", True, "l2", "mean")
    assert report.cited() <= set(CITED) <= set(CLAIM_IDS)
    assert {CITED[cid] for cid in CITED} == {CLAIM_IDS[cid] for cid in CITED}  # one wording: the table's
    assert {"artifact.matrix-form", "closed-form.score-gradient", "symbolic.regularizer"} <= report.cited()


# ---------------------------------------------------------------- the printer family and its settings


def test_notation_is_a_printer_setting():
    m = sp.Symbol("m")
    assert latex(Step(m)) == r"\mathbf{1}\left[m > 0\right]"
    assert latex(Step(m), indicator=r"\mathbb{1}") == r"\mathbb{1}\left[m > 0\right]"
    assert latex(sp.KroneckerDelta(j, k)) == r"\mathbf{1}\left[j = k\right]"
    assert latex(sp.KroneckerDelta(j, k), kronecker="delta") == r"\delta_{jk}"
    assert text(sp.KroneckerDelta(j, k)) == "1[j = k]" and text(sp.KroneckerDelta(j, k), kronecker="delta") == "δ(j, k)"
    # one index order per layout: the weight of feature 0, class 1 is W[0, 1] (XW) or W[1, 0] (WX)
    w01 = sp.Symbol("w_{0,1}")
    assert latex(w01, layout="XW") == "w_{0,1}" and latex(w01, layout="WX") == "w_{1,0}"
    assert text(w01, layout="WX") == "w[1,0]"
    assert latex(s[i, j]) == "s_{ij}" and text(s[i, y[i]]) == "s[i,y[i]]"
    assert latex(sp.Derivative(sp.Symbol("L_i"), s[i, j])) == r"\frac{\partial L_{i}}{\partial s_{ij}}"


def test_the_three_formats_share_one_family():
    from symderiv.render.notation import NotesCommentPrinter, NotesLatexPrinter, NotesPrinting, NotesTextPrinter

    for printer in (NotesLatexPrinter, NotesTextPrinter, NotesCommentPrinter):
        assert issubclass(printer, NotesPrinting)
        assert printer._print_Step is NotesPrinting._print_Step


def test_terminal_text_prints_the_proven_expressions():
    d = symderiv.derive("hinge", D=2, C=3, N=2, y=[0, 2], layout="WX", regularizer="half-l2")
    out = str(d)
    assert "∂R/∂w[v,u] = λ*w[v,u]" in out and "w[u,v]" not in out
    assert "matrix form: ∂L/∂W = Mᵀ Xᵀ / N + λ W" in out
    assert "XW" not in out


def test_generated_code_comments_print_the_matrix_form():
    src = vectorize.source("softmax", layout="WX", bias=True, regularizer="half-l2")
    assert "# Matrix form: L = (1/N) Σ_{i} (L_i) + (1/2) λ*Σ_{a} (Σ_{b} (w[b,a]**2))" in src
    assert "∂L/∂W = (P - Y)ᵀ Xᵀ / N + λ W  (X ∈ R^((D + 1) × N) with the constant-1 feature" in src


def test_a_loss_holds_no_latex():
    for name in losses.names():
        loss = losses.get(name)
        for f in dataclasses.fields(loss):
            value = getattr(loss, f.name)
            assert not (isinstance(value, str) and re.search(r"\\[a-zA-Z]", value)), (name, f.name)
            assert not isinstance(value, dict), (name, f.name)
