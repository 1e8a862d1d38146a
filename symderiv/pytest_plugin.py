"""The pytest plugin (entry point ``pytest11``): a fixture, a marker and two options — nothing else.

In a test file::

    def test_svm(check_gradient):
        check_gradient(svm_loss_naive, loss="hinge")

    @pytest.mark.symderiv(loss="softmax", regularizer="half-l2")
    def test_softmax(check_gradient):
        check_gradient(softmax_loss_vectorized)   # options from the marker

``check_gradient`` raises AssertionError with symderiv's report when the gradient is wrong.
"""

from __future__ import annotations

import pytest

from .convention_table import CONVENTION_FIELDS
from .testing import assert_gradient

#: the options the marker and the fixture accept (those of symderiv.check_gradient): the loss, every
#: convention (one table, :data:`symderiv.conventions.CONVENTION_OPTIONS`), and the check's own
OPTIONS = ("loss", *CONVENTION_FIELDS, "data", "timeout", "seed")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("symderiv", "symderiv gradient checks")
    group.addoption(
        "--symderiv-timeout",
        type=float,
        default=None,
        help="seconds a checked function may run (all probes together; default 10)",
    )
    group.addoption("--symderiv-seed", type=int, default=None, help="seed of the random probes (default 0)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"symderiv({', '.join(f'{o}=...' for o in OPTIONS)}): default options of the check_gradient fixture",
    )


@pytest.fixture
def check_gradient(request: pytest.FixtureRequest):
    """``check_gradient(f, **options)``: assert that ``f(W, X, y, reg) -> (loss, dW)`` is right.

    Options (``loss``, the conventions ``layout``, ``regularizer``, ``reduction``, ``bias``, ``delta``,
    ``kink``, and ``data``, ``timeout``, ``seed``) come
    from the call, then the nearest ``@pytest.mark.symderiv(...)``, then the command line."""
    defaults: dict = {}
    for option, name in (("timeout", "--symderiv-timeout"), ("seed", "--symderiv-seed")):
        value = request.config.getoption(name)
        if value is not None:
            defaults[option] = value
    marker = request.node.get_closest_marker("symderiv")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.symderiv takes keyword options only, e.g. loss='hinge'")
        unknown = sorted(set(marker.kwargs) - set(OPTIONS))
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.symderiv got unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}"
            )
        defaults.update(marker.kwargs)

    def check(f, **options):
        __tracebackhide__ = True
        return assert_gradient(f, **{**defaults, **options})

    return check
