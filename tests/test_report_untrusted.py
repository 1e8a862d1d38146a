"""Issue 10: reports rendered from students' files treat the file as untrusted code and its text as
untrusted text — never imported in symderiv's process, no way out of a listing, no live HTML, any file
name — and symderiv replaces only files whose content is what it recorded writing."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv.cli import cli
from symderiv.report import OverwriteError, derive_for_report, render_report, write_report
from symderiv.report.code import load_implementation
from symderiv.report.writers import MANIFEST, compile_pdf, tex_engine

REPO = Path(__file__).resolve().parent.parent
SVM_BODY = """    n = X.shape[0]
    S = X @ W
    margins = np.maximum(0, S - S[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    M = (margins > 0).astype(float)
    M[np.arange(n), y] = -M.sum(axis=1)
    return margins.sum() / n + reg * np.sum(W * W), X.T @ M / n + 2 * reg * W
"""


def _student(folder: Path, name: str, docstring: str = "A student's SVM.") -> Path:
    path = folder / name
    path.write_text(f'import numpy as np\n\n\ndef svm(W, X, y, reg):\n    r"""{docstring}"""\n{SVM_BODY}')
    return path


@pytest.fixture(scope="module")
def hinge():
    return derive_for_report("hinge")


# ---------------------------------------------------------------- the file is never imported here


def _cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "symderiv", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_sys_exit_at_import_is_a_check_result_not_symderivs_exit(tmp_path):
    user = tmp_path / "exits.py"
    user.write_text(f"import sys\nimport numpy as np\nsys.exit(3)\n\n\ndef svm(W, X, y, reg):\n{SVM_BODY}")
    done = _cli("report", "hinge", "--implementation", f"{user}::svm", "--format", "md", "--out", str(tmp_path / "o"))
    assert done.returncode == 0, done.stderr
    md = (tmp_path / "o" / "hinge.md").read_text()
    assert "importing your file raised SystemExit: exit(3)" in md


def test_a_syntax_error_is_one_line_and_exit_2(tmp_path):
    user = tmp_path / "broken.py"
    user.write_text("def svm(W, X, y, reg)\n    return 0\n")
    done = _cli("report", "hinge", "--implementation", f"{user}:svm", "--format", "md", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"symderiv: error: {user}:1: syntax error: expected ':'"]
    assert not (tmp_path / "o").exists()


def test_an_import_time_loop_is_stopped_by_the_time_limit(tmp_path):
    user = tmp_path / "loops.py"
    user.write_text(f"import numpy as np\nwhile True:\n    pass\n\n\ndef svm(W, X, y, reg):\n{SVM_BODY}")
    start = time.monotonic()
    done = _cli("report", "hinge", "--implementation", str(user), "--format", "md", "--out", str(tmp_path / "o"))
    assert done.returncode == 0 and time.monotonic() - start < 60
    assert "importing your file took over" in (tmp_path / "o" / "hinge.md").read_text()


def test_loading_an_implementation_does_not_run_it(tmp_path):
    marker = tmp_path / "ran"
    user = tmp_path / "side_effect.py"
    user.write_text(f"open({str(marker)!r}, 'w').close()\nimport numpy as np\n\n\ndef svm(W, X, y, reg):\n{SVM_BODY}")
    impl = load_implementation(f"{user}::svm")
    assert impl.name == "svm" and impl.function is None and not marker.exists()


@pytest.mark.parametrize("spec", ["{path}::svm", "{path}:svm", "{path}"])
def test_file_and_function_are_spelled_as_check_spells_them(tmp_path, spec):
    path = _student(tmp_path, "s.py")
    assert load_implementation(spec.format(path=path)).name == "svm"


# ---------------------------------------------------------------- no way out of a listing


INJECTION = r"\end{lstlisting}\input{SECRET}\begin{lstlisting}"


def test_a_docstring_cannot_end_the_tex_listing(tmp_path, hinge):
    impl = load_implementation(str(_student(tmp_path, "s.py", INJECTION)))
    tex = render_report(hinge, "tex", implementation=impl)
    assert tex.count(r"\begin{lstlisting}") == tex.count(r"\end{lstlisting}")
    inside = [part.split(r"\end{lstlisting}")[0] for part in tex.split(r"\begin{lstlisting}")[1:]]
    assert all("\\" not in body for body in inside)  # nothing in a listing is a TeX command
    assert any("⧵end{lstlisting}⧵input{SECRET}" in body for body in inside)  # shown, as text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None, reason="needs TeX")
def test_the_pdf_shows_the_docstring_and_not_the_file_it_names(tmp_path, hinge):
    secret = tmp_path / "secret.tex"
    secret.write_text("TOPSECRET-CONTENT-4711\n")
    impl = load_implementation(str(_student(tmp_path, "s.py", INJECTION.replace("SECRET", str(secret)))))
    write_report(hinge, tmp_path / "o", ("pdf",), implementation=impl)
    text = subprocess.run(["pdftotext", str(tmp_path / "o" / "hinge.pdf"), "-"], capture_output=True, text=True).stdout
    assert "TOPSECRET" not in text and "input{" in text


def test_tex_is_compiled_with_shell_escape_off_and_reading_confined(monkeypatch):
    seen = {}

    def fake_run(cmd, cwd, env, **kwargs):
        seen.update(cmd=cmd, env=env)
        (Path(cwd) / "x.pdf").write_bytes(b"%PDF")
        return subprocess.CompletedProcess(cmd, 0, b"", b"")

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(subprocess, "run", fake_run)
    assert "-no-shell-escape" in tex_engine() and "-pdflatex=pdflatex -no-shell-escape %O %S" in tex_engine()
    compile_pdf("x.tex", b"\\documentclass{article}")
    assert "-no-shell-escape" in seen["cmd"]
    assert seen["env"]["openin_any"] == "p" and seen["env"]["shell_escape"] == "f"


def test_markdown_fences_and_html_hold_the_code_whatever_it_contains(tmp_path, hinge):
    from markdown_it import MarkdownIt

    doc = "ok\n```\n<script>alert(1)</script>\n````\n"
    impl = load_implementation(str(_student(tmp_path, "s.py", doc)))
    md = render_report(hinge, "md", implementation=impl)
    page = MarkdownIt("commonmark").render(md)  # a CommonMark renderer: raw HTML would pass through
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    html = render_report(hinge, "html", implementation=impl)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("name", ["st$u`d_e#n%t{1}.py", "a``b~^&<x>.py", "dollar $x$ sign.py"])
def test_special_characters_in_file_names_are_shown_verbatim(tmp_path, hinge, name):
    from markdown_it import MarkdownIt

    impl = load_implementation(str(_student(tmp_path, name)))
    md = render_report(hinge, "md", implementation=impl)
    page = MarkdownIt("commonmark").render(md)
    import html as html_lib

    assert f"<code>{html_lib.escape(str(tmp_path / name), quote=False)}</code>" in page
    tex = render_report(hinge, "tex", implementation=impl)
    line = next(line for line in tex.splitlines() if "The implementation" in line)
    stripped = line
    for escaped in (
        r"\$",
        r"\_",
        r"\#",
        r"\%",
        r"\{",
        r"\}",
        r"\&",
        r"\textasciitilde{}",
        r"\textasciicircum{}",
        r"\textless{}",
        r"\textgreater{}",
        r"\texttt{",
        r"\textbackslash{}",
    ):
        stripped = stripped.replace(escaped, "")
    assert "$" not in stripped and "#" not in stripped and "%" not in stripped  # every special is escaped


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs TeX")
def test_a_file_name_full_of_specials_compiles(tmp_path, hinge):
    impl = load_implementation(str(_student(tmp_path, "st$u`d_e#n%t{1}^~&.py")))
    result = write_report(hinge, tmp_path / "o", ("pdf",), implementation=impl)
    assert result.ok, result.problems


# ---------------------------------------------------------------- what symderiv wrote


def test_a_users_file_that_mentions_the_marker_is_not_overwritten(tmp_path, hinge):
    mine = tmp_path / "hinge.md"
    mine.write_text("My notes. This line says generated by symderiv, but I wrote it.\n")
    with pytest.raises(OverwriteError, match="did not write"):
        write_report(hinge, tmp_path, ("md",))
    assert mine.read_text().startswith("My notes.")


def test_an_edit_to_a_generated_report_is_protected_until_force(tmp_path, hinge):
    write_report(hinge, tmp_path, ("md", "tex"))
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert set(manifest["files"]) == {"hinge.md", "hinge.tex", "hinge-margin.svg", "hinge-margin.pdf"}
    md = tmp_path / "hinge.md"
    md.write_text(md.read_text() + "\nMy own remark.\n")
    with pytest.raises(OverwriteError, match="changed since"):
        write_report(hinge, tmp_path, ("md",))
    assert md.read_text().endswith("My own remark.\n")
    write_report(hinge, tmp_path, ("md",), force=True)
    assert "My own remark." not in md.read_text()
    write_report(hinge, tmp_path, ("md",))  # recorded again: no refusal


def test_a_file_symderiv_wrote_and_nobody_changed_is_replaced(tmp_path, hinge):
    write_report(hinge, tmp_path, ("md",))
    md = tmp_path / "hinge.md"
    # what symderiv recorded writing, even if it differs from what it would write now (another version)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    md.write_text("old version, written by symderiv\n")
    import hashlib

    manifest["files"]["hinge.md"] = hashlib.sha256(md.read_bytes()).hexdigest()
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    result = write_report(hinge, tmp_path, ("md",))
    assert md in result.written and "old version" not in md.read_text()


def test_an_unwritable_out_folder_is_one_line_exit_2(tmp_path):
    if os.geteuid() == 0:
        target = "/proc/symderiv-cannot-write-here"  # root may write anywhere else
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = str(locked / "out")
    out = CliRunner().invoke(cli, ["report", "hinge", "--format", "md", "--out", target])
    assert out.exit_code == 2 and out.output.count("\n") == 1 and "symderiv: error:" in out.output
    assert "Traceback" not in out.output
