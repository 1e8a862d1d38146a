"""A derivation as text a person reads in a terminal.

This module sits below :mod:`symderiv.derive` (whose results print through it), so it reads a
derivation through its public attributes only and imports none of the derive stage."""

from __future__ import annotations

from typing import Any

from ..conventions import Conventions
from ..errors import SymderivError
from .notation import text


def text_report(d: Any, entry: tuple[int, int] | None = None) -> str:
    """The per-element derivative of one entry, the closed forms, and the proof status."""
    p = d.concrete()
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


def _closed_form_lines(d: Any) -> list[str]:
    """The closed forms in index notation, from the symbolic-size derivation of the same loss."""
    try:
        generic = d.symbolic()
    except SymderivError:  # a loss without a symbolic-size form: the definition's own words
        loss = d.loss
        return [
            "  ∂L_i/∂s_j = " + _plain(loss.latex.get("ds_other", "(see the definition)")) + "   for j ≠ y_i",
            "  ∂L_i/∂s_j = " + _plain(loss.latex.get("ds_label", "(see the definition)")) + "   for j = y_i",
            "  ∂L_i/∂w_uv = x_iu · ∂L_i/∂s_v",
            "  dW = %s" % matrix_form_text(d.conventions, d.loss.weights_name),
        ]
    lines = generic.text().splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip().startswith("∂L_i/∂s[i,j]"))
    end = next(n for n, line in enumerate(lines) if line.strip().startswith("matrix form"))
    return lines[start : end + 1]


def matrix_form_text(c: Conventions, weights_name: str) -> str:
    """The matrix form dW = … as one line of text, for a loss whose weight matrix is ``weights_name``."""
    scale = "/N" if c.reduction == "mean" else ""
    reg = {"l2": " + 2λW", "half-l2": " + λW", "none": ""}[c.regularizer]
    G = f"({weights_name})" if " " in weights_name else weights_name
    core = f"Xᵀ{G}{scale}" if c.layout == "XW" else f"{G}ᵀXᵀ{scale}"
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
