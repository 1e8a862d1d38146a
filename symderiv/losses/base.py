"""What a loss is: the :class:`Loss` record, the :class:`Indexing` protocol its formulas are
written against, and the registry (:func:`register`, :func:`get`). No stage of the pipeline names a
loss: everything loss-specific (formulas, words, hints) is a field of its :class:`Loss`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import numpy as np
import sympy as sp

from ..algebra.functions import argmax_weights, running_max
from ..algebra.normal_form import RewriteRule
from ..errors import InputError


class Indexing(Protocol):
    """How a definition sums over classes and splits cases, so that one definition gives both the
    concrete-size expression (Python loops over 0 … C−1) and the symbolic-size one (index notation:
    ``Sum`` over k with the exclusion k ≠ y_i written as 1 − δ(k, y_i))."""

    def sum_all(self, f: Callable[[Any], sp.Expr]) -> sp.Expr:
        """Σ_k f(k) over all classes."""

    def sum_other(self, f: Callable[[Any], sp.Expr]) -> sp.Expr:
        """Σ_{k ≠ y_i} f(k)."""

    def cases(self, j: Any, other: sp.Expr, label: sp.Expr) -> sp.Expr:
        """``other`` where j ≠ y_i, ``label`` where j = y_i."""

    def max_other(self, f: Callable[[Any], sp.Expr]) -> sp.Expr:
        """max_{k ≠ y_i} f(k). Ties follow the kink convention κ (see :func:`argmax_other`)."""

    def argmax_other(self, f: Callable[[Any], sp.Expr], j: Any) -> sp.Expr:
        """a_j = ∂ max_{k ≠ y_i} f(k) / ∂ f(j): the indicator 1[j = argmax_{k≠y_i} f(k)] (0 at j = y_i).
        At a tie, κ = 0 gives it to the first maximiser (as ``numpy.argmax``), κ = 1 to the last, and
        every κ in [0, 1] gives weights a_j ≥ 0 summing to 1 — a subgradient."""

    @property
    def classes(self) -> sp.Expr:
        """C, the number of classes."""


class ConcreteIndexing:
    """:class:`Indexing` at a concrete number of classes and a concrete label."""

    def __init__(self, C: int, label: int) -> None:
        self.C, self.label = C, label

    def sum_all(self, f):
        return sp.Add(*[f(k) for k in range(self.C)])

    def sum_other(self, f):
        return sp.Add(*[f(k) for k in range(self.C) if k != self.label])

    def cases(self, j, other, label):
        return label if j == self.label else other

    def _others(self) -> list[int]:
        return [k for k in range(self.C) if k != self.label]

    def max_other(self, f):
        return running_max([f(k) for k in self._others()])

    def argmax_other(self, f, j):
        if j == self.label:
            return sp.Integer(0)
        return argmax_weights([f(k) for k in self._others()])[self._others().index(j)]

    @property
    def classes(self):
        return sp.Integer(self.C)


@dataclass(frozen=True)
class Hyperparameter:
    """A hyperparameter of a loss besides the margin Δ (label smoothing's ε), declared once: the
    keyword of ``derive(..., hyper={name: value})``, ``numpy_function``, ``check_gradient`` and of
    ``--hyper name=value`` on every command. The loss's formulas are written with ``symbol``; a
    derivation keeps it symbolic unless a value is given. Where a number is needed (NumPy, checks,
    plots) and none is given, ``default`` is used."""

    name: str
    symbol: sp.Symbol
    default: float
    words: str  # what it is, for people: "label smoothing ε: the weight of the uniform distribution"
    low: float = -np.inf  # the values allowed: low ≤ value ≤ high
    high: float = np.inf
    #: ``words`` in other languages, as (language, words) pairs: (("zh", "标签平滑…"),)
    translations: tuple[tuple[str, str], ...] = ()

    def words_in(self, lang: str = "en") -> str:
        """:attr:`words` in ``lang`` (English where no translation is declared)."""
        return dict(self.translations).get(lang, self.words)


#: L_i(s, y_i, Δ, indexing): s[j] is the score of class j, y_i the label
SampleLoss = Callable[[Any, Any, sp.Expr, Indexing], sp.Expr]
#: closed form of ∂L_i/∂s_j(s, y_i, j, Δ, indexing), as the notes write it (cases j ≠ y_i, j = y_i)
ScoreGradient = Callable[[Any, Any, Any, sp.Expr, Indexing], sp.Expr]
#: closed form of the weight matrix G = dL/dS (N×C), written with matrix operations
MatrixWeights = Callable[[sp.Matrix, Sequence[int], sp.Expr], sp.Matrix]
#: hand-written vectorized NumPy in the plain convention (layout XW, sums over samples, no
#: regularizer): (W, X, y, delta, kink, **hyperparameters) -> (Σ_i L_i, Σ_i ∂L_i/∂W)
Reference = Callable[..., tuple[float, np.ndarray]]


@dataclass(frozen=True)
class Abbreviation:
    """A named quantity a loss's results read better with, at symbolic size (softmax's p_ij):
    ``rule`` rewrites an expression to use it, ``definition`` (p_ij = …) is printed beside it."""

    rule: RewriteRule
    definition: sp.Eq
    words: str  # what it is, e.g. "softmax probabilities"


@dataclass(frozen=True)
class LossWords:
    """A loss's words for people in one language other than English (a report in that language uses
    them): the same fields as :class:`Loss`'s, plain text in the notes' notation. Mathematical words
    stand apart, separated by spaces from the words around them (``正确类别 y_i 的得分``), so that a
    report finds them; punctuation may follow directly (``Δ，``)."""

    lang: str
    title: str = ""
    intro: str = ""
    gradient_words: str = ""


@dataclass(frozen=True)
class Slip:
    """A slip typical of hand-written code for one loss, as ``symderiv check`` names it: what the
    function returns instead of the truth, as factors on the truth's data part (the regularization
    part stays right), and what to tell the student. The check compares the prediction with what
    the function returned on every probe; ``id`` names the diagnosis."""

    id: str
    message: str
    #: the data part of the loss (Σ_i L_i / N), times this
    loss_data_factor: float = 1.0
    #: the data part of dW, times this
    grad_data_factor: float = 1.0
    #: added to ∂L_i/∂s_{y_i} of every sample: G + label_weight·Y (Y the one-hot labels)
    label_weight: float = 0.0

    @property
    def component(self) -> str:
        """Which part the slip changes: "loss", else "grad"."""
        return "loss" if self.loss_data_factor != 1.0 else "grad"


@dataclass(frozen=True)
class ShiftInvariance:
    """A capability of the softmax family: L_i is unchanged when every score of a sample is shifted by the
    same c (stable code takes c = max_k s_k, so no exponential overflows). ``ratio(s, j, ix)`` is the
    quantity that shows where the shift must go — in its numerator and in every term of its
    denominator (the softmax probability e^{s_j} / Σ_k e^{s_k}); the report derives and proves both.
    ``ratio_words`` names it for people."""

    ratio: Callable[[Any, Any, Indexing], sp.Expr]
    ratio_words: str = "the ratio"
    #: ``ratio_words`` in other languages, as (language, words) pairs: (("zh", "softmax 概率"),)
    translations: tuple[tuple[str, str], ...] = ()

    def words_in(self, lang: str = "en") -> str:
        """:attr:`ratio_words` in ``lang`` (English where no translation is declared)."""
        return dict(self.translations).get(lang, self.ratio_words)


@dataclass(frozen=True)
class MarginRoute:
    """A capability of the hinge family: L_i written through its margins, the route
    dL_i/dW = Σ_j (∂L_i/∂m_j)(∂m_j/∂s)(∂s/∂W) of the notes. ``margin(s, y, j, delta)`` is m_j, and
    ``of_margins(m, y, ix)`` is L_i as a function of the margins ``m[j]`` (j ≠ y_i); the report proves the
    route equal to the direct derivative."""

    margin: Callable[[Any, Any, Any, sp.Expr], sp.Expr]
    of_margins: Callable[[Any, Any, Indexing], sp.Expr]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per registered loss
class Loss:
    """One loss, declared once: its per-sample formula, its closed forms and a NumPy reference."""

    name: str
    title: str
    sample: SampleLoss
    score_gradient: ScoreGradient
    weights: MatrixWeights
    reference: Reference
    uses_delta: bool = True
    #: the weight matrix G of the matrix form dW = Xᵀ G / N + ∂R/∂W, as matrix algebra ("M", "P - Y");
    #: every formula a report or terminal shows is printed from the derivation, never held here
    weights_name: str = "G"
    description: str = ""
    #: which layouts / conventions the definition supports (all, for the built-ins)
    kinky: bool = True  # has max(0, ·) kinks, so the indicator convention matters
    #: words for people (all optional; plain text in the notes' notation — y_i, Δ, s_ij — which a
    #: report turns into math; words only: no derived formula is typed here): what the loss means …
    intro: str = ""
    #: … how ∂L_i/∂s_ij comes about, leading into its cases, which the report prints from the proof …
    gradient_words: str = ""
    #: what L_i gains when a loop forgets to skip j = y_i, as a function of Δ (None: the loss has no
    #: such term); the checker recognises that bug by it
    correct_class_term: Callable[[float], float] | None = None
    #: named quantities the symbolic-size results are shown with (softmax: the probabilities p_ij)
    abbreviations: tuple[Abbreviation, ...] = ()
    #: slips typical of hand-written code for this loss, which ``symderiv check`` names
    slips: tuple[Slip, ...] = ()
    #: hyperparameters besides Δ (label smoothing's ε), written in the formulas as their symbols
    hyperparameters: tuple[Hyperparameter, ...] = ()
    #: the words above in other languages (a report in Chinese uses ``LossWords("zh", …)``)
    translations: tuple[LossWords, ...] = ()
    #: the softmax family's shift invariance (None: the loss does not have it)
    shift_invariance: ShiftInvariance | None = None
    #: the hinge family's route through the margins (None: the loss is not written through margins)
    margin_route: MarginRoute | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise InputError(f"a loss name must be a word such as 'hinge', not {self.name!r}")

    def words(self, lang: str = "en") -> LossWords:
        """The loss's words for people in ``lang``: its translation where declared, else the English fields."""
        en = LossWords("en", self.title, self.intro or self.description, self.gradient_words)
        t = next((w for w in self.translations if w.lang == lang), None)
        if t is None:
            return en
        return LossWords(lang, t.title or en.title, t.intro or en.intro, t.gradient_words or en.gradient_words)

    def hyper(self, values: object = None) -> tuple[tuple[str, sp.Expr], ...]:
        """Validated hyperparameter values, as :attr:`Conventions.hyper <symderiv.Conventions.hyper>`
        holds them: ``values`` is a mapping {name: number} or a sequence of "name=value" strings (the
        command line's ``--hyper``); a name left out, or given as "symbolic", stays symbolic."""
        return resolve_hyper(self, values)

    def hyper_subs(self, hyper: Sequence[tuple[str, sp.Expr]]) -> dict[sp.Symbol, sp.Expr]:
        """{symbol: value} for the hyperparameters given a value in ``hyper``."""
        given = dict(hyper)
        return {h.symbol: given[h.name] for h in self.hyperparameters if h.name in given}

    def bind(self, expr: Any, hyper: Sequence[tuple[str, sp.Expr]]) -> Any:
        """``expr`` (an expression or a Matrix from this loss's formulas) at the given hyperparameter values."""
        subs = self.hyper_subs(hyper)
        return expr.xreplace(subs) if subs else expr

    def numbers(self, hyper: Sequence[tuple[str, sp.Expr]] = ()) -> dict[str, float]:
        """Every hyperparameter as a float: the given value, else the declared default (for NumPy)."""
        given = dict(hyper)
        return {h.name: float(given.get(h.name, h.default)) for h in self.hyperparameters}

    def free_hyper(self, hyper: Sequence[tuple[str, sp.Expr]]) -> list[Hyperparameter]:
        """The hyperparameters that stay symbolic under ``hyper``."""
        given = dict(hyper)
        return [h for h in self.hyperparameters if h.name not in given]


def resolve_hyper(loss: Loss, values: object) -> tuple[tuple[str, sp.Expr], ...]:
    """See :meth:`Loss.hyper`."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    if isinstance(values, Mapping):
        pairs = list(values.items())
    else:
        pairs = []
        for item in values:  # type: ignore[attr-defined]
            if isinstance(item, tuple) and len(item) == 2:
                pairs.append(item)
                continue
            name, sep, value = str(item).partition("=")
            if not sep:
                raise InputError(f"a hyperparameter is given as NAME=VALUE (e.g. epsilon=0.1), not {item!r}")
            pairs.append((name.strip(), value.strip()))
    declared = {h.name: h for h in loss.hyperparameters}
    out: dict[str, sp.Expr] = {}
    for name, value in pairs:
        h = declared.get(name)
        if h is None:
            known = f"its hyperparameters are {', '.join(declared)}" if declared else "it has none besides Δ"
            raise InputError(f"the loss {loss.name!r} has no hyperparameter {name!r}: {known}")
        if value is None or (isinstance(value, str) and value.lower() in {"symbolic", name.lower()}):
            continue
        try:
            number = sp.Rational(str(Fraction(str(value))))
        except (ValueError, ZeroDivisionError):
            raise InputError(f"the hyperparameter {name} must be a number, not {value!r}") from None
        if not h.low <= float(number) <= h.high:
            raise InputError(f"the hyperparameter {name} must lie in [{h.low:g}, {h.high:g}], not {value}")
        out[name] = number
    return tuple(sorted(out.items()))


_REGISTRY: dict[str, Loss] = {}


def register(loss: Loss, *, replace: bool = False) -> Loss:
    """Add ``loss`` to the registry, so that ``derive(loss.name, ...)`` finds it."""
    if loss.name in _REGISTRY and not replace:
        raise InputError(f"a loss named {loss.name!r} is registered already (pass replace=True)")
    _REGISTRY[loss.name] = loss
    return loss


def get(name: str | Loss) -> Loss:
    """The registered loss called ``name`` (a :class:`Loss` passes through)."""
    if isinstance(name, Loss):
        return name
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"unknown loss {name!r}: choose one of {', '.join(names())}") from None


def names() -> list[str]:
    """The names of every registered loss, in registration order."""
    return list(_REGISTRY)


def unregister(name: str) -> None:
    """Remove the loss called ``name`` from the registry (no error when there is none)."""
    _REGISTRY.pop(name, None)
