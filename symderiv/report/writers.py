"""Writing reports to disk: atomically, never over a file symderiv did not write or that was changed
since (a manifest of content hashes in the folder records what it wrote; ``--force`` overrides),
the PDF through latexmk or pdflatex, and a staleness check for committed reports."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import SymderivError

FORMATS = ("tex", "pdf", "md", "html")
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended latexmk"
INSTALL_TEX = f"sudo apt-get install {TEX_PACKAGES}"
#: what a report in Chinese needs besides: XeLaTeX, ctex and a CJK font (Noto Serif/Sans CJK SC)
TEX_PACKAGES_ZH = "texlive-xetex texlive-lang-chinese fonts-noto-cjk"
INSTALL_TEX_ZH = f"sudo apt-get install {TEX_PACKAGES} {TEX_PACKAGES_ZH}"
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


MANIFEST = ".symderiv-manifest.json"


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Manifest:
    """What symderiv wrote into one folder: file (relative path) → SHA-256 of the bytes it wrote. A file
    is symderiv's to replace only while its content is still exactly that: a user's own file (whatever it
    says) is not in the manifest, and a user's edit to a generated file changes its hash."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / MANIFEST
        self.files: dict[str, str] = {}
        self.readable = True
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                files = data["files"]
                if data.get("written_by") != "symderiv" or not isinstance(files, dict):
                    raise ValueError("not a symderiv manifest")
                self.files = {str(k): str(v) for k, v in files.items()}
            except (OSError, ValueError, KeyError, TypeError):
                self.readable = False

    def key(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.folder)).as_posix()

    def wrote(self, path: Path) -> bool:
        """Whether ``path`` holds exactly what symderiv last wrote there."""
        recorded = self.files.get(self.key(path))
        if recorded is None:
            return False
        try:
            return digest_of(path.read_bytes()) == recorded
        except OSError:
            return False

    def record(self, path: Path, data: bytes) -> None:
        self.files[self.key(path)] = digest_of(data)

    def save(self) -> None:
        body = {"written_by": "symderiv", "note": "what symderiv wrote here (SHA-256); do not edit", "files": {}}
        body["files"] = dict(sorted(self.files.items()))
        atomic_write(self.path, (json.dumps(body, indent=1, ensure_ascii=False) + "\n").encode())


def check_ownership(outputs: list[Output], force: bool, manifest: Manifest | None = None) -> None:
    """Raise :class:`OverwriteError` listing every existing file that symderiv may not replace: one whose
    content is not what symderiv recorded writing (a file of the user's, or a generated file the user
    edited). A file already holding exactly the bytes to be written is left alone, so it is no loss."""
    if force or not outputs:
        return
    manifest = manifest or Manifest(outputs[0].path.parent)
    foreign = []
    if manifest.path.exists() and not manifest.readable:
        foreign.append(manifest.path)
    for out in outputs:
        if not out.path.exists() and not out.path.is_symlink():
            continue
        if out.path.is_dir() or out.path.is_symlink():
            foreign.append(out.path)
        elif out.data is not None and _same_bytes(out.path, out.data):
            continue
        elif not manifest.wrote(out.path):
            foreign.append(out.path)
    if foreign:
        names = "\n  ".join(str(p) for p in foreign)
        raise OverwriteError(
            f"refusing to overwrite {len(foreign)} file(s) that symderiv did not write, or that were changed "
            f"since it wrote them:\n  {names}\nmove them away, choose another --out, or pass --force"
        )


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


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


def tex_engine(lang: str = "en") -> list[str] | None:
    """The command that compiles a .tex file to PDF here, or None without a TeX engine: pdflatex, and
    xelatex for a report in Chinese (ctex with a CJK font), both without shell escape."""
    if lang != "en":
        if shutil.which("latexmk") and shutil.which("xelatex"):
            return [
                "latexmk",
                "-pdfxe",
                "-xelatex=xelatex -no-shell-escape %O %S",
                "-no-shell-escape",
                "-interaction=nonstopmode",
                "-halt-on-error",
                "-file-line-error",
            ]
        if shutil.which("xelatex"):
            return ["xelatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
        return None
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return [
            "latexmk",
            "-pdf",
            "-pdflatex=pdflatex -no-shell-escape %O %S",
            "-no-shell-escape",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-file-line-error",
        ]
    if shutil.which("pdflatex"):
        return ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    return None


def compile_pdf(tex_name: str, tex: bytes, files: dict[str, bytes] | None = None, *, lang: str = "en") -> bytes:
    """Compile ``tex`` in a scratch folder, next to ``files`` (name → bytes: the figures it includes);
    return the PDF's bytes. ``lang`` chooses the engine (:func:`tex_engine`). Raises :class:`TexError`
    with the install command (no engine) or the relevant lines of the log (a TeX error)."""
    engine = tex_engine(lang)
    if engine is None and lang != "en":
        raise TexError(f"no XeLaTeX found, so no PDF was made; install it with:\n  {INSTALL_TEX_ZH}")
    if engine is None:
        raise TexError(f"no TeX engine (pdflatex) found, so no PDF was made; install one with:\n  {INSTALL_TEX}")
    # shell escape off (also on the command line), and TeX may read and write only in its scratch folder
    # ("paranoid"): a report holds the user's text, which must never run or read anything
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": "0",
        "FORCE_SOURCE_DATE": "1",
        "shell_escape": "f",
        "openin_any": "p",
        "openout_any": "p",
    }
    with tempfile.TemporaryDirectory(prefix="symderiv-tex-") as tmp:
        src = Path(tmp) / tex_name
        src.write_bytes(tex)
        for name, data in (files or {}).items():
            (Path(tmp) / Path(name).name).write_bytes(data)
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
