"""The HTML reports, opened in headless Chromium: KaTeX (served from the page's own folder) renders
every formula, with no KaTeX error and no math left as source."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from symderiv import losses
from symderiv.report import basename, derive_for_report, write_report

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH: apt-get install chromium"),
]


def rendered_dom(page: Path, profile: Path, width: int | None = None) -> str:
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
        *([f"--window-size={width},1600"] if width else []),
        "--dump-dom",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


#: the reports measured: every built-in loss as ``symderiv report --all`` writes it, and the other
#: configurations reports/ holds (seed 001's layout WX with the bias column; half-l2 with the sum)
PAGES = [(name, {}) for name in losses.builtin_names()] + [
    ("hinge", {"layout": "WX", "bias": True}),
    ("softmax", {"regularizer": "half-l2", "reduction": "sum"}),
    ("hinge", {"lang": "zh"}),
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    for name, conventions in PAGES:
        d, lang = _derive(name, conventions)
        write_report(d, out, ("html",), lang=lang)
    return out


def _derive(name: str, conventions: dict):
    """The derivation of a measured page, and its language (``lang`` rides along in the conventions)."""
    rest = {k: v for k, v in conventions.items() if k != "lang"}
    return derive_for_report(name, **rest), conventions.get("lang", "en")


def _ids(conventions: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in conventions.items())


def _page(name: str, conventions: dict) -> str:
    d, lang = _derive(name, conventions)
    return basename(d, lang)


@pytest.mark.parametrize("name", ["hinge", "squared-hinge", "softmax", "hinge-zh"])
def test_katex_renders_every_formula(pages, name, tmp_path):
    source = (pages / f"{name}.html").read_text()
    namespaces = re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", source)  # names, never fetched
    assert "http://" not in namespaces
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


# ---------------------------------------------------------------- layout at two widths, and the network

#: added to a copy of a page (test only): once KaTeX has run and the fonts are in, the boxes of every
#: numbered equation and code listing, and every resource the page loaded, as JSON in <pre id="measure">
#: first in <head> of the copy: a policy that lets the page load only file: and data: URLs, and records
#: every request it blocks (any http, https, ws… address) in window.blocked
WATCH = """<meta http-equiv="Content-Security-Policy"
 content="default-src file: data: 'unsafe-inline'; script-src file: 'unsafe-inline'; style-src file: 'unsafe-inline'">
<script>
window.blocked = [];
document.addEventListener("securitypolicyviolation", function (e) { window.blocked.push(e.blockedURI); });
</script>
"""
MEASURE = """
<script>
window.addEventListener("load", function () {
  var ready = document.fonts ? document.fonts.ready : Promise.resolve();
  ready.then(function () { setTimeout(measure, 300); });
});
function measure() {
  function box(r) { return [r.left, r.top, r.right, r.bottom]; }
  var out = {width: window.innerWidth, rows: [], code: [], blocked: window.blocked,
             math: document.body.getAttribute("data-math"), fonts: document.fonts.check("16px KaTeX_Main")};
  document.querySelectorAll(".eqrow").forEach(function (row) {
    var eq = row.querySelector(".eq"), num = row.querySelector(".eqno");
    var clip = eq.getBoundingClientRect(), ink = null;
    // the glyphs of the equation (and of its left side, in a row of aligned relations), as far as their
    // boxes show them (a wide equation scrolls within its box)
    row.querySelectorAll(".eq, .lhs").forEach(function (cell) {
      var box = cell.getBoundingClientRect();
      cell.querySelectorAll(".katex-html *").forEach(function (b) {
        var r = b.getBoundingClientRect();
        if (r.width <= 0 || r.height <= 0) return;
        var l = Math.max(r.left, box.left), t = Math.max(r.top, box.top);
        var rr = Math.min(r.right, box.right), bb = Math.min(r.bottom, box.bottom);
        if (rr <= l || bb <= t) return;
        ink = ink ? [Math.min(ink[0], l), Math.min(ink[1], t), Math.max(ink[2], rr), Math.max(ink[3], bb)]
                  : [l, t, rr, bb];
      });
    });
    out.rows.push({eq: box(clip), ink: ink, num: num ? box(num.getBoundingClientRect()) : null,
                   overflow: eq.scrollWidth > eq.clientWidth + 1, scrolls: getComputedStyle(eq).overflowX});
  });
  document.querySelectorAll("pre.code").forEach(function (pre) {
    out.code.push({scroll: pre.scrollWidth, client: pre.clientWidth, right: pre.getBoundingClientRect().right});
  });
  parent.postMessage(JSON.stringify(out), "*");
}
</script>
"""
#: the page at a given width: headless Chromium's windows are at least 500 px wide, an iframe is as narrow
#: as asked (its own viewport: the page's media queries see that width)
FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe src="%s" style="width:%dpx;height:1600px;border:0;display:block"></iframe>
<script>
window.addEventListener("message", function (e) {
  var pre = document.createElement("pre");
  pre.id = "measure";
  pre.textContent = e.data;
  document.body.appendChild(pre);
});
</script></body></html>
"""


def _intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("width", [1200, 420])
@pytest.mark.parametrize(("loss", "conventions"), PAGES, ids=lambda p: p if isinstance(p, str) else _ids(p))
def test_equation_numbers_never_cover_equations_and_nothing_is_fetched(pages, loss, conventions, width, tmp_path):
    name = _page(loss, conventions)
    m = measure(pages, (pages / f"{name}.html").read_text(), f"{name}-{width}", tmp_path, width)
    assert m["math"] == "ok" and m["fonts"], "KaTeX or its fonts did not load from the page's folder"
    assert m["width"] == width
    numbered = [r for r in m["rows"] if r["num"]]
    assert len(numbered) >= 8
    # every number the page shows is a measured row's: every numbered equation of the report is measured
    shown = re.findall(r'<span class="eqno">\((\d+)\)</span>', (pages / f"{name}.html").read_text())
    assert len(numbered) == len(shown) and [int(n) for n in shown] == list(range(1, len(shown) + 1))
    for r in numbered:
        assert r["ink"] is not None, ("an equation shows nothing", r)
        assert not _intersect(r["eq"], r["num"]), (r["eq"], r["num"])
        assert not _intersect(r["ink"], r["num"]), (r["ink"], r["num"])
        assert r["num"][2] <= m["width"], "the number is off the page"
    for r in m["rows"]:
        assert r["eq"][2] <= m["width"] + 0.5, "an equation's box runs off the page"
        if r["overflow"]:
            assert r["scrolls"] in ("auto", "scroll"), "a wide equation is cut off instead of scrolling"
    if width == 420:  # the narrow page really has equations wider than it: the scrolling case is tested
        assert any(r["overflow"] for r in m["rows"])
    source = (pages / f"{name}.html").read_text()
    assert bool(m["code"]) == ('<pre class="code"' in source), "a code listing was not measured"
    for c in m["code"]:
        assert c["scroll"] <= c["client"] + 1, "a code line is cut off (it should wrap)"
        assert c["right"] <= m["width"] + 0.5
    assert m["blocked"] == [], "the page asked the network for these"


def measure(pages: Path, source: str, tag: str, tmp_path: Path, width: int) -> dict:
    import json

    page = pages / f"measure-{tag}.html"
    page.write_text(source.replace("<head>", "<head>" + WATCH, 1).replace("</body>", MEASURE + "</body>"))
    frame = pages / f"frame-{tag}.html"
    frame.write_text(FRAME % (page.name, width))
    dom = rendered_dom(frame, tmp_path / "profile", 1300)
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert found, "the measuring script did not run"
    return json.loads(unescape(found.group(1)))


def test_the_network_watch_sees_a_request(pages, tmp_path):
    """The control for the test above: a page that fetches an image from the web is caught."""
    source = (pages / "hinge.html").read_text().replace("<main>", '<main><img src="https://example.com/x.png">')
    m = measure(pages, source, "control", tmp_path, 1200)
    assert m["blocked"] and m["blocked"][0].startswith("https://example.com")
