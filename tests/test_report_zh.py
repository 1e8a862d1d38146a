"""Reports in Chinese (``--lang zh``): every format, the seeds' own terms, a TeX file that XeLaTeX really
compiles, a page declared zh-CN, the same math as the English report, and one catalog complete in both
languages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import symderiv
from symderiv.errors import InputError
from symderiv.report import build_report, derive_for_report, figures, render_report, stale, write_report
from symderiv.report.document import plain
from symderiv.report.i18n import CATALOG, LANGS

REPO = Path(__file__).resolve().parents[1]
needs_xelatex = pytest.mark.skipif(shutil.which("xelatex") is None, reason="no xelatex: apt-get install texlive-xetex")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symderiv", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def hinge():
    return derive_for_report("hinge")


def test_cli_writes_a_chinese_markdown_report(tmp_path):
    """The external contract: exit 0 and a .md file in DIR with the seeds' terms."""
    proc = run("report", "hinge", "--lang", "zh", "--format", "md", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (md,) = tmp_path.glob("*.md")
    text = md.read_text()
    for term in ("梯度", "损失函数", "链式法则", "指示函数", "正则化", "样本", "类别", "得分", "矩阵形式", "证明"):
        assert term in text, term
    assert "The loss" not in text and "Step 1" not in text  # no English section left


def test_an_unknown_language_is_one_clear_line(tmp_path):
    proc = run("report", "hinge", "--lang", "fr", "--format", "md", "--out", str(tmp_path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "fr" in lines[0] and "en,zh" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and not list(tmp_path.glob("*"))
    with pytest.raises(InputError, match="unknown report language 'fr'"):
        render_report(derive_for_report("hinge"), "md", lang="fr")


def _display_math(text: str, fmt: str) -> list[str]:
    if fmt == "md":
        return re.findall(r"^\$\$\n(.*?)\n\$\$$", text, re.S | re.M)
    if fmt == "tex":
        return re.findall(r"\\begin\{equation\*\}\n(.*?)\n\\end\{equation\*\}", text, re.S)
    return re.findall(r'<div class="eq[^"]*">\$\$(.*?)\$\$</div>', text, re.S)


@pytest.mark.parametrize(
    "loss, conventions",
    [
        ("hinge", {}),
        ("softmax", {"layout": "WX", "bias": True, "regularizer": "half-l2", "reduction": "sum"}),
        ("crammer-singer", {"delta": 1, "kink": "1/2"}),
        ("softmax-smoothed", {"hyper": {"epsilon": "1/10"}}),
    ],
)
def test_the_math_is_the_same_in_both_languages(loss, conventions):
    """Translation touches the words only: every displayed equation of the Chinese report is the
    English report's, character for character, in the same order, in every format."""
    d = derive_for_report(loss, **conventions)
    for fmt in ("md", "tex", "html"):
        en, zh = (_display_math(render_report(d, fmt, lang=lang), fmt) for lang in ("en", "zh"))
        assert len(en) >= 10 and en == zh, fmt
    en_report, zh_report = build_report(d), build_report(d, lang="zh")
    assert [(e.number, e.claims, e.body) for e in en_report.equations] == [
        (e.number, e.claims, e.body) for e in zh_report.equations
    ]


def test_html_is_declared_chinese_with_a_cjk_font_and_no_external_request(hinge):
    page = render_report(hinge, "html", lang="zh")
    assert '<html lang="zh-CN">' in page and '<html lang="en">' in render_report(hinge, "html")
    assert "Noto Serif CJK SC" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "证明了什么" in page and "链式法则" in page


def test_every_message_is_in_every_language():
    keys = {lang: set(CATALOG[lang]) for lang in LANGS}
    for lang in LANGS:
        assert keys[lang] == keys["en"], (lang, keys["en"] ^ keys[lang])
    # every message id the report code asks for exists (a typo would be a KeyError at run time)
    used = set()
    for path in (REPO / "symderiv" / "report").glob("*.py"):
        used |= set(re.findall(r"""\bm\(\s*f?"([a-z][\w.{}-]*)\"""", path.read_text()))
    for path in (REPO / "symderiv" / "report" / "templates").glob("*.j2"):
        used |= set(re.findall(r"""\bt\("([a-z][\w.-]*)\"""", path.read_text()))
    literal = {k for k in used if "{" not in k}
    assert len(literal) > 60
    assert literal <= keys["en"], literal - keys["en"]
    # Chinese messages are Chinese (a copied English text would pass the key check)
    untranslated = [k for k, v in CATALOG["zh"].items() if re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", v)]
    assert untranslated == []


def test_every_builtin_loss_has_its_chinese_words():
    for name in symderiv.losses.builtin_names():
        words = symderiv.losses.get(name).words("zh")
        for text in (words.title, words.intro, words.gradient_words):
            assert re.search(r"[\u4e00-\u9fff]", text), (name, text)
        for text in (words.intro, words.gradient_words):  # every bit of math ends up inside $…$
            prose = re.sub(r"\$[^$]*\$", "", plain(text))
            assert not re.search(r"[_ΔΣε∂λ≠=\[]", prose), (name, prose)
    smoothing = symderiv.losses.get("softmax-smoothed").hyperparameters[0]
    assert "标签平滑" in smoothing.words_in("zh") and smoothing.words_in("en") == smoothing.words


def test_chinese_words_around_math_become_inline_math():
    """The losses' Chinese words keep their math: ``Δ，`` is math then punctuation."""
    report = build_report(derive_for_report("hinge"), lang="zh")
    intro = report.sections[0].blocks[0]
    assert "正确类别 $y_i$ 的得分" in intro and "$\\Delta$，没有做到" in intro


def test_the_chinese_figure_has_every_glyph(hinge):
    from matplotlib import font_manager

    try:
        font_manager.findfont("Noto Sans CJK SC", fallback_to_default=False)
    except ValueError:
        pytest.skip("no Noto Sans CJK SC: apt-get install fonts-noto-cjk")
    fig = figures.margin_figure(hinge, "zh")
    assert fig.kink_label == CATALOG["zh"]["figure.kink"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures.svg.__wrapped__(fig, "t")  # drawn anew, not from the cache
        figures.pdf.__wrapped__(fig, "t")
    assert not [w for w in caught if "missing" in str(w.message).lower() or "glyph" in str(w.message).lower()]


@needs_xelatex
def test_the_chinese_pdf_compiles_with_xelatex(tmp_path, hinge):
    result = write_report(hinge, tmp_path, ("tex", "pdf"), lang="zh")
    assert result.ok, result.problems
    pdf = tmp_path / "hinge-zh.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and stale(hinge, tmp_path, ("tex", "pdf"), "zh") == []
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "梯度" in text and "链式法则" in text and "证明了什么" in text
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "NotoSerifCJK" in fonts.replace(" ", "")
    # the .tex alone compiles with plain xelatex next to its figure, without a missing glyph
    work = tmp_path / "again"
    work.mkdir()
    (work / "r.tex").write_bytes((tmp_path / "hinge-zh.tex").read_bytes())
    shutil.copy(tmp_path / "hinge-zh-margin.pdf", work)
    proc = subprocess.run(
        ["xelatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "r.tex"],
        cwd=work,
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    log = (work / "r.log").read_text(errors="replace")
    assert "Missing character" not in log


def test_english_and_chinese_files_do_not_collide(tmp_path, hinge):
    en = write_report(hinge, tmp_path, ("tex", "md", "html"))
    zh = write_report(hinge, tmp_path, ("tex", "md", "html"), lang="zh")
    assert not {p.name for p in en.written} & {p.name for p in zh.written}  # KaTeX is shared: unchanged
    assert {"hinge-zh.md", "hinge-zh.tex", "hinge-zh.html", "hinge-zh-margin.svg"} <= {p.name for p in zh.written}
    assert stale(hinge, tmp_path, ("tex", "md", "html")) == stale(hinge, tmp_path, ("tex", "md", "html"), "zh") == []


@pytest.mark.parametrize(
    "lang, key, values, text",
    [
        ("en", "proof.patterns.all", {"C": 3, "N": 2, "count": 9, "labels": "0, 1, 2"},
         "for every one of the $3^2 = 9$ label patterns $y \\in \\{0, 1, 2\\}^{2}$"),
        ("zh", "proof.patterns.all", {"C": 3, "N": 2, "count": 9, "labels": "0, 1, 2"},
         "对全部 $3^2 = 9$ 种标签组合 $y \\in \\{0, 1, 2\\}^{2}$ "),
        ("zh", "step2", {"w_uv": "w_{uv}"},
         "**第 2 步：得分对权重求导**。每个得分都是权重的线性函数，而且只有类别 $v$ 的得分含有 $w_{uv}$："),
        ("zh", "conv.kink.with", {"words": "与笔记一致"}, "，与笔记一致"),
        ("en", "index.chain.why", {"why": " Summing."}, " Summing."),
    ],
)  # fmt: skip
def test_messages_fill_their_placeholders_exactly(lang, key, values, text):
    from symderiv.report.i18n import messages

    assert messages(lang)(key, **values) == text


@pytest.mark.parametrize(("loss", "conventions"), [("hinge", {"layout": "WX", "bias": True}), ("softmax", {})])
def test_the_notes_other_derivations_and_their_evidence_are_chinese(loss, conventions):
    """The sections of the notes' other derivations (one sample, the margin route, the max shift) and the
    evidence table are Chinese in a Chinese report: every title, every claim and method row has Chinese words,
    no English sentence is left in the prose, and no δ appears (the report prints the Kronecker delta as an
    indicator, and says so)."""
    from symderiv.report.render import evidence_rows

    report = build_report(derive_for_report(loss, **conventions), lang="zh")
    assert all(re.search(r"[\u4e00-\u9fff]", s.title) for s in report.sections)
    for row in evidence_rows(report, "md"):
        for text in (row["statement"], row["method"]):
            assert re.search(r"[\u4e00-\u9fff]", text), (row["key"], text)
    for fmt in ("md", "html"):
        out = render_report(derive_for_report(loss, **conventions), fmt, lang="zh")
        assert "δ" not in out and r"\delta" not in out, fmt
    md = render_report(derive_for_report(loss, **conventions), "md", lang="zh")
    prose = re.sub(r"<!--.*?-->|```.*?```|\$\$.*?\$\$|\$[^$\n]*\$", "", md, flags=re.S)  # words: no code, no math
    assert not re.findall(r"\b[A-Za-z]{3,} [a-z]{2,} [a-z]{3,}\b", prose)


def test_the_chinese_method_names_the_loss_s_own_atoms():
    """The method of the symbolic proofs names the atoms of this loss's normal forms, one or several."""
    hinge = render_report(derive_for_report("hinge"), "md", lang="zh")
    assert r"关于原子 $\mathbf{1}[\cdot]$ 的多项式恒等式" in hinge
    crammer = render_report(derive_for_report("crammer-singer"), "md", lang="zh")
    assert r"关于原子 $\mathbf{1}[\cdot]$、$\max(0,\cdot)$ 的多项式恒等式" in crammer
