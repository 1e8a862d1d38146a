"""The check's disk cache of proven generated NumPy (issue 13, cold start): a warm ``symderiv check``
imports no SymPy, a cache miss and a hit give the same verdict, a damaged or tampered entry is
regenerated, and the cached code computes exactly what the derivation's own NumPy computes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symderiv
from symderiv import losses
from symderiv.check import cache, probes, truth

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"

#: run the command line in this process's interpreter, then report whether SymPy was imported
RUN_CLI = """
import json, runpy, sys
sys.argv = ["symderiv", *json.loads(sys.argv[1])]
try:
    runpy.run_module("symderiv", run_name="__main__")
    code = 0
except SystemExit as exc:
    code = exc.code
print("@@" + json.dumps({"code": code, "sympy": "sympy" in sys.modules,
                          "symderiv": sorted(m for m in sys.modules if m.startswith("symderiv"))}))
"""


def _cli(args: list[str], cache_dir: Path) -> tuple[dict, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), cache.ENV: str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, json.dumps(args)], capture_output=True, text=True, env=env, timeout=300
    )
    lines = done.stdout.splitlines()
    facts = json.loads(next(line for line in lines if line.startswith("@@"))[2:])
    return facts, "\n".join(line for line in lines if not line.startswith("@@"))


def _result(output: str) -> dict:
    """The --json result without its timings (which differ run to run)."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "seconds"}
        return [strip(v) for v in value] if isinstance(value, list) else value

    return strip(json.loads(output))


def test_the_builtin_names_are_the_registrys():
    assert tuple(losses.builtin_names()) == cache.BUILTIN_NAMES


@pytest.mark.parametrize(
    ("target", "loss"),
    [("svm_vectorized", "hinge"), ("softmax_vectorized", "softmax"), ("squared_hinge_vectorized", "squared-hinge")],
)
def test_a_warm_check_imports_no_sympy_and_a_miss_and_a_hit_agree(tmp_path, target, loss):
    args = ["check", f"{CORPUS / 'correct.py'}::{target}", "--loss", loss, "--json"]
    cold, cold_out = _cli(args, tmp_path)  # a miss: derives and proves (SymPy), stores the code
    assert cold["code"] == 0 and cold["sympy"]
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*.json"))  # entries were written
    warm, warm_out = _cli(args, tmp_path)
    assert warm["code"] == 0
    assert not warm["sympy"], "a warm check imported SymPy"
    assert "symderiv.report" not in warm["symderiv"] and "symderiv.pipeline" not in warm["symderiv"]
    assert _result(warm_out) == _result(cold_out)
    assert _result(warm_out)["verdict"] == "pass"


@pytest.mark.parametrize("target", ["includes_correct_class", "reg_gradient_missing", "kink_inconsistent"])
def test_a_wrong_function_gets_the_same_diagnosis_from_a_warm_cache(tmp_path, target):
    args = ["check", f"{CORPUS / 'buggy.py'}::{target}", "--loss", "hinge", "--json"]
    cold, cold_out = _cli(args, tmp_path)
    warm, warm_out = _cli(args, tmp_path)
    assert cold["code"] == warm["code"] == 1
    assert _result(warm_out) == _result(cold_out)


def test_a_warm_check_on_the_users_data_imports_no_sympy(tmp_path):
    rng = np.random.default_rng(3)
    data = tmp_path / "train.npz"
    np.savez(
        data, W=rng.normal(size=(30, 10)) * 1e-2, X=rng.normal(size=(200, 30)), y=rng.integers(0, 10, 200), reg=0.1
    )
    args = ["check", f"{CORPUS / 'correct.py'}::svm_vectorized", "--loss", "hinge", "--data", str(data), "--json"]
    cache_dir = tmp_path / "cache"
    cold, cold_out = _cli(args, cache_dir)
    warm, warm_out = _cli(args, cache_dir)
    assert cold["code"] == warm["code"] == 0
    assert not warm["sympy"]
    assert any(p.name.startswith("vectorized-") for p in cache_dir.iterdir())
    assert _result(warm_out) == _result(cold_out)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "source", "hash-recomputed", "other-owner-writable"])
def test_a_damaged_or_tampered_entry_is_not_trusted_and_is_regenerated(tmp_path, monkeypatch, damage):
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    args = ["check", f"{CORPUS / 'correct.py'}::svm_vectorized", "--loss", "hinge", "--json"]
    cold, cold_out = _cli(args, tmp_path)
    entries = sorted(tmp_path.glob("scores-*.json"))
    assert entries
    for path in entries:
        text = path.read_text()
        if damage == "garbage":
            path.write_bytes(os.urandom(200))
        elif damage == "truncated":
            path.write_text(text[: len(text) // 2])
        elif damage == "source":  # valid JSON, the code changed: the stored hash no longer matches
            path.write_text(text.replace("numpy.heaviside", "numpy.maximum"))
        elif damage == "hash-recomputed":  # a hash made to match: the code is still checked before it runs
            entry = json.loads(text)
            entry["payload"]["source"] = entry["payload"]["source"].replace(
                "return numpy.array(", "return __import__('os').system('touch PWNED') or numpy.array("
            )
            body = {k: entry[k] for k in ("format", "kind", "key", "fingerprint", "payload")}
            entry["sha256"] = cache.hashlib.sha256(cache._canonical(body)).hexdigest()
            path.write_text(json.dumps(entry))
        else:
            path.chmod(0o666)
    warm, warm_out = _cli(args, tmp_path)
    assert warm["code"] == 0
    assert _result(warm_out) == _result(cold_out)
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    if damage != "other-owner-writable":
        assert warm["sympy"]  # regenerated, by deriving again
        cache.fingerprint.cache_clear()  # as the subprocess computed it (symderiv's files as they are now)
        for path in entries:  # and stored again, readable
            entry = json.loads(path.read_text())
            assert cache.load("scores", entry["key"]) is not None


def test_code_of_another_form_is_refused_by_the_syntax_check():
    good = (
        "def score_functions(scores, delta):\n    [s0, s1] = scores\n    x0 = numpy.exp(s0)\n"
        "    return numpy.array([x0])\n"
    )
    assert cache._compile_score_functions(good)([0.0, 1.0], 1.0).tolist() == [1.0]
    for bad in (
        good.replace("numpy.exp(s0)", "numpy.load('x')"),
        good.replace("numpy.exp(s0)", "__import__('os')"),
        good.replace("numpy.exp(s0)", "s0.__class__"),
        good.replace("numpy.exp(s0)", "open('x')"),
        good.replace("numpy.exp(s0)", "'text'"),
        good + "import os\n",
        good.replace("    x0 = numpy.exp(s0)\n", "    import os\n"),
    ):
        with pytest.raises((ValueError, SyntaxError)):
            cache._compile_score_functions(bad)
    vectorized = symderiv.numpy_function("hinge").__source__
    assert cache.compile_vectorized(vectorized).__source__ == vectorized
    for bad in (vectorized.replace("import numpy as np", "import os"), vectorized + "\nprint('hi')\n"):
        with pytest.raises(ValueError):
            cache.compile_vectorized(bad)


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, "off")
    assert cache.directory() is None
    assert not cache.store("loss", {"name": "hinge"}, {"kinky": True})
    assert cache.load("loss", {"name": "hinge"}) is None


def test_only_proven_code_is_stored(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    d = truth.derivation("hinge", 4, 3, 3, (2, 0, 1), "XW", 0)
    route = cache.route_from_derivation(d)
    assert set(route.claims) == set(cache.ROUTE_CLAIMS)
    unproven = cache.Route(route.route, route.source, route.has_step, ("artifact.numpy-scores",))
    assert not cache.store_route({"test": 1}, unproven)
    assert not list(tmp_path.glob("*.json"))
    assert not cache.store_vectorized({"test": 1}, "import numpy as np\n", ())
    failing = [c if c.id != "artifact.numpy-gradient" else type(c)(**{**c.__dict__, "holds": False}) for c in d.claims]
    with pytest.raises(symderiv.ProofError):
        cache.route_from_derivation(type("D", (), {"_route": d._route, "claims": failing, "proved": False})())


def test_a_loss_registered_in_a_session_is_not_cached():
    assert cache.cacheable("hinge")
    assert not cache.cacheable("my-own-loss")
    original = losses.get("hinge")
    try:
        losses.register(symderiv.Loss(**{**original.__dict__}), replace=True)  # the same name, another object
        assert not cache.cacheable("hinge")
    finally:
        losses.register(original, replace=True)
    assert cache.cacheable("hinge")


# ------------------------------------------------------------- the cached code computes the derivation's truth

#: the cached route and the derivation's numpy_gradient/numpy_loss run the same printed code and the same glue,
#: so they agree to the last bit; the tolerance allows float64 rounding only (relative 1e-12)
RTOL = 1e-12


def _cached_route(tmp_path: Path, d) -> cache.Route:
    key = {"test": d.loss.name, "layout": d.conventions.layout, "bias": d.conventions.bias}
    assert cache.store_route(key, cache.route_from_derivation(d))
    loaded = cache.load_route(key)
    assert loaded is not None
    return loaded


@pytest.mark.parametrize("name", losses.builtin_names())
@pytest.mark.parametrize("layout", ["XW", "WX"])
@pytest.mark.parametrize("bias", [False, True])
def test_the_cached_route_equals_the_derivations_numpy_at_the_probes(tmp_path, monkeypatch, name, layout, bias):
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    definition = losses.get(name)
    hyper = definition.numbers(())
    for N, y in probes.LABELS.items():
        d = symderiv.derive(
            name, D=probes.D_MAX, C=probes.C, N=N, y=list(y), layout=layout, bias=bias, regularizer="l2",
            delta=None, all_labels=False, points=0,
        )  # fmt: skip
        route = _cached_route(tmp_path, d)
        for p in probes.standard_probes(definition, 1.0):
            if p.N != N:
                continue
            W = np.zeros((probes.D_MAX + bias, probes.C))
            W[: p.D] = p.W if p.shift is None else p.W - p.shift
            X = np.zeros((N, probes.D_MAX))
            X[:, : p.D] = p.X
            Wl, Xl = (W, X) if layout == "XW" else (W.T, X.T)
            for reg in (0.0, p.reg):
                want_grad = d.numpy_gradient(Wl, Xl, reg, delta=1.0, **hyper)
                want_loss = d.numpy_loss(Wl, Xl, reg, delta=1.0, **hyper)
                loss, grad = route(Wl, Xl, reg, 1.0, hyper=tuple(hyper[h] for h in route.hyper))
                np.testing.assert_allclose(grad, want_grad, rtol=RTOL, atol=1e-300)
                assert loss == pytest.approx(want_loss, rel=RTOL)


@pytest.mark.parametrize("name", losses.builtin_names())
@pytest.mark.parametrize("layout", ["XW", "WX"])
def test_the_checks_truth_from_the_cache_equals_the_truth_from_sympy(tmp_path, monkeypatch, name, layout):
    """The whole truth of the standard probes (data part, regularization part, kink intervals) computed once
    with SymPy (cache off) and once from a warm cache."""
    definition = losses.get(name)

    def truths(cache_setting: str):
        monkeypatch.setenv(cache.ENV, cache_setting)
        truth.proven_route.cache_clear()
        truth._vectorized.cache_clear()
        chosen = probes.standard_probes(definition, 1.0)
        return truth.compute_truths(definition, chosen, layout, 1.0)[0]

    from_sympy = truths("off")
    truths(str(tmp_path))  # warms the cache
    truth.derivation.cache_clear()
    from_cache = truths(str(tmp_path))
    assert len(from_cache) == len(from_sympy)
    for a, b in zip(from_sympy, from_cache, strict=True):
        assert b.loss_data == pytest.approx(a.loss_data, rel=RTOL, abs=1e-300)
        assert b.reg_loss == pytest.approx(a.reg_loss, rel=RTOL, abs=1e-300)
        for field in ("grad_data", "reg_grad", "lower", "upper"):
            np.testing.assert_allclose(getattr(b, field), getattr(a, field), rtol=RTOL, atol=1e-300)


@pytest.mark.parametrize("name", [n for n in losses.builtin_names() if n != "crammer-singer"])
def test_the_cached_vectorized_function_equals_numpy_function(tmp_path, monkeypatch, name):
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    hyper = tuple(sorted(losses.get(name).numbers(()).items()))
    truth._vectorized.cache_clear()
    generated = truth._vectorized(name, "XW", 1.0, 0, "mean", hyper)
    truth._vectorized.cache_clear()
    cached = truth._vectorized(name, "XW", 1.0, 0, "mean", hyper)
    assert cached is not generated and cached.__source__ == generated.__source__
    rng = np.random.default_rng(7)
    W, X, y = rng.normal(size=(6, 5)), rng.normal(size=(40, 6)), rng.integers(0, 5, 40)
    (l1, g1), (l2, g2) = generated(W, X, y, 0.3), cached(W, X, y, 0.3)
    assert l2 == l1 and np.array_equal(g2, g1)
    with pytest.raises(symderiv.InputError):
        cached(W, X[:, :3], y, 0.3)  # the input check's errors are symderiv's, as numpy_function's


# ------------------------------------------------------------- lazy imports


LAZY = """
import json, sys
import symderiv
light = sorted(m for m in ("sympy", "symderiv.report", "symderiv.pipeline", "click") if m in sys.modules)
import symderiv.derive.result  # the subpackage must not hide the function symderiv.derive
names = {name: getattr(symderiv, name) for name in symderiv.__all__}
from symderiv.pipeline import derive, verify_formula
from symderiv.codegen.vectorize import numpy_function
from symderiv.notes import verify_notes
from symderiv.errors import InputError
from symderiv.derive.result import DISPLAY
same = [names["derive"] is derive, names["verify_formula"] is verify_formula,
        names["numpy_function"] is numpy_function, names["verify_notes"] is verify_notes,
        names["InputError"] is InputError, callable(symderiv.derive), "latex" in DISPLAY]
print(json.dumps({"light": light, "same": same}))
"""


def test_import_symderiv_is_light_and_every_public_name_is_the_same_object():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True, env=env, timeout=300)
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["light"] == []
    assert all(facts["same"]), facts["same"]  # DISPLAY: the report stage is loaded with the derivation's names
