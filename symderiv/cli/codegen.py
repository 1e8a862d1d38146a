"""``symderiv codegen LOSS``: print the generated vectorized NumPy loss and gradient."""

from __future__ import annotations

import click

from ..codegen.vectorize import source

LAYOUT = click.Choice(["XW", "WX"])
REGULARIZER = click.Choice(["l2", "half-l2", "none"])


@click.command("codegen")
@click.argument("loss")
@click.option("--layout", type=LAYOUT, default="XW", show_default=True)
@click.option("--regularizer", type=REGULARIZER, default="l2", show_default=True)
@click.option("--reduction", type=click.Choice(["mean", "sum"]), default="mean", show_default=True)
@click.option("--bias", is_flag=True, help="the bias trick: W holds the bias as its last row (XW) / column (WX)")
@click.option("--delta", default="1", show_default=True, help="margin Δ, or 'delta' to make it an argument")
@click.option("--kink", default="0", show_default=True, help="value of 1[m > 0] at m = 0")
def codegen_command(loss, layout, regularizer, reduction, bias, delta, kink):
    """Print vectorized NumPy for LOSS: f(W, X, y, reg) -> (loss, dW), with its derivation in comments."""
    click.echo(
        source(loss, layout=layout, regularizer=regularizer, reduction=reduction, bias=bias, delta=delta, kink=kink),
        nl=False,
    )
