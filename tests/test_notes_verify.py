"""``symderiv.verify_notes`` and ``symderiv verify`` on notes written for these tests (English and
Chinese; hinge, squared hinge, softmax, regularization, matrix forms), with right and wrong claims.

Every expected verdict is the mathematics of the claim as written: the right claims are the
textbook gradients, the wrong ones carry a known slip (a missing minus, a missing factor, a
regularizer gradient off by 2, an index case left out). Counterexamples are recomputed here by hand
from the values they report."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import symderiv

NOTES = Path(__file__).parent / "notes"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def verdicts(name: str) -> dict[int, str]:
    path = NOTES / name
    result = symderiv.verify_notes(path.read_text(encoding="utf-8"), tex=path.suffix == ".tex")
    return {c.line: c.verdict for c in result.claims}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symderiv", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)  # fmt: skip


# ------------------------------------------------------------------ the external contract
def test_contract_json_proved_and_refuted_with_exit_1():
    r = run("verify", str(NOTES / "contract.md"), "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"claims", "loss", "conventions"}
    claims = out["claims"]
    assert [(c["line"], c["verdict"]) for c in claims] == [(7, "proved"), (9, "refuted")]
    for c in claims:
        assert set(c) == {"line", "verdict", "latex", "reason", "counterexample"}
    assert claims[0]["counterexample"] is None
    assert claims[1]["latex"].startswith(r"\frac{\partial L_i}{\partial s_{y_i}}")
    assert out["loss"] == "hinge"
    assert out["conventions"]["layout"] == "XW"


def test_contract_counterexample_is_one_recomputed_by_hand():
    """∂L_i/∂s_{y_i} = −Σ_{j≠y_i} 1[s_j − s_{y_i} + Δ > 0]: the reported values must make the
    true left side and the note's right side (the same sum without the minus) differ as reported."""
    result = symderiv.verify_notes((NOTES / "contract.md").read_text())
    ce = result.claims[1].counterexample
    label = ce["where"]["y_i"]  # numbered from 1, as the notes count classes
    values = {k: Fraction(v) for k, v in ce["values"].items()}
    scores = [values[f"s_{k}"] for k in range(1, ce["sizes"]["C"] + 1)]
    delta = values["Δ"]
    active = sum(1 for k, s in enumerate(scores, start=1) if k != label and s - scores[label - 1] + delta > 0)
    assert Fraction(ce["left"]) == -active
    assert Fraction(ce["right"]) == active
    assert active != 0


# ------------------------------------------------------------------ notes in several notations
def test_hinge_weights_english():
    assert verdicts("hinge_weights_en.md") == {
        9: "proved",  # ∂L_i/∂w_uv = 1[s_v − s_{y_i} + Δ > 0] x_iu for v ≠ y_i (sentence before)
        11: "proved",  # the correct-class column, with its minus
        13: "proved",  # ∇_{w_j} L_i = 1[·] x_i (j ≠ y_i) — a condition inside the equation
        15: "refuted",  # 2λW, but the note's regularizer is ½λ‖W‖²
        17: "proved",  # λW
        19: "refuted",  # no regularizer and no correct-class term
    }


def test_hinge_chinese_latex_rows_layout_from_the_shape():
    result = symderiv.verify_notes((NOTES / "hinge_zh.tex").read_text(encoding="utf-8"), tex=True)
    assert {c.line: c.verdict for c in result.claims} == {
        13: "proved",  # 当 v≠y_i 时 (plain-text condition), w_{vu} with W ∈ ℝ^{C×D}
        17: "proved",  # first row of an align environment
        18: "refuted",  # second row: the minus sign dropped
        22: "proved",  # 2λW for λΣW²
    }
    assert result.loss == "hinge"
    assert result.conventions["layout"] == "WX"
    assert result.conventions["regularizer"] == "l2" and result.conventions["reduction"] == "mean"


def test_squared_hinge_chinese():
    result = symderiv.verify_notes((NOTES / "squared_hinge_zh.md").read_text(encoding="utf-8"))
    assert {c.line: c.verdict for c in result.claims} == {9: "proved", 13: "proved", 17: "refuted"}
    assert result.loss == "squared-hinge"
    assert result.conventions["delta"] == "1"  # the margin is the number the note writes


def test_squared_hinge_counterexample_by_hand():
    result = symderiv.verify_notes((NOTES / "squared_hinge_zh.md").read_text(encoding="utf-8"))
    ce = result.claims[2].counterexample
    label = ce["where"]["y_i"]
    s = {k: Fraction(ce["values"][f"s_{k}"]) for k in range(1, 4)}
    margins = [s[k] - s[label] + 1 for k in s if k != label]
    assert Fraction(ce["left"]) == -2 * sum(max(0, m) for m in margins)  # the true derivative
    assert Fraction(ce["right"]) == -2 * sum(1 for m in margins if m > 0)  # what the note wrote


def test_softmax_english():
    result = symderiv.verify_notes((NOTES / "softmax_en.md").read_text())
    assert {c.line: c.verdict for c in result.claims} == {
        9: "proved",  # p_j − 1[j = y_i]
        13: "refuted",  # p_{y_i}: the −1 forgotten
        17: "refuted",  # p_j − 1 for j ≠ y_i
    }
    ce = result.claims[1].counterexample
    f = np.array([float(Fraction(ce["values"][f"f_{k}"])) for k in range(1, 4)])
    p = np.exp(f - f.max()) / np.exp(f - f.max()).sum()  # an independent softmax
    label = ce["where"]["y_i"] - 1
    assert float(ce["left"]) == pytest.approx(p[label] - 1, rel=1e-9, abs=1e-12)
    assert float(ce["right"]) == pytest.approx(p[label], rel=1e-9, abs=1e-12)


def test_softmax_matrix_form_and_regularizer():
    result = symderiv.verify_notes((NOTES / "softmax_matrix_en.md").read_text())
    assert {c.line: c.verdict for c in result.claims} == {
        7: "proved",  # Xᵀ(P − Y)/N + 2λW
        9: "refuted",  # λW for λΣW²
        11: "refuted",  # not divided by N
    }
    assert result.conventions["regularizer"] == "l2" and result.conventions["reduction"] == "mean"


# ------------------------------------------------------------------ meaning, conditions, ambiguity
HINGE = r"""Scores $s_j = x_i w_j$, $W \in \mathbb{R}^{D \times C}$.

$$L_i = \sum_{j \neq y_i} \max(0, s_j - s_{y_i} + \Delta)$$
"""


def _one(body: str, text: str = HINGE) -> symderiv.notes.ClaimResult:
    result = symderiv.verify_notes(text + "\n" + body + "\n")
    assert len(result.claims) == 1, result.claims
    return result.claims[0]


def test_a_claim_that_fails_only_where_the_note_says_nothing_is_not_refuted():
    # no condition on j: right for j ≠ y_i, wrong for j = y_i — ambiguous, not wrong
    c = _one(r"$$\frac{\partial L_i}{\partial s_j} = \mathbb{1}(s_j - s_{y_i} + \Delta > 0)$$")
    assert c.verdict == "not understood"
    assert "j = y_i" in c.reason


def test_the_same_claim_stated_for_the_label_class_is_refuted():
    claim = r"$$\frac{\partial L_i}{\partial s_j} = \mathbb{1}(s_j - s_{y_i} + \Delta > 0)$$"
    c = _one("For the class $j = y_i$:\n\n" + claim)
    assert c.verdict == "refuted"


def test_cases_in_the_equation():
    c = _one(
        r"""$$\frac{\partial L_i}{\partial s_j} = \begin{cases}
        \mathbb{1}(s_j - s_{y_i} + \Delta > 0) & j \ne y_i \\
        -\sum_{k \ne y_i} \mathbb{1}(s_k - s_{y_i} + \Delta > 0) & j = y_i \end{cases}$$"""
    )
    assert c.verdict == "proved"


def test_an_index_both_free_and_summed_is_not_understood():
    c = _one(r"$$\frac{\partial L_i}{\partial s_j} = \sum_{j \ne y_i} \mathbb{1}(s_j - s_{y_i} + \Delta > 0)$$")
    assert c.verdict == "not understood" and "both free and summed" in c.reason


def test_a_symbol_it_cannot_place_is_named():
    c = _one(r"$$\frac{\partial L_i}{\partial s_j} = z_j$$")
    assert c.verdict == "not understood" and "z" in c.reason


def test_an_unknown_command_is_named():
    c = _one(r"$$\frac{\partial L_i}{\partial s_j} = \operatornamewithlimits{foo} s_j$$")
    assert c.verdict == "not understood" and "operatornamewithlimits" in c.reason


def test_a_claim_under_a_margin_condition_is_not_refuted():
    c = _one("If $s_j - s_{y_i} + \\Delta > 0$ and $j \\ne y_i$, then\n\n$$\\frac{\\partial L_i}{\\partial s_j} = 1$$")
    assert c.verdict == "not understood" and "condition" in c.reason


def test_without_a_loss_a_gradient_claim_is_not_understood():
    result = symderiv.verify_notes(r"$$\frac{\partial L_i}{\partial s_j} = p_j - 1[j = y_i]$$")
    assert [c.verdict for c in result.claims] == ["not understood"]
    assert "L_i" in result.claims[0].reason
    assert result.loss is None


def test_a_later_equation_for_a_defined_quantity_is_a_claim():
    right = _one(r"$$L_i = \sum_{j \ne y_i} \max(0, x_i w_j - x_i w_{y_i} + \Delta)$$")
    wrong = _one(r"$$L_i = \sum_{j \ne y_i} \max(0, s_{y_i} - s_j + \Delta)$$")
    assert (right.verdict, wrong.verdict) == ("proved", "refuted")


def test_an_identity_of_the_note_is_checked_on_its_own():
    right = _one(r"$$\frac{\partial}{\partial s_{y_i}} \max(0, s_j - s_{y_i} + 1) = -1(s_j - s_{y_i} + 1 > 0)$$")
    assert right.verdict == "not understood"  # j = y_i is not excluded: max(0, 1) has derivative 0 there
    conditioned = _one(
        "For $j \\ne y_i$:\n\n"
        r"$$\frac{\partial}{\partial s_{y_i}} \max(0, s_j - s_{y_i} + 1) = \begin{cases} -1 & \text{if } "
        r"s_j - s_{y_i} + 1 > 0 \\ 0 & \text{otherwise} \end{cases}$$"
    )
    assert conditioned.verdict == "proved"


def test_notation_variants_for_the_same_gradient():
    for rhs in (
        r"-\sum_{j\neq y_i} 1[s_j - s_{y_i} + \Delta > 0]",
        r"-\sum_{j=1, j \ne y_i}^{C} \mathbf{1}\{s_j - s_{y_i} + \Delta > 0\}",
        r"-\sum_{j \ne y_i} I(x_i w_j - x_i w_{y_i} + \Delta > 0)",
        r"- \sum_{j \ne y_i} \mathbb{1}(w_j^T x_i - w_{y_i}^T x_i + \Delta > 0)",
    ):
        c = _one(rf"$$\frac{{\partial L_i}}{{\partial s_{{y_i}}}} = {rhs}$$")
        assert c.verdict == "proved", (rhs, c.reason)


def test_mean_or_sum_and_half_l2_are_read_from_L():
    text = (
        HINGE
        + r"""
$$L = \sum_i L_i + \frac{1}{2}\lambda \sum_k \sum_l W_{k,l}^2$$

$$dW = \sum_i \nabla_W L_i + \lambda W$$
"""
    )
    result = symderiv.verify_notes(text)
    assert result.conventions["reduction"] == "sum" and result.conventions["regularizer"] == "half-l2"
    assert [c.verdict for c in result.claims] == ["proved"]


def test_no_math_is_zero_claims():
    result = symderiv.verify_notes("Just prose, 没有公式.\n")
    assert result.claims == [] and not result.refuted


def test_not_text_is_an_input_error():
    with pytest.raises(symderiv.InputError):
        symderiv.verify_notes(b"$$a = b$$")  # type: ignore[arg-type]


# ------------------------------------------------------------------ the command line
def test_cli_exit_0_without_refutation_and_terminal_summary(tmp_path):
    note = tmp_path / "note.md"
    claim = r"$$\frac{\partial L_i}{\partial s_j} = 1(s_j - s_{y_i} + \Delta > 0)$$"
    note.write_text(HINGE + "\nFor $j \\ne y_i$:\n\n" + claim + "\n")
    r = run("verify", str(note))
    assert r.returncode == 0, r.stderr
    assert "line    7  proved" in r.stdout
    assert "1 claims: 1 proved, 0 refuted, 0 not understood (loss: hinge)" in r.stdout


def test_cli_unusable_input_exits_2(tmp_path):
    r = run("verify", str(tmp_path / "missing.md"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\x89PNG\x00\x01")
    r = run("verify", str(binary))
    assert r.returncode == 2 and "not a text file" in r.stderr


def test_cli_no_math_exits_0(tmp_path):
    note = tmp_path / "prose.md"
    note.write_text("nothing to see\n")
    r = run("verify", str(note), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["claims"] == []


def test_cli_annotate_markdown_and_html_never_overwrites(tmp_path):
    out = tmp_path / "checked.md"
    r = run("verify", str(NOTES / "contract.md"), "--annotate", str(out))
    assert r.returncode == 1
    text = out.read_text()
    original = (NOTES / "contract.md").read_text()
    assert text.count("symderiv:") == 2 and "✔ proved (line 7)" in text and "✘ refuted (line 9)" in text
    assert all(line in text for line in original.splitlines())  # the note itself is unchanged around the marks
    r = run("verify", str(NOTES / "contract.md"), "--annotate", str(out))
    assert r.returncode == 2 and "--force" in r.stderr
    assert out.read_text() == text
    r = run("verify", str(NOTES / "contract.md"), "--annotate", str(out), "--force")
    assert r.returncode == 1
    page = tmp_path / "checked.html"
    r = run("verify", str(NOTES / "contract.md"), "--annotate", str(page))
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and 'class="math refuted"' in html and 'class="math proved"' in html


# ------------------------------------------------------------------ the seeds, when they are here
@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seeds are not available at ../shared/seeds")
def test_seed_000_gets_proved_claims_and_no_traceback():
    seed = next(SEEDS.glob("000_*"))
    result = symderiv.verify_notes(seed.read_text(encoding="utf-8"))
    counts = result.counts()
    assert counts["proved"] >= 1
    assert result.loss == "hinge"


def test_a_name_defined_case_by_case_is_not_read_as_the_softmax_probability():
    text = r"""$$L_i = -s_{y_i} + \log \sum_j e^{s_j}$$

When $j = y_i$, $p_j = 1$. When $j \ne y_i$, $p_j = 0$.

$$\frac{\partial L_i}{\partial s_{y_i}} = p_{y_i} - 1$$
"""
    (claim,) = symderiv.verify_notes(text).claims
    assert claim.verdict == "not understood" and "case by case" in claim.reason


def test_an_equation_that_says_where_something_is_is_not_an_identity():
    c = _one(r"The kink is where $s_j - s_{y_i} = -\Delta$.")
    assert c.verdict == "not understood" and "condition" in c.reason


def test_a_matrix_defined_entry_by_entry_in_the_matrix_form():
    result = symderiv.verify_notes((NOTES / "hinge_matrix_en.md").read_text())
    assert {c.line: c.verdict for c in result.claims} == {
        9: "proved",  # XᵀM/N + 2λW with M_ij = 1[·] (j ≠ y_i), M_{iy_i} = −Σ_{k≠y_i} M_ik
        11: "refuted",  # not divided by N
        13: "proved",  # M is ∂L_i/∂s_ij, entry by entry
    }


def test_the_code_names_reg_and_delta_and_m_samples():
    result = symderiv.verify_notes((NOTES / "code_names_en.md").read_text())
    assert {c.line: c.verdict for c in result.claims} == {
        5: "proved",  # 1/m Σ_i ∇_W L_i + 2·reg·W, with L = 1/m Σ L_i + reg ΣW²
        7: "refuted",  # reg W: the factor 2 lost
    }
    assert result.conventions["regularizer"] == "l2" and result.conventions["delta"] == "Δ"
