"""The Markdown reports use only constructs GitHub and Obsidian both render: ``$…$`` inline and ``$$``
blocks on lines of their own, and math that survives Markdown parsing unchanged (GitHub parses the
Markdown before it typesets the math, so ``\\{`` would lose its backslash and ``\\,`` become a comma).
Checked with a CommonMark parser (markdown-it-py, GitHub's Markdown is CommonMark plus tables) and
with the vendored KaTeX (the safe spelling means what the original means)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symderiv.report import derive_for_report, render_report
from symderiv.report.render import md_math

LOSSES = ["hinge", "squared-hinge", "softmax"]
CONVENTIONS = [{}, {"layout": "WX", "bias": True}, {"regularizer": "half-l2", "reduction": "sum"}]
KATEX = Path(__file__).resolve().parents[1] / "symderiv" / "report" / "assets" / "katex" / "katex.min.js"


#: every document: (loss, conventions) in English, and (loss, conventions, "zh") in Chinese
KEYS = [(n, i) for n in LOSSES for i in range(len(CONVENTIONS))] + [(n, 0, "zh") for n in LOSSES] + [("hinge", 1, "zh")]


@pytest.fixture(scope="module")
def documents():
    return {
        key: render_report(derive_for_report(key[0], **CONVENTIONS[key[1]]), "md", lang=(key[2:] or ("en",))[0])
        for key in KEYS
    }


def _prose(md: str) -> str:
    """The Markdown without code fences, HTML comments and the inline SVG."""
    md = re.sub(r"^(`{3,}).*?^\1\s*$", "", md, flags=re.S | re.M)
    return re.sub(r"<!--.*?-->|<svg.*?</svg>", "", md, flags=re.S)


def math_of(md: str) -> tuple[list[str], list[str]]:
    """The display blocks (``$$`` lines around them) and the inline ``$…$`` spans of ``md``."""
    text = _prose(md)
    display = re.findall(r"^\$\$\n(.*?)\n\$\$$", text, flags=re.S | re.M)
    rest = re.sub(r"^\$\$\n.*?\n\$\$$", "", text, flags=re.S | re.M)
    inline = re.findall(r"(?<![\\$])\$([^$\n]+)\$(?!\$)", rest)
    return display, inline


@pytest.mark.parametrize("key", KEYS, ids=str)
def test_only_constructs_github_and_obsidian_share(documents, key):
    md = documents[key]
    text = _prose(md)
    display, inline = math_of(md)
    assert len(display) >= 8 and len(inline) >= 20
    # $$ only on lines of their own, opening and closing a block
    for line in text.splitlines():
        if "$$" in line:
            assert line == "$$", line
    assert text.count("$$") == 2 * len(display)
    # inline math: no space inside the dollars, none glued to a word before or a digit after
    rest = re.sub(r"^\$\$\n.*?\n\$\$$", "", text, flags=re.S | re.M)
    for m in re.finditer(r"(?<![\\$])\$([^$\n]+)\$(?!\$)", rest):
        assert m.group(1) == m.group(1).strip(), m.group(0)
        before = rest[m.start() - 1] if m.start() else " "
        after = rest[m.end()] if m.end() < len(rest) else " "
        assert not before.isalnum() and not after.isalnum(), (before, m.group(0), after)
    assert rest.count("$") == 2 * len(inline), "an unpaired $"
    for tex in display + inline:
        assert not re.search(r"\\[^A-Za-z\s]", tex), f"backslash before punctuation in {tex!r}"
        assert "<" not in tex and ">" not in tex, tex
        assert "\\begin{aligned}" not in tex or "\\cr" in tex or "&" in tex


def _commonmark_text(md: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark").enable("table")
    out = html.unescape(re.sub(r"<[^>]+>", "", parser.render(_prose(md))))
    return re.sub(r"\s+", " ", out)


@pytest.mark.parametrize("key", KEYS, ids=str)
def test_math_survives_markdown_parsing(documents, key):
    """What a GitHub-style renderer hands to its math typesetter is exactly the math we wrote."""
    md = documents[key]
    text = _commonmark_text(md)
    display, inline = math_of(md)
    for tex in display + inline:
        assert re.sub(r"\s+", " ", tex).strip() in text, tex
    assert "**" not in text, "bold that CommonMark did not read as bold (a delimiter run that does not flank)"


def test_the_old_spelling_would_not_survive():
    """The control for the test above: ``\\{``, ``\\,`` and ``\\\\`` are changed by Markdown parsing."""
    for tex in (r"y_i \in \{0, 1, 2\}", r"a\,b", r"a \\ b"):
        assert tex not in _commonmark_text(f"see ${tex}$ here\n")
        safe = md_math(tex)
        assert re.sub(r"\s+", " ", safe) in _commonmark_text(f"see ${safe}$ here\n")


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run KaTeX")
def test_the_safe_spelling_means_the_same(documents):
    """KaTeX's MathML of each display block, spelled for Markdown and as the TeX/HTML report has it,
    is the same (up to the width of a thin space)."""
    tex = render_report(derive_for_report("softmax"), "tex")
    originals = re.findall(r"\\begin\{equation\*\}\n(.*?)\n\\end\{equation\*\}", tex, flags=re.S)
    aligned = re.findall(r"\\begin\{align\*\}\n.*?\n\\end\{align\*\}", tex, flags=re.S)
    assert aligned, "no relations aligned in rows (a chain, or rows of relations)"
    originals += aligned  # the rows of several relations, each with its own \tag
    originals += [r"y_i \in \{0, 1, 2\}", r"\begin{cases} a & x < 0 \\ b & x > 0 \end{cases}", r"f(x)\,dx"]
    pairs = [(t, md_math(t)) for t in originals]
    script = f"""
const katex = require({json.dumps(str(KATEX))});
const pairs = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = pairs.map(([a, b]) => [a, b].map(t => katex.renderToString(t,
    {{displayMode: true, output: "mathml", throwOnError: true, strict: "ignore"}})));
console.log(JSON.stringify(out));
"""
    proc = subprocess.run(["node", "-e", script], input=json.dumps(pairs), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]

    def meaning(mathml: str) -> str:
        mathml = re.sub(r"<annotation.*?</annotation>", "", mathml, flags=re.S)
        return re.sub(r'<mspace width="[^"]*"/>|<mtext>\s*</mtext>', "", mathml)  # any space: thin or not

    rendered = json.loads(proc.stdout)
    assert len(rendered) == len(pairs) > 5
    for (tex, safe), (a, b) in zip(pairs, rendered, strict=True):
        assert meaning(a) == meaning(b), (tex, safe)
