"""The report's figure: one matplotlib drawing for every format (SVG for Markdown and HTML, PDF for the
.tex), its curves computed from the loss's definition (compared here with hand-written NumPy), a tick
at 0, text of at least 9 pt at the printed size, no two labels on top of each other or on the plot."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from symderiv.report import build_report, derive_for_report, figures, render_report
from symderiv.report.render import figure_pdf, figure_svg

LOSSES = ["hinge", "squared-hinge", "softmax"]
TEXT_WIDTH_IN = (21.0 - 2 * 2.3) / 2.54  # A4 with the template's 2.3 cm margins

REFERENCE = {  # one sample, two classes, label 0, Δ = 1: t = s_1 - s_0
    "hinge": (lambda t: np.maximum(0, t + 1), lambda t: (t + 1 > 0).astype(float)),
    "squared-hinge": (lambda t: np.maximum(0, t + 1) ** 2, lambda t: 2 * np.maximum(0, t + 1)),
    "softmax": (lambda t: np.log1p(np.exp(t)), lambda t: np.exp(t) / (1 + np.exp(t))),
}


@pytest.fixture(scope="module")
def reports():
    return {name: build_report(derive_for_report(name)) for name in LOSSES}


@pytest.mark.parametrize("name", LOSSES)
def test_curves_are_the_loss_and_its_derivative(reports, name):
    loss_curve, slope_curve = reports[name].figure.curves
    for curve, ref in zip((loss_curve, slope_curve), REFERENCE[name], strict=True):
        pts = np.array([p for seg in curve.segments for p in seg])
        assert len(pts) > 100
        if name == "hinge" and curve is slope_curve:
            pts = pts[pts[:, 0] != -1.0]  # the kink: its value is the convention's, checked elsewhere
        np.testing.assert_allclose(pts[:, 1], ref(pts[:, 0]), rtol=1e-12, atol=1e-12)


def _texts(mpl):
    """Every text the drawing shows: matplotlib keeps (undrawn) labels of ticks outside the view too."""
    from matplotlib.text import Text

    mpl.draw_without_rendering()
    (ax,) = mpl.axes
    shown, hidden = [], []
    for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        for tick in axis.get_major_ticks():
            (shown if lo <= tick.get_loc() <= hi else hidden).append(tick.label1)
    ids = {id(t) for t in hidden}
    return [t for t in mpl.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in ids]


@pytest.mark.parametrize("name", LOSSES)
def test_labels_are_legible_and_never_collide(reports, name):
    mpl = figures.draw(reports[name].figure)
    width, height = mpl.get_size_inches()
    assert width <= TEXT_WIDTH_IN and height < width  # printed at its own size: points are points
    texts = _texts(mpl)
    assert len(texts) >= 8
    for t in texts:
        assert t.get_fontsize() >= 9, (t.get_text(), t.get_fontsize())
    boxes = [(t.get_text(), t.get_window_extent()) for t in texts]
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        assert not ba.overlaps(bb), f"{a!r} and {b!r} overlap"
    (ax,) = mpl.axes
    plot_area = ax.get_window_extent()
    for text, box in boxes:  # tick labels, axis label and legend all lie outside the plotted area
        assert not box.overlaps(plot_area), text
    figure_box = mpl.bbox
    for text, box in boxes:
        assert figure_box.contains(box.x0, box.y0) and figure_box.contains(box.x1, box.y1), text
    xticks = [t.get_text() for t in texts if t in ax.get_xticklabels()]
    yticks = [t.get_text() for t in texts if t in ax.get_yticklabels()]
    assert "0" in xticks and "0" in yticks and "−1" in xticks


def test_every_format_shows_the_same_drawing(reports):
    report = reports["hinge"]
    svg, pdf = figure_svg(report), figure_pdf(report)
    w, h = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    box = [float(v) for v in re.search(rb"/MediaBox \[\s*([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)\s*\]", pdf).groups()]
    assert (w, h) == (box[2], box[3]) == pytest.approx(tuple(72 * s for s in figures.SIZE))
    assert "<path" in svg and svg.count("<path") > 20
    # the .tex includes that PDF at its own size, and names its digest (a new drawing is a new .tex)
    tex = render_report(derive_for_report("hinge"), "tex")
    assert r"\includegraphics{hinge-margin.pdf}" in tex and "pgfplots" not in tex and "tikzpicture" not in tex
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() in tex
    html = render_report(derive_for_report("hinge"), "html")
    assert svg in html


@pytest.mark.parametrize("name", LOSSES)
def test_output_is_deterministic(reports, name):
    fig = reports[name].figure
    svg1, svg2 = figures.svg.__wrapped__(fig, "t"), figures.svg.__wrapped__(fig, "t")
    pdf1, pdf2 = figures.pdf.__wrapped__(fig, "t"), figures.pdf.__wrapped__(fig, "t")
    assert svg1 == svg2 and pdf1 == pdf2
    assert "<dc:date>" not in svg1 and b"/CreationDate" not in pdf1
