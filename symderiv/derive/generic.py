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

import re
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from ..algebra.functions import ArgMaxOther, MaxOther, excluded_sums
from ..algebra.index import C, D, N, a, b, i, j, k, l, q, r, s, u, v, w, x, y
from ..algebra.normal_form import Normalizer, RewriteRule, valid_rules
from ..conventions import LAMBDA, Conventions
from ..losses import Loss
from ..render.notation import latex, text
from ..render.text_report import matrix_form_text
from .build import s_symbol
from .result import Claim, Derivation, DerivationStep

# ------------------------------------------------------------------------------------ symbols
# i, j, k, … N, C, D, s, x, w, y: the symbols of index notation (shared with the losses' abbreviations)

INDEX_RANGES = {"class": (0, C - 1), "sample": (0, N - 1)}


class GenericIndexing:
    """:class:`~symderiv.losses.Indexing` at symbolic size: sums over k are ``Sum(…, (k, 0, C−1))``
    and the exclusion k ≠ y_i is the factor 1 − δ(k, y_i)."""

    def __init__(self, label: sp.Expr, index: sp.Symbol = k) -> None:
        self.label, self.index = label, index

    def sum_all(self, f):
        return sp.Sum(f(self.index), (self.index, 0, C - 1))

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
    y_i), features (u, l, a) or samples (i)."""
    if index in (j, v, k, q, b) or (isinstance(index, sp.Indexed) and index.base == y):
        return (0, C - 1)
    if index in (u, l, a):
        return (0, feature_hi)
    if index == i:
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
            "Σ_k δ(k, t) f(k) = f(t) when t lies in k's range (j, v, y_i are classes; u is a feature)",
            lambda e: _summable_delta(e, feature_hi) is not None,
            delta_sum,
        ),
        RewriteRule(
            "delta-substitution",
            "δ(j, y_i)·f(j) = δ(j, y_i)·f(y_i): where the indicator is nonzero, j is y_i",
            _substitutable,
            _substitute_under_delta,
        ),
        RewriteRule(
            "delta-square",
            "δ(a, b)ⁿ = δ(a, b)",
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
    matrix: str = ""  # the matrix form, in LaTeX
    bias_entry: sp.Expr | None = None  # ∂L/∂w for the bias (feature u = D), when the bias trick is on
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
        ok = all(
            norm(self.instantiate(ii, jj, p.C, p.y)) == norm(concrete.score_gradient[ii, jj])
            for ii in range(p.N)
            for jj in range(p.C)
        )
        return Claim(
            f"the symbolic-size closed form, instantiated at D={p.D}, C={p.C}, N={p.N}, y={list(p.y)}, "
            "equals the concrete derivation",
            ok,
            "symbolic: polynomial identity after expanding the sums",
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
        G = self.forms.score_gradient
        scale = "(1/N) Σ_i" if c.reduction == "mean" else "Σ_i"
        reg = {"l2": " + 2λ w[u,v]", "half-l2": " + λ w[u,v]", "none": ""}[c.regularizer]
        lines = [f"{self.loss.title} — at symbolic size N, D, C (index notation)"]
        lines += ["  " + line for line in c.describe()]
        shown = lambda e: text(abbreviate(self.loss, excluded_sums(e)))  # noqa: E731
        lines += [
            "",
            f"  L_i = {text(self.forms.sample)}",
            f"  ∂L_i/∂s[i,j] = {shown(G.xreplace({sp.KroneckerDelta(j, y[i]): 0}))}      (j ≠ y_i)",
            f"  ∂L_i/∂s[i,j] = {shown(G.xreplace({j: y[i]}))}      (j = y_i)",
            f"  ∂s[i,q]/∂w[u,v] = {text(x[i, u] if c.layout == 'XW' else x[u, i])} if q = v, else 0",
            f"  ∂L_i/∂w[u,v] = {text(self.cases['other'])}      (v ≠ y_i)",
            f"  ∂L_i/∂w[u,v] = {text(self.cases['label'])}      (v = y_i)",
            f"  ∂L/∂w[u,v] = {scale} ∂L_i/∂w[u,v]{reg}",
        ]
        for short in self.loss.abbreviations:
            if any(e.has(short.definition.lhs.base) for e in self.cases.values()):
                lines.append(f"  where {text(short.definition.lhs)} = {text(short.definition.rhs)} ({short.words})")
        if self.bias_entry is not None:
            lines.append(f"  bias (u = D, x_iD = 1): ∂L/∂w[D,v] = {scale} ∂L_i/∂s[i,v]{reg.replace('[u,v]', '[D,v]')}")
        G = self.loss.weights_name
        lines.append(f"  matrix form: dW = {matrix_form_text(c, G)},   {G} = [∂L_i/∂s[i,j]] (N×C, the cases above)")
        if steps:
            lines += ["", "Steps:"]
            for step in self.generic_steps:
                lines += ["", f"{step.title}:", f"  {text(step.expr) if step.expr is not None else ''}".rstrip()]
                if step.why:
                    lines.append(f"    ({step.why})")
        lines += ["", "Proof:", *("  " + cl.line() for cl in self.claims), "", self.summary()]
        return "\n".join(lines)


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
    if c.layout == "XW":
        score, weight, feature = sp.Sum(x[i, l] * w[l, q], (l, 0, feature_hi)), w[u, v], x[i, u]
    else:
        score, weight, feature = sp.Sum(w[q, l] * x[l, i], (l, 0, feature_hi)), w[v, u], x[u, i]
    dscore = canonical(sp.diff(score, weight), rules)  # = δ(q, v) x_iu

    # 3. chain rule: ∂L_i/∂w_uv = Σ_q ∂L_i/∂s_iq · ∂s_iq/∂w_uv, delta-summed to x_iu G_iv
    element = feature * closed.xreplace({j: v})
    chained = canonical(sp.Sum(closed.xreplace({j: q}) * dscore, (q, 0, C - 1)), rules)
    chain_ok = dscore == sp.KroneckerDelta(q, v) * feature and norm(chained) == norm(canonical(element, rules))

    # 4. the cases v ≠ y_i and v = y_i
    other = element.xreplace({sp.KroneckerDelta(v, y[i]): 0})
    label = element.xreplace({v: y[i]})
    cases = {"other": other, "label": label}
    cases_ok = norm(canonical(element, rules)) == norm(
        canonical(other * (1 - sp.KroneckerDelta(v, y[i])) + label * sp.KroneckerDelta(v, y[i]), rules)
    )

    # 5. the regularizer and the full gradient: ∂L/∂w_uv = scale Σ_i x_iu G_iv + 2cλ w_uv
    if c.layout == "XW":
        R = c.reg.coefficient * LAMBDA * sp.Sum(w[a, b] ** 2, (a, 0, feature_hi), (b, 0, C - 1))
    else:
        R = c.reg.coefficient * LAMBDA * sp.Sum(w[b, a] ** 2, (a, 0, feature_hi), (b, 0, C - 1))
    dR = canonical(sp.diff(R, weight), rules)
    reg_ok = norm(dR) == norm(reg * weight)
    full = scale * sp.Sum(element, (i, 0, N - 1)) + reg * weight

    # 6. the bias: feature u = D is the constant 1
    bias_entry, bias_ok = None, True
    if c.bias:
        bias_feature = {x[i, u]: 1} if c.layout == "XW" else {x[u, i]: 1}
        bias_entry = scale * sp.Sum(closed.xreplace({j: v}), (i, 0, N - 1)) + reg * weight.xreplace({u: D})
        bias_entry_check = full.xreplace(bias_feature).xreplace({u: D})
        bias_ok = norm(canonical(bias_entry_check, rules)) == norm(canonical(bias_entry, rules))

    # 7. the matrix form: SymPy's matrix algebra gives the (u, v) entry of scale·XᵀG + 2cλW
    matrix_ok = norm(canonical(_matrix_entry(c, closed, scale, reg, feature_hi), rules)) == norm(canonical(full, rules))
    matrix = _matrix_latex(loss, c)
    claims = [
        Claim(
            "∂L_i/∂s_ij (SymPy's diff of the index expression, then the rules) equals the closed form",
            same_scores,
            "symbolic: normal forms after sum linearity, delta summation, δ² = δ",
        ),
        Claim(
            "∂s_iq/∂w_uv = x_iu δ(q, v), so ∂L_i/∂w_uv = x_iu ∂L_i/∂s_iv (chain rule, delta summation)",
            chain_ok,
            "symbolic: index rules",
        ),
        Claim("the cases v ≠ y_i and v = y_i recombine to ∂L_i/∂w_uv", cases_ok, "symbolic: case split on δ(v, y_i)"),
        Claim(
            "∂R/∂w_uv = " + {"l2": "2λ w_uv", "half-l2": "λ w_uv", "none": "0"}[c.regularizer],
            reg_ok,
            "symbolic: double delta summation",
        ),
        Claim(
            f"dL/dW = {matrix_form_text(c, loss.weights_name)}: "
            "the (u, v) entry of that matrix expression equals ∂L/∂w_uv",
            matrix_ok,
            "symbolic: SymPy's matrix-expression entry, normal forms after the index rules",
        ),
    ]
    if c.bias:
        claims.append(
            Claim(
                "bias trick: with x_iD = 1 the gradient of the bias w_Dv is the column sum of G (plus ∂R/∂w_Dv)",
                bias_ok,
                "symbolic: the full gradient at u = D",
            )
        )
    cases = {name: abbreviate(loss, excluded_sums(e)) for name, e in cases.items()}  # Σ_{k≠y_i}, p_ij
    steps = _steps(loss, c, forms, raw, derived, dscore, element, cases, full, matrix, bias_entry, feature_hi)
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
        generic_steps=steps,
    )


def _matrix_entry(c: Conventions, closed: sp.Expr, scale: sp.Expr, reg: sp.Expr, feature_hi: sp.Expr) -> sp.Expr:
    """The (u, v) entry of scale·XᵀG + 2cλW (XW) or scale·GᵀXᵀ + 2cλW (WX), by SymPy's matrix
    algebra, written back in index notation with G_iv the closed form."""
    F = feature_hi + 1
    Gm = sp.MatrixSymbol("G", N, C)
    if c.layout == "XW":
        Xm, Wm = sp.MatrixSymbol("X", N, F), sp.MatrixSymbol("W", F, C)
        entry = (scale * Xm.T * Gm + reg * Wm)[u, v]
    else:
        Xm, Wm = sp.MatrixSymbol("X", F, N), sp.MatrixSymbol("W", C, F)
        entry = (scale * Gm.T * Xm.T + reg * Wm)[v, u]
    entry = entry.xreplace({d: i for d in entry.atoms(sp.Dummy)})  # the product's summation index

    def element(e: MatrixElement) -> sp.Expr:
        if e.parent == Gm:
            return closed.xreplace({i: e.i}).xreplace({j: e.j})
        return (x if e.parent == Xm else w)[e.i, e.j]

    return entry.replace(lambda e: isinstance(e, MatrixElement), element)


def _matrix_expr(loss: Loss, c: Conventions) -> sp.Expr:
    """dW as a SymPy matrix expression (for text): scale·XᵀG + 2cλW, or scale·GᵀXᵀ + 2cλW."""
    F = D + 1 if c.bias else D
    Xm = sp.MatrixSymbol("X", N, F) if c.layout == "XW" else sp.MatrixSymbol("X", F, N)
    G = weights_matrix(loss.weights_name)
    Wm = sp.MatrixSymbol("W", F, C) if c.layout == "XW" else sp.MatrixSymbol("W", C, F)
    scale = sp.Integer(1) / N if c.reduction == "mean" else sp.Integer(1)
    product = Xm.T * G if c.layout == "XW" else G.T * Xm.T
    return sp.Eq(sp.Symbol("dW"), scale * product + 2 * c.reg.coefficient * LAMBDA * Wm, evaluate=False)


def weights_matrix(name: str) -> sp.Expr:
    """The weight matrix G of the matrix form as a SymPy matrix expression (N×C): ``name`` is a
    loss's ``weights_name``, a matrix or an expression in matrices such as "M" or "P - Y"."""
    words = set(re.findall(r"[A-Za-z_]\w*", name))
    return sp.sympify(name, locals={w: sp.MatrixSymbol(w, N, C) for w in words})


def _matrix_latex(loss: Loss, c: Conventions) -> str:
    scale = r"\frac{1}{N}" if c.reduction == "mean" else ""
    reg = {"l2": r" + 2\lambda W", "half-l2": r" + \lambda W", "none": ""}[c.regularizer]
    G = loss.weights_name.replace(" ", "")
    G = f"({G})" if "-" in G else G
    X = r"\tilde{X}" if c.bias else "X"
    if c.layout == "XW":
        return rf"\frac{{\partial L}}{{\partial W}} = {scale} {X}^{{\top}} {G}{reg}"
    return rf"\frac{{\partial L}}{{\partial W}} = {scale} {G}^{{\top}} {X}^{{\top}}{reg}"


def _steps(loss, c, forms, raw, derived, dscore, element, cases, full, matrix, bias_entry, feature_hi):
    score_def = (
        r"s_{ij} = \sum_{l} x_{il} w_{lj} \quad (S = XW)"
        if c.layout == "XW"
        else r"s_{ij} = \sum_{l} w_{jl} x_{li} \quad (S = WX)"
    )
    if c.bias:
        score_def += r",\qquad x_{iD} = 1 \text{ (bias trick)}"
    sample = forms.sample
    score = (
        sp.Sum(x[i, l] * w[l, j], (l, 0, feature_hi))
        if c.layout == "XW"
        else sp.Sum(w[j, l] * x[l, i], (l, 0, feature_hi))
    )
    steps = [
        DerivationStep("scores", sp.Eq(s[i, j], score, evaluate=False), "each score is linear in W", score_def),
        DerivationStep("per-sample loss", sample, loss.description, "L_i = " + latex(sample)),
        DerivationStep(
            "∂L_i/∂s_ij, as SymPy differentiates it",
            raw,
            "Kronecker deltas from ∂s_ik/∂s_ij = δ(j, k)",
            r"\frac{\partial L_i}{\partial s_{ij}} = " + latex(raw),
        ),
        DerivationStep(
            "∂L_i/∂s_ij after delta summation",
            derived,
            "Σ_k δ(j, k) f(k) = f(j); δ² = δ",
            r"\frac{\partial L_i}{\partial s_{ij}} = " + latex(derived),
        ),
        DerivationStep(
            "∂L_i/∂s_ij in closed form (proven equal)",
            forms.score_gradient,
            "the notes' cases j ≠ y_i, j = y_i",
            r"\frac{\partial L_i}{\partial s_{ij}} = " + latex(forms.score_gradient),
        ),
        DerivationStep(
            "∂s_iq/∂w_uv",
            dscore,
            "the score is a dot product",
            r"\frac{\partial s_{iq}}{\partial w_{uv}} = " + latex(dscore),
        ),
        DerivationStep(
            "chain rule",
            element,
            "∂L_i/∂w_uv = Σ_q ∂L_i/∂s_iq · ∂s_iq/∂w_uv",
            r"\frac{\partial L_i}{\partial w_{uv}} = " + latex(element),
        ),
        DerivationStep(
            "case v ≠ y_i", cases["other"], "", r"\frac{\partial L_i}{\partial w_{uv}} = " + latex(cases["other"])
        ),
        DerivationStep(
            "case v = y_i", cases["label"], "", r"\frac{\partial L_i}{\partial w_{u y_i}} = " + latex(cases["label"])
        ),
        DerivationStep(
            "full gradient",
            full,
            f"{c.reduction} over samples plus ∂R/∂w_uv",
            r"\frac{\partial L}{\partial w_{uv}} = " + latex(full),
        ),
    ]
    if bias_entry is not None:
        steps.append(
            DerivationStep(
                "bias (feature u = D)",
                bias_entry,
                "x_iD = 1",
                r"\frac{\partial L}{\partial w_{Dv}} = " + latex(bias_entry),
            )
        )
    steps.append(DerivationStep("matrix form", _matrix_expr(loss, c), f"G = {loss.weights_name}", matrix))
    return steps
