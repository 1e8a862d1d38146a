"""What a note's names mean: scores, labels, samples, weights, losses — from the note's own
definitions and the notation of the notes (cs231n). ``resolve`` turns a notation-level expression
from :mod:`.parse` into one over the objects of :mod:`.objects`, or raises NotUnderstood naming the
symbol it could not place."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.relational import Relational
from sympy.core.symbol import Str

from ..algebra.functions import Pos, Step
from .objects import (
    ANY_TRUTH,
    PLACEHOLDER,
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
    Indicator,
    IndicatorAt,
    Label,
    NoteArgmax,
    NoteMatrix,
    NoteMax,
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

DELTA = sp.Symbol("Δ")
LAMBDA = sp.Symbol("λ")
COUNT_N = sp.Symbol("N")
COUNT_C = sp.Symbol("C")
COUNT_D = sp.Symbol("D")
SAMPLE = sp.Symbol("i")  # the sample index a note leaves implicit (s_j is s_ij)
PMAT = sp.Symbol("P", commutative=False)
YMAT = sp.Symbol("Y", commutative=False)

SCORE_NAMES = ("s", "S", "f")
KNOWN_NAMES = ("s", "S", "f", "x", "X", "w", "W", "y", "L", "p", "P", "R", "Y")  # names with a meaning of their own
SAMPLE_LETTERS = (sp.Symbol("i"), sp.Symbol("n"))  # the letters of the notes' sample index
INDEX_LETTERS = set("ijklmnuvabcdgrtpqz")  # letters that stand for indices when bare


@dataclass
class Context:
    """What the note has said so far: definitions, shapes, and which names it uses."""

    definitions: dict = field(default_factory=dict)  # (name, arity) -> (params, body)
    layout: str | None = None  # "XW" / "WX", from W's shape or the scores' definition
    layout_from: str = ""
    bias: bool | None = None  # the bias trick, from W's shape ((D+1)×C) or x_iD = 1
    bias_from: str = ""
    counts: dict = field(default_factory=dict)  # letter used for N / C / D
    score_letter: str = "s"
    sample_implicit: bool = True
    definition_lines: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)  # numbers the note gives Δ, N, C, D: name -> (value, line)
    by_cases: set = field(default_factory=set)  # names the note defines case by case (not read yet)
    entrywise: dict = field(default_factory=dict)  # matrix name -> [(condition or None, body)] in ROW, COL
    entries: dict = field(default_factory=dict)  # (name, arity) -> {concrete indices: body} (m_{0,2} = …)
    labels: tuple = ()  # the labels of the note's example, as written (y = (2, 1))
    index_base: int | None = None  # how the display of the claim at hand counts concrete indices, when it shows it

    def define(self, name: str, params: tuple, body: object) -> None:
        self.definitions[(name, len(params))] = (params, body)


def is_index(sym: object) -> bool:
    return isinstance(sym, sp.Symbol) and len(sym.name) == 1 and sym.name in INDEX_LETTERS and sym.is_commutative


def head(expr: object) -> tuple[str, int] | None:
    """(name, arity) of a quantity written as a name with indices, or None."""
    if isinstance(expr, sp.Symbol):
        return (expr.name, 0)
    if isinstance(expr, sp.core.function.AppliedUndef):
        return (expr.func.__name__, len(expr.args))
    return None


def resolve(expr: sp.Basic, ctx: Context, bound: frozenset = frozenset()) -> sp.Basic:
    """The meaning of a notation-level expression (see the module docstring)."""
    r = _resolve(expr, ctx, bound)
    return _scores_from_products(r)


def _resolve(e: sp.Basic, ctx: Context, bound: frozenset) -> sp.Basic:  # noqa: C901 - one table of cases
    if isinstance(e, sp.Number | sp.logic.boolalg.BooleanAtom):
        return e
    if isinstance(e, sp.Symbol):
        return _symbol(e, ctx, bound)
    if isinstance(e, sp.core.function.AppliedUndef):
        return _named(e, ctx, bound)
    if isinstance(e, NoteSum):
        body, var, cond = e.args
        return NoteSum(_resolve(body, ctx, bound | {var}), var, _resolve(cond, ctx, bound | {var}))
    if isinstance(e, NoteMaxOver):
        body, var, cond = e.args
        return NoteMaxOver(_resolve(body, ctx, bound | {var}), var, _resolve(cond, ctx, bound | {var}))
    if isinstance(e, NoteMatrix):
        return NoteMatrix(*e.args[:2], *(_resolve(a, ctx, bound) for a in e.args[2:]))
    if isinstance(e, ElidedMatrix):
        inner = bound | {ROW_INDEX, COL_INDEX}
        return ElidedMatrix(_resolve(e.args[0], ctx, inner), *(_resolve(a, ctx, bound) for a in e.args[1:]))
    if isinstance(e, NoteArgmax):
        raise NotUnderstood("an argmax outside 1[j = argmax …]")
    if isinstance(e, IndicatorAt):
        return e
    if isinstance(e, NoteMax):
        a, b = (_resolve(x, ctx, bound) for x in e.args)
        if a == 0:
            return Pos(b)
        if b == 0:
            return Pos(a)
        raise NotUnderstood("a max of two expressions, neither 0")
    if isinstance(e, Indicator):
        if e.args[0] == PLACEHOLDER:
            return ANY_TRUTH  # 1[·]: the indicator of any condition, 0 or 1
        return _indicator(e.args[0], ctx, bound)
    if isinstance(e, Deriv):
        f, wrt = e.args
        if wrt == sp.Symbol("w") and ("w", 0) not in ctx.definitions:
            return Deriv(_resolve(f, ctx, bound), WMAT)  # ∇_w L_i: the gradient in the weights
        key = head(wrt)
        if key is not None and key in ctx.definitions and key[0] not in KNOWN_NAMES and key[1] > 0:
            params, body = ctx.definitions[key]  # ∂L_i/∂m_ij with m_ij = …: a variable of the note's own
            template = _resolve(body, ctx, bound | set(params))
            return Deriv(
                _resolve(f, ctx, bound),
                DefinedVar(
                    _resolve(wrt, ctx, bound),
                    template,
                    sp.Tuple(*params),
                    sp.Tuple(*(_resolve(a, ctx, bound) for a in wrt.args)),
                ),
            )
        return Deriv(_resolve(f, ctx, bound), _resolve(wrt, ctx, bound))
    if isinstance(e, Tr):
        inner = _resolve(e.args[0], ctx, bound)
        if isinstance(inner, ClassWeights):
            return inner  # a vector's orientation does not change a score
        if isinstance(inner, Sample):
            return Tr(inner)  # x_iᵀ: a score with w_j (read as one below), or a row in M_i x_iᵀ
        return Tr(inner)
    if isinstance(e, NoteNorm):
        return NoteNorm(_resolve(e.args[0], ctx, bound))
    if isinstance(e, sp.Piecewise):
        return _piecewise(e, ctx, bound)
    if isinstance(e, Relational):
        return e.func(_resolve(e.lhs, ctx, bound), _resolve(e.rhs, ctx, bound), evaluate=False)
    if isinstance(e, Entry | EntryRow | Whole | ArgmaxIndicator | DefinedVar):
        return e
    if isinstance(e, Unknown):
        return Unknown(e.args[0], *(_resolve(a, ctx, bound) for a in e.args[1:]))
    if isinstance(e, sp.KroneckerDelta):
        return sp.KroneckerDelta(*(_resolve(a, ctx, bound) for a in e.args))
    if isinstance(e, sp.exp | sp.log | sp.Abs):
        return e.func(_resolve(e.args[0], ctx, bound))
    if isinstance(e, sp.Add | sp.Mul | sp.Pow):
        return e.func(*(_resolve(a, ctx, bound) for a in e.args))
    if isinstance(e, sp.And | sp.Or | sp.Not):
        return e.func(*(_resolve(a, ctx, bound) for a in e.args))
    raise NotUnderstood(f"{e}")


def _symbol(e: sp.Symbol, ctx: Context, bound: frozenset) -> sp.Basic:
    name = e.name
    if e in bound or e == PLACEHOLDER:
        return e
    hyper = hyperparameters().get(name)
    if hyper is not None:
        return hyper
    if name in ctx.entrywise:
        return Whole(sp.Symbol(name, commutative=False))
    if (name, 0) in ctx.by_cases and (name, 0) not in ctx.definitions:
        raise NotUnderstood(f"{name}, which the note defines case by case")
    if (name, 0) in ctx.definitions:
        params, body = ctx.definitions[(name, 0)]
        return _resolve(body, ctx, bound)
    if (name, 1) in ctx.definitions and ctx.definitions[(name, 1)][0] == (sp.Symbol("W", commutative=False),):
        return _resolve(ctx.definitions[(name, 1)][1], ctx, bound)  # R for R(W)
    if name in ("Delta", "Δ"):
        return DELTA
    if name in ("lambda", "λ"):
        return LAMBDA
    if name in ("N", "n", "m"):  # counts (an index of that name is bound by its sum, or is a subscript)
        return COUNT_N
    if name == "C":
        return COUNT_C
    if name == "D":
        return COUNT_D
    if name == "L":
        return TOTAL
    if name == "W":
        return WMAT
    if name == "X":
        return XMAT
    if name == "P":
        return PMAT
    if name == "Y":
        return YMAT
    if is_index(e):
        return e
    if name == "e":
        return sp.E
    raise NotUnderstood(f"the symbol {_display(name)}")


def hyperparameters() -> dict:
    """The registered losses' own hyperparameters by name and symbol name: ε for ``\\epsilon``."""
    from ..losses import get, names

    out = {}
    for loss_name in names():
        for h in get(loss_name).hyperparameters:
            out[h.name] = out[h.symbol.name] = h.symbol
            if h.name == "epsilon":
                out["varepsilon"] = h.symbol
    return out


def _display(name: str) -> str:
    return {"gamma": "γ", "omega": "ω", "alpha": "α", "beta": "β", "sigma": "σ", "theta": "θ"}.get(name, name)


def _named(e: sp.core.function.AppliedUndef, ctx: Context, bound: frozenset) -> sp.Basic:
    name = e.func.__name__
    args = [a if is_index(a) else _resolve(a, ctx, bound) for a in e.args]  # x_{in}: n is an index here
    key = (name, len(args))
    if name in ctx.entrywise and len(args) == 2:
        return Entry(sp.Symbol(name), *args)
    if name in ctx.entrywise and len(args) == 1 and args[0] in SAMPLE_LETTERS:
        return EntryRow(sp.Symbol(name), args[0])  # M_i: sample i's row, a vector
    if key in ctx.entries and key not in ctx.definitions:
        at = tuple(args)
        if at not in ctx.entries[key]:
            raise NotUnderstood(f"{name} at {', '.join(map(str, at))}: the note defines it only at "
                                + "; ".join(", ".join(map(str, k)) for k in ctx.entries[key]))  # fmt: skip
        return _resolve(ctx.entries[key][at], ctx, bound)
    if key in ctx.by_cases and key not in ctx.definitions:
        raise NotUnderstood(f"{name}, which the note defines case by case")
    if key in ctx.definitions:
        params, body = ctx.definitions[key]
        body = body.xreplace(dict(zip(params, (sp.Dummy(p.name) for p in params), strict=True)))
        dummies = [s for s in body.free_symbols if isinstance(s, sp.Dummy)]
        by_name = {d.name: d for d in dummies}
        subs = {by_name[p.name]: a for p, a in zip(params, args, strict=True) if p.name in by_name}
        return _resolve(body, ctx, bound).xreplace(subs)
    if name in SCORE_NAMES:
        if len(args) == 1 and not ctx.sample_implicit and args[0] in SAMPLE_LETTERS:
            return ScoreVector(args[0])  # s_i: the scores of sample i, where the note writes s_ij
        if len(args) == 1:
            return Score(SAMPLE, args[0])
        if len(args) == 2:
            return Score(*args)
    if name == "y" and len(args) == 1:
        return Label(args[0])
    if name in ("x", "X"):
        if len(args) == 1:
            return Sample(args[0])
        if len(args) == 2:  # x_{iu} or x_{ui}: the sample index i (or n) says which; else X's layout
            first_is_sample = args[0] in SAMPLE_LETTERS or (args[1] not in SAMPLE_LETTERS and ctx.layout != "WX")
            return Feature(*args) if first_is_sample else Feature(args[1], args[0])
    if name == "Y" and len(args) == 2:  # Y_{ij} = 1[j = y_i], the one-hot labels
        return sp.KroneckerDelta(args[1], Label(args[0]))
    if name in ("w", "W"):
        if len(args) == 1:
            return ClassWeights(args[0])
        if len(args) == 2:
            return Weight(*args)
    if name == "L" and len(args) == 1:
        return SampleLoss(args[0])
    if name in ("p", "P"):
        if len(args) == 1:
            return Prob(SAMPLE, args[0])
        if len(args) == 2:
            return Prob(*args)
    if name == "delta" and len(args) == 2:
        return sp.KroneckerDelta(*args)  # δ_{jk}
    if name == "ℝ":
        raise NotUnderstood("a set ℝ^{…} inside a formula")
    if (len(name) == 1 and name.islower() and name not in KNOWN_NAMES and args
            and all(is_index(a) or a in SAMPLE_LETTERS for a in args)):  # fmt: skip
        return Unknown(Str(name), *args)  # c_i: a number the note leaves free
    raise NotUnderstood(f"the symbol {_display(name)}" + (f" with {len(args)} indices" if args else ""))


def _indicator(cond: sp.Basic, ctx: Context, bound: frozenset) -> sp.Basic:
    if isinstance(cond, sp.Eq | sp.Ne) and isinstance(cond.lhs, NoteArgmax) != isinstance(cond.rhs, NoteArgmax):
        j, arg = (cond.rhs, cond.lhs) if isinstance(cond.lhs, NoteArgmax) else (cond.lhs, cond.rhs)
        j = _resolve(j, ctx, bound)
        body, var, where = arg.args
        if not _index_like(j):
            raise NotUnderstood("an argmax compared with something that is not an index")
        out = ArgmaxIndicator(j, _resolve(body, ctx, bound | {var}), var, _resolve(where, ctx, bound | {var}))
        return out if isinstance(cond, sp.Eq) else 1 - out
    c = _resolve(cond, ctx, bound)
    if not isinstance(c, Relational):
        raise NotUnderstood("an indicator of something that is not a comparison")
    a, b = c.lhs, c.rhs
    if isinstance(c, sp.Eq | sp.Ne):
        if _index_like(a) and _index_like(b):
            delta = sp.KroneckerDelta(a, b)
            return delta if isinstance(c, sp.Eq) else 1 - delta
        raise NotUnderstood("an indicator of an equality between values")
    if isinstance(c, sp.StrictGreaterThan | sp.GreaterThan):
        return Step(a - b)
    if isinstance(c, sp.StrictLessThan | sp.LessThan):
        return Step(b - a)
    raise NotUnderstood(f"the indicator's condition {c}")


def _index_like(x: sp.Basic) -> bool:
    return is_index(x) or isinstance(x, Label | sp.Integer | sp.Dummy) or x in (ROW_INDEX, COL_INDEX)


def _piecewise(e: sp.Piecewise, ctx: Context, bound: frozenset) -> sp.Basic:
    pieces = [(_resolve(v, ctx, bound), _resolve(c, ctx, bound)) for v, c in e.args]
    if all(c is sp.true or _is_index_condition(c) for _, c in pieces):
        return sp.Piecewise(*pieces, evaluate=False)
    # value·1[m > 0] + other·1[m ≤ 0]: a case split on the sign of one margin
    if len(pieces) == 2:
        (v1, c1), (v2, c2) = pieces
        m1 = _margin(c1)
        if m1 is not None:
            m, strict_positive = m1
            m2 = _margin(c2) if c2 is not sp.true else (m, not strict_positive)
            if m2 is not None and sp.expand(m2[0] - m) == 0 and m2[1] != strict_positive:
                pos, neg = (v1, v2) if strict_positive else (v2, v1)
                return pos * Step(m) + neg * (1 - Step(m))
    raise NotUnderstood("cases whose conditions are neither indices nor the two signs of one margin")


def _margin(c: sp.Basic) -> tuple[sp.Expr, bool] | None:
    """(m, True) for m > 0 (or m ≥ 0), (m, False) for m ≤ 0 (or m < 0), written either way round."""
    if isinstance(c, sp.StrictGreaterThan | sp.GreaterThan):
        return (sp.expand(c.lhs - c.rhs), True)
    if isinstance(c, sp.StrictLessThan | sp.LessThan):
        return (sp.expand(c.lhs - c.rhs), False)
    return None


def _is_index_condition(c: sp.Basic) -> bool:
    if isinstance(c, sp.And | sp.Or):
        return all(_is_index_condition(a) for a in c.args)
    return isinstance(c, sp.Eq | sp.Ne) and _index_like(c.lhs) and _index_like(c.rhs)


def is_index_condition(c: sp.Basic) -> bool:
    """True for conditions on indices only (j ≠ y_i, v = y_i, k = j)."""
    return _is_index_condition(c)


def _scores_from_products(e: sp.Basic) -> sp.Basic:
    """x_i w_j, w_jᵀ x_i, W_j x_i: a sample times a class's weights is the score s_ij."""
    if not isinstance(e, sp.Basic) or e.is_Atom:
        return e
    args = [_scores_from_products(a) for a in e.args]
    if isinstance(e, sp.Mul):
        samples = [a for a in args if isinstance(a, Sample) or isinstance(a, Tr) and isinstance(a.args[0], Sample)]
        weights = [a for a in args if isinstance(a, ClassWeights)]
        if len(samples) == 1 and len(weights) == 1:
            rest = [a for a in args if a is not samples[0] and a is not weights[0]]
            sample = samples[0] if isinstance(samples[0], Sample) else samples[0].args[0]
            return sp.Mul(*rest) * Score(sample.args[0], weights[0].args[0])
        return sp.Mul(*args)
    try:
        return e.func(*args, evaluate=False) if isinstance(e, sp.Piecewise | Relational) else e.func(*args)
    except TypeError:
        return e.func(*args)


def roles(expr: sp.Basic, layout: str) -> dict:
    """Which range each free index runs over in ``expr``: "sample", "class" or "feature" (an index
    bound by a sum has its own role inside that sum, and none outside it)."""
    out: dict = {}

    def note(sym, role):
        if isinstance(sym, Label) and role != "class":
            raise NotUnderstood(f"the label y_{sym.args[0]} used as a {role} index")
        if isinstance(sym, sp.Symbol) and is_index(sym) and out.setdefault(sym, role) != role:
            raise NotUnderstood(f"the index {sym} stands for both a {out[sym]} and a {role}")

    def visit(node):
        if node == ANY_TRUTH:
            out[node] = "truth"
            return
        if isinstance(node, DefinedVar):
            visit(node.args[0])
            return
        if isinstance(node, NoteSum | NoteMaxOver | ArgmaxIndicator):
            *rest, var, cond = node.args
            body = rest[-1]
            inner = roles(sp.Tuple(body, cond), layout)
            for sym, role in inner.items():
                if sym != var:
                    note(sym, role)
            if isinstance(node, ArgmaxIndicator):
                note(node.args[0], "class")
                if var in inner:
                    note(node.args[0], inner[var])
            return
        if isinstance(node, Score | Prob):
            note(node.args[0], "sample")
            note(node.args[1], "class")
        elif isinstance(node, Entry):
            note(node.args[1], "sample")
            note(node.args[2], "class")
        elif isinstance(node, Feature):
            note(node.args[0], "sample")
            note(node.args[1], "feature")
        elif isinstance(node, Sample | SampleLoss | Label | ScoreVector | EntryRow):
            note(node.args[0], "sample")
        elif isinstance(node, ClassWeights):
            note(node.args[0], "class")
        elif type(node).__name__ == "WEntry":
            note(node.args[0], "feature")
            note(node.args[1], "class")
        elif isinstance(node, Weight):
            a, b = node.args
            note(a, "feature" if layout == "XW" else "class")
            note(b, "class" if layout == "XW" else "feature")
        elif isinstance(node, sp.KroneckerDelta | sp.Eq | sp.Ne):
            a, b = node.args
            if isinstance(b, Label):
                note(a, "class")
            if isinstance(a, Label):
                note(b, "class")
        for arg in getattr(node, "args", ()):
            visit(arg)

    visit(expr)
    return out
