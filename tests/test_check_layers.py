"""Loss layers f(x, y) -> (loss, dx) (cs231n assignment 2's svm_loss and softmax_loss): checked
over the scores with the same probes and diagnoses; the truth is the derivation's G/N."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symderiv
from symderiv.check import core, probes, truth
from symderiv.errors import NotSupportedError
from symderiv.losses import get

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))

import buggy  # noqa: E402
import correct  # noqa: E402


@pytest.mark.parametrize(
    ("loss", "layer"), [("hinge", correct.svm_loss_layer), ("softmax", correct.softmax_loss_layer)]
)
def test_the_truth_at_layer_probes_is_the_hand_written_layer(loss, layer):
    """Independent reference: cs231n's hand-written layers, at every layer probe without a kink
    (at a kink the truth is an interval, which the corpus tests cover)."""
    chosen = probes.layer_probes(probes.standard_probes(get(loss), 1.0))
    truths, _ = truth.compute_truths(get(loss), chosen, "XW", 1.0)
    for t in truths:
        x = t.probe.W - (0 if t.probe.shift is None else t.probe.shift)  # the scores (shifted back to finite)
        ref_loss, ref_dx = layer(x.copy(), t.probe.y)
        if not t.probe.kink:
            assert np.allclose(t.grad_data, ref_dx, rtol=1e-10, atol=1e-12), t.probe.name
        assert np.isclose(t.loss_data, ref_loss, rtol=1e-10), t.probe.name
        assert t.reg_loss == 0 and not t.reg_grad.any()


def test_the_signature_is_detected_from_the_parameters(tmp_path):
    assert core.detect_signature(correct.svm_loss_layer) == "layer"
    assert core.detect_signature(correct.svm_naive) == "linear"
    assert core.detect_signature(lambda x, y, delta=1.0: None) == "layer"
    assert core.detect_signature(lambda *args: None) == "linear"
    file = tmp_path / "layers.py"
    file.write_text("def svm_loss_layer(x, y):\n    pass\n\ndef svm_loss_naive(W, X, y, reg):\n    pass\n")
    assert core.detect_signature((str(file), "svm_loss_layer")) == "layer"
    assert core.detect_signature((str(file), "svm_loss_naive")) == "linear"


def test_a_layer_report_speaks_of_dx():
    result = symderiv.check_gradient(buggy.svm_layer_not_averaged, "hinge")
    assert result.signature == "layer" and not result.passed
    text = result.report()
    assert "layer f(x, y) -> (loss, dx)" in text and "dx must be divided by N" in text
    assert "dW" not in text and "regularizer:" not in text
    assert result.heatmap["rows"] == "sample" and result.heatmap["difference"].shape[1] == 3
    ok = symderiv.check_gradient(correct.softmax_loss_layer, "softmax")
    assert ok.passed and "offset-per-sample" in [p.name for p in ok.probes]


def test_forcing_the_other_signature_fails_with_the_call_error():
    result = symderiv.check_gradient(correct.svm_loss_layer, "hinge", signature="linear")
    assert [d.id for d in result.diagnoses][0] == "raised" and "TypeError" in result.diagnoses[0].message
    with pytest.raises(symderiv.InputError, match="signature"):
        symderiv.check_gradient(correct.svm_loss_layer, "hinge", signature="module")


def test_a_layer_on_user_data_is_not_supported():
    with pytest.raises(NotSupportedError, match="loss layer"):
        symderiv.check_gradient(
            correct.svm_loss_layer, "hinge", data=(np.ones((2, 3)), np.ones((4, 2)), [0, 1, 2, 0], 0)
        )


def test_cli_layer_by_option_and_by_detection():
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "symderiv", "check", *args], capture_output=True, text=True, timeout=120
        )

    p = run(f"{CORPUS / 'correct.py'}::softmax_loss_layer", "--loss", "softmax", "--json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["signature"] == "layer" and report["verdict"] == "pass"
    p = run(f"{CORPUS / 'buggy.py'}::softmax_layer_label_plus_one", "--loss", "softmax", "--signature", "layer")
    assert p.returncode == 1 and "[label-term-sign]" in p.stdout
