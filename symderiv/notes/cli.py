"""``symderiv verify NOTE``: verify the claims of a note, print them, annotate the note."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click

from ..errors import InputError


def read_note(path: Path) -> tuple[str, bool]:
    """The note's text and whether it is LaTeX; InputError when it is missing or not text."""
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"not a file: {path}")
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError(f"{path} is not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
    return text, path.suffix.lower() in (".tex", ".latex", ".ltx")


def _write(out: Path, content: str, force: bool) -> None:
    if out.exists() and not force:
        raise InputError(f"{out} exists; pass --force to overwrite it")
    if out.suffix.lower() not in (".md", ".markdown", ".html", ".htm"):
        kind = out.suffix or "a name without extension"
        raise InputError(f"--annotate writes Markdown (.md) or HTML (.html), not {kind}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"no such folder: {folder}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)  # as an ordinary new file, not mkstemp's 0600
    os.replace(tmp, out)


@click.command("verify")
@click.argument("note", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print one JSON object: claims, loss, conventions")
@click.option(
    "--annotate",
    "annotate",
    type=click.Path(path_type=Path),
    default=None,
    metavar="OUT",
    help="write the note with a mark beside each equation (.md or .html)",
)
@click.option("--force", is_flag=True, help="with --annotate: overwrite OUT if it exists")
def verify_command(note: Path, as_json: bool, annotate: Path | None, force: bool) -> None:
    """Verify the hand-derived formulas of NOTE (Markdown or .tex): each claim is proved, refuted
    with a counterexample, or not understood, with the reason. Exit 1 when a claim is refuted."""
    from . import annotate as marks
    from .note import verify_notes

    text, tex = read_note(note)
    if annotate is not None and annotate.exists() and not force:  # before the work, not after it
        raise InputError(f"{annotate} exists; pass --force to overwrite it")
    result = verify_notes(text, tex=tex)
    if annotate is not None:
        is_html = annotate.suffix.lower() in (".html", ".htm")
        content = marks.page(text, result, note.name) if is_html else marks.markdown(text, result)
        _write(annotate, content, force)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.text())
        if annotate is not None:
            click.echo(f"wrote {annotate}")
    sys.exit(1 if result.refuted else 0)
