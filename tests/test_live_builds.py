"""Builds in a live process (build --watch, serve's paged view): what one process keeps
between builds (parsed chapters, templates, stylesheets, the joined PDF) is kept only while
it is still right, and the results are a cold build's bytes. The book is
tests/test_incremental.py's: the benchmark generator's, a chapter a part."""

from __future__ import annotations

import queue
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from msl_book.build import BuildOptions, build
from test_incremental import SEED, _body, _build, _chapters, _prose, generated_book, insert

from conftest import ROOT


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return generated_book(tmp_path, monkeypatch)


def test_a_live_process_joins_only_the_parts_that_changed(book: Path, tmp_path: Path) -> None:
    """The process that joined the parts keeps them (parts/joiner.py): after a small edit it
    copies one part into the joined PDF, after one that grows a part past the room it had
    it joins every part afresh; the bytes are a cold build's either way."""
    from msl_book.renderers.pdf.parts import joiner

    out = book / "dist"
    _build(book, out, force=False, epub=False)
    path = _chapters(book)[1]
    head, blocks = _body(path)
    words = blocks[_prose(blocks)[0]].split(" ")
    words[3], words[5] = words[5], words[3]
    blocks[_prose(blocks)[0]] = " ".join(words)
    path.write_text(head + "\n\n".join(blocks), "utf-8")
    pdf, _, said = _build(book, out, force=False, epub=False)
    assert "4 of 5 parts unchanged, 1 layouts made" in said
    assert joiner.copied[-1] == 1
    assert pdf == _build(book, tmp_path / "cold-1", force=True, epub=False)[0]
    prose = [re.sub(r"\[\^[^\]]*\]", "", blocks[i]) for i in _prose(blocks)]
    path.write_text(head + "\n\n".join(blocks + prose + prose), "utf-8")  # its prose three times
    pdf, _, _ = _build(book, out, force=False, epub=False)
    assert joiner.copied[-1] == 4  # every part but the front matter, the join's base
    assert pdf == _build(book, tmp_path / "cold-2", force=True, epub=False)[0]


def _read_until(lines: queue.Queue, wanted: str, seen: list[str], timeout: float = 90) -> None:
    """Take the command's lines until one contains ``wanted``."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if wanted in line:
            return
    raise AssertionError(f"no {wanted!r} in the output:\n" + "\n".join(seen))


def test_build_watch_rebuilds_after_a_save_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """The real command: a save rebuilds once (the outputs it writes are not sources), a
    mistake is reported at its line and the next save builds again."""
    import signal

    from pypdf import PdfReader

    from conftest import make_book

    project = make_book(tmp_path)
    command = [sys.executable, "-m", "msl_book", "build", str(project), "--format", "pdf", "--watch"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            output.put(line.rstrip("\n"))
        output.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    lines: list[str] = []
    try:
        _read_until(output, "for changes (Ctrl+C to stop)", lines)
        assert lines[-2].startswith("Built in ")
        chapter = project / "chapters" / "02-second.md"
        chapter.write_text(chapter.read_text("utf-8") + "\nA sentence saved while watching.\n", "utf-8")
        _read_until(output, "Built in ", lines)
        assert "chapters/02-second.md changed" in lines
        text = "".join(page.extract_text() for page in PdfReader(project / "dist" / "tiny.pdf").pages)
        assert "A sentence saved while watching." in text
        chapter.write_text(chapter.read_text("utf-8") + "\n[a link](#no-such-id)\n", "utf-8")
        _read_until(output, "Failed in ", lines)
        assert any(line.startswith("chapters/02-second.md:") and "no-such-id" in line for line in lines)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        reader.join(timeout=10)
    while (line := output.get_nowait()) is not None:
        lines.append(line)
    assert lines.count("chapters/02-second.md changed") == 2, "\n".join(lines)  # its outputs: no build
    assert lines[-1] == "Stopped."


def test_one_process_sees_each_version_of_front_matter_and_templates(tmp_path: Path) -> None:
    """A live process (build --watch) keeps parsed YAML and compiled templates: each new
    version of a chapter's front matter or a template is read again."""
    from pypdf import PdfReader

    from conftest import make_book

    project = make_book(tmp_path)
    out = tmp_path / "out"
    theme = (ROOT / "templates" / "partials" / "titlepage.html.j2").read_text("utf-8")
    template = project / "templates" / "partials" / "titlepage.html.j2"
    chapter = project / "chapters" / "01-first.md"

    def text() -> str:
        build(project, BuildOptions(formats=("pdf",), output=out))
        return "".join(page.extract_text() for page in PdfReader(out / "tiny.pdf").pages)

    assert "First Chapter" in text()
    chapter.write_text(chapter.read_text("utf-8").replace("title: First Chapter", "title: Opening Chapter"))
    template.parent.mkdir(parents=True)
    template.write_text(
        theme.replace("</section>", "<p>Printed for the first reader.</p></section>"), "utf-8"
    )
    first = text()
    assert "Opening Chapter" in first and "First Chapter" not in first
    assert "Printed for the first reader." in first
    template.write_text(
        theme.replace("</section>", "<p>Printed for the second reader.</p></section>"), "utf-8"
    )
    second = text()
    assert "Printed for the second reader." in second and "first reader" not in second


def test_one_process_parses_the_stylesheets_again_only_when_they_or_their_fonts_change(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live process keeps the last build's parsed stylesheets (and their opened fonts):
    an edit to a chapter parses nothing again, their warnings are still reported, and a
    new version of a font they load from outside styles/ is parsed again."""
    from msl_book.renderers.pdf import layout as pdf_layout

    parsed: list[Path] = []
    parse = pdf_layout.Stylesheets.parse.__func__

    def counted(cls, project, theme, report):
        parsed.append(project)
        return parse(cls, project, theme, report)

    monkeypatch.setattr(pdf_layout.Stylesheets, "parse", classmethod(counted))
    fonts = ROOT / "styles" / "fonts"
    (book / "assets").mkdir()
    (book / "assets" / "sidebar.ttf").write_bytes((fonts / "CharisSIL-Italic.ttf").read_bytes())
    (book / "styles").mkdir(exist_ok=True)
    (book / "styles" / "custom.css").write_text(
        '@font-face { font-family: "Sidebar"; src: url(../assets/sidebar.ttf); }\n'
        '.callout { font-family: "Sidebar"; }\n'
        "h2 { colr: teal; }\n",
        "utf-8",
    )
    out = book / "dist"

    def built() -> tuple[bytes, list[str]]:
        result = build(book, BuildOptions(formats=("pdf",), output=out))
        return result.outputs[0].path.read_bytes(), [
            f"{w.path}:{w.line}: {w.message}" for w in result.warnings
        ]

    _, warnings = built()
    assert len(parsed) == 1
    ignored = [w for w in warnings if w.startswith("styles/custom.css:3:")]
    assert ignored, warnings
    insert(book, random.Random(SEED))
    pdf, warnings = built()
    assert len(parsed) == 1, "an edited chapter parsed the stylesheets again"
    assert [w for w in warnings if w.startswith("styles/custom.css:3:")] == ignored
    cold = subprocess.run(
        [sys.executable, "-m", "msl_book", "build", str(book), "--format", "pdf", "--force",
         "--output", str(tmp_path / "cold")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert pdf == next((tmp_path / "cold").glob("*.pdf")).read_bytes(), cold.stderr
    (book / "assets" / "sidebar.ttf").write_bytes((fonts / "CharisSIL-BoldItalic.ttf").read_bytes())
    pdf_bold, _ = built()
    assert len(parsed) == 2, "a new version of a font the stylesheets load was not loaded"
    assert pdf_bold != pdf


def test_tokens_made_ahead_while_waiting_give_a_cold_builds_bytes(book: Path, tmp_path: Path) -> None:
    """Between saves, --watch unpickles the next build's copies of the chapters' tokens
    (markdown.make_spares); the next build takes every one but the edited chapter's, and
    its files are a cold build's. A save that is waiting stops it at once."""
    from msl_book.markdown import shared_markdown

    md = shared_markdown()
    out = book / "dist"
    _build(book, out, force=False)
    assert md.make_spares(lambda: True) == 0
    _build(book, tmp_path / "again", force=False)  # the chapters asked for again
    ready = md.make_spares(lambda: False)
    assert ready >= len(_chapters(book)), ready
    insert(book, random.Random(SEED))
    pdf, epub, _ = _build(book, out, force=False)
    assert len(md._spares) == 1  # the edited chapter's, as it was
    cold_pdf, cold_epub, _ = _build(book, tmp_path / "cold", force=True)
    assert (pdf, epub) == (cold_pdf, cold_epub)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_kept_joining_process_ends_with_its_pipe_or_its_parent() -> None:
    """A kept joining process (parts/joiner.py) ends by itself once the build's process
    closes its pipe (exit status 0, not killed), even with another kept one alive, and when
    that process dies without closing anything (SIGKILL)."""
    from msl_book.renderers.pdf.parts import joiner

    kept = joiner._Process.start()
    joiner._LIVE["test"] = kept
    other = joiner._Process.start()  # forked with a copy of kept's pipe: closed in it
    other.close()
    assert other.process.exitcode == 0
    joiner.stop()
    assert kept.process.exitcode == 0
    code = (
        "import os, signal\n"
        "from msl_book.renderers.pdf.parts import joiner\n"
        "print(joiner._Process.start().process.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    orphan = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
    deadline = time.monotonic() + 30
    while _alive(orphan) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(orphan)
