"""Writing reports to disk: atomically, never over a file symderiv did not write (unless forced),
the PDF through latexmk or pdflatex, and a staleness check for committed reports."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import SymderivError
from .render import MARKER

FORMATS = ("tex", "pdf", "md", "html")
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended latexmk"
INSTALL_TEX = f"sudo apt-get install {TEX_PACKAGES}"
PDF_SOURCE = re.compile(rb"symderiv-source:([0-9a-f]{64})")
TEX_TIMEOUT = 180


class OverwriteError(SymderivError):
    """Refused to overwrite files symderiv did not write."""


class TexError(SymderivError):
    """pdflatex failed, or no TeX engine is installed."""


@dataclass
class Output:
    """One file of a report: where it goes and its bytes (None for the PDF, compiled later)."""

    path: Path
    data: bytes | None
    kind: str  # "tex", "pdf", "md", "svg", "html", "asset"


@dataclass
class WriteResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # TeX missing or failing: other files are written

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------- ownership and atomic writes


def ours(path: Path, kind: str) -> bool:
    """Whether the existing ``path`` was written by symderiv (or is one of its packaged assets)."""
    try:
        head = path.read_bytes()
    except OSError:
        return False
    if kind == "pdf":
        return pdf_digest(path) is not None
    if kind == "asset":
        return True  # decided by content in check_ownership
    return MARKER.encode() in head[:4096]


def check_ownership(outputs: list[Output], force: bool) -> None:
    """Raise :class:`OverwriteError` listing every existing file symderiv did not write."""
    if force:
        return
    foreign = []
    for out in outputs:
        if not out.path.exists():
            continue
        if out.path.is_dir():
            foreign.append(out.path)
        elif out.kind == "asset":
            if out.data is not None and out.path.read_bytes() != out.data:
                foreign.append(out.path)
        elif not ours(out.path, out.kind):
            foreign.append(out.path)
    if foreign:
        names = "\n  ".join(str(p) for p in foreign)
        raise OverwriteError(
            f"refusing to overwrite {len(foreign)} file(s) that symderiv did not write:\n  {names}\n"
            "move them away, choose another --out, or pass --force"
        )


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename, so a
    reader never sees half a file and an interrupted write leaves the old file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------- KaTeX


def katex_assets(out_dir: Path) -> list[Output]:
    """The vendored KaTeX files, to be copied to ``out_dir/katex``."""
    root = resources.files("symderiv.report") / "assets" / "katex"
    outputs = []

    def walk(node, rel: Path) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, rel / child.name)
            elif child.name.endswith((".js", ".css", ".woff2")) or child.name in ("LICENSE", "VERSION"):
                outputs.append(Output(out_dir / "katex" / rel / child.name, child.read_bytes(), "asset"))

    walk(root, Path())
    return outputs


# ---------------------------------------------------------------- PDF


def tex_engine() -> list[str] | None:
    """The command that compiles a .tex file to PDF here, or None without a TeX engine."""
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    if shutil.which("pdflatex"):
        return ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    return None


def compile_pdf(tex_name: str, tex: bytes) -> bytes:
    """Compile ``tex`` in a scratch folder; return the PDF's bytes. Raises :class:`TexError` with
    the install command (no engine) or the relevant lines of the log (a TeX error)."""
    engine = tex_engine()
    if engine is None:
        raise TexError(f"no TeX engine (pdflatex) found, so no PDF was made; install one with:\n  {INSTALL_TEX}")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    with tempfile.TemporaryDirectory(prefix="symderiv-tex-") as tmp:
        src = Path(tmp) / tex_name
        src.write_bytes(tex)
        runs = [engine] if engine[0] == "latexmk" else [engine, engine]  # pdflatex twice: references
        for cmd in runs:
            try:
                proc = subprocess.run(
                    [*cmd, tex_name], cwd=tmp, env=env, capture_output=True, timeout=TEX_TIMEOUT, check=False
                )
            except subprocess.TimeoutExpired:
                raise TexError(f"{cmd[0]} took longer than {TEX_TIMEOUT} s on {tex_name}") from None
            pdf = src.with_suffix(".pdf")
            if proc.returncode != 0 or not pdf.exists():
                log = src.with_suffix(".log")
                text = log.read_text(errors="replace") if log.exists() else proc.stdout.decode(errors="replace")
                raise TexError(f"{cmd[0]} failed on {tex_name}:\n{log_excerpt(text, tex.decode())}")
        return pdf.read_bytes()


def log_excerpt(log: str, source: str = "", context: int = 2) -> str:
    """The error lines of a TeX log (``! …`` up to ``l.<n>``), with the source lines around n."""
    lines = log.splitlines()
    out: list[str] = []
    for k, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^[^:\s]+\.tex:\d+: ", line):
            block = [line]
            for follow in lines[k + 1 : k + 12]:
                block.append(follow)
                if re.match(r"^l\.\d+", follow):
                    break
            out.extend(block)
            m = re.search(r"(?:^l\.|\.tex:)(\d+)", "\n".join(block), re.M)
            if m and source:
                n = int(m.group(1))
                src = source.splitlines()
                out.append(f"--- {Path('source').name} lines {max(1, n - context)}-{n + context}:")
                for j in range(max(1, n - context), min(len(src), n + context) + 1):
                    out.append(f"{j:5d}{'>' if j == n else ' '} {src[j - 1]}")
            break
    if not out:
        out = lines[-20:]
    return "\n".join(out)


def source_digest(tex_without_digest: str) -> str:
    return hashlib.sha256(tex_without_digest.encode()).hexdigest()


def pdf_digest(path: Path) -> str | None:
    """The digest of the .tex a PDF was compiled from (in its info dictionary), if any."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    m = PDF_SOURCE.search(data) or PDF_SOURCE.search(data.replace(b"\\000", b""))  # UTF-16 strings
    return m.group(1).decode() if m else None
