"""The conventions' names and command-line options, without SymPy: the table every command's options and
the pytest marker are built from (:data:`CONVENTION_OPTIONS`), the layouts and reductions in words. Kept
apart from :mod:`symderiv.conventions` (which holds SymPy values) so that the command line starts
without importing SymPy."""

from __future__ import annotations

from dataclasses import dataclass

LAYOUTS = {
    "XW": "X is N×D, W is D×C, S = X @ W (cs231n; seeds 000 and 002)",
    "WX": "W is C×D, X is D×N (one column per sample), S = W @ X (seed 001; the cs231n notes' W_j x_i)",
}

#: the regularizers' names (their definitions: ``symderiv.conventions.REGULARIZERS``)
REGULARIZER_NAMES = ("l2", "half-l2", "none")

REDUCTIONS = {"mean": "L = (1/N) Σ_i L_i + R(W)", "sum": "L = Σ_i L_i + R(W)"}


@dataclass(frozen=True)
class OptionSpec:
    """One convention, declared once: the keyword of ``derive``/``check_gradient``/``numpy_function``
    and the marker, the ``--option`` of every command, its choices, default and help."""

    name: str
    default: object
    help: str
    choices: tuple[str, ...] | None = None
    flag: bool = False
    multiple: bool = False  # the option may be repeated (``--hyper epsilon=0.1 --hyper …``)


#: the conventions, in the order of :class:`Conventions`; every command line option and the
#: pytest marker are built from this table (a command may override a default or the help)
CONVENTION_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("layout", "XW", "XW: X is N×D, W is D×C; WX: W is C×D, X is D×N", tuple(LAYOUTS)),
    OptionSpec("regularizer", "l2", "R(W): l2 is λΣW² (cs231n), half-l2 is ½λΣW²", REGULARIZER_NAMES),
    OptionSpec("reduction", "mean", "mean (cs231n): L = (1/N) Σ L_i + R(W); sum: L = Σ L_i + R(W)", tuple(REDUCTIONS)),
    OptionSpec("bias", False, "the bias trick: append a constant-1 feature", flag=True),
    OptionSpec("delta", None, "margin Δ (default: symbolic)"),
    OptionSpec("kink", "0", "value of 1[m > 0] at m = 0"),
    OptionSpec(
        "hyper",
        (),
        "a loss's own hyperparameter as NAME=VALUE, e.g. epsilon=0.1 (repeatable; default: symbolic, "
        "or the loss's declared default where a number is needed)",
        multiple=True,
    ),
)

#: the names of the conventions (the fields of :class:`Conventions`)
CONVENTION_FIELDS: tuple[str, ...] = tuple(o.name for o in CONVENTION_OPTIONS)
