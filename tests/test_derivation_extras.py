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
