"""The probes: small problems (W, X, y, reg) chosen to expose the bugs real gradient code has.

Every probe is stored in the canonical layout (W is D×C, X is N×D); :meth:`Probe.args` hands it to
the user's function in their layout. All probes share C = 3 classes and at most D = 4 features, so
the truth for every shape comes from three derivations (N = 4 with repeated labels, N = 3 with
distinct labels, N = 1), evaluated with W and X zero-padded to D = 4: padded features add nothing
to the scores, so the padded problem's gradient restricted to the first D rows is exactly the
small problem's gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..errors import InputError

C = 3
D_MAX = 4
LABELS = {4: (0, 2, 1, 2), 3: (2, 0, 1), 1: (1,)}
REG = 0.7  # λ large enough that a wrong regularization term cannot hide in the tolerance
OFFSET = 1000.0  # the common score offset of the large-scores probe


@dataclass(frozen=True, eq=False)
class Probe:
    """One problem to call the user's function on, with what it is meant to expose."""

    name: str
    purpose: str
    W: np.ndarray  # D×C (canonical layout)
    X: np.ndarray  # N×D
    y: np.ndarray
    reg: float
    kink: bool = False  # some margins are exactly 0
    shift: np.ndarray | None = field(default=None)  # large scores: W − shift has the same softmax
    rtol: float = 1e-4
    user_data: bool = False
    #: the user's X (as given, in the user's layout) when it was not yet searched for NaN/inf: large data,
    #: which the truth searches block by block in the one pass over X it makes anyway (see :func:`user_probes`)
    unchecked: np.ndarray | None = field(default=None)
    #: the diagnosis when the function returns inf or nan here
    non_finite: str = "non-finite"
    #: "linear": f(W, X, y, reg) -> (loss, dW); "layer": f(x, y) -> (loss, dx) over the scores x,
    #: stored as W = x (N×C) with X = I (N×N), so that dW is dx (see :func:`layer_probes`)
    signature: str = "linear"

    @property
    def D(self) -> int:
        return self.W.shape[0]

    @property
    def C(self) -> int:
        return self.W.shape[1]

    @property
    def N(self) -> int:
        return self.X.shape[0]

    @property
    def repeated_labels(self) -> bool:
        return len(set(self.y.tolist())) < self.N

    def args(self, layout: str) -> tuple:
        """(W, X, y, reg) as the user's function takes them: fresh copies of a probe, the user's own
        data as it is (the child process hands it over read-only; it may be gigabytes); (x, y) for a layer."""
        if self.signature == "layer":
            return np.array(self.W), np.array(self.y)
        W, X = (self.W, self.X) if layout == "XW" else (self.W.T, self.X.T)
        if self.user_data:
            return W, X, self.y, self.reg
        return np.array(W), np.array(X), np.array(self.y), self.reg

    def sizes(self) -> str:
        """The sizes in words: D=…, C=…, N=…, λ=… (for a layer: N=…, C=…)."""
        if self.signature == "layer":
            return f"N={self.N}, C={self.C}"
        return f"D={self.D}, C={self.C}, N={self.N}, λ={self.reg:g}"

    def describe(self) -> str:
        return f"{self.name} ({self.sizes()}): {self.purpose}"


def standard_probes(loss, delta: float, seed: int = 0) -> list[Probe]:
    """The probe set for ``loss``: random points at D < C, D = C and D > C; λ = 0 and λ > 0;
    repeated and distinct labels; N = 1; margins exactly 0 (losses with kinks, when Δ is a
    dyadic number that floating point holds exactly); a common offset of about 1000 in every
    score (losses without Δ, i.e. softmax)."""
    rng = np.random.default_rng(seed)

    def random(D: int, N: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.normal(size=(D, C)), rng.normal(size=(N, D))

    y4, y3, y1 = (np.array(LABELS[n]) for n in (4, 3, 1))
    probes = [
        Probe("random-no-reg", "random point, λ = 0, D < C, labels repeat", *random(2, 4), y4, 0.0),
        Probe("random", "random point, λ > 0, D < C, labels repeat", *random(2, 4), y4, REG),
        Probe("square", "D = C, labels repeat", *random(3, 4), y4, REG),
        Probe("tall", "D > C, labels repeat", *random(4, 4), y4, REG),
        Probe("distinct-labels", "labels all different, D > C", *random(4, 3), y3, REG),
        Probe("distinct-square", "labels all different, D = C", *random(3, 3), y3, REG),
        Probe("distinct-wide", "labels all different, D < C", *random(2, 3), y3, REG),
        Probe("single-sample", "N = 1, D > C", *random(4, 1), y1, REG),
    ]
    if loss.kinky and loss.uses_delta:
        kink = kink_probe(rng, delta)
        if kink is not None:
            probes.append(kink)
    if not loss.uses_delta:
        probes.append(large_scores_probe(rng))
        probes.append(offset_per_sample_probe(rng))
    return probes


def layer_probes(linear: list[Probe]) -> list[Probe]:
    """The probes for a loss layer ``f(x, y) -> (loss, dx)`` (cs231n assignment 2): the scores
    x = X W of each linear probe, without regularization. Each is stored as W̃ = x with X̃ = I, so
    that S = X̃ W̃ = x and dL/dW̃ = X̃ᵀ G / N = G / N is exactly dx: the truth, the comparison and the
    diagnoses of the linear probes serve unchanged. Margins exactly 0 stay exactly 0 (the kink
    probe's scores are small whole numbers times Δ), and a large offset in every score stays one."""
    out = []
    for p in linear:
        S = p.X @ p.W
        shift = None if p.shift is None else p.X @ p.shift
        purpose = ", ".join(c for c in p.purpose.split(", ") if not c.startswith(("D ", "λ"))) or p.purpose
        out.append(
            Probe(
                p.name,
                purpose,
                S,
                np.eye(p.N),
                p.y,
                0.0,
                kink=p.kink,
                shift=shift,
                rtol=p.rtol,
                non_finite=p.non_finite,
                signature="layer",
            )
        )
    return out


def kink_probe(rng: np.random.Generator, delta: float, tries: int = 200) -> Probe | None:
    """Small whole numbers times Δ, so every score and margin is exact in float64 and float32 and
    several margins are exactly 0 — including one sample with two margins at 0 at once. None when Δ
    is not a dyadic number of a few bits (0.3 cannot be held exactly, so its "kinks" would be
    rounding noise)."""
    unit = abs(delta) if delta else 1.0
    frac = Fraction(unit).limit_denominator(1 << 20)
    if float(frac) != unit or frac.denominator & (frac.denominator - 1) or frac.denominator > 1 << 10:
        return None
    y = np.array(LABELS[4])
    for _ in range(tries):
        X = rng.integers(-2, 3, size=(4, 3)).astype(float)
        W = rng.integers(-1, 2, size=(3, C)).astype(float) * unit
        S = X @ W
        margins = S - S[np.arange(4), y][:, None] + delta
        margins[np.arange(4), y] = np.nan
        at_zero = margins == 0
        if at_zero.sum() >= 3 and at_zero.sum(axis=1).max() >= 2 and (np.abs(X).sum(axis=1) > 0).all():
            return Probe("kink", "margins exactly 0 (any subgradient is accepted)", W, X, y, 0.5, kink=True)
    return None


def large_scores_probe(rng: np.random.Generator) -> Probe:
    """Every score of every sample has a common offset of 1000: feature 0 is 1 for every sample
    and row 0 of W is 1000 in every class. The softmax is unchanged by a common offset, so the
    truth is the derivation at W − shift (row 0 zeroed), where nothing overflows. λ = 0 keeps the
    huge weights out of the comparison. float32 resolves 1000 only to 6e-5, hence rtol 1e-3."""
    W = rng.normal(size=(3, C))
    W[0, :] = OFFSET
    X = rng.normal(size=(4, 3))
    X[:, 0] = 1.0
    shift = np.zeros_like(W)
    shift[0, :] = OFFSET
    return Probe(
        "large-scores",
        f"every score offset by about {OFFSET:g} (exp overflows without the max-shift trick)",
        W,
        X,
        np.array(LABELS[4]),
        0.0,
        shift=shift,
        rtol=1e-3,
        non_finite="overflow",
    )


def offset_per_sample_probe(rng: np.random.Generator) -> Probe:
    """Each sample's scores carry their own large offset (0, +1000, −1000, +500): feature 0 is the
    sample's offset / 1000 and row 0 of W is 1000 in every class. A softmax shifted by one maximum
    over the whole batch, instead of each sample's own, leaves the sample at −1000 about 2000 below
    it: exp underflows to 0 and log 0 = −inf. The truth is the derivation at W − shift, as for the
    large-scores probe (a common offset within a sample leaves its softmax unchanged)."""
    W = rng.normal(size=(3, C))
    W[0, :] = OFFSET
    X = rng.normal(size=(4, 3))
    X[:, 0] = (0.0, 1.0, -1.0, 0.5)
    shift = np.zeros_like(W)
    shift[0, :] = OFFSET
    return Probe(
        "offset-per-sample",
        f"each sample's scores offset by its own amount, up to ±{OFFSET:g} (one max-shift for the whole batch "
        "underflows)",
        W,
        X,
        np.array(LABELS[4]),
        0.0,
        shift=shift,
        rtol=1e-3,
        non_finite="batch-max-shift",
    )


def user_probes(W, X, y, reg, layout: str, *, defer_finite_from: float = float("inf")) -> list[Probe]:
    """The user's own data, in the user's layout, as probes: at their λ and, when λ > 0, at λ = 0
    too (so a wrong regularization term is told apart from a wrong data term). NaN or inf in the data is
    refused here — for an X of at least ``defer_finite_from`` entries by the truth's pass over X instead
    (:meth:`symderiv.check.truth.Truth.compute`), which saves reading gigabytes once more."""

    try:
        W = _floats(W)
        X = _floats(X)
        y_arr = np.asarray(y)
        reg_arr = np.asarray(reg)
        if reg_arr.size != 1 or reg_arr.dtype.kind not in "biuf":
            raise TypeError(f"reg must be one number, not {_describe(reg_arr)}")
        reg = float(reg_arr.reshape(()))
    except (TypeError, ValueError) as exc:
        raise InputError(f"data must be numeric arrays W, X, y and a number reg: {exc}") from None
    if not np.isfinite(reg) or reg < 0:
        raise InputError(f"reg (λ) must be a finite number ≥ 0, not {reg}")
    unchecked = X if X.size >= defer_finite_from else None
    for name, array in (("W", W), ("X", X)):
        if not (name == "X" and unchecked is not None):
            require_finite(name, array)
    if W.ndim != 2 or X.ndim != 2:
        raise InputError(f"W and X must be 2-d arrays, not {W.ndim}-d and {X.ndim}-d")
    if layout == "WX":
        W, X = W.T, X.T
    if X.shape[1] != W.shape[0]:
        want = "X is N×D and W is D×C" if layout == "XW" else "W is C×D and X is D×N"
        raise InputError(
            f"W {W.shape if layout == 'XW' else W.T.shape} and X "
            f"{X.shape if layout == 'XW' else X.T.shape} do not fit layout {layout}: {want}"
        )
    if y_arr.ndim != 1 or y_arr.shape[0] != X.shape[0]:
        raise InputError(f"y must hold {X.shape[0]} labels, one per sample, not {_describe(y_arr)}")
    if y_arr.dtype.kind not in "iu":
        hint = " (convert it with y.astype(int))" if y_arr.dtype.kind in "fb" else ""
        raise InputError(f"y must hold whole-number labels (an integer array), not {y_arr.dtype}{hint}")
    if y_arr.size and (y_arr.min() < 0 or y_arr.max() >= W.shape[1]):
        raise InputError(f"labels must be classes 0 … {W.shape[1] - 1}")
    if W.shape[1] < 2:
        raise InputError("W must have at least 2 classes")
    probes = [Probe("your-data", "your data", W, X, y_arr, reg, user_data=True, unchecked=unchecked)]
    if reg:
        probes.append(
            Probe("your-data-no-reg", "your data at λ = 0", W, X, y_arr, 0.0, user_data=True, unchecked=unchecked)
        )
    return probes


def _floats(value) -> np.ndarray:
    """The array as it is when it holds float32 or float64 (the user's precision, and no copy of
    what may be gigabytes); other numbers as float64."""
    array = np.asarray(value)
    if array.dtype in (np.float32, np.float64):
        return array
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{_describe(array)} is not an array of real numbers")
    return array.astype(np.float64)


def _describe(array: np.ndarray) -> str:
    return f"an array of shape {array.shape} and dtype {array.dtype}"


def require_finite(name: str, array: np.ndarray) -> None:
    """NaN or ±inf in the data is refused with where it is: a gradient there means nothing. One sum
    finds out (NaN and inf propagate); only then is the array searched."""
    with np.errstate(all="ignore"):
        if np.isfinite(np.sum(array, dtype=np.float64)):
            return
    bad = np.argwhere(~np.isfinite(array))
    if not len(bad):
        return  # finite entries whose sum overflows
    where = tuple(int(i) for i in bad[0])
    raise InputError(
        f"{name} holds {len(bad)} non-finite value(s) (NaN or inf), e.g. {name}{list(where)} = {array[where]}: "
        "symderiv checks gradients on finite data only"
    )
