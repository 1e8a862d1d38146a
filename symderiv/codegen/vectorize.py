"""Stage 5, vectorized codegen: the symbolic-size closed form, printed as the NumPy a careful person
writes — two matrix products and a handful of broadcasting operations on the N×C scores.

The pipeline reads as its steps (:func:`source`):

1. **forms** — L_i and G_ij = ∂L_i/∂s_ij in index notation (``symderiv.derive.generic.generic_forms``);
2. **rewrite** — named rewrite rules on the index notation (:data:`REWRITES`): exclusion sums
   Σ_k f(k)(1 − δ(k, y_i)) = Σ_k f(k) − f(y_i), and the max-shift of softmax and log-sum-exp;
3. **label column** — G_ij = A_ij + δ(j, y_i)·B_i, so G is A with B added on the label column
   (``G[samples, y] += B``) instead of a one-hot matrix;
4. **arrays** — index notation to broadcasting arrays: s[i,j] → ``S``, s[i,y_i] → ``S_y`` (one
   column), Σ_k → ``.sum(axis=1, keepdims=True)``, Σ_i → ``np.sum``;
5. **print** — common subexpressions hoisted (SymPy's ``cse``) and printed by a subclass of SymPy's
   ``NumPyPrinter``; the matrix form dW = scale·Xᵀ G + 2cλW written around it.

>>> f = numpy_function("softmax")
>>> import numpy as np
>>> loss, dW = f(np.zeros((3, 2)), np.ones((4, 3)), np.array([0, 1, 1, 0]), 0.0)
>>> round(loss, 6), dW.shape
(0.693147, (3, 2))
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.codegen.rewriting import ReplaceOptim
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import precedence

from ..algebra.functions import ArgMaxOther, MaxOther, Pos, Step
from ..conventions import DELTA, LAMBDA, LAYOUTS, Conventions
from ..derive.generic import generic_forms, loss_definition
from ..derive.matrix_form import matrix_form
from ..errors import InputError, NotSupportedError
from ..losses import Loss, get
from ..render.notation import InSpace, NotesCommentPrinter, text

_i, _j = sp.symbols("i j", integer=True, nonnegative=True)

__all__ = [
    "ArrayPrinter",
    "IndexForms",
    "REWRITES",
    "RowMax",
    "RowSum",
    "Total",
    "numpy_function",
    "source",
    "source_from_forms",
]


# ------------------------------------------------------------------------ 1. forms


@dataclass(frozen=True)
class IndexForms:
    """The fields of ``symderiv.derive.generic.GenericForms`` this module reads (any object with them will do)."""

    i: sp.Symbol
    j: sp.Symbol
    k: sp.Symbol
    N: sp.Symbol
    C: sp.Symbol
    s: sp.IndexedBase
    y: sp.IndexedBase
    delta: sp.Expr
    lam: sp.Symbol
    sample: sp.Expr
    score_gradient: sp.Expr
    origin: str = "symderiv.generic (proven at symbolic size)"


def forms_for(loss: Loss, conventions: Conventions) -> Any:
    """L_i and the proven closed form of G_ij at symbolic size, from ``symderiv.derive.generic``."""
    return generic_forms(loss, conventions)


# ------------------------------------------------------------------------ 2. rewrite rules


class Rewrite(ReplaceOptim):
    """A named rewrite on index notation: ``query`` finds a subexpression, ``value`` rewrites it."""

    def __init__(self, name: str, why: str, query: Callable, value: Callable, priority: int = 1) -> None:
        super().__init__(query, value, priority=priority)
        self.name, self.why = name, why


@dataclass
class _Ctx:
    """The index symbols a rewrite needs."""

    forms: Any
    m: sp.IndexedBase = field(default_factory=lambda: sp.IndexedBase("m"))  # m[i] = max_k s[i,k]

    @property
    def label(self) -> sp.Expr:
        return self.forms.y[self.forms.i]

    @property
    def hyper_args(self) -> dict[sp.Symbol, sp.Symbol]:
        """The loss's hyperparameters left symbolic: each becomes an argument of the generated function."""
        loss, conventions = getattr(self.forms, "loss", None), getattr(self.forms, "conventions", None)
        if loss is None or conventions is None:
            return {}
        return {h.symbol: sp.Symbol(h.name) for h in loss.free_hyper(conventions.hyper)}

    def is_delta(self, e: sp.Expr, index: sp.Symbol) -> bool:
        return isinstance(e, sp.KroneckerDelta) and set(e.args) == {index, self.label}

    def full_range(self, e: sp.Sum) -> bool:
        if len(e.limits) != 1:
            return False
        _, lo, hi = e.limits[0]
        return lo == 0 and sp.simplify(hi - (self.forms.C - 1)) == 0

    def shiftable(self, u: sp.Expr, index: sp.Symbol) -> bool:
        """u = s[i, index] + (terms free of index): exp(u) may be shifted by m_i."""
        rest = sp.expand(u - self.forms.s[self.forms.i, index])
        return not rest.has(index) and not rest.has(self.m)  # and not shifted already

    def lse_sum(self, e: sp.Expr) -> bool:
        """e is Σ_k exp(s[i,k] + c) over all classes."""
        if not isinstance(e, sp.Sum) or not self.full_range(e):
            return False
        k = e.limits[0][0]
        return isinstance(e.function, sp.exp) and self.shiftable(e.function.args[0], k)

    def shift(self, e: sp.Sum) -> sp.Sum:
        return sp.Sum(sp.exp(e.function.args[0] - self.m[self.forms.i]), e.limits[0])


def _exclusion_sum(ctx: _Ctx) -> Rewrite:
    def query(e):
        if not isinstance(e, sp.Sum) or not ctx.full_range(e):
            return False
        k = e.limits[0][0]
        return any(ctx.is_delta(d, k) for d in e.function.atoms(sp.KroneckerDelta))

    def value(e):
        k = e.limits[0][0]
        body = e.function
        d = next(d for d in body.atoms(sp.KroneckerDelta) if ctx.is_delta(d, k))
        other = body.xreplace({d: sp.Integer(0)})
        on_label = body.xreplace({d: sp.Integer(1)}) - other  # valid: δ is 0 or 1
        return sp.Sum(other, e.limits[0]) + on_label.subs(k, ctx.label)

    return Rewrite(
        "exclusion sum",
        "Σ_k f(k)·(1 − 1[k = y_i]) = Σ_k f(k) − f(y_i): sum over every class, then take the label's term off",
        query, value, priority=30,
    )  # fmt: skip


def _log_sum_exp(ctx: _Ctx) -> Rewrite:
    def query(e):
        return isinstance(e, sp.log) and ctx.lse_sum(e.args[0])

    def value(e):
        return ctx.m[ctx.forms.i] + sp.log(ctx.shift(e.args[0]))

    return Rewrite(
        "log-sum-exp",
        "log Σ_k exp(s_ik) = m_i + log Σ_k exp(s_ik − m_i) with m_i = max_k s_ik: exp never overflows",
        query, value, priority=20,
    )  # fmt: skip


def _softmax_shift(ctx: _Ctx) -> Rewrite:
    j = ctx.forms.j

    def parts(e):
        if not isinstance(e, sp.Mul):
            return None
        den = [f for f in e.args if f.is_Pow and f.exp == -1 and ctx.lse_sum(f.base)]
        num = [f for f in e.args if isinstance(f, sp.exp) and ctx.shiftable(f.args[0], j)]
        return (num[0], den[0]) if len(den) == 1 and len(num) == 1 else None

    def value(e):
        num, den = parts(e)
        rest = e.func(*[f for f in e.args if f is not num and f is not den])
        return rest * sp.exp(num.args[0] - ctx.m[ctx.forms.i]) / ctx.shift(den.base)

    return Rewrite(
        "softmax shift",
        "exp(s_ij) / Σ_k exp(s_ik) = exp(s_ij − m_i) / Σ_k exp(s_ik − m_i): shift invariance",
        lambda e: parts(e) is not None, value, priority=10,
    )  # fmt: skip


#: the rewrite rules, as factories of the index symbols; applied by :func:`rewrite` in priority order
REWRITES: tuple[Callable[[_Ctx], Rewrite], ...] = (_exclusion_sum, _log_sum_exp, _softmax_shift)


def rewrite(expr: sp.Expr, ctx: _Ctx, applied: list[Rewrite]) -> sp.Expr:
    """Apply every rule of :data:`REWRITES` (highest priority first); record those that changed something."""
    for rule in sorted((make(ctx) for make in REWRITES), key=lambda r: -r.priority):
        new = rule(expr)
        if new != expr:
            expr = new
            if all(r.name != rule.name for r in applied):
                applied.append(rule)
    return expr


def _piecewise_to_delta(expr: sp.Expr, ctx: _Ctx) -> sp.Expr:
    """Piecewise((a, Eq(j, y_i)), (b, True)) → a·δ(j, y_i) + b·(1 − δ(j, y_i))."""

    def query(e):
        return (
            isinstance(e, sp.Piecewise) and len(e.args) == 2 and e.args[1].cond == sp.true
            and isinstance(e.args[0].cond, sp.Eq) and set(e.args[0].cond.args) == {ctx.forms.j, ctx.label}
        )  # fmt: skip

    def value(e):
        d = sp.KroneckerDelta(ctx.forms.j, ctx.label)
        return e.args[0].expr * d + e.args[1].expr * (1 - d)

    return expr.replace(query, value)


def label_column(G: sp.Expr, ctx: _Ctx) -> tuple[sp.Expr, sp.Expr]:
    """G_ij = A_ij + δ(j, y_i)·B_i: returns (A, B), B evaluated on the label column j = y_i."""
    j, label = ctx.forms.j, ctx.label
    deltas = [d for d in G.atoms(sp.KroneckerDelta) if ctx.is_delta(d, j)]
    A = G.xreplace({d: sp.Integer(0) for d in deltas})
    B = (G.xreplace({d: sp.Integer(1) for d in deltas}) - A).subs(j, label)
    return A, sp.expand(B, deep=False)


# ------------------------------------------------------------------------ 4. arrays


class RowSum(sp.Function):
    """Σ_k over the class axis, keeping it (one value per sample)."""

    nargs = 1


class RowMax(sp.Function):
    """max_k over the class axis, keeping it."""

    nargs = 1


class Total(sp.Function):
    """The sum of every element."""

    nargs = 1


class RowMaxOther(sp.Function):
    """max over the class axis of the classes other than the label, keeping it."""

    nargs = 1


class ArgMaxOtherArray(sp.Function):
    """The N×C argmax weights of max over the classes other than the label (ties by the kink convention)."""

    nargs = 1


S, S_y, M_MAX, Y_HOT = sp.symbols("S S_y m Y")
N_SAMPLES = sp.Symbol("N", integer=True, positive=True)
C_CLASSES = sp.Symbol("C", integer=True, positive=True)
DELTA_ARG = sp.Symbol("delta")

FULL, PER_SAMPLE, SCALAR = 2, 1, 0  # shape kinds: N×C, one per sample, a number


class _ToArrays:
    """Index notation → broadcasting array expressions (SymPy's commutative algebra on array symbols
    is elementwise arithmetic, which is what NumPy broadcasting computes)."""

    def __init__(self, ctx: _Ctx) -> None:
        self.ctx, self.f = ctx, ctx.forms
        self.used: set[sp.Symbol] = set()

    def __call__(self, e: sp.Expr, col: sp.Symbol | None) -> sp.Expr:
        f, ctx = self.f, self.ctx
        if isinstance(e, sp.Indexed):
            if e.base == f.s and e.indices[0] == f.i:
                c = e.indices[1]
                if col is not None and c == col:
                    return self._use(S)
                if c == ctx.label:
                    return self._use(S_y)
            if e.base == ctx.m and e.indices == (f.i,):
                return self._use(M_MAX)
            raise NotSupportedError(f"vectorized codegen cannot place {text(e)} (index {col} is the class axis)")
        if isinstance(e, (MaxOther, ArgMaxOther)):
            if e.excluded != ctx.label or sp.simplify(e.upper - (f.C - 1)) != 0:
                raise NotSupportedError(f"only a max over the classes other than y_i is vectorized, not {text(e)}")
            body = self(e.body, e.index)
            if kind(body) != FULL:
                raise NotSupportedError(f"a max over classes of a term free of the class is not vectorized: {text(e)}")
            self._use(Y_HOT)
            if isinstance(e, MaxOther):
                return RowMaxOther(body)
            if col is None or e.at != col:
                raise NotSupportedError(
                    f"vectorized codegen places an argmax indicator on the class axis only: {text(e)}"
                )
            return ArgMaxOtherArray(body)
        if isinstance(e, sp.KroneckerDelta):
            if col is not None and ctx.is_delta(e, col):
                return self._use(Y_HOT)
            raise NotSupportedError(f"vectorized codegen supports δ(class, y_i) only, not {text(e)}")
        if isinstance(e, sp.Sum):
            if not ctx.full_range(e):
                raise NotSupportedError(f"only sums over all classes 0 … C−1 are vectorized, not {text(e)}")
            k = e.limits[0][0]
            if col is not None and col != k and col in e.function.free_symbols:  # (a sum binding col shadows it)
                raise NotSupportedError(f"a sum over {k} that also depends on {col} is not vectorized")
            body = self(e.function, k)
            return RowSum(body) if kind(body) == FULL else C_CLASSES * body  # Σ_k of a term free of k is C times it
        if isinstance(e, sp.Symbol):
            if e == f.delta and e.free_symbols:
                return DELTA_ARG
            if e in ctx.hyper_args:
                return self._use(ctx.hyper_args[e])
            if e == f.C:
                return C_CLASSES  # the number of classes, a value in the generated code
            if e in (f.i, f.j, f.k) or e == col:
                raise NotSupportedError(f"vectorized codegen cannot use the index {e} as a value")
            if e == f.N:
                return N_SAMPLES
            raise NotSupportedError(f"unknown symbol {e} in the closed form")
        if not e.args:
            return e
        return e.func(*[self(a, col) for a in e.args])

    def _use(self, sym: sp.Symbol) -> sp.Symbol:
        self.used.add(sym)
        return sym


def total(col_expr: sp.Expr) -> sp.Expr:
    """Σ_i of a per-sample expression: Σ_i Σ_k f = Total(f), Σ_i c = N·c, the rest np.sum."""
    whole, rest = [], []
    for term in sp.Add.make_args(col_expr):
        coeff, body = term.as_coeff_Mul()
        if kind(term) == SCALAR:
            whole.append(N_SAMPLES * term)
        elif isinstance(body, RowSum):
            inner_coeff, inner = body.args[0].as_coeff_Mul()
            whole.append(coeff * inner_coeff * Total(inner))
        else:
            rest.append(term)
    if len(rest) == 1:
        coeff, body = rest[0].as_coeff_Mul()
        return sp.Add(*whole) + coeff * Total(body)
    return sp.Add(*whole) + (Total(sp.Add(*rest)) if rest else 0)


def kind(e: sp.Expr, temps: dict[sp.Symbol, int] | None = None) -> int:
    """FULL (N×C), PER_SAMPLE or SCALAR, by the symbols and reductions in ``e``."""
    if isinstance(e, (RowSum, RowMax, RowMaxOther)):
        return PER_SAMPLE
    if isinstance(e, ArgMaxOtherArray):
        return FULL
    if isinstance(e, Total):
        return SCALAR
    if isinstance(e, sp.Symbol):
        if temps and e in temps:
            return temps[e]
        return {S: FULL, Y_HOT: FULL, S_y: PER_SAMPLE, M_MAX: PER_SAMPLE}.get(e, SCALAR)
    return max((kind(a, temps) for a in e.args), default=SCALAR)


# ------------------------------------------------------------------------ 5. print


def _ordered_terms(expr: sp.Add, printer) -> list[sp.Expr]:
    """An Add's terms as a person writes them: positive terms first, numbers last."""
    terms = sorted(
        printer._as_ordered_terms(expr, order=None), key=lambda t: (t.is_Number, t.could_extract_minus_sign())
    )
    if terms[0].could_extract_minus_sign():  # 1 - δ rather than -δ + 1
        first = next((t for t in terms if not t.could_extract_minus_sign()), None)
        if first is not None:
            terms.remove(first)
            terms.insert(0, first)
    return terms


def _print_add(printer, expr: sp.Add) -> str:
    out = ""
    for n, term in enumerate(_ordered_terms(expr, printer)):
        negative = term.could_extract_minus_sign()
        text = printer.parenthesize(-term if negative else term, precedence(expr))
        out += ("-" if negative else "") + text if n == 0 else (" - " if negative else " + ") + text
    return out


class ArrayPrinter(NumPyPrinter):
    """SymPy's NumPy printer for broadcasting arrays: ``np.`` names, row sums, indicators by comparison
    (20× faster than ``np.heaviside``), max(0, ·) as ``np.maximum``."""

    def __init__(self, layout: str, kink: sp.Rational, temps: dict[sp.Symbol, int]) -> None:
        super().__init__({"fully_qualified_modules": True, "inline": True})
        self.axis = 1 if layout == "XW" else 0
        self.kink, self.temps = kink, temps
        self.vector = False  # print per-sample values as 1-D (for the label column)

    def _module_format(self, fqn: str, register: bool = True) -> str:
        name = super()._module_format(fqn, register)
        return "np." + name[len("numpy.") :] if name.startswith("numpy.") else name

    def _method(self, arg: sp.Expr) -> str:
        text = self._print(arg)
        return text if arg.is_Symbol else f"({text})"

    def _print_Add(self, expr: sp.Add, order=None) -> str:
        return _print_add(self, expr)

    def _print_RowSum(self, e: RowSum) -> str:
        keep = "" if self.vector else ", keepdims=True"
        return f"{self._method(e.args[0])}.sum(axis={self.axis}{keep})"

    def _print_RowMax(self, e: RowMax) -> str:
        keep = "" if self.vector else ", keepdims=True"
        return f"{self._method(e.args[0])}.max(axis={self.axis}{keep})"

    def _print_RowMaxOther(self, e: RowMaxOther) -> str:
        keep = "" if self.vector else ", keepdims=True"
        return f"np.where(Y == 1, -np.inf, {self._print(e.args[0])}).max(axis={self.axis}{keep})"

    def _print_ArgMaxOtherArray(self, e: ArgMaxOtherArray) -> str:
        return f"_argmax_other({self._print(e.args[0])}, Y, {self.axis}, {float(self.kink)!r})"

    def _print_Total(self, e: Total) -> str:
        return f"{self._method(e.args[0])}.sum()" if e.args[0].is_Symbol else f"np.sum({self._print(e.args[0])})"

    def _print_Symbol(self, e: sp.Symbol) -> str:
        name = super()._print_Symbol(e)
        if self.vector and kind(e, self.temps) == PER_SAMPLE:
            return f"{name}[:, 0]" if self.axis == 1 else f"{name}[0]"
        return name

    def _print_Step(self, e: Step) -> str:
        arg = e.args[0]
        if kind(arg, self.temps) == SCALAR:
            return f"np.heaviside({self._print(arg)}, {float(self.kink)!r})"
        x = self.parenthesize(arg, precedence(sp.Eq(arg, 0)) + 1)
        if self.kink == 0:
            return f"({x} > 0).astype(S.dtype)"
        if self.kink == 1:
            return f"({x} >= 0).astype(S.dtype)"
        return f"np.where({x} == 0, {float(self.kink)!r}, {x} > 0).astype(S.dtype)"

    def _print_Pos(self, e: Pos) -> str:
        return f"np.maximum({self._print(e.args[0])}, 0)"


class _IndexText(NotesCommentPrinter):
    """Index notation in comments: the family's comment printer, sums ordered as a person writes them."""

    def _print_Add(self, expr: sp.Add, order=None) -> str:
        if expr.has(LAMBDA):  # the family's order: the regularizer's term last
            return super()._print_Add(expr, order)
        return _print_add(self, expr)


#: how the code treats the label column: G_ij = A_ij + 1[j = y_i]·B_i
_LABEL_COLUMN = sp.Eq(
    sp.IndexedBase("G")[_i, _j],
    sp.IndexedBase("A")[_i, _j] + sp.KroneckerDelta(_j, sp.IndexedBase("y")[_i]) * sp.IndexedBase("B")[_i],
    evaluate=False,
)


def _text(e: sp.Expr) -> str:
    return _IndexText({"order": "none"}).doprint(e)


_PREFIX = [(Pos, "pos"), (Step, "ind"), (sp.exp, "e"), (sp.log, "log"), (RowSum, "rowsum"), (RowMax, "rowmax"),
           (RowMaxOther, "maxother"), (ArgMaxOtherArray, "argmax")]  # fmt: skip


def _names() -> Callable[[sp.Expr], sp.Symbol]:
    counts: dict[str, int] = {}

    def name(e: sp.Expr) -> sp.Symbol:
        prefix = next((p for cls, p in _PREFIX if isinstance(e, cls)), "t")
        if isinstance(e, sp.Add) and {S, S_y} <= e.free_symbols:
            prefix = "margin"  # s_ij - s_iy_i + ...
        n = counts.get(prefix, 0)
        counts[prefix] = n + 1
        return sp.Symbol(prefix if n == 0 else f"{prefix}{n}")

    return name


# ------------------------------------------------------------------------ the pipeline


@dataclass
class _Plan:
    """Everything the source is printed from."""

    forms: Any
    conventions: Conventions
    sample: sp.Expr  # L_i after the rewrites (index notation)
    A: sp.Expr  # G off the label column (index notation)
    B: sp.Expr  # added on the label column
    applied: list[Rewrite]


def plan(forms: Any, conventions: Conventions) -> _Plan:
    """Steps 2 and 3: rewrite the closed form and split off its label column."""
    ctx = _Ctx(forms)
    sample, G = forms.sample, forms.score_gradient
    if isinstance(forms.delta, sp.Symbol) and not conventions.delta.free_symbols:
        sample, G = sample.subs(forms.delta, conventions.delta), G.subs(forms.delta, conventions.delta)
    G = _piecewise_to_delta(G, ctx)
    applied: list[Rewrite] = []
    sample = rewrite(sample, ctx, applied)
    G = rewrite(G, ctx, applied)
    A, B = label_column(G, ctx)
    tidy = lambda e: sp.expand(e, power_exp=False, log=False)  # noqa: E731  (products out, exp(a+b) kept)
    return _Plan(forms, conventions, tidy(sample), tidy(A), tidy(B), applied)


def source(
    loss: str | Loss,
    layout: str = "XW",
    regularizer: str = "l2",
    reduction: str = "mean",
    bias: bool = False,
    delta: object = 1,
    kink: object = 0,
    hyper: object = None,
    unproven: bool = False,
) -> str:
    """Readable NumPy source of ``loss``'s vectorized loss and gradient ``f(W, X, y, reg) -> (loss, dW)``,
    with the derivation it came from in comments.

    >>> print(source("softmax").splitlines()[0])
    # softmax: Softmax cross-entropy loss — vectorized loss and gradient, generated by symderiv
    """
    definition = get(loss)
    conventions = Conventions(
        layout=layout,
        bias=bias,
        regularizer=regularizer,
        reduction=reduction,
        delta=delta,
        kink=kink,
        hyper=definition.hyper(hyper),
    )
    _require_proof(definition, conventions, unproven)
    return source_from_forms(forms_for(definition, conventions), conventions, definition)


#: index-notation functions whose vectorized code no proof obligation can run on symbols yet
UNPROVEN = (MaxOther, ArgMaxOther)


def _require_proof(loss: Loss, conventions: Conventions, unproven: bool) -> None:
    """NotSupportedError for a loss whose vectorized code would escape its proof obligation (a max over
    classes: the symbolic run of ``artifact.vectorized`` cannot decide its comparisons), unless the
    caller asks for it with ``unproven=True`` (then it is tested numerically, not proven)."""
    forms = forms_for(loss, conventions)
    if unproven or not any(sp.sympify(e).has(*UNPROVEN) for e in (forms.sample, forms.score_gradient)):
        return
    raise NotSupportedError(
        f"the vectorized {loss.name} has no proof yet (its max over classes is not run on symbols): "
        "use derive(...).numpy_gradient, which is proven, or numpy_function(..., unproven=True)"
    )


def source_from_forms(forms: Any, conventions: Conventions, loss: Loss | None = None) -> str:
    """:func:`source` from given symbolic-size forms (fields as :class:`IndexForms`)."""
    p = plan(forms, conventions)
    return _Emitter(p, loss).module()


class _Emitter:
    def __init__(self, p: _Plan, loss: Loss | None) -> None:
        self.p, self.c, self.loss = p, p.conventions, loss
        self.xw = self.c.layout == "XW"
        self.name = (loss.name.replace("-", "_") if loss else "loss") + "_loss_vectorized"

    # -- the module
    def module(self) -> str:
        header = self._header()
        body = self._body()
        helpers = ["", *ARGMAX_OTHER_HELPER] if any("_argmax_other(" in line for line in body) else []
        # NumPy only: a student can paste the code anywhere; numpy_function turns its ValueError into InputError
        return "\n".join(header + ["", "import numpy as np", ""]
                         + ["", *self._checker(), *helpers, "", "", *body]) + "\n"  # fmt: skip

    def _header(self) -> list[str]:
        p, c = self.p, self.c
        title = f"{self.loss.name}: {self.loss.title}" if self.loss else "custom loss"
        details = [
            f"regularizer {c.regularizer}: {c.reg.description}",
            f"reduction {c.reduction}",
        ]
        if self.loss is None or self.loss.uses_delta:
            details.append("Δ symbolic (argument delta)" if c.delta.free_symbols else f"Δ = {c.delta}")
        if self.loss is None or self.loss.kinky:
            details.append(f"1[0] = {c.kink}")
        fixed = dict(c.hyper)
        for h in self.loss.hyperparameters if self.loss else ():
            details.append(
                f"{h.name} = {fixed[h.name]}" if h.name in fixed else f"{h.name} symbolic (argument {h.name})"
            )
        where = "row" if self.xw else "column"
        bias = f"bias trick: a constant-1 feature, W's last {where} holds the bias" if c.bias else "no bias trick"
        origin = getattr(p.forms, "origin", "symderiv.generic")
        lines = [
            f"{title} — vectorized loss and gradient, generated by symderiv",
            f"layout {c.layout}: {LAYOUTS[c.layout]}",
            bias,
            "; ".join(details),
            "",
            f"Closed form at symbolic size (i a sample, j and k classes), from {origin}:",
            f"  L_i         = {_text(p.forms.sample)}",
            f"  ∂L_i/∂s_ij  = {_text(p.forms.score_gradient)}",
            "Rewritten before printing:",
        ]
        for r in p.applied:
            lines.append(f"  {r.name}: {r.why}")
        lines.append(f"  label column: {_text(_LABEL_COLUMN)}, so G = A and B is added where j = y_i")
        if M_MAX in self._translated().used:
            lines.append("  m[i] = max_k s[i,k]")
        lines += [
            f"  L_i         = {_text(p.sample)}",
            f"  A_ij        = {_text(p.A)}",
            f"  B_i         = {_text(p.B)}",
            f"Matrix form: {_text(loss_definition(c))};  {self._grad_text()}",
        ]
        return [("# " + ln).rstrip() for ln in lines]

    def _grad_text(self) -> str:
        mf = matrix_form(self.loss, self.c)
        shapes = f"{_text(InSpace(mf.X))}{' with the constant-1 feature' if self.c.bias else ''}"
        note = "" if self.xw else "; the code holds Gᵀ, C×N, in G"
        return f"{_text(mf.gradient)}  ({shapes}; {_text(mf.G)} = [∂L_i/∂s_ij] is N×C{note})"

    # -- input checks, one helper per module
    def _checker(self) -> list[str]:
        c = self.c
        plus = " + 1" if c.bias else ""
        w_shape = f"(D{plus}, C)" if self.xw else f"(C, D{plus})"
        sizes = "N, D = X.shape" if self.xw else "D, N = X.shape"
        C = "C = W.shape[1]" if self.xw else "C = W.shape[0]"
        expect = "(D + 1, C)" if self.xw and c.bias else "(D, C)" if self.xw else "(C, D + 1)" if c.bias else "(C, D)"
        x_desc = "N×D, one row per sample" if self.xw else "D×N, one column per sample"
        return [
            "def _check_inputs(W, X, y):",
            f'    """The sizes N, C of valid inputs (X is {x_desc}; W is {w_shape}); ValueError otherwise."""',
            "    if W.ndim != 2 or X.ndim != 2:",
            '        raise ValueError(f"W and X must be 2-D arrays, not of shapes {W.shape} and {X.shape}")',
            f"    {sizes}",
            f"    {C}",
            f"    if W.shape != {expect}:",
            '        raise ValueError(f"W has shape {W.shape}, but X has D = {D} features: "',
            f'                         f"W must be {w_shape} = {{{expect}}}")',
            "    if N == 0:",
            '        raise ValueError("X has no samples")',
            "    if y.shape != (N,):",
            '        raise ValueError(f"y has shape {y.shape}, but X has N = {N} samples: y must have shape ({N},)")',
            '    if y.dtype.kind not in "iu":',
            '        raise TypeError(f"labels y must be integers, not {y.dtype}")',
            "    if y.min() < 0 or y.max() >= C:",
            '        raise ValueError(f"labels y must lie in 0 … {C - 1} (C = {C} classes), "',
            '                         f"not {y.min()} … {y.max()}")',
            "    return N, C",
        ]

    # -- the function
    def _translated(self) -> _ToArrays:
        if not hasattr(self, "_t"):
            self._t = _ToArrays(_Ctx(self.p.forms))
            self._arrays = (
                total(self._t(self.p.sample, None)),
                self._t(self.p.A, self.p.forms.j),
                self._t(self.p.B, None),
            )
        return self._t

    def _body(self) -> list[str]:
        c, xw = self.c, self.xw
        t = self._translated()
        L, A, B = self._arrays
        if DELTA_ARG in (L.free_symbols | A.free_symbols | B.free_symbols):
            t.used.add(DELTA_ARG)
        temps_list, (L, A, B) = _cse([L, A, B])
        temps: dict[sp.Symbol, int] = {}
        for sym, e in temps_list:
            temps[sym] = kind(e, temps)
        pr = ArrayPrinter(c.layout, c.kink, temps)

        def show(e):
            return pr.doprint(e)

        with_bias = f" with the bias as its last {'row' if xw else 'column'}" if c.bias else ""
        args = "W, X, y, reg=0.0" + (", delta=1.0" if DELTA_ARG in t.used else "")
        hyper = [h for h in self.loss.hyperparameters if sp.Symbol(h.name) in t.used] if self.loss else []
        args += "".join(f", {h.name}={h.default!r}" for h in hyper)
        scale = " / N" if c.reduction == "mean" else ""
        lab = "samples, y" if xw else "y, samples"
        out = [
            f"def {self.name}({args}):",
            f'    """{self.loss.title if self.loss else "Loss"} and its gradient: (L, dL/dW), vectorized.',
            "",
            f"    W is {'D×C' if xw else 'C×D'}{with_bias}, X is {'N×D' if xw else 'D×N'}, "
            "y holds N integer labels in 0 … C−1, reg is λ.",
            '    """',
            "    W, X, y = np.asarray(W), np.asarray(X), np.asarray(y)",
            "    N, C = _check_inputs(W, X, y)",
            "    reg = float(reg)",
        ]
        if DELTA_ARG in t.used:
            out.append("    delta = float(delta)")
        out += [f"    {h.name} = float({h.name})  # {h.words}" for h in hyper]
        out.append("    samples = np.arange(N)")
        if xw:
            out.append(
                "    S = X @ W[:-1] + W[-1]  # scores s_ij; W's last row is the bias"
                if c.bias
                else "    S = X @ W  # scores s_ij"
            )
        else:
            out.append(
                "    S = W[:, :-1] @ X + W[:, -1:]  # scores, C×N; W's last column is the bias"
                if c.bias
                else "    S = W @ X  # scores, C×N"
            )
        if S_y in t.used:
            out.append(f"    S_y = S[{lab}]{'[:, None]' if xw else '[None, :]'}  # s[i,y[i]], the label's score")
        if M_MAX in t.used:
            out.append(f"    m = S.max(axis={pr.axis}, keepdims=True)  # m[i] = max_k s[i,k]")
        if Y_HOT in t.used:
            out += ["    Y = np.zeros_like(S)  # 1[j = y[i]], one-hot", f"    Y[{lab}] = 1"]
        self._meanings: dict[sp.Symbol, sp.Expr] = {}
        for sym, e in temps_list:
            self._meanings[sym] = self._meaning(e, temps_list)
        definitions = dict(temps_list)
        emitted: set[sp.Symbol] = set()

        def needed(*exprs: sp.Expr) -> list[str]:
            """The temporaries ``exprs`` use and not yet defined, in order: each is computed just
            before its first use, so the loss's temporaries are freed before the gradient's exist."""
            want: set[sp.Symbol] = set()
            todo = [x for e in exprs for x in e.free_symbols if x in definitions]
            while todo:
                x = todo.pop()
                if x not in want and x not in emitted:
                    want.add(x)
                    todo += [z for z in definitions[x].free_symbols if z in definitions]
            emitted.update(want)
            return [
                f"    {show(sym)} = {show(e)}  # {_text(self._meanings[sym])}" for sym, e in temps_list if sym in want
            ]

        out += needed(L)
        reg_loss = {"l2": " + reg * np.sum(W * W)", "half-l2": " + 0.5 * reg * np.sum(W * W)", "none": ""}[
            c.regularizer
        ]
        data = show(L)
        if scale and isinstance(L, sp.Add):
            data = f"({data})"
        out.append(f"    loss = {data}{scale}{reg_loss}")
        out += needed(A, B)
        out += self._G(A, B, temps, pr, lab)
        reg_grad = {"l2": " + 2 * reg * W", "half-l2": " + reg * W", "none": ""}[c.regularizer]
        if c.bias:
            prod = ("np.concatenate([X.T @ G, G.sum(axis=0, keepdims=True)])" if xw
                    else "np.concatenate([G @ X.T, G.sum(axis=1, keepdims=True)], axis=1)")  # fmt: skip
        else:
            prod = "X.T @ G" if xw else "G @ X.T"
        out.append(f"    dW = {prod}{scale}{reg_grad}")
        out.append("    return float(loss), dW")
        return out

    def _G(self, A, B, temps, pr, lab) -> list[str]:
        ka = kind(A, temps)
        a = pr.doprint(A)
        if ka == FULL:
            line = f"    G = {a}.copy()" if A in (S, Y_HOT) else f"    G = {a}"
        elif ka == PER_SAMPLE:
            line = f"    G = np.broadcast_to({a}, S.shape).astype(S.dtype)"
        else:
            line = f"    G = np.full_like(S, {a})"
        out = [line + "  # ∂L_i/∂s_ij off the label column"]
        if B != 0:
            if kind(B, temps) == FULL:
                raise NotSupportedError("the label-column term of G depends on j")
            pr.vector = True
            coeff, rest = B.as_coeff_Mul()
            if coeff < 0:
                out.append(f"    G[{lab}] -= {pr.doprint(-B)}  # on the label column j = y_i")
            else:
                out.append(f"    G[{lab}] += {pr.doprint(B)}  # on the label column j = y_i")
            pr.vector = False
        return out

    def _meaning(self, e: sp.Expr, temps_list) -> str:
        """A temporary in index notation, for its comment."""
        f = self.p.forms
        label = _Ctx(f).label
        back = {S: f.s[f.i, f.j], S_y: f.s[f.i, label], M_MAX: sp.IndexedBase("m")[f.i],
                Y_HOT: sp.KroneckerDelta(f.j, label), N_SAMPLES: f.N, C_CLASSES: f.C, DELTA_ARG: DELTA}  # fmt: skip
        k = f.k
        back.update({sym: idx_e for sym, idx_e in getattr(self, "_meanings", {}).items()})

        r = sp.Symbol("r", integer=True, nonnegative=True)

        def idx(x):
            if isinstance(x, RowMaxOther):
                return MaxOther(idx(x.args[0]).subs(f.j, r), r, label, f.C - 1)
            if isinstance(x, ArgMaxOtherArray):
                return ArgMaxOther(f.j, idx(x.args[0]).subs(f.j, r), r, label, f.C - 1)
            if isinstance(x, RowSum):
                inner = idx(x.args[0]).subs(f.j, k)
                return sp.Sum(inner, (k, 0, f.C - 1))
            if isinstance(x, sp.Symbol):
                return back.get(x, x)
            if not x.args:
                return x
            return x.func(*[idx(a) for a in x.args])

        meaning = idx(e)
        return meaning


#: the argmax weights of max_{k≠y_i} v_ik as the derivation defines them
#: (``symderiv.algebra.functions.argmax_weights``: the classes visited from the last to the first, each
#: taking the maximum over with 1 − 1[M_{>t} − v_t > 0] and keeping it while every earlier class leaves
#: it, 1[M_{>r} − v_r > 0], with 1[0] = kink), vectorized
ARGMAX_OTHER_HELPER = [
    "",
    "def _argmax_other(V, Y, axis, kink):",
    '    """a_ij = ∂ max_{k≠y_i} V_ik / ∂V_ij, ties by 1[0] = kink (0: the first maximiser, 1: the last)."""',
    "    masked = np.where(Y == 1, -np.inf, V)",
    "    later = np.flip(np.maximum.accumulate(np.flip(masked, axis=axis), axis=axis), axis=axis)",
    "    edge = np.full_like(np.take(V, [0], axis=axis), -np.inf)",
    "    later = np.concatenate([np.delete(later, 0, axis=axis), edge], axis=axis)  # max over k > j, k ≠ y_i",
    "    t = later - V",
    "    keeps = np.where(Y == 1, 1.0, np.where(t == 0, kink, t > 0)).astype(V.dtype)  # the last: t = -inf",
    "    before = np.cumprod(keeps, axis=axis)  # Π_{r≤j} keeps_r",
    "    before = np.concatenate([np.ones_like(edge), np.delete(before, -1, axis=axis)], axis=axis)  # r < j",
    "    return (1 - keeps) * before",
]


def _cse(exprs: list[sp.Expr]) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
    """SymPy's ``cse``, its temporaries then renamed by what they hold (pos, ind, e, rowsum, …)."""
    dummies = (sp.Dummy() for _ in itertools.count())
    pairs, reduced = sp.cse(exprs, symbols=dummies, order="none", list=True)
    name, out = _names(), []
    rename: dict[sp.Symbol, sp.Symbol] = {}
    for sym, e in pairs:
        e = e.xreplace(rename)
        rename[sym] = name(e)
        out.append((rename[sym], e))
    return out, [e.xreplace(rename) for e in reduced]


# ------------------------------------------------------------------------ the function


def _as_input_error(check: Callable) -> Callable:
    """The generated input check (which raises NumPy-only ValueError/TypeError) raising
    :class:`~symderiv.errors.InputError` with the same one-line message instead."""

    def checked(W, X, y):
        try:
            return check(W, X, y)
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc)) from None

    checked.__doc__ = check.__doc__
    return checked


@lru_cache(maxsize=64)
def _compiled(loss: Loss, conventions: Conventions) -> Callable:
    text = source_from_forms(forms_for(loss, conventions), conventions, loss)
    filename = f"<symderiv codegen {loss.name} {conventions.layout}{' bias' if conventions.bias else ''}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)  # tracebacks show the source
    namespace: dict[str, Any] = {"__name__": "symderiv.generated"}
    exec(compile(text, filename, "exec"), namespace)
    namespace["_check_inputs"] = _as_input_error(namespace["_check_inputs"])
    fn = next(v for k, v in namespace.items() if k.endswith("_loss_vectorized"))
    fn.__source__ = text
    fn.conventions = conventions
    return fn


def numpy_function(
    loss: str | Loss,
    layout: str = "XW",
    regularizer: str = "l2",
    reduction: str = "mean",
    bias: bool = False,
    delta: object = 1,
    kink: object = 0,
    hyper: object = None,
    unproven: bool = False,
) -> Callable:
    """The vectorized ``f(W, X, y, reg) -> (loss, dW)`` generated from ``loss``'s closed form at
    symbolic size; its source is ``f.__source__``. ``delta="delta"`` makes Δ an argument of ``f``;
    a hyperparameter of the loss not fixed by ``hyper`` (``{"epsilon": 0.1}``) is a keyword argument of
    ``f`` with its declared default.

    >>> import numpy as np
    >>> f = numpy_function("hinge", regularizer="none")
    >>> loss, dW = f(np.zeros((2, 3)), np.ones((1, 2)), np.array([1]))
    >>> loss, dW.tolist()
    (2.0, [[1.0, -2.0, 1.0], [1.0, -2.0, 1.0]])
    """
    definition = get(loss)
    conventions = Conventions(
        layout=layout,
        bias=bias,
        regularizer=regularizer,
        reduction=reduction,
        delta=delta,
        kink=kink,
        hyper=definition.hyper(hyper),
    )
    _require_proof(definition, conventions, unproven)
    return _compiled(definition, conventions)
