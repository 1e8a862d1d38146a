"""Tests that kill the mutants bench/mutation.py found surviving in the prover (issue 9, item 3).

Each test states a property of the prover that some deliberately broken copy of it violated while
the rest of the suite passed; the expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import sympy as sp

from symderiv import Pos, Step
from symderiv.algebra.normal_form import Normalizer, apply_rules, equal_by_cases, identical, valid_rules

a, b = sp.symbols("a b", real=True)


def test_apply_rules_squares_indicators_for_kink_zero_or_one_only():
    for kink in (0, 1):
        assert apply_rules(Step(a) ** 2 * b, kink) == Step(a) * b
    assert apply_rules(Step(a) ** 2 * b, sp.Rational(1, 2)) == Step(a) ** 2 * b
    assert apply_rules(Pos(a) * Step(a), sp.Rational(1, 2)) == Pos(a)  # valid at every kink


def test_rules_add_the_coefficients_of_monomials_they_merge():
    norm = Normalizer(rules=valid_rules(0))
    # (max(0,a) + 1)(1[a>0] + 1) = max(0,a)·1[a>0] + max(0,a) + 1[a>0] + 1 = 2·max(0,a) + 1[a>0] + 1
    assert identical((Pos(a) + 1) * (Step(a) + 1), 2 * Pos(a) + Step(a) + 1, norm)
    assert not identical((Pos(a) + 1) * (Step(a) + 1), Pos(a) + Step(a) + 1, norm)
    # 1[a>0](1[a>0] + 1) = 1[a>0]² + 1[a>0] = 2·1[a>0] when 1[0] ∈ {0, 1}
    assert identical(Step(a) * (Step(a) + 1), 2 * Step(a), norm)
    assert not identical(Step(a) * (Step(a) + 1), Step(a), norm)


def test_equal_by_cases_checks_the_negative_side_of_every_margin():
    # 1[a > 0] = 1 holds for a > 0 and, with 1[0] = 1, at a = 0 — but not for a < 0
    assert equal_by_cases(Step(a), 1, 1) is None
    assert equal_by_cases(Step(a) * b, b, 1) is None
    assert equal_by_cases(Step(a) + Step(b), 2, 1) is None
    assert equal_by_cases(Step(a), 1 - Step(-a) + Step(-a), 1) is None


def test_equal_by_cases_decides_up_to_729_cases_and_no_more():
    six = sum(Pos(a - n) * Step(a - n) for n in range(6))  # six margins: 3⁶ = 729 cases
    assert equal_by_cases(six, sum(Pos(a - n) for n in range(6)), 0) is True
    seven = six + Pos(a - 6) * Step(a - 6)  # 3⁷ = 2187 cases: undecided, by the limit
    assert equal_by_cases(seven, sum(Pos(a - n) for n in range(7)), 0) is None
    assert equal_by_cases(six, sum(Pos(a - n) for n in range(6)), 0, max_cases=728) is None


# ------------------------------------------------------------------ proof.py: the evaluator and the points

import math  # noqa: E402
import random  # noqa: E402
from fractions import Fraction  # noqa: E402

import mpmath  # noqa: E402

from symderiv.algebra.evaluate import (  # noqa: E402
    MP,
    Evaluator,
    agree_at_points,
    as_sympy,
    evaluate,
    random_point,
    same_value,
)
from symderiv.derive.result import Claim  # noqa: E402

x, z = sp.symbols("x z", real=True)


def test_evaluator_is_exact_on_rationals_and_indicators():
    point = {a: sp.Rational(3, 2), b: sp.Rational(-1, 3), x: 0}
    for kink in (0, sp.Rational(1, 2), 1):
        ev = Evaluator(point, kink)
        assert ev(a * b + a) == Fraction(3, 2) * Fraction(-1, 3) + Fraction(3, 2) == Fraction(1)
        assert ev(a**2 - 2 * b**3) == Fraction(9, 4) + Fraction(2, 27)
        assert ev(a ** (-2)) == Fraction(4, 9)
        assert ev(Step(a)) == 1 and ev(Step(b)) == 0 and ev(Step(x)) == Fraction(kink)
        assert ev(Pos(a)) == Fraction(3, 2) and ev(Pos(b)) == 0 and ev(Pos(x)) == 0
        assert ev(Pos(b) + Step(-b) * b) == Fraction(-1, 3)
        assert isinstance(ev(a + b), Fraction) and isinstance(ev(a * b * 3), Fraction)


def test_evaluator_through_exp_and_log_matches_math():
    point = {a: sp.Rational(3, 2), b: sp.Rational(-1, 3)}
    ev = Evaluator(point, 0)
    for expr, expected in [
        (sp.exp(a), math.exp(1.5)),
        (sp.exp(a) * b + 2, math.exp(1.5) * (-1 / 3) + 2),
        (sp.log(a), math.log(1.5)),
        (sp.log(sp.exp(a) + sp.exp(b)), math.log(math.exp(1.5) + math.exp(-1 / 3))),
        (a ** sp.Rational(1, 2), math.sqrt(1.5)),
        (sp.exp(b) / (sp.exp(a) + sp.exp(b)), math.exp(-1 / 3) / (math.exp(1.5) + math.exp(-1 / 3))),
        (sp.sin(a), math.sin(1.5)),
    ]:
        value = ev(expr)
        assert abs(float(value) - expected) <= 1e-14 * max(1, abs(expected)), expr
    with mpmath.workdps(50):  # 30 digits, not 15
        assert abs(mpmath.mpf(str(ev(sp.exp(a)))) - mpmath.exp(mpmath.mpf(3) / 2)) < mpmath.mpf(10) ** -28


def test_evaluator_refuses_a_symbol_without_a_value():
    import pytest

    with pytest.raises(KeyError):
        Evaluator({a: 1}, 0)(a + z)


def test_evaluate_lists_and_float_inputs():
    assert evaluate([a + 1, a * 2], {a: sp.Rational(1, 4)}, 0) == [Fraction(5, 4), Fraction(1, 2)]
    (value,) = evaluate([a * 2], {a: sp.Float(0.1)}, 0)
    assert not isinstance(value, Fraction) and abs(float(value) - 0.2) < 1e-15


def test_same_value_is_exact_for_fractions_and_relative_for_floats():
    assert same_value(Fraction(1, 3), Fraction(2, 6))
    assert not same_value(Fraction(1, 3), Fraction(1, 3) + Fraction(1, 10**40))
    f = MP.mpf  # 40 digits, as the proofs evaluate
    assert same_value(f(1), f(1) + f("1e-27"))
    assert not same_value(f(1), f(1) + f("1e-20"))
    assert same_value(f("1e10"), f("1e10") * (1 + f("1e-27")))  # relative to the larger value
    assert not same_value(f("1e10"), f("1e10") * (1 + f("1e-22")))
    assert not same_value(f("1e10"), f("1e10") + f("1e-6"))
    assert same_value(f(0), f("1e-27"))  # absolute near zero
    assert not same_value(f(0), f("1e-24"))
    assert same_value(Fraction(1, 2), f("0.5"))
    assert not same_value(Fraction(1, 2), f("0.5000001"))


def test_as_sympy_keeps_rationals_exact():
    assert as_sympy(Fraction(-7, 3)) == sp.Rational(-7, 3)
    assert abs(as_sympy(mpmath.mpf("0.25")) - sp.Rational(1, 4)) < 1e-18


def test_random_points_are_small_rationals_and_positive_where_asked():
    rng = random.Random(5)
    seen = set()
    for _ in range(300):
        point = random_point([a, b, x], rng, positive=[x])
        assert set(point) == {a, b, x}
        for v in point.values():
            assert v.is_Rational and abs(v.p) <= 12 and 1 <= v.q <= 5
            seen.add(v)
        assert point[x] > 0
    assert max(seen) == 12 and min(seen) == -12  # the whole range is used
    assert any(v.q == 5 for v in seen) and any(v == 0 for v in seen)
    assert random_point([a], random.Random(3)) == random_point([a], random.Random(3))


def test_agree_at_points_counts_points_and_reports_the_first_difference():
    checked, ce = agree_at_points([a + b, a * b], [b + a, b * a], [a, b], 0, points=7, seed=1)
    assert (checked, ce) == (7, None)
    checked, ce = agree_at_points([a + b, Pos(a)], [a + b, a], [a, b], 0, points=50, seed=2, labels=["s", "p"])
    assert ce is not None and 1 <= checked <= 50 and ce["entry"] == "p"
    pa = ce["point"]["a"]
    assert pa < 0 and ce["derived"] == 0 and ce["claimed"] == pa  # max(0, a) = 0 where a < 0
    _, ce = agree_at_points([x], [-x], [x], 0, points=3, seed=0, positive=[x])
    assert ce is not None and ce["entry"] == 0 and ce["derived"] > 0 and ce["claimed"] == -ce["derived"]
    assert agree_at_points([a], [a + 1], [a], 0, points=1, seed=0)[0] == 1


def test_claim_lines_say_what_was_proved_and_show_counterexamples():
    ok = Claim("x = x", True, "symbolic", "3 points")
    assert ok.line() == "proved  x = x  [symbolic; 3 points]"
    assert Claim("x = y", False, "exact").line() == "FAILED  x = y  [exact]"
    ce = {"entry": "w[0,1]", "derived": 1, "claimed": 2, "point": {"a": 3, "b": 4}}
    line = Claim("x = y", False, "exact", counterexample=ce).line()
    assert line.splitlines()[1].strip() == "counterexample at w[0,1]: derived 1, claimed 2; at a = 3, b = 4"


# ------------------------------------------------------------------ simplify.py: powers, floats, the plain normal form


def test_negative_powers_cancel_when_the_normalizer_multiplies():
    # SymPy leaves (1/a + 1)(a + 1) unexpanded; the normal form multiplies out: a⁻¹·a = 1
    assert identical((1 / a + 1) * (a + 1), 2 + a + 1 / a)
    assert not identical((1 / a + 1) * (a + 1), 1 + a + 1 / a)
    assert identical((a**2 + 1) * (1 / a), a + 1 / a)  # a²·a⁻¹ = a
    assert identical((1 / a + b) * (a**2 + 1), a + 1 / a + b * a**2 + b)
    assert not identical(1 / a, 2 / a)


def test_substituted_symbols_are_substituted_under_negative_powers():
    norm = Normalizer(subs={a: b + 1})
    assert identical(1 / a, 1 / (b + 1), norm)
    assert identical(a**2, b**2 + 2 * b + 1, norm)
    assert not identical(1 / a, 1 / b, norm)


def test_float_one_and_zero_coefficients():
    assert identical(sp.Float(1.0) * a + b, a + b)
    assert identical(sp.Float(2.0) * a, 2 * a)
    assert not identical(sp.Float(1.0) * a, 2 * a)
    assert identical(sp.Float(0.0) * a + b, b)


def test_normal_form_is_the_polynomial_in_the_atoms():
    from fractions import Fraction

    from symderiv.algebra.normal_form import normal_form

    assert normal_form(2 * a + a * b**2 - 3) == {
        frozenset({(a, 1)}): Fraction(2),
        frozenset({(a, 1), (b, 2)}): Fraction(1),
        frozenset(): Fraction(-3),
    }
    assert normal_form(a - a) == {} and normal_form(sp.Integer(0)) == {}
    ((monomial, coefficient),) = normal_form(Step(a) / 2).items()
    assert coefficient == Fraction(1, 2) and len(monomial) == 1
    ((atom, exponent),) = monomial
    assert atom[0] == "Step" and exponent == 1


def test_same_value_tolerance_is_exactly_1e_25_relative_to_at_least_one():
    f = MP.mpf
    assert same_value(f(0), f("1e-25"))  # the bound itself is inside
    assert not same_value(f(0), f("1.5e-25"))
    assert same_value(f(3), f(3) + f("2.9e-25"))  # 1e-25 × 3
    assert not same_value(f(3), f(3) + f("3.5e-25"))


def test_claims_compare_without_their_counterexamples():
    ce = {"entry": 0, "derived": 1, "claimed": 2, "point": {}}
    assert Claim("s", False, "m", counterexample=ce) == Claim("s", False, "m")
    assert Claim("s", False, "m") != Claim("s", True, "m")


def _close_to_28_digits(value, exact) -> bool:
    with mpmath.workdps(50):
        return abs(mpmath.mpf(str(value)) - exact) < mpmath.mpf(10) ** -28


def test_evaluator_keeps_30_digits_through_irrational_inputs_and_other_functions():
    ev = Evaluator({a: sp.sqrt(2), b: sp.Rational(3, 2)}, 0)
    with mpmath.workdps(50):
        assert _close_to_28_digits(ev(a), mpmath.sqrt(2))
        assert _close_to_28_digits(ev(sp.sin(b)), mpmath.sin(mpmath.mpf(3) / 2))
        assert _close_to_28_digits(ev(sp.sin(sp.exp(b))), mpmath.sin(mpmath.exp(mpmath.mpf(3) / 2)))
        assert _close_to_28_digits(ev(sp.exp(b) / 3), mpmath.exp(mpmath.mpf(3) / 2) / 3)


def test_evaluator_max_of_small_positive_values():
    ev = Evaluator({a: sp.Rational(1, 2), b: sp.Rational(1, 7)}, 0)
    assert ev(Pos(a)) == Fraction(1, 2) and ev(Pos(b - a)) == 0 and ev(Pos(a - b)) == Fraction(5, 14)


def test_evaluator_names_the_symbol_without_a_value():
    import pytest

    with pytest.raises(KeyError, match="no value for z"):
        Evaluator({a: 1}, 0)(a * z)


def test_same_value_of_a_fraction_and_a_float():
    assert same_value(Fraction(1, 3), MP.mpf(1) / 3)
    assert same_value(MP.mpf(2) / 3, Fraction(2, 3))
    assert not same_value(Fraction(1, 3), MP.mpf("0.3333333333"))


def test_as_sympy_keeps_20_digits_of_a_float():
    assert abs(as_sympy(MP.mpf(1) / 3) - sp.Rational(1, 3)) < sp.Rational(1, 10**19)


def test_agree_at_points_is_reproducible_and_pairs_lists_strictly():
    import pytest

    first = agree_at_points([Pos(a) * b], [a * b], [a, b], 0, points=50, seed=11)
    assert first == agree_at_points([Pos(a) * b], [a * b], [a, b], 0, points=50, seed=11)
    points = {str(agree_at_points([Pos(a) * b], [a * b], [a, b], 0, points=50, seed=s)[1]["point"]) for s in range(6)}
    assert len(points) > 1  # the seed chooses the points
    with pytest.raises(ValueError):
        agree_at_points([a, b], [a], [a, b], 0, points=1, seed=0)


# ------------------------------------------------------------------ pipeline.py: the claims of a concrete derivation

import symderiv  # noqa: E402
from symderiv.losses import get  # noqa: E402
from symderiv.prove.claims import prove_score_cases, summarise_patterns  # noqa: E402


def _loss(name, sample=None, other=None, weights=None):
    """The hinge with its per-sample loss, its j ≠ y_i case or its weight matrix replaced."""
    hinge = get("hinge")
    other = other or (lambda s, y, j, d: Step(s[j] - s[y] + d))
    return symderiv.Loss(
        name=name,
        title=name,
        sample=sample or hinge.sample,
        score_gradient=lambda s, y, j, d, ix: ix.cases(
            j, other=other(s, y, j, d), label=-ix.sum_other(lambda k: other(s, y, k, d))
        ),
        weights=weights or hinge.weights,
        reference=hinge.reference,
    )


def test_every_regularizer_and_reduction_is_proved_at_concrete_size():
    for regularizer in ("l2", "half-l2", "none"):
        for reduction in ("mean", "sum"):
            d = symderiv.derive("hinge", D=2, C=3, N=2, y=[0, 2], regularizer=regularizer, reduction=reduction)
            assert d.proved and all(c.holds for c in d.claims), (regularizer, reduction)


def test_a_loss_whose_derivative_squares_an_indicator_is_proved_only_where_the_rule_holds():
    # L_i = Σ_{j≠y_i} max(0, m_j)·1[m_j > 0]: SymPy's derivative is 1[m_j > 0]², which is 1[m_j > 0]
    # (the closed form) when 1[0] ∈ {0, 1}, and not when 1[0] = ½
    sample = lambda s, y, d, ix: ix.sum_other(lambda j: Pos(s[j] - s[y] + d) * Step(s[j] - s[y] + d))  # noqa: E731
    loss = _loss("pos-times-step", sample=sample)
    for kink in (0, 1):
        d = symderiv.derive(loss, D=2, C=3, N=2, y=[0, 2], kink=kink, points=0)
        assert d.proved, [c.line() for c in d.claims if not c.holds]
    d = symderiv.derive(loss, D=2, C=3, N=2, y=[0, 2], kink=sp.Rational(1, 2), points=0)
    assert not d.proved


def test_score_cases_use_the_rules_on_the_closed_form_too():
    # the closed form written 1[m > 0]², equal to 1[m > 0] when 1[0] ∈ {0, 1}
    loss = _loss("squared-indicator", other=lambda s, y, j, d: Step(s[j] - s[y] + d) ** 2)
    assert prove_score_cases(loss, symderiv.Conventions(kink=0), 3, range(3)).holds
    assert not prove_score_cases(loss, symderiv.Conventions(kink=sp.Rational(1, 2)), 3, range(3)).holds


def test_score_cases_fail_when_any_single_case_is_wrong():
    # wrong only for class j = 0 (when it is not the label): every (label, j) pair must count
    wrong = _loss("wrong-at-0", other=lambda s, y, j, d: (2 if j == 0 else 1) * Step(s[j] - s[y] + d))
    assert not prove_score_cases(wrong, symderiv.Conventions(), 3, range(3)).holds
    assert not prove_score_cases(wrong, symderiv.Conventions(), 3, [1]).holds
    assert prove_score_cases(wrong, symderiv.Conventions(), 3, [0]).holds  # label 0: j = 0 is the label case


def _wrong_weights(S, y, delta):  # the matrix form with M's label column sign flipped
    M = get("hinge").weights(S, y, delta)
    for i_, yi in enumerate(y):
        M[i_, yi] = -M[i_, yi]
    return M


def test_a_wrong_matrix_form_is_refuted_with_a_reproducible_counterexample():
    loss = _loss("wrong-matrix", weights=_wrong_weights)
    d = symderiv.derive(loss, D=2, C=3, N=2, y=[0, 2], all_labels=False, points=2, seed=3)
    matrix = next(c for c in d.claims if c.statement.startswith("dL/dW equals the matrix form"))
    assert not matrix.holds and matrix.counterexample is not None
    at_points = next(c for c in d.claims if c.statement.startswith("direct derivative and matrix form"))
    assert not at_points.holds and at_points.counterexample is not None
    again = symderiv.derive(loss, D=2, C=3, N=2, y=[0, 2], all_labels=False, points=2, seed=3)
    again_at_points = again.claim("evidence.random-points")
    assert again_at_points.counterexample == at_points.counterexample  # the seed fixes the points
    closed = next(c for c in d.claims if c.statement.startswith("∂L/∂w_uv equals the per-element"))
    assert closed.holds and closed.counterexample is None


def test_summarise_patterns_folds_each_statement_and_keeps_any_failure():
    ok, bad = Claim("s", True, "m"), Claim("s", False, "m", counterexample={"entry": 0})
    other = Claim("t", True, "n", "as derived")
    (folded, kept) = summarise_patterns([ok, bad, other], 2)
    assert folded.statement == "s" and not folded.holds and folded.counterexample == {"entry": 0}
    assert folded.detail == "all 2 label patterns" and folded.method == "m"
    assert kept == other  # a statement made once is kept as it is
    (folded,) = summarise_patterns([ok, ok], 2)
    assert folded.holds and folded.detail == "all 2 label patterns"


def test_score_cases_claim_says_which_labels_it_covers():
    hinge, c = get("hinge"), symderiv.Conventions()
    assert prove_score_cases(hinge, c, 3, range(3)).statement.endswith("for every label y_i of 3 classes")
    assert prove_score_cases(hinge, c, 3, [0, 2]).statement.endswith("for the labels y_i ∈ {0, 2}")
