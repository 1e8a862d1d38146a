"""The symbolic-size derivation (issue 5): index notation down to the notes' closed forms."""

import itertools
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import symderiv
from symderiv.derive import generic as g
from symderiv.losses import get

LOSSES = ["hinge", "squared-hinge", "softmax"]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("layout", ["XW", "WX"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("regularizer", ["l2", "half-l2", "none"])
def test_every_convention_is_proved_at_symbolic_size(loss, layout, bias, regularizer):
    d = symderiv.derive(loss, layout=layout, bias=bias, regularizer=regularizer)
    assert isinstance(d, g.GenericDerivation)
    failed = [c.line() for c in d.claims if not c.holds]
    assert not failed and d.proved
    assert len(d.claims) == 6 + bias  # the bias trick has a claim of its own


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("layout", ["XW", "WX"])
def test_instantiated_result_equals_the_concrete_derivation_for_every_label_pattern(loss, layout):
    d = symderiv.derive(loss, layout=layout)
    C, N = 3, 2
    for labels in itertools.product(range(C), repeat=N):
        concrete = d.at(D=2, C=C, N=N, y=labels, all_labels=False, points=0)
        assert concrete.claims[-1].id == "symbolic.instantiation"
        assert concrete.claims[-1].holds, labels
        assert concrete.proved


def test_a_wrong_generic_closed_form_fails_the_cross_check():
    hinge = get("hinge")
    wrong = symderiv.Loss(
        name="hinge-wrong-generic",
        title="wrong",
        sample=hinge.sample,
        # the j = y_i case forgets its minus sign
        score_gradient=lambda s, y, j, delta, ix: ix.cases(
            j,
            other=symderiv.Step(s[j] - s[y] + delta),
            label=ix.sum_other(lambda k: symderiv.Step(s[k] - s[y] + delta)),
        ),
        weights=hinge.weights,
        reference=hinge.reference,
    )
    d = symderiv.derive(wrong)
    assert not d.proved
    assert not d.claims[0].holds  # the derived ∂L_i/∂s_ij differs from the claimed closed form


def test_hinge_cases_are_the_notes_formulas_without_deltas():
    d = symderiv.derive("hinge")
    i, u, v, y, s, x = g.i, g.u, g.v, g.y, g.s, g.x
    delta = symderiv.Conventions().delta
    assert d.cases["other"] == x[i, u] * symderiv.Step(s[i, v] - s[i, y[i]] + delta)
    for case in d.cases.values():
        assert not case.has(sp.KroneckerDelta) and not case.has(sp.Sum)
    label = d.cases["label"]
    (excluded,) = label.atoms(symderiv.algebra.functions.ExcludedSum)
    assert excluded.excluded == y[i] and excluded.body == symderiv.Step(s[i, g.k] - s[i, y[i]] + delta)
    assert label == -x[i, u] * excluded
    # shown as Σ_{k≠y_i}, it is still the derived sum: expanding it back gives the proven form
    assert label.xreplace({excluded: excluded.as_sum()}).has(sp.KroneckerDelta(g.k, y[i]))


def test_softmax_gradient_in_scores_is_p_minus_y():
    d = symderiv.derive("softmax")
    i, j, k, y, s = g.i, g.j, g.k, g.y, g.s
    p = sp.exp(s[i, j]) / sp.Sum(sp.exp(s[i, k]), (k, 0, g.C - 1))
    assert sp.expand(d.derived_score_gradient - (p - sp.KroneckerDelta(j, y[i]))) == 0


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("layout", ["XW", "WX"])
@pytest.mark.parametrize("bias", [False, True])
def test_at_gives_the_same_numpy_gradient_as_a_concrete_derivation(loss, layout, bias):
    rng = np.random.default_rng(7)
    D, C, N, y = 3, 4, 5, (0, 3, 1, 1, 2)
    d = symderiv.derive(loss, layout=layout, bias=bias).at(D=D, C=C, N=N, y=y, all_labels=False)
    F = D + bias
    W = rng.normal(size=(F, C) if layout == "XW" else (C, F))
    X = rng.normal(size=(N, D) if layout == "XW" else (D, N))
    direct = symderiv.derive(loss, D=D, C=C, N=N, y=y, layout=layout, bias=bias, all_labels=False)
    np.testing.assert_allclose(d.numpy_gradient(W, X, 0.3), direct.numpy_gradient(W, X, 0.3), rtol=1e-12, atol=1e-12)


def test_cli_generic_prints_cases_without_kronecker_deltas():
    out = subprocess.run(
        [sys.executable, "-m", "symderiv", "derive", "hinge", "--generic"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "KroneckerDelta" not in out.stdout
    per_element = [line for line in out.stdout.splitlines() if "∂L_i/∂w[u,v] =" in line]
    assert len(per_element) == 2
    for line in per_element:  # no delta, no indicator of an index equality, no sum over a delta
        assert "δ" not in line and "1[v =" not in line and "1[k =" not in line and "Σ_{k}" not in line
    assert "(v ≠ y[i])" in per_element[0] and "(v = y[i])" in per_element[1]
    assert "Σ_{k≠y[i]}" in per_element[1]
    assert "x[i,u]*1[s[i,v] - s[i,y[i]] + Δ > 0]" in out.stdout
    assert "proved (6 claims)" in out.stdout
    steps = subprocess.run(
        [sys.executable, "-m", "symderiv", "derive", "hinge", "--generic", "--steps"], capture_output=True, text=True
    )
    assert steps.returncode == 0 and "after delta summation" in steps.stdout
