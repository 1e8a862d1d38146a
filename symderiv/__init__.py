"""symderiv — derive the gradients of ML losses symbolically, prove the closed forms of the
notes, and check hand-written gradients against the derivation.

>>> import symderiv
>>> d = symderiv.derive("hinge", D=3, C=3, N=2, y=[0, 2])
>>> d.proved
True

The public names are imported on first use (PEP 562 ``__getattr__``): ``import symderiv`` loads neither
SymPy nor the report stage, so that ``symderiv check`` starts fast; ``symderiv.derive`` and every other
name below are importable exactly as before.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .errors import InputError, NotSupportedError, ProofError, SymderivError, TooLargeError
from .version import __version__

#: public name → the module that defines it (imported on first use)
_LAZY = {
    "Pos": ".algebra.functions",
    "Step": ".algebra.functions",
    "check_gradient": ".check",
    "numpy_function": ".codegen.vectorize",
    "Conventions": ".conventions",
    "Derivation": ".derive.result",
    "DerivationStep": ".derive.result",
    "Loss": ".losses",
    "register": ".losses",
    "verify_notes": ".notes",
    "derive": ".pipeline",
    "verify_formula": ".pipeline",
}
#: names whose objects display themselves in Jupyter through :mod:`symderiv.report` (which fills
#: ``Derivation``'s rich display when imported): loading one of them loads the report stage too
_DISPLAYED = {"Derivation", "DerivationStep", "derive", "verify_formula", "verify_notes", "numpy_function", "Loss",
              "register", "Conventions", "Pos", "Step"}  # fmt: skip

if TYPE_CHECKING:  # pragma: no cover — for type checkers and IDEs: the names as they are
    from .algebra.functions import Pos, Step
    from .check import check_gradient
    from .codegen.vectorize import numpy_function
    from .conventions import Conventions
    from .derive.result import Derivation, DerivationStep
    from .losses import Loss, register
    from .notes import verify_notes
    from .pipeline import derive, verify_formula


def __getattr__(name: str) -> Any:
    """Import a public name on first use (see the module docstring)."""
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'symderiv' has no attribute {name!r}")
    if name in _DISPLAYED:
        importlib.import_module(".report", __name__)
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """symderiv itself: importing the subpackage ``symderiv.derive`` must not replace the function
    ``symderiv.derive`` (the import system sets a parent's attribute to each subpackage it loads)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Conventions",
    "Derivation",
    "DerivationStep",
    "InputError",
    "Loss",
    "NotSupportedError",
    "Pos",
    "ProofError",
    "Step",
    "SymderivError",
    "TooLargeError",
    "check_gradient",
    "derive",
    "numpy_function",
    "register",
    "verify_formula",
    "__version__",
    "verify_notes",
]
