"""The generated vectorized NumPy (symderiv.codegen.vectorize) against two independent truths: the package's
hand-written references and the concrete-size derivation, element by element.

Tolerances: float64 results agree with the references to rtol = atol = 1e-12 (the same operations in
a different order); float32 results agree with float64 ones to rtol = 1e-4, atol = 1e-5.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

import symderiv
from symderiv import losses
from symderiv.algebra.functions import Pos, Step
from symderiv.cli import cli
from symderiv.codegen import vectorize
from symderiv.conventions import Conventions
from symderiv.errors import InputError, NotSupportedError

LOSSES = ["hinge", "squared-hinge", "softmax"]
LAYOUTS = ["XW", "WX"]
REGULARIZERS = ["l2", "half-l2", "none"]
REDUCTIONS = ["mean", "sum"]
RTOL = ATOL = 1e-12


def reference(name, layout="XW", regularizer="l2", reduction="mean", bias=False, delta=1.0, kink=0.0):
    """The package's hand-written reference (plain convention: XW, sum, no regularizer), wrapped for
    the layout, bias trick, regularizer and reduction."""
    ref = losses.get(name).reference
    c = float(Conventions(regularizer=regularizer).reg.coefficient)

    def f(W, X, y, reg):
        Xp = X if layout == "XW" else X.T
        if bias:
            Xp = np.hstack([Xp, np.ones((Xp.shape[0], 1))])
        Wp = W if layout == "XW" else W.T
        loss, grad = ref(Wp, Xp, np.asarray(y), delta, kink)
        if layout == "WX":
            grad = grad.T
        scale = 1 / len(y) if reduction == "mean" else 1
        return scale * loss + c * reg * np.sum(W * W), scale * grad + 2 * c * reg * W

    return f


def arrays(rng, layout, D, C, N, bias=False, integer=False):
    F = D + bias
    w_shape, x_shape = ((F, C), (N, D)) if layout == "XW" else ((C, F), (D, N))
    if integer:  # small integers: margins hit 0 exactly, so the indicator's kink value matters
        return rng.integers(-2, 3, w_shape).astype(float), rng.integers(-2, 3, x_shape).astype(float)
    return rng.normal(size=w_shape), rng.normal(size=x_shape)


LABELS = {  # name -> (C, N, labels)
    "random": (4, 6, [3, 0, 2, 2, 1, 0]),
    "repeated": (3, 5, [1, 1, 1, 1, 1]),
    "single sample": (3, 1, [2]),
    "one class twice": (2, 3, [0, 0, 1]),
}


def assert_close(actual, expected, rtol=RTOL, atol=ATOL, what=""):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    bad = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    assert not bad.any(), f"{what}: at {np.argwhere(bad)[:5].tolist()}: {actual[bad][:5]} != {expected[bad][:5]}"


# ------------------------------------------------------------------ against the references


@pytest.mark.parametrize("labels", list(LABELS))
@pytest.mark.parametrize(
    "name, layout, regularizer, reduction, bias",
    list(itertools.product(LOSSES, LAYOUTS, REGULARIZERS, REDUCTIONS, [False, True])),
)
def test_matches_reference(name, layout, regularizer, reduction, bias, labels):
    C, N, y = LABELS[labels]
    rng = np.random.default_rng(zlib.crc32(repr((name, layout, regularizer, reduction, bias, labels)).encode()))
    W, X = arrays(rng, layout, 4, C, N, bias)
    f = symderiv.numpy_function(name, layout=layout, regularizer=regularizer, reduction=reduction, bias=bias)
    loss, dW = f(W, X, np.array(y), 0.37)
    ref_loss, ref_dW = reference(name, layout, regularizer, reduction, bias)(W, X, y, 0.37)
    assert_close(loss, ref_loss, what="loss")
    assert_close(dW, ref_dW, what="dW")


@pytest.mark.parametrize("kink", ["0", "1/2", "1"])
@pytest.mark.parametrize("name", ["hinge", "squared-hinge"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_kinks_follow_the_convention(name, layout, kink):
    rng = np.random.default_rng(7)
    W, X = arrays(rng, layout, 3, 4, 8, integer=True)
    y = rng.integers(0, 4, 8)
    f = symderiv.numpy_function(name, layout=layout, kink=kink)
    S = X @ W if layout == "XW" else (W @ X).T
    assert np.any(S - S[np.arange(8), y][:, None] + 1 == 0), "the data should hit a kink"
    loss, dW = f(W, X, y, 0.1)
    ref = reference(name, layout, kink=float(sp.Rational(kink)))(W, X, y, 0.1)
    assert_close(loss, ref[0], what="loss")
    assert_close(dW, ref[1], what="dW")


@pytest.mark.parametrize("name", ["hinge", "squared-hinge"])
def test_symbolic_delta_is_an_argument(name):
    rng = np.random.default_rng(3)
    W, X = arrays(rng, "XW", 3, 4, 6)
    y = rng.integers(0, 4, 6)
    f = symderiv.numpy_function(name, delta="delta")
    assert "delta=1.0" in f.__source__.split("def " + name.replace("-", "_"))[1].splitlines()[0]
    for delta in (0.0, 0.5, 2.0):
        loss, dW = f(W, X, y, 0.2, delta=delta)
        ref = reference(name, delta=delta)(W, X, y, 0.2)
        assert_close(loss, ref[0], what=f"loss at Δ={delta}")
        assert_close(dW, ref[1], what=f"dW at Δ={delta}")


@pytest.mark.parametrize("delta", [0, 3])
def test_numeric_delta(delta):
    rng = np.random.default_rng(4)
    W, X = arrays(rng, "WX", 3, 4, 6)
    y = rng.integers(0, 4, 6)
    loss, dW = symderiv.numpy_function("hinge", layout="WX", delta=delta)(W, X, y, 0.2)
    ref = reference("hinge", "WX", delta=float(delta))(W, X, y, 0.2)
    assert_close(loss, ref[0])
    assert_close(dW, ref[1])


# ------------------------------------------------------------------ against the derivation


@pytest.mark.parametrize(
    "name, layout, regularizer, reduction, bias",
    [
        (name, layout, regularizer, reduction, bias)
        for name, layout, bias in itertools.product(LOSSES, LAYOUTS, [False, True])
        for regularizer, reduction in [("l2", "mean"), ("half-l2", "sum"), ("none", "mean")]
    ],
)
def test_matches_the_derivation(name, layout, regularizer, reduction, bias):
    D, C, N, y = 2, 3, 3, [2, 0, 2]
    d = symderiv.derive(
        name, D=D, C=C, N=N, y=y, layout=layout, regularizer=regularizer, reduction=reduction, bias=bias,
        delta=1, kink=0, all_labels=False, points=0,
    )  # fmt: skip
    f = symderiv.numpy_function(name, layout=layout, regularizer=regularizer, reduction=reduction, bias=bias)
    rng = np.random.default_rng(11)
    for _ in range(3):
        W, X = arrays(rng, layout, D, C, N, bias)
        loss, dW = f(W, X, np.array(y), 0.25)
        assert_close(loss, d.numpy_loss(W, X, 0.25), rtol=1e-11, atol=1e-11, what="loss")
        assert_close(dW, d.numpy_gradient(W, X, 0.25), rtol=1e-11, atol=1e-11, what="dW")


# ------------------------------------------------------------------ numerics and inputs


@pytest.mark.parametrize("layout", LAYOUTS)
def test_softmax_is_stable_at_large_scores(layout):
    rng = np.random.default_rng(5)
    W, X = arrays(rng, layout, 3, 4, 6, bias=True)
    y = rng.integers(0, 4, 6)
    f = symderiv.numpy_function("softmax", layout=layout, bias=True, regularizer="none")
    base = f(W, X, y, 0.0)
    shifted = W.copy()
    if layout == "XW":
        shifted[-1] += 1000.0  # every score of every sample + 1000: softmax is shift invariant
    else:
        shifted[:, -1] += 1000.0
    loss, dW = f(shifted, X, y, 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(dW))
    assert_close(loss, base[0], rtol=1e-9, atol=1e-9, what="loss")
    assert_close(dW, base[1], rtol=1e-9, atol=1e-9, what="dW")
    big_loss, big_dW = f(W * 1000.0, X, y, 0.0)  # scores in the thousands, of both signs
    assert np.isfinite(big_loss) and np.all(np.isfinite(big_dW))


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", LOSSES)
def test_inputs_are_not_mutated(name, layout, bias):
    rng = np.random.default_rng(6)
    W, X = arrays(rng, layout, 3, 4, 6, bias)
    y = rng.integers(0, 4, 6)
    copies = W.copy(), X.copy(), y.copy()
    symderiv.numpy_function(name, layout=layout, bias=bias)(W, X, y, 0.5)
    for before, after in zip(copies, (W, X, y), strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", LOSSES)
def test_float32_stays_float32(name, layout):
    rng = np.random.default_rng(8)
    W, X = arrays(rng, layout, 5, 4, 7, bias=True)
    y = rng.integers(0, 4, 7)
    f = symderiv.numpy_function(name, layout=layout, bias=True)
    loss32, dW32 = f(W.astype(np.float32), X.astype(np.float32), y, np.float64(0.1))
    loss64, dW64 = f(W, X, y, 0.1)
    assert dW32.dtype == np.float32
    assert isinstance(loss32, float)
    assert_close(loss32, loss64, rtol=1e-4, atol=1e-5, what="loss")
    assert_close(dW32, dW64, rtol=1e-4, atol=1e-5, what="dW")


def test_labels_may_be_a_list_and_int32():
    rng = np.random.default_rng(9)
    W, X = arrays(rng, "XW", 3, 3, 4)
    f = symderiv.numpy_function("hinge")
    a = f(W, X, [0, 1, 2, 1], 0.1)
    b = f(W, X, np.array([0, 1, 2, 1], dtype=np.int32), 0.1)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize(
    "layout, W_shape, X_shape, y, message",
    [
        ("XW", (3, 4), (5, 2), [0] * 5, r"W has shape \(3, 4\), but X has D = 2 features"),
        ("XW", (3, 4), (5, 3), [0] * 4, r"y has shape \(4,\), but X has N = 5 samples"),
        ("XW", (3, 4), (5, 3), [0, 1, 2, 3, 4], r"labels y must lie in 0 … 3 \(C = 4 classes\), not 0 … 4"),
        ("XW", (3, 4), (5, 3), [0, 1, -1, 3, 2], r"labels y must lie in 0 … 3"),
        ("XW", (3, 4), (5, 3), [0.0, 1.0, 2.0, 3.0, 0.0], r"labels y must be integers, not float64"),
        ("XW", (3, 4), (0, 3), [], r"X has no samples"),
        ("XW", (3,), (5, 3), [0] * 5, r"W and X must be 2-D arrays"),
        ("WX", (4, 3), (3, 5), [0, 1, 2, 3, 4], r"labels y must lie in 0 … 3"),
        ("WX", (4, 3), (5, 3), [0] * 3, r"W has shape \(4, 3\), but X has D = 5 features"),
    ],
)
def test_bad_inputs_raise_input_error(layout, W_shape, X_shape, y, message):
    f = symderiv.numpy_function("softmax", layout=layout)
    with pytest.raises(InputError, match=message):
        f(np.zeros(W_shape), np.zeros(X_shape), np.array(y), 0.1)


def test_bias_shape_is_checked():
    f = symderiv.numpy_function("hinge", bias=True)
    with pytest.raises(InputError, match=r"W must be \(D \+ 1, C\) = \(4, 3\)"):
        f(np.zeros((3, 3)), np.zeros((5, 3)), np.zeros(5, dtype=int), 0.1)


def test_bad_conventions_are_refused():
    with pytest.raises(InputError, match="unknown layout"):
        symderiv.numpy_function("hinge", layout="XY")
    with pytest.raises(InputError, match="unknown loss"):
        symderiv.numpy_function("nope")


# ------------------------------------------------------------------ the emitted source


def test_softmax_source_is_what_a_careful_person_writes():
    src = vectorize.source("softmax")
    body = src.split("def softmax_loss_vectorized")[1]
    for line in [
        "    S = X @ W  # scores s_ij",
        "    m = S.max(axis=1, keepdims=True)  # m[i] = max_k s[i,k]",
        "    e = np.exp(S - m)  # exp(s[i,j] - m[i])",
        "    loss = np.sum(m + np.log(rowsum) - S_y) / N + reg * np.sum(W * W)",
        "    G[samples, y] -= 1  # on the label column j = y_i",
        "    dW = X.T @ G / N + 2 * reg * W",
    ]:
        assert line in body.splitlines(), line
    assert "log-sum-exp" in src and "softmax shift" in src
    assert "np.exp(S)" not in body  # never the unshifted exponential


def test_hinge_source_uses_the_exclusion_sum_and_the_label_column():
    src = vectorize.source("hinge", layout="WX")
    body = src.split("def hinge_loss_vectorized")[1]
    assert "exclusion sum" in src
    assert "    S = W @ X  # scores, C×N" in body
    assert "    loss = (np.sum(np.maximum(margin, 0)) - N) / N + reg * np.sum(W * W)" in body
    assert "    G[y, samples] -= ind.sum(axis=0)  # on the label column j = y_i" in body
    assert "    dW = G @ X.T / N + 2 * reg * W" in body
    assert "heaviside" not in body and "KroneckerDelta" not in src and "Y = " not in body


def test_source_compiles_standalone_and_matches_numpy_function():
    src = vectorize.source("squared-hinge", layout="WX", bias=True, regularizer="half-l2", reduction="sum")
    namespace: dict = {}
    exec(compile(src, "<generated>", "exec"), namespace)
    g = namespace["squared_hinge_loss_vectorized"]
    f = symderiv.numpy_function("squared-hinge", layout="WX", bias=True, regularizer="half-l2", reduction="sum")
    assert f.__source__ == src
    rng = np.random.default_rng(10)
    W, X = arrays(rng, "WX", 3, 4, 5, bias=True)
    y = rng.integers(0, 4, 5)
    assert g(W, X, y, 0.3)[0] == f(W, X, y, 0.3)[0]


def _fixture_forms(name):
    """The index-notation forms exactly as the design writes them, by hand."""
    i, j, k = sp.symbols("i j k", integer=True)
    N, C = sp.symbols("N C", integer=True, positive=True)
    s, y = sp.IndexedBase("s"), sp.IndexedBase("y")
    Delta = sp.Symbol("Delta", real=True)
    m_k, m_j = s[i, k] - s[i, y[i]] + Delta, s[i, j] - s[i, y[i]] + Delta
    d_k, d_j = sp.KroneckerDelta(k, y[i]), sp.KroneckerDelta(j, y[i])
    if name == "hinge":
        sample = sp.Sum(Pos(m_k) * (1 - d_k), (k, 0, C - 1))
        G = Step(m_j) * (1 - d_j) - d_j * sp.Sum(Step(m_k) * (1 - d_k), (k, 0, C - 1))
    elif name == "squared-hinge":
        sample = sp.Sum(Pos(m_k) ** 2 * (1 - d_k), (k, 0, C - 1))
        G = 2 * Pos(m_j) * (1 - d_j) - d_j * sp.Sum(2 * Pos(m_k) * (1 - d_k), (k, 0, C - 1))
    else:
        sample = -s[i, y[i]] + sp.log(sp.Sum(sp.exp(s[i, k]), (k, 0, C - 1)))
        G = sp.exp(s[i, j]) / sp.Sum(sp.exp(s[i, k]), (k, 0, C - 1)) - d_j
    return vectorize.IndexForms(
        i=i, j=j, k=k, N=N, C=C, s=s, y=y, delta=Delta, lam=sp.Symbol("lambda"),
        sample=sample, score_gradient=G, origin="hand-written fixture",
    )  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", LOSSES)
def test_from_hand_written_index_forms(name, layout):
    """The translator on the design's index-notation forms written out by hand."""
    src = vectorize.source_from_forms(_fixture_forms(name), Conventions(delta=1, layout=layout), losses.get(name))
    assert "hand-written fixture" in src
    namespace: dict = {}
    exec(src, namespace)
    rng = np.random.default_rng(12)
    W, X = arrays(rng, layout, 3, 4, 6)
    yy = rng.integers(0, 4, 6)
    loss, dW = namespace[name.replace("-", "_") + "_loss_vectorized"](W, X, yy, 0.1)
    ref = reference(name, layout)(W, X, yy, 0.1)
    assert_close(loss, ref[0])
    assert_close(dW, ref[1])


def test_unsupported_index_structure_is_refused():
    i, j, k = sp.symbols("i j k", integer=True)
    N, C = sp.symbols("N C", integer=True, positive=True)
    s, y = sp.IndexedBase("s"), sp.IndexedBase("y")
    forms = vectorize.IndexForms(
        i=i, j=j, k=k, N=N, C=C, s=s, y=y, delta=sp.Integer(1), lam=sp.Symbol("lambda"),
        sample=sp.Sum(s[i, k] * s[i, j], (k, 0, C - 1)), score_gradient=s[i, j],
    )  # fmt: skip
    with pytest.raises(NotSupportedError, match=r"cannot place s\[i,j\]"):
        vectorize.source_from_forms(forms, Conventions(delta=1))


# ------------------------------------------------------------------ the CLI


def test_cli_prints_the_source():
    result = CliRunner().invoke(cli, ["codegen", "softmax", "--layout", "WX", "--bias", "--reduction", "sum"])
    assert result.exit_code == 0, result.output
    assert result.output == vectorize.source("softmax", layout="WX", bias=True, reduction="sum")
    assert "def softmax_loss_vectorized(W, X, y, reg=0.0):" in result.output


def test_cli_symbolic_delta_and_kink():
    result = CliRunner().invoke(cli, ["codegen", "hinge", "--delta", "delta", "--kink", "1/2"])
    assert result.exit_code == 0, result.output
    assert "def hinge_loss_vectorized(W, X, y, reg=0.0, delta=1.0):" in result.output
    assert "np.where(margin == 0, 0.5, margin > 0)" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["codegen", "nope"], "unknown loss 'nope'"),
        (["codegen", "hinge", "--kink", "2"], "must lie in [0, 1]"),
        (["codegen", "hinge", "--delta", "abc"], "the margin Δ must be a number"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_usage_error_exit_2():
    result = CliRunner().invoke(cli, ["codegen", "hinge", "--layout", "YX"])
    assert result.exit_code == 2


# ------------------------------------------------------------------ a user-registered loss


def _squared_error_sample(s, y, delta, ix):
    return ix.sum_all(lambda k: (s[k] - ix.cases(k, other=0, label=1)) ** 2 / 2)


def _squared_error_score_gradient(s, y, j, delta, ix):
    return s[j] - ix.cases(j, other=0, label=1)


def _squared_error_reference(W, X, y, delta, kink):
    S = X @ W
    T = np.zeros_like(S)
    T[np.arange(len(y)), y] = 1
    return float(np.sum((S - T) ** 2) / 2), X.T @ (S - T)


@pytest.fixture
def squared_error():
    loss = losses.Loss(
        name="squared-error-vectorize-test",
        title="Squared error to the one-hot label",
        sample=_squared_error_sample,
        score_gradient=_squared_error_score_gradient,
        weights=lambda S, y, delta: None,
        reference=_squared_error_reference,
        uses_delta=False,
        kinky=False,
    )
    symderiv.register(loss)
    yield loss
    losses.unregister(loss.name)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_registered_loss_is_vectorized_too(squared_error, layout):
    f = symderiv.numpy_function(squared_error.name, layout=layout, bias=True)
    body = f.__source__.split("def ")[-1]
    assert "G = S.copy()" in body and "-= 1" in body
    rng = np.random.default_rng(13)
    W, X = arrays(rng, layout, 3, 4, 5, bias=True)
    y = rng.integers(0, 4, 5)
    loss, dW = f(W, X, y, 0.2)
    ref = reference(squared_error.name, layout, bias=True)(W, X, y, 0.2)
    assert_close(loss, ref[0], what="loss")
    assert_close(dW, ref[1], what="dW")


def test_a_loss_without_symbolic_form_is_refused_in_one_line():
    from symderiv.losses import Loss

    def sample(s, y, delta, ix):
        raise NotSupportedError("this loss needs concrete sizes")

    loss = Loss(name="concrete-only-vectorize-test", title="t", sample=sample, score_gradient=sample,
                weights=sample, reference=sample)  # fmt: skip
    symderiv.register(loss)
    try:
        result = CliRunner().invoke(cli, ["codegen", loss.name])
        assert result.exit_code == 2
        assert "this loss needs concrete sizes" in result.output and "Traceback" not in result.output
    finally:
        losses.unregister(loss.name)


# ------------------------------------------------------------------ the benchmark's own comparisons


def test_the_benchmark_compares_equal_computations():
    """bench/bench_codegen.py times generated against its own hand-written functions: they must agree."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "bench_codegen.py"
    spec = importlib.util.spec_from_file_location("bench_codegen_under_test", path)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rng = np.random.default_rng(14)
    W, X = arrays(rng, "XW", 6, 5, 9)
    y = rng.integers(0, 5, 9)
    for name, hand in bench.HAND.items():
        loss, dW = symderiv.numpy_function(name)(W, X, y, 0.3)
        ref_loss, ref_dW = hand(W, X, y, 0.3)
        assert_close(loss, ref_loss, what=f"{name} loss")
        assert_close(dW, ref_dW, what=f"{name} dW")


STANDALONE = r"""
import ast, json, sys
for name in list(sys.modules):
    if name == "symderiv" or name.startswith("symderiv."):
        del sys.modules[name]
sys.modules["symderiv"] = None  # importing symderiv (or anything in it) now fails
import numpy as np
text = sys.stdin.read()
imports = [n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.Import, ast.ImportFrom))]
names = {a.name for n in imports for a in n.names}
names = sorted(names | {n.module for n in imports if isinstance(n, ast.ImportFrom)})
namespace = {"__name__": "pasted"}
exec(compile(text, "pasted.py", "exec"), namespace)
f = next(v for k, v in namespace.items() if k.endswith("_loss_vectorized"))
rng = np.random.default_rng(3)
W, X, y = rng.normal(size=(4, 3)), rng.normal(size=(5, 4)), np.array([0, 2, 1, 1, 0])
loss, dW = f(W, X, y, 0.1)
errors = []
for bad in (dict(y=np.array([0, 1, 3, 1, 0])), dict(y=y.astype(float)), dict(W=np.zeros((3, 3)))):
    args = {"W": W, "X": X, "y": y, **bad}
    try:
        f(args["W"], args["X"], args["y"], 0.1)
        errors.append(None)
    except Exception as exc:
        errors.append([type(exc).__name__, str(exc)])
print(json.dumps({"imports": names, "loss": float(loss), "dW": dW.tolist(), "errors": errors}))
"""


@pytest.mark.parametrize("name", LOSSES)
def test_generated_source_runs_with_numpy_only(name):
    """The code reports list and ``symderiv codegen`` prints imports only NumPy: pasted into a Python
    where symderiv cannot be imported, it computes the reference's loss and gradient and refuses bad
    input with ValueError/TypeError carrying the messages numpy_function's InputError carries."""
    import json
    import subprocess
    import sys

    text = vectorize.source(name)
    proc = subprocess.run([sys.executable, "-c", STANDALONE], input=text, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got["imports"] == ["numpy"]
    rng = np.random.default_rng(3)
    W, X, y = rng.normal(size=(4, 3)), rng.normal(size=(5, 4)), np.array([0, 2, 1, 1, 0])
    want_loss, want_dW = reference(name)(W, X, y, 0.1)
    np.testing.assert_allclose(got["loss"], want_loss, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(np.array(got["dW"]), want_dW, rtol=RTOL, atol=ATOL)
    kinds = [e[0] for e in got["errors"]]
    assert kinds == ["ValueError", "TypeError", "ValueError"]
    f = symderiv.numpy_function(name)
    bads = ({"y": np.array([0, 1, 3, 1, 0])}, {"y": y.astype(float)}, {"W": np.zeros((3, 3))})
    for (_kind, message), bad in zip(got["errors"], bads, strict=True):
        args = {"W": W, "X": X, "y": y, **bad}
        with pytest.raises(InputError) as info:
            f(args["W"], args["X"], args["y"], 0.1)
        assert str(info.value) == message
