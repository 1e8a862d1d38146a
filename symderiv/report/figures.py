"""The loss of one sample as a function of the margin, and its derivative: computed from the loss's
own definition (two classes, label 0, Δ = 1 unless the conventions fix it) and drawn once by
matplotlib — the same figure as SVG (Markdown, HTML, Jupyter) and as PDF (included by the .tex).

matplotlib is used through :class:`matplotlib.figure.Figure` and a backend's canvas only (no pyplot, no
global state), and imported only when a figure is drawn. Its output is deterministic: no dates, a fixed
SVG hash salt, glyphs as paths, so the staleness check of ``reports/`` compares like with like."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

import sympy as sp

from ..codegen.lambdify import lambdify
from ..conventions import DELTA
from ..losses import ConcreteIndexing
from ..render.notation import latex
from .i18n import messages

X_RANGE = (-2.5, 1.5)
STEPS = 160
JUMP = 0.5  # a derivative that moves more than this between neighbouring points has a jump there


@dataclass(frozen=True)
class Curve:
    label: str  # LaTeX (math), as matplotlib's mathtext reads it
    dashed: bool
    color: str  # hex
    segments: tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True)
class Figure:
    caption: str  # prose with inline $…$
    curves: tuple[Curve, ...]
    kink: float | None  # where the margin is zero
    delta: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    kink_label: str = r"margin zero: $s_j - s_{y_i} = -\Delta$"  # the legend's words for the dotted line
    lang: str = "en"  # the language of its words: a CJK font for "zh"


def margin_figure(d, lang: str = "en") -> Figure:
    """L_i and ∂L_i/∂s_j for two classes as functions of t = s_j − s_{y_i}, with words in ``lang``."""
    m = messages(lang)
    loss, c = d.loss, d.conventions
    t = sp.Symbol("t", real=True)
    delta = 1 if c.delta == DELTA or not loss.uses_delta else c.delta
    s = [sp.Integer(0), t]
    ix = ConcreteIndexing(2, 0)
    numbers = loss.numbers(c.hyper)  # the loss's own hyperparameters: as given, else their defaults
    at = tuple((name, sp.nsimplify(value)) for name, value in numbers.items())
    value = loss.bind(loss.sample(s, 0, sp.sympify(delta), ix), at)
    slope = loss.bind(loss.score_gradient(s, 0, 1, sp.sympify(delta), ix), at)
    xs = [X_RANGE[0] + (X_RANGE[1] - X_RANGE[0]) * k / STEPS for k in range(STEPS + 1)]
    kink = -float(delta) if loss.kinky else None
    if kink is not None and kink not in xs:
        xs = sorted([*xs, kink])
    f = lambdify([t], value, c.kink)
    g = lambdify([t], slope, c.kink)
    loss_pts = [(x, float(f(x))) for x in xs]
    slope_pts = [(x, float(g(x))) for x in xs]
    curves = (
        Curve(r"L_i", False, "1f4e9c", _segments(loss_pts)),
        Curve(r"\partial L_i / \partial s_j", True, "c0392b", _segments(slope_pts)),
    )
    ys = [y for cv in curves for seg in cv.segments for _, y in seg]
    y_top = max(1.0, float(int(max(ys)) + 1))
    y_bottom = min(0.0, float(int(min(ys)) - (1 if min(ys) < 0 else 0)))
    where = m("figure.where.delta", delta=latex(delta)) + (m("figure.where.symbolic") if c.delta == DELTA else "")
    if not loss.uses_delta:
        where = m("figure.where.two")
    where += "".join(
        m("figure.where.hyper", symbol=latex(h.symbol), value=f"{numbers[h.name]:g}") for h in loss.hyperparameters
    )
    caption = m("figure.caption", where=where)
    if kink is not None:
        caption += m("figure.caption.kink")
    return Figure(caption, curves, kink, float(delta), X_RANGE, (y_bottom, y_top), m("figure.kink"), lang)


def _segments(points: list[tuple[float, float]]) -> tuple[tuple[tuple[float, float], ...], ...]:
    out: list[list[tuple[float, float]]] = [[points[0]]]
    for a, b in zip(points, points[1:], strict=False):
        if abs(b[1] - a[1]) > JUMP:
            out.append([])
        out[-1].append(b)
    return tuple(tuple(seg) for seg in out if len(seg) > 1)


# ---------------------------------------------------------------- drawing (matplotlib)

#: the printed size in inches: the .tex includes the PDF at exactly this size (A4's text is 6.46 in wide)
SIZE = (5.6, 3.1)
FONT_PT = 10  # labels and legend
TICK_PT = 9  # tick labels: the smallest text of the figure
STYLE: Any = {  # rcParams (typed Any: matplotlib types the keys as literals)
    "font.family": "STIXGeneral",  # bundled with matplotlib; Times-like, with its math (STIX) to match
    "mathtext.fontset": "stix",
    "font.size": FONT_PT,
    "axes.labelsize": FONT_PT,
    "legend.fontsize": FONT_PT,
    "xtick.labelsize": TICK_PT,
    "ytick.labelsize": TICK_PT,
    "axes.unicode_minus": True,
    "svg.fonttype": "path",  # text as glyph outlines: looks the same in every browser and viewer
    "svg.hashsalt": "symderiv",  # fixed ids: deterministic SVG
    "pdf.fonttype": 42,
    "path.simplify": False,
}
KINK_COLOR = "#777777"
#: what a figure in another language changes in :data:`STYLE`: a CJK font for the words (matplotlib falls back to
#: it for the glyphs STIX lacks; plain text only: math stays STIX), embedded as Type 3 glyphs (Noto's CFF outlines
#: are no TrueType font for a Type 42 embedding)
LANG_STYLE: dict[str, Any] = {
    "zh": {"font.family": ["STIXGeneral", "Noto Sans CJK SC"], "pdf.fonttype": 3},
}


def style(lang: str = "en") -> Any:
    """The rcParams of a figure with words in ``lang``."""
    return {**STYLE, **LANG_STYLE.get(lang, {})}


def draw(fig: Figure) -> Any:
    """The figure as a :class:`matplotlib.figure.Figure`: both curves, the kink (dotted), a tick at
    every whole number including 0, and a legend below the axes (no label inside the plot area, so
    no label can cover a curve or another label)."""
    import matplotlib
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import MultipleLocator

    with matplotlib.rc_context(style(fig.lang)):
        mpl = MplFigure(figsize=SIZE, layout="constrained")
        ax = mpl.add_subplot()
        x0, x1 = fig.x_range
        y0, y1 = fig.y_range
        ax.axhline(0, color="#333333", linewidth=0.8, zorder=1)
        ax.axvline(0, color="#333333", linewidth=0.8, zorder=1)
        for cv in fig.curves:
            for k, seg in enumerate(cv.segments):
                xs, ys = zip(*seg, strict=True)
                ax.plot(
                    xs,
                    ys,
                    color=f"#{cv.color}",
                    linewidth=2,
                    linestyle=(0, (5, 3)) if cv.dashed else "-",
                    label=f"${cv.label}$" if k == 0 else None,
                    zorder=3,
                )
        if fig.kink is not None:
            ax.axvline(
                fig.kink,
                color=KINK_COLOR,
                linewidth=1,
                linestyle=(0, (1, 2)),
                label=fig.kink_label,
                zorder=2,
            )
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0 - 0.15, y1 + 0.15)
        ax.xaxis.set_major_locator(MultipleLocator(1))
        ax.yaxis.set_major_locator(MultipleLocator(1))
        ax.grid(True, color="#e6e6e6", linewidth=0.6, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(r"$t = s_j - s_{y_i}$")
        mpl.legend(loc="outside lower center", ncols=3, frameon=False, handlelength=2.6, columnspacing=1.6)
    return mpl


@lru_cache(maxsize=32)
def svg(fig: Figure, title: str) -> str:
    """The figure as SVG text (no XML declaration, so it can sit inline in HTML or Markdown)."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    mpl = draw(fig)
    FigureCanvasSVG(mpl)
    buf = io.StringIO()
    with matplotlib.rc_context(style(fig.lang)):
        mpl.savefig(buf, format="svg", metadata={"Date": None, "Creator": "symderiv", "Title": title})
    text = buf.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and DOCTYPE
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)  # RDF: namespaces, no dates
    text = re.sub(r"\s*<!--.*?-->", "", text, flags=re.S)  # each label's source, e.g. $L_i$: not for KaTeX
    return text.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1).strip()


@lru_cache(maxsize=32)
def pdf(fig: Figure, title: str) -> bytes:
    """The figure as a PDF of its printed size (:data:`SIZE`), for the .tex to include as it is."""
    import matplotlib
    from matplotlib.backends.backend_pdf import FigureCanvasPdf

    mpl = draw(fig)
    FigureCanvasPdf(mpl)
    buf = io.BytesIO()
    with matplotlib.rc_context(style(fig.lang)):
        mpl.savefig(
            buf, format="pdf", metadata={"CreationDate": None, "ModDate": None, "Creator": "symderiv", "Title": title}
        )
    return buf.getvalue()
