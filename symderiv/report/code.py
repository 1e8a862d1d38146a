"""Code in reports: the vectorized NumPy symderiv generated (when ``symderiv.vectorize`` is
available), and a user's own implementation — rendered as math by latexify-py only when every
construct in it is one latexify renders faithfully, otherwise listed verbatim.

latexify-py is imported here and nowhere else in symderiv."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..check import check_gradient
from ..codegen.vectorize import numpy_function, source
from ..conventions import DELTA
from ..errors import InputError, SymderivError
from .document import Listing, MathBlock, Section
from .i18n import messages
from .render import verbatim

#: NumPy functions latexify renders as the same mathematics (positional arguments only)
FAITHFUL_CALLS = {"exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "abs", "sum"}
FAITHFUL_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult)


@dataclass
class Implementation:
    """A user's gradient implementation: its source, and the function when it could be loaded."""

    name: str
    source: str
    path: str | None = None
    function: Callable | None = field(default=None, repr=False)


def split_spec(spec: str) -> tuple[str, str]:
    """``FILE.py::FUNCTION`` (as ``symderiv check`` takes it), ``FILE.py:FUNCTION`` (kept as an alias) or
    ``FILE.py`` alone → (file, function name or "")."""
    if "::" in spec:
        path, _, name = spec.rpartition("::")
    elif spec.endswith(".py") or ":" not in spec:
        path, name = spec, ""
    else:
        path, _, name = spec.rpartition(":")
    if name and not name.isidentifier():
        raise InputError(f"{name!r} is not a Python function name (name it as FILE.py::FUNCTION)")
    return path, name


def load_implementation(spec: str) -> Implementation:
    """``path/to/file.py::function`` (or ``file.py:function``, or ``file.py`` taking its only function) →
    Implementation. The file is read and parsed here, never imported: importing runs the user's code,
    which happens only in the check's isolated child process, with a time limit."""
    path_text, name = split_spec(spec)
    path = Path(path_text)
    if not path.is_file():
        raise InputError(f"no such file: {path_text}")
    if path.suffix != ".py":
        raise InputError(f"{path_text} is not a Python file (.py)")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path_text}: {exc}") from None
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise InputError(f"{path_text}:{exc.lineno}: syntax error: {exc.msg}") from None
    except ValueError as exc:  # e.g. null bytes
        raise InputError(f"{path_text} is not Python source: {exc}") from None
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if not name:
        if len(defs) != 1:
            raise InputError(f"{path_text} defines {len(defs)} functions: name one, as {path_text}::NAME")
        name = defs[0].name
    node = next((n for n in defs if n.name == name), None)
    if node is None:
        names = ", ".join(n.name for n in defs)
        raise InputError(f"{path_text} has no function {name!r}" + (f" (it defines: {names})" if names else ""))
    segment = ast.get_source_segment(source, node) or ""
    return Implementation(name, segment, str(path), None)


def from_function(fn) -> Implementation:
    """An Implementation from a live Python function."""
    return Implementation(fn.__name__, textwrap.dedent(inspect.getsource(fn)), None, fn)


def unfaithful(source: str) -> list[str]:
    """What latexify would render wrongly (or not at all) in ``source``; empty when every
    construct is one it renders as the same mathematics.

    >>> unfaithful("def f(x):\\n    return x[:, None]")[0]
    'slice `x[:, None]`: latexify cannot render slices or None (np.newaxis)'
    >>> unfaithful("def f(x):\\n    return np.sum(x, axis=1)")
    ['keyword argument `axis=1` in `np.sum(x, axis=1)`: latexify drops keyword arguments']
    """
    tree = ast.parse(textwrap.dedent(source))
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(fns) != 1:
        return ["not a single function definition"]
    fn = fns[0]
    reasons: list[str] = []
    if fn.decorator_list:
        reasons.append("decorators")
    a = fn.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs:
        reasons.append("default, keyword-only or variadic arguments")
    if fn.returns is not None or any(arg.annotation is not None for arg in a.args):
        reasons.append("annotations")  # evaluated when the def runs: nothing of the user's runs here
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        reasons.append("the function does not end in `return <expression>`")
    for stmt in body[:-1]:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            reasons.append(f"statement `{ast.unparse(stmt).splitlines()[0]}`: only `name = expression` is rendered")
    for stmt in body:
        value = getattr(stmt, "value", None)
        if value is not None:
            reasons += _expression_problems(value)
    order = ("slice", "keyword argument", "attribute", "indexing", "call", "statement")
    unique = list(dict.fromkeys(reasons))
    return sorted(unique, key=lambda r: next((k for k, w in enumerate(order) if r.startswith(w)), len(order)))


def _expression_problems(node: ast.AST) -> list[str]:
    out: list[str] = []
    for n in ast.walk(node):
        text = ast.unparse(n) if isinstance(n, ast.expr) else ""
        if isinstance(n, ast.Subscript):
            if any(
                isinstance(m, ast.Slice) or (isinstance(m, ast.Constant) and m.value is None) for m in ast.walk(n.slice)
            ):
                out.append(f"slice `{text}`: latexify cannot render slices or None (np.newaxis)")
            else:
                out.append(f"indexing `{text}`: NumPy's fancy indexing has no faithful rendering")
        elif isinstance(n, ast.Call):
            for kw in n.keywords:
                out.append(f"keyword argument `{ast.unparse(kw)}` in `{text}`: latexify drops keyword arguments")
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            base_ok = isinstance(f, ast.Name) or (
                isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in {"np", "numpy", "math"}
            )
            if name not in FAITHFUL_CALLS or not base_ok:
                out.append(f"call `{text}`: not one of the functions latexify renders as mathematics")
        elif isinstance(n, ast.Attribute) and not (
            isinstance(n.value, ast.Name) and n.value.id in {"np", "numpy", "math"} and n.attr in FAITHFUL_CALLS
        ):
            out.append(f"attribute `{text}`: latexify prints attributes such as `.T` literally")
        elif isinstance(n, ast.BinOp) and not isinstance(n.op, FAITHFUL_BINOPS):
            out.append(f"operator in `{text}`")
        elif (
            isinstance(n, ast.Constant)
            and not isinstance(n.value, int | float)
            or isinstance(
                n,
                ast.Compare
                | ast.BoolOp
                | ast.IfExp
                | ast.Lambda
                | ast.ListComp
                | ast.GeneratorExp
                | ast.DictComp
                | ast.SetComp
                | ast.List
                | ast.Tuple
                | ast.Dict
                | ast.Starred,
            )
        ):
            out.append(f"`{text}`: no faithful rendering")
    return out


def render(impl: Implementation) -> tuple[str | None, list[str]]:
    """(LaTeX, []) when latexify renders ``impl`` faithfully, else (None, reasons)."""
    reasons = unfaithful(impl.source)
    if reasons:
        return None, reasons
    try:
        import latexify  # imported on first use: a slow import that most reports never need

        with tempfile.TemporaryDirectory(prefix="symderiv-impl-") as folder:
            fn = impl.function if impl.function is not None else _function_from_source(impl, folder)
            out = latexify.get_latex(fn, use_math_symbols=True)
    except Exception as exc:  # latexify's own refusal, or source it cannot find
        return None, [f"latexify failed: {type(exc).__name__}: {exc}"]
    return str(out), []


def _function_from_source(impl: Implementation, folder: str):
    """A function from source alone, through a module file (latexify reads the source back)."""
    path = Path(folder) / "implementation.py"
    path.write_text("import numpy as np\nimport math\n\n\n" + textwrap.dedent(impl.source), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"_symderiv_impl_{path.stat().st_ino}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return getattr(module, impl.name)


def implementation_section(d, impl: Implementation, lang: str = "en"):
    """The report section for a user's implementation, with its check result when available."""
    m = messages(lang)
    rendered, reasons = render(impl)
    blocks: list[object] = []
    where = f" ({verbatim(impl.path)})" if impl.path else ""  # a file name may hold any character
    if rendered is not None:
        blocks += [
            m("impl.latexify", name=impl.name, where=where),
            MathBlock(rendered),
            m("impl.source"),
        ]
    else:
        why = "; ".join(_plain(r) for r in reasons[:3]) + ("; …" if len(reasons) > 3 else "")
        blocks.append(m("impl.verbatim", name=impl.name, where=where, why=why))
    blocks.append(Listing(impl.source.rstrip() + "\n"))
    result = check_result(d, impl)
    if result is not None:
        blocks += [m("impl.check"), Listing(result, "text")]
    return Section(m("section.implementation"), blocks)


def _plain(reason: str) -> str:
    """A reason quoting the user's code (`…`) with the quotes made verbatim: the code may hold backticks,
    dollars, anything."""
    return re.sub(r"`([^`]*)`(?=:|\s|$|\))", lambda m: verbatim(m.group(1)), reason)


def check_result(d, impl: Implementation) -> str | None:
    """``symderiv.check_gradient`` on the implementation, as text; None when unavailable. A file is
    checked as ``FILE.py::FUNCTION``: imported only in the check's child process, with its time limit."""
    target = f"{impl.path}::{impl.name}" if impl.path else impl.function
    if target is None:
        return None
    c = d.conventions
    try:
        result = check_gradient(
            target,
            d.loss.name,
            layout=c.layout,
            regularizer=c.regularizer,
            reduction=c.reduction,
            bias=c.bias,
        )
    except SymderivError as exc:  # e.g. the bias trick, which the checker does not take: say so
        return f"symderiv check could not run: {exc}"
    lines = [line for line in str(result).rstrip().splitlines() if not line.strip().startswith("time:")]
    return "\n".join(lines) + "\n"  # without timings, so that the report is reproducible


def vectorize_options(d) -> dict:
    """The derivation's conventions as ``symderiv.vectorize`` takes them (Δ an argument if symbolic)."""
    c = d.conventions
    return dict(
        layout=c.layout,
        regularizer=c.regularizer,
        reduction=c.reduction,
        bias=c.bias,
        delta="delta" if c.delta == DELTA else c.delta,
        kink=c.kink,
        hyper=c.hyper,
    )


def generated_numpy(d) -> str | None:
    """Source of the vectorized NumPy loss and gradient from ``symderiv.vectorize``, if available."""
    try:
        out = source(d.loss, **vectorize_options(d))
    except Exception:  # another stage's limits (a loss it cannot vectorize): leave the section out
        return None
    return out.rstrip() + "\n" if isinstance(out, str) and out.strip() else None


def vectorized_function(d):
    """``symderiv.vectorize.numpy_function`` for the derivation's loss and conventions, or None."""
    try:
        return numpy_function(d.loss, **vectorize_options(d))
    except Exception:
        return None
