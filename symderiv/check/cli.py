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
@click.argument("targets", nargs=-1, required=True, metavar="FILE.py::FUNCTION...")
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
@click.option(
    "--function", default=None, metavar="NAME", help="the function to check in targets given as files or folders"
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="parallel checks [default: the CPU count]")
@click.option("--csv", "csv_path", default=None, metavar="FILE.csv", help="write one row per target")
@click.option(
    "--gradescope", "gradescope_path", default=None, metavar="FILE.json", help="write a Gradescope results.json"
)
@click.option("--force", is_flag=True, help="overwrite --csv / --gradescope files that exist")
@click.option(
    "--signature",
    type=click.Choice(["auto", "linear", "layer"]),
    default="auto",
    show_default=True,
    help="linear: f(W, X, y, reg) -> (loss, dW); layer: f(x, y) -> (loss, dx) over the N×C scores; "
    "auto: a function of two parameters is a layer",
)
def check_command(
    targets,
    loss,
    data_file,
    reg,
    timeout,
    as_json,
    function,
    jobs,
    csv_path,
    gradescope_path,
    force,
    signature,
    **conventions,
):
    """Check hand-written gradients f(W, X, y, reg) -> (loss, dW) against the derivation.

    Several targets (FILE.py::FUNCTION, globs such as 'subs/*.py::svm_loss_naive', or folders with
    --function NAME) are checked in parallel and summarized in one table."""
    if reg is not None and not data_file:
        raise InputError("--reg applies to --data only (the standard probes choose their own λ)")
    data = _load_npz(data_file) if data_file else None
    if data is not None and reg is not None:
        data["reg"] = reg
    if len(targets) > 1 or function or csv_path or gradescope_path or _looks_like_batch(targets[0]):
        from . import batch

        plan = batch.plan(targets, function)
        if plan.batch or csv_path or gradescope_path:
            options = dict(
                loss=loss,
                **conventions,
                data=data,
                timeout=timeout,
                signature=signature,
            )
            sys.exit(
                batch.main(
                    plan.targets,
                    options,
                    jobs=jobs,
                    as_json=as_json,
                    csv_path=csv_path,
                    gradescope_path=gradescope_path,
                    force=force,
                    echo=click.echo,
                )
            )
        targets = plan.targets
    target = targets[0]
    result = check_gradient(
        target,
        loss,
        **conventions,
        data=data,
        timeout=timeout,
        signature=signature,
    )
    click.echo(result.to_json() if as_json else result.report())
    sys.exit(0 if result.passed else 1)


def _looks_like_batch(spec: str) -> bool:
    """A glob or a folder: a batch even when it names one submission."""
    path = spec.rpartition("::")[0] or spec
    return any(ch in path for ch in "*?[") or Path(path).is_dir()


def _load_npz(path: str) -> dict:
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
