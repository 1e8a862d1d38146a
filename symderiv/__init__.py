"""symderiv — derive the gradients of ML losses symbolically, prove the closed forms of the
notes, and check hand-written gradients against the derivation.

>>> import symderiv
>>> d = symderiv.derive("hinge", D=3, C=3, N=2, y=[0, 2])
>>> d.proved
True
"""

from .check import check_gradient
from .conventions import Conventions
from .derivation import Derivation, DerivationStep
from .errors import InputError, NotSupportedError, ProofError, SymderivError, TooLargeError
from .functions import Pos, Step
from .losses import Loss, register
from .notes import verify_notes
from .pipeline import derive
from .vectorize import numpy_function
from .verify import verify_formula

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
    "verify_notes",
]
__version__ = "0.1.0"
