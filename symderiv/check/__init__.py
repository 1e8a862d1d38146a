"""Check hand-written gradients ``f(W, X, y, reg) -> (loss, dW)`` against the derivation.

>>> from symderiv.check import check_gradient  # also symderiv.check_gradient
"""

from .core import check_gradient
from .result import CheckResult, Diagnosis, Discrepancy, ProbeReport

__all__ = ["CheckResult", "Diagnosis", "Discrepancy", "ProbeReport", "check_gradient"]
