"""Run the user's function in a separate process with a time limit.

The child process (forked where the platform allows, so any callable works — lambdas, closures,
functions defined in a test) calls ``f(W, X, y, reg)`` once per probe and sends back, probe by
probe, what came out: the returned values as plain arrays, whether the inputs were changed, or
the exception with the user's own line. A hang, a crash or an exit of the child becomes an
:class:`Outcome` too; nothing the user's code does can crash symderiv.
"""

from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing as mp
import os
import pickle
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
_LIBRARY_DIRS = tuple(str(Path(p).resolve()) for p in {*sys.path} if p and ("site-packages" in p or "lib/python" in p))

#: what the child needs to find the user's function: a callable, or (path, name) for FILE.py::NAME
Target = Callable | tuple[str, str]


@dataclass
class Outcome:
    """What one call of the user's function did.

    ``status`` is one of: "returned", "raised", "timeout", "crashed", "import-error".
    For "returned", ``value`` is the normalised return value (see :func:`_normalise`) and
    ``mutated`` names the inputs that the call changed.
    """

    status: str
    value: dict | None = None
    mutated: list[str] = field(default_factory=list)
    error: dict | None = None  # type, message, file, line, code, function
    seconds: float = 0.0


@dataclass(frozen=True)
class Call:
    """One call to make: ``f(*args)``; ``args`` are (W, X, y, reg)."""

    name: str
    args: tuple


def resolve_path_target(spec: str) -> tuple[str, str]:
    """Split ``FILE.py::FUNCTION`` and check the file exists (the function is looked up in the child,
    because importing the file runs the user's code)."""
    path, sep, name = spec.rpartition("::")
    if not sep or not path or not name:
        raise InputError(f"name the function as FILE.py::FUNCTION, not {spec!r}")
    if not name.isidentifier():
        raise InputError(f"{name!r} is not a Python function name")
    file = Path(path)
    if not file.is_file():
        raise InputError(f"no such file: {path}")
    if file.suffix != ".py":
        raise InputError(f"{path} is not a Python file (.py)")
    return str(file.resolve()), name


class Running:
    """A child process calling the user's function; :meth:`finish` waits for it (time limit)."""

    def __init__(self, target: Target, calls: Sequence[Call], timeout: float) -> None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        if method == "spawn" and callable(target):
            try:
                pickle.dumps(target)
            except Exception as exc:
                raise InputError(
                    f"cannot send {getattr(target, '__name__', target)!r} to a separate process on this "
                    "platform: define it at module level, or check it as FILE.py::FUNCTION"
                ) from exc
        self.count = len(calls)
        self.timeout = timeout
        self.printed = tempfile.TemporaryFile()  # noqa: SIM115 — closed in finish()
        self.receiver, sender = ctx.Pipe(duplex=False)
        self.child = ctx.Process(  # type: ignore[attr-defined]  # typeshed's BaseContext lacks Process
            target=_child, args=(sender, target, list(calls), self.printed.fileno()), daemon=True
        )
        self.started = time.monotonic()
        with _quiet_fork_warning():
            self.child.start()
        sender.close()

    def finish(self) -> tuple[list[Outcome], str]:
        """One :class:`Outcome` per call, and what the function printed (stdout and stderr,
        truncated). Raises :class:`InputError` when a FILE::FUNCTION target names a function the
        file does not define."""
        try:
            outcomes = _collect(self.receiver, self.child, self.count, self.started + self.timeout)
        finally:
            self.receiver.close()
            self.printed.seek(0)
            text = self.printed.read(20_000).decode("utf-8", "replace")
            self.printed.close()
        return outcomes, text

    def finish_quietly(self) -> None:
        """Stop the child without waiting for its results (symderiv itself failed)."""
        with contextlib.suppress(Exception):
            self.child.kill()
            self.child.join()
            self.receiver.close()
            self.printed.close()


def run(target: Target, calls: Sequence[Call], *, timeout: float) -> tuple[list[Outcome], str]:
    """Call the user's function on each of ``calls`` in a child process and wait for it.

    ``timeout`` (seconds) bounds the whole run; the call that was running when it expired is
    reported as "timeout" and the later ones are not made."""
    return Running(target, calls, timeout).finish()


def _collect(receiver, child, count: int, deadline: float) -> list[Outcome]:
    outcomes: list[Outcome] = []
    started = time.monotonic()
    while len(outcomes) < count:
        remaining = deadline - time.monotonic()
        try:
            ready = remaining > 0 and receiver.poll(remaining)
            message = receiver.recv() if ready else None
        except (EOFError, OSError):
            message = ("eof",)
        if message is None:  # the time limit expired while a call was running
            child.kill()
            child.join()
            outcomes.append(Outcome("timeout", seconds=time.monotonic() - started))
            break
        kind = message[0]
        if kind == "outcome":
            outcomes.append(message[1])
            started = time.monotonic()
        elif kind == "missing":
            child.join(1)
            raise InputError(message[1])
        elif kind == "import-error":
            outcomes.append(Outcome("import-error", error=message[1]))
            break
        else:  # "eof": the child died without saying why
            child.join(1)
            code = child.exitcode
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
            outcomes.append(Outcome("crashed", error={"type": "crash", "message": why}))
            break
    child.join(1)
    if child.is_alive():
        child.kill()
        child.join()
    return outcomes


@contextlib.contextmanager
def _quiet_fork_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        yield


# ---------------------------------------------------------------- the child process


def _child(sender, target: Target, calls: list[Call], printed_fd: int) -> None:
    os.dup2(printed_fd, 1)  # the user's prints must not reach our stdout (--json prints one object)
    os.dup2(printed_fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    try:
        f = _load(target, sender)
        if f is None:
            return
        for call in calls:
            sender.send(("outcome", _call(f, call)))
    except BaseException:  # noqa: BLE001 — the child must never leave a traceback of ours
        pass
    finally:
        with contextlib.suppress(Exception):
            sender.close()
        sys.stdout.flush()
        sys.stderr.flush()


def _load(target: Target, sender):
    if callable(target):
        return target
    path, name = target
    directory = str(Path(path).parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    module_name = "symderiv_user_" + Path(path).stem.replace("-", "_")
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 — importing the user's file runs the user's code
        sender.send(("import-error", _describe_exception(exc)))
        return None
    f = getattr(module, name, None)
    if not callable(f):
        defined = sorted(
            k for k, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == module_name
        )
        hint = f" (it defines: {', '.join(defined)})" if defined else ""
        sender.send(("missing", f"{path} has no function {name!r}{hint}"))
        return None
    return f


def _call(f: Callable, call: Call) -> Outcome:
    if len(call.args) == 2:
        return _call_layer(f, call)
    W, X, y, reg = call.args
    before = {"W": W.copy(), "X": X.copy(), "y": y.copy()}
    start = time.perf_counter()
    try:
        returned = f(W, X, y, reg)
    except BaseException as exc:  # noqa: BLE001 — SystemExit and KeyboardInterrupt are the user's too
        return Outcome("raised", error=_describe_exception(exc), seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    mutated = [k for k, v in before.items() if not np.array_equal(v, call.args["WXy".index(k)], equal_nan=False)]
    return Outcome("returned", value=_normalise(returned), mutated=mutated, seconds=seconds)


def _call_layer(f: Callable, call: Call) -> Outcome:
    """A loss layer: ``f(x, y)``; the inputs that can be changed are x and y."""
    x, y = call.args
    before = {"x": x.copy(), "y": y.copy()}
    start = time.perf_counter()
    try:
        returned = f(x, y)
    except BaseException as exc:  # noqa: BLE001 — as in _call
        return Outcome("raised", error=_describe_exception(exc), seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    mutated = [k for k, v in before.items() if not np.array_equal(v, call.args["xy".index(k)])]
    return Outcome("returned", value=_normalise(returned), mutated=mutated, seconds=seconds)


def _normalise(returned: object) -> dict:
    """The return value as picklable facts: its kind, and for a pair the two parts as arrays."""
    out: dict = {"type": type(returned).__name__}
    if returned is None:
        out["kind"] = "none"
        return out
    if not isinstance(returned, tuple | list) or len(returned) != 2:
        out["kind"] = "other"
        out["length"] = len(returned) if isinstance(returned, tuple | list) else None
        out["repr"] = _short_repr(returned)
        return out
    out["kind"] = "pair"
    out["parts"] = [_as_array(part) for part in returned]
    return out


def _as_array(part: object) -> dict:
    info: dict = {"type": type(part).__name__, "repr": _short_repr(part)}
    try:
        array = np.array(part)  # a copy: the user may keep and change what they returned
    except Exception:  # noqa: BLE001
        return info
    if array.dtype.kind in "biufc":
        info["array"] = array
        info["dtype"] = str(array.dtype)
    elif array.dtype == object:
        try:  # e.g. a 0-d array holding a NumPy scalar or a list of floats
            info["array"] = array.astype(float)
            info["dtype"] = "object"
        except Exception:  # noqa: BLE001
            pass
    return info


def _short_repr(value: object, limit: int = 80) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_exception(exc: BaseException) -> dict:
    """The exception with the frame most likely to be the user's own line: the deepest frame
    outside symderiv, the standard library and installed packages (NumPy raising on the user's
    ``X @ W`` points at the user's line, not at NumPy)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if isinstance(exc, SyntaxError) and exc.filename:
        where = {"file": exc.filename, "line": exc.lineno, "code": (exc.text or "").strip(), "function": ""}
    else:
        ours = [fr for fr in frames if not _is_library(fr.filename)]
        frame = ours[-1] if ours else (frames[-1] if frames else None)
        where = (
            {
                "file": frame.filename,
                "line": frame.lineno,
                "code": (frame.line or "").strip(),
                "function": frame.name,
            }
            if frame
            else {}
        )
    message = str(exc) if not isinstance(exc, SystemExit) else f"exit({exc.code!r})"
    return {"type": type(exc).__name__, "message": " ".join(message.split())[:300], **where}


def _is_library(filename: str) -> bool:
    resolved = str(Path(filename).resolve()) if not filename.startswith("<") else filename
    if resolved.startswith(_PACKAGE_DIR):
        return True
    return any(resolved.startswith(d) for d in _LIBRARY_DIRS)
