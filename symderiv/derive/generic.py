"""Stage: generic — the derivation at symbolic size N, D, C, in index notation, the way the notes
do it by hand (seed 000): differentiate L_i = Σ_{k≠y_i} max(0, s_ik − s_{i y_i} + Δ) in s_ij,
sum out the Kronecker deltas, apply the chain rule through s_ik = Σ_l x_il w_lk, split the cases
v ≠ y_i and v = y_i, and read off the matrix form dW = Xᵀ G / N + 2λW.

SymPy differentiates the index expressions (``diff`` of a ``Sum`` in an ``Indexed`` gives
Kronecker deltas); the simplification is by named rules of our own (:data:`INDEX_RULES`): linearity
of sums, delta summation over a known index range, δ² = δ. Proofs compare normal forms after those
rules; the result instantiated at concrete sizes is checked against the concrete derivation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from ..algebra.functions import ArgMaxOther, MaxOther, excluded_sums
from ..algebra.index import C, D, N, a, b, i, j, k, l, q, r, s, u, v, w, x, y
from ..algebra.normal_form import Normalizer, RewriteRule, valid_rules
from ..conventions import LAMBDA, Conventions
from ..losses import Loss
from ..render.notation import Cases, text
from .build import s_symbol
from .matrix_form import MatrixForm, matrix_form
from .result import Claim, Derivation, DerivationStep

# ------------------------------------------------------------------------------------ symbols
# i, j, k, … N, C, D, s, x, w, y: the symbols of index notation (shared with the losses' abbreviations)
n = sp.Symbol("n", integer=True, nonnegative=True)  # a second sample index: ∂L/∂s_nq of L = Σ_i … (r is the max's)
L_i = sp.Symbol("L_i")  # the per-sample loss, for displayed relations ∂L_i/∂s_ij = …
L_total, R_total = sp.Symbol("L"), sp.Symbol("R")  # the loss and the regularizer, likewise

INDEX_RANGES = {"class": (0, C - 1), "sample": (0, N - 1)}


class GenericIndexing:
    """:class:`~symderiv.losses.Indexing` at symbolic size: sums over k are ``Sum(…, (k, 0, C−1))``
    and the exclusion k ≠ y_i is the factor 1 − δ(k, y_i)."""

    def __init__(self, label: sp.Expr, index: sp.Symbol = k) -> None:
        self.label, self.index = label, index

    def sum_all(self, f):
        body = f(self.index)
        if any(self.index in lim[:1] for e in body.atoms(sp.Sum) for lim in e.limits):
            # a sum inside binds the index already (log Σ_k e^{s_ik} in Σ_k q_k (…)): the outer one takes b
            return sp.Sum(f(b), (b, 0, C - 1))
        return sp.Sum(body, (self.index, 0, C - 1))

    def sum_other(self, f):
        return sp.Sum(f(self.index) * (1 - sp.KroneckerDelta(self.index, self.label)), (self.index, 0, C - 1))

    def cases(self, j_, other, label):
        d = sp.KroneckerDelta(j_, self.label)
        return other * (1 - d) + label * d

    def max_other(self, f):
        return MaxOther(f(r), r, self.label, C - 1)

    def argmax_other(self, f, j_):
        return ArgMaxOther(j_, f(r), r, self.label, C - 1)

    @property
    def classes(self):
        return C


class Row:
    """The scores of sample i: ``row[j]`` is s[i, j]."""

    def __getitem__(self, col: sp.Expr) -> sp.Expr:
        return s[i, col]


@dataclass(frozen=True)
class GenericForms:
    """A loss in index notation: L_i and the proven closed form of G_ij = ∂L_i/∂s_ij."""

    loss: Loss
    conventions: Conventions
    sample: sp.Expr
    score_gradient: sp.Expr
    i: sp.Symbol = i
    j: sp.Symbol = j
    k: sp.Symbol = k
    N: sp.Symbol = N
    C: sp.Symbol = C
    D: sp.Symbol = D
    s: sp.IndexedBase = s
    y: sp.IndexedBase = y

    @property
    def delta(self) -> sp.Expr:
        return self.conventions.delta

    @property
    def lam(self) -> sp.Symbol:
        return LAMBDA


@lru_cache(maxsize=64)
def generic_forms(loss: Loss, conventions: Conventions) -> GenericForms:
    """L_i and the closed form of ∂L_i/∂s_ij in index notation, for ``loss``."""
    ix = GenericIndexing(y[i])
    sample = loss.bind(loss.sample(Row(), y[i], conventions.delta, ix), conventions.hyper)
    closed = loss.bind(loss.score_gradient(Row(), y[i], j, conventions.delta, ix), conventions.hyper)
    return GenericForms(loss, conventions, sample, closed)


# ------------------------------------------------------------------------------------ rules


def _index_range(index: sp.Expr, feature_hi: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """The range an index expression is known to lie in: classes (j, v, k, q, b and the labels
    y_i), features (u, l, a) or samples (i, n)."""
    if index in (j, v, k, q, b) or (isinstance(index, sp.Indexed) and index.base == y):
        return (0, C - 1)
    if index in (u, l, a):
        return (0, feature_hi)
    if index in (i, n):
        return (0, N - 1)
    return None


def _has_free(e: sp.Expr, indices: set) -> bool:
    """Whether ``e`` depends on one of ``indices`` (an index bound by a sum inside ``e`` does not count)."""
    return bool(e.free_symbols & indices)


def _split_sum(e: sp.Sum) -> sp.Expr:
    indices = {lim[0] for lim in e.limits}
    out = []
    for term in sp.Add.make_args(sp.expand_mul(e.function)):
        inside = [f for f in sp.Mul.make_args(term) if _has_free(f, indices)]
        outside = [f for f in sp.Mul.make_args(term) if not _has_free(f, indices)]
        count = sp.Mul(*[hi - lo + 1 for _, lo, hi in e.limits])
        out.append(sp.Mul(*outside) * (sp.Sum(sp.Mul(*inside), *e.limits) if inside else count))
    return sp.Add(*out)


def _is_splittable(e: sp.Expr) -> bool:
    if not isinstance(e, sp.Sum):
        return False
    indices = {lim[0] for lim in e.limits}
    expanded = sp.expand_mul(e.function)
    return expanded.is_Add or any(not _has_free(f, indices) for f in sp.Mul.make_args(expanded))


def _summable_delta(e: sp.Expr, feature_hi: sp.Expr):
    """For Σ over (…, (k, lo, hi), …) of δ(k, t)·g with t known to lie in [lo, hi], return
    (position of k's limit, the delta factor, t)."""
    if not isinstance(e, sp.Sum):
        return None
    for pos, (idx, lo, hi) in enumerate(e.limits):
        for f in sp.Mul.make_args(e.function):
            if isinstance(f, sp.KroneckerDelta) and idx in f.args:
                target = f.args[0] if f.args[1] == idx else f.args[1]
                if not target.has(idx) and _index_range(target, feature_hi) == (lo, hi):
                    return pos, f, target
    return None


def _label_delta(e: sp.Expr):
    """In a product, a factor δ(p, y_i) with p a free class index (j or v)."""
    for f in sp.Mul.make_args(e):
        if isinstance(f, sp.KroneckerDelta):
            p, t = f.args if f.args[0] in (j, v) else (f.args[1], f.args[0])
            if p in (j, v) and isinstance(t, sp.Indexed) and t.base == y:
                return f, p, t
    return None


def _substitutable(e: sp.Expr) -> bool:
    if not e.is_Mul:
        return False
    found = _label_delta(e)
    return found is not None and any(g is not found[0] and g.has(found[1]) for g in e.args)


def _substitute_under_delta(e: sp.Expr) -> sp.Expr:
    delta, p, t = _label_delta(e)
    return delta * sp.Mul(*[g.xreplace({p: t}) for g in e.args if g is not delta])


def index_rules(feature_hi: sp.Expr) -> tuple[RewriteRule, ...]:
    """The rewrite rules of index notation, for features ranging over 0 … ``feature_hi``."""

    def delta_sum(e: sp.Sum) -> sp.Expr:
        pos, delta, target = _summable_delta(e, feature_hi)
        idx = e.limits[pos][0]
        # subs, not xreplace: a sum inside that binds the same index keeps it
        body = sp.Mul(*[f for f in sp.Mul.make_args(e.function) if f is not delta]).subs(idx, target)
        rest = e.limits[:pos] + e.limits[pos + 1 :]
        return sp.Sum(body, *rest) if rest else body

    return (
        RewriteRule(
            "sum-linearity",
            "Σ_k (a + b) = Σ_k a + Σ_k b, and factors free of k move out of Σ_k",
            _is_splittable,
            _split_sum,
        ),
        RewriteRule(
            "delta-sum",
            "Σ_k 1[k = t] f(k) = f(t) when t lies in k's range (j, v, y_i are classes; u is a feature)",
            lambda e: _summable_delta(e, feature_hi) is not None,
            delta_sum,
        ),
        RewriteRule(
            "delta-substitution",
            "1[j = y_i]·f(j) = 1[j = y_i]·f(y_i): where the indicator is nonzero, j is y_i",
            _substitutable,
            _substitute_under_delta,
        ),
        RewriteRule(
            "delta-square",
            "1[a = b]ⁿ = 1[a = b]",
            lambda e: e.is_Pow and isinstance(e.base, sp.KroneckerDelta) and e.exp.is_Integer and e.exp > 0,
            lambda e: e.base,
            on_monomial=lambda m: {
                key: (1 if isinstance(key, tuple) and key[0] == "KroneckerDelta" else ex) for key, ex in m.items()
            },
        ),
    )


def abbreviate(loss: Loss, expr: sp.Expr) -> sp.Expr:
    """``expr`` with the loss's named quantities (such as softmax's probabilities p_ij) in it."""
    for short in loss.abbreviations:
        expr = short.rule(expr)
    return expr


def canonical(expr: sp.Expr, rules: tuple[RewriteRule, ...], limit: int = 12) -> sp.Expr:
    """Expand products and apply the index rules, until nothing changes."""
    for _ in range(limit):
        new = sp.expand_mul(expr)
        for rule in rules:
            new = rule(new)
        if new == expr:
            return new
        expr = new
    return expr


# ------------------------------------------------------------------------------------ derivation


@dataclass
class GenericDerivation(Derivation):
    """A derivation at symbolic size. ``.at(D=…, C=…, N=…, y=…)`` instantiates it."""

    forms: GenericForms | None = None
    derived_score_gradient: sp.Expr | None = None  # ∂L_i/∂s_ij as derived, after the rules
    element: sp.Expr | None = None  # ∂L_i/∂w_uv = x_iu G_iv
    cases: dict[str, sp.Expr] = field(default_factory=dict)  # "other" (v ≠ y_i), "label" (v = y_i)
    full: sp.Expr | None = None  # ∂L/∂w_uv
    matrix: sp.Eq | None = None  # ∂L/∂W = the matrix form (symderiv.derive.matrix_form), proven entry by entry
    bias_entry: sp.Expr | None = None  # ∂L/∂w for the bias (feature u = D), when the bias trick is on
    weight: sp.Expr | None = None  # w_uv in the layout's index order: w[u, v] (XW) or w[v, u] (WX)
    feature: sp.Expr | None = None  # x_iu likewise: x[i, u] (XW) or x[u, i] (WX)
    score_partial: sp.Expr | None = None  # ∂s_iq/∂w_uv, derived: x_iu δ(q, v)
    score_definition: sp.Eq | None = None  # s_ij = Σ_l x_il w_lj (XW) or Σ_l w_jl x_li (WX)
    regularizer: sp.Expr | None = None  # R(W) in index notation
    reg_gradient: sp.Expr | None = None  # ∂R/∂w_uv, derived
    generic_steps: list[DerivationStep] = field(default_factory=list)

    @property  # type: ignore[override]
    def steps(self) -> list[DerivationStep]:
        return self.generic_steps

    @property
    def gradient(self) -> sp.Expr:  # type: ignore[override]
        return self.full

    def symbolic(self) -> GenericDerivation:
        return self

    def at(self, *, D: int, C: int, N: int, y=None, **options) -> Derivation:
        """The concrete-size derivation with the same loss and conventions, with one more claim:
        this symbolic-size closed form, instantiated, equals the concrete derivation's ∂L_i/∂s_ij."""
        concrete = self.derive_again(D=D, C=C, N=N, y=y, **options)
        concrete.claims.append(self.cross_check(concrete))
        return concrete

    def instantiate(self, sample: int, cls: int, C_value: int, labels) -> sp.Expr:
        """G_ij of the closed form at sample i = ``sample``, class j = ``cls``, C = ``C_value``."""
        assert self.forms is not None
        e = self.forms.score_gradient.xreplace({i: sp.Integer(sample)})
        e = e.xreplace({y[sample]: sp.Integer(labels[sample]), j: sp.Integer(cls), C: sp.Integer(C_value)})
        e = e.doit()
        return e.replace(
            lambda t: isinstance(t, sp.Indexed) and t.base == s,
            lambda t: s_symbol(int(t.indices[0]), int(t.indices[1])),
        )

    def cross_check(self, concrete: Derivation) -> Claim:
        p = concrete.concrete()
        norm = Normalizer(rules=valid_rules(self.conventions.kink))
        assert concrete.score_gradient is not None
        instantiated = sp.Matrix(p.N, p.C, lambda ii, jj: self.instantiate(ii, jj, p.C, p.y))
        ok = all(
            norm(instantiated[ii, jj]) == norm(concrete.score_gradient[ii, jj])
            for ii in range(p.N)
            for jj in range(p.C)
        )
        return Claim(
            f"the symbolic-size closed form, instantiated at D={p.D}, C={p.C}, N={p.N}, y={list(p.y)}, "
            "equals the concrete derivation",
            ok,
            "symbolic: polynomial identity after expanding the sums",
            id="symbolic.instantiation",
            lhs=instantiated,
            rhs=concrete.score_gradient,
        )

    def summary(self) -> str:
        c = self.conventions
        return (
            f"{self.loss.name} at symbolic size, layout={c.layout}{' +bias' if c.bias else ''} "
            f"regularizer={c.regularizer} reduction={c.reduction}: {'proved' if self.proved else 'NOT PROVED'} "
            f"({len(self.claims)} claims)"
        )

    def __str__(self) -> str:
        return self.text()

    def text(self, steps: bool = False) -> str:
        """The result in the notes' notation: the cases of ∂L_i/∂s_ij and ∂L_i/∂w_uv, the full
        gradient and the matrix form; with ``steps``, every step of the derivation as well."""
        assert self.forms is not None
        c = self.conventions
        show = lambda e: text(e, c)  # noqa: E731
        lines = [f"{self.loss.title} — at symbolic size N, D, C (index notation)"]
        lines += ["  " + line for line in c.describe()]
        lines += ["", "  " + show(sp.Eq(L_i, self.forms.sample, evaluate=False)), *self.result_lines()]
        if steps:
            lines += ["", "Steps:"]
            for step in self.generic_steps:
                lines += ["", f"{step.title}:", f"  {show(step.expr) if step.expr is not None else ''}".rstrip()]
                if step.why:
                    lines.append(f"    ({step.why})")
        lines += ["", "Proof:", *("  " + cl.line() for cl in self.claims), "", self.summary()]
        return "\n".join(lines)

    def score_cases(self) -> Cases:
        """∂L_i/∂s_ij in the notes' two cases (j ≠ y_i, j = y_i), short names (p_ij) used: the proven
        closed form (``symbolic.score-gradient``)."""
        assert self.forms is not None
        return Cases.split(abbreviate(self.loss, excluded_sums(self.forms.score_gradient)), j, y[i])

    def score_case_lines(self) -> dict[str, str]:
        """The two cases of :meth:`score_cases` as terminal text, by case: ``other`` (j ≠ y_i) and ``label``
        (the label's own score, j = y_i), each with its condition — for messages that state the proven
        derivative (``symderiv check``'s diagnoses)."""
        c, cases = self.conventions, self.score_cases()
        Eq = lambda a, b: sp.Eq(a, b, evaluate=False)  # noqa: E731
        return {
            "other": f"{text(Eq(sp.Derivative(L_i, s[i, j]), cases.other), c)} for {text(sp.Ne(j, y[i]), c)}",
            "label": text(Eq(sp.Derivative(L_i, s[i, y[i]]), cases.label_value.xreplace({j: y[i]})), c),
        }

    def result_lines(self) -> list[str]:
        """The results, one relation a line, printed from the proven expressions: the cases of
        ∂L_i/∂s_ij and ∂L_i/∂w_uv, ∂R/∂w_uv, ∂L/∂w_uv, the bias and the matrix form."""
        assert self.forms is not None and self.weight is not None and self.matrix is not None
        c = self.conventions
        show = lambda e: text(e, c)  # noqa: E731
        Eq = lambda a, b: sp.Eq(a, b, evaluate=False)  # noqa: E731
        dLi_ds, weight = sp.Derivative(L_i, s[i, j]), self.weight
        score_cases = self.score_cases()
        lines = [
            "  " + show(Eq(dLi_ds, score_cases.other)) + f"      ({show(sp.Ne(j, y[i]))})",
            "  " + show(Eq(dLi_ds, score_cases.label_value)) + f"      ({show(sp.Eq(j, y[i]))})",
            "  " + show(Eq(sp.Derivative(s[i, q], weight), self.score_partial)),
            "  " + show(Eq(sp.Derivative(L_i, weight), self.cases["other"])) + f"      ({show(sp.Ne(v, y[i]))})",
            "  " + show(Eq(sp.Derivative(L_i, weight), self.cases["label"])) + f"      ({show(sp.Eq(v, y[i]))})",
            "  " + show(Eq(sp.Derivative(R_total, weight), self.reg_gradient)),
            "  " + show(Eq(sp.Derivative(L_total, weight), self.full)),
        ]
        for short in self.loss.abbreviations:
            if any(e.has(short.definition.lhs.base) for e in self.cases.values()):
                lines.append(f"  where {show(short.definition)} ({short.words})")
        if self.bias_entry is not None:
            lines.append(
                "  bias (u = D): " + show(Eq(sp.Derivative(L_total, weight.xreplace({u: D})), self.bias_entry))
            )
        G = matrix_form(self.loss, c).G
        lines.append(f"  matrix form: {show(self.matrix)},   {show(G)} = [{show(dLi_ds)}] (N×C, the cases above)")
        return lines


def derive_generic(loss: Loss, conventions: Conventions) -> GenericDerivation:
    """Derive ∂L/∂w_uv at symbolic size, with the steps the notes take, and prove the closed forms."""
    c = conventions
    forms = generic_forms(loss, c)
    feature_hi = D if c.bias else D - 1  # with the bias trick, feature D is the constant 1
    rules = index_rules(feature_hi)
    norm = Normalizer(rules=(*valid_rules(c.kink), *(r for r in rules if r.on_monomial)))
    scale = sp.Integer(1) / N if c.reduction == "mean" else sp.Integer(1)
    reg = 2 * c.reg.coefficient * LAMBDA

    # 1. ∂L_i/∂s_ij by SymPy's diff of the index expression, then the rules
    raw = sp.diff(forms.sample, s[i, j])
    derived = canonical(raw, rules)
    closed = forms.score_gradient
    same_scores = norm(derived) == norm(canonical(closed, rules))

    # 2. ∂s_iq/∂w_uv through s_iq = Σ_l x_il w_lq (XW) or Σ_l w_ql x_li (WX)
    score, weight, feature = _score(c, feature_hi, i)
    dscore = canonical(sp.diff(score, weight), rules)  # = δ(q, v) x_iu

    # 3. chain rule: ∂L_i/∂w_uv = Σ_q ∂L_i/∂s_iq · ∂s_iq/∂w_uv, delta-summed to x_iu G_iv
    element = feature * closed.xreplace({j: v})
    chained = canonical(sp.Sum(closed.xreplace({j: q}) * dscore, (q, 0, C - 1)), rules)
    chain_ok = dscore == sp.KroneckerDelta(q, v) * feature and norm(chained) == norm(canonical(element, rules))

    # 4. the cases v ≠ y_i and v = y_i
    cases = split_cases(element)
    other, label = cases["other"], cases["label"]
    cases_ok = norm(canonical(element, rules)) == norm(
        canonical(other * (1 - sp.KroneckerDelta(v, y[i])) + label * sp.KroneckerDelta(v, y[i]), rules)
    )

    # 5. the regularizer and the full gradient: ∂L/∂w_uv = scale Σ_i x_iu G_iv + 2cλ w_uv
    R = _regularizer(c, feature_hi)
    dR = canonical(sp.diff(R, weight), rules)
    reg_ok = norm(dR) == norm(reg * weight)
    full = scale * sp.Sum(element, (i, 0, N - 1)) + reg * weight
    # … and that assembly (the 1/N included) is derived: SymPy differentiates the whole loss
    # L = (1/N) Σ_i L_i + R (or Σ_i L_i + R) in the scores s_nq and in W, and the chain rule
    # ∂L/∂w_uv = Σ_n Σ_q ∂L/∂s_nq ∂s_nq/∂w_uv + ∂L/∂w_uv|_S is delta-summed
    whole = _whole_loss(c, forms.sample, R)
    score_n, _, _ = _score(c, feature_hi, n)
    through_scores = sp.diff(whole, s[n, q]) * canonical(sp.diff(score_n, weight), rules)
    derived_full = canonical(sp.Sum(canonical(through_scores, rules), (q, 0, C - 1), (n, 0, N - 1)), rules)
    derived_full = derived_full.xreplace({n: i}) + canonical(sp.diff(whole, weight), rules)
    full_ok = norm(canonical(derived_full, rules)) == norm(canonical(full, rules))

    # 6. the bias: feature u = D is the constant 1
    bias_entry, bias_ok, bias_entry_check = None, True, None
    if c.bias:
        bias_feature = {x[i, u]: 1} if c.layout == "XW" else {x[u, i]: 1}
        bias_entry = _bias_entry(closed, scale, reg, weight)
        bias_entry_check = full.xreplace(bias_feature).xreplace({u: D})
        bias_ok = norm(canonical(bias_entry_check, rules)) == norm(canonical(bias_entry, rules))

    # 7. the matrix form: SymPy's matrix algebra gives the (u, v) entry of scale·XᵀG + 2cλW
    mf = matrix_form(loss, c)
    matrix_entry = _matrix_entry(c, mf, closed)
    matrix_ok = norm(canonical(matrix_entry, rules)) == norm(canonical(full, rules))
    matrix = mf.gradient
    recombined = other * (1 - sp.KroneckerDelta(v, y[i])) + label * sp.KroneckerDelta(v, y[i])
    claims = [
        Claim(
            "∂L_i/∂s_ij (SymPy's diff of the index expression, then the rules) equals the closed form",
            same_scores,
            "symbolic: normal forms after sum linearity, delta summation, 1[·]² = 1[·]",
            id="symbolic.score-gradient",
            lhs=derived,
            rhs=closed,
        ),
        Claim(
            "∂s_iq/∂w_uv = x_iu 1[q = v], so ∂L_i/∂w_uv = x_iu ∂L_i/∂s_iv (chain rule, delta summation)"
            if c.layout == "XW"  # the statement in the layout's index order, as the report prints it
            else "∂s_iq/∂w_vu = x_ui 1[q = v], so ∂L_i/∂w_vu = x_ui ∂L_i/∂s_iv (chain rule, delta summation)",
            chain_ok,
            "symbolic: index rules",
            id="symbolic.chain-rule",
            lhs=chained,
            rhs=element,
        ),
        Claim(
            "the cases v ≠ y_i and v = y_i recombine to ∂L_i/∂w_uv",
            cases_ok,
            "symbolic: case split on 1[v = y_i]",
            id="symbolic.cases",
            lhs=element,
            rhs=recombined,
        ),
        Claim(
            text(sp.Eq(sp.Derivative(R_total, weight), dR, evaluate=False)),
            reg_ok,
            "symbolic: double delta summation",
            id="symbolic.regularizer",
            lhs=dR,
            rhs=reg * weight,
        ),
        Claim(
            f"{text(matrix)}: the (u, v) entry of that matrix expression equals ∂L/∂w_uv",
            matrix_ok,
            "symbolic: SymPy's matrix-expression entry, normal forms after the index rules",
            id="symbolic.matrix-form",
            lhs=matrix_entry,
            rhs=full,
        ),
        Claim(
            f"∂L/∂w_uv of the whole loss L = {'(1/N) ' if c.reduction == 'mean' else ''}Σ_i L_i + R(W) "
            "(SymPy's diff in s_nq and in W, chain rule summed) equals the full gradient",
            full_ok,
            "symbolic: normal forms after the index rules",
            id="symbolic.full-gradient",
            lhs=derived_full,
            rhs=full,
        ),
    ]
    if c.bias:
        claims.append(
            Claim(
                "bias trick: with x_iD = 1 the gradient of the bias w_Dv is the column sum of G (plus ∂R/∂w_Dv)"
                if c.layout == "XW"
                else "bias trick: with x_Di = 1 the gradient of the bias w_vD is the row sum of Gᵀ (plus ∂R/∂w_vD)",
                bias_ok,
                "symbolic: the full gradient at u = D",
                id="symbolic.bias",
                lhs=bias_entry_check,
                rhs=bias_entry,
            )
        )
    cases = {name: abbreviate(loss, excluded_sums(e)) for name, e in cases.items()}  # Σ_{k≠y_i}, p_ij
    score_definition = sp.Eq(s[i, j], _score(c, feature_hi, i)[0].xreplace({q: j}), evaluate=False)
    steps = _steps(loss, c, forms, raw, derived, dscore, element, cases, full, matrix, bias_entry, weight, R, dR)
    steps[0] = DerivationStep("scores", score_definition, "each score is linear in W")
    return GenericDerivation(
        loss=loss,
        conventions=c,
        problem=None,
        claims=claims,
        forms=forms,
        derived_score_gradient=derived,
        element=element,
        cases=cases,
        full=full,
        matrix=matrix,
        bias_entry=bias_entry,
        weight=weight,
        feature=feature,
        score_partial=dscore,
        score_definition=score_definition,
        regularizer=R,
        reg_gradient=dR,
        generic_steps=steps,
    )


def _score(c: Conventions, feature_hi: sp.Expr, sample: sp.Symbol) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """The score s_{sample,q} as a sum over features, the weight w_uv (in the layout's index order)
    and the feature x_{sample,u} that multiplies it."""
    if c.layout == "XW":
        return sp.Sum(x[sample, l] * w[l, q], (l, 0, feature_hi)), w[u, v], x[sample, u]
    return sp.Sum(w[q, l] * x[l, sample], (l, 0, feature_hi)), w[v, u], x[u, sample]


def _regularizer(c: Conventions, feature_hi: sp.Expr) -> sp.Expr:
    """R(W) = coefficient · λ · Σ_a Σ_b w_ab² (XW) or w_ba² (WX) over every entry of W, in index notation."""
    entry = w[a, b] if c.layout == "XW" else w[b, a]
    return c.reg.coefficient * LAMBDA * sp.Sum(entry**2, (b, 0, C - 1), (a, 0, feature_hi))


def regularizer(c: Conventions) -> sp.Expr:
    """R(W) in index notation, as a report displays it (features up to D with the bias trick)."""
    return _regularizer(c, D if c.bias else D - 1)


def loss_definition(c: Conventions) -> sp.Eq:
    """L = (1/N) Σ_i L_i + R(W), or Σ_i L_i + R(W) for the sum reduction, R in index notation."""
    return sp.Eq(L_total, _whole_loss(c, L_i, regularizer(c)), evaluate=False)


def _whole_loss(c: Conventions, sample: sp.Expr, R: sp.Expr) -> sp.Expr:
    """The definition L = (1/N) Σ_i L_i + R(W) (mean) or Σ_i L_i + R(W) (sum)."""
    total = sp.Sum(sample, (i, 0, N - 1))
    return (total / N if c.reduction == "mean" else total) + R


def split_cases(element: sp.Expr) -> dict[str, sp.Expr]:
    """∂L_i/∂w_uv in the cases v ≠ y_i (δ(v, y_i) = 0) and v = y_i."""
    return {"other": element.xreplace({sp.KroneckerDelta(v, y[i]): 0}), "label": element.xreplace({v: y[i]})}


def _bias_entry(closed: sp.Expr, scale: sp.Expr, reg: sp.Expr, weight: sp.Expr) -> sp.Expr:
    """∂L/∂w for the bias row/column (feature u = D, x_iD = 1): scale Σ_i G_iv + ∂R/∂w_Dv."""
    return scale * sp.Sum(closed.xreplace({j: v}), (i, 0, N - 1)) + reg * weight.xreplace({u: D})


def _matrix_entry(c: Conventions, mf: MatrixForm, closed: sp.Expr) -> sp.Expr:
    """The (u, v) entry of the matrix form ``mf`` (:mod:`symderiv.derive.matrix_form`), by SymPy's matrix
    algebra, written back in index notation with G_iv the closed form."""
    Gm = sp.MatrixSymbol("G", *mf.G.shape)
    whole = mf.rhs.xreplace({mf.G: Gm})  # the weight matrix (M, P − Y, …) as one matrix G
    entry = whole[u, v] if c.layout == "XW" else whole[v, u]
    entry = entry.xreplace({d: i for d in entry.atoms(sp.Dummy)})  # the product's summation index

    def element(e: MatrixElement) -> sp.Expr:
        if e.parent == Gm:
            return closed.xreplace({i: e.i}).xreplace({j: e.j})
        return (x if e.parent == mf.X else w)[e.i, e.j]

    return entry.replace(lambda e: isinstance(e, MatrixElement), element)


def _steps(loss, c, forms, raw, derived, dscore, element, cases, full, matrix, bias_entry, weight, R, dR):
    """The derivation's steps, each a relation between expressions (∂L_i/∂s_ij = …), printed by the
    notation printers of :mod:`symderiv.render.notation` wherever they are shown."""
    Eq = lambda a, b: sp.Eq(a, b, evaluate=False)  # noqa: E731
    dLi_ds, dLi_dw = sp.Derivative(L_i, s[i, j]), sp.Derivative(L_i, weight)
    steps = [
        DerivationStep("scores", None, "each score is linear in W"),
        DerivationStep("per-sample loss", Eq(L_i, forms.sample), loss.description),
        DerivationStep(
            "∂L_i/∂s_ij, as SymPy differentiates it",
            Eq(dLi_ds, raw),
            "Kronecker deltas from ∂s_ik/∂s_ij = 1[j = k]",
        ),
        DerivationStep(
            "∂L_i/∂s_ij after delta summation", Eq(dLi_ds, derived), "Σ_k 1[j = k] f(k) = f(j); 1[·]² = 1[·]"
        ),
        DerivationStep(
            "∂L_i/∂s_ij in closed form (proven equal)",
            Eq(dLi_ds, forms.score_gradient),
            "the notes' cases j ≠ y_i, j = y_i",
        ),
        DerivationStep(
            "the scores in the weights", Eq(sp.Derivative(s[i, q], weight), dscore), "each score is a dot product"
        ),
        DerivationStep(
            "chain rule", Eq(dLi_dw, element), "summing over the scores s_iq of sample i, through which the weight acts"
        ),
        DerivationStep("cases v ≠ y_i and v = y_i", Eq(dLi_dw, Cases(cases["other"], cases["label"], v, y[i])), ""),
        DerivationStep(
            "regularizer", Eq(sp.Derivative(R_total, weight), dR), "SymPy differentiates R(W) in index notation"
        ),
        DerivationStep(
            "full gradient",
            Eq(sp.Derivative(L_total, weight), full),
            f"{c.reduction} over samples plus the regularizer's derivative",
        ),
    ]
    if bias_entry is not None:
        steps.append(
            DerivationStep(
                "bias (feature u = D)", Eq(sp.Derivative(L_total, weight.xreplace({u: D})), bias_entry), "x_iD = 1"
            )
        )
    steps.append(DerivationStep("matrix form", matrix, f"G = {loss.weights_name}"))
    return steps
