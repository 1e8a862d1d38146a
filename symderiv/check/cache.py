"""The check's truth without SymPy: the generated NumPy of proven derivations, cached on disk.

``symderiv check`` computes its truth with NumPy code that symderiv generated from a proven derivation:
at the probes' sizes the score functions and glue behind ``Derivation.numpy_gradient`` (claims
``artifact.numpy-scores``, ``artifact.shift-invariance``, ``artifact.numpy-gradient``,
``artifact.numpy-loss``), at the user's data size the vectorized ``numpy_function`` (claim
``artifact.vectorized``). Deriving and proving takes SymPy and most of a second; the code it yields is
the same every time for the same inputs. So the first check with some conventions stores that code here,
and every later check — a fresh ``symderiv check`` process included — runs it without importing SymPy.

**What is stored.** One JSON file per entry: the kind ("scores", "vectorized", "loss"), the key (loss,
sizes, labels, layout, kink convention, reduction, Δ, hyperparameters — every input of the generator),
the fingerprint (symderiv's version and a hash of its own source files and of SymPy's version: editing
symderiv or upgrading SymPy starts afresh), the code, the ids of the claims it was proven under, and a
SHA-256 of all of it. Only code whose claims all hold is stored (``store_* `` refuse anything else).

**Safety.** Entries are written atomically (a temporary file in the same folder, then ``os.replace``); an
entry that cannot be read, whose hash or key does not match, whose owner is someone else or that others
may write, or whose code is not of the generator's form (the score functions' syntax tree is checked
against the few constructs the printer emits — names, numbers, arithmetic, ``numpy.exp`` and the like;
the vectorized module may import NumPy only) is ignored and regenerated — never trusted, never a crash.
The folder is ``$SYMDERIV_CACHE_DIR``, else ``$XDG_CACHE_HOME/symderiv``, else ``~/.cache/symderiv``;
``SYMDERIV_CACHE_DIR=off`` turns the cache off. Only the built-in losses are cached (a loss registered in
a session may differ from one of the same name in another).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import linecache
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from ..codegen.score_glue import ScoreRoute
from ..errors import InputError
from ..version import __version__

FORMAT = 1
ENV = "SYMDERIV_CACHE_DIR"
#: the built-in losses (``symderiv.losses.builtin_names()``, which imports SymPy; a test keeps them equal)
BUILTIN_NAMES = ("hinge", "squared-hinge", "softmax", "crammer-singer", "softmax-smoothed")
#: claims that prove the score route's code: scores, glue, and shift invariance when the glue shifts
ROUTE_CLAIMS = ("artifact.numpy-scores", "artifact.numpy-gradient", "artifact.numpy-loss")
SHIFT_CLAIM = "artifact.shift-invariance"
VECTORIZED_CLAIM = "artifact.vectorized"


# ---------------------------------------------------------------- where, and for which symderiv


def directory() -> Path | None:
    """The cache folder, or None when the cache is off."""
    configured = os.environ.get(ENV)
    if configured is not None:
        if configured.strip().lower() in ("", "off", "0", "none"):
            return None
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symderiv"


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """symderiv's version, a hash of its own source files (the generators and the proofs), and SymPy's
    version (its printer writes the code): any change starts a new cache."""
    h = hashlib.sha256(f"symderiv {__version__}; format {FORMAT}; python {sys.version_info[:2]}".encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode() + b"\0")
        with contextlib.suppress(OSError):
            h.update(path.read_bytes())
    h.update(_sympy_version().encode())
    return h.hexdigest()


def _sympy_version() -> str:
    """SymPy's version without importing SymPy (its release file, read as text)."""
    import importlib.util

    spec = importlib.util.find_spec("sympy")
    if spec is None or not spec.submodule_search_locations:
        return "no sympy"
    for folder in spec.submodule_search_locations:
        with contextlib.suppress(OSError):
            return (Path(folder) / "release.py").read_text(encoding="utf-8")
    return "sympy of unknown version"


def cacheable(loss: str) -> bool:
    """Whether ``loss`` names a built-in loss as defined by this symderiv (not one re-registered)."""
    if loss not in BUILTIN_NAMES:
        return False
    losses = sys.modules.get("symderiv.losses")
    if losses is None:  # nothing can have re-registered it: the registry is not even loaded
        return True
    builtin = getattr(losses, "BUILTIN", {})
    try:
        return losses.get(loss) is builtin.get(loss)
    except Exception:  # noqa: BLE001
        return False


# ---------------------------------------------------------------- entries


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def _path(folder: Path, kind: str, key: dict) -> Path:
    digest = hashlib.sha256(_canonical({"kind": kind, "key": key, "fingerprint": fingerprint()})).hexdigest()
    return folder / f"{kind}-{digest[:40]}.json"


def _safe(path: Path) -> bool:
    """The file (or folder) is ours and no one else may write it."""
    try:
        st = path.stat()
    except OSError:
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(kind: str, key: dict) -> dict | None:
    """The payload stored for (kind, key) by this symderiv, or None (no entry, or one not to trust)."""
    folder = directory()
    if folder is None:
        return None
    path = _path(folder, kind, key)
    try:
        if not (_safe(folder) and _safe(path)):
            return None
        entry = json.loads(path.read_bytes())
        body = {k: entry[k] for k in ("format", "kind", "key", "fingerprint", "payload")}
        if (
            entry.get("sha256") != hashlib.sha256(_canonical(body)).hexdigest()
            or body["format"] != FORMAT
            or body["kind"] != kind
            or body["key"] != json.loads(_canonical(key))
            or body["fingerprint"] != fingerprint()
            or not isinstance(body["payload"], dict)
        ):
            return None
        return body["payload"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def store(kind: str, key: dict, payload: dict) -> bool:
    """Write an entry atomically; False when the cache is off or cannot be written (never an error)."""
    folder = directory()
    if folder is None:
        return False
    body = {"format": FORMAT, "kind": kind, "key": key, "fingerprint": fingerprint(), "payload": payload}
    try:
        data = json.loads(_canonical(body))  # the key as JSON reads it back (tuples become lists)
        data["sha256"] = hashlib.sha256(_canonical(data)).hexdigest()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _safe(folder):
            return False
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_canonical(data))
            os.replace(tmp, _path(folder, kind, key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return True
    except (OSError, ValueError, TypeError):
        return False


# ---------------------------------------------------------------- the score route (probe sizes)


@dataclass(frozen=True)
class Route:
    """The generated NumPy of one proven concrete-size derivation: ``route(W, X, λ, Δ, hyper=…)`` is
    ``(L, dL/dW)`` exactly as ``Derivation.numpy_loss``/``numpy_gradient`` compute it (the same code)."""

    route: ScoreRoute
    source: str  # the score functions' printed code
    has_step: bool  # the derived gradient holds an indicator 1[m > 0] (its kink convention matters)
    claims: tuple[str, ...]  # the claims the code was proven under

    def __call__(self, W, X, reg: float, delta: float, hyper: tuple = ()):
        return self.route(W, X, float(reg), float(delta) if self.route.symbolic_delta else None, hyper=hyper)

    @property
    def hyper(self) -> tuple[str, ...]:
        return self.route.hyper


def route_from_derivation(d: Any) -> Route:
    """The :class:`Route` of a proven derivation ``d``; :class:`~symderiv.errors.ProofError` unless
    the claims proving its code hold."""
    from ..algebra.functions import Step
    from ..errors import ProofError

    route = d._route
    wanted = (*ROUTE_CLAIMS, *((SHIFT_CLAIM,) if route.shift else ()))
    holding = {c.id for c in d.claims if c.holds}
    missing = [c for c in wanted if c not in holding]
    if missing or not d.proved:
        raise ProofError(f"the generated NumPy of this derivation is not proven ({', '.join(missing) or 'proof'})")
    source = getattr(route.functions, "__source__", None)
    if not isinstance(source, str):
        raise ProofError("the generated NumPy has no printed source")
    glue = ScoreRoute(
        layout=route.layout,
        bias=route.bias,
        N=route.N,
        C=route.C,
        scale=float(route.scale),
        reg=float(route.reg),
        shift=bool(route.shift),
        symbolic_delta=bool(route.symbolic_delta),
        functions=route.functions,
        hyper=tuple(route.hyper),
    )
    return Route(glue, source, bool(d.gradient.has(Step)), wanted)


def store_route(key: dict, route: Route) -> bool:
    """Store the route's code (only code proven by every claim of :data:`ROUTE_CLAIMS`)."""
    wanted = (*ROUTE_CLAIMS, *((SHIFT_CLAIM,) if route.route.shift else ()))
    if not set(wanted) <= set(route.claims):
        return False
    r = route.route
    payload = {
        "route": {
            "layout": r.layout,
            "bias": r.bias,
            "N": r.N,
            "C": r.C,
            "scale": float(r.scale),
            "reg": float(r.reg),
            "shift": r.shift,
            "symbolic_delta": r.symbolic_delta,
            "hyper": list(r.hyper),
        },
        "source": route.source,
        "has_step": route.has_step,
        "claims": list(route.claims),
    }
    return store("scores", key, payload)


def load_route(key: dict) -> Route | None:
    """The cached :class:`Route` for ``key``, or None (then derive, prove and :func:`store_route`)."""
    payload = load("scores", key)
    if payload is None:
        return None
    try:
        r = payload["route"]
        claims = tuple(str(c) for c in payload["claims"])
        wanted = (*ROUTE_CLAIMS, *((SHIFT_CLAIM,) if r["shift"] else ()))
        if not set(wanted) <= set(claims) or r["layout"] not in ("XW", "WX"):
            return None
        source = payload["source"]
        functions = _compile_score_functions(source)
        glue = ScoreRoute(
            layout=str(r["layout"]),
            bias=bool(r["bias"]),
            N=int(r["N"]),
            C=int(r["C"]),
            scale=float(r["scale"]),
            reg=float(r["reg"]),
            shift=bool(r["shift"]),
            symbolic_delta=bool(r["symbolic_delta"]),
            functions=functions,
            hyper=tuple(str(h) for h in r["hyper"]),
        )
        return Route(glue, source, bool(payload["has_step"]), claims)
    except (KeyError, TypeError, ValueError, SyntaxError, RecursionError):
        return None


#: the NumPy functions the score functions' printer emits (``symderiv.codegen.lambdify``)
NUMPY_NAMES = frozenset({"array", "exp", "log", "heaviside", "maximum", "minimum", "reduce", "sqrt", "abs", "sign"})
_EXPRESSIONS = (
    ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.List, ast.Tuple,
    ast.operator, ast.unaryop, ast.expr_context,
)  # fmt: skip


def _compile_score_functions(source: str) -> Callable:
    """Compile printed score functions after checking that they are of the printer's form: one
    ``def score_functions(scores, …)`` of assignments and a return, whose expressions use only names,
    numbers, arithmetic and ``numpy.<one of NUMPY_NAMES>`` — nothing that could read a file or import."""
    tree = ast.parse(source)
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise ValueError("not one function")
    fn = tree.body[0]
    if fn.name != "score_functions" or fn.decorator_list or fn.returns is not None:
        raise ValueError("not the score functions")
    for statement in fn.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            names = target.elts if isinstance(target, ast.List) else [target]
            if not all(isinstance(n, ast.Name) for n in names):
                raise ValueError("an assignment to something else than names")
            nodes = [statement.value]
        elif isinstance(statement, ast.Return) and statement.value is not None:
            nodes = [statement.value]
        else:
            raise ValueError(f"a statement the printer does not write: {type(statement).__name__}")
        for node in (n for root in nodes for n in ast.walk(root)):
            if not isinstance(node, _EXPRESSIONS):
                raise ValueError(f"an expression the printer does not write: {type(node).__name__}")
            if isinstance(node, ast.Name) and node.id.startswith("_"):
                raise ValueError("a private name")
            if isinstance(node, ast.Attribute) and not _numpy_attribute(node):
                raise ValueError("an attribute other than numpy's functions")
            if isinstance(node, ast.Constant) and (
                isinstance(node.value, bool) or not isinstance(node.value, int | float)
            ):
                raise ValueError("a constant other than a number")
    filename = f"<symderiv score functions (cached) {hashlib.sha256(source.encode()).hexdigest()[:12]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {"numpy": numpy, "__builtins__": {}}
    exec(compile(tree, filename, "exec"), namespace)
    function = namespace["score_functions"]
    function.__source__ = source
    return function


def _numpy_attribute(node: ast.Attribute) -> bool:
    """``numpy.f`` or ``numpy.f.reduce`` with f in :data:`NUMPY_NAMES`."""
    parts = [node.attr]
    value = node.value
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    return isinstance(value, ast.Name) and value.id == "numpy" and len(parts) <= 2 and set(parts) <= NUMPY_NAMES


# ---------------------------------------------------------------- the vectorized function (the user's data)


def store_vectorized(key: dict, source: str, claims: tuple[str, ...]) -> bool:
    """Store a vectorized function's module source, proven under ``claims`` (must include
    :data:`VECTORIZED_CLAIM`)."""
    if VECTORIZED_CLAIM not in claims:
        return False
    return store("vectorized", key, {"source": source, "claims": list(claims)})


def load_vectorized(key: dict) -> Callable | None:
    """The cached vectorized ``f(W, X, y, reg) -> (loss, dW)`` for ``key``, or None."""
    payload = load("vectorized", key)
    if payload is None:
        return None
    try:
        if VECTORIZED_CLAIM not in payload["claims"]:
            return None
        return compile_vectorized(str(payload["source"]))
    except (KeyError, TypeError, ValueError, SyntaxError, RecursionError):
        return None


def compile_vectorized(source: str) -> Callable:
    """Compile a module written by ``symderiv.codegen.vectorize`` (after checking that it imports NumPy
    only and defines functions only); its input check raises :class:`InputError`, as there."""
    tree = ast.parse(source)
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            if [(a.name, a.asname) for a in statement.names] != [("numpy", "np")]:
                raise ValueError("an import other than numpy")
        elif not isinstance(statement, ast.FunctionDef):
            raise ValueError(f"a statement the generator does not write: {type(statement).__name__}")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Global | ast.Nonlocal) or (
            isinstance(node, ast.Import) and node not in tree.body
        ):
            raise ValueError("an import inside a function")
        if isinstance(node, ast.Attribute) and node.attr.startswith("__"):
            raise ValueError("a dunder attribute")
        if isinstance(node, ast.Name) and node.id in ("eval", "exec", "open", "compile", "__import__", "getattr"):
            raise ValueError(f"a call the generator does not write: {node.id}")
    filename = f"<symderiv codegen (cached) {hashlib.sha256(source.encode()).hexdigest()[:12]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "symderiv.generated"}
    exec(compile(tree, filename, "exec"), namespace)
    check = namespace["_check_inputs"]

    def checked(W, X, y):
        try:
            return check(W, X, y)
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc)) from None

    namespace["_check_inputs"] = checked
    fn = next(v for k, v in namespace.items() if k.endswith("_loss_vectorized"))
    fn.__source__ = source
    return fn


# ---------------------------------------------------------------- what the check needs to know of a loss


@dataclass(frozen=True, eq=False)
class LossFacts:
    """What a check needs of a built-in loss, without its SymPy definition: its name, whether it has
    kinks and uses Δ, its hyperparameters' defaults. Anything else (the diagnoses of a wrong function use
    more) comes from the definition itself, imported then (:attr:`definition`)."""

    name: str
    kinky: bool
    uses_delta: bool
    defaults: tuple[tuple[str, float], ...]

    def numbers(self, hyper: object = ()) -> dict[str, float]:
        """Every hyperparameter as a float (see ``Loss.numbers``): only the defaults are known here."""
        if hyper:
            return self.definition.numbers(hyper)
        return dict(self.defaults)

    def hyper(self, values: object = None) -> Any:
        """``Loss.hyper``: none given is (); anything else is validated by the definition."""
        if values is None or (isinstance(values, tuple | list | dict) and not values):
            return ()
        return self.definition.hyper(values)

    @functools.cached_property
    def definition(self) -> Any:
        from ..losses import get

        return get(self.name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "definition":
            raise AttributeError(name)
        return getattr(self.definition, name)


def loss_facts(name: str) -> LossFacts | None:
    """:class:`LossFacts` of a built-in loss from the cache (None: not cached, not built in)."""
    if not cacheable(name):
        return None
    payload = load("loss", {"name": name})
    if payload is None:
        return None
    try:
        defaults = tuple((str(k), float(v)) for k, v in payload["defaults"])
        return LossFacts(name, bool(payload["kinky"]), bool(payload["uses_delta"]), defaults)
    except (KeyError, TypeError, ValueError):
        return None


def store_loss_facts(definition: Any) -> bool:
    """Store what :class:`LossFacts` holds of a built-in ``definition``."""
    if not cacheable(definition.name):
        return False
    payload = {
        "kinky": bool(definition.kinky),
        "uses_delta": bool(definition.uses_delta),
        "defaults": [[k, float(v)] for k, v in definition.numbers(()).items()],
    }
    return store("loss", {"name": definition.name}, payload)


_FACTS: dict[str, LossFacts] = {}


def definition_of(loss: Any) -> Any:
    """The loss a check runs with: a :class:`Loss <symderiv.losses.Loss>` passes through; a built-in's
    name gives its cached :class:`LossFacts` while the loss registry (SymPy) is not loaded, else the
    registered definition (whose facts are then cached for the next process)."""
    if not isinstance(loss, str):
        return loss
    if "symderiv.losses" not in sys.modules:
        facts = _FACTS.get(loss) or loss_facts(loss)
        if facts is not None:
            _FACTS[loss] = facts
            return facts
    from ..losses import get

    definition = get(loss)
    if loss not in _FACTS and cacheable(loss) and loss_facts(loss) is None:
        store_loss_facts(definition)
    return definition
