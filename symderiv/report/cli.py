"""``symderiv report``: write derivation reports, or check that committed ones are current."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import losses
from ..cli_options import convention_options
from . import basename, derive_for_report, stale, write_report
from .code import load_implementation
from .i18n import LANGS
from .writers import FORMATS

REGENERATE = "python -m symderiv report --all --lang en,zh --out reports --force"

#: the options' defaults (a convention left at its default is not repeated in a command)
DEFAULTS = {
    "layout": "XW",
    "regularizer": "l2",
    "reduction": "mean",
    "bias": False,
    "delta": None,
    "kink": "0",
    "hyper": (),
}

#: what `report --all` writes besides one report per built-in loss, when no convention is given: the
#: configurations of the notes (seed 001: layout WX with the bias column; a ½λΣW², summed report)
NAMED_REPORTS: tuple[tuple[str, dict], ...] = (
    ("hinge", {"layout": "WX", "bias": True}),
    ("softmax", {"regularizer": "half-l2", "reduction": "sum"}),
)


def _regenerate(
    loss, all_, conventions: dict, formats: tuple[str, ...], out: Path, implementation, langs: tuple[str, ...] = ("en",)
) -> str:
    """The command that rewrites what ``--check`` found stale: the options actually used, quoted."""
    import shlex

    words = ["python", "-m", "symderiv", "report", "--all" if all_ else loss]
    for key, value in conventions.items():
        if key == "hyper":  # repeatable: one --hyper NAME=VALUE per value
            words += [w for item in value or () for w in ("--hyper", str(item))]
        elif value != DEFAULTS.get(key):
            words += [f"--{key}"] if value is True else [f"--{key}", str(value)]
    if set(formats) != set(FORMATS):
        words += ["--format", ",".join(formats)]
    if langs != ("en",):
        words += ["--lang", ",".join(langs)]
    if implementation:
        words += ["--implementation", implementation]
    words += ["--out", str(out), "--force"]
    return shlex.join(words)


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise click.BadParameter(f"formats are a comma-separated choice of {','.join(FORMATS)}, not {value!r}")
    return chosen


def _langs(value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(x.strip().lower() for x in value.split(",") if x.strip()))
    bad = [x for x in chosen if x not in LANGS]
    if bad or not chosen:
        raise click.BadParameter(f"languages are a comma-separated choice of {','.join(LANGS)}, not {value!r}")
    return chosen


@click.command("report")
@click.argument("loss", required=False)
@click.option(
    "--all",
    "all_",
    is_flag=True,
    help="a report for every built-in loss (without convention options: and the named configurations, "
    "hinge-WX-bias and softmax-half-l2-sum)",
)
@convention_options()
@click.option("--format", "formats", default=",".join(FORMATS), show_default=True, help="comma-separated formats")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="folder to write into",
)
@click.option(
    "--lang",
    "lang",
    default="en",
    show_default=True,
    help="language of the words: en or zh (Chinese; file names end in -zh), or both: en,zh",
)
@click.option("--force", is_flag=True, help="overwrite files that symderiv did not write")
@click.option("--check", is_flag=True, help="write nothing; exit 1 if the reports in --out are missing or stale")
@click.option(
    "--implementation",
    "implementation",
    default=None,
    metavar="FILE.py[::FUNCTION]",
    help="include your own gradient implementation (rendered, and checked in an isolated process); "
    "FILE.py:FUNCTION is accepted too",
)
def report_command(loss, all_, formats, out, lang, force, check, implementation, **conventions):
    """Write the derivation report of LOSS (LaTeX, PDF, Markdown, HTML), or of every built-in
    loss with --all, in English or Chinese (--lang). With --check, verify that --out holds them,
    current, instead."""
    chosen = _formats(formats)
    langs = _langs(lang)
    if all_ == (loss is not None):
        raise click.UsageError("name one loss (one of: %s) or pass --all" % ", ".join(losses.names()))
    names = losses.builtin_names() if all_ else [loss]
    impl = load_implementation(implementation) if implementation else None
    derivations = [derive_for_report(name, **conventions) for name in names]
    if all_ and all(value == DEFAULTS.get(key) or key == "hyper" and not value for key, value in conventions.items()):
        derivations += [derive_for_report(name, **{**conventions, **extra}) for name, extra in NAMED_REPORTS]
    failed = [d for d in derivations if not d.proved]
    for d in failed:
        click.echo(f"symderiv: the derivation of {d.loss.name} is NOT proved; no report", err=True)
    if failed:
        sys.exit(1)

    if check:
        problems = [line for d in derivations for x in langs for line in stale(d, out, chosen, x)]
        for line in problems:
            click.echo(line)
        if problems:
            again = _regenerate(loss, all_, conventions, chosen, out, implementation, langs)
            click.echo(f"reports in {out} are out of date; regenerate them with:\n  {again}", err=True)
            sys.exit(1)
        click.echo(
            f"reports in {out} are current ({len(derivations)} loss(es), formats {','.join(chosen)}"
            + (f", languages {','.join(langs)})" if langs != ("en",) else ")")
        )
        return

    status = 0
    for d in derivations:
        for x in langs:
            result = write_report(d, out, chosen, force=force, implementation=impl, on_compile=_progress(), lang=x)
            click.echo(summary(d, out, chosen, result, x))
            for problem in result.problems:
                click.echo(f"symderiv: {problem}", err=True)
                status = 1
    sys.exit(status)


def summary(d, out: Path, formats: tuple[str, ...], result, lang: str = "en") -> str:
    """One line for one report: where it is, in which formats, and how many files changed."""
    stem = Path(out) / basename(d, lang)
    kinds = ",".join(f for f in FORMATS if f in formats)
    where = f"{stem}.{{{kinds}}}" if len(formats) > 1 else f"{stem}.{kinds}"
    counts = f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged"
    if result.problems:
        counts += "; no PDF (see below)"
    return f"{d.loss.name}: {where} ({counts})"


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _progress():
    """A callback showing "compiling NAME.tex …" on a terminal's stderr while TeX runs (nothing when
    stderr is a file or a pipe, so logs hold only the one line per report)."""
    if not _stderr_is_tty():
        return None

    shown = [""]

    def show(tex_name: str | None) -> None:
        if tex_name is None:  # erase the progress line
            click.echo("\r" + " " * len(shown[0]) + "\r", err=True, nl=False)
        else:
            shown[0] = f"compiling {tex_name} …"
            click.echo(shown[0], err=True, nl=False)

    return show
