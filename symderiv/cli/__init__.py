"""The command line: ``symderiv derive``, and the other stages' commands (the top layer)."""

from __future__ import annotations

import sys

import click
import numpy as np

from .. import losses
from ..check.cli import check_command
from ..cli_options import convention_options
from ..codegen.vectorize import numpy_function
from ..derive.generic import GenericDerivation
from ..errors import SymderivError
from ..pipeline import derive as run
from ..render.text_report import text_report
from ..report.cli import report_command
from .codegen import codegen_command


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
@convention_options()
@click.option("--entry", default=None, help="which ∂L/∂w_uv to print, as u,v")
@click.option("--all", "all_", is_flag=True, help="derive and prove every built-in loss; print a summary")
@click.option("--generic", is_flag=True, help="derive at symbolic size (index notation)")
@click.option("--steps", is_flag=True, help="with --generic: show every step of the derivation")
def derive(loss, D, C, N, y, entry, all_, generic, steps, **options):
    """Derive dL/dW for LOSS, prove the closed forms, and print them."""
    if all_:
        sys.exit(_derive_all(D, C, N, _labels(y), options))
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


cli.add_command(codegen_command)
cli.add_command(report_command)
cli.add_command(check_command)


def _derive_all(D: int, C: int, N: int, y, options: dict) -> int:
    """The main job: every built-in loss in every layout, with and without the bias trick, derived
    and proved at concrete and at symbolic size, and the generated NumPy checked against each other."""
    rng = np.random.default_rng(0)
    failed = 0
    click.echo(f"{'loss':16s} {'layout':6s} {'bias':5s} {'concrete':9s} {'symbolic':9s} {'NumPy':>9s}  claims")
    for name in losses.builtin_names():
        for layout in ("XW", "WX"):
            for bias in (False, True):
                opts = {**options, "layout": layout, "bias": bias}
                concrete = run(name, D=D, C=C, N=N, y=y, **opts)
                concrete.check_numeric()
                generic = run(name, **opts)
                assert isinstance(generic, GenericDerivation)
                at = generic.cross_check(concrete)
                p = concrete.concrete()
                W = rng.normal(size=p.W.shape)
                X = rng.normal(size=(p.N, p.D) if layout == "XW" else (p.D, p.N))
                delta = 1.0 if options.get("delta") is None else float(options["delta"])
                vectorized = numpy_function(name, **{**opts, "delta": delta})
                _, dW = vectorized(W, X, np.array(p.y), 0.3)
                err = float(np.max(np.abs(dW - concrete.numpy_gradient(W, X, 0.3, delta=delta))))
                ok = concrete.proved and generic.proved and at.holds and err < 1e-10
                failed += not ok
                claims = len(concrete.claims) + len(generic.claims) + 1
                click.echo(
                    f"{name:16s} {layout:6s} {str(bias):5s} {_mark(concrete.proved):9s} "
                    f"{_mark(generic.proved and at.holds):9s} {err:9.1e}  {claims} {'' if ok else '  FAIL'}"
                )
    click.echo(
        f"{'all proved and checked' if not failed else f'{failed} FAILED'}"
        f" (concrete size D={D}, C={C}, N={N}; NumPy: max |per-element − vectorized| over dW)"
    )
    return 1 if failed else 0


def _mark(ok: bool) -> str:
    return "proved" if ok else "FAILED"


def main() -> None:
    """Entry point: every error symderiv or click reports is one line on stderr and exit status 2."""
    try:
        code = cli.main(prog_name="symderiv", standalone_mode=False)
    except (SymderivError, click.ClickException) as exc:
        message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        click.echo(f"symderiv: error: {message}{hint}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("symderiv: aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
