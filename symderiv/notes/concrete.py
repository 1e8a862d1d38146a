"""A note's claim at concrete indices, against a concrete derivation: instantiate, then prove or
refute with :func:`verify_formula` (gradients of the loss) or by comparing values
(everything else: identities, the derivative of one term, a definition restated)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.relational import Relational

from ..algebra.functions import Pos, Step, argmax_weights, running_max
from ..derive.result import Derivation
from ..pipeline import verify_formula
from .meaning import COUNT_C, COUNT_D, COUNT_N, DELTA, LAMBDA, PMAT, SAMPLE, YMAT, is_index, roles
from .objects import (
    ANY_TRUTH,
    COL,
    PLACEHOLDER,
    ROW,
    TOTAL,
    WMAT,
    XMAT,
    ArgmaxIndicator,
    ClassWeights,
    DefinedVar,
    Deriv,
    ElidedMatrix,
    Entry,
    EntryRow,
    Feature,
    IndicatorAt,
    Label,
    NoteMatrix,
    NoteMaxOver,
    NoteNorm,
    NoteSum,
    Prob,
    Sample,
    SampleLoss,
    Score,
    ScoreVector,
    Tr,
    Unknown,
    Weight,
    Whole,
)
from .parse import COL_INDEX, ROW_INDEX, NotUnderstood

FEATURE = sp.Symbol("u·")  # the feature index of a claim about vectors (x_i, w_j), checked per component


class WEntry(sp.Function):
    """w[u, v] with u a feature and v a class, whatever the layout."""

    nargs = 2


@dataclass(frozen=True)
class Outcome:
    status: str  # "proved" | "refuted" | "unknown"
    reason: str = ""
    left: sp.Expr | None = None  # the truth of the left side at the counterexample
    right: sp.Expr | None = None
    point: dict | None = None  # symbol of the derivation -> exact value


def components(expr: sp.Basic, layout: str, feature: sp.Symbol = FEATURE, vectors: bool = False) -> sp.Basic:
    """x_i → x_{i u·}, ∂/∂w_j → ∂/∂w_{u· j}, w_{ab} → w[feature, class]: vectors one component at a time.

    ``feature`` is the feature index to use for x_i (u when the claim is about ∂/∂w_{uv})."""

    def go(e):
        if isinstance(e, Sample) and not vectors:  # with vectors, x_i stays the column of its features
            return Feature(e.args[0], feature)
        if isinstance(e, Tr) and isinstance(e.args[0], Sample) and not vectors:
            return Feature(e.args[0].args[0], feature)
        if isinstance(e, Deriv):
            f, wrt = e.args
            if isinstance(wrt, ClassWeights) and not vectors:
                return Deriv(go(f), WEntry(FEATURE, wrt.args[0]))
            if isinstance(wrt, ClassWeights):
                return Deriv(go(f), wrt)  # ∂f/∂w_j, the column of ∂f/∂w_uj
            return Deriv(go(f), go(wrt))
        if isinstance(e, Weight):
            a, b = e.args
            return WEntry(a, b) if layout == "XW" else WEntry(b, a)
        if isinstance(e, ClassWeights):
            raise NotUnderstood("a class's weight vector w_j outside a score or a derivative")
        if not e.args or e.is_Atom:
            return e
        new = [go(a) for a in e.args]
        if isinstance(e, sp.Piecewise | Relational):
            return e.func(*new, evaluate=False)
        return e.func(*new)

    return go(expr)


def free_indices(expr: sp.Basic) -> set:
    """Index symbols that are not bound by a sum."""
    if isinstance(expr, sp.Symbol):
        return {expr} if (is_index(expr) or expr in (FEATURE, ANY_TRUTH)) else set()
    if isinstance(expr, NoteSum | NoteMaxOver):
        body, var, cond = expr.args
        return (free_indices(body) | free_indices(cond)) - {var}
    if isinstance(expr, DefinedVar):
        return free_indices(expr.args[0]) | free_indices(expr.args[3])
    if isinstance(expr, ArgmaxIndicator):
        j, body, var, cond = expr.args
        return free_indices(j) | ((free_indices(body) | free_indices(cond)) - {var})
    out: set = set()
    for a in getattr(expr, "args", ()):
        out |= free_indices(a)
    return out


def bound_indices(expr: sp.Basic) -> set:
    out: set = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, NoteSum | NoteMaxOver):
            out.add(node.args[1])
        elif isinstance(node, ArgmaxIndicator):
            out.add(node.args[2])
    return out


class Instance:
    """The objects of a note at concrete indices in one derivation ``d``."""

    def __init__(self, d: Derivation, layout: str, context=None):
        self.context = context  # the note's definitions, for matrices defined entry by entry
        self.d = d
        self.layout = layout
        self.N, self.C, self.D = d.N, d.C, d.D
        self.y = d.y
        self.free_reals: set = set()  # letters the note never places: any real number (proved for all, or unknown)
        self.class_rows = False  # P and Y as C×N matrices (a note in layout WX may write them so)
        self._samples: Any = d.steps[1].expr
        self._full = d.steps[2].expr

    def size(self, role: str) -> int:
        return {"sample": self.N, "class": self.C, "feature": self.features, "truth": 2}[role]

    @property
    def features(self) -> int:
        """The features, the bias trick's constant one included."""
        return self.D + (1 if self.d.conventions.bias else 0)

    def feature(self, i: int, u: int) -> sp.Expr:
        if not (0 <= i < self.N and 0 <= u < self.features):
            raise NotUnderstood("an index used for both a feature and a class")
        return self.d.X[i, u] if self.layout == "XW" else self.d.X[u, i]

    def weight(self, u: int, v: int) -> sp.Expr:
        if not (0 <= u < self.features and 0 <= v < self.C):
            raise NotUnderstood("an index used for both a feature and a class")
        return self.d.W[u, v] if self.layout == "XW" else self.d.W[v, u]

    def probs(self) -> sp.Matrix:
        S = self.d.S
        return sp.Matrix(self.N, self.C, lambda i, j: sp.exp(S[i, j]) / sum(sp.exp(S[i, k]) for k in range(self.C)))

    def onehot(self) -> sp.Matrix:
        return sp.Matrix(self.N, self.C, lambda i, j: 1 if self.y[i] == j else 0)

    def _int(self, x: sp.Basic, what: str) -> int:
        if isinstance(x, sp.Integer):
            return int(x)
        raise NotUnderstood(f"the {what} index {x} has no value")

    def value(self, e: sp.Basic, env: dict) -> Any:  # noqa: C901 - one case per object
        """``e`` with the indices of ``env`` (symbol → int), as a concrete SymPy expression or Matrix."""
        if e == TOTAL:
            return self._full
        if isinstance(e, sp.Symbol):
            if e in env:
                return sp.Integer(env[e])
            if e in self.free_reals:
                return e
            return self._symbol(e)
        if isinstance(e, sp.Number):
            return e
        if isinstance(e, Label):
            return sp.Integer(self.y[self._int(self.value(e.args[0], env), "sample")])
        if isinstance(e, Score):
            i, j = (self._int(self.value(a, env), "score") for a in e.args)
            return self.d.S[i, j]
        if isinstance(e, Prob):
            i, j = (self._int(self.value(a, env), "probability") for a in e.args)
            return self.probs()[i, j]
        if isinstance(e, Feature):
            i, u = (self._int(self.value(a, env), "feature") for a in e.args)
            return self.feature(i, u)
        if isinstance(e, WEntry):
            u, v = (self._int(self.value(a, env), "weight") for a in e.args)
            return self.weight(u, v)
        if isinstance(e, Weight):
            a, b = (self._int(self.value(x, env), "weight") for x in e.args)
            return self.d.W[a, b]
        if isinstance(e, SampleLoss):
            return self._samples[self._int(self.value(e.args[0], env), "sample")]
        if e == TOTAL:
            return self._full
        if isinstance(e, Entry):
            return self._entry(e.args[0].name, *(self._int(self.value(x, env), "matrix") for x in e.args[1:]))
        if isinstance(e, DefinedVar):
            return self.value(e.args[0], env)
        if isinstance(e, EntryRow):
            i = self._int(self.value(e.args[1], env), "sample")
            return sp.Matrix(self.C, 1, lambda c, _k: self._entry(e.args[0].name, i, c))
        if isinstance(e, Whole):
            name = e.args[0].name
            return sp.Matrix(self.N, self.C, lambda r, c: self._entry(name, r, c))
        if isinstance(e, sp.KroneckerDelta):
            a, b = (self.value(x, env) for x in e.args)
            return sp.Integer(1 if a == b else 0)
        if isinstance(e, NoteSum):
            return self._sum(e, env)
        if isinstance(e, Unknown):  # c_i at concrete indices: a real number of its own
            at = ",".join(str(self._int(self.value(a, env), "index")) for a in e.args[1:])
            return sp.Symbol(f"{e.args[0]}_{{{at}}}")
        if isinstance(e, Sample):
            i = self._int(self.value(e.args[0], env), "sample")
            return sp.Matrix(self.features, 1, lambda u, _c: self.feature(i, u))
        if isinstance(e, NoteMatrix):
            rows, cols = (int(a) for a in e.args[:2])
            values = [self.value(a, env) for a in e.args[2:]]
            return _blocks([values[r * cols : (r + 1) * cols] for r in range(rows)])
        if isinstance(e, ElidedMatrix):
            entry, r0, r1, c0, c1 = e.args
            rows = self._int(self.value(r1, env), "row") - int(r0) + 1
            cols = self._int(self.value(c1, env), "column") - int(c0) + 1
            return _blocks([[self.value(entry, {**env, ROW_INDEX: r, COL_INDEX: c}) for c in range(cols)]
                            for r in range(rows)])  # fmt: skip
        if isinstance(e, NoteMaxOver):
            return running_max(self._over(e.args[0], e.args[1], e.args[2], env)[1])
        if isinstance(e, ArgmaxIndicator):
            j = self._int(self.value(e.args[0], env), "argmax")
            ks, values = self._over(e.args[1], e.args[2], e.args[3], env)
            return argmax_weights(values)[ks.index(j)] if j in ks else sp.Integer(0)
        if isinstance(e, IndicatorAt):
            if self.value(e.args[0], env) != 0:
                raise NotUnderstood("1[·] of a number other than 0")
            return self.d.conventions.kink
        if isinstance(e, sp.Piecewise):
            for v, c in e.args:
                truth = self._truth(c, env)
                if truth:
                    return self.value(v, env)
            raise NotUnderstood("cases that leave a case out")
        if isinstance(e, Deriv):
            return self._deriv(e, env)
        if isinstance(e, Tr):
            inner = self.value(e.args[0], env)
            if isinstance(inner, sp.MatrixBase):
                return inner.T
            raise NotUnderstood("a transpose of a scalar")
        if isinstance(e, NoteNorm):
            inner = self.value(e.args[0], env)
            if isinstance(inner, sp.MatrixBase):
                return sp.sqrt(sum(x**2 for x in inner))
            return sp.Abs(inner)
        if isinstance(e, Step):
            return Step(self.value(e.args[0], env))
        if isinstance(e, sp.Add):
            parts = [self.value(a, env) for a in e.args]
            out = parts[0]
            for p in parts[1:]:
                out = _add(out, p)
            return out
        if isinstance(e, sp.Mul):
            parts = [self.value(a, env) for a in e.args]
            out = parts[0]
            for p in parts[1:]:
                out = _mul(out, p)
            return out
        if isinstance(e, sp.Pow):
            base, exp = (self.value(a, env) for a in e.args)
            if isinstance(base, sp.MatrixBase) or isinstance(exp, sp.MatrixBase):
                raise NotUnderstood("a power of a matrix")
            return base**exp
        if isinstance(e, sp.Function) and e.args:
            args = [self.value(a, env) for a in e.args]
            if any(isinstance(a, sp.MatrixBase) for a in args):
                raise NotUnderstood(f"{e.func.__name__} of a matrix")
            return e.func(*args)
        raise NotUnderstood(f"{e}")

    def _entry(self, name: str, r: int, c: int) -> object:
        """Entry (r, c) of a matrix the note defines entry by entry: the first case whose condition holds."""
        from .meaning import resolve

        if not (0 <= r < self.N and 0 <= c < self.C):
            raise NotUnderstood(f"{name}_{{{r + 1}{c + 1}}} is outside the N×C matrix")
        at = {ROW: sp.Integer(r), COL: sp.Integer(c)}
        for cond, body in self.context.entrywise[name]:
            if cond is None or self._truth(resolve(cond.xreplace(at), self.context), {}):
                return self.value(resolve(body.xreplace(at), self.context), {})
        raise NotUnderstood(f"{name}_{{{r + 1}{c + 1}}}: no case of its definition applies")

    def _symbol(self, e: sp.Symbol) -> object:
        table = {DELTA: self.d.delta, LAMBDA: self.d.lam, COUNT_N: sp.Integer(self.N), COUNT_C: sp.Integer(self.C),
                 COUNT_D: sp.Integer(self.D)}  # fmt: skip
        if e in table:
            return table[e]
        if e == WMAT:
            return self.d.W
        if e == XMAT:
            return self.d.X
        if e == PMAT:
            return self.probs() if not self.class_rows else self.probs().T
        if e == YMAT:
            return self.onehot() if not self.class_rows else self.onehot().T
        if e == PLACEHOLDER:
            return e  # "any number": a free variable of the claim
        fixed = dict(self.d.conventions.hyper)  # a hyperparameter's value, or its symbol when the derivation keeps it
        for h in self.d.loss.hyperparameters:
            if e == h.symbol:
                return fixed.get(h.name, h.symbol)
        raise NotUnderstood(f"the index {e} has no value here")

    def _truth(self, cond: sp.Basic, env: dict) -> bool:
        if cond is sp.true:
            return True
        if isinstance(cond, sp.And):
            return all(self._truth(c, env) for c in cond.args)
        if isinstance(cond, sp.Or):
            return any(self._truth(c, env) for c in cond.args)
        if isinstance(cond, sp.Eq | sp.Ne):
            a, b = self.value(cond.lhs, env), self.value(cond.rhs, env)
            if not (isinstance(a, sp.Integer) and isinstance(b, sp.Integer)):
                raise NotUnderstood(f"the condition {cond}")
            return (a == b) == isinstance(cond, sp.Eq)
        raise NotUnderstood(f"the condition {cond}")

    def _sum(self, e: NoteSum, env: dict) -> object:
        body, var, cond = e.args
        role = roles(sp.Tuple(body, cond), self.layout).get(var)
        if role is None:
            raise NotUnderstood(f"what the sum over {var} runs over")
        total: object = sp.Integer(0)
        for k in range(self.size(role)):
            inner = {**env, var: k}
            if self._truth(cond, inner):
                total = _add(total, self.value(body, inner))
        return total

    def _deriv_in_defined(self, F: object, wrt: DefinedVar, env: dict) -> object:
        """∂F/∂m_ij for a quantity m the note defines: F written in the m's alone (each m at each of its
        indices a variable of its own), differentiated, and the m's put back; when F is not a function of the
        m's alone, what is held fixed is not said, and the derivative is not understood."""
        import itertools

        _at, template, params, _args = wrt.args
        if isinstance(F, sp.MatrixBase):
            raise NotUnderstood("the derivative of a matrix")
        role = roles(template, self.layout)
        if any(p not in role for p in params):
            raise NotUnderstood(f"what the indices of {wrt.args[0]} run over")
        scores = set(self.d.S)
        names: dict = {}
        for values in itertools.product(*(range(self.size(role[p])) for p in params)):
            try:
                e = sp.sympify(self.value(template, dict(zip(params, values, strict=True))))
            except NotUnderstood:
                continue
            if e.free_symbols & scores and e not in names:
                names[e] = sp.Dummy("m")
        target = sp.sympify(self.value(wrt.args[0], env))
        if target not in names:
            raise NotUnderstood(f"a derivative in {wrt.args[0]}, which does not depend on the scores here")
        G = sp.sympify(F).xreplace(names)
        if G.free_symbols & scores:
            raise NotUnderstood(f"∂/∂{wrt.args[0]}: the function is not written in those quantities alone")
        return sp.diff(G, names[target]).xreplace({v: k for k, v in names.items()})

    def _over(self, body: sp.Basic, var: sp.Symbol, cond: sp.Basic, env: dict) -> tuple[list[int], list]:
        """The classes a max or argmax runs over (in order) and the values of its body there."""
        role = roles(sp.Tuple(body, cond), self.layout).get(var)
        if role != "class":
            raise NotUnderstood(f"a max over {var}, which is not a class index")
        ks = [k for k in range(self.C) if self._truth(cond, {**env, var: k})]
        if not ks:
            raise NotUnderstood("a max over no class")
        return ks, [self.value(body, {**env, var: k}) for k in ks]

    def _deriv(self, e: Deriv, env: dict) -> object:
        f, wrt = e.args
        F = self.value(f, env)
        if isinstance(wrt, DefinedVar):
            return self._deriv_in_defined(F, wrt, env)
        if isinstance(wrt, ClassWeights):  # ∂f/∂w_j: the column of ∂f/∂w_uj
            j = self._int(self.value(wrt.args[0], env), "class")
            if isinstance(F, sp.MatrixBase):
                raise NotUnderstood("the derivative of a matrix")
            Fw = self.d.in_weights(F)
            return sp.Matrix(self.features, 1, lambda u, _c: sp.diff(Fw, self.weight(u, j)))
        if isinstance(wrt, ScoreVector):  # ∂f/∂s_i: the column of ∂f/∂s_ik
            i = self._int(self.value(wrt.args[0], env), "sample")
            if isinstance(F, sp.MatrixBase):
                raise NotUnderstood("the derivative of a matrix")
            return sp.Matrix(self.C, 1, lambda k, _c: sp.diff(F, self.d.S[i, k]))
        if wrt == WMAT:
            if isinstance(F, sp.MatrixBase):
                raise NotUnderstood("the derivative of a matrix")
            Fw = self.d.in_weights(F)
            return self.d.W.applyfunc(lambda w: sp.diff(Fw, w))
        target = self.value(wrt, env)
        if isinstance(F, sp.MatrixBase) or not isinstance(target, sp.Symbol):
            raise NotUnderstood(f"a derivative in {wrt}")
        if target in set(self.d.W):
            return sp.diff(self.d.in_weights(F), target)
        if target in set(self.d.S):
            return sp.diff(F, target)
        raise NotUnderstood(f"a derivative in {wrt}")


def _blocks(grid: list[list]) -> sp.Matrix:
    """A matrix from its entries, or from blocks when the entries are vectors ([∂L/∂w_1, …, ∂L/∂w_C])."""
    if any(isinstance(x, sp.MatrixBase) for row in grid for x in row):
        if not all(isinstance(x, sp.MatrixBase) for row in grid for x in row):
            raise NotUnderstood("a matrix written out with both numbers and vectors as entries")
        try:
            return sp.Matrix.vstack(*(sp.Matrix.hstack(*row) for row in grid))
        except (ValueError, sp.ShapeError):
            raise NotUnderstood("a matrix of blocks whose shapes do not fit") from None
    return sp.Matrix(grid)


def _add(a, b):
    if isinstance(a, sp.MatrixBase) != isinstance(b, sp.MatrixBase):
        if a == 0:
            return b
        if b == 0:
            return a
        raise NotUnderstood("a matrix plus a number")
    if isinstance(a, sp.MatrixBase) and a.shape != b.shape:
        raise NotUnderstood(f"a {a.shape[0]}×{a.shape[1]} matrix plus a {b.shape[0]}×{b.shape[1]} one")
    return a + b


def _mul(a, b):
    if isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase):
        if a.shape[1] != b.shape[0]:
            raise NotUnderstood(f"a {a.shape[0]}×{a.shape[1]} matrix times a {b.shape[0]}×{b.shape[1]} one")
        return a * b
    return a * b


# ------------------------------------------------------------------ deciding one instance
def decide(inst: Instance, lhs: sp.Basic, rhs: sp.Basic, env: dict) -> Outcome:
    """Prove or refute ``lhs = rhs`` at the indices ``env``."""
    d = inst.d
    if isinstance(rhs, Deriv) and not isinstance(lhs, Deriv):
        lhs, rhs = rhs, lhs
    claimed = inst.value(rhs, env)
    if isinstance(lhs, Deriv) and (isinstance(lhs.args[0], SampleLoss) or lhs.args[0] == TOTAL):
        f, wrt = lhs.args
        sample = None
        if isinstance(f, SampleLoss):
            sample = int(inst.value(f.args[0], env))
        if isinstance(wrt, Score) and sample is not None:
            i, j = (int(inst.value(a, env)) for a in wrt.args)
            if i == sample and not isinstance(claimed, sp.MatrixBase):
                x = inst.feature(i, 0)
                verdict = verify_formula(d, x * claimed, entry=(0, j), sample=i)
                assert d.score_gradient is not None
                truth = d.score_gradient[i, j]
                return _outcome(verdict, truth, claimed, inst)
        elif isinstance(wrt, WEntry):
            u, v = (int(inst.value(a, env)) for a in wrt.args)
            if not isinstance(claimed, sp.MatrixBase):
                verdict = verify_formula(d, claimed, entry=(u, v), sample=sample)
                truth = inst.value(lhs, env)
                return _outcome(verdict, truth, claimed, inst)
        elif wrt == WMAT:
            if not isinstance(claimed, sp.MatrixBase):
                raise NotUnderstood("a gradient in W that is not a matrix")
            if claimed.shape != d.W.shape:
                raise NotUnderstood(f"a {claimed.shape[0]}×{claimed.shape[1]} gradient for a W of shape {d.W.shape}")
            if sample is None:
                verdict = verify_formula(d, claimed)
            else:

                def entry(u, v):
                    return claimed[u, v] if inst.layout == "XW" else claimed[v, u]

                verdict = verify_formula(d, entry, sample=sample)
            truth = inst.value(lhs, env)
            return _outcome(verdict, truth, claimed, inst)
    truth = inst.value(lhs, env)
    return compare(inst, truth, claimed)


def _outcome(verdict, truth, claimed, inst: Instance) -> Outcome:
    if verdict.status == "proved":
        return Outcome("proved")
    if verdict.status != "refuted":  # no proof by normal forms: compare the two as rational functions
        return compare(inst, truth, claimed)
    if verdict.status == "refuted":
        point = {_by_name(k): v for k, v in verdict.counterexample["point"].items()}
        point = {k: v for k, v in point.items() if k is not None}
        return Outcome("refuted", "", truth, claimed, point)
    return Outcome("unknown", "no proof found, and no counterexample")


_NAMES: dict = {}


def _by_name(name: str):
    return _NAMES.get(name)


def register_symbols(d: Derivation) -> None:
    for s in (*d.W, *d.X, *d.S, d.delta, d.lam):
        if isinstance(s, sp.Symbol):
            _NAMES[str(s)] = s


def compare(inst: Instance, a: Any, b: Any, points: int = 12, seed: int = 0, prove: bool = True) -> Outcome:
    """Prove ``a == b`` (identical once expanded) or refute it at an exact random point (with
    ``prove=False``, only look for a counterexample)."""
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        if isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase) and a.shape == b.T.shape and 1 in a.shape:
            b = b.T  # a vector written as a row or as a column
        if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.shape != b.shape:
            raise NotUnderstood("a matrix compared with something of another shape")
        outcomes = [compare(inst, x, y, points, seed, prove) for x, y in zip(a, b, strict=True)]
        for o in outcomes:
            if o.status == "refuted":
                return o
        if all(o.status == "proved" for o in outcomes):
            return Outcome("proved")
        return Outcome("unknown", outcomes[0].reason)
    a, b = sp.sympify(a), sp.sympify(b)
    d = inst.d
    uses_weights = bool((a.free_symbols | b.free_symbols) & (set(d.W) | set(d.X)))
    if uses_weights:
        a, b = d.in_weights(a), d.in_weights(b)
    diff = a - b
    if diff == 0 or (prove and _is_zero(diff)):
        return Outcome("proved")
    symbols = sorted(a.free_symbols | b.free_symbols, key=sp.default_sort_key)
    rng = random.Random(seed)
    positive = {d.lam, d.delta}
    for _ in range(points):
        point = {}
        for s in symbols:
            num = sp.Rational(rng.randint(-12, 12), rng.randint(1, 4))
            point[s] = abs(num) + 1 if s in positive else num
        left, right = (_at_kink(x.xreplace(point), d.conventions.kink) for x in (a, b))
        gap = sp.N(left - right, 30)
        scale = sp.N(left, 30)
        if not (gap.is_number and scale.is_number) or gap.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return Outcome("unknown", f"could not evaluate {sp.sstr(left - right)[:80]}")
        if bool(abs(gap) > 1e-20 * (1 + abs(scale))):
            return Outcome("refuted", "", left, right, point)
    return Outcome("unknown", f"no proof found; equal at {points} random points")


def _at_kink(e: sp.Expr, kink: sp.Expr) -> sp.Expr:
    return e.replace(lambda x: isinstance(x, Step) and x.args[0] == 0, lambda x: kink)


def _tidy(e: sp.Expr) -> sp.Expr:
    """max(0, m)·1[m > 0] = max(0, m) and 1[m > 0]² = 1[m > 0] (true at the kink too when 1[0] ∈ {0, 1})."""

    def term(t: sp.Expr) -> sp.Expr:
        factors = list(t.args)
        positive = {f.args[0] for f in factors if isinstance(f, Pos)}
        positive |= {f.base.args[0] for f in factors if f.is_Pow and isinstance(f.base, Pos)}
        out = []
        for f in factors:
            if f.is_Pow and isinstance(f.base, Step) and f.exp.is_positive:
                f = f.base
            if isinstance(f, Step) and f.args[0] in positive:
                continue
            out.append(f)
        return sp.Mul(*out)

    return sp.expand(e).replace(lambda x: x.is_Mul, term)


def _is_zero(diff: sp.Expr) -> bool:
    e = sp.expand(_tidy(diff))
    if e == 0:
        return True
    if e.has(sp.log, sp.exp):
        e = sp.expand(sp.expand_log(sp.powsimp(e), force=True))  # scores are real: log(e^s) = s
        if e == 0:
            return True
        if e.has(sp.log):  # log Σ_k e^{s_k − c} = −c + log Σ_k e^{s_k}: the common factor out of the log
            split = sp.expand(e, power_exp=True)
            split = split.replace(lambda x: isinstance(x, sp.log), lambda x: sp.log(sp.factor_terms(x.args[0])))
            if sp.expand(sp.expand_log(split, force=True)) == 0:
                return True
    if e.has(Pos, Step):
        return False
    return sp.expand(sp.numer(sp.together(e))) == 0  # a rational function of the atoms (1/(3 Σ_k e^{s_k}))


__all__ = ["Instance", "Outcome", "components", "compare", "decide", "free_indices", "bound_indices",
           "register_symbols", "SAMPLE"]  # fmt: skip
