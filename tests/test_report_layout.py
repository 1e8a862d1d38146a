"""The layout of the math in the reports (issue 12): long relations broken at + and − by the printer,
with a parenthesis keeping its size across the break; one number per displayed relation; the index
section in the notes' words (capitalised steps, softmax as p_ij − 1[j = y_i]); the concrete example in
the notes' notation (1-based, s_2 − s_1 + Δ); the evidence table saying each method once."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from symderiv import losses
from symderiv.algebra.functions import Pos, Step
from symderiv.algebra.index import i, j, k, s, y
from symderiv.conventions import DELTA
from symderiv.render.notation import Row, join_rows, latex, latex_rows, visible_width
from symderiv.report import build_report, derive_for_report, render_report

CONFIGS = [(name, {}) for name in losses.builtin_names()] + [
    ("hinge", {"layout": "WX", "bias": True}),
    ("hinge", {"regularizer": "half-l2", "reduction": "sum"}),
]


@pytest.fixture(scope="module")
def reports():
    return {(name, tuple(c.items())): build_report(derive_for_report(name, **c)) for name, c in CONFIGS}


def _unbroken(rows: list[Row]) -> str:
    """The rows of one relation put back on one line: the continuations appended, a broken
    parenthesis (\\Bigl( … \\Bigr)) written as \\left( … \\right) again."""
    text = " ".join(r.rhs.removeprefix("{} ") for r in rows)
    text = re.sub(r"\\(big|Big|bigg|Bigg)l\(", r"\\left(", text)
    return re.sub(r"\\(big|Big|bigg|Bigg)r\)", r"\\right)", text)


def test_a_long_relation_breaks_at_plus_and_minus_and_keeps_its_content(reports):
    """Every broken relation of every report is, rows joined, exactly the relation printed unbroken; each
    row fits the width unless it is a single term; a parenthesis opened on one row is closed, at the
    same size, on a later one."""
    broken = 0
    for report in reports.values():
        for eq in report.equations:
            rows = eq.rows
            notation = dict(eq.notation)
            relations = eq.expr.relations if hasattr(eq.expr, "relations") else [eq.expr]
            starts = [n for n, r in enumerate(rows) if r.relation]
            assert len(starts) == len(relations)
            for rel, a, b in zip(relations, starts, [*starts[1:], len(rows)], strict=True):
                one = rows[a:b]
                whole = latex(rel.rhs, layout=eq.layout, **notation)
                assert _unbroken(one) == whole
                if len(one) > 1:
                    broken += 1
                    opened = [re.findall(r"\\(\w+)l\(", r.rhs) for r in one]
                    closed = [re.findall(r"\\(\w+)r\)", r.rhs) for r in one]
                    assert sum(map(len, opened)) == sum(map(len, closed)) >= 0
                    assert sorted(x for o in opened for x in o) == sorted(x for c in closed for x in c)
                    for r in one[1:]:
                        assert not r.relation and r.lhs == ""
                        # a top-level continuation starts with its binary sign; one inside a parenthesis may not
                        assert r.rhs.startswith(("{} + ", "{} - ")) or r.depth > 0, r.rhs
    assert broken >= 5, "no long relation was broken"


def test_breaking_is_a_printer_setting():
    """The same expression, printed with and without a line width: broken into aligned rows before a
    minus, with a continuation row, and the same content."""
    m = s[i, j] - s[i, y[i]] + DELTA
    long_sum = sum(Pos(m.xreplace({j: sp.Symbol(f"j{n}")})) for n in range(6))
    rel = sp.Eq(sp.Symbol("L"), long_sum - 2 * Step(m), evaluate=False)
    one = latex(rel)
    assert "&" not in one and r"\\" not in one
    rows = latex_rows(rel, line_width=40)
    assert len(rows) > 1 and rows[0].relation and not any(r.relation for r in rows[1:])
    assert all(visible_width(r.rhs) <= 40 for r in rows)
    assert join_rows(rows) == latex(rel, line_width=40)
    assert latex(rel, line_width=40).startswith("L &= ")
    assert _unbroken(rows) == latex(rel.rhs)


def test_a_broken_parenthesis_keeps_its_size():
    """(A − B) x broken inside the parenthesis: \\Bigl( on the first row, \\Bigr) on the last, sized from
    what they enclose (a sum with its limits: Big; a fraction: bigg)."""
    a = (1 - sp.KroneckerDelta(j, y[i])) * Step(s[i, j] - s[i, y[i]] + DELTA)
    b = sp.KroneckerDelta(j, y[i]) * sp.Sum(Step(s[i, k] - s[i, y[i]] + DELTA), (k, 0, sp.Symbol("C") - 1))
    rel = sp.Eq(sp.Symbol("G"), (a - b) * sp.Symbol("x"), evaluate=False)
    rows = latex_rows(rel, line_width=50)
    assert len(rows) == 2
    assert r"\Bigl(" in rows[0].rhs and rows[1].rhs.endswith(r"\Bigr)") and rows[1].depth == 1
    assert r"\left(" not in rows[0].rhs.split(r"\Bigl(")[0]
    frac = sp.Eq(
        sp.Symbol("G"), (sp.exp(s[i, j]) / sp.Sum(sp.exp(s[i, k]), (k, 0, 9)) - b) * sp.Symbol("x"), evaluate=False
    )
    rows = latex_rows(frac, line_width=30)
    assert r"\biggl(" in rows[0].rhs and r"\biggr)" in rows[-1].rhs


def test_one_number_per_relation_in_every_format(reports):
    report = reports[("hinge", ())]
    rows = [eq for eq in report.equations if len(eq.numbers) > 1]
    assert rows, "no equation of several relations"
    tex, md, page = (render_report(derive_for_report("hinge"), f) for f in ("tex", "md", "html"))
    numbers = [n for eq in report.equations for n in eq.numbers]
    assert sorted(int(n) for n in re.findall(r"\\tag\{(\d+)\}", tex)) == numbers
    assert sorted(int(n) for n in re.findall(r"\\tag\{(\d+)\}", md)) == numbers
    assert [int(n) for n in re.findall(r'<span class="eqno">\((\d+)\)</span>', page)] == numbers
    for eq in rows:  # several relations: aligned at "=", each with its own \tag, in one align*
        block = re.search(r"\\begin\{align\*\}\n(.*?)\\end\{align\*\}", tex[tex.index(eq.rows[0].lhs) - 40 :], re.S)
        assert block and all(f"\\tag{{{n}}}" in block.group(1) for n in eq.numbers)
        assert block.group(1).count("&=") == len(eq.numbers)


def test_the_index_section_reads_like_the_notes(reports):
    for key, report in reports.items():
        section = next(s for s in report.sections if s.title == "The same derivation in index notation")
        headings = [re.match(r"\*\*(.*?)\*\*", b).group(1) for b in section.blocks[1:] if isinstance(b, str)]
        assert headings
        for h in headings:  # "Chain rule.", not "chain rule."; a heading may start with math
            assert h[0].isupper() or h.startswith("$"), (key, h)
    soft = reports[("softmax", ())]
    bodies = [eq.body for eq in soft.equations]
    assert any(r"= p_{ij} - \mathbf{1}\left[j = y_{i}\right]" in b for b in bodies)
    assert any(r"\left(p_{iv} - \mathbf{1}\left[v = y_{i}\right]\right) x_{iu}" in b for b in bodies)


def test_the_concrete_example_is_in_the_notes_notation(reports):
    """Sample 1 of the notes (0 for SymPy), its scores s_1, s_2, s_3, the margin s_j − s_{y_i} + Δ in the
    notes' order: for hinge with labels y = (1, 0) (0-based), the label of sample 1 is class 2."""
    report = reports[("hinge", ())]
    d = derive_for_report("hinge")
    assert d.concrete().y[0] == 1  # the label of the first sample, 0-based: class 2 in the notes
    section = next(s for s in report.sections if s.title == "The derivation at a concrete size")
    (eq,) = [b for b in section.blocks if hasattr(b, "rows")]
    lhs = [r.lhs for r in eq.rows]
    assert lhs == [rf"\frac{{\partial L_{{1}}}}{{\partial s_{{{c}}}}}" for c in (1, 2, 3)]
    assert eq.rows[0].rhs == r"\mathbf{1}\left[s_{1} - s_{2} + \Delta > 0\right]"
    assert "s_{0" not in eq.body and r"\Delta + s" not in eq.body
    assert "label $y_1 = 2$" in section.blocks[0]


def test_the_evidence_table_says_each_method_once():
    md = render_report(derive_for_report("hinge"), "md")
    table = md.split("## What was proven, and how")[1].split("† checked")[0]
    methods = re.findall(r"^\| \| \*\*\*(.*?)\*\*\* \| \|$", table, re.M)
    assert len(methods) == len(set(methods)) > 3
    assert not re.search(r"\bexp\b", " ".join(methods))  # a hinge has no exp in its normal forms
    assert "atoms $e^{(\\cdot)}$" not in md and "$e^{(\\cdot)}$" not in md.split("## What was proven")[1][:1200]
    soft = render_report(derive_for_report("softmax"), "md")
    assert re.search(r"atom exp\b", soft.split("## What was proven, and how")[1])


def test_one_notation_for_the_delta_and_one_index_order(reports):
    """The Kronecker delta is 1[j = k] in the prose and in the math alike (as the seeds write it); under
    layout WX every section, the evidence table included, writes w_vu and x_ui."""
    for (name, conv), _ in reports.items():
        d = derive_for_report(name, **dict(conv))
        for fmt in ("md", "html"):
            out = render_report(d, fmt)
            assert "δ" not in out and r"\delta" not in out, (name, conv, fmt)
    wx = render_report(derive_for_report("hinge", layout="WX", bias=True), "md")
    assert "w_{uv}" not in wx and "x_{iu}" not in wx and "x_{ik} w_{kj}" not in wx
    assert "w_{vu}" in wx and "x_{ui}" in wx
