"""The loss of one sample as a function of the margin, and its derivative: drawn from the loss's
own definition (two classes, label 0, Δ = 1 unless the conventions fix it), as pgfplots
coordinates for LaTeX and as an SVG written here (no plotting library)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import sympy as sp

from ..codegen.lambdify import lambdify
from ..conventions import DELTA
from ..losses import ConcreteIndexing
from ..render.notation import latex

X_RANGE = (-2.5, 1.5)
STEPS = 160
JUMP = 0.5  # a derivative that moves more than this between neighbouring points has a jump there


@dataclass(frozen=True)
class Curve:
    label: str  # LaTeX (math)
    text: str  # the same as SVG text markup
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


def margin_figure(d) -> Figure:
    """L_i and ∂L_i/∂s_j for two classes as functions of t = s_j − s_{y_i}."""
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
        Curve(r"L_i", "L" + _sub("i"), False, "1f4e9c", _segments(loss_pts)),
        Curve(
            r"\partial L_i / \partial s_j", "∂L" + _sub("i") + "/∂s" + _sub("j"), True, "c0392b", _segments(slope_pts)
        ),
    )
    ys = [y for cv in curves for seg in cv.segments for _, y in seg]
    y_top = max(1.0, float(int(max(ys)) + 1))
    y_bottom = min(0.0, float(int(min(ys)) - (1 if min(ys) < 0 else 0)))
    where = f"$\\Delta = {latex(delta)}$" + ("; the derivation keeps $\\Delta$ symbolic" if c.delta == DELTA else "")
    if not loss.uses_delta:
        where = "two classes"
    where += "".join(f"; ${latex(h.symbol)} = {numbers[h.name]:g}$" for h in loss.hyperparameters)
    caption = (
        f"One sample with two classes, as a function of the score difference $t = s_j - s_{{y_i}}$ "
        f"({where}): the loss $L_i$ (solid) and its derivative $\\partial L_i/\\partial s_j$ (dashed)."
    )
    if kink is not None:
        caption += " The dotted line marks where the margin $s_j - s_{y_i} + \\Delta$ is zero."
    return Figure(caption, curves, kink, float(delta), X_RANGE, (y_bottom, y_top))


def _sub(text: str) -> str:
    return f'<tspan baseline-shift="sub" font-size="10">{text}</tspan>'


def _segments(points: list[tuple[float, float]]) -> tuple[tuple[tuple[float, float], ...], ...]:
    out: list[list[tuple[float, float]]] = [[points[0]]]
    for a, b in zip(points, points[1:], strict=False):
        if abs(b[1] - a[1]) > JUMP:
            out.append([])
        out[-1].append(b)
    return tuple(tuple(seg) for seg in out if len(seg) > 1)


def _n(x: float) -> str:
    out = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


# ---------------------------------------------------------------- pgfplots


def pgfplots(fig: Figure) -> str:
    """A ``tikzpicture`` with pgfplots coordinates (no computation in TeX)."""
    x0, x1 = fig.x_range
    y0, y1 = fig.y_range
    lines = [
        r"\begin{tikzpicture}",
        r"\begin{axis}[width=0.8\linewidth, height=5.2cm, axis lines=middle, "
        rf"xmin={_n(x0)}, xmax={_n(x1)}, ymin={_n(y0)}, ymax={_n(y1 + 0.4)}, "
        r"xlabel={$t$}, x label style={at={(current axis.right of origin)}, anchor=west}, "
        r"legend pos=north west, legend cell align=left, tick label style={font=\footnotesize}, "
        r"clip=false]",
    ]
    for cv in fig.curves:
        r, g, b = (int(cv.color[k : k + 2], 16) for k in (0, 2, 4))
        style = f"color={{rgb,255:red,{r};green,{g};blue,{b}}}"
        style += ", thick" + (", dashed" if cv.dashed else "")
        for k, seg in enumerate(cv.segments):
            coords = " ".join(f"({_n(x)},{_n(y)})" for x, y in seg)
            lines.append(rf"\addplot[{style}{', forget plot' if k else ''}] coordinates {{{coords}}};")
            if k == 0:
                lines.append(rf"\addlegendentry{{${cv.label}$}}")
    if fig.kink is not None:
        lines.append(
            rf"\draw[densely dotted, gray] (axis cs:{_n(fig.kink)},{_n(y0)}) -- (axis cs:{_n(fig.kink)},{_n(y1)});"
        )
        lines.append(
            rf"\node[anchor=south west, font=\footnotesize, gray] at (axis cs:{_n(fig.kink)},{_n(y1)}) "
            r"{$s_j - s_{y_i} = -\Delta$};"
        )
    lines += [r"\end{axis}", r"\end{tikzpicture}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- SVG

W, H = 560, 300
LEFT, RIGHT, TOP, BOTTOM = 40, 20, 28, 36


def svg(fig: Figure, title: str) -> str:
    """A standalone SVG of the figure (deterministic text)."""
    x0, x1 = fig.x_range
    y0, y1 = fig.y_range[0], fig.y_range[1] + 0.4

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT)

    def py(y: float) -> float:
        return H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="{escape(title)}" font-family="Georgia, \'Times New Roman\', serif" '
        'font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>',
    ]
    # grid and ticks
    for k in range(int(x0), int(x1) + 1):
        out.append(f'<line x1="{px(k):.1f}" y1="{py(y0):.1f}" x2="{px(k):.1f}" y2="{py(y1):.1f}" stroke="#eeeeee"/>')
        out.append(
            f'<text x="{px(k):.1f}" y="{py(0) + 16:.1f}" text-anchor="middle" fill="#555555" '
            f'font-size="11">{"−" if k < 0 else ""}{abs(k)}</text>'
        )
    for k in range(int(y0), int(y1) + 1):
        if k == 0:
            continue
        out.append(f'<line x1="{px(x0):.1f}" y1="{py(k):.1f}" x2="{px(x1):.1f}" y2="{py(k):.1f}" stroke="#eeeeee"/>')
        out.append(
            f'<text x="{px(0) - 6:.1f}" y="{py(k) + 4:.1f}" text-anchor="end" fill="#555555" '
            f'font-size="11">{"−" if k < 0 else ""}{abs(k)}</text>'
        )
    # axes
    out.append(f'<line x1="{px(x0):.1f}" y1="{py(0):.1f}" x2="{px(x1):.1f}" y2="{py(0):.1f}" stroke="#333333"/>')
    out.append(f'<line x1="{px(0):.1f}" y1="{py(y0):.1f}" x2="{px(0):.1f}" y2="{py(y1):.1f}" stroke="#333333"/>')
    out.append(
        f'<text x="{px(x1):.1f}" y="{py(0) - 8:.1f}" text-anchor="end" font-style="italic">'
        't = s<tspan baseline-shift="sub" font-size="10">j</tspan> − s<tspan baseline-shift="sub" '
        'font-size="10">y<tspan font-size="8">i</tspan></tspan></text>'
    )
    if fig.kink is not None:
        kx = px(fig.kink)
        out.append(
            f'<line x1="{kx:.1f}" y1="{py(y0):.1f}" x2="{kx:.1f}" y2="{py(fig.y_range[1]):.1f}" '
            'stroke="#888888" stroke-dasharray="2 3"/>'
        )
        out.append(
            f'<text x="{kx + 5:.1f}" y="{py(fig.y_range[1]) + 4:.1f}" text-anchor="start" fill="#666666" '
            'font-size="11">margin zero: t = −Δ</text>'
        )
    for cv in fig.curves:
        dash = ' stroke-dasharray="7 4"' if cv.dashed else ""
        for seg in cv.segments:
            pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in seg)
            out.append(
                f'<polyline points="{pts}" fill="none" stroke="#{cv.color}" stroke-width="2.2"{dash} '
                'stroke-linejoin="round"/>'
            )
    # legend
    lx, ly = LEFT + 14, TOP + 8
    out.append(f'<rect x="{lx - 8}" y="{ly - 14}" width="132" height="46" fill="#ffffff" stroke="#dddddd"/>')
    for k, cv in enumerate(fig.curves):
        y = ly + 18 * k
        dash = ' stroke-dasharray="7 4"' if cv.dashed else ""
        out.append(
            f'<line x1="{lx}" y1="{y - 4}" x2="{lx + 28}" y2="{y - 4}" stroke="#{cv.color}" stroke-width="2.2"{dash}/>'
        )
        out.append(f'<text x="{lx + 36}" y="{y}" font-style="italic">{cv.text}</text>')
    out.append("</svg>")
    return "\n".join(out)
