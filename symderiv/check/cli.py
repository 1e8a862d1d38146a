"""``symderiv check FILE.py::FUNCTION --loss …``: exit 0 right, 1 wrong, 2 unusable input."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError


@click.command("check")
@click.argument("target", metavar="FILE.py::FUNCTION")
@click.option("--loss", required=True, help="hinge, squared-hinge or softmax")
@click.option(
    "--layout",
    type=click.Choice(["XW", "WX"]),
    default="XW",
    show_default=True,
    help="XW: X is N×D, W is D×C; WX: W is C×D, X is D×N",
)
@click.option(
    "--regularizer",
    type=click.Choice(["auto", "l2", "half-l2", "none"]),
    default="auto",
    show_default=True,
    help="auto accepts λΣW² (l2) and ½λΣW² (half-l2) and reports which matched",
)
@click.option("--delta", type=float, default=1.0, show_default=True, help="margin Δ")
@click.option(
    "--reduction",
    type=click.Choice(["mean", "sum"]),
    default="mean",
    show_default=True,
    help="mean (cs231n): L = (1/N) Σ L_i + R(W); sum: L = Σ L_i + R(W)",
)
@click.option(
    "--data",
    "data_file",
    default=None,
    metavar="FILE.npz",
    help="check on your own data: an .npz holding W, X, y and reg",
)
@click.option(
    "--reg",
    type=float,
    default=None,
    metavar="λ",
    help="with --data: the regularization strength, when the .npz holds no reg (or to override it)",
)
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="seconds your function may run, all calls together",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead of the report")
def check_command(target, loss, layout, regularizer, delta, reduction, data_file, reg, timeout, as_json):
    """Check a hand-written gradient f(W, X, y, reg) -> (loss, dW) against the derivation."""
    from .core import check_gradient

    if reg is not None and not data_file:
        raise InputError("--reg applies to --data only (the standard probes choose their own λ)")
    data = _load_npz(data_file) if data_file else None
    if data is not None and reg is not None:
        data["reg"] = reg
    result = check_gradient(
        target,
        loss,
        layout=layout,
        regularizer=regularizer,
        delta=delta,
        reduction=reduction,
        data=data,
        timeout=timeout,
    )
    click.echo(result.to_json() if as_json else result.report())
    sys.exit(0 if result.passed else 1)


def _load_npz(path: str) -> dict:
    import numpy as np

    if not Path(path).is_file():
        raise InputError(f"no such data file: {path}")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":  # an .npz is a zip archive
        raise InputError(f"{path} is not an .npz file (a zip archive of arrays): save one with np.savez")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not hasattr(npz, "files"):
                raise ValueError("it holds one array (.npy), not named arrays")
            return {k: npz[k] for k in npz.files}
    except Exception as exc:  # noqa: BLE001 — any unreadable file is the same one-line error
        why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise InputError(
            f"cannot read {path} as an .npz file of W, X, y, reg (save one with np.savez): {why}"
        ) from None
