"""Dogfood (issue 11): every equation in symderiv's own reports — every loss, convention and language —
is one that ``symderiv verify`` proves, with the loss and the conventions it infers from the report itself.

The reports are generated here, through the report API, from whatever the report module prints now: a new
section, a new language or a new way of laying out an equation that the verifier does not understand fails
this test, with the line, the equation and the reason. What is covered:

* every built-in loss, in a pairwise covering set of the conventions layout × bias × regularizer × reduction
  (every pair of values of two conventions appears in some report; 6 reports per loss, the default
  conventions among them), in Markdown;
* every built-in loss in the default conventions and with every convention changed at once, in LaTeX;
* the kink convention κ = ½ and a numeric Δ = 1 (hinge, Crammer–Singer);
* every language the ``report`` command offers (``--lang``), in the default conventions;
* the committed example reports in ``reports/`` (Markdown and LaTeX).
"""

from __future__ import annotations

import inspect
import itertools
import re
from pathlib import Path

import pytest

import symderiv
from symderiv.losses import builtin_names
from symderiv.report import basename, derive_for_report, render_report
from symderiv.report.cli import report_command

REPORTS = Path(__file__).resolve().parent.parent / "reports"
FACTORS = {
    "layout": ("XW", "WX"),
    "bias": (False, True),
    "regularizer": ("l2", "half-l2", "none"),
    "reduction": ("mean", "sum"),
}
DEFAULT = {"layout": "XW", "bias": False, "regularizer": "l2", "reduction": "mean"}


def pairwise(factors: dict) -> list[dict]:
    """A small set of configurations in which every pair of values of two factors appears (greedy,
    deterministic), the default first."""
    names = list(factors)
    uncovered = {((a, x), (b, y)) for a, b in itertools.combinations(names, 2) for x in factors[a] for y in factors[b]}

    def pairs(config: dict) -> set:
        return {((a, config[a]), (b, config[b])) for a, b in itertools.combinations(names, 2)}

    chosen = [dict(DEFAULT)]
    uncovered -= pairs(DEFAULT)
    candidates = [dict(zip(names, values, strict=True)) for values in itertools.product(*factors.values())]
    while uncovered:
        best = max(candidates, key=lambda c: len(pairs(c) & uncovered))
        chosen.append(best)
        uncovered -= pairs(best)
    return chosen


def test_the_pairwise_set_covers_every_pair():
    configs = pairwise(FACTORS)
    for a, b in itertools.combinations(FACTORS, 2):
        for x, y in itertools.product(FACTORS[a], FACTORS[b]):
            assert any(c[a] == x and c[b] == y for c in configs), (a, x, b, y)
    assert len(configs) <= 8


def languages() -> tuple[str | None, ...]:
    """The report's languages as symderiv offers them (``symderiv.report.i18n.LANGS``, what ``--lang`` takes)."""
    from symderiv.report.i18n import LANGS

    assert any(param.name == "lang" for param in report_command.params), "the report command lost --lang"
    return tuple(LANGS)


def _language_keyword() -> str | None:
    accepted = inspect.signature(render_report).parameters
    return next((k for k in ("lang", "language") if k in accepted), None)


def report_text(loss: str, fmt: str, lang: str | None = None, **conventions) -> tuple[str, object]:
    d = derive_for_report(loss, **conventions)
    options = {}
    if lang is not None:
        keyword = _language_keyword()
        assert keyword is not None, (
            "the report command has --lang but render_report takes no language: update this test"
        )
        options[keyword] = lang
    return render_report(d, fmt, **options), d


def numbered_lines(text: str) -> list[int]:
    """The line where each numbered (``\\tag``) displayed equation's content starts — an independent
    reading of the report, so that no numbered equation can go unchecked without this test noticing."""
    lines = text.split("\n")
    closers = {"$$": "$$", "\\[": "\\]", "\\begin{equation": "\\end{equation", "\\begin{align": "\\end{align"}
    out = []
    k = 0
    while k < len(lines):
        opener = next((o for o in closers if lines[k].strip().startswith(o)), None)
        if opener is None:
            k += 1
            continue
        end = next(e for e in range(k + 1, len(lines)) if closers[opener] in lines[e])
        if any("\\tag{" in line for line in lines[k : end + 1]):
            out.append(next(i for i in range(k + 1, end + 1) if lines[i].strip()) + 1)
        k = end + 1
    return out


# The equations of the reports that may stay "not understood" (never "refuted"), each with the reason no
# honest reader of the math can do better. None today: a report equation the verifier cannot read is fixed in
# the report's printer (symderiv/report/*) or in the verifier, never listed here without a reason.
EXCEPTIONS: dict[str, str] = {}


def assert_all_proved(text: str, fmt: str, where: str, d=None) -> symderiv.notes.NotesResult:
    result = symderiv.verify_notes(text, tex=fmt == "tex")
    refuted = [c for c in result.claims if c.verdict == "refuted"]
    assert not refuted, f"{where}: refuted: " + "; ".join(f"line {c.line}: {c.latex}" for c in refuted)
    bad = [c for c in result.claims if c.verdict != "proved" and " ".join(c.latex.split()) not in EXCEPTIONS]
    assert not bad, f"{where}: {len(bad)} of {len(result.claims)} equations not proved:\n" + "\n".join(
        f"  line {c.line}: {c.verdict}: {' '.join(c.latex.split())[:150]}\n    {c.reason} {c.counterexample or ''}"
        for c in bad
    )
    assert len(result.claims) >= 20, f"{where}: only {len(result.claims)} equations found"
    claimed = {c.line for c in result.claims}
    missed = [line for line in numbered_lines(text) if line not in claimed]
    assert not missed, f"{where}: numbered equations at lines {missed} are not among the verified claims"
    if d is not None:  # the conventions the claims were checked in are the report's own, read from the report
        c = d.conventions
        assert result.loss == d.loss.name, (where, result.loss)
        got = result.conventions
        assert (got["layout"], got["regularizer"], got["reduction"], got["bias"]) == (
            c.layout,
            c.regularizer,
            c.reduction,
            c.bias,
        ), (where, got)
        assert str(got["kink"]) == str(c.kink), (where, got)
    return result


CONFIGS = [(loss, config) for loss in builtin_names() for config in pairwise(FACTORS)]


@pytest.mark.parametrize(
    ("loss", "config"), CONFIGS, ids=[f"{lo}-{'-'.join(map(str, c.values()))}" for lo, c in CONFIGS]
)
def test_every_equation_of_the_markdown_report_is_proved(loss, config):
    text, d = report_text(loss, "md", **config)
    assert_all_proved(text, "md", basename(d), d)


ALL_CHANGED = {"layout": "WX", "bias": True, "regularizer": "half-l2", "reduction": "sum"}


@pytest.mark.parametrize("config", [DEFAULT, ALL_CHANGED], ids=["default", "all-changed"])
@pytest.mark.parametrize("loss", builtin_names())
def test_every_equation_of_the_latex_report_is_proved(loss, config):
    text, d = report_text(loss, "tex", **config)
    assert_all_proved(text, "tex", basename(d) + ".tex", d)


@pytest.mark.parametrize(
    ("loss", "config"),
    [
        ("hinge", {"kink": "1/2"}),
        ("crammer-singer", {"kink": "1/2"}),
        ("hinge", {"delta": 1}),
        ("squared-hinge", {"kink": 1, "layout": "WX"}),
    ],  # fmt: skip
    ids=["hinge-kink-half", "crammer-singer-kink-half", "hinge-delta-1", "squared-hinge-kink-1-WX"],
)
def test_the_kink_and_the_margin_as_the_report_states_them(loss, config):
    text, d = report_text(loss, "md", **config)
    result = assert_all_proved(text, "md", basename(d), d)
    if "delta" in config:
        assert result.conventions["delta"] == "1"


@pytest.mark.parametrize("lang", [lang for lang in languages() if lang is not None] or [None])
@pytest.mark.parametrize("loss", builtin_names())
def test_every_language(loss, lang):
    if lang is None:
        pytest.skip("the report command offers no --lang: the default language is covered above")
    for fmt in ("md", "tex"):
        text, d = report_text(loss, fmt, lang)
        assert_all_proved(text, fmt, f"{basename(d)}.{fmt} ({lang or 'default language'})", d)


@pytest.mark.parametrize("path", sorted([*REPORTS.glob("*.md"), *REPORTS.glob("*.tex")]), ids=lambda p: p.name)
def test_the_committed_reports(path):
    fmt = "tex" if path.suffix == ".tex" else "md"
    assert_all_proved(path.read_text(encoding="utf-8"), fmt, str(path.relative_to(REPORTS.parent)))


def test_a_wrong_equation_in_a_report_is_caught():
    # the test's own control: the same report with one proven formula changed is not all proved
    text, d = report_text("hinge", "md")
    wrong = text.replace(
        r"\frac{\partial R}{\partial w_{uv}} = 2 \lambda w_{uv}", r"\frac{\partial R}{\partial w_{uv}} = \lambda w_{uv}"
    )
    assert wrong != text
    with pytest.raises(AssertionError, match="refuted"):
        assert_all_proved(wrong, "md", "hinge with ∂R/∂w_uv = λ w_uv")
    kink = re.sub(r"\\mathbf\{1\}\[0\] = 0", r"\\mathbf{1}[0] = 2", text, count=1)
    with pytest.raises(AssertionError, match="not understood"):
        assert_all_proved(kink, "md", "hinge with 1[0] = 2")
