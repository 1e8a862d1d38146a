"""The command line: ``symderiv derive``, and the other stages' commands (the top layer)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from ..cli_options import convention_options
from ..errors import SymderivError


def _check() -> click.Command:
    from ..check.cli import check_command

    return check_command


def _codegen() -> click.Command:
    from .codegen import codegen_command

    return codegen_command


def _report() -> click.Command:
    from ..report.cli import report_command

    return report_command


def _verify() -> click.Command:
    from ..notes.cli import verify_command

    return verify_command


#: the other stages' commands, imported when run (``symderiv check`` imports neither SymPy nor the reports)
LAZY_COMMANDS: dict[str, Callable[[], click.Command]] = {
    "codegen": _codegen,
    "report": _report,
    "check": _check,
    "verify": _verify,
}


class Group(click.Group):
    """Every error becomes one line: a SymderivError, a usage error or an OSError (a full disk, a folder
    that cannot be written) is the user's to fix — exit 2; anything else is symderiv's fault — exit 3,
    "internal error", the traceback only with ``symderiv --debug``. With ``--json`` the line is one
    JSON object with an ``error`` field, on stdout."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            command = LAZY_COMMANDS[name]()
            self.add_command(command, name)
        return command

    def invoke(self, ctx: click.Context):
        args = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        as_json = "--json" in args
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001 — nothing reaches the user as a raw traceback
            ctx.exit(fail(exc, as_json=as_json, debug=bool(ctx.params.get("debug"))))


def fail(exc: BaseException, *, as_json: bool = False, debug: bool = False) -> int:
    """Report ``exc`` as one line (or one JSON object) and return the exit status: 2 for the user's
    input and the user's environment, 3 for an internal error."""
    import json
    import traceback

    if isinstance(exc, SymderivError | click.ClickException):
        message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            message += f" (see '{exc.ctx.command_path} --help')"
        code, kind = 2, "input"
    elif isinstance(exc, OSError):
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        message = f"{exc.strerror or exc}{where}"
        code, kind = 2, "system"
    else:
        hint = "" if debug else " (run 'symderiv --debug …' for the traceback)"
        message = f"internal error: {type(exc).__name__}: {exc}{hint}"
        code, kind = 3, "internal"
    message = " ".join(message.split())
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if as_json:
        click.echo(json.dumps({"error": message, "kind": kind, "exit_status": code}, ensure_ascii=False))
    else:
        click.echo(f"symderiv: error: {message}", err=True)
    return code


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symderiv")
@click.option("--debug", is_flag=True, help="show the traceback of an internal error")
def cli(debug: bool) -> None:
    """Derive the gradients of ML losses, prove closed forms, check hand-written gradients.

    Exit status: 0 done (right, proved), 1 wrong (a check failed, a report is stale), 2 unusable input
    (one line on stderr; with --json one JSON object with an "error" field on stdout), 3 internal error."""


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
    from .. import losses
    from ..pipeline import derive as run
    from ..render.text_report import text_report

    refused = [
        (steps and not generic, "--steps applies only with --generic"),
        (all_ and loss is not None, f"--all derives every built-in loss: name no loss (not {loss!r})"),
        (all_ and (generic or entry is not None or steps), "--all takes no --generic, --entry or --steps"),
        (generic and entry is not None, "--entry needs concrete sizes: it does not apply with --generic"),
        (generic and y is not None, "--y needs concrete sizes: it does not apply with --generic"),
    ]
    for wrong, why in refused:
        if wrong:
            raise click.UsageError(why)
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


def _derive_all(D: int, C: int, N: int, y, options: dict) -> int:
    """The main job: every built-in loss in every layout, with and without the bias trick, derived
    and proved at concrete and at symbolic size, and the generated NumPy checked against each other."""
    import numpy as np

    from .. import losses
    from ..codegen.vectorize import numpy_function
    from ..derive.generic import GenericDerivation
    from ..errors import NotSupportedError
    from ..pipeline import derive as run

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
                try:
                    vectorized = numpy_function(name, **{**opts, "delta": delta})
                except NotSupportedError:  # no vectorized form with a proof (a max over classes): none handed out
                    err = float("nan")
                else:
                    _, dW = vectorized(W, X, np.array(p.y), 0.3)
                    err = float(np.max(np.abs(dW - concrete.numpy_gradient(W, X, 0.3, delta=delta))))
                ok = concrete.proved and generic.proved and at.holds and (err < 1e-10 or np.isnan(err))
                failed += not ok
                claims = len(concrete.claims) + len(generic.claims) + 1
                click.echo(
                    f"{name:16s} {layout:6s} {str(bias):5s} {_mark(concrete.proved):9s} "
                    f"{_mark(generic.proved and at.holds):9s} {'—' if np.isnan(err) else f'{err:.1e}':>9s}  {claims} "
                    f"{'' if ok else '  FAIL'}"
                )
    click.echo(
        f"{'all proved and checked' if not failed else f'{failed} FAILED'}"
        f" (concrete size D={D}, C={C}, N={N}; NumPy: max |per-element − vectorized| over dW;"
        " —: no vectorized form is handed out without a proof)"
    )
    return 1 if failed else 0


def _mark(ok: bool) -> str:
    return "proved" if ok else "FAILED"


def main() -> None:
    """Entry point: every error is one line on stderr (one JSON object with --json) and exit status 2
    (the user's input) or 3 (internal error)."""
    args = sys.argv[1:]
    try:
        code = cli.main(args=args, prog_name="symderiv", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("symderiv: aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 — errors before a command runs (the group's own options)
        sys.exit(fail(exc, as_json="--json" in args, debug="--debug" in args))
    sys.exit(code if isinstance(code, int) else 0)
