"""Stage 6 (terminal): a derivation as text a person reads in a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .notation import text

if TYPE_CHECKING:
    from .derivation import Derivation


def text_report(d: Derivation, entry: tuple[int, int] | None = None) -> str:
    """The per-element derivative of one entry, the closed forms, and the proof status."""
    p = d._concrete()
    loss = d.loss
    y0 = p.y[0]
    u, v = entry if entry is not None else (0, y0 if p.C > 1 else 0)
    other = next(j for j in range(p.C) if j != y0)
    lines = [
        f"{loss.title} — {loss.description}",
        f"size D={p.D}, C={p.C}, N={p.N}, labels y={list(p.y)}",
        *("  " + c for c in d.conventions.describe()),
        "",
        "Per-sample derivative through the scores (sample 0, label y_0 = %d):" % y0,
        f"  ∂L_0/∂s[0,{other}] = {text(d.score_gradient[0, other])}      (j ≠ y_0)",
        f"  ∂L_0/∂s[0,{y0}] = {text(d.score_gradient[0, y0])}      (j = y_0)",
        "",
        "Closed form (the notes' cases, proven equal to the derivation above):",
        *_closed_form_lines(d),
        "",
        f"Derived ∂L/∂w[{u},{v}]:",
        "  " + text(d.entry(u, v)),
        "",
        "Proof:",
        *("  " + c.line() for c in d.claims),
        "",
        f"{'PROVED' if d.proved else 'NOT PROVED'}: {d.summary()}",
    ]
    return "\n".join(lines)


def _closed_form_lines(d: Derivation) -> list[str]:
    """The closed forms in index notation, from the symbolic-size derivation of the same loss."""
    from .errors import SymderivError

    try:
        generic = d.symbolic()
    except SymderivError:  # a loss without a symbolic-size form: the definition's own words
        loss = d.loss
        return [
            "  ∂L_i/∂s_j = " + _plain(loss.latex.get("ds_other", "(see the definition)")) + "   for j ≠ y_i",
            "  ∂L_i/∂s_j = " + _plain(loss.latex.get("ds_label", "(see the definition)")) + "   for j = y_i",
            "  ∂L_i/∂w_uv = x_iu · ∂L_i/∂s_v",
            "  dW = %s" % _matrix_form(d),
        ]
    lines = generic.text().splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip().startswith("∂L_i/∂s[i,j]"))
    end = next(n for n, line in enumerate(lines) if line.strip().startswith("matrix form"))
    return lines[start : end + 1]


def _matrix_form(d: Derivation) -> str:
    c = d.conventions
    scale = "/N" if c.reduction == "mean" else ""
    reg = {"l2": " + 2λW", "half-l2": " + λW", "none": ""}[c.regularizer]
    G = d.loss.weights_name
    G = f"({G})" if " " in G else G
    core = f"Xᵀ{G}{scale}" if c.layout == "XW" else f"{G}ᵀXᵀ{scale}".replace("(P - Y)ᵀ", "(P - Y)ᵀ")
    return core + reg


_PLAIN = [
    (r"\mathbb{1}", "1"),
    (r"\left[", "["),
    (r"\right]", "]"),
    (r"\left(", "("),
    (r"\right)", ")"),
    (r"\;", " "),
    (r"\ne", "≠"),
    (r"\Delta", "Δ"),
    (r"\sum", "Σ"),
    (r"\max", "max"),
    (r"\log", "log"),
    (r"\frac{e^{s_j}}{\sum_k e^{s_k}}", "exp(s_j) / Σ_k exp(s_k)"),
]


def _plain(latex: str) -> str:
    for a, b in sorted(_PLAIN, key=lambda t: -len(t[0])):
        latex = latex.replace(a, b)
    return latex.replace("{", "").replace("}", "").replace("  ", " ")
