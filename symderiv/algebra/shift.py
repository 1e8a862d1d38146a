"""Shifting the scores of a sample by one amount t, and proving that an expression does not notice:
the exponential law exp(a − t) = exp(a)·exp(−t), exp(−t) taken out of sums, and
log(exp(−t)·A) = −t + log A. Used by the proof obligations of stable NumPy (the per-row max shift) and by
the softmax family's shift-invariance derivation (:mod:`symderiv.prove.derivations`)."""

from __future__ import annotations

import sympy as sp

__all__ = ["depends_on_shift", "unshift"]


def unshift(expr: sp.Expr, shifts: list[sp.Symbol]) -> sp.Expr:
    """Eliminate per-sample shifts t by exact identities: exp(a + c·t) = exp(a)·E^(−c) with
    E = exp(−t) > 0, the common power of E factored out of sums (under 1/·, log) and out of Σ over an
    index (E does not depend on it), and
    log(E^k·A) = −k·t + log A. The result is free of t and E when ``expr`` is shift invariant in this
    form (every t inside exp or log as above); otherwise t or E remains and the comparison fails."""
    expr = sp.sympify(expr)
    if not shifts:
        return expr
    E = {t: sp.Symbol(f"E_{t.name}", positive=True) for t in shifts}
    back = {e: t for t, e in E.items()}
    memo: dict[sp.Expr, sp.Expr] = {}

    def split_exp(a: sp.Expr) -> sp.Expr:
        rest, factor = [], sp.Integer(1)
        for term in sp.Add.make_args(a):
            c, t = term.as_coeff_Mul()
            if t in E:
                factor *= E[t] ** (-c)
            else:
                rest.append(term)
        return sp.exp(sp.Add(*rest)) * factor

    def factor_E(add: sp.Expr) -> sp.Expr:
        powers = [t.as_powers_dict() for t in add.args]
        common = {e: min(pw.get(e, 0) for pw in powers) for e in back if all(e in pw for pw in powers)}
        common = {e: k for e, k in common.items() if k != 0}
        if not common:
            return add
        out = sp.Mul(*[e**k for e, k in common.items()])
        return out * sp.Add(*[t / out for t in add.args])

    def split_log(arg: sp.Expr) -> sp.Expr:
        arg = factor_E(arg) if arg.is_Add else arg
        rest, out = [], sp.Integer(0)
        for f in sp.Mul.make_args(arg):
            base, power = f.as_base_exp()
            if base in back:
                out -= power * back[base]
            else:
                rest.append(f)
        return out + sp.log(sp.Mul(*rest))

    def pull_E(function: sp.Expr, limits: tuple) -> sp.Expr:
        function = factor_E(function) if function.is_Add else function
        outside = [f for f in sp.Mul.make_args(function) if f.as_base_exp()[0] in back]
        inside = [f for f in sp.Mul.make_args(function) if f.as_base_exp()[0] not in back]
        return sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), *limits)

    def go(e: sp.Expr) -> sp.Expr:
        hit = memo.get(e)
        if hit is not None:
            return hit
        if not e.args:
            out = e
        else:
            args = [go(a) for a in e.args]
            if isinstance(e, sp.exp):
                out = split_exp(args[0])
            elif isinstance(e, sp.log):
                out = split_log(args[0])
            elif e.is_Pow and args[0].is_Add:
                out = sp.Pow(factor_E(args[0]), args[1])
            elif isinstance(e, sp.Sum):  # Σ_k E^m·f(k) = E^m·Σ_k f(k): E does not depend on the index
                out = pull_E(args[0], e.limits)
            elif all(x is y for x, y in zip(args, e.args, strict=True)):
                out = e
            else:
                out = e.func(*args)
        memo[e] = out
        return out

    return go(expr)


def depends_on_shift(expr: sp.Expr, shifts: list[sp.Symbol]) -> bool:
    """Whether a shift t, or its E = exp(−t), is left in ``expr`` after :func:`unshift`."""
    names = {t.name for t in shifts} | {f"E_{t.name}" for t in shifts}
    return any(s.name in names for s in expr.free_symbols)
