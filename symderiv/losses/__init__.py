"""The losses symderiv knows: one file per loss (:mod:`.hinge`, :mod:`.squared_hinge`, :mod:`.softmax`,
:mod:`.crammer_singer`, :mod:`.softmax_smoothed`), each one :class:`~symderiv.losses.base.Loss`
definition registered on import. To add a loss, copy one of those files (:mod:`.hinge` for a plain
one, :mod:`.crammer_singer` for a max over classes, :mod:`.softmax_smoothed` for a hyperparameter of
its own); :mod:`.base` says what each field means."""

from __future__ import annotations

from .base import (
    Abbreviation,
    ConcreteIndexing,
    Hyperparameter,
    Indexing,
    Loss,
    LossWords,
    MarginRoute,
    ShiftInvariance,
    Slip,
    get,
    names,
    register,
    unregister,
)
from .crammer_singer import CRAMMER_SINGER
from .hinge import HINGE
from .softmax import SOFTMAX
from .softmax_smoothed import SOFTMAX_SMOOTHED
from .squared_hinge import SQUARED_HINGE

#: the built-in losses, by name
BUILTIN = {loss.name: loss for loss in (HINGE, SQUARED_HINGE, SOFTMAX, CRAMMER_SINGER, SOFTMAX_SMOOTHED)}


def builtin_names() -> list[str]:
    """The names of the built-in losses (those every ``--all`` command covers)."""
    return list(BUILTIN)


__all__ = [
    "Abbreviation",
    "BUILTIN",
    "ConcreteIndexing",
    "Hyperparameter",
    "Indexing",
    "Loss",
    "LossWords",
    "MarginRoute",
    "ShiftInvariance",
    "Slip",
    "builtin_names",
    "get",
    "names",
    "register",
    "unregister",
]
