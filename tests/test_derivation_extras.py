"""Floating-point evidence and Jupyter display of a Derivation."""

import pytest

import symderiv


@pytest.mark.parametrize("loss", ["hinge", "squared-hinge", "softmax"])
@pytest.mark.parametrize("layout", ["XW", "WX"])
@pytest.mark.parametrize("bias", [False, True])
def test_check_numeric_holds_and_is_recorded(loss, layout, bias):
    d = symderiv.derive(loss, D=3, C=3, N=4, layout=layout, bias=bias, all_labels=False)
    before = len(d.claims)
    claim = d.check_numeric(seed=3)
    assert claim.holds, claim.line()
    assert len(d.claims) == before + 1 and d.proved
    assert claim.method.startswith("floating point")


def test_check_numeric_catches_a_wrong_generated_gradient(monkeypatch):
    d = symderiv.derive("hinge", D=2, C=3, N=2, all_labels=False)
    good = d.numpy_gradient
    monkeypatch.setattr(d, "numpy_gradient", lambda W, X, reg, delta=None: good(W, X, reg, delta) * 1.001)
    assert not d.check_numeric().holds and not d.proved


def test_jupyter_display_is_a_report():
    d = symderiv.derive("hinge", D=2, C=3, N=2)
    md = d._repr_markdown_()
    assert "$$" in md and "hinge" in md.lower()
    tex = d._repr_latex_()
    assert "\\frac{\\partial L" in tex or "\\partial" in tex


def test_a_false_closed_form_gets_a_counterexample_with_exact_values():
    import sympy as sp

    from symderiv.algebra.evaluate import Evaluator

    h = symderiv.losses.get("hinge")
    wrong = symderiv.Loss(  # the label case without its minus sign
        name="hinge-label-sign",
        title="wrong",
        sample=h.sample,
        weights=h.weights,
        reference=h.reference,
        score_gradient=lambda s, y, j, d, ix: ix.cases(
            j, other=symderiv.Step(s[j] - s[y] + d), label=ix.sum_other(lambda k: symderiv.Step(s[k] - s[y] + d))
        ),
    )
    d = symderiv.derive(wrong, D=2, C=3, N=2, y=[1, 2], all_labels=False)
    failed = [c for c in d.claims if not c.holds]
    assert not d.proved and any(c.id == "closed-form.per-element" for c in failed)
    ce = next(c.counterexample for c in failed if c.counterexample)
    assert all(isinstance(v, sp.Rational) for v in ce["point"].values())  # exact values
    assert ce["derived"] == -ce["claimed"] != 0
    # re-evaluate the derived ∂L_i/∂s_ij at the point independently of the pipeline
    point = {sp.Symbol(k, real=True): v for k, v in ce["point"].items()}
    i, j = map(int, ce["entry"].split("[")[1].rstrip("]").split(","))
    scores = {d.S[a, b]: d.problem.S_def[a, b].xreplace(point) for a in range(2) for b in range(3)}
    value = Evaluator({**point, **scores}, d.conventions.kink)(d.score_gradient[i, j])
    assert value == ce["derived"]
    assert "counterexample at" in str(d)
