"""The pipeline front: ``derive`` reads as its steps — build → differentiate → simplify (the
:mod:`symderiv.derive` stage) → prove (:mod:`symderiv.prove`) — attaches the code generator the
result's NumPy functions use, then proves what the result hands out (:mod:`symderiv.obligations`)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from .codegen.numpy_route import score_route
from .conventions import Conventions
from .derive.build import check_labels, check_sizes
from .derive.concrete import derive_pattern
from .derive.generic import derive_generic
from .derive.result import Derivation
from .errors import InputError, TooLargeError
from .losses import Loss, get
from .obligations import add_artifact_claims
from .prove.claims import prove, prove_score_cases, summarise_patterns
from .prove.verify import FormulaVerdict, check_formula

#: when C**N is at most this, derive(all_labels="auto") proves every label pattern
ALL_LABELS_LIMIT = 64
#: derive(all_labels=True) refuses more label patterns than this
MAX_LABEL_PATTERNS = 4096


def derive(
    loss: str | Loss,
    *,
    D: int | None = None,
    C: int | None = None,
    N: int | None = None,
    y: Sequence[int] | None = None,
    layout: str = "XW",
    regularizer: str = "l2",
    reduction: str = "mean",
    bias: bool = False,
    delta: object = None,
    kink: object = 0,
    hyper: object = None,
    all_labels: bool | str = "auto",
    points: int = 2,
    seed: int = 0,
) -> Derivation:
    """Derive dL/dW for ``loss`` at size D×C with N samples and labels ``y``, and prove it.

    ``delta`` is Δ (symbolic unless a number is given), ``kink`` the value of the indicator
    1[m > 0] at m = 0, ``hyper`` the values of the loss's own hyperparameters (``{"epsilon": 0.1}``;
    symbolic unless given). With ``all_labels`` (default: when C**N ≤ 64) the proof is repeated for
    every label pattern. Without sizes, the derivation is at symbolic size.

    >>> d = derive("hinge", D=2, C=3, N=2, y=[0, 2])
    >>> d.proved
    True
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
    if D is None and C is None and N is None:
        if y is not None:
            raise InputError("labels y need the sizes D, C and N: the symbolic-size derivation has no labels")
        return attach(derive_generic(definition, conventions))
    if D is None or C is None or N is None:
        raise InputError("give all three sizes D, C and N (or none, for the symbolic-size derivation)")
    D, C, N = check_sizes(D, C, N)
    labels = check_labels(y, C, N)
    if all_labels == "auto":
        all_labels = C**N <= ALL_LABELS_LIMIT
    elif not isinstance(all_labels, bool):
        raise InputError(f"all_labels must be True, False or 'auto', not {all_labels!r}")
    elif all_labels and C**N > MAX_LABEL_PATTERNS:
        raise TooLargeError(
            f"all_labels=True would prove C^N = {C}^{N} = {C**N} label patterns (the limit is {MAX_LABEL_PATTERNS}); "
            "the per-label proof already covers every pattern of any N — use all_labels='auto'"
        )
    if not isinstance(points, int) or points < 0:
        raise InputError(f"points must be a whole number ≥ 0, not {points!r}")

    problem, G, direct = derive_pattern(definition, conventions, D, C, N, labels)
    claims = [prove_score_cases(definition, conventions, C, range(C) if all_labels else sorted(set(labels)))]
    state: dict = {}
    claims += prove(problem, G, direct, points=points, seed=seed, state=state)
    patterns = 1
    if all_labels:
        for pattern in itertools.product(range(C), repeat=N):
            if pattern != labels:
                claims += prove(*derive_pattern(definition, conventions, D, C, N, pattern), points=0, seed=0)
                patterns += 1
        claims = summarise_patterns(claims, patterns)
    derivation = attach(
        Derivation(
            loss=definition,
            conventions=conventions,
            problem=problem,
            claims=claims,
            score_gradient=G,
            gradient_direct=direct,
            label_patterns=patterns,
        )
    )
    add_artifact_claims(derivation, state)  # what users receive: gradient, matrix form, NumPy, vectorized
    return derivation


def attach(d: Derivation) -> Derivation:
    """Give a derivation the stages above it that its methods use: this ``derive`` (for
    ``.symbolic()`` and ``.at()``) and the code generator (for ``.numpy_gradient``/``.numpy_loss``: the
    score functions printed from G and L_i, and the NumPy glue, :mod:`symderiv.codegen.numpy_route`)."""
    d.derive_fn = derive
    d.compile_numpy = score_route
    return d


def verify_formula(
    derivation: Derivation | str,
    formula: object,
    *,
    entry: tuple[int, int] | None = None,
    sample: int | None = None,
    points: int = 20,
    seed: int = 0,
    **derive_options: object,
) -> FormulaVerdict:
    """Prove a hand-derived formula equal to the derivation's, or refute it with a counterexample.

    ``formula`` is, in the derivation's symbols (``d.W``, ``d.X``, ``d.S``, ``d.delta``,
    ``d.lam``, and :class:`~symderiv.Step` for 1[m > 0], or SymPy's Max/Heaviside):

    * a Matrix of W's shape — all of dL/dW;
    * a callable ``f(u, v)`` returning ∂/∂w_uv (feature u, class v);
    * one expression, with ``entry=(u, v)``.

    With ``sample=i`` the formula is for ∂L_i/∂w_uv (one sample's loss, no averaging, no
    regularizer), as the notes write it. ``derivation`` may be a loss name, derived with
    ``derive_options``.

    >>> import symderiv
    >>> d = symderiv.derive("hinge", D=2, C=3, N=1, y=[0])
    >>> s, x = d.S, d.X
    >>> symderiv.verify_formula(d, symderiv.Step(s[0, 1] - s[0, 0] + d.delta) * x[0, 1],
    ...                         entry=(1, 1), sample=0).status
    'proved'
    """
    if isinstance(derivation, str):
        derivation = derive(derivation, **derive_options)  # type: ignore[arg-type]
    elif derive_options:
        raise InputError(f"options {sorted(derive_options)} apply only when a loss name is given")
    return check_formula(derivation, formula, entry=entry, sample=sample, points=points, seed=seed)
