"""README's table of the built-in losses is printed from their proven symbolic-size derivations: it
must be exactly what the proofs print now (refresh it with ``python -m symderiv.report.overview README.md``)."""

from pathlib import Path

import symderiv
from symderiv.report import overview

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_loss_table_is_printed_from_the_proofs():
    held = overview.current(README.read_text(encoding="utf-8"))
    assert held is not None, "README.md lost its loss-table markers"
    assert held == overview.block(), "README's loss table is stale: python -m symderiv.report.overview README.md"


def test_the_table_shows_each_loss_proven_closed_form():
    # an independent reading of one row: the hinge's v ≠ y_i case is the indicator times x_iu
    table = overview.loss_table()
    row = next(line for line in table.splitlines() if line.startswith("| `hinge`"))
    assert r"x_{iu} \mathbf{1}\left[s_{iv} - s_{iy_{i}} + \Delta \gt" in row
    assert r"\frac{1}{N} X^{\top} M + 2 \lambda W" in row
    assert "\\," not in table and ">" not in table.replace("-->", "")  # the Markdown-safe spelling (md_math)
    assert len([line for line in table.splitlines() if line.startswith("| `")]) == len(symderiv.losses.builtin_names())
