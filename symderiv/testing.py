"""Assertions for test suites: ``assert_gradient(f, loss=...)`` fails with symderiv's report.

>>> import numpy as np
>>> from symderiv.testing import assert_gradient
>>> def svm(W, X, y, reg):
...     N = X.shape[0]; S = X @ W
...     M = np.maximum(0, S - S[np.arange(N), y][:, None] + 1); M[np.arange(N), y] = 0
...     G = (M > 0).astype(float); G[np.arange(N), y] = -G.sum(1)
...     return M.sum() / N + reg * np.sum(W * W), X.T @ G / N + 2 * reg * W
>>> assert_gradient(svm, loss="hinge").regularizer
'l2'
"""

from __future__ import annotations

from collections.abc import Callable

from .check import CheckResult, check_gradient


def assert_gradient(f: Callable | str, loss: str = "hinge", **options: object) -> CheckResult:
    """Check ``f(W, X, y, reg) -> (loss, dW)`` with :func:`symderiv.check_gradient` (same options);
    raise AssertionError whose message is the human report when it is wrong; return the result."""
    __tracebackhide__ = True  # pytest shows the report, not this frame
    result = check_gradient(f, loss, **options)  # type: ignore[arg-type]
    if not result.passed:
        raise AssertionError(result.report())
    return result


__all__ = ["assert_gradient"]
