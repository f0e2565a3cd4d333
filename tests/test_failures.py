"""Failures that are not the book's: every one explained in one line, exit status 1, earlier
outputs untouched; a bug keeps its traceback.

The faults are real: a layout worker killed with SIGKILL (as the out-of-memory killer
does), a full file system and a read-only one (tmpfs mounts, which need root: CI runs as
root), an output path that is a file. Template mistakes, which are the author's, are
``path:line`` diagnostics from build and from check.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from msl_book.renderers.pdf import STORE
from msl_book.renderers.pdf import layout as pdf_layout

from conftest import make_book, run_cli

UNTOUCHED = "earlier outputs were left as they were"
TITLEPAGE = "templates/partials/titlepage.html.j2"


def _earlier_outputs(out: Path) -> dict[str, bytes]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "tiny.pdf").write_bytes(b"%PDF-1.7 an earlier build")
    (out / "tiny.epub").write_bytes(b"PK an earlier build")
    return {p.name: p.read_bytes() for p in out.iterdir()}


def _files(out: Path) -> dict[str, bytes]:
    """The output directory's files; the store of laid-out parts is not an output."""
    return {p.name: p.read_bytes() for p in out.iterdir() if p.name != STORE}


@pytest.fixture
def in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "150")  # the fixture book in four parts


def _in_the_second_chapter(action):
    real = pdf_layout.lay_out

    def lay_out(html: str, *args, **kwargs):
        if "Second Chapter" in html and "First Chapter</span>" not in html:
            action()
        return real(html, *args, **kwargs)

    return lay_out


def test_a_worker_killed_by_the_system_is_explained(tmp_path, monkeypatch, in_parts):
    monkeypatch.setattr(
        pdf_layout, "lay_out", _in_the_second_chapter(lambda: os.kill(os.getpid(), signal.SIGKILL))
    )
    project, out = make_book(tmp_path), tmp_path / "out"
    before = _earlier_outputs(out)
    result = run_cli("build", str(project), "--output", str(out))
    assert result.code == 1
    assert result.err.splitlines() == [
        "msl-book: build failed: laying out part 3 of 4 (Chapter 2: Second Chapter) failed: the process "
        f"was killed by SIGKILL, which the system sends when it runs out of memory; {UNTOUCHED}"
    ]
    assert _files(out) == before


def test_a_worker_out_of_memory_is_explained(tmp_path, monkeypatch, in_parts):
    def exhausted() -> None:
        raise MemoryError

    monkeypatch.setattr(pdf_layout, "lay_out", _in_the_second_chapter(exhausted))
    project, out = make_book(tmp_path), tmp_path / "out"
    before = _earlier_outputs(out)
    result = run_cli("build", str(project), "--output", str(out), "--format", "pdf")
    assert result.code == 1
    assert result.err.splitlines() == [
        "msl-book: build failed: laying out part 3 of 4 (Chapter 2: Second Chapter) failed: "
        f"it ran out of memory; {UNTOUCHED}"
    ]
    assert _files(out) == before


def test_a_bug_in_a_worker_keeps_its_traceback(tmp_path, monkeypatch, in_parts):
    def bug() -> None:
        raise ZeroDivisionError("a bug in msl-book")

    monkeypatch.setattr(pdf_layout, "lay_out", _in_the_second_chapter(bug))
    project = make_book(tmp_path)
    with pytest.raises(RuntimeError) as failure:
        run_cli("build", str(project), "--output", str(tmp_path / "out"), "--format", "pdf")
    message = str(failure.value)
    assert message.startswith("laying out part 3 of 4 (Chapter 2: Second Chapter) failed:\nTraceback")
    assert message.rstrip().endswith("ZeroDivisionError: a bug in msl-book")


def test_the_process_joining_the_parts_killed_by_the_system(tmp_path, monkeypatch, in_parts):
    from msl_book.renderers.pdf import merge

    monkeypatch.setattr(merge.Joined, "join", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
    project, out = make_book(tmp_path), tmp_path / "out"
    before = _earlier_outputs(out)
    result = run_cli("build", str(project), "--output", str(out))
    assert result.err.splitlines() == [
        "msl-book: build failed: joining the parts of tiny.pdf failed: the process was killed by SIGKILL, "
        f"which the system sends when it runs out of memory; {UNTOUCHED}"
    ]
    assert result.code == 1
    assert _files(out) == before


def test_an_output_path_that_is_a_file(tmp_path):
    project = make_book(tmp_path)
    taken = tmp_path / "taken"
    taken.write_text("not a directory", encoding="utf-8")
    result = run_cli("build", str(project), "--output", str(taken))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"msl-book: build failed: cannot write the outputs to {taken}: it is a file, not a directory; {UNTOUCHED}"
    ]
    assert taken.read_text(encoding="utf-8") == "not a directory"


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[callable]:
    """Mount small tmpfs file systems (root only); unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mounted: list[Path] = []

    def mount(name: str, options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=False)


def test_a_full_disk_leaves_the_earlier_outputs(tmp_path, tmpfs):
    project = make_book(tmp_path)
    disk = tmpfs("disk", "size=4m")
    out = disk / "dist"
    assert (
        run_cli("build", str(project), "--output", str(out)).code == 0
    )  # 2.2 MB (the EPUB is normalised in memory): fits once, not beside a second build
    before = _files(out)
    (project / "chapters" / "02-second.md").write_text(
        "---\ntitle: Second Chapter\n---\nChanged, so the build runs again.\n", encoding="utf-8"
    )
    result = run_cli("build", str(project), "--output", str(out))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"msl-book: build failed: cannot write the outputs to {out}: no space left on the device; {UNTOUCHED}"
    ]
    assert _files(out) == before  # no staging directory left behind either


def test_a_full_disk_while_parts_are_joined(tmp_path, tmpfs, in_parts):
    from msl_book.build import BuildOptions, build
    from msl_book.errors import Failure
    from msl_book.renderers.pdf import merge

    project = make_book(tmp_path)
    # a disk where the parts fit and their join does not: sized from a build elsewhere, as the
    # sizes depend on the font subsetter (HarfBuzz's or fontTools')
    measured = tmp_path / "measured"
    build(project, BuildOptions(output=measured, formats=("pdf",)), lambda _: None)
    parts = sum(-(-f.stat().st_size // 4096) * 4096 for f in (measured / STORE).rglob("*") if f.is_file())
    joined_size = next(measured.glob("*.pdf")).stat().st_size
    out = tmpfs("disk", f"size={(parts + joined_size // 2) // 1024}k") / "dist"
    joined: list[Path] = []
    real = merge.merge
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(merge, "merge", lambda files, *rest: (joined.extend(files), real(files, *rest)))
    said: list[str] = []
    try:
        with pytest.raises(Failure) as failure:
            build(project, BuildOptions(output=out, formats=("pdf",)), said.append)
    finally:
        monkeypatch.undo()
    assert (
        str(failure.value) == f"cannot write the outputs to {out}: no space left on the device; {UNTOUCHED}"
    )
    assert "Joining 4 parts" in said  # every part was written: the join is what did not fit
    assert [p.name for p in out.iterdir()] == [STORE]  # the parts, for the next build


def test_a_read_only_output_directory(tmp_path, tmpfs):
    project = make_book(tmp_path)
    out = tmpfs("readonly", "ro,size=1m")
    result = run_cli("build", str(project), "--output", str(out))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"msl-book: build failed: cannot write the outputs to {out}: the file system is read-only; {UNTOUCHED}"
    ]


# -- template mistakes are the author's: path:line ----------------------------------------------

THEIR_TITLEPAGE = """{# A book's own title page #}
<section class="titlepage" id="titlepage">
<h1 class="title">{{ config.title }}</h1>
<p class="authors">{{ config.author_list }}</p>
</section>
"""


@pytest.mark.parametrize("command", ["build", "check"])
def test_an_undefined_variable_in_a_template_is_located(tmp_path, command):
    project = make_book(tmp_path, {TITLEPAGE: THEIR_TITLEPAGE})
    result = run_cli(
        command, str(project), *(["--output", str(tmp_path / "out")] if command == "build" else [])
    )
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{TITLEPAGE}:4: template error: 'msl_book.schema.BookConfig object' has no attribute 'author_list'",
        f"msl-book: {command} failed: 1 error",
    ]
    assert "Traceback" not in result.err


def test_an_exception_in_a_template_is_located(tmp_path):
    project = make_book(tmp_path, {TITLEPAGE: "<section>\n{{ (config.title | length) // 0 }}\n</section>\n"})
    result = run_cli("build", str(project), "--output", str(tmp_path / "out"))
    assert result.err.splitlines() == [
        f"{TITLEPAGE}:2: template error: ZeroDivisionError: integer division or modulo by zero",
        "msl-book: build failed: 1 error",
    ]


def test_a_worker_killed_while_it_waits_for_its_numbers(tmp_path, monkeypatch, in_parts):
    """A kept part's process holds its pages while it waits: the out-of-memory killer's
    likeliest victim."""
    import multiprocessing

    from msl_book.renderers.pdf.parts.plan import Plan

    numbers = Plan.numbers

    def kill_the_waiting_workers_first(self):
        for process in multiprocessing.active_children():
            process.kill()
            process.join()
        return numbers(self)

    monkeypatch.setattr(Plan, "numbers", kill_the_waiting_workers_first)
    project, out = make_book(tmp_path), tmp_path / "out"
    before = _earlier_outputs(out)
    result = run_cli("build", str(project), "--output", str(out), "--format", "pdf")
    assert result.code == 1
    assert result.err.splitlines() == [
        # the first part that waits (the front matter is laid out last, without waiting)
        "msl-book: build failed: laying out part 2 of 4 (Chapter 1: First Chapter) failed: the process was "
        f"killed by SIGKILL, which the system sends when it runs out of memory; {UNTOUCHED}"
    ]
    assert _files(out) == before


def test_a_failure_in_a_worker_is_the_same_line_as_in_one_piece(tmp_path, monkeypatch, in_parts):
    from importlib import metadata

    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "71.0" if name == "weasyprint" else real(name))
    result = run_cli("build", str(make_book(tmp_path)), "--output", str(tmp_path / "out"), "--format", "pdf")
    assert result.code == 1
    assert result.err.splitlines() == [
        "msl-book: build failed: msl-book corrects weasyprint 70.0 in places and was not checked against "
        "weasyprint 71.0: install weasyprint==70.0 (pip install 'weasyprint==70.0')"
    ]


def test_a_template_whose_output_is_not_xhtml_is_located(tmp_path):
    project = make_book(tmp_path, {TITLEPAGE: "<section>\n<h1>{{ config.title }}\n</section>\n"})
    result = run_cli("build", str(project), "--output", str(tmp_path / "out"))
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0].startswith(
        "templates/print/book.html.j2: template output is not well-formed XHTML: "
        "Opening and ending tag mismatch: h1"
    ), lines
    assert lines[1:] == ["msl-book: build failed: 1 error"]


def test_a_bug_in_code_a_template_calls_keeps_its_traceback(tmp_path, monkeypatch):
    """The exception is raised in msl-book's own code (here: a fragment that is None), which
    the template called: a bug, not the template's mistake."""
    from msl_book import xhtml
    from msl_book.build import BuildOptions, build
    from msl_book.renderers.markup import Writer

    monkeypatch.setattr(Writer, "_prepared", lambda self, root, chapter: xhtml.serialize(None))
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'iter'"):
        build(make_book(tmp_path), BuildOptions(output=tmp_path / "out", formats=("epub",)))
