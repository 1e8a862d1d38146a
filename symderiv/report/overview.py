"""The table of the built-in losses at the top of README.md, printed from their proven symbolic-size
derivations (never typed): the per-sample loss, the two cases of ∂L_i/∂w_uv and the matrix form.

``python -m symderiv.report.overview README.md`` rewrites the table between its markers; a test fails
when the README's table differs from what the proofs print.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..derive.generic import GenericDerivation
from ..errors import InputError, ProofError
from ..losses import builtin_names
from ..pipeline import derive
from ..render.notation import latex
from .render import md_math

BEGIN = "<!-- symderiv:loss-table: printed from the proofs by `python -m symderiv.report.overview README.md` -->"
END = "<!-- symderiv:loss-table end -->"


def _math(expr: object, g: GenericDerivation) -> str:
    """Inline math in the Markdown-safe spelling (GitHub drops the backslash of ``\\,``; see ``md_math``)."""
    return "$" + md_math(latex(expr, g.conventions)).strip() + "$"


def loss_table() -> str:
    """The Markdown table (GitHub math), one row per built-in loss, in the default conventions
    (layout XW, λΣW², mean over samples, Δ symbolic, 1[0] = 0)."""
    rows = [
        "| loss | per-sample loss | ∂L_i/∂w_uv for v ≠ y_i | ∂L_i/∂w_uv for v = y_i | matrix form |",
        "|---|---|---|---|---|",
    ]
    notes = []
    for name in builtin_names():
        g = derive(name)
        assert isinstance(g, GenericDerivation)
        if not g.proved:
            raise ProofError(f"the symbolic-size derivation of {name} is not proved")
        sample = next(s.expr for s in g.steps if s.title == "per-sample loss")
        rows.append(
            f"| `{name}` ({g.loss.title}) | {_math(sample, g)} | {_math(g.cases['other'], g)} | "
            f"{_math(g.cases['label'], g)} | {_math(g.matrix_expression, g)} |"
        )
        notes += [f"{_math(a.definition, g)} ({a.words}, `{name}`)" for a in g.loss.abbreviations]
    text = "\n".join(rows) + "\n"
    if notes:
        text += "\nwith " + "; ".join(notes) + ".\n"
    return text


def block() -> str:
    """The table between its markers, as README.md holds it."""
    return f"{BEGIN}\n\n{loss_table()}\n{END}"


def current(readme: str) -> str | None:
    """The block README.md holds now (None without markers)."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        return None
    return readme[start : end + len(END)]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m symderiv.report.overview README.md", file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        readme = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    old = current(readme)
    if old is None:
        print(f"symderiv: error: {path} has no loss-table markers", file=sys.stderr)
        return 2
    path.write_text(readme.replace(old, block()), encoding="utf-8")
    print(f"wrote the loss table into {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
