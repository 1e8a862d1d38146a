"""The prover tells expressions apart (issue 9, item 3).

Normal forms prove equality; a normalizer that proves too much (xⁿ read as x, an atom's arguments
ignored, a rule applied where its premise fails) would "prove" wrong closed forms. These tests
generate expressions over the prover's vocabulary — symbols, indexed scores s_ij, rationals,
max(0, ·), 1[· > 0], exp, log, reciprocals, sums, products, powers — and near misses of them: a sign
flipped, a factor ×2 or ×½, an exponent changed, arguments swapped, a term dropped, an index pair
transposed. The ground truth is an evaluator written here, independent of symderiv: exact
``Fraction`` arithmetic at random rational points (floats only through exp and log). A pair that
differs at some point must never have equal normal forms, and must never be "proved" by
``verify_formula`` or by ``derive``'s claims; true identities must be proved.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from functools import cache

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symderiv
from symderiv import Pos, Step
from symderiv.algebra.normal_form import RULES, Normalizer, equal_by_cases, identical, valid_rules
from symderiv.losses import get

a, b, c = sp.symbols("a b c", real=True)
s = sp.IndexedBase("s")
VARIABLES = (a, b, c, s[0, 1], s[1, 0], s[0, 0])
KINKS = (Fraction(0), Fraction(1, 2), Fraction(1))
HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
SHORT = settings(max_examples=40, deadline=None)


# ------------------------------------------------------------------ the independent reference


def value(e: sp.Expr, point: dict, kink: Fraction):
    """``e`` at ``point``: exact (Fraction) through +, ·, integer powers, max(0, ·), 1[· > 0]
    (``kink`` at 0); float through exp and log."""
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    if e in point:
        return point[e]
    if e == sp.E:
        return math.e
    if e.is_Float:
        return Fraction(float(e))
    if e.is_Symbol or isinstance(e, sp.Indexed):
        raise KeyError(e)
    args = [value(x, point, kink) for x in e.args]
    if e.is_Add:
        return sum(args[1:], args[0])
    if e.is_Mul:
        out = args[0]
        for x in args[1:]:
            out = out * x
        return out
    if e.is_Pow:
        if e.exp.is_Integer:
            return args[0] ** int(e.exp)
        if not args[0] > 0:
            raise ValueError("a fractional power of a number ≤ 0")
        return float(args[0]) ** float(args[1])
    if isinstance(e, Step):
        return Fraction(1) if args[0] > 0 else (Fraction(0) if args[0] < 0 else kink)
    if isinstance(e, Pos):
        return args[0] if args[0] > 0 else Fraction(0)
    if isinstance(e, sp.exp):
        return math.exp(args[0])
    if isinstance(e, sp.log):
        return math.log(args[0])
    raise TypeError(f"no reference value for {type(e).__name__}")


def differ(x, y) -> bool:
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        return x != y
    return abs(x - y) > 1e-9 * max(1.0, abs(x), abs(y))


def points(seed: int, count: int = 12) -> list[dict]:
    """Small random rationals for every variable, a few of them equal (margins at their kink)."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        choices = [Fraction(rng.randint(-6, 6), rng.randint(1, 3)) for _ in VARIABLES]
        if n % 3 == 0:  # ties: a − b = 0 and s_01 = s_10 reach the kinks
            choices[1], choices[4] = choices[0], choices[3]
        out.append(dict(zip(VARIABLES, choices, strict=True)))
    return out


def differs_somewhere(e1: sp.Expr, e2: sp.Expr, kinks=KINKS) -> bool:
    """The reference finds a point (and a value of 1[0]) where ``e1`` and ``e2`` differ."""
    for point in points(0):
        for kink in kinks:
            try:
                if differ(value(e1, point, kink), value(e2, point, kink)):
                    return True
            except (ZeroDivisionError, ValueError, OverflowError):
                continue
    return False


# ------------------------------------------------------------------ expressions and near misses

leaves = st.one_of(
    st.sampled_from(VARIABLES),
    st.builds(lambda p, q: sp.Rational(p, q), st.integers(-4, 4).filter(bool), st.integers(1, 3)),
)


def _positive(e: sp.Expr) -> sp.Expr:
    return 2 + e**2


def _extend(children):
    return st.one_of(
        st.builds(lambda x, y: x + y, children, children),
        st.builds(lambda x, y: x * y, children, children),
        st.builds(lambda x, n: x**n, children, st.integers(2, 3)),
        st.builds(Pos, children),
        st.builds(Step, children),
        st.builds(sp.exp, children.map(lambda e: e / 4)),
        st.builds(lambda x: sp.log(_positive(x)), children),
        st.builds(lambda x: 1 / _positive(x), children),
    )


expressions = st.recursive(leaves, _extend, max_leaves=7)


def _extend_without_exp(children):
    # SymPy itself rewrites exp(x/4)² as exp(x/2) and x·(1/x) as 1 when it builds a product; the
    # normal form keeps such atoms apart (sound, not complete), so identities are generated without
    return st.one_of(
        st.builds(lambda x, y: x + y, children, children),
        st.builds(lambda x, y: x * y, children, children),
        st.builds(lambda x, n: x**n, children, st.integers(2, 3)),
        st.builds(Pos, children),
        st.builds(Step, children),
        st.builds(lambda x: sp.log(_positive(x)), children),
    )


polynomials_in_atoms = st.recursive(leaves, _extend_without_exp, max_leaves=5)


def _subterms(e: sp.Expr) -> list[sp.Expr]:
    """Every subexpression that is not a number, an indexed score counting as one variable."""
    if e.is_Number:
        return []
    if isinstance(e, sp.Indexed) or e.is_Symbol:
        return [e]
    return [e, *(t for x in e.args for t in _subterms(x))]


def _transpose(e: sp.Expr) -> sp.Expr:
    return e.replace(lambda t: isinstance(t, sp.Indexed) and t.base == s, lambda t: s[t.indices[1], t.indices[0]])


def _swap_symbols(e: sp.Expr) -> sp.Expr:
    return e.xreplace({a: b, b: a})


def _drop_term(e: sp.Expr, n: int) -> sp.Expr | None:
    if not e.is_Add:
        return None
    terms = list(e.args)
    del terms[n % len(terms)]
    return sp.Add(*terms)


def _raise_exponent(e: sp.Expr) -> sp.Expr:
    if e.is_Pow and e.exp.is_Integer and e.exp > 0:
        return e.base ** (e.exp + 1)
    return e**2


def _lower_exponent(e: sp.Expr) -> sp.Expr | None:
    return e.base ** (e.exp - 1) if e.is_Pow and e.exp.is_Integer and e.exp > 1 else None


def _reverse_argument(e: sp.Expr) -> sp.Expr | None:
    return e.func(-e.args[0]) if isinstance(e, Pos | Step | sp.exp) else None


NEAR_MISSES = {
    "sign flip": lambda t, n: -t,
    "factor ×2": lambda t, n: 2 * t,
    "factor ×½": lambda t, n: t / 2,
    "exponent raised": lambda t, n: _raise_exponent(t),
    "exponent lowered": lambda t, n: _lower_exponent(t),
    "argument reversed": lambda t, n: _reverse_argument(t),
    "symbols swapped": lambda t, n: _swap_symbols(t),
    "index swapped": lambda t, n: _transpose(t),
    "term dropped": _drop_term,
}


@st.composite
def near_miss_pairs(draw):
    e = draw(expressions)
    kind = draw(st.sampled_from(sorted(NEAR_MISSES)))
    terms = _subterms(e)
    assume(terms)
    t = terms[draw(st.integers(0, len(terms) - 1))]
    replacement = NEAR_MISSES[kind](t, draw(st.integers(0, 5)))
    assume(replacement is not None and replacement != t)
    variant = e.xreplace({t: replacement})
    assume(not variant.has(sp.I, sp.zoo, sp.oo, sp.nan))  # log(−x) = log(x) + iπ: out of the vocabulary
    return kind, e, variant


# ------------------------------------------------------------------ properties


@HYPOTHESIS
@given(near_miss_pairs())
def test_near_misses_never_normalize_equal(pair):
    kind, e1, e2 = pair
    assume(differs_somewhere(e1, e2))
    assert not identical(e1, e2), f"{kind}: {e1}  vs  {e2}"
    shared = Normalizer()  # normal forms compare within one normalizer (atoms are interned there)
    assert shared(e1) != shared(e2)


@HYPOTHESIS
@given(near_miss_pairs())
def test_near_misses_never_normalize_equal_under_the_rules(pair):
    """With the rewrite rules of κ = 0 (max(0,m)·1[m>0] = max(0,m), 1[m>0]² = 1[m>0])."""
    kind, e1, e2 = pair
    assume(differs_somewhere(e1, e2, kinks=(Fraction(0),)))
    assert not identical(e1, e2, Normalizer(rules=valid_rules(0))), f"{kind}: {e1}  vs  {e2}"


@SHORT
@given(polynomials_in_atoms, polynomials_in_atoms, polynomials_in_atoms)
def test_true_identities_normalize_equal(e1, e2, e3):
    """Expanded, reassociated and commuted forms are proved equal (the reference agrees)."""
    pairs = [
        ((e1 + e2) ** 2, e1**2 + 2 * e1 * e2 + e2**2),
        (e1 * (e2 + e3), e1 * e3 + e2 * e1),
        (e1 * (e2 + 1) - e1 * e2, e1),
        (Pos(e1 * (e2 + e3)) * e3, e3 * Pos(e1 * e3 + e1 * e2)),  # an atom keyed by its argument's normal form
        (Step((e1 - e2) * (e1 + e2)), Step(e1**2 - e2**2)),
        (sp.exp((e1 + e2) / 4) * sp.exp(e3 / 4), sp.exp(e3 / 4) * sp.exp(e2 / 4 + e1 / 4)),
    ]
    for left, right in pairs:
        assert not differs_somewhere(left, right)  # the reference: these really are identities
        assert identical(left, right), f"{left}  vs  {right}"


@SHORT
@given(expressions, expressions)
def test_identical_is_sound_for_random_pairs(e1, e2):
    """Whatever the normalizer proves, the reference confirms."""
    for left, right in ((e1, e2), (e1 * e2, e2 * e1 + e1 - e1), (e1 + e2, e2 + e1)):
        if identical(left, right):
            assert not differs_somewhere(left, right), f"{left}  vs  {right}"
        if identical(left, right, Normalizer(rules=valid_rules(0))):
            assert not differs_somewhere(left, right, kinks=(Fraction(0),)), f"{left}  vs  {right}"


# ------------------------------------------------------------------ the cases and the rules

m = s[0, 1] - s[0, 0] + c  # a hinge margin s_j − s_{y_i} + Δ


@pytest.mark.parametrize(
    "left, right",
    [
        (2 * Pos(m) ** 2, 2 * Pos(m)),  # the squared hinge's closed form, squared once too often
        (Pos(m), Pos(s[0, 0] - s[0, 1] + c)),  # the hinge with its margin reversed
        (Step(m), Step(s[0, 0] - s[0, 1] + c)),
        (Step(m), Step(s[1, 0] - s[0, 0] + c)),  # s_01 written s_10
        (a**2, a),
        (a**3, a**2),
        (a * b**2, a**2 * b),
        ((a + b) ** 2, a**2 + b**2),
        (Pos(a - b), Pos(b - a)),
        (Pos(a), Pos(2 * a)),
        (Step(a), Step(a + 1)),
        (sp.exp(a), sp.exp(-a)),
        (sp.log(2 + a**2), sp.log(2 + b**2)),
        (1 / (2 + a**2), 1 / (2 + b**2)),
        (1 / (2 + a**2), (2 + a**2) ** -2),
        (Pos(a) * Step(a), Pos(a) * Step(b)),
        (sp.Rational(1, 3) * a, sp.Float(0.5) * a),
        (a - b, a + b),
    ],
)
def test_named_near_misses_are_told_apart(left, right):
    assert differs_somewhere(left, right)
    for rules in ((), valid_rules(0), valid_rules(1), RULES):
        assert not identical(left, right, Normalizer(rules=rules))


def test_float_coefficients_are_read_exactly():
    assert identical(sp.Float(0.5) * a, a / 2)
    assert not identical(sp.Float(0.5) * a, a / 3)


@pytest.mark.parametrize("kink, holds", [(0, True), (1, True), (sp.Rational(1, 2), False)])
def test_step_squared_is_step_only_for_kink_zero_or_one(kink, holds):
    norm = Normalizer(rules=valid_rules(kink))
    for n in (2, 3):
        assert identical(Step(m) ** n, Step(m), norm) is holds
        assert identical(a * Step(m) ** n + b, b + a * Step(m), norm) is holds
    # the reference agrees: at m = 0 the indicator is κ, and κ² = κ only for κ ∈ {0, 1}
    assert differs_somewhere(Step(a - b) ** 2, Step(a - b), kinks=(Fraction(kink),)) is not holds
    assert (equal_by_cases(Step(m) ** 2, Step(m), kink) is True) is holds
    # the rule is valid for a kink, and applied by apply_rules, exactly when the identity holds
    assert any(r.name == "step-square" for r in valid_rules(kink)) is holds


@pytest.mark.parametrize("kink", [0, sp.Rational(1, 2), 1])
def test_pos_times_step_is_pos_only_for_the_same_argument(kink):
    norm = Normalizer(rules=valid_rules(kink))
    assert identical(Pos(m) * Step(m), Pos(m), norm)
    assert identical(3 * a * Pos(m) * Step(m) ** 1, 3 * a * Pos(m), norm)
    assert identical(Pos(a - b) * Step(-b + a), Pos(a - b), norm)  # arguments compared as normal forms
    assert not identical(Pos(m) * Step(-m), Pos(m), norm)
    assert not identical(Pos(a) * Step(b), Pos(a), norm)
    assert not identical(Pos(a) ** 2 * Step(a), Pos(a), norm)
    assert identical(Pos(a) ** 2 * Step(a), Pos(a) ** 2, norm)
    assert not identical(Pos(m) * Step(m), Pos(m), Normalizer())  # without the rule, no proof
    assert not differs_somewhere(Pos(m) * Step(m), Pos(m))  # it holds at every kink value


def test_rules_rewrite_expressions_only_where_they_apply():
    pos_step, step_square = RULES
    assert pos_step(Pos(a) * Step(a) * b) == Pos(a) * b
    assert pos_step(Pos(a) * Step(b)) == Pos(a) * Step(b)
    assert pos_step(Pos(a) + Step(a)) == Pos(a) + Step(a)
    assert step_square(Step(a) ** 3 + b) == Step(a) + b
    assert step_square(Step(a) ** -1) == Step(a) ** -1
    assert step_square(Pos(a) ** 2) == Pos(a) ** 2
    assert not step_square.valid_for_kink(sp.Rational(1, 2)) and step_square.valid_for_kink(1)
    assert pos_step.valid_for_kink(sp.Rational(1, 2))


def test_equal_by_cases_proves_only_identities():
    assert equal_by_cases(Pos(a - b), (a - b) * Step(a - b), 0) is True
    for kink in (0, sp.Rational(1, 2), 1):
        assert equal_by_cases(Pos(a - b), (a - b) * Step(b - a), kink) is None
        assert equal_by_cases(Pos(a) * Step(a) + b, Pos(a) + b, kink) is True
        assert equal_by_cases(Pos(a) * Step(a) + b, Pos(a) - b, kink) is None
        assert equal_by_cases(Pos(a) * Step(a), Pos(-a), kink) is None
        assert equal_by_cases(2 * Pos(a) ** 2, 2 * a * Pos(a), kink) is True
        assert equal_by_cases(2 * Pos(a) ** 2, 2 * Pos(a), kink) is None
    assert equal_by_cases(Step(a) ** 2 * b, Step(a) * b, 1) is True
    assert equal_by_cases(Step(a) ** 2 * b, Step(a) * b, sp.Rational(1, 2)) is None  # at a = 0: ¼b vs ½b
    assert equal_by_cases(Step(a) * b, Step(a) * c, 0) is None


# ------------------------------------------------------------------ verify_formula and derive


@cache
def _hinge():
    return symderiv.derive("hinge", D=2, C=3, N=2, y=[0, 2], all_labels=False, points=0)


@cache
def _squared_hinge():
    return symderiv.derive("squared-hinge", D=2, C=3, N=2, y=[0, 2], all_labels=False, points=0)


def _sample_formula(d, square: bool):
    """The notes' ∂L_0/∂w_uv for sample 0 (label 0): the hinge's, or the squared hinge's."""
    S, X, dl = d.S, d.X, d.delta

    def g(j, y=0):
        margin = S[0, j] - S[0, y] + dl
        return 2 * Pos(margin) if square else Step(margin)

    return lambda u, v: (g(v) if v != 0 else -sum(g(k) for k in (1, 2))) * X[0, u]


def _variants(d, square: bool):
    S, X, dl, f = d.S, d.X, d.delta, _sample_formula(d, square)
    h = (lambda t: 2 * Pos(t)) if square else Step
    return {
        "sign flip": lambda u, v: -f(u, v),
        "factor ×2": lambda u, v: 2 * f(u, v),
        "factor ×½": lambda u, v: f(u, v) / 2,
        "exponent": lambda u, v: f(u, v) ** 2,
        "margin reversed": lambda u, v: (h(S[0, 0] - S[0, v] + dl) if v else f(u, v) / X[0, u]) * X[0, u],
        "dropped term": lambda u, v: (h(S[0, v] - S[0, 0] + dl) if v else -h(S[0, 1] - S[0, 0] + dl)) * X[0, u],
        "index swapped": lambda u, v: f(u, v).xreplace({S[0, 1]: S[1, 0]}),
        "feature index swapped": lambda u, v: f(u, v).xreplace({X[0, 1]: X[1, 0]}),
        "Δ dropped": lambda u, v: f(u, v).xreplace({dl: 0}),
    }


@pytest.mark.parametrize("square", [False, True], ids=["hinge", "squared-hinge"])
def test_verify_formula_proves_the_notes_and_refutes_every_near_miss(square):
    d = _squared_hinge() if square else _hinge()
    assert symderiv.verify_formula(d, _sample_formula(d, square), sample=0).status == "proved"
    for name, variant in _variants(d, square).items():
        verdict = symderiv.verify_formula(d, variant, sample=0, points=40)
        assert verdict.status == "refuted", name  # never "proved", and a counterexample found


def test_verify_formula_refutes_the_squared_hinge_written_with_a_square():
    d = _squared_hinge()
    S, X, dl = d.S, d.X, d.delta
    m01 = S[0, 1] - S[0, 0] + dl
    assert symderiv.verify_formula(d, 2 * Pos(m01) * X[0, 1], entry=(1, 1), sample=0).status == "proved"
    assert symderiv.verify_formula(d, 2 * Pos(m01) ** 2 * X[0, 1], entry=(1, 1), sample=0).status == "refuted"


def _wrong_loss(base: str, name: str, other, label=None):
    """``base`` with its closed form's j ≠ y_i case replaced by ``other(s, y, j, Δ)``."""
    loss = get(base)
    label = label or (lambda s, y, Δ, ix: -ix.sum_other(lambda k: other(s, y, k, Δ)))
    return symderiv.Loss(
        name=name,
        title=name,
        sample=loss.sample,
        score_gradient=lambda s, y, j, Δ, ix: ix.cases(j, other=other(s, y, j, Δ), label=label(s, y, Δ, ix)),
        weights=loss.weights,
        reference=loss.reference,
    )


WRONG_CLOSED_FORMS = {
    "squared hinge as 2·max(0, m)²": ("squared-hinge", lambda s, y, j, Δ: 2 * Pos(s[j] - s[y] + Δ) ** 2),
    "squared hinge as max(0, m)": ("squared-hinge", lambda s, y, j, Δ: Pos(s[j] - s[y] + Δ)),
    "squared hinge with 2·1[m > 0]": ("squared-hinge", lambda s, y, j, Δ: 2 * Step(s[j] - s[y] + Δ)),
    "hinge, margin reversed": ("hinge", lambda s, y, j, Δ: Step(s[y] - s[j] + Δ)),
    "hinge without Δ": ("hinge", lambda s, y, j, Δ: Step(s[j] - s[y])),
    "hinge as max(0, m)": ("hinge", lambda s, y, j, Δ: Pos(s[j] - s[y] + Δ)),
    "hinge squared indicator ×2": ("hinge", lambda s, y, j, Δ: 2 * Step(s[j] - s[y] + Δ) ** 2),
}


@pytest.mark.parametrize("case", sorted(WRONG_CLOSED_FORMS))
def test_derive_refutes_a_near_miss_closed_form(case):
    base, other = WRONG_CLOSED_FORMS[case]
    loss = _wrong_loss(base, "near-miss", other)
    d = symderiv.derive(loss, D=2, C=3, N=2, y=[0, 2], points=0)
    assert not d.proved
    failed = {cl.statement.split(" (")[0].split(" for ")[0] for cl in d.claims if not cl.holds}
    assert "∂L_i/∂s_j equals the closed form" in failed
    assert "∂L/∂w_uv equals the per-element closed form" in failed
    closed = next(cl for cl in d.claims if cl.statement.startswith("∂L/∂w_uv equals"))
    assert closed.counterexample is not None  # an exact point where they differ
    generic = symderiv.derive(loss)  # and at symbolic size
    assert not generic.proved and not generic.claims[0].holds


def test_derive_refutes_a_wrong_label_case():
    loss = _wrong_loss(
        "hinge",
        "near-miss",
        lambda s, y, j, Δ: Step(s[j] - s[y] + Δ),
        label=lambda s, y, Δ, ix: -ix.sum_all(lambda k: Step(s[k] - s[y] + Δ)),  # the k = y_i term kept
    )
    d = symderiv.derive(loss, D=2, C=3, N=2, y=[0, 2], points=0)
    assert not d.proved
    assert not symderiv.derive(loss).claims[0].holds
