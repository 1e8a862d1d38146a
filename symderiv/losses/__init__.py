"""The losses symderiv knows: one file per loss (:mod:`.hinge`, :mod:`.squared_hinge`,
:mod:`.softmax`), each one :class:`~symderiv.losses.base.Loss` definition registered on import.
To add a loss, copy one of those files; :mod:`.base` says what each field means."""

from __future__ import annotations

from .base import Abbreviation, ConcreteIndexing, Indexing, Loss, Slip, get, names, register, unregister
from .hinge import HINGE
from .softmax import SOFTMAX
from .squared_hinge import SQUARED_HINGE

#: the built-in losses, by name
BUILTIN = {loss.name: loss for loss in (HINGE, SQUARED_HINGE, SOFTMAX)}


def builtin_names() -> list[str]:
    """The names of the built-in losses (those every ``--all`` command covers)."""
    return list(BUILTIN)


__all__ = [
    "Abbreviation",
    "BUILTIN",
    "ConcreteIndexing",
    "Indexing",
    "Loss",
    "Slip",
    "builtin_names",
    "get",
    "names",
    "register",
    "unregister",
]
