"""Derivations the notes make besides the main one, each proven as a claim (ids in
:data:`symderiv.derive.result.CLAIM_IDS`):

* ``shift.*`` — the softmax family's shift invariance (a loss capability,
  :class:`~symderiv.losses.base.ShiftInvariance`): L_i is unchanged when every score of a sample is
  shifted by one c_i (so by max_k s_ik); the shift must go into the numerator and every term of the
  denominator, since e^{s − c} = e^{s}·e^{−c} and e^{−c} cancels; shifting only the numerator, or only
  some terms of the denominator, changes the value (refuted with a counterexample). At symbolic size.
* ``per-sample.*`` — the gradient of one sample as the matrix of its partials ∂L_i/∂w_uv (seed 000)
  and as the outer product x_i (∂L_i/∂s_i)ᵀ (layout XW) or (∂L_i/∂s_i) x_iᵀ (layout WX, seed 001's
  M_i x_iᵀ), bias column included; each against SymPy's derivative of L_i in every weight.
* ``route.margin`` — the hinge family's route through the margins (a loss capability,
  :class:`~symderiv.losses.base.MarginRoute`; seed 002): dL_i/dW = Σ_j (∂L_i/∂m_j)(∂m_j/∂s)(∂s/∂W),
  against the same direct derivative.

Each function returns the claims and the expressions a report displays, so that what is displayed is
what was proven (:mod:`symderiv.report.claims` compares them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ..algebra.evaluate import Evaluator, random_point, same_value
from ..algebra.index import D, i, j, s, y
from ..algebra.normal_form import Normalizer, apply_rules, clean, valid_rules
from ..algebra.shift import depends_on_shift, unshift
from ..conventions import LAMBDA, Conventions
from ..derive.build import Problem
from ..derive.closed_form import closed_score_gradient
from ..derive.generic import GenericIndexing, Row, canonical, index_rules
from ..derive.result import Claim, Derivation
from ..losses import ConcreteIndexing, Loss

SHIFT_METHOD = (
    "symbolic at symbolic size: the exponential law, the factor exp(−c) taken out of Σ_k and out of the log, "
    "then normal forms after the index rules"
)
NORMAL_FORMS = "symbolic: normal forms in the score symbols (scores as Σ_k x_ik w_kj)"

#: the shift c_i of sample i's scores (any real number; stable code takes max_k s_ik)
c_i = sp.Symbol("c_i", real=True)
#: the scores of the counterexample for the near misses (C = 3, label 0), and the class compared
COUNTER_SCORES = (3, 1, 2)
COUNTER_CLASS = 1
#: the outer product of one sample, by layout (x_i a column, with the constant 1 last under the bias trick)
OUTER = {"XW": "x_i (∂L_i/∂s_i)^T", "WX": "(∂L_i/∂s_i) x_i^T"}


class _ShiftedRow(Row):
    """The scores of sample i, each shifted: ``row[j]`` is s_ij − c_i."""

    def __getitem__(self, col: sp.Expr) -> sp.Expr:
        return s[i, col] - c_i


@dataclass(frozen=True)
class ShiftForms:
    """The expressions of the shift derivation, at symbolic size."""

    sample: sp.Expr  # L_i
    shifted_sample: sp.Expr  # L_i with every s_ij replaced by s_ij − c_i
    ratio: sp.Expr  # e^{s_ij} / Σ_k e^{s_ik}
    shifted_ratio: sp.Expr  # e^{s_ij − c_i} / Σ_k e^{s_ik − c_i}
    factored: sp.Expr  # e^{−c_i} e^{s_ij} / (e^{−c_i} Σ_k e^{s_ik}), unevaluated: the reason
    numerator_only: sp.Expr  # e^{s_ij − c_i} / Σ_k e^{s_ik}: the near miss
    numerator_only_value: sp.Expr  # e^{−c_i} · e^{s_ij} / Σ_k e^{s_ik}, unevaluated


def _hold(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


@lru_cache(maxsize=32)
def shift_forms(loss: Loss, conventions: Conventions) -> ShiftForms | None:
    """The shift derivation's expressions for ``loss`` (None without the capability)."""
    cap = loss.shift_invariance
    if cap is None:
        return None
    ix = GenericIndexing(y[i])
    sample = loss.bind(loss.sample(Row(), y[i], conventions.delta, ix), conventions.hyper)
    shifted = loss.bind(loss.sample(_ShiftedRow(), y[i], conventions.delta, ix), conventions.hyper)
    ratio = cap.ratio(Row(), j, ix)
    num, den = ratio.as_numer_denom()
    shift = {s[i, j]: s[i, j] - c_i}
    factor = sp.exp(-c_i)
    return ShiftForms(
        sample=sample,
        shifted_sample=shifted,
        ratio=ratio,
        shifted_ratio=cap.ratio(_ShiftedRow(), j, ix),
        factored=_hold(_hold(factor, num), sp.Pow(_hold(factor, den), -1, evaluate=False)),
        numerator_only=_hold(num.xreplace(shift), sp.Pow(den, -1)),
        numerator_only_value=_hold(factor, ratio),
    )


def _index_nf(conventions: Conventions):
    rules = index_rules(D if conventions.bias else D - 1)
    norm = Normalizer(rules=(*valid_rules(conventions.kink), *(r for r in rules if r.on_monomial)))
    return lambda e: clean(norm(canonical(sp.expand(unshift(e, [c_i])), rules)))


def _equal_unshifted(a: sp.Expr, b: sp.Expr, nf) -> bool:
    """a = b for every c_i: both unshifted, compared as normal forms; ``a`` must be free of the shift."""
    return nf(a) == nf(b)


def shift_claims(loss: Loss, conventions: Conventions, seed: int = 0) -> list[Claim]:
    """``shift.invariance``, ``shift.placement`` and ``shift.near-miss`` for a loss of the softmax family
    ([] for any other loss)."""
    f = shift_forms(loss, conventions)
    if f is None:
        return []
    nf = _index_nf(conventions)
    words = loss.shift_invariance.ratio_words if loss.shift_invariance is not None else "the ratio"
    free = not depends_on_shift(unshift(f.shifted_sample, [c_i]), [c_i])
    invariance_ok = free and _equal_unshifted(f.shifted_sample, f.sample, nf)
    # … and at C = 3 with c_i = max_k s_ik itself, evaluated to 30 digits at random rational scores
    rng = random.Random(seed)
    concrete = _concrete_shift_check(loss, conventions, rng)
    placement_ok = (
        not depends_on_shift(unshift(f.shifted_ratio, [c_i]), [c_i])
        and _equal_unshifted(f.shifted_ratio, f.ratio, nf)
        and _equal_unshifted(f.factored, f.shifted_ratio, nf)
        and _equal_unshifted(f.factored, f.ratio, nf)
    )
    value_ok = _equal_unshifted(f.numerator_only, f.numerator_only_value, nf)
    differs = depends_on_shift(unshift(f.numerator_only, [c_i]), [c_i]) and nf(f.numerator_only) != nf(f.ratio)
    counter = near_miss_counterexample(loss)
    refuted = counter is not None and not counter["numerator-only equal"] and not counter["partial equal"]
    return [
        Claim(
            "L_i is unchanged when every score s_ij is replaced by s_ij − c_i, for every c_i (so for the largest)",
            invariance_ok and concrete,
            SHIFT_METHOD,
            "every C; and at C = 3 with c_i the largest score, to 30 digits at random rational scores",
            id="shift.invariance",
            lhs=f.shifted_sample,
            rhs=f.sample,
        ),
        Claim(
            f"with the shift in the numerator and in every term of the denominator, {words} is unchanged: the "
            "factor exp(−c_i) cancels",
            placement_ok,
            SHIFT_METHOD,
            "every C",
            id="shift.placement",
            lhs=f.shifted_ratio,
            rhs=f.ratio,
        ),
        Claim(
            "shifting only the numerator multiplies the ratio by exp(−c_i); it, and shifting only some terms of "
            "the denominator, are not the ratio (refuted at a counterexample)",
            value_ok and differs and refuted,
            SHIFT_METHOD + "; the refutations by exact evaluation to 30 digits",
            f"counterexample: C = 3, c_i = {max(COUNTER_SCORES)}, the largest of the scores "
            + ", ".join(map(str, COUNTER_SCORES[:-1]))
            + f" and {COUNTER_SCORES[-1]}",
            counterexample=counter,
            id="shift.near-miss",
            lhs=f.numerator_only,
            rhs=f.numerator_only_value,
        ),
    ]


def _concrete_shift_check(loss: Loss, conventions: Conventions, rng: random.Random, C: int = 3) -> bool:
    scores = sp.symbols(f"s_0:{C}", real=True)
    ok = True
    for label in range(C):
        ix = ConcreteIndexing(C, label)
        point = random_point(scores, rng)
        top = max(point[v] for v in scores)
        values = {**point, **{h.symbol: sp.Rational(1, 10) for h in loss.free_hyper(conventions.hyper)}}
        delta = conventions.delta if not conventions.delta.free_symbols else sp.Integer(1)
        plain = loss.bind(loss.sample(list(scores), label, delta, ix), conventions.hyper)
        shifted = loss.bind(loss.sample([v - top for v in scores], label, delta, ix), conventions.hyper)
        ev = Evaluator(values, conventions.kink)
        ok &= same_value(ev(plain), ev(shifted))
    return bool(ok)


def near_miss_counterexample(loss: Loss) -> dict | None:
    """The ratio, its numerator-only shift and a shift of all but the first denominator term, at
    C = 3, label 0, s_i = :data:`COUNTER_SCORES`, c_i = their maximum, class :data:`COUNTER_CLASS`:
    values to 30 digits, and whether each near miss equals the ratio there."""
    cap = loss.shift_invariance
    if cap is None:
        return None
    ix = ConcreteIndexing(len(COUNTER_SCORES), 0)
    scores = sp.symbols(f"s_0:{len(COUNTER_SCORES)}", real=True)
    top = max(COUNTER_SCORES)
    ratio = cap.ratio(list(scores), COUNTER_CLASS, ix)
    num, den = ratio.as_numer_denom()
    shifted = {v: v - c_i for v in scores}
    terms = sp.Add.make_args(den)
    numerator_only = _hold(num.xreplace(shifted), sp.Pow(den, -1))
    partial = _hold(num.xreplace(shifted), sp.Pow(sp.Add(terms[0], *[t.xreplace(shifted) for t in terms[1:]]), -1))
    point = {**dict(zip(scores, map(sp.Integer, COUNTER_SCORES), strict=True)), c_i: sp.Integer(top)}
    ev = Evaluator(point, sp.Integer(0))
    want, got1, got2 = ev(ratio), ev(numerator_only), ev(partial)
    return {
        "entry": f"class {COUNTER_CLASS} of C = {len(COUNTER_SCORES)}",
        "class": COUNTER_CLASS,
        "point": {"s_i": COUNTER_SCORES, "c_i": top},
        "derived": float(want),
        "claimed": float(got1),
        "partial": float(got2),
        "numerator-only equal": same_value(want, got1),
        "partial equal": same_value(want, got2),
    }


# ------------------------------------------------------------------------------ one sample


def _direct_sample(p: Problem, sample: int) -> sp.Matrix:
    """∂L_i/∂w for every weight of W, in W's shape: SymPy's derivative of L_i written in the weights."""
    L = p.samples[sample].xreplace(p.score_definitions)
    return p.W.applyfunc(lambda w: sp.diff(L, w))


def feature_vector(p: Problem, sample: int) -> sp.Matrix:
    """x_i as a column (D + 1 entries with the bias trick: the constant 1 last)."""
    return sp.Matrix([p.feature(sample, u) for u in range(p.features)])


def partials_matrix(p: Problem, sample: int) -> sp.Matrix:
    """The matrix of ∂L_i/∂w_uv in W's shape, entry (u, v) = x_iu times the closed form of ∂L_i/∂s_iv."""
    closed = closed_score_gradient(p)
    entry = lambda u, v: p.feature(sample, u) * closed[sample, v]  # noqa: E731
    if p.conventions.layout == "XW":
        return sp.Matrix(p.features, p.C, entry)
    return sp.Matrix(p.C, p.features, lambda v, u: entry(u, v))


def outer_product(p: Problem, G: sp.Matrix, sample: int) -> sp.Matrix:
    """x_i g_iᵀ (XW) or g_i x_iᵀ (WX), g_i = row ``sample`` of G as a column."""
    x_col, g_col = feature_vector(p, sample), G.row(sample).T
    return x_col * g_col.T if p.conventions.layout == "XW" else g_col * x_col.T


def per_sample_claims(d: Derivation) -> list[Claim]:
    """``per-sample.partials`` and ``per-sample.outer-product`` at the derivation's size, every sample."""
    p = d.concrete()
    assert d.score_gradient is not None and d.gradient_direct is not None
    norm = Normalizer(p.score_definitions, valid_rules(p.conventions.kink))
    same = lambda a, b: all(clean(norm(x)) == clean(norm(z)) for x, z in zip(a, b, strict=True))  # noqa: E731
    direct = [_direct_sample(p, n) for n in range(p.N)]
    partials_ok = all(same(partials_matrix(p, n), direct[n]) for n in range(p.N))
    outer_ok = all(same(outer_product(p, d.score_gradient, n), direct[n]) for n in range(p.N))
    # … and their sum is the whole gradient: scale Σ_i ∇_W L_i + ∂R/∂W = dL/dW (the direct derivative)
    total = p.scale * sum((outer_product(p, d.score_gradient, n) for n in range(p.N)), sp.zeros(*p.W.shape))
    total += 2 * p.conventions.reg.coefficient * LAMBDA * p.W
    summed_ok = same(total, d.gradient_direct)
    sizes = f"all {p.N} samples at D = {p.D}, C = {p.C}" + (", the bias column included" if p.conventions.bias else "")
    return [
        Claim(
            "the matrix of ∂L_i/∂w_uv, entry (u, v) is x_iu times the closed form of ∂L_i/∂s_iv, equals SymPy's "
            "derivative of L_i in every weight",
            partials_ok,
            NORMAL_FORMS,
            sizes,
            id="per-sample.partials",
            lhs=partials_matrix(p, 0),
            rhs=direct[0],
        ),
        Claim(
            f"∂L_i/∂W is the outer product {OUTER[p.conventions.layout]}; summed over the samples as L sums them, "
            "plus ∂R/∂W, it is dL/dW",
            outer_ok and summed_ok,
            NORMAL_FORMS,
            sizes + "; against SymPy's derivative of each L_i, and of L",
            id="per-sample.outer-product",
            lhs=outer_product(p, d.score_gradient, 0),
            rhs=direct[0],
        ),
    ]


# ------------------------------------------------------------------------------ the margin route


@dataclass(frozen=True)
class MarginForms:
    """The margin route of one sample at concrete size, as matrices: margins m (symbols, j ≠ y_i),
    ∂L_i/∂m (row), ∂m/∂s (one row per margin), and their product ∂L_i/∂s (row)."""

    margins: tuple[sp.Symbol, ...]
    definitions: tuple[sp.Expr, ...]  # m_j in the scores
    dL_dm: sp.Matrix  # 1 × (C − 1), in the margins
    dm_ds: sp.Matrix  # (C − 1) × C
    dL_ds: sp.Matrix  # 1 × C: the product, in the margins


def margin_symbol(sample: int, cls: int) -> sp.Symbol:
    return sp.Symbol(f"m_{{{sample},{cls}}}", real=True)


def margin_forms(p: Problem, sample: int) -> MarginForms | None:
    """The margin route of sample ``sample`` (None for a loss without the capability)."""
    cap = p.loss.margin_route
    if cap is None:
        return None
    label = p.y[sample]
    others = [k for k in range(p.C) if k != label]
    scores = [p.S[sample, k] for k in range(p.C)]
    m = {k: margin_symbol(sample, k) for k in others}
    definitions = tuple(cap.margin(scores, label, k, p.delta) for k in others)
    L_m = p.loss.bind(cap.of_margins(m, label, ConcreteIndexing(p.C, label)), p.conventions.hyper)
    kink = p.conventions.kink  # the named rewrite rules (max(0, m)·1[m > 0] = max(0, m)): the notes' form
    dL_dm = sp.Matrix([[apply_rules(sp.diff(L_m, m[k]), kink) for k in others]])
    dm_ds = sp.Matrix([[sp.diff(definition, sk) for sk in scores] for definition in definitions])
    return MarginForms(tuple(m[k] for k in others), definitions, dL_dm, dm_ds, dL_dm * dm_ds)


def margin_claims(d: Derivation) -> list[Claim]:
    """``route.margin``: for every sample, L_i in its margins is L_i; and (∂L_i/∂m)(∂m/∂s)(∂s/∂w_uv) summed
    over the margins equals SymPy's derivative of L_i in every weight ([] without the capability)."""
    p = d.concrete()
    if margin_forms(p, 0) is None:
        return []
    norm = Normalizer(p.score_definitions, valid_rules(p.conventions.kink))
    ok = True
    for n in range(p.N):
        f = margin_forms(p, n)
        assert f is not None and p.loss.margin_route is not None
        back = dict(zip(f.margins, f.definitions, strict=True))
        label = p.y[n]
        m = dict(zip([k for k in range(p.C) if k != label], f.margins, strict=True))
        L_m = p.loss.margin_route.of_margins(m, label, ConcreteIndexing(p.C, label))
        ok &= clean(norm(p.loss.bind(L_m, p.conventions.hyper).xreplace(back))) == clean(norm(p.samples[n]))
        ds_dw = [p.S_def[n, q] for q in range(p.C)]  # ∂s_q/∂w by SymPy, below
        direct = _direct_sample(p, n)
        route = p.W.applyfunc(
            lambda w, f=f, back=back, ds_dw=ds_dw: sum(
                f.dL_dm[0, a] * f.dm_ds[a, q] * sp.diff(ds_dw[q], w) for a in range(len(f.margins)) for q in range(p.C)
            ).xreplace(back)
        )
        ok &= all(clean(norm(a)) == clean(norm(b)) for a, b in zip(route, direct, strict=True))
    f0 = margin_forms(p, 0)
    assert f0 is not None and d.score_gradient is not None
    return [
        Claim(
            "through the margins, Σ_j (∂L_i/∂m_j)(∂m_j/∂s)(∂s/∂w_uv) equals SymPy's derivative of L_i in every "
            "weight, and L_i written in its margins is L_i",
            bool(ok),
            NORMAL_FORMS,
            f"all {p.N} samples at D = {p.D}, C = {p.C}" + (", the bias column included" if p.conventions.bias else ""),
            id="route.margin",
            lhs=f0.dL_ds,
            rhs=d.score_gradient.row(0),
        ),
    ]
