"""The truth for each probe, from the derivation — never from finite differences.

Small probes are evaluated with the NumPy functions generated from ``symderiv.derive`` (proved
derivations, cached per loss, shape, labels, layout and kink convention); the user's own data at
cs231n size with the vectorized function generated from the derivation,
``symderiv.numpy_function``. Every derivation is made with λΣW² (``l2``) and a symbolic Δ: ½λΣW²
at λ is λΣW² at λ/2, so one derivation serves both regularizer conventions, and the truth is split
into a data part (λ = 0) and a regularization part (at λ minus at 0) that the diagnoses use.

**Kinks.** At a margin exactly 0 any subgradient is right. L is a sum over samples, so its
subdifferential is the Minkowski sum of the samples' subdifferentials. Within one sample i, a
score s_iv enters the kinked terms with one sign only (class v ≠ y_i through its own margin, +1;
the correct class through every margin, −1), so the set of values of ∂L_i/∂s_iv over the
subdifferential is the interval between the derivation at kink convention 0 (1[0] = 0) and at
kink convention 1 (1[0] = 1): call them G0 and G1 (N×C). Entry (u, v) of dW sums x_iu·∂L_i/∂s_iv
over i, so its accepted interval is exactly

    dW0_uv + (1/N) Σ_i [min(0, x_iu·ΔG_iv), max(0, x_iu·ΔG_iv)],  ΔG = G1 − G0,

which we compute as matrix products of the positive and negative parts of X and ΔG (only the rows
of the samples with a margin at 0). Taking only
[min(dW0, dW1), max(dW0, dW1)] would be wrong when two samples with kinks push one entry in
opposite directions (x_iu of different signs): a correct implementation choosing its subgradient
per margin could be rejected. G itself comes from the derivation too: L depends on W only through
the scores S = XW, so evaluating the derived gradient at W̃ = S, X̃ = I (N features) gives G/N; at the
user's data size the generated function is evaluated so block by block of rows (each block with its own
identity), and dW = XᵀG/N, so the truth costs two products with X, like the user's own call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from ..errors import InputError, NotSupportedError, ProofError
from . import cache
from .probes import D_MAX, Probe, require_finite

#: derive at concrete size when max(D, N)·C·N of the user's own data is at most this; above, use
#: the vectorized generated function
SMALL = 600
#: rows of S per evaluation at W̃ = S, X̃ = I (an identity of BLOCK² entries, never N×N)
BLOCK = 128
#: rows of X per block when the truth is computed at the user's data size: both products are made on one
#: block while it is in the cache (X is read from memory once), in few BLAS calls (many small calls are slow
#: when the cores are shared: each waits for its threads); X not in float64 is converted block by block,
#: in blocks of at most 1/16 of its rows (see :func:`block_rows`)
ROWS = 4096


def block_rows(X: np.ndarray) -> int:
    """Rows of X per block: :data:`ROWS`, or for X not in float64 (whose blocks are copied to float64) at
    most N/16, so that a block's copy stays a small part of the data's size. Always a multiple of
    :data:`BLOCK`: G is then evaluated on the same blocks of rows as by :meth:`VectorizedSource.per_sample`
    over all of S (the kink convention's second evaluation), so both round alike and differ only at kinks."""
    if X.dtype == np.float64:
        return ROWS
    return max(BLOCK, min(ROWS, X.shape[0] // 16) // BLOCK * BLOCK)


#: the consistent-subgradient test keeps one dW-sized direction per margin at 0, up to this many entries
MAX_GENERATOR_ENTRIES = 2_000_000


# ---------------------------------------------------------------- sources of truth


@lru_cache(maxsize=128)
def derivation(
    loss: str,
    D: int,
    C: int,
    N: int,
    y: tuple[int, ...],
    layout: str,
    kink: int,
    reduction: str = "mean",
    hyper: tuple = (),
):
    """A proved derivation (symbolic Δ, regularizer λΣW², ``reduction`` over samples, the loss's
    hyperparameters at ``hyper``), cached."""
    from ..pipeline import derive

    d = derive(
        loss,
        reduction=reduction,
        D=D,
        C=C,
        N=N,
        y=y,
        layout=layout,
        regularizer="l2",
        delta=None,
        kink=kink,
        hyper=hyper,
        all_labels=False,
        points=0,
    )
    if not d.proved:
        raise ProofError(f"the derivation of {loss} at D={D}, C={C}, N={N} was not proved; no truth to check against")
    return d


@lru_cache(maxsize=128)
def proven_route(
    loss: str, D: int, C: int, N: int, y: tuple[int, ...], layout: str, kink: int, reduction: str = "mean"
) -> cache.Route:
    """The generated NumPy of :func:`derivation` (the score functions and glue behind its
    ``numpy_gradient``/``numpy_loss``): from the disk cache when this symderiv proved it before
    (no SymPy), else derived, proved and stored (:mod:`symderiv.check.cache`)."""
    key = {"loss": loss, "D": D, "C": C, "N": N, "y": list(y), "layout": layout, "kink": kink, "reduction": reduction}
    cached = cache.load_route(key) if cache.cacheable(loss) else None
    if cached is not None:
        return cached
    route = cache.route_from_derivation(derivation(loss, D, C, N, y, layout, kink, reduction))
    if cache.cacheable(loss):
        cache.store_route(key, route)
    return route


@dataclass
class DerivedSource:
    """The derivation at D_d ≥ D features (probes are zero-padded: zero features add nothing)."""

    loss: str
    layout: str
    D: int
    C: int
    N: int
    y: tuple[int, ...]
    reduction: str = "mean"
    hyper: tuple = ()  # the loss's hyperparameters, every one a number

    def evaluate(self, W: np.ndarray, X: np.ndarray, reg: float, delta: float, kink: int = 0):
        # ε and the like stay symbolic in the proof (a fixed non-dyadic value would enter the generated code as a
        # double); their values are the NumPy functions' arguments
        route = proven_route(self.loss, self.D, self.C, self.N, self.y, self.layout, kink, self.reduction)
        values = {name: float(value) for name, value in self.hyper}
        D = W.shape[0]
        Wp = np.zeros((self.D, self.C))
        Wp[:D] = W
        Xp = np.zeros((X.shape[0], self.D))
        Xp[:, :D] = X
        if self.layout == "WX":
            Wp, Xp = Wp.T, Xp.T
        defaults = cache.definition_of(self.loss).numbers(())
        hyper = tuple(float(values.get(name, defaults[name])) for name in route.hyper)
        loss, grad = route(Wp, Xp, reg, delta, hyper=hyper)  # the code Derivation.numpy_gradient/numpy_loss run
        grad = np.asarray(grad, dtype=float)
        grad = grad if self.layout == "XW" else grad.T
        return float(loss), grad[:D]

    def kink_matters(self) -> bool:
        """Whether the derived gradient still holds an indicator 1[m > 0] (the squared hinge's does
        not: max(0, m)·1[m > 0] is max(0, m), continuous, so its kinks need no second derivation)."""
        return proven_route(self.loss, self.D, self.C, self.N, self.y, self.layout, 0, self.reduction).has_step

    def entry_text(self, u: int, v: int, regularizer: str) -> str | None:
        """The symbolic ∂L/∂w_uv = …, as the derivation states it (regularizer as matched), printed in
        the layout's notation (w[v,u] under WX)."""
        import sympy as sp

        from ..render.notation import text

        d = _stated(self.loss, self.D, self.C, self.N, self.y, self.layout, regularizer, self.reduction, self.hyper)
        lhs = sp.Derivative(sp.Symbol("L"), d.concrete().weight(u, v))
        return text(sp.Eq(lhs, d.entry(u, v), evaluate=False), d.conventions)


@lru_cache(maxsize=64)
def _stated(
    loss: str,
    D: int,
    C: int,
    N: int,
    y: tuple[int, ...],
    layout: str,
    regularizer: str,
    reduction: str,
    hyper: tuple = (),
):
    """The derivation with the regularizer as matched (the loss's hyperparameters at ``hyper``), for
    displaying entries (cached: a batch shows the same probes' entries for many submissions)."""
    from ..pipeline import derive

    return derive(
        loss,
        D=D,
        C=C,
        N=N,
        y=y,
        layout=layout,
        regularizer=regularizer,
        reduction=reduction,
        delta=None,
        kink=0,
        hyper=hyper,
        all_labels=False,
        points=0,
    )


@dataclass
class VectorizedSource:
    """``symderiv.numpy_function``: the vectorized NumPy generated from the derivation."""

    loss: str
    layout: str
    y: np.ndarray
    reduction: str = "mean"
    hyper: tuple = ()

    def evaluate(self, W: np.ndarray, X: np.ndarray, reg: float, delta: float, kink: int = 0):
        f = _vectorized(self.loss, self.layout, float(delta), kink, self.reduction, self.hyper)
        if self.layout == "WX":
            loss, grad = f(W.T, X.T, self.y, reg)
            return float(loss), np.asarray(grad, dtype=float).T
        loss, grad = f(W, X, self.y, reg)
        return float(loss), np.asarray(grad, dtype=float)

    def kink_matters(self) -> bool:
        return True  # two evaluations of the vectorized function cost less than finding out

    def per_sample(self, S: np.ndarray, y: np.ndarray, delta: float, kink: int = 0) -> tuple[float, np.ndarray]:
        """(Σ_i L_i, G) at the scores S (N×C), G_iv = ∂L_i/∂s_iv: the generated function evaluated at
        W̃ = S, X̃ = I block by block (L_i depends on row i of S only, so a block of rows with its own
        identity gives its rows of G). Memory O(rows·C + BLOCK²), never N×N."""
        f = _vectorized(self.loss, "XW", float(delta), kink, self.reduction, self.hyper)
        N = S.shape[0]
        G = np.empty(S.shape)
        total = 0.0
        for start in range(0, N, BLOCK):
            rows = slice(start, min(start + BLOCK, N))
            k = rows.stop - rows.start
            loss, grad = f(S[rows], np.eye(k), y[rows], 0.0)
            scale = k if self.reduction == "mean" else 1
            G[rows] = np.asarray(grad, dtype=float) * scale
            total += float(loss) * scale
        return total, G

    def regularization(self, W: np.ndarray, reg: float, delta: float) -> tuple[float, np.ndarray]:
        """(loss, dW) of the regularizer at λ = ``reg``: the generated function at λ and at 0 on one
        sample with x = 0, whose data part is the same both times."""
        f = _vectorized(self.loss, "XW", float(delta), 0, self.reduction, self.hyper)
        X0, y0 = np.zeros((1, W.shape[0])), np.zeros(1, dtype=int)
        loss_r, grad_r = f(W, X0, y0, reg)
        loss_0, grad_0 = f(W, X0, y0, 0.0)
        return float(loss_r) - float(loss_0), np.asarray(grad_r, dtype=float) - np.asarray(grad_0, dtype=float)

    def entry_text(self, u: int, v: int, regularizer: str) -> str | None:
        return None


@lru_cache(maxsize=32)
def _vectorized(loss: str, layout: str, delta: float, kink: int, reduction: str, hyper: tuple = ()):
    """``numpy_function`` with these conventions (regularizer λΣW², no bias): from the disk cache when
    this symderiv proved it before (no SymPy), else generated, proved at a small size with the same
    conventions (claim ``artifact.vectorized``) and stored."""
    key = {
        "loss": loss, "layout": layout, "delta": float(delta), "kink": kink, "reduction": reduction,
        "hyper": [[str(k), float(v)] for k, v in hyper],
    }  # fmt: skip
    use_cache = cache.cacheable(loss)
    cached = cache.load_vectorized(key) if use_cache else None
    if cached is not None:
        return cached
    from ..codegen.vectorize import numpy_function

    options: dict[str, Any] = dict(
        layout=layout, regularizer="l2", reduction=reduction, bias=False, delta=delta, hyper=hyper
    )
    try:
        f = numpy_function(loss, **options, kink=kink)
    except TypeError:
        raise NotSupportedError("the vectorized function has no kink convention") from None
    source: str = getattr(f, "__source__", "")
    if use_cache and source:
        claims = _vectorized_proof(loss, options, kink, source)
        if claims:
            cache.store_vectorized(key, source, claims)
    return f


def _vectorized_proof(loss: str, options: dict, kink: int, source: str) -> tuple[str, ...]:
    """The claims proving the vectorized function with ``source``: a small derivation with the same
    conventions whose ``artifact.vectorized`` holds for exactly that code; () when there is none."""
    from ..pipeline import derive

    try:
        d = derive(loss, D=2, C=3, N=2, y=[1, 0], kink=kink, points=0, all_labels=False, **options)
    except Exception:  # noqa: BLE001 — no proof, no cache entry (the check itself goes on)
        return ()
    proven = [c.id for c in d.claims if c.id == cache.VECTORIZED_CLAIM and c.holds]
    from ..codegen.vectorize import numpy_function

    try:
        proved_code = numpy_function(d.loss, **d.conventions.as_options())  # type: ignore[arg-type]
        same = getattr(proved_code, "__source__", None) == source
    except Exception:  # noqa: BLE001
        return ()
    return tuple(proven) if d.proved and proven and same else ()


# ---------------------------------------------------------------- the truth at one probe


@dataclass
class Truth:
    """The derived truth at one probe, in the canonical layout, split for the diagnoses:
    L = loss_data + c·reg_loss and dW = grad_data + c·reg_grad for the regularizer coefficient c
    (1 for λΣW², ½ for ½λΣW²); dW may lie anywhere in [grad + lower, grad + upper] (kinks)."""

    probe: Probe
    source: DerivedSource | VectorizedSource
    delta: float
    kinky: bool
    loss_data: float = 0.0
    grad_data: np.ndarray = field(default_factory=lambda: np.zeros(0))
    reg_loss: float = 0.0
    reg_grad: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    generators: list[np.ndarray] = field(default_factory=list)  # one per margin exactly at 0
    notes: list[str] = field(default_factory=list)

    def expected(self, c: float) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """(loss, dW, lowest dW, highest dW) for regularizer coefficient ``c``."""
        grad = self.grad_data + c * self.reg_grad
        return self.loss_data + c * self.reg_loss, grad, grad + self.lower, grad + self.upper

    def _eval(self, W: np.ndarray, reg: float, delta: float | None = None, kink: int = 0):
        W = W if self.probe.shift is None else W - self.probe.shift
        return self.source.evaluate(W, self.probe.X, reg, self.delta if delta is None else delta, kink)

    def compute(self) -> Truth:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._compute()
        p = self.probe
        finite = np.isfinite([self.loss_data, self.reg_loss]).all()
        if p.user_data and not (finite and np.isfinite(self.grad_data).all() and np.isfinite(self.reg_grad).all()):
            raise InputError(
                "the loss or its gradient at your data is not finite even in float64 (scores XW or λΣW² overflow): "
                "scale the data down"
            )
        return self

    def _compute(self) -> None:
        p = self.probe
        if isinstance(self.source, VectorizedSource):
            self._compute_from_scores()
        else:
            self.loss_data, self.grad_data = self._eval(p.W, 0.0)
            if p.reg:
                loss, grad = self._eval(p.W, p.reg)
                self.reg_loss, self.reg_grad = loss - self.loss_data, grad - self.grad_data
            else:
                self.reg_loss, self.reg_grad = 0.0, np.zeros_like(self.grad_data)
        self.lower = np.zeros_like(self.grad_data)
        self.upper = np.zeros_like(self.grad_data)
        if self.kinky and (p.kink or p.user_data):
            self._widen_at_kinks()

    def without_regularization(self, probe: Probe) -> Truth:
        """The truth at ``probe``, the same data at λ = 0: this truth's data part, no regularization."""
        assert probe.W is self.probe.W and probe.X is self.probe.X and not probe.reg
        other = Truth(probe, self.source, self.delta, self.kinky)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k.startswith("_")})
        other.loss_data, other.grad_data = self.loss_data, self.grad_data
        other.reg_loss, other.reg_grad = 0.0, np.zeros_like(self.grad_data)
        other.lower, other.upper = self.lower, self.upper
        other.generators, other.notes = self.generators, list(self.notes)
        return other

    def _compute_from_scores(self) -> None:
        """The user's data at full size: S = XW once, G = ∂L_i/∂s_i per sample from the generated
        function (see :meth:`VectorizedSource.per_sample`), dW = XᵀG/N (the chain rule the derivation
        proves), the regularizer from the generated function on one sample. Two products with X — as
        many as the user's own vectorized call — and no copy of X."""
        p = self.probe
        source = self.source
        assert isinstance(source, VectorizedSource)
        W = (p.W if p.shift is None else p.W - p.shift).astype(float)
        N, C = p.X.shape[0], W.shape[1]
        S, G, grad, total = np.empty((N, C)), np.empty((N, C)), np.zeros(W.shape), 0.0
        step, unchecked = block_rows(p.X), p.unchecked is not None
        for start in range(0, N, step):  # both products on one block of X while it is in cache
            rows = slice(start, min(start + step, N))
            X = np.asarray(p.X[rows], dtype=np.float64)
            if unchecked and not np.isfinite(np.sum(X)):  # NaN and inf propagate into the sum
                assert p.unchecked is not None
                require_finite("X", p.unchecked)  # raises, saying where (unless finite entries merely overflow the sum)
                unchecked = False
            S[rows] = X @ W
            part, G[rows] = source.per_sample(S[rows], p.y[rows], self.delta, 0)
            total += part
            grad += X.T @ G[rows]
            del X  # before the next block's copy is made
        self.__dict__["_G0"] = G
        self.__dict__["_S"] = S
        self.loss_data = total / self.samples_scale
        self.grad_data = grad / self.samples_scale
        if p.reg:
            self.reg_loss, self.reg_grad = source.regularization(W, p.reg, self.delta)
        else:
            self.reg_loss, self.reg_grad = 0.0, np.zeros_like(self.grad_data)

    def _widen_at_kinks(self) -> None:
        if not self.source.kink_matters():
            return
        try:
            dG = self.score_gradient(kink=1) - self.score_gradient(kink=0)
        except NotSupportedError as exc:
            self.notes.append(f"margins exactly at 0 were not widened to the subdifferential: {exc}")
            return
        if not dG.any():
            return
        N = self.samples_scale
        rows = np.flatnonzero(dG.any(axis=1))  # the samples with a margin at 0: usually few
        X, y, dG = np.asarray(self.probe.X[rows], dtype=float), self.probe.y[rows], dG[rows]
        Xp, Xn = np.maximum(X, 0), np.minimum(X, 0)
        Gp, Gn = np.maximum(dG, 0), np.minimum(dG, 0)
        self.lower = (Xp.T @ Gn + Xn.T @ Gp) / N
        self.upper = (Xp.T @ Gp + Xn.T @ Gn) / N
        # the margins at 0, each a direction x_iᵀ(e_v − e_{y_i})·ΔG_iv / N of the subdifferential —
        # valid when every kink is a margin s_v − s_{y_i} + Δ (ΔG's rows then sum to 0)
        kinks = int(np.count_nonzero(dG)) - int(np.count_nonzero(dG[np.arange(len(rows)), y]))
        if kinks * self.grad_data.size > MAX_GENERATOR_ENTRIES:
            self.notes.append(
                f"{kinks} margins are exactly 0: too many to test for one consistent subgradient; each entry "
                "of dW was checked against its own interval"
            )
        elif np.allclose(dG.sum(axis=1), 0, atol=1e-9):
            for i, v in zip(*np.nonzero(dG), strict=True):
                if v != y[i]:
                    A = np.zeros_like(self.grad_data)
                    A[:, v] += X[i] * dG[i, v] / N
                    A[:, y[i]] -= X[i] * dG[i, v] / N
                    self.generators.append(A)

    def in_subdifferential(self, grad: np.ndarray, c: float, tol: float) -> bool:
        """Whether ``grad`` is dW0 + Σ_k t_k A_k with every t_k in [0, 1] (within ``tol`` per entry):
        one subgradient for all entries at once, which the per-entry intervals alone do not ensure
        (``1[m > 0]`` for class v but ``1[m ≥ 0]`` for the correct class passes every interval)."""
        if not self.generators:
            return True
        residual = (grad - self.expected(c)[1]).ravel().copy()  # r − A t, with t = 0
        A = [g.ravel() for g in self.generators]
        norms = [float(a @ a) for a in A]
        t = np.zeros(len(A))
        for _ in range(300):  # coordinate descent on the box-constrained least squares
            moved = 0.0
            for k, a in enumerate(A):
                if norms[k]:
                    new = min(1.0, max(0.0, t[k] + float(a @ residual) / norms[k]))
                    if new != t[k]:
                        residual -= (new - t[k]) * a
                        moved = max(moved, abs(new - t[k]))
                        t[k] = new
            if moved < 1e-13:
                break
        return bool(np.abs(residual).max() <= tol)

    def score_gradient(self, kink: int = 0) -> np.ndarray:
        """G = dL/dS · N (N×C, row i is ∂L_i/∂s_i), from the derived gradient at W̃ = S, X̃ = I."""
        if kink == 0 and "_G0" in self.__dict__:
            return self.__dict__["_G0"]
        p = self.probe
        source = self.source
        if isinstance(source, VectorizedSource):
            S = self.__dict__.get("_S")
            if S is None:
                S = _product(p.X, (p.W if p.shift is None else p.W - p.shift).astype(float))
            return source.per_sample(S, p.y, self.delta, kink)[1]
        W = p.W if p.shift is None else p.W - p.shift
        S = p.X @ W
        identity = np.eye(p.N)
        if isinstance(source, DerivedSource) and source.D < p.N:  # pragma: no cover — shapes are chosen so
            raise NotSupportedError("the derivation has fewer features than samples")
        _, grad = source.evaluate(S, identity, 0.0, self.delta, kink)
        G = grad[: p.N] * self.samples_scale
        if kink == 0:
            self.__dict__["_G0"] = G
        return G

    @property
    def samples_scale(self) -> int:
        """N for the mean over samples (dW = Xᵀ G / N), 1 for the sum."""
        return self.probe.N if self.source.reduction == "mean" else 1

    @cached_property
    def correct_class(self) -> np.ndarray:
        """Y, the one-hot N×C matrix of the labels."""
        Y = np.zeros((self.probe.N, self.probe.C))
        Y[np.arange(self.probe.N), self.probe.y] = 1
        return Y

    def at_delta(self, delta: float) -> tuple[float, np.ndarray]:
        """(loss_data, grad_data) for another margin Δ."""
        return self._eval(self.probe.W, 0.0, delta=delta)


def _product(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """X @ W in float64 without a float64 copy of all of X (X may be float32 and gigabytes)."""
    if X.dtype == np.float64:
        return X @ W
    out = np.empty((X.shape[0], W.shape[1]))
    for start in range(0, X.shape[0], BLOCK * 64):
        rows = slice(start, start + BLOCK * 64)
        out[rows] = X[rows].astype(np.float64) @ W
    return out


def _transposed_product(X: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Xᵀ @ G in float64, block by block when X is not float64."""
    if X.dtype == np.float64:
        return X.T @ G
    out = np.zeros((X.shape[1], G.shape[1]))
    for start in range(0, X.shape[0], BLOCK * 64):
        rows = slice(start, start + BLOCK * 64)
        out += X[rows].astype(np.float64).T @ G[rows]
    return out


def compute_truths(
    loss, probes: list[Probe], layout: str, delta: float, reduction: str = "mean", hyper: tuple = ()
) -> tuple[list[Truth], float]:
    """The truth at every probe, and the seconds it took (``hyper``: the loss's hyperparameters, as numbers)."""
    start = time.perf_counter()
    out = []
    for p in probes:
        out.append(Truth(p, source_for(loss, p, layout, reduction, hyper), float(delta), loss.kinky).compute())
    return out, time.perf_counter() - start


def source_for(
    loss, p: Probe, layout: str, reduction: str = "mean", hyper: tuple = ()
) -> DerivedSource | VectorizedSource:
    labels = tuple(int(v) for v in p.y)
    if not p.user_data:
        return DerivedSource(loss.name, layout, max(D_MAX, p.N), p.C, p.N, labels, reduction, hyper)
    if max(p.D, p.N) * p.C * p.N <= SMALL:  # the derivation has max(D, N) features (see score_gradient)
        return DerivedSource(loss.name, layout, max(p.D, p.N), p.C, p.N, labels, reduction, hyper)
    return VectorizedSource(loss.name, layout, p.y, reduction, hyper)
