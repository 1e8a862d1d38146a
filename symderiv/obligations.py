"""Proof obligations for what a concrete-size derivation hands out: ``Derivation.gradient``,
``closed_form`` and ``matrix_form`` (SymPy matrices), ``numpy_gradient`` / ``numpy_loss`` (the
generated NumPy of :mod:`symderiv.codegen.numpy_route`) and the vectorized ``numpy_function`` of
:mod:`symderiv.codegen.vectorize` (also ``symderiv codegen``). Each artifact is compared, as normal forms in
the derivation's normalizer, with the direct derivative of L(W) and with L(W) itself.

**How generated code is proven.** The very code objects users call are executed on arrays of SymPy
symbols: the function is rebuilt from its own ``__code__`` with different globals, where ``numpy``
(``np``) is :class:`SymbolicNumPy` and ``float`` leaves SymPy expressions alone. NumPy does the
array work itself (object arrays: ``@``, indexing, ``sum``, ``concatenate``, in-place updates); the
stand-in only replaces what cannot run on symbols:

* ``exp``, ``log`` are SymPy's, elementwise; ``maximum(·, 0)`` is max(0, ·) (:class:`Pos`);
* the indicator: ``heaviside(x, h)``, ``(x > 0)``, ``(x >= 0)`` and ``where(x == 0, h, x > 0)`` become
  what they compute — 1 for x > 0, 0 for x < 0, h at x = 0 — written as ``Step(x) + (h − κ)·at_kink(x)``
  with κ the derivation's convention. ``at_kink`` is an atom of its own, so the printed code is
  proven only when it gives the indicator the convention's value at the kink (h = κ; a float
  literal stands for the rational it is the nearest double of);
* a row maximum (``S.max(axis=…)``, ``np.max``) is a fresh symbol t_i per sample. The result must
  not depend on it: exp(a − t) = exp(a)·E with E = exp(−t) > 0, E is factored out of sums, and
  log(E·A) = −t + log A. When every t_i cancels, the code is proven for every shift, the maximum
  included (shift invariance).

Float literals in the code are read as the rationals they round (``(1/3)*a`` prints as a float).

**What runs where.** The printed score functions of ``numpy_gradient``/``numpy_loss`` (size-specific:
N×C entries) run on the score symbols at the derivation's own size; shift invariance is proven on the
derivation's G and L_i at that size. Code that is the same at every size — the glue of
``numpy_gradient``/``numpy_loss`` (:meth:`symderiv.codegen.numpy_route.ScoreRoute.__call__`, which takes its
``np`` and ``float`` as arguments and is run on :class:`NF` arrays, polynomials in W, X and λ, with
the derivation's G and L_i standing for the score functions), ``Derivation.gradient``,
``closed_form``, ``matrix_form`` and the vectorized function — is proven at a small size
(:data:`SMALL_SIZE`) when the derivation is larger, against the direct derivative there; each
claim's detail names the size.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Callable
from fractions import Fraction
from typing import ClassVar

import numpy
import sympy as sp

from .algebra.functions import Pos, Step
from .algebra.normal_form import Normalizer, Poly, add_into, clean, times, valid_rules
from .algebra.shift import depends_on_shift, unshift
from .codegen.numpy_route import score_route
from .codegen.vectorize import numpy_function
from .conventions import LAMBDA
from .derive.build import Problem, default_labels
from .derive.concrete import derive_pattern
from .derive.result import Claim, Derivation
from .errors import NotSupportedError

AT_KINK = sp.Function("at_kink")  # 1 where its argument is 0, else 0: appears only when the code's κ is wrong
SYMBOLIC_RUN = "symbolic: the code executed on SymPy symbols (object arrays), normal forms compared"
__all__ = ["SymArray", "SymbolicNumPy", "artifact_claims", "indicator", "run_symbolically", "unshift"]


# ------------------------------------------------------------------------ executing code on symbols


def exact(value) -> sp.Expr:
    """A number the code used, exactly: a float is read as the simplest rational it is the nearest
    double of (1/3 for 0.333…), other numbers as they are."""
    if isinstance(value, (sp.Float, float)):
        f = float(value)
        r = Fraction(f).limit_denominator(10**9)
        r = r if float(r) == f else Fraction(f)
        return sp.Rational(r.numerator, r.denominator)
    return sp.sympify(value)


def exact_floats(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every float replaced by :func:`exact`."""
    expr = sp.sympify(expr)
    floats = expr.atoms(sp.Float)
    return expr.xreplace({f: exact(f) for f in floats}) if floats else expr


def indicator(x, at_zero, kink: sp.Expr) -> sp.Expr:
    """What code that computes 1 for x > 0, 0 for x < 0 and ``at_zero`` at x = 0 computes, in the
    derivation's terms: Step(x) (value κ at 0) plus (at_zero − κ)·at_kink(x)."""
    x, h = sp.sympify(x), exact(at_zero)
    if x.is_Number:
        return sp.Integer(1) if x > 0 else (sp.Integer(0) if x < 0 else h)
    return Step(x) if h == kink else Step(x) + (h - kink) * AT_KINK(x)


def _elementwise(f, *args):
    if any(isinstance(a, numpy.ndarray) for a in args):
        out = numpy.frompyfunc(f, len(args), 1)(*args)
        return out.view(SymArray) if isinstance(out, numpy.ndarray) else out
    return f(*args)


class SymArray(numpy.ndarray):
    """An object array of SymPy expressions on which comparisons give SymPy relations, ``astype``
    turns them into indicators (:func:`indicator`) and ``max`` along an axis gives fresh shift
    symbols. Create with ``numpy.array(..., dtype=object).view(SymArray)``."""

    kink: sp.Expr = sp.Integer(0)
    shifts: list[sp.Symbol] = []
    wrap: ClassVar[Callable[[sp.Symbol], object] | None] = None  # how a fresh shift enters the arrays (NF)

    def _relation(self, other, op):
        return _elementwise(lambda a, b: op(sp.sympify(a), sp.sympify(b)), self, other)

    def __gt__(self, other):  # type: ignore[override]
        return self._relation(other, lambda a, b: sp.StrictGreaterThan(a - b, 0, evaluate=False))

    def __ge__(self, other):  # type: ignore[override]
        return self._relation(other, lambda a, b: sp.GreaterThan(a - b, 0, evaluate=False))

    def __lt__(self, other):  # type: ignore[override]
        return self._relation(other, lambda a, b: sp.StrictGreaterThan(b - a, 0, evaluate=False))

    def __le__(self, other):  # type: ignore[override]
        return self._relation(other, lambda a, b: sp.GreaterThan(b - a, 0, evaluate=False))

    def __eq__(self, other):  # type: ignore[override]
        return self._relation(other, lambda a, b: sp.Eq(a - b, 0, evaluate=False))

    __hash__ = None  # type: ignore[assignment]

    def astype(self, dtype, *args, **kwargs):  # type: ignore[override]
        return _elementwise(lambda r: _number_of(r, SymArray.kink), self)

    def max(self, axis=None, keepdims=False, **kwargs):  # type: ignore[override]
        return _fresh_max(self, axis, keepdims)


def _number_of(r, kink: sp.Expr) -> sp.Expr:
    """A relation (as produced by :class:`SymArray`'s comparisons) as a number: an indicator."""
    if isinstance(r, (bool, numpy.bool_)) or r in (sp.true, sp.false):
        return sp.Integer(1 if bool(r) else 0)
    if isinstance(r, sp.StrictGreaterThan):
        return indicator(r.lhs, 0, kink)
    if isinstance(r, sp.GreaterThan):
        return indicator(r.lhs, 1, kink)
    if isinstance(r, sp.Basic) and not isinstance(r, sp.core.relational.Relational):
        return r
    raise TypeError(f"cannot read {r} as a number")


def _fresh_max(a, axis, keepdims):
    if axis is None:
        raise TypeError("only a maximum along an axis (one per sample) is supported")
    shape = list(a.shape)
    shape[axis] = 1
    out = numpy.empty(shape, dtype=object)
    for index in numpy.ndindex(*shape):
        t = sp.Symbol(f"t_{len(SymArray.shifts)}", real=True)
        SymArray.shifts.append(t)
        out[index] = SymArray.wrap(t) if SymArray.wrap is not None else t
    out = out.view(SymArray)
    return out if keepdims else out.squeeze(axis)


class NF:
    """An element of a :class:`Normalizer`'s polynomial ring (a normal form), with the arithmetic of
    numbers: code that only adds, subtracts and multiplies (the chain rule, sums, the regularizer)
    runs on these directly, and its results are normal forms already."""

    __slots__ = ("poly",)

    def __init__(self, poly: Poly) -> None:
        self.poly = poly

    @staticmethod
    def _of(x):
        if isinstance(x, NF):
            return x.poly
        if isinstance(x, numpy.ndarray):
            return None
        if isinstance(x, (bool, numpy.bool_)):
            x = int(x)
        v = exact(x)
        if not v.is_Rational:
            raise TypeError(f"NF arithmetic with {x!r}")
        return {frozenset(): Fraction(int(v.p), int(v.q))} if v != 0 else {}

    def __add__(self, other):
        o = NF._of(other)
        return NotImplemented if o is None else NF(clean(add_into(dict(self.poly), o)))

    __radd__ = __add__

    def __neg__(self):
        return NF({m: -c for m, c in self.poly.items()})

    def __sub__(self, other):
        o = NF._of(other)
        return NotImplemented if o is None else NF(clean(add_into(dict(self.poly), o, Fraction(-1))))

    def __rsub__(self, other):
        return (-self).__add__(other)

    def __mul__(self, other):
        o = NF._of(other)
        return NotImplemented if o is None else NF(clean(times(self.poly, o)))

    __rmul__ = __mul__


class _Extremum:
    """``numpy.maximum`` / ``minimum`` on symbols: maximum(·, 0) is max(0, ·) (:class:`Pos`), the same
    function the derivation differentiates; ``reduce`` over a list is SymPy's Max / Min."""

    def __init__(self, func) -> None:
        self.func = func

    def __call__(self, a, b):
        def pair(u, v):
            u, v = sp.sympify(u), sp.sympify(v)
            if self.func is sp.Max and v.is_zero:
                return Pos(u)
            if self.func is sp.Max and u.is_zero:
                return Pos(v)
            return self.func(u, v)

        return _elementwise(pair, a, b)

    def reduce(self, values, axis=0):
        if axis != 0 or isinstance(values, numpy.ndarray):
            raise TypeError("only reduce over a list of values is supported")
        if any(isinstance(v, numpy.ndarray) for v in values):
            return _elementwise(lambda *vs: self.func(*vs), *values)
        return self.func(*values)


class SymbolicNumPy:
    """The stand-in for ``numpy`` described in the module docstring: SymPy's functions where NumPy's
    work only on floats, NumPy itself for everything else."""

    def __init__(self, kink: sp.Expr) -> None:
        self.kink = kink

    def __getattr__(self, name: str):
        return getattr(numpy, name)

    def exp(self, x):
        return _elementwise(sp.exp, x)

    def log(self, x):
        return _elementwise(sp.log, x)

    @property
    def maximum(self):
        return _Extremum(sp.Max)

    @property
    def minimum(self):
        return _Extremum(sp.Min)

    def heaviside(self, x, h):
        return _elementwise(lambda u, v: indicator(u, v, self.kink), x, h)

    def where(self, condition, a, b):
        def pick(cond, u, v):
            if isinstance(cond, sp.core.relational.Relational) and (cond.lhs - cond.rhs).is_number:
                cond = cond.func(cond.lhs - cond.rhs, 0)  # numbers on both sides: decided exactly
            if isinstance(cond, (bool, numpy.bool_)) or cond is sp.true or cond is sp.false:
                return u if bool(cond) else v
            if isinstance(cond, sp.Eq) and cond.rhs == 0 and isinstance(v, sp.StrictGreaterThan) and v.lhs == cond.lhs:
                return indicator(cond.lhs, u, self.kink)  # where(x == 0, h, x > 0)
            raise TypeError(f"where({cond}, …) is not supported on symbols")

        return _elementwise(pick, condition, a, b)

    def max(self, a, axis=None, keepdims=False, **kwargs):
        return _fresh_max(a, axis, keepdims)

    def array(self, obj, *args, **kwargs):
        return numpy.array(obj, dtype=object).view(SymArray)

    def asarray(self, obj, *args, **kwargs):
        if isinstance(obj, SymArray):
            return obj
        out = numpy.asarray(obj)
        return out.view(SymArray) if out.dtype == object else out


def _float(value):
    if isinstance(value, numpy.ndarray) and value.dtype == object and value.size == 1:
        value = value.item()
    return value if isinstance(value, sp.Basic) else float(value)


def run_symbolically(fn, *args, kink: sp.Expr, module_name: str = "numpy", **keywords):
    """Call ``fn``'s own code with ``module_name`` bound to :class:`SymbolicNumPy` and ``float``
    leaving SymPy expressions alone. Returns (result, the shift symbols the code introduced)."""
    globals_ = dict(fn.__globals__)
    globals_[module_name] = SymbolicNumPy(kink)
    globals_["float"] = _float
    rebuilt = types.FunctionType(fn.__code__, globals_, fn.__name__, fn.__defaults__, fn.__closure__)
    SymArray.kink, SymArray.shifts = kink, []
    return rebuilt(*args, **keywords), list(SymArray.shifts)


def sym_array(matrix: sp.Matrix) -> SymArray:
    return numpy.array(matrix.tolist(), dtype=object).view(SymArray)


# shift invariance: unshift and depends_on_shift live in symderiv.algebra.shift


# ------------------------------------------------------------------------ the obligations


def _entries(p: Problem):
    """(u, v) and W's index for each weight, in W's own order."""
    if p.conventions.layout == "XW":
        return [((u, v), (u, v)) for u in range(p.features) for v in range(p.C)]
    return [((u, v), (v, u)) for v in range(p.C) for u in range(p.features)]


def _compare_w(p: Problem, norm: Normalizer, direct: dict, got) -> str | None:
    """None when ``got`` (W-shaped) equals the direct derivative entry by entry, else the first entry
    that differs."""
    for (u, v), index in _entries(p):
        if clean(norm(got[index])) != direct[(u, v)]:
            return f"differs at w[{u},{v}]"
    return None


def _claim(id_: str, statement: str, failure: str | None, method: str, detail: str, lhs=None, rhs=None) -> Claim:
    return Claim(statement, failure is None, method, failure or detail, id=id_, lhs=lhs, rhs=rhs)


def _guarded(id_: str, statement: str, method: str, work) -> Claim:
    """``work()`` returns a claim; code the proof cannot execute on symbols fails the claim, with why."""
    try:
        return work()
    except Exception as exc:  # the artifact is under test: any failure to run it is a failed obligation
        return Claim(statement, False, method, f"could not be run on symbols: {type(exc).__name__}: {exc}", id=id_)


#: Obligations whose code does not depend on the size (the chain rule and matrix form in SymPy, the
#: glue of numpy_gradient/numpy_loss, the vectorized function) are proven at a size at most this
#: (D, C, N), with a repeated label when N > C; the size-specific printed code at the derivation's own.
SMALL_SIZE = (2, 3, 4)


@dataclasses.dataclass
class _Proven:
    """A concrete derivation with the normal forms its proof computed."""

    d: Derivation
    norm: Normalizer
    direct: dict
    derived: list
    where: str  # "" at the derivation's own size, else the small size, in words


def _small(d, state: dict) -> _Proven:
    p = d.concrete()
    D, C = min(p.D, SMALL_SIZE[0]), min(p.C, SMALL_SIZE[1])
    N = min(p.N, SMALL_SIZE[2]) if C == p.C else min(p.N, C + 1)
    small_entries = SMALL_SIZE[0] * SMALL_SIZE[1] * SMALL_SIZE[2]
    if (D, C, N) == (p.D, p.C, p.N) or small_entries >= p.D * p.C * p.N:  # small already: its own size
        return _Proven(d, state["norm"], state["direct"], state["derived"], "")
    y = default_labels(C, N)
    problem, G, direct = derive_pattern(d.loss, d.conventions, D, C, N, y)
    # the reference at that size is the direct derivative of L(W) (reverse mode, no scores, no closed forms)
    norm = Normalizer(problem.score_definitions, valid_rules(d.conventions.kink))
    normal = {(u, v): clean(norm(direct[index])) for (u, v), index in _entries(problem)}
    small = Derivation(d.loss, d.conventions, problem, score_gradient=G, gradient_direct=direct)
    where = (
        f"at D={D}, C={C}, N={N}, labels {', '.join(map(str, y))} (the same code at every size), against the "
        "direct derivative there"
    )
    return _Proven(small, norm, normal, [], where)


def artifact_claims(d, state: dict) -> list[Claim]:
    """The artifact obligations of concrete-size derivation ``d``, from the normal forms that
    :func:`symderiv.prove.claims.prove` left in ``state`` (normalizer, derived G, direct derivative)."""
    full = _Proven(d, state["norm"], state["direct"], state["derived"], "")
    small = _small(d, state)
    claims = [
        _guarded("artifact.gradient", STATEMENTS["artifact.gradient"], "symbolic",
                 lambda: _sympy_artifact(small, "artifact.gradient", small.d.gradient)),
        _guarded("artifact.closed-form", STATEMENTS["artifact.closed-form"], "symbolic",
                 lambda: _sympy_artifact(small, "artifact.closed-form", small.d.closed_form)),
        _guarded("artifact.matrix-form", STATEMENTS["artifact.matrix-form"], "symbolic",
                 lambda: _sympy_artifact(small, "artifact.matrix-form", small.d.matrix_form)),
    ]  # fmt: skip
    scores = _run_score_functions(full)
    claims.append(scores)
    if d._route.shift:
        claims.append(_shift_invariance(full))
    claims += _numpy_route(small, scores_proven=scores.holds)
    if _vectorized_function(d) is not None:  # a loss the generator does not support hands out no such function
        claims.append(_guarded("artifact.vectorized", STATEMENTS["artifact.vectorized"], SYMBOLIC_RUN,
                               lambda: _vectorized(small)))  # fmt: skip
    return claims


def _vectorized_function(d):
    """The function ``numpy_function`` returns for ``d``'s loss and conventions; None when the
    generator raises NotSupportedError for this loss (users get that error, not a function)."""
    try:
        return numpy_function(d.loss, **d.conventions.as_options())
    except NotSupportedError:
        return None


STATEMENTS = {  # worded without identifiers (reports set runs of symbols as math)
    "artifact.gradient": "Derivation.gradient (the chain rule through the scores) equals the direct derivative",
    "artifact.closed-form": "the per-element closed form the derivation returns, in W's shape, equals the direct "
    "derivative",
    "artifact.matrix-form": "the matrix form the derivation returns equals the direct derivative, entry by entry",
    "artifact.numpy-scores": "the printed NumPy code of ∂L_i/∂s_ij and L_i (behind the NumPy gradient and loss) "
    "equals the derivation's",
    "artifact.shift-invariance": "∂L_i/∂s_ij and L_i are unchanged when sample i's scores are shifted by any t_i "
    "(the NumPy gradient and loss subtract the row maximum)",
    "artifact.numpy-gradient": "the generated NumPy gradient function computes the direct derivative",
    "artifact.numpy-loss": "the generated NumPy loss function computes L(W)",
    "artifact.vectorized": "the vectorized NumPy function (symderiv codegen) computes L(W) and the direct derivative",
}


def _sympy_artifact(pr: _Proven, id_: str, matrix: sp.Matrix) -> Claim:
    failure = _compare_w(pr.d.concrete(), pr.norm, pr.direct, matrix)
    return _claim(id_, STATEMENTS[id_], failure, "symbolic: normal forms, entry by entry (scores as Σ_k x_ik w_kj)",
                  pr.where, lhs=matrix, rhs=pr.d.gradient_direct)  # fmt: skip


def _run_score_functions(pr: _Proven) -> Claim:
    """Execute the lambdified score functions of ``Derivation.numpy_gradient``/``numpy_loss`` on the
    score symbols; compare with the derivation's G and L_i."""
    d, norm = pr.d, pr.norm
    assert d.score_gradient is not None
    p, route = d.concrete(), d._route
    id_ = "artifact.numpy-scores"
    method = SYMBOLIC_RUN + " (the printed indicator's value at the kink included)"
    free = [h.symbol for h in d.loss.free_hyper(d.conventions.hyper)]
    args = [list(p.S)] + ([d.conventions.delta] if route.symbolic_delta else []) + free
    try:
        out, _ = run_symbolically(route.functions, *args, kink=d.conventions.kink)
        out = numpy.vectorize(exact_floats, otypes=[object])(numpy.asarray(out, dtype=object).reshape(p.N, p.C + 1))
    except Exception as exc:
        return Claim(STATEMENTS[id_], False, method, f"could not be run on symbols: {exc}", id=id_)
    failure = None
    for i in range(p.N):
        for j in range(p.C):
            if failure is None and clean(norm(out[i, j])) != clean(pr.derived[i][j]):
                failure = f"∂L_{i}/∂s[{i},{j}] differs"
        if failure is None and clean(norm(out[i, p.C])) != clean(norm(p.samples[i])):
            failure = f"L_{i} differs"
    return _claim(id_, STATEMENTS[id_], failure, method, f"the printed code of all {p.N}×{p.C} entries and {p.N} "
                  "losses, at this size", lhs=sp.Matrix(out.tolist()),
                  rhs=d.score_gradient.row_join(sp.Matrix(list(p.samples))))  # fmt: skip


def _shift_invariance(pr: _Proven) -> Claim:
    """G(s − t_i) = G(s) and L_i(s − t_i) = L_i(s), for symbolic t_i."""
    d, norm = pr.d, pr.norm
    assert d.score_gradient is not None
    p = d.concrete()
    shifts = [sp.Symbol(f"t_{i}", real=True) for i in range(p.N)]
    shifted = {p.S[i, j]: p.S[i, j] - shifts[i] for i in range(p.N) for j in range(p.C)}
    entries = [d.score_gradient[i, j] if j < p.C else p.samples[i] for i in range(p.N) for j in range(p.C + 1)]
    got = unshift(sp.Tuple(*entries).xreplace(shifted), shifts)  # one pass: shared sums are unshifted once
    failure = None
    for k, e in enumerate(got):
        i, j = divmod(k, p.C + 1)
        want = pr.derived[i][j] if j < p.C else norm(p.samples[i])
        if depends_on_shift(e, shifts):
            failure = f"entry ({i}, {j}) depends on the shift"
        elif clean(norm(e)) != clean(want):
            failure = f"entry ({i}, {j}) differs"
        if failure:
            break
    method = "symbolic: exp(a − t) = exp(a)·exp(−t), exp(−t) factored out of sums, log(e^(−t)·z) = −t + log z"
    return _claim("artifact.shift-invariance", STATEMENTS["artifact.shift-invariance"], failure, method,
                  "every sample at this size, t_i a free symbol", lhs=sp.Matrix(p.N, p.C + 1, list(got)),
                  rhs=d.score_gradient.row_join(sp.Matrix(list(p.samples))))  # fmt: skip


def _numpy_route(pr: _Proven, scores_proven: bool) -> list[Claim]:
    """Execute the glue of numpy_gradient/numpy_loss (:meth:`ScoreRoute.__call__`) on normal forms
    (:class:`NF`: W, X, λ as symbols), with the derivation's G and L_i standing for the score
    functions (their printed code is proven equal to them by ``artifact.numpy-scores``)."""
    d, norm = pr.d, pr.norm
    assert d.score_gradient is not None
    p, c = d.concrete(), d.conventions
    ids = ("artifact.numpy-gradient", "artifact.numpy-loss")
    method = "symbolic: the glue's code run on normal forms (object arrays of polynomials in W, X, λ)"
    if not scores_proven:
        return [Claim(STATEMENTS[i], False, method, "its score functions are not proven", id=i) for i in ids]
    seen: dict = {}
    G = d.score_gradient.row_join(sp.Matrix(list(p.samples)))
    outputs = numpy.array([[NF(clean(norm(e))) for e in row] for row in G.tolist()], dtype=object)

    def functions(scores, *delta):  # stands for the score functions
        seen["scores"] = scores
        return outputs

    def nf_array(M: sp.Matrix):
        return numpy.array([[NF(clean(norm(e))) for e in row] for row in M.tolist()], dtype=object)

    glue = score_route(p, d.score_gradient, functions=functions)
    X = p.X[:, : p.D] if c.layout == "XW" else p.X[: p.D, :]
    delta = c.delta if glue.symbolic_delta else None
    try:  # the glue takes ``np`` and ``number`` as arguments: the stand-ins are passed in
        SymArray.kink, SymArray.shifts, SymArray.wrap = c.kink, [], lambda t: NF(clean(norm(t)))
        loss, dW = glue(
            nf_array(p.W),
            nf_array(X),
            NF(norm(LAMBDA)),
            delta,
            np=SymbolicNumPy(c.kink),
            number=exact,
            hyper=tuple(h.symbol for h in d.loss.free_hyper(c.hyper)),
        )
        shifts = list(SymArray.shifts)
        loss = loss.item() if isinstance(loss, numpy.ndarray) and loss.size == 1 else loss
    except Exception as exc:
        return [Claim(STATEMENTS[i], False, method, f"could not be run on symbols: {exc}", id=i) for i in ids]
    finally:
        SymArray.wrap = None
    # the score functions were handed S − t_i: check that; G(S − t) = G(S) by artifact.shift-invariance
    failure = None
    for k, arg in enumerate(seen["scores"]):
        i, j = divmod(k, p.C)
        want = norm(p.S[i, j] - shifts[i]) if glue.shift else norm(p.S[i, j])
        if not isinstance(arg, NF) or arg.poly != clean(want):
            failure = f"the scores handed to the score functions differ at s[{i},{j}]"
            break
    grad_failure = failure
    for (u, v), index in _entries(p):
        if grad_failure is None and (not isinstance(dW[index], NF) or dW[index].poly != pr.direct[(u, v)]):
            grad_failure = f"differs at w[{u},{v}]"
    loss_failure = failure
    if loss_failure is None and (not isinstance(loss, NF) or loss.poly != clean(norm(p.loss_in_scores()))):
        loss_failure = "differs from L(W)"
    detail = (
        "the glue (scores, row-max shift t_i, chain rule, regularizer)"
        + (f", {pr.where}" if pr.where else "")
        + "; the score functions' printed code is artifact.numpy-scores"
    )
    return [
        _claim(ids[0], STATEMENTS[ids[0]], grad_failure, method, detail, rhs=d.gradient_direct),
        _claim(ids[1], STATEMENTS[ids[1]], loss_failure, method, detail, rhs=p.loss_in_weights()),
    ]


def _vectorized(pr: _Proven) -> Claim:
    """Execute the vectorized function (the one ``numpy_function`` returns for these conventions)
    on W, X of SymPy symbols, with λ and Δ symbolic, against the concrete derivation ``pr``."""
    d, norm = pr.d, pr.norm
    assert d.score_gradient is not None
    p, c = d.concrete(), d.conventions
    f = _vectorized_function(d)
    X = p.X[:, : p.D] if c.layout == "XW" else p.X[: p.D, :]
    args = [sym_array(p.W), sym_array(X), numpy.array(p.y), LAMBDA]
    parameters = inspect.signature(f).parameters
    if "delta" in parameters:
        args.append(c.delta)
    hyper = {h.name: h.symbol for h in d.loss.free_hyper(c.hyper) if h.name in parameters}
    (loss, dW), shifts = run_symbolically(f, *args, kink=c.kink, module_name="np", **hyper)
    dW = numpy.asarray(dW)
    out = unshift(sp.Tuple(loss, *dW.ravel()), shifts)  # one pass: shared sums are unshifted once
    loss, dW = exact_floats(out[0]), numpy.array([exact_floats(e) for e in out[1:]], dtype=object).reshape(dW.shape)
    failure = _compare_w(p, norm, pr.direct, dW)
    if failure is None and (depends_on_shift(loss, shifts) or clean(norm(loss)) != clean(norm(p.loss_in_scores()))):
        failure = "the loss differs from L(W)"
    detail = (pr.where or "at this size and labels") + (
        "; the row maximum as free symbols t_i, which all cancel" if shifts else "")  # fmt: skip
    return _claim("artifact.vectorized", STATEMENTS["artifact.vectorized"], failure, SYMBOLIC_RUN, detail,
                  lhs=(loss, sp.Matrix(dW.tolist())), rhs=(p.loss_in_weights(), d.gradient_direct))  # fmt: skip


def add_artifact_claims(d, state: dict) -> None:
    """Append the artifact obligations to ``d.claims``."""
    d.claims.extend(artifact_claims(d, state))
