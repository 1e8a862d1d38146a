"""``symderiv check FILE.py::FUNCTION --loss …``: exit 0 right, 1 wrong, 2 unusable input."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

from ..cli_options import convention_options
from ..errors import InputError
from .core import check_gradient

#: where the check's options differ from derive's: the regularizer may be "auto", Δ is a number
CHECK = {
    "regularizer": {
        "type": click.Choice(["auto", "l2", "half-l2", "none"]),
        "default": "auto",
        "help": "auto accepts λΣW² (l2) and ½λΣW² (half-l2) and reports which matched",
    },
    "delta": {"type": float, "default": 1.0, "show_default": True, "help": "margin Δ"},
}


@click.command("check")
@click.argument("target", metavar="FILE.py::FUNCTION")
@click.option("--loss", required=True, help="a registered loss: hinge, squared-hinge, softmax, crammer-singer, …")
@convention_options(skip=("bias", "kink"), overrides=CHECK)
@click.option(
    "--data",
    "data_file",
    default=None,
    metavar="FILE.npz",
    help="check on your own data: an .npz holding W, X, y and reg",
)
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="seconds your function may run, all calls together",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead of the report")
def check_command(target, loss, data_file, timeout, as_json, **conventions):
    """Check a hand-written gradient f(W, X, y, reg) -> (loss, dW) against the derivation."""
    data = _load_npz(data_file) if data_file else None
    result = check_gradient(
        target,
        loss,
        **conventions,
        data=data,
        timeout=timeout,
    )
    click.echo(result.to_json() if as_json else result.report())
    sys.exit(0 if result.passed else 1)


def _load_npz(path: str) -> dict:
    if not Path(path).is_file():
        raise InputError(f"no such data file: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except Exception as exc:  # noqa: BLE001 — any unreadable file is the same one-line error
        raise InputError(f"cannot read {path} as an .npz file of W, X, y, reg: {exc}") from None
