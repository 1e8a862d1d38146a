"""The picture of a check, for Jupyter: a heatmap of yours − truth over (feature, class) at the
worst probe, drawn with matplotlib (the optional extra ``symderiv[plot]``) and embedded as inline SVG.

Only :meth:`CheckResult._repr_html_ <symderiv.check.result.CheckResult._repr_html_>` imports this
module, so a check never imports matplotlib unless a result is displayed. A wrong class column
shows as one coloured column, a 2λW offset as the pattern of W itself.
"""

from __future__ import annotations

import html
import io

import numpy as np


def heatmap_svg(heatmap: dict) -> str:
    """An inline ``<svg>`` of ``heatmap["difference"]`` (rows features — samples for a loss layer —,
    columns classes), a diverging map centred on 0. Raises ImportError without matplotlib."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global figure state

    diff = np.asarray(heatmap["difference"], dtype=float)
    rows, cols = diff.shape
    limit = float(np.abs(diff).max()) or 1.0
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "symderiv"}):
        fig = Figure(figsize=(min(max(4.2, 1.6 + 0.6 * cols), 9.0), min(1.8 + 0.45 * rows, 7.0)), layout="constrained")
        ax = fig.add_subplot()
        image = ax.imshow(diff, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
        fig.colorbar(image, ax=ax, label="yours − truth")
        ax.set_xlabel("class")
        ax.set_ylabel(heatmap.get("rows", "feature"))
        grad = "dx" if heatmap.get("rows") == "sample" else "dW"
        ax.set_title(f"{grad}: yours − truth\nprobe {heatmap['probe']} ({heatmap.get('sizes', '')})", fontsize=9)
        if cols <= 20:
            ax.set_xticks(range(cols))
        if rows <= 20:
            ax.set_yticks(range(rows))
        if rows * cols <= 60:
            for (u, v), value in np.ndenumerate(diff):
                if value:
                    colour = "white" if abs(value) > 0.6 * limit else "black"
                    ax.text(v, u, f"{value:.2g}", ha="center", va="center", fontsize=7, color=colour)
        out = io.StringIO()
        fig.savefig(out, format="svg")
    svg = out.getvalue()
    return svg[svg.index("<svg") :]  # inline: no XML prolog, no DOCTYPE


def result_html(report: str, heatmap: dict | None) -> str:
    """The report as escaped preformatted text, and the heatmap when there is one (and matplotlib)."""
    parts = ['<div class="symderiv-check">']
    if heatmap is not None:
        try:
            parts.append(heatmap_svg(heatmap))
        except ImportError:
            parts.append("<p><em>install symderiv[plot] (matplotlib) for the heatmap of yours − truth</em></p>")
    parts.append(f"<pre>{html.escape(report)}</pre>")
    parts.append("</div>")
    return "\n".join(parts)
