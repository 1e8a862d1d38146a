"""A user-registered loss: the Crammer–Singer multiclass hinge, from outside the package.

    L_i = max(0, Δ + max_{j≠y_i} s_j − s_{y_i})        (Crammer and Singer use Δ = 1)

It is declared exactly as the built-ins in ``symderiv/losses/builtin.py`` are: a per-sample loss,
the closed form of ∂L_i/∂s_j by cases, the weight matrix G of dW = Xᵀ G / N + ∂R/∂W, and a
hand-written vectorized NumPy reference, all written against the ``Indexing`` protocol.

The inner max. ``sympy.Max`` would be the obvious spelling, and symderiv differentiates it, but
its derivative is SymPy's ``Heaviside(s_j − Max(others))``: at a tie *every* tied class gets the
indicator's kink value κ (none for κ = 0, all for κ = 1, ½ each for κ = ½), so the weights do not
sum to 1 and the result is not a subgradient (tests/test_example_crammer_singer.py shows it). So the
inner max is written with symderiv's own max(0, ·), as a running maximum over the other classes
in increasing class order:

    M_1 = s_{k_1},   M_t = M_{t−1} + max(0, s_{k_t} − M_{t−1})   (= max(M_{t−1}, s_{k_t}))

Its derivative is made of indicators 1[s_{k_t} − M_{t−1} > 0] whose value at 0 is the stated kink
convention κ, so ties are explicit: with κ = 0 (the default) a later class must be strictly larger
to take over, so the gradient goes to the *first* maximiser (as ``numpy.argmax``); with κ = 1 to the
last; with κ = ½ it is shared. For every κ ∈ [0, 1] the argmax weights a_j sum to 1, so the result
is a subgradient. The closed form of the notes,

    ∂L_i/∂s_j = 1[m_i > 0]·a_j (j ≠ y_i),   ∂L_i/∂s_{y_i} = −1[m_i > 0],   m_i = Δ + max_{j≠y_i} s_j − s_{y_i},

writes a_j with the same indicators: a_{k_t} = 1[s_{k_t} − M_{t−1} > 0] · Π_{r>t} (1 − 1[s_{k_r} − M_{r−1} > 0]).

Run it:  python examples/crammer_singer.py
"""

from __future__ import annotations

import sys

import numpy as np
import sympy as sp

import symderiv
from symderiv import Loss, NotSupportedError, Pos, Step


def other_classes(ix) -> list[int]:
    """The classes k ≠ y_i, in increasing order, asked of the Indexing protocol itself."""
    classes: list = []
    ix.sum_other(lambda k: classes.append(k) or sp.Integer(0))
    if not all(isinstance(k, int) for k in classes):
        raise NotSupportedError("the Crammer–Singer loss needs concrete sizes: Indexing has no max over classes")
    return classes


def running_max(values: list[sp.Expr]) -> list[sp.Expr]:
    """[M_1, …, M_m] with M_t = max(values[:t]), built from max(0, ·) so that ties follow the kink."""
    maxima = [values[0]]
    for v in values[1:]:
        maxima.append(maxima[-1] + Pos(v - maxima[-1]))
    return maxima


def argmax_weights(values: list[sp.Expr]) -> list[sp.Expr]:
    """a_t = ∂ max(values) / ∂ values[t], written with the indicators of :func:`running_max`."""
    maxima = running_max(values)
    takes_over = [sp.Integer(1)] + [Step(values[t] - maxima[t - 1]) for t in range(1, len(values))]
    weights = []
    for t in range(len(values)):
        w = takes_over[t]
        for r in range(t + 1, len(values)):
            w *= 1 - takes_over[r]
        weights.append(w)
    return weights


def cs_margin(s, y, delta, ix) -> sp.Expr:
    return delta + running_max([s[k] for k in other_classes(ix)])[-1] - s[y]


def cs_sample(s, y, delta, ix):
    return Pos(cs_margin(s, y, delta, ix))


def cs_score_gradient(s, y, j, delta, ix):
    others = other_classes(ix)
    active = Step(cs_margin(s, y, delta, ix))
    if j == y:
        return ix.cases(j, other=sp.Integer(0), label=-active)
    a = argmax_weights([s[k] for k in others])
    return ix.cases(j, other=active * a[others.index(j)], label=-active)


class _Row:
    """Indexing for one row of S: the classes other than its label (enough for cs_* above)."""

    def __init__(self, C: int, label: int) -> None:
        self.C, self.label = C, label

    def sum_other(self, f):
        return sp.Add(*[f(k) for k in range(self.C) if k != self.label])

    def sum_all(self, f):
        return sp.Add(*[f(k) for k in range(self.C)])

    def cases(self, j, other, label):
        return label if j == self.label else other


def cs_weights(S: sp.Matrix, y, delta) -> sp.Matrix:
    """G (N×C): row i is 1[m_i > 0]·(a − e_{y_i}), a the argmax weights over the other classes."""
    N, C = S.shape
    G = sp.zeros(N, C)
    for i in range(N):
        others = [k for k in range(C) if k != y[i]]
        m = delta + running_max([S[i, k] for k in others])[-1] - S[i, y[i]]
        for k, a in zip(others, argmax_weights([S[i, k] for k in others]), strict=True):
            G[i, k] = Step(m) * a
        G[i, y[i]] = -Step(m)
    return G


def cs_reference(W, X, y, delta, kink):
    """Plain convention (X @ W, summed over samples, no regularizer), vectorized over samples; the
    same tie convention: a later class takes over the running max with weight 1[t > 0] (κ at t = 0)."""
    N, C = X.shape[0], W.shape[1]
    rows = np.arange(N)
    S = X @ W
    M = np.full(N, -np.inf)
    a = np.zeros((N, C))
    for k in range(C):
        other = y != k
        first = other & np.isneginf(M)
        t = S[:, k] - M
        step = np.where(first, 1.0, (t > 0) + kink * (t == 0)) * other
        a *= (1 - step)[:, None]
        a[:, k] = step
        M = np.where(other, np.maximum(M, S[:, k]), M)
    m = delta + M - S[rows, y]
    active = (m > 0) + kink * (m == 0)
    G = active[:, None] * a
    G[rows, y] -= active
    return float(np.maximum(0, m).sum()), X.T @ G


CRAMMER_SINGER = Loss(
    name="crammer-singer",
    title="Crammer–Singer multiclass hinge loss",
    description="Crammer–Singer: L_i = max(0, Δ + max_{j≠y_i} s_j − s_{y_i})",
    sample=cs_sample,
    score_gradient=cs_score_gradient,
    weights=cs_weights,
    reference=cs_reference,
    weights_name="G",
)


def register() -> Loss:
    """Register the loss (once per process) and return it."""
    if "crammer-singer" not in symderiv.losses.names():
        symderiv.register(CRAMMER_SINGER)
    return symderiv.losses.get("crammer-singer")


def main() -> int:
    register()
    d = symderiv.derive("crammer-singer", D=3, C=4, N=3, y=[0, 2, 2], delta=1)
    print(d)

    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(3, 3))
    loss, grad = cs_reference(W, X, np.array(d.y), 1.0, 0.0)
    reg = 0.1
    want = grad / 3 + 2 * reg * W
    ok = np.allclose(d.numpy_gradient(W, X, reg), want, rtol=1e-10, atol=1e-12)
    ok &= np.isclose(d.numpy_loss(W, X, reg), loss / 3 + reg * np.sum(W * W), rtol=1e-10)
    print(f"\nNumPy gradient vs the hand-written reference at a random point: {'agree' if ok else 'DIFFER'}")

    # a tie: sample 0 has scores (0, 1, 1, 0) — classes 1 and 2 tie for the max over j ≠ y_0 = 0
    W_tie = np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    X_tie = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    tie = d.numpy_gradient(W_tie, X_tie, 0.0)[0] * 3  # row 0 of dW is ∂L_0/∂s (x_0 = e_0), undo the 1/N
    print(f"at a tie between classes 1 and 2 (κ = 0, first maximiser): ∂L_0/∂s = {tie.tolist()}")
    ok &= tie.tolist() == [-1.0, 1.0, 0.0, 0.0]

    print("PROVED and checked" if d.proved and ok else "FAILED")
    return 0 if d.proved and ok else 1


if __name__ == "__main__":
    sys.exit(main())
