"""Every documented example runs: each ```python block of README.md, as written, and the two
commands README opens with are the ones CI and the docs promise."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


PLUGIN_PRELUDE = """
import pytest
from correct import svm_naive as svm_loss_naive, softmax_vectorized as softmax_loss_vectorized
"""


@pytest.mark.parametrize("n", range(len(BLOCKS)))
def test_readme_python_block_runs(n, capsys, tmp_path):
    if "def test_" in BLOCKS[n]:  # a test file for the pytest plugin: run it with pytest, as a user would
        (tmp_path / "test_readme_example.py").write_text(PLUGIN_PRELUDE + BLOCKS[n])
        corpus = README.parent / "tests" / "corpus"
        r = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(corpus)},
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "2 passed" in r.stdout
        return
    exec(compile(BLOCKS[n], f"README.md block {n}", "exec"), {})
    out = capsys.readouterr().out
    if "verify_formula" in BLOCKS[n]:
        assert "proved" in out and "refuted" in out and "counterexample" in out


def test_readme_starts_with_the_two_commands():
    first = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S).group(1)
    lines = [line for line in first.splitlines() if line.strip()]
    assert lines[0].startswith("pip install -e . && symderiv derive --all && symderiv report --all")
    assert lines[1].startswith("pip install -e '.[test]' && python -m pytest")
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python -m pytest" in ci
