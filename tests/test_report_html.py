"""The HTML reports, opened in headless Chromium: KaTeX (served from the page's own folder) renders
every formula, with no KaTeX error and no math left as source."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from symderiv.report import derive_for_report, write_report

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH: apt-get install chromium"),
]


def rendered_dom(page: Path, profile: Path) -> str:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    for name in ("hinge", "squared-hinge", "softmax"):
        write_report(derive_for_report(name), out, ("html",))
    return out


@pytest.mark.parametrize("name", ["hinge", "squared-hinge", "softmax"])
def test_katex_renders_every_formula(pages, name, tmp_path):
    source = (pages / f"{name}.html").read_text()
    assert "http://" not in source.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in source, "the page must not need the network"
    dom = rendered_dom(pages / f"{name}.html", tmp_path / "profile")
    assert 'data-math="ok"' in dom, "KaTeX did not run, or reported errors"
    assert 'class="katex-error' not in dom
    body = re.sub(r"<(script|style|pre)\b.*?</\1>", "", source, flags=re.S)
    expected = body.count("$$") // 2 + len(re.findall(r"(?<!\$)\$(?!\$)", body)) // 2
    count = int(re.search(r'data-katex-count="(\d+)"', dom).group(1))
    assert count >= expected > 30
    # nothing left unrendered: no $ delimiters or TeX commands in the visible text
    visible = re.sub(r"<(script|style|pre|annotation)\b.*?</\1>", "", dom, flags=re.S)
    visible = re.sub(r'<span class="katex">.*?</math></span>', "", visible, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", visible))
    assert "$" not in text
    assert not re.search(r"\\(frac|partial|mathbf|sum|begin)\b", text)


def test_fonts_and_scripts_are_local(pages):
    css = (pages / "katex" / "katex.min.css").read_text()
    for font in re.findall(r"url\((fonts/[^)]+\.woff2)\)", css):
        assert (pages / "katex" / font).exists(), font
    assert (pages / "katex" / "contrib" / "auto-render.min.js").exists()
