"""Derivation reports: LaTeX (and its PDF), Markdown, a self-contained HTML page with KaTeX, and
rich display in Jupyter — the derivation the notes would write by hand, every equation proved.

>>> import symderiv
>>> from symderiv.report import derive_for_report, render_report
>>> d = derive_for_report("hinge")
>>> md = render_report(d, "md")
>>> "\\\\frac{\\\\partial L}{\\\\partial W}" in md
True

Command line: ``symderiv report hinge --format tex,pdf,md,html --out reports``. Every function that
makes a report takes ``lang`` ("en", the default, or "zh": :data:`~symderiv.report.i18n.LANGS`): the
words change, the math does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..conventions import DELTA
from ..derive.result import DISPLAY
from ..errors import SymderivError
from ..pipeline import derive
from .code import Implementation, from_function
from .content import PROOF_SIZE, build
from .document import Report, ReportError
from .i18n import LANGS, check_lang
from .render import figure_pdf, figure_svg, pdf_name, render, svg_name
from .writers import (
    FORMATS,
    Manifest,
    Output,
    OverwriteError,
    TexError,
    WriteResult,
    atomic_write,
    check_ownership,
    compile_pdf,
    katex_assets,
    pdf_digest,
    source_digest,
)

#: the labels of the concrete derivation a report shows (every label pattern is proven)
REPORT_LABELS = (1, 0)


def derive_for_report(loss, **conventions):
    """Derive ``loss`` at the report's size (D=3, C=3, N=2, every label pattern proven)."""
    return derive(loss, **PROOF_SIZE, y=list(REPORT_LABELS), **conventions)


def _concrete(d):
    """A concrete-size derivation for ``d`` (a symbolic-size derivation is re-derived at the
    report's size with the same conventions)."""
    if getattr(d, "problem", None) is not None:
        return d
    return derive_for_report(d.loss, **d.conventions.as_options())


def build_report(d, *, implementation=None, lang: str = "en") -> Report:
    """The :class:`Report` of a derivation; ``implementation`` is a user's function or an
    :class:`~symderiv.report.code.Implementation`; ``lang`` the language of its words."""
    check_lang(lang)
    if implementation is not None and not isinstance(implementation, Implementation):
        implementation = from_function(implementation)
    return build(_concrete(d), implementation=implementation, generic=_generic(d), lang=lang)


def _generic(d):
    """The symbolic-size derivation (index notation) with ``d``'s conventions, or None where the
    loss has no symbolic form."""
    if getattr(d, "problem", 1) is None:
        return d
    try:
        return d.symbolic()
    except SymderivError:  # a loss without a symbolic form: the report does without
        return None


def basename(d, lang: str = "en") -> str:
    """File name stem of a report: the loss, then every convention that is not the default, then the
    language unless it is English (``hinge-WX-bias-zh``)."""
    c = d.conventions
    parts = [d.loss.name]
    if c.layout != "XW":
        parts.append(c.layout)
    if c.bias:
        parts.append("bias")
    if c.regularizer != "l2":
        parts.append(c.regularizer)
    if c.reduction != "mean":
        parts.append("sum")
    if c.delta != DELTA:
        parts.append(f"delta{str(c.delta).replace('/', '_')}")
    if c.kink != 0:
        parts.append(f"kink{str(c.kink).replace('/', '_')}")
    if check_lang(lang) != "en":
        parts.append(lang)
    return "-".join(parts)


def render_tex(report: Report) -> str:
    """The LaTeX source, carrying the digest of its own content (the PDF carries it too)."""
    return render(report, "tex", source_digest=source_digest(render(report, "tex")))


def render_report(d, fmt: str, *, implementation=None, lang: str = "en") -> str:
    """The report of ``d`` as text: ``fmt`` is "tex", "md" or "html"; ``lang`` "en" or "zh"."""
    report = build_report(d, implementation=implementation, lang=lang)
    return render_tex(report) if fmt == "tex" else render(report, fmt)


@dataclass
class Planned:
    outputs: list[Output]
    tex: bytes | None
    pdf: Path | None
    digest: str
    figures: dict[str, bytes] = field(default_factory=dict)  # what the .tex includes, by file name
    lang: str = "en"


def plan(d, out_dir: Path, formats=FORMATS, *, implementation=None, lang: str = "en") -> Planned:
    """Every file the report of ``d`` consists of, rendered in memory."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ReportError(f"unknown format(s) {', '.join(sorted(unknown))}: choose from {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    report = build_report(d, implementation=implementation, lang=lang)
    stem = basename(d, lang)
    report.name = stem
    outputs: list[Output] = []
    tex = render_tex(report).encode()
    digest = source_digest(render(report, "tex"))
    assert report.figure is not None
    included = {pdf_name(report): figure_pdf(report)}
    if "tex" in formats:
        outputs.append(Output(out_dir / f"{stem}.tex", tex, "tex"))
        outputs += [Output(out_dir / name, data, "figure") for name, data in included.items()]
    if "md" in formats:
        outputs.append(Output(out_dir / f"{stem}.md", render(report, "md").encode(), "md"))
        svg = "<!-- " + "generated by symderiv -->\n" + figure_svg(report) + "\n"
        outputs.append(Output(out_dir / svg_name(report), svg.encode(), "svg"))
    if "html" in formats:
        outputs.append(Output(out_dir / f"{stem}.html", render(report, "html").encode(), "html"))
        outputs += katex_assets(out_dir)
    pdf = out_dir / f"{stem}.pdf" if "pdf" in formats else None
    return Planned(outputs, tex if pdf else None, pdf, digest, included, lang)


def write_report(
    d, out_dir, formats=FORMATS, *, force: bool = False, implementation=None, on_compile=None, lang: str = "en"
) -> WriteResult:
    """Write the report of ``d`` into ``out_dir`` in ``formats``, in language ``lang`` ("en" or "zh";
    a file name ends in ``-zh`` for Chinese). Refuses (before writing anything)
    to replace a file symderiv did not write, unless ``force``. A missing or failing TeX engine is
    reported in ``WriteResult.problems``; the other formats are written regardless. ``on_compile``
    (if given) is called with the .tex file's name before TeX runs, and with None when it is done."""
    p = plan(d, Path(out_dir), formats, implementation=implementation, lang=lang)
    targets = list(p.outputs) + ([Output(p.pdf, None, "pdf")] if p.pdf else [])
    manifest = Manifest(Path(out_dir))
    check_ownership(targets, force, manifest)
    result = WriteResult()
    try:
        for out in p.outputs:
            assert out.data is not None
            manifest.record(out.path, out.data)
            if out.path.is_file() and not out.path.is_symlink() and out.path.read_bytes() == out.data:
                result.unchanged.append(out.path)
                continue
            atomic_write(out.path, out.data)
            result.written.append(out.path)
        if p.pdf is not None and p.tex is not None:
            if pdf_digest(p.pdf) == p.digest:
                result.unchanged.append(p.pdf)
                manifest.record(p.pdf, p.pdf.read_bytes())
            else:
                if on_compile is not None:
                    on_compile(p.pdf.with_suffix(".tex").name)
                try:
                    pdf = compile_pdf(p.pdf.with_suffix(".tex").name, p.tex, p.figures, lang=p.lang)
                    atomic_write(p.pdf, pdf)
                    manifest.record(p.pdf, pdf)
                    result.written.append(p.pdf)
                except TexError as exc:
                    result.problems.append(str(exc))
                finally:
                    if on_compile is not None:
                        on_compile(None)
    finally:
        manifest.save()  # what was written so far is recorded, even when a write failed
    return result


def stale(d, out_dir, formats=FORMATS, lang: str = "en") -> list[str]:
    """What is out of date in ``out_dir`` for the report of ``d`` in ``lang``: one line per file."""
    p = plan(d, Path(out_dir), formats, lang=lang)
    problems = []
    for out in p.outputs:
        if not out.path.exists():
            problems.append(f"missing: {out.path}")
        elif out.path.read_bytes() != out.data:
            problems.append(f"stale: {out.path}")
    if p.pdf is not None:
        got = pdf_digest(p.pdf)
        if got is None:
            problems.append(f"missing: {p.pdf}" if not p.pdf.exists() else f"not made by symderiv: {p.pdf}")
        elif got != p.digest:
            problems.append(f"stale: {p.pdf} (compiled from another version of the .tex)")
    return problems


# ---------------------------------------------------------------- Jupyter


def repr_latex(d) -> str:
    """LaTeX for Jupyter's rich display: the cases, the chain rule and the boxed matrix form."""
    report = build_report(d)
    shown = (("symbolic.cases",), ("artifact.matrix-form",))
    keep = [eq for eq in report.equations if eq.number and eq.claims[:1] in shown]
    first = [eq for eq in report.equations if eq.claims[:1] == ("symbolic.score-gradient",)][:1]
    parts = []
    for eq in first + keep[:3]:
        body = eq.body
        if "&" in body or r"\\" in body:
            body = rf"\begin{{aligned}} {body} \end{{aligned}}"
        parts.append(rf"\boxed{{{body}}}" if eq.boxed else body)
    return "$$\\begin{gathered}" + r" \\[6pt] ".join(parts) + "\\end{gathered}$$"


def repr_markdown(d) -> str:
    """Markdown for Jupyter's rich display: the whole report, the figure inline."""
    report = build_report(d)
    report.inline_svg = True
    return render(report, "md")


DISPLAY["latex"] = repr_latex
DISPLAY["markdown"] = repr_markdown

__all__ = [
    "FORMATS",
    "LANGS",
    "OverwriteError",
    "Report",
    "ReportError",
    "TexError",
    "WriteResult",
    "basename",
    "build_report",
    "derive_for_report",
    "plan",
    "render_report",
    "repr_latex",
    "repr_markdown",
    "stale",
    "write_report",
]
