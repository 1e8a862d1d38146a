"""symderiv — derive the gradients of ML losses symbolically, prove the closed forms of the
notes, and check hand-written gradients against the derivation.

>>> import symderiv
>>> d = symderiv.derive("hinge", D=3, C=3, N=2, y=[0, 2])
>>> d.proved
True
"""

from . import report  # noqa: F401  (fills Derivation's rich display in Jupyter)
from .algebra.functions import Pos, Step
from .check import check_gradient
from .codegen.vectorize import numpy_function
from .conventions import Conventions
from .derive.result import Derivation, DerivationStep
from .errors import InputError, NotSupportedError, ProofError, SymderivError, TooLargeError
from .losses import Loss, register
from .notes import verify_notes
from .pipeline import derive, verify_formula
from .version import __version__

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
