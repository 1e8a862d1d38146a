"""What a report says: every displayed equation is a definition or cites proven claims; the notes'
notation per layout and convention; the LaTeX printer; latexify's faithful-or-verbatim rule."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest
import sympy as sp

import symderiv
from symderiv.algebra.functions import Pos, Step
from symderiv.render.notation import latex
from symderiv.report import build_report, derive_for_report, render_report, repr_latex, repr_markdown
from symderiv.report import code as report_code
from symderiv.report.content import build
from symderiv.report.document import Equation, ReportError, plain, relations_of

LOSSES = ["hinge", "squared-hinge", "softmax"]
CONVENTIONS = [
    {},
    {"layout": "WX"},
    {"bias": True},
    {"regularizer": "half-l2", "reduction": "sum"},
    {"regularizer": "none", "delta": 1, "kink": "1/2"},
]


@pytest.fixture(scope="module")
def reports():
    return {name: build_report(derive_for_report(name)) for name in LOSSES}


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("conventions", CONVENTIONS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_every_equation_is_a_definition_or_proven(name, conventions):
    report = build_report(derive_for_report(name, **conventions))
    keys = {e.key: e.claim for e in report.evidence}
    numbered = [eq for eq in report.equations if not eq.definition]
    numbers = [n for eq in numbered for n in eq.numbers]  # one number per displayed relation
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(len(eq.numbers) == len(relations_of(eq.expr)) for eq in numbered)
    for eq in report.equations:
        if eq.definition:
            assert not eq.claims and not eq.number
            continue
        assert eq.claims, f"equation ({eq.number}) cites no claim"
        for key in eq.claims:
            assert keys[key].holds, keys[key].line()
    # the claims the derivation itself proved are all shown, and all cover something
    shown = {e.claim for e in report.evidence if e.source == "derive"}
    d = derive_for_report(name, **conventions)
    assert {c.statement for c in shown} == {c.statement for c in d.claims}
    for e in report.evidence:
        assert report.covers(e.key), f"claim {e.key} covers no equation"


def test_the_derivation_reads_like_the_notes(reports):
    eqs = [eq.body for eq in reports["hinge"].equations]
    text = "\n".join(eqs)
    # ∂L_i/∂s_j first, then ∂s/∂w, the chain rule, the cases, the matrix form
    order = [
        r"\frac{\partial L_{i}}{\partial s_{ij}} = \begin{cases}",
        r"\frac{\partial s_{iq}}{\partial w_{uv}}",
        r"\sum_{i} \sum_{q} \frac{\partial L_{i}}{\partial s_{iq}}",
        r"v \ne y_{i}",
        r"X^{\top} M + 2 \lambda W",
    ]
    positions = [text.index(piece) for piece in order]
    assert positions == sorted(positions)
    assert r"\mathbb{1}" not in text and r"\mathbf{1}\left[s_{ij} - s_{iy_{i}} + \Delta > 0\right]" in text
    boxed = [eq for eq in reports["hinge"].equations if eq.boxed]
    assert len(boxed) == 1 and "artifact.matrix-form" in boxed[0].claims


@pytest.mark.parametrize(
    ("conventions", "pieces"),
    [
        ({"layout": "WX"}, [r"s_{ij} = \sum_{l} w_{jl} x_{li}", r"M^{\top} X^{\top} + 2 \lambda W", r"w_{vu}"]),
        ({"regularizer": "half-l2"}, [r"X^{\top} M + \lambda W", r"\frac{1}{2} \lambda \sum_{a}"]),
        ({"regularizer": "none", "reduction": "sum"}, [r"= X^{\top} M}"]),
    ],
)
def test_conventions_change_the_formulas(conventions, pieces):
    tex = render_report(derive_for_report("hinge", **conventions), "tex")
    for piece in pieces:
        assert piece in tex


def test_conventions_in_words(reports):
    md = render_report(derive_for_report("hinge", bias=True, kink=1), "md")
    assert "**Bias trick:**" in md and "last row of $W$ holds the biases" in md
    assert r"takes $\mathbf{1}[0] = 1$" in md and "gives a valid subgradient" in md
    soft = render_report(derive_for_report("softmax"), "md")
    assert "no indicator convention is needed" in soft and r"\Delta" not in soft.split("## Conventions")[1][:600]


def test_an_unproven_claim_stops_the_report():
    d = derive_for_report("hinge")
    d.claims[2] = dataclasses.replace(d.claims[2], holds=False)
    with pytest.raises(ReportError, match="rests on a claim that failed"):
        build(d, generic=d.symbolic())


def test_a_loss_without_a_symbolic_size_derivation_is_refused():
    d = derive_for_report("hinge")
    with pytest.raises(ReportError, match="no symbolic-size derivation"):
        build(d, generic=None)


def test_rendering_is_deterministic():
    a = render_report(derive_for_report("softmax"), "html")
    b = render_report(derive_for_report("softmax"), "html")
    assert a == b


def test_symbolic_size_derivation_is_reported_at_the_proof_size():
    d = symderiv.derive("hinge")
    assert "D = 3" in render_report(d, "md")


# ---------------------------------------------------------------- printer


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (Step(sp.Symbol("m")), r"\mathbf{1}\left[m > 0\right]"),
        (Pos(sp.Symbol("m")), r"\max\left(0,\, m\right)"),
        (Pos(sp.Symbol("m")) ** 2, r"\max\left(0,\, m\right)^{2}"),
        (sp.Symbol("w_{0,1}") * sp.Symbol("lambda"), r"\lambda w_{0,1}"),
        (sp.Symbol("Delta", real=True) + 1, r"\Delta + 1"),
        (1 - sp.KroneckerDelta(*sp.symbols("v y")), r"1 - \mathbf{1}\left[v = y\right]"),
        (sp.Symbol("p") - 1, "p - 1"),
    ],
)
def test_latex_printer(expr, expected):
    assert latex(expr) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dL/dW equals the matrix form with G = P - Y", "$dL/dW$ equals the matrix form with $G = P - Y$"),
        ("∂R/∂W = 2λW, entry by entry", r"$\partial R/\partial W = 2\lambda W$, entry by entry"),
        ("atoms 1[·], max(0,·), exp", r"atoms $\mathbf{1}[\cdot]$, $\max(0,\cdot)$, exp"),
    ],
)
def test_plain_claims_become_math(text, expected):
    assert plain(text) == expected


# ---------------------------------------------------------------- latexify: faithful or verbatim


def _impl(source: str) -> report_code.Implementation:
    source = textwrap.dedent(source)
    return report_code.Implementation(source.split("(")[0].split()[-1], source)


def test_latexify_renders_what_it_renders_faithfully():
    rendered, reasons = report_code.render(
        _impl(
            """
            def softplus(x, y):
                z = np.exp(x) + y
                return np.log(z)
            """
        )
    )
    assert reasons == [] and rendered is not None
    assert r"\exp" in rendered and r"\log" in rendered


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("def f(S, y):\n    return S - S[:, None]\n", "slice `S[:, None]`"),
        ("def f(S):\n    return np.sum(S, axis=1)\n", "keyword argument `axis=1`"),
        ("def f(W, X):\n    return X.T @ W\n", "attribute `X.T`"),
        ("def f(S, y):\n    return S[np.arange(3), y]\n", "indexing"),
        ("def f(S):\n    S += 1\n    return S\n", "only `name = expression`"),
        ("def f(S):\n    return np.maximum(0, S)\n", "call `np.maximum(0, S)`"),
    ],
)
def test_latexify_is_never_trusted_with_what_it_gets_wrong(source, reason):
    rendered, reasons = report_code.render(_impl(source))
    assert rendered is None
    assert any(reason in r for r in reasons), reasons


def test_implementation_section_falls_back_to_a_listing(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(
        "import numpy as np\n\n\ndef svm_grad(W, X, y):\n    S = X @ W\n"
        "    margins = S - S[np.arange(len(y)), y][:, None] + 1\n    return X.T @ (margins > 0)\n"
    )
    impl = report_code.load_implementation(f"{path}:svm_grad")
    md = render_report(derive_for_report("hinge"), "md", implementation=impl)
    section = md.split("## Your implementation")[1]
    assert "listed verbatim" in section and "slice" in section
    assert "```python\ndef svm_grad(W, X, y):" in section
    assert "$$" not in section.split("```")[0]  # no rendering of it as math


def test_implementation_rendered_when_faithful():
    def smooth(x):
        return np.log(1 + np.exp(x))

    md = render_report(derive_for_report("softmax"), "md", implementation=smooth)
    section = md.split("## Your implementation")[1]
    assert "rendered as mathematics by latexify-py" in section and r"\log" in section


# ---------------------------------------------------------------- figure and Jupyter


def test_the_hinge_figure_jumps_once_at_the_kink(reports):
    fig = reports["hinge"].figure
    loss_curve, slope_curve = fig.curves
    assert len(loss_curve.segments) == 1 and len(slope_curve.segments) == 2
    assert fig.kink == -1.0
    assert reports["softmax"].figure.kink is None
    assert all(len(c.segments) == 1 for c in reports["softmax"].figure.curves)


def test_jupyter_reprs():
    d = derive_for_report("hinge")
    tex = repr_latex(d)
    assert tex.startswith("$$") and tex.endswith("$$") and r"\boxed{" in tex
    md = repr_markdown(d)
    assert md.startswith("<!--") and "<svg" in md and "## Derivation" in md


def test_boxed_equation_marked(reports):
    for report in reports.values():
        assert sum(isinstance(b, Equation) and b.boxed for s in report.sections for b in s.blocks) == 1


import numpy as np  # noqa: E402  (used by the function above, as a user's module would)


def test_implementation_with_its_check_result(tmp_path):
    pytest.importorskip("symderiv.check")
    path = tmp_path / "svm.py"
    path.write_text(
        "import numpy as np\n\n\ndef svm(W, X, y, reg):\n    N = X.shape[0]\n    S = X @ W\n"
        "    m = np.maximum(0, S - S[np.arange(N), y][:, None] + 1)\n    m[np.arange(N), y] = 0\n"
        "    M = (m > 0).astype(float)\n    M[np.arange(N), y] = -M.sum(axis=1)\n"
        "    return m.sum() / N + reg * np.sum(W * W), X.T @ M / N + 2 * reg * W\n"
    )
    impl = report_code.load_implementation(str(path))
    md = render_report(derive_for_report("hinge", delta=1), "md", implementation=impl)
    section = md.split("## Your implementation")[1]
    assert section.index("slice `S[np.arange(N), y][:, None]`") < section.index("keyword argument `axis=1`")
    assert "The result of `symderiv check` on it:" in section and "PASS" in section
    assert "time:" not in section
