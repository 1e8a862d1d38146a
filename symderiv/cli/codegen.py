"""``symderiv codegen LOSS``: print the generated vectorized NumPy loss and gradient."""

from __future__ import annotations

import click

from ..cli_options import convention_options
from ..codegen.vectorize import source

CODEGEN: dict[str, dict[str, object]] = {
    "bias": {"help": "the bias trick: W holds the bias as its last row (XW) / column (WX)"},
    "delta": {"default": "1", "show_default": True, "help": "margin Δ, or 'delta' to make it an argument"},
}


@click.command("codegen")
@click.argument("loss")
@convention_options(overrides=CODEGEN)
def codegen_command(loss, **conventions):
    """Print vectorized NumPy for LOSS: f(W, X, y, reg) -> (loss, dW), with its derivation in comments."""
    click.echo(
        source(loss, **conventions),
        nl=False,
    )
