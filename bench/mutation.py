"""Mutation testing of the prover (issue 9, item 3), with mutmut 3.

    python bench/mutation.py              # every target below
    python bench/mutation.py --quick      # the normalizer and the rules only (simplify.py)
    python bench/mutation.py --write      # … and record the counts and survivors in bench/MUTANTS.md

mutmut changes the code one small step at a time (an operator, a constant, a comparison, a
``return True``, a dropped argument) and runs the focused tests that exercise the changed function;
a mutant that no test notices "survives". Each target is run in a scratch copy of the package
(the worktree is never touched), one mutant at a time (``--jobs`` for more: the machine is shared).
Survivors listed as equivalent in bench/MUTANTS.md (by function and mutated line, so renumbering
does not matter) are counted apart; every other survivor is printed with its file:line and diff.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS_MD = ROOT / "bench" / "MUTANTS.md"


@dataclass(frozen=True)
class Target:
    """A module to mutate, the functions in it (all when empty) and the focused tests to run."""

    path: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()


# The modules and tests (paths from the repository root). When modules move into packages, update
# these paths: nothing else in this script names a module.
PACKAGE = "symderiv"
TARGETS: tuple[Target, ...] = (
    Target(
        "symderiv/algebra/normal_form.py",
        ("tests/test_prover_discrimination.py", "tests/test_prover_mutants.py", "tests/test_core_verify.py"),
    ),
    Target(
        "symderiv/algebra/evaluate.py",
        ("tests/test_prover_mutants.py", "tests/test_core_verify.py", "tests/test_core_claims.py"),
    ),
    # the index rules and the pieces the claims compare; derive_generic's own checks are tested by
    # fault injection in tests/test_generic_claims.py (each check made to see a wrong input)
    Target(
        "symderiv/derive/generic.py",
        ("tests/test_generic_rules.py", "tests/test_generic_claims.py"),
        (
            "_index_range",
            "_split_sum",
            "_is_splittable",
            "_summable_delta",
            "_label_delta",
            "_substitutable",
            "_substitute_under_delta",
            "index_rules",
            "canonical",
            "_score",
            "_regularizer",
            "_whole_loss",
            "split_cases",
            "_bias_entry",
        ),
    ),
    Target(
        "symderiv/prove/claims.py",
        ("tests/test_prover_mutants.py", "tests/test_prover_discrimination.py", "tests/test_core_claims.py"),
        ("prove", "_chain_rule_nf", "prove_score_cases", "summarise_patterns"),
    ),
)
QUICK = TARGETS[:1]
PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:symderiv", "--hypothesis-seed=0"]


def module_name(path: str) -> str:
    """``symderiv/simplify.py`` → ``symderiv.simplify``."""
    return path.removesuffix(".py").replace("/", ".")


def function_of(mutant: str) -> str:
    """``pkg.mod.xǁClassǁmethod__mutmut_3`` → ``Class.method``; ``pkg.mod.x_fn__mutmut_3`` → ``fn``."""
    name = mutant.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]
    if name.startswith("xǁ"):
        return ".".join(name[2:].split("ǁ"))
    return name.removeprefix("x_")


def mutmut_config(target: Target) -> str:
    """The ``[tool.mutmut]`` section for one target: the module, the files to copy, the focused tests."""
    tests = ", ".join(f'"{t}"' for t in target.tests)
    args = ", ".join(f'"{a}"' for a in PYTEST_ARGS)
    return (
        "\n[tool.mutmut]\n"
        f'source_paths = ["{target.path}"]\n'
        f'also_copy = ["{PACKAGE}/", "tests/"]\n'
        f"pytest_add_cli_args_test_selection = [{tests}]\n"
        f"pytest_add_cli_args = [{args}]\n"
    )


def equivalents() -> set[tuple[str, str, str]]:
    """(function, mutated line, original line or "") of every mutant bench/MUTANTS.md explains as
    equivalent: the rows ``| `function` | `mutated line` | why |`` of its section "Equivalent
    mutants"; where the mutated line alone is ambiguous the cell reads: `mutated` (was `original`)."""
    if not MUTANTS_MD.exists():
        return set()
    text = MUTANTS_MD.read_text()
    section = text.split("## Equivalent mutants", 1)[-1].split("\n## ", 1)[0] if "## Equivalent" in text else ""
    out = set()
    for row in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]  # "\|" is a | in a cell
        if len(cells) >= 3 and cells[0].startswith("`") and cells[1].startswith("`"):
            mutated, _, original = cells[1].partition("` (was `")
            out.add((cells[0].strip("`"), _normal(mutated.strip("`")), _normal(original.rstrip(")").strip("`"))))
    return out


def is_equivalent(function: str, removed: list[str], added: list[str], known: set[tuple[str, str, str]]) -> bool:
    """Whether a surviving mutant is one bench/MUTANTS.md explains."""
    for name, mutated, original in known:
        same = name == function and any(_normal(a) == mutated for a in added)
        if same and (not original or any(_normal(r) == original for r in removed)):
            return True
    return False


def _normal(line: str) -> str:
    return " ".join(line.replace("\\|", "|").split())


def diff_lines(diff: str) -> tuple[list[str], list[str]]:
    """The removed and the added lines of a mutant's diff."""
    removed = [ln[1:] for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return removed, added


def locate(source: Path, function: str, removed: list[str]) -> int:
    """The line in ``source`` of the first removed line, searched from the function's definition."""
    lines = source.read_text().splitlines()
    start = 0
    name = function.split(".")[-1]
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            start = node.lineno - 1
            break
    for probe in removed[:1]:
        for n in range(start, len(lines)):
            if lines[n].strip() == probe.strip():
                return n + 1
    return start + 1


def run_target(target: Target, jobs: int, log) -> dict:
    """Run mutmut on one target in a scratch copy; return counts and the surviving mutants."""
    work = Path(tempfile.mkdtemp(prefix="symderiv-mutation-"))
    try:
        shutil.copytree(ROOT / PACKAGE, work / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
        (work / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + mutmut_config(target))
        # no PYTHONPATH: with one, the tests import an installed symderiv instead of mutmut's copy
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        selection = [f"{module_name(target.path)}.{prefix}*" for prefix in _prefixes(target)]
        start = time.perf_counter()
        subprocess.run(
            ["mutmut", "run", "--max-children", str(jobs), *selection],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
        seconds = time.perf_counter() - start
        listing = subprocess.run(
            ["mutmut", "results", "--all", "true"], cwd=work, env=env, capture_output=True, text=True, check=False
        ).stdout
        statuses = {}
        for line in listing.splitlines():
            m = re.match(r"\s*(\S+__mutmut_\d+): (.+)$", line)
            if m and _selected(target, m.group(1)):
                statuses[m.group(1)] = m.group(2).strip()
        known = equivalents()
        survivors, equivalent = [], []
        for mutant, status in sorted(statuses.items(), key=lambda kv: _order(kv[0])):
            if status == "killed":
                continue
            diff = subprocess.run(
                ["mutmut", "show", mutant], cwd=work, env=env, capture_output=True, text=True, check=False
            ).stdout
            removed, added = diff_lines(diff)
            function = function_of(mutant)
            entry = {
                "mutant": mutant,
                "status": status,
                "function": function,
                "line": locate(ROOT / target.path, function, removed),
                "removed": removed,
                "added": added,
            }
            if status == "survived" and is_equivalent(function, removed, added, known):
                equivalent.append(entry)
            else:
                survivors.append(entry)
        killed = sum(1 for s in statuses.values() if s == "killed")
        unchecked = sum(1 for s in statuses.values() if s == "not checked")
        return {
            "target": target.path,
            "mutants": len(statuses),
            "killed": killed,
            "equivalent": len(equivalent),
            "survived": len(survivors) - unchecked,
            "not checked": unchecked,
            "survivors": survivors,
            "equivalents": equivalent,
            "seconds": seconds,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _prefixes(target: Target) -> list[str]:
    if not target.functions:
        return [""]
    out = []
    for f in target.functions:
        if "." in f:
            cls, meth = f.split(".", 1)
            out.append(f"xǁ{cls}ǁ{meth}__mutmut_")
        else:
            out.append(f"x_{f}__mutmut_")
    return out


def _selected(target: Target, mutant: str) -> bool:
    return not target.functions or function_of(mutant) in target.functions


def _order(mutant: str) -> tuple[str, int]:
    head, n = mutant.rsplit("__mutmut_", 1)
    return head, int(n)


def report(results: list[dict]) -> str:
    """The counts per target as a Markdown table, then one line per unexplained survivor."""
    lines = [
        "| module | mutants | killed | survived | equivalent (explained below) | minutes |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| `{r['target']}` | {r['mutants']} | {r['killed']} | {r['survived']} | {r['equivalent']} "
            f"| {r['seconds'] / 60:.1f} |"
        )
        if r["not checked"]:
            lines.append(f"|  | ({r['not checked']} not checked: the run did not finish — never run two at once) |")
    for r in results:
        for s in r["survivors"]:
            if s["status"] == "not checked":
                continue
            change = "; ".join(f"`{a.strip()}`" for a in s["added"]) or "(line removed)"
            was = "; ".join(f"`{a.strip()}`" for a in s["removed"])
            lines.append(f"- {s['status']}: {r['target']}:{s['line']} in `{s['function']}`: {was} → {change}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the targets; exit 1 when a mutant survives unexplained."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the normalizer and the rules only")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1: the CPU is shared)")
    parser.add_argument("--write", action="store_true", help="record the result in bench/MUTANTS.md")
    parser.add_argument("--only", action="append", default=[], help="run only this target path (repeatable)")
    parser.add_argument("--log", default=os.devnull, help="where mutmut's own progress output goes")
    args = parser.parse_args(argv)
    if shutil.which("mutmut") is None:
        print("mutmut is not installed: pip install 'mutmut>=3.3,<4'", file=sys.stderr)
        return 2
    targets = QUICK if args.quick else TARGETS
    if args.only:
        targets = tuple(t for t in TARGETS if t.path in args.only)
    results = []
    with open(args.log, "a") as log:
        for target in targets:
            print(f"mutating {target.path} …", file=sys.stderr, flush=True)
            results.append(run_target(target, args.jobs, log))
            if args.write:  # after every target, so that a long run records what it has
                write(report(results))
    print(report(results))
    return 1 if any(r["survived"] or r["not checked"] for r in results) else 0


def write(table: str) -> None:
    """Put ``table`` between the markers of bench/MUTANTS.md, keeping the rows of targets this run
    did not cover (``--only``, ``--quick``)."""
    text = MUTANTS_MD.read_text()
    begin, end = "<!-- mutation:begin -->", "<!-- mutation:end -->"
    head, rest = text.split(begin, 1)
    old, tail = rest.split(end, 1)
    new_lines = table.splitlines()
    ran = {_line_target(line) for line in new_lines} - {None}
    kept, owner = [], None
    for line in old.strip().splitlines():
        owner = _line_target(line) or (owner if line.startswith("|  |") else None)
        if owner and owner not in ran:
            kept.append(line)
    rows = [ln for ln in kept if ln.startswith("|")] + [ln for ln in new_lines[2:] if ln.startswith("|")]
    rows.sort(key=lambda ln: [t.path for t in TARGETS].index(_line_target(ln)) if _line_target(ln) else 99)
    items = [ln for ln in kept if ln.startswith("- ")] + [ln for ln in new_lines if ln.startswith("- ")]
    body = "\n".join([*new_lines[:2], *rows, *items])
    MUTANTS_MD.write_text(f"{head}{begin}\n{body}\n{end}{tail}")


def _line_target(line: str) -> str | None:
    for t in TARGETS:
        if line.startswith(f"| `{t.path}`") or f" {t.path}:" in line:
            return t.path
    return None


if __name__ == "__main__":
    sys.exit(main())
