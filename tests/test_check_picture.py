"""In Jupyter a CheckResult displays itself: a heatmap of yours − truth over (feature, class) at the
worst probe, as inline SVG, and the report, escaped; matplotlib is imported only to display."""

import subprocess
import sys
from pathlib import Path

import numpy as np

import symderiv
from symderiv.check import probes
from symderiv.losses import get

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))

import buggy  # noqa: E402
import correct  # noqa: E402


def test_the_heatmap_is_yours_minus_the_truth_at_the_worst_probe():
    result = symderiv.check_gradient(buggy.odd_column_doubled, "hinge")
    heat = result.heatmap
    p = next(q for q in probes.standard_probes(get("hinge"), 1.0) if q.name == heat["probe"])
    _, truth = correct.svm_vectorized(p.W.copy(), p.X.copy(), p.y.copy(), p.reg)  # independent reference
    expected = np.zeros_like(truth)
    expected[:, 1] = truth[:, 1]  # column 1 doubled: yours − truth is the true column 1
    assert np.allclose(heat["difference"], expected, atol=1e-12)
    assert heat["rows"] == "feature"


def test_html_holds_an_inline_svg_and_the_report():
    result = symderiv.check_gradient(buggy.reg_half_gradient, "hinge")
    page = result._repr_html_()
    assert page.count("<svg") == 1 and "<?xml" not in page and "DOCTYPE" not in page
    assert "yours − truth" in page and "class" in page
    assert "FAIL  reg_half_gradient" in page
    assert symderiv.check_gradient(correct.svm_naive, "hinge")._repr_html_().count("<svg") == 0


def test_user_text_is_escaped():
    def noisy(W, X, y, reg):
        print("<script>alert('x')</script> & more")
        loss, dW = correct.svm_vectorized(W, X, y, reg)
        return loss, 3 * dW

    page = symderiv.check_gradient(noisy, "hinge")._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page


def test_without_matplotlib_the_report_still_displays(monkeypatch):
    result = symderiv.check_gradient(buggy.reg_half_gradient, "hinge")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    page = result._repr_html_()
    assert "<svg" not in page and "symderiv[plot]" in page and "FAIL" in page


def test_a_check_does_not_import_matplotlib():
    code = (
        f"import sys; sys.path.insert(0, {str(CORPUS)!r}); import buggy, symderiv; "
        "r = symderiv.check_gradient(buggy.reg_half_gradient, 'hinge'); "
        "assert 'matplotlib' not in sys.modules; r._repr_html_(); assert 'matplotlib' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
