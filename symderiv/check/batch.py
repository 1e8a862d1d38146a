"""Many submissions at once, for teaching assistants: ``symderiv check`` with several targets.

A target is ``FILE.py::FUNCTION``; the file part may be a glob (``subs/*.py::svm_loss_naive``) or a
folder, and a file, glob or folder without ``::FUNCTION`` takes the function's name from
``--function NAME``. The checks run in parallel worker processes (``jobs``, default the CPU count),
forked after the truths of the standard probes have been derived once in the parent, so no worker
derives them again; each check still runs the submission in its own child process with its own time
limit. The results come back as one table, one JSON object ``{"results": [...], "summary": {...}}``
(each result is the single-target JSON object, with its ``target``), a CSV file and a Gradescope
autograder ``results.json``.

A target that cannot be checked (its file does not define the function) is one row with verdict
"error" and counts as failing; input that leaves nothing to check (no file matches, an output file
exists) is an :class:`~symderiv.errors.InputError`.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import glob
import io
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, SymderivError
from .result import CheckResult

GLOB_CHARACTERS = "*?["
CSV_COLUMNS = (
    "target",
    "verdict",
    "score",
    "max_score",
    "regularizer",
    "probes_ok",
    "probes",
    "diagnosis_ids",
    "diagnoses",
)


@dataclass(frozen=True)
class Plan:
    """The targets to check, and whether they are a batch (several, or named by a glob or a folder)."""

    targets: tuple[str, ...]
    batch: bool


@dataclass
class Entry:
    """One target's outcome: its :class:`CheckResult`, or the one-line reason it could not be checked."""

    target: str
    result: CheckResult | None = None
    error: str | None = None

    @property
    def verdict(self) -> str:
        return self.result.verdict if self.result is not None else "error"

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.passed

    def to_dict(self) -> dict:
        """The single-target JSON object with its ``target``; for an error, the target and the error."""
        if self.result is None:
            return {"target": self.target, "verdict": "error", "error": self.error, "diagnoses": [self.error]}
        return {"target": self.target, **self.result.to_dict()}

    def headline(self) -> str:
        """The first finding, in words (empty when it passed)."""
        if self.result is None:
            return self.error or ""
        return self.result.diagnoses[0].message if self.result.diagnoses else ""

    def report(self) -> str:
        return self.result.report() if self.result is not None else f"ERROR {self.target}: {self.error}"


@dataclass
class Batch:
    """The entries in the order of the targets, the time the whole took and the workers used."""

    entries: list[Entry]
    seconds: float = 0.0
    jobs: int = 1
    options: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(e.passed for e in self.entries)

    def summary(self) -> dict:
        count = {v: sum(e.verdict == v for e in self.entries) for v in ("pass", "fail", "error")}
        return {
            "targets": len(self.entries),
            "passed": count["pass"],
            "failed": count["fail"],
            "errors": count["error"],
            "verdict": "pass" if self.passed else "fail",
            "seconds": round(self.seconds, 3),
            "jobs": self.jobs,
        }

    def to_json(self) -> str:
        return json.dumps(
            {"results": [e.to_dict() for e in self.entries], "summary": self.summary()},
            ensure_ascii=False,
            default=_plain,
        )

    def table(self, width: int = 72) -> str:
        """One line per target: verdict, probes right, the first finding; then the totals."""
        name_width = min(max([len(e.target) for e in self.entries] + [6]), 60)
        lines = [f"{'target':<{name_width}}  verdict  probes  finding"]
        for e in self.entries:
            probes = (
                f"{sum(p.status == 'ok' for p in e.result.probes)}/{len(e.result.probes)}"
                if e.result is not None
                else "-"
            )
            finding = e.headline()
            if len(finding) > width:
                finding = finding[: width - 1] + "…"
            if e.result is not None and e.result.diagnoses:
                finding += f" [{e.result.diagnoses[0].id}]"
            lines.append(f"{_clip(e.target, name_width):<{name_width}}  {e.verdict.upper():<7}  {probes:<6}  {finding}")
        s = self.summary()
        lines.append(
            f"{s['targets']} targets: {s['passed']} passed, {s['failed']} failed, {s['errors']} errors "
            f"({self.seconds:.1f} s, {self.jobs} job{'s' if self.jobs != 1 else ''})"
        )
        return "\n".join(lines)

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "target",
                "verdict",
                "score",
                "max_score",
                "regularizer",
                "probes_ok",
                "probes",
                "diagnosis_ids",
                "diagnoses",
            ]
        )
        for e in self.entries:
            r = e.result
            writer.writerow(
                [
                    e.target,
                    e.verdict,
                    1 if e.passed else 0,
                    1,
                    (r.regularizer or "") if r is not None else "",
                    sum(p.status == "ok" for p in r.probes) if r is not None else 0,
                    len(r.probes) if r is not None else 0,
                    ";".join(d.id for d in r.diagnoses) if r is not None else "error",
                    " | ".join(d.message for d in r.diagnoses) if r is not None else e.error,
                ]
            )
        return out.getvalue()

    def gradescope(self) -> dict:
        """Gradescope's autograder ``results.json``: one test per target, 1 point when it passes."""
        tests = [
            {
                "name": e.target,
                "score": 1.0 if e.passed else 0.0,
                "max_score": 1.0,
                "output": e.report(),
                "status": "passed" if e.passed else "failed",
            }
            for e in self.entries
        ]
        return {"tests": tests, "score": sum(t["score"] for t in tests)}


# ---------------------------------------------------------------- targets


def plan(specs: Sequence[str], function: str | None = None) -> Plan:
    """Expand ``specs`` (``FILE::FUNC``, globs, folders; ``function`` for those without ``::``) into
    targets ``FILE.py::FUNCTION``, in order, each once. Raises :class:`InputError` when a spec
    names no function, a literal file does not exist, or a glob or folder matches nothing."""
    if function is not None and not function.isidentifier():
        raise InputError(f"--function takes a Python function name, not {function!r}")
    targets: list[str] = []
    batch = len(specs) > 1
    for spec in specs:
        path, sep, named = spec.rpartition("::")
        name = named if sep else function
        if not sep:
            path = spec
            if name is None:
                raise InputError(f"name the function as FILE.py::FUNCTION (or pass --function NAME), not {spec!r}")
        if not path or not name:
            raise InputError(f"name the function as FILE.py::FUNCTION, not {spec!r}")
        if any(ch in path for ch in GLOB_CHARACTERS):
            batch = True
            files = sorted(p for p in glob.glob(path, recursive=True) if Path(p).is_file())
            if not files:
                raise InputError(f"no file matches {path}")
        elif Path(path).is_dir():
            batch = True
            files = [str(p) for p in sorted(Path(path).rglob("*.py")) if _defines(p, name)]
            if not files:
                raise InputError(f"no Python file in {path} defines {name}")
        elif not Path(path).is_file():
            raise InputError(f"no such file: {path}")
        else:
            files = [path]
        targets.extend(f"{file}::{name}" for file in files)
    targets = list(dict.fromkeys(targets))
    return Plan(tuple(targets), batch or len(targets) > 1)


def _defines(path: Path, name: str) -> bool:
    """Whether the file defines ``name`` at top level (a file that does not parse is kept, so that
    its syntax error is reported as that submission's finding)."""
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return f"def {name}(" in source
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Assign) and _names(node, name)
        for node in tree.body
    )


def _names(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    return getattr(node, "name", None) == name


# ---------------------------------------------------------------- running


def check_many(
    targets: Sequence[str | tuple[str, dict]],
    *,
    jobs: int | None = None,
    progress: Callable[[Entry], None] | None = None,
    **options,
) -> Batch:
    """Check every target (``FILE.py::FUNCTION``, or ``(target, options)`` to override some of the
    shared ``check_gradient`` options for that one) in ``jobs`` worker processes (default: the CPU
    count); ``progress`` is called once per finished target. Returns the :class:`Batch`, entries in
    the order of ``targets``.

    >>> batch = check_many(["impl.py::good", "impl.py::bad"], loss="hinge", jobs=2)  # doctest: +SKIP
    >>> batch.summary()["passed"]  # doctest: +SKIP
    1
    """
    started = time.perf_counter()
    work = [(t, options) if isinstance(t, str) else (t[0], {**options, **t[1]}) for t in targets]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(work) or 1))
    seen: list[dict] = []
    for _, opts in work:  # the truths of the standard probes, derived once before the workers fork
        if opts not in seen:
            seen.append(opts)
            warm(**opts)
    entries: dict[int, Entry] = {}
    method = "fork" if "fork" in mp.get_all_start_methods() else None
    if jobs == 1 or method is None:
        for i, (target, opts) in enumerate(work):
            entries[i] = _check_one(target, opts)
            if progress:
                progress(entries[i])
        jobs = 1
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context(method)) as pool:
            futures = {pool.submit(_check_one, target, opts): i for i, (target, opts) in enumerate(work)}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    entries[i] = future.result()
                except Exception as exc:  # noqa: BLE001 — a worker that died is that target's error
                    entries[i] = Entry(work[i][0], error=f"the worker checking it failed: {exc}")
                if progress:
                    progress(entries[i])
    return Batch([entries[i] for i in range(len(work))], time.perf_counter() - started, jobs, options)


def _check_one(target: str, options: dict) -> Entry:
    from .core import check_gradient

    try:
        return Entry(target, check_gradient(target, **options))
    except SymderivError as exc:
        return Entry(target, error=str(exc))
    except Exception as exc:  # noqa: BLE001 — one target's internal failure must not stop the batch
        return Entry(target, error=f"internal error: {type(exc).__name__}: {exc}")


def warm(
    loss: str = "hinge",
    layout: str = "XW",
    delta: float = 1.0,
    reduction: str = "mean",
    signature: str = "auto",
    seed: int = 0,
    hyper: object = None,
    **_,
) -> None:
    """Derive the truths of the standard probes in this process (cached), so that workers forked
    afterwards share them; raises :class:`InputError` for an unknown loss."""
    from ..losses import get
    from .core import standard_truths

    definition = get(loss)
    for kind in ("linear", "layer") if signature == "auto" else (signature,):
        with contextlib.suppress(SymderivError, TypeError, ValueError):  # the checks will say what is wrong
            numbers = tuple(sorted(definition.numbers(definition.hyper(hyper)).items()))
            standard_truths(
                definition, float(delta), seed, kind, layout if kind == "linear" else "XW", reduction, numbers
            )


# ---------------------------------------------------------------- output files


def refuse_existing(paths: Iterable[str | None], force: bool) -> None:
    """Raise :class:`InputError` for an output file that exists already (unless ``force``)."""
    for path in paths:
        if path and Path(path).exists() and not force:
            raise InputError(f"{path} exists already: symderiv does not overwrite it (use --force)")


def write_text(path: str, text: str) -> None:
    """Write atomically: a temporary file in the same folder, renamed over ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(
    targets: Sequence[str],
    options: dict,
    *,
    jobs: int | None,
    as_json: bool,
    csv_path: str | None,
    gradescope_path: str | None,
    force: bool,
    echo: Callable[[str], None],
) -> int:
    """The command line's batch: check, print the table (or the JSON object), write the files;
    the exit status (0 all pass, 1 any fails)."""
    refuse_existing([csv_path, gradescope_path], force)
    if csv_path and gradescope_path and Path(csv_path).resolve() == Path(gradescope_path).resolve():
        raise InputError("--csv and --gradescope name the same file")
    batch = _run_with_progress(targets, options, jobs)
    if csv_path:
        write_text(csv_path, batch.csv_text())
    if gradescope_path:
        write_text(gradescope_path, json.dumps(batch.gradescope(), ensure_ascii=False, indent=1, default=_plain))
    echo(batch.to_json() if as_json else batch.table())
    return 0 if batch.passed else 1


def _run_with_progress(targets: Sequence[str], options: dict, jobs: int | None) -> Batch:
    if not sys.stderr.isatty():
        return check_many(targets, jobs=jobs, **options)
    import click

    with click.progressbar(length=len(targets), label="checking", file=sys.stderr) as bar:
        return check_many(targets, jobs=jobs, progress=lambda _: bar.update(1), **options)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _plain(value: Any) -> object:
    try:
        return float(value)  # NumPy scalars
    except (TypeError, ValueError):
        return str(value)
