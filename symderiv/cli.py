"""The command line: ``symderiv derive``, and the other stages' commands."""

from __future__ import annotations

import sys

import click

from .errors import SymderivError

LAYOUT = click.Choice(["XW", "WX"])
REGULARIZER = click.Choice(["l2", "half-l2", "none"])


class Group(click.Group):
    """Turns every SymderivError into one clear line and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SymderivError as exc:
            click.echo(f"symderiv: error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symderiv")
def cli() -> None:
    """Derive the gradients of ML losses, prove closed forms, check hand-written gradients."""


def _labels(value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(v) for v in value.replace(",", " ").split()]
    except ValueError:
        raise click.BadParameter(f"labels are whole numbers separated by commas, not {value!r}") from None


@cli.command()
@click.argument("loss", required=False)
@click.option("--D", "D", type=int, default=3, show_default=True, help="features")
@click.option("--C", "C", type=int, default=3, show_default=True, help="classes")
@click.option("--N", "N", type=int, default=2, show_default=True, help="samples")
@click.option("--y", "y", default=None, help="labels, e.g. 0,2,2 (default: a pattern with repeats)")
@click.option("--layout", type=LAYOUT, default="XW", show_default=True)
@click.option("--regularizer", type=REGULARIZER, default="l2", show_default=True)
@click.option("--reduction", type=click.Choice(["mean", "sum"]), default="mean", show_default=True)
@click.option("--bias", is_flag=True, help="the bias trick: append a constant-1 feature")
@click.option("--delta", default=None, help="margin Δ (default: symbolic)")
@click.option("--kink", default="0", show_default=True, help="value of 1[m > 0] at m = 0")
@click.option("--entry", default=None, help="which ∂L/∂w_uv to print, as u,v")
@click.option("--all", "all_", is_flag=True, help="derive and prove every built-in loss; print a summary")
@click.option("--generic", is_flag=True, help="derive at symbolic size (index notation)")
@click.option("--steps", is_flag=True, help="with --generic: show every step of the derivation")
def derive(loss, D, C, N, y, layout, regularizer, reduction, bias, delta, kink, entry, all_, generic, steps):
    """Derive dL/dW for LOSS, prove the closed forms, and print them."""
    from . import losses
    from .emit import text_report
    from .pipeline import derive as run

    options = dict(layout=layout, regularizer=regularizer, reduction=reduction, bias=bias, delta=delta, kink=kink)
    if all_:
        failed = 0
        for name in losses.builtin_names():
            for lay in ("XW", "WX"):
                for b in (False, True):
                    d = run(name, D=D, C=C, N=N, y=_labels(y), **{**options, "layout": lay, "bias": b})
                    click.echo(("ok    " if d.proved else "FAIL  ") + d.summary())
                    failed += not d.proved
        sys.exit(1 if failed else 0)
    if loss is None:
        raise click.UsageError("name a loss (one of: %s) or pass --all" % ", ".join(losses.names()))
    if generic:
        d = run(loss, **options)
        click.echo(d.text(steps=steps))
        sys.exit(0 if d.proved else 1)
    d = run(loss, D=D, C=C, N=N, y=_labels(y), **options)
    where = None
    if entry is not None:
        try:
            u, v = (int(t) for t in entry.split(","))
        except ValueError:
            raise click.BadParameter(f"--entry takes u,v such as 0,1, not {entry!r}") from None
        where = (u, v)
    click.echo(text_report(d, where))
    sys.exit(0 if d.proved else 1)


from .codegen_cli import codegen_command  # noqa: E402

cli.add_command(codegen_command)

from .report.cli import report_command  # noqa: E402

cli.add_command(report_command)


def main() -> None:
    try:
        cli(prog_name="symderiv")
    except SymderivError as exc:  # raised outside a command's invoke
        click.echo(f"symderiv: error: {exc}", err=True)
        sys.exit(2)
