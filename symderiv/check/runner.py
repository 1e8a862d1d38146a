"""Run the user's function in a separate process with a time limit.

The child process (forked where the platform allows, so any callable works — lambdas, closures,
functions defined in a test) calls ``f(W, X, y, reg)`` once per probe and sends back, probe by
probe, what came out: the returned values as plain arrays, whether the inputs were changed, or
the exception with the user's own line. A hang, a crash or an exit of the child becomes an
:class:`Outcome` too; nothing the user's code does can crash symderiv.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import math
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
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
    #: made only when symderiv asks for it after the calls before (see :meth:`Running.decide`)
    optional: bool = False


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
    """A child process calling the user's function; :meth:`finish` waits for it.

    The time limit counts the user's calls only: the child announces each call ("begin", with the
    clock time it started) and reports how long it ran, and a watchdog thread here stops the child
    when the calls together exceed ``timeout`` — while symderiv computes the truth, so neither that
    work nor process start-up is charged to the user. Importing the user's file has its own limit
    (``import_timeout``, default ``max(timeout, 10 s)``); symderiv's own work in the child between
    calls (copying out what the function returned) has a generous one. The child leads its own
    process group, which is killed as a whole when the run ends, on a timeout, and when symderiv
    itself is stopped (SIGTERM, SIGHUP, Ctrl-C): nothing the user's code started outlives the check.
    """

    def __init__(
        self, target: Target, calls: Sequence[Call], timeout: float, *, import_timeout: float | None = None
    ) -> None:
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
        self.import_timeout = max(timeout, IMPORT_SECONDS) if import_timeout is None else import_timeout
        self.outcomes: list[Outcome] = []
        self.missing: str | None = None
        self.declined = False  # an optional call was not wanted
        self._changed = threading.Condition()
        self._printed = bytearray()
        self.receiver, sender = ctx.Pipe(duplex=False)
        answers, self._answer = ctx.Pipe(duplex=False)
        read_fd, write_fd = os.pipe()
        self.child = ctx.Process(  # type: ignore[attr-defined]  # typeshed's BaseContext lacks Process
            target=_child, args=(sender, answers, target, list(calls), write_fd), daemon=True
        )
        self.started = time.monotonic()
        with _quiet_fork_warning():
            self.child.start()
        _adopt(self.child.pid)
        sender.close()
        answers.close()
        os.close(write_fd)
        self._reader = threading.Thread(target=self._read_printed, args=(read_fd,), daemon=True)
        self._reader.start()
        self._watchdog = threading.Thread(target=self._collect, daemon=True)
        self._watchdog.start()

    def finish(self) -> tuple[list[Outcome], str]:
        """One :class:`Outcome` per call made, and what the function printed (stdout and stderr,
        truncated). Raises :class:`InputError` when a FILE::FUNCTION target names a function the
        file does not define."""
        try:
            while self._watchdog.is_alive():
                self._watchdog.join(0.2)  # in steps, so that Ctrl-C is not held up
        finally:
            self._stop()
        if self.missing is not None:
            raise InputError(self.missing)
        return self.outcomes, self._printed.decode("utf-8", "replace")

    def outcome(self, index: int) -> Outcome | None:
        """Wait for the outcome of call ``index``; None when the child stopped before it."""
        with self._changed:
            while len(self.outcomes) <= index and self._watchdog.is_alive():
                self._changed.wait(0.2)
            return self.outcomes[index] if len(self.outcomes) > index else None

    def decide(self, wanted: bool) -> None:
        """Say whether the next optional call is wanted (the child waits for the answer, untimed)."""
        if not wanted:
            self.declined = True
        with contextlib.suppress(OSError, ValueError):
            self._answer.send(wanted)

    def finish_quietly(self) -> None:
        """Stop the child without waiting for its results (symderiv itself failed)."""
        self._stop()

    # -- the watchdog

    def _collect(self) -> None:
        try:
            self._collect_messages()
        except BaseException as exc:  # noqa: BLE001 — a watchdog must never die silently
            self.outcomes.append(Outcome("crashed", error={"type": "crash", "message": f"symderiv: {exc}"}))
        finally:
            _kill_group(self.child)
            with self._changed:
                self._changed.notify_all()

    def _collect_messages(self) -> None:
        budget = self.timeout
        deadline, phase = self.started + self.import_timeout, "import"
        begun = 0.0
        while len(self.outcomes) < self.count:
            remaining = deadline - time.monotonic()
            try:
                message = self.receiver.recv() if self.receiver.poll(min(max(remaining, 0), 1.0)) else None
            except (EOFError, OSError):
                message = ("eof",)
            if message is None and time.monotonic() < deadline:
                continue
            if message is None:  # a time limit expired
                _kill_group(self.child)
                if phase == "import":
                    error = {"type": "timeout", "message": f"importing your file took over {self.import_timeout:g} s"}
                    self.outcomes.append(Outcome("timeout", error=error, seconds=self.import_timeout))
                elif phase == "call":
                    self.outcomes.append(Outcome("timeout", seconds=time.monotonic() - begun))
                else:
                    error = {"type": "timeout", "message": "the value your function returned could not be read"}
                    self.outcomes.append(Outcome("timeout", error=error))
                return
            kind = message[0]
            if kind == "loaded":
                deadline, phase = time.monotonic() + OVERHEAD_SECONDS, "between"
            elif kind == "begin":  # the call started at message[1] (the clock is the system's, shared)
                begun = message[1]
                deadline, phase = begun + budget, "call"
            elif kind == "returned":
                budget -= message[1]
                deadline, phase = time.monotonic() + OVERHEAD_SECONDS, "between"
            elif kind == "outcome":
                with self._changed:
                    self.outcomes.append(message[1])
                    self._changed.notify_all()
                deadline, phase = time.monotonic() + OVERHEAD_SECONDS, "between"
            elif kind == "ask":  # the child waits for decide(): symderiv's time, not the user's
                deadline, phase = math.inf, "between"
            elif kind == "declined":
                return
            elif kind == "missing":
                self.missing = message[1]
                return
            elif kind == "import-error":
                self.outcomes.append(Outcome("import-error", error=message[1]))
                return
            else:  # "eof": the child died without saying why
                self.child.join(2)
                code = self.child.exitcode
                why = f"killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
                self.outcomes.append(Outcome("crashed", error={"type": "crash", "message": why}))
                return

    def _read_printed(self, fd: int) -> None:
        """Keep the first bytes of what the child and its children print; drain (discard) the rest, so a
        function printing without end neither blocks nor fills memory or disk."""
        try:
            while chunk := os.read(fd, 1 << 16):
                if len(self._printed) < PRINTED_BYTES:
                    self._printed += chunk[: PRINTED_BYTES - len(self._printed)]
        except OSError:
            pass
        finally:
            os.close(fd)

    def _stop(self) -> None:
        _kill_group(self.child)
        with contextlib.suppress(Exception):
            self.child.join(5)
        _release(self.child.pid)
        self._reader.join(2)  # the pipe's writers are gone: it ends
        with contextlib.suppress(Exception):
            self.receiver.close()
            self._answer.close()


def run(target: Target, calls: Sequence[Call], *, timeout: float) -> tuple[list[Outcome], str]:
    """Call the user's function on each of ``calls`` in a child process and wait for it.

    ``timeout`` (seconds) bounds the user's calls together; the call that was running when it
    expired is reported as "timeout", the outcomes before it are kept and the later calls are not made."""
    return Running(target, calls, timeout).finish()


#: seconds for importing the user's file at least (its own code runs, and its imports)
IMPORT_SECONDS = 10.0
#: seconds for symderiv's own work in the child between two calls (e.g. copying out a huge result)
OVERHEAD_SECONDS = 60.0
#: bytes of the user's prints kept
PRINTED_BYTES = 20_000


# ---------------------------------------------------------------- process groups


_LIVE: set[int] = set()  # process groups of running children (their leaders' pids)
_PREVIOUS_HANDLERS: dict[int, object] = {}
_LOCK = threading.Lock()


def _adopt(pid: int | None) -> None:
    """Make ``pid`` lead its own process group (the child does so too: whoever runs first wins the race
    harmlessly) and make sure symderiv's exit or termination kills that group."""
    if pid is None or not hasattr(os, "setpgid"):
        return
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    with _LOCK:
        _LIVE.add(pid)
        if threading.current_thread() is threading.main_thread() and not _PREVIOUS_HANDLERS:
            for signum in (signal.SIGTERM, signal.SIGHUP):
                with contextlib.suppress(ValueError, OSError):
                    _PREVIOUS_HANDLERS[signum] = signal.signal(signum, _on_signal)


def _release(pid: int | None) -> None:
    with _LOCK:
        _LIVE.discard(pid)  # type: ignore[arg-type]
        if not _LIVE and _PREVIOUS_HANDLERS and threading.current_thread() is threading.main_thread():
            for signum, handler in _PREVIOUS_HANDLERS.items():
                with contextlib.suppress(ValueError, OSError, TypeError):
                    signal.signal(signum, handler)  # type: ignore[arg-type]
            _PREVIOUS_HANDLERS.clear()


def _kill_group(child) -> None:
    pid = child.pid
    if pid is None:
        return
    _kill_descendants(pid)  # first, while the child (a subreaper) still holds every orphan of its tree
    if hasattr(os, "killpg"):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        child.kill()


def _descendants(root: int) -> list[int]:
    """Linux: the living descendants of ``root`` (from /proc; any session or process group)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields and fields[0] != b"Z":  # a zombie is dead already
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


def _kill_descendants(root: int) -> None:
    """SIGKILL every descendant of ``root``, also those that left its process group (``os.setsid()``):
    the child is a subreaper (:func:`_become_subreaper`), so orphans stay in its tree while it lives."""
    if not sys.platform.startswith("linux"):
        return
    for _ in range(5):  # the tree may grow while it is killed: until none is left
        family = _descendants(root)
        if not family:
            return
        for pid in family:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _kill_all() -> None:
    for pid in list(_LIVE):
        _kill_descendants(pid)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _on_signal(signum, frame) -> None:
    """symderiv is being stopped: kill every child's group, then stop as the signal asks."""
    _kill_all()
    previous = _PREVIOUS_HANDLERS.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    if previous == signal.SIG_IGN:
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_kill_all)


@contextlib.contextmanager
def _quiet_fork_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        yield


# ---------------------------------------------------------------- the child process


def _child(sender, answers, target: Target, calls: list[Call], printed_fd: int) -> None:
    me = os.getpid()
    if hasattr(os, "setpgid"):
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)  # lead a process group: symderiv kills it whole, grandchildren included
    _die_with_parent()
    _become_subreaper()
    os.dup2(printed_fd, 1)  # the user's prints must not reach our stdout (--json prints one object)
    os.dup2(printed_fd, 2)
    os.close(printed_fd)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    import faulthandler

    if faulthandler.is_enabled():  # a crash report goes with the user's prints, not to symderiv's stderr
        faulthandler.enable(file=sys.stderr)
    try:
        f = _load(target, sender)
        if f is None or os.getpid() != me:
            return
        sender.send(("loaded",))
        for index, call in enumerate(calls):
            if call.optional:
                sender.send(("ask", index))
                if not answers.recv():
                    sender.send(("declined", index))
                    break
            sender.send(("begin", time.monotonic(), index))
            outcome = _call(f, call)
            if os.getpid() != me:  # a process the user's function forked: it must not speak for the child
                os._exit(0)
            sender.send(("returned", outcome.seconds))
            sender.send(("outcome", outcome))
    except BaseException:  # noqa: BLE001 — the child must never leave a traceback of ours
        pass
    finally:
        if os.getpid() != me:
            os._exit(0)
        _kill_descendants(me)  # what the user's function started ends with the child, in any session
        with contextlib.suppress(Exception):
            sender.close()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()


def _die_with_parent() -> None:
    """Linux: the child is killed if symderiv is (SIGKILL cannot be caught, so no handler could do it)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def _become_subreaper() -> None:
    """Linux: orphans among the child's descendants (a grandchild whose parent exited, one that left
    the process group with ``os.setsid()``) are re-parented to the child instead of to init, so that
    :func:`_kill_descendants` finds them all."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


def _load(target: Target, sender):
    if callable(target):
        return target
    path, name = target
    sys.dont_write_bytecode = True  # no __pycache__ next to the user's file: symderiv changes no file of theirs
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
    """Call ``f`` on read-only inputs: a function that does not write to them returns as usual, without
    symderiv copying the data to watch it (the user's data may be gigabytes). One that writes raises;
    it is then called again on writable copies, compared afterwards, to tell which input it changed."""
    if len(call.args) == 2:
        return _call_layer(f, call)
    W, X, y, reg = call.args
    start = time.perf_counter()
    try:
        returned = f(_read_only(W), _read_only(X), _read_only(y), reg)
    except BaseException as exc:  # noqa: BLE001 — SystemExit and KeyboardInterrupt are the user's too
        if not (isinstance(exc, ValueError) and ("read-only" in str(exc) or "WRITEABLE" in str(exc))):
            return Outcome("raised", error=_describe_exception(exc, f), seconds=time.perf_counter() - start)
    else:  # the seconds include reading out what it returned: the user's objects may run code there too
        value = _normalise(returned)
        return Outcome("returned", value=value, seconds=time.perf_counter() - start)
    copies = (np.array(W), np.array(X), np.array(y))
    try:
        returned = f(*copies, reg)
    except BaseException as exc:  # noqa: BLE001
        return Outcome("raised", error=_describe_exception(exc, f), seconds=time.perf_counter() - start)
    mutated = [k for k, before, after in zip("WXy", (W, X, y), copies, strict=True) if not _same(before, after)]
    value = _normalise(returned)
    return Outcome("returned", value=value, mutated=mutated, seconds=time.perf_counter() - start)


def _read_only(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` over a read-only buffer: no flag can make it writable again."""
    try:
        buffer = memoryview(array)  # type: ignore[arg-type]  # an ndarray is a buffer; the stubs disagree
        return np.asarray(buffer.toreadonly())
    except (TypeError, ValueError, BufferError):  # e.g. an array NumPy cannot export as a buffer
        view = array.view()
        view.flags.writeable = False
        return view


def _same(before: np.ndarray, after: np.ndarray) -> bool:
    """Equal values, NaN equal to NaN in the same place (NaN in the data is not a change)."""
    if before.shape != after.shape or before.dtype != after.dtype:
        return False
    if before.dtype.kind in "fc":
        return bool(np.array_equal(before, after, equal_nan=True))
    return bool(np.array_equal(before, after))


def _call_layer(f: Callable, call: Call) -> Outcome:
    """A loss layer: ``f(x, y)``; the inputs that can be changed are x and y."""
    x, y = call.args
    before = {"x": x.copy(), "y": y.copy()}
    start = time.perf_counter()
    try:
        returned = f(x, y)
    except BaseException as exc:  # noqa: BLE001 — as in _call
        return Outcome("raised", error=_describe_exception(exc, f), seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    mutated = [k for k, v in before.items() if not _same(v, call.args["xy".index(k)])]
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


def _describe_exception(exc: BaseException, f: Callable | None = None) -> dict:
    """The exception with the frame most likely to be the user's own line: the deepest frame
    outside symderiv, the standard library and installed packages (NumPy raising on the user's
    ``X @ W`` points at the user's line, not at NumPy). When the call itself failed (a signature
    that does not take (W, X, y, reg)), the user's ``def`` line."""
    frames = traceback.extract_tb(exc.__traceback__)
    message = str(exc) if not isinstance(exc, SystemExit) else f"exit({exc.code!r})"
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
        definition = _definition(f) if f is not None and isinstance(exc, TypeError) and not ours else None
        if definition is not None:
            where, signature = definition
            message = f"{message} — symderiv calls f(W, X, y, reg); yours is {where['function']}{signature}"
    return {"type": type(exc).__name__, "message": " ".join(message.split())[:300], **where}


def _definition(f: Callable) -> tuple[dict, str] | None:
    """Where ``f`` is defined (its ``def`` line) and its signature, when Python knows them."""
    import inspect
    import linecache

    try:
        code = inspect.unwrap(f).__code__
        signature = str(inspect.signature(f))
    except (AttributeError, TypeError, ValueError):
        return None
    line = code.co_firstlineno
    text = linecache.getline(code.co_filename, line).strip()
    for _ in range(20):  # past decorators, to the def itself
        if not text.startswith("@"):
            break
        line += 1
        text = linecache.getline(code.co_filename, line).strip()
    return {"file": code.co_filename, "line": line, "code": text, "function": code.co_name}, signature


def _is_library(filename: str) -> bool:
    resolved = str(Path(filename).resolve()) if not filename.startswith("<") else filename
    if resolved.startswith(_PACKAGE_DIR):
        return True
    return any(resolved.startswith(d) for d in _LIBRARY_DIRS)
