"""Incremental rebuilds (renderers/pdf/parts/store.py): a rebuild after an edit lays out
only the parts the edit changed and takes the rest from dist/, and gives the same files
as a cold build of the same sources.

The book is the benchmark generator's (chapters with footnotes, page references back and
forth, figures, tables, a glossary), laid out a chapter a part. A seeded sequence of
random edits of every kind an author makes (insert, delete, retitle, add a figure and a
reference to it, move a chapter) is built after each edit twice: incrementally, in the
same project and output directory as the builds before, and cold, in a fresh output
directory with --force. The PDFs and EPUBs must be the same bytes.
"""

from __future__ import annotations

import queue
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from msl_book.build import BuildOptions, build
from msl_book.renderers.pdf import STORE

from conftest import ROOT

SEED = 17


def _chapters(project: Path) -> list[Path]:
    return sorted((project / "chapters").glob("[0-9][0-9][0-9]-ch*.md"))


def _body(path: Path) -> tuple[str, list[str]]:
    """The front matter and the paragraphs (blocks) of a chapter."""
    text = path.read_text("utf-8")
    end = text.index("\n---\n", 4) + 5
    return text[:end], text[end:].split("\n\n")


def _prose(blocks: list[str]) -> list[int]:
    return [i for i, b in enumerate(blocks) if len(b) > 200 and b[:1].isalpha()]


def insert(project: Path, rng: random.Random) -> str:
    path = rng.choice(_chapters(project))
    head, blocks = _body(path)
    at = rng.choice(_prose(blocks))
    blocks.insert(at + 1, " ".join(reversed(blocks[at].split(" "))).capitalize())
    path.write_text(head + "\n\n".join(blocks), "utf-8")
    return f"insert a paragraph in {path.name}"


def delete(project: Path, rng: random.Random) -> str:
    path = rng.choice(_chapters(project))
    head, blocks = _body(path)
    del blocks[rng.choice(_prose(blocks))]
    path.write_text(head + "\n\n".join(blocks), "utf-8")
    return f"delete a paragraph of {path.name}"


def retitle(project: Path, rng: random.Random) -> str:
    path = rng.choice(_chapters(project))
    text = path.read_text("utf-8")
    headings = re.findall(r"^## .+$", text, flags=re.M)
    old = rng.choice(headings)
    path.write_text(text.replace(old, old + " and what follows from it", 1), "utf-8")
    return f"retitle {old!r} in {path.name}"


def add_figure(project: Path, rng: random.Random) -> str:
    chapters = _chapters(project)
    path = rng.choice(chapters)
    head, blocks = _body(path)
    at = rng.choice(_prose(blocks))
    figure = '{#fig-added}\n![A new diagram of the field plan](../images/fig03.svg "The field plan, added")'
    blocks.insert(at + 1, figure)
    path.write_text(head + "\n\n".join(blocks), "utf-8")
    other = chapters[0] if path != chapters[0] else chapters[-1]
    head, blocks = _body(other)
    first = _prose(blocks)[0]
    blocks[first] += " The field plan is drawn in [](#fig-added)."
    other.write_text(head + "\n\n".join(blocks), "utf-8")
    return f"add a figure to {path.name}, referenced from {other.name}"


def move(project: Path, rng: random.Random) -> str:
    config = project / "book.yaml"
    text = config.read_text("utf-8")
    names = [p.name for p in _chapters(project)]
    a, b = rng.sample(names, 2)
    text = text.replace(a, "\0").replace(b, a).replace("\0", b)
    config.write_text(text, "utf-8")
    return f"swap {a} and {b}"


EDITS: list[Callable[[Path, random.Random], str]] = [insert, delete, retitle, add_figure, move]


def _build(project: Path, out: Path, force: bool, epub: bool = True) -> tuple[bytes, bytes, list[str]]:
    said: list[str] = []
    formats = ("pdf", "epub") if epub else ("pdf",)
    result = build(project, BuildOptions(formats=formats, output=out, force=force), said.append)
    files = {o.format: o.path.read_bytes() for o in result.outputs}
    return files["pdf"], files.get("epub", b""), said


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "book"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(project), "--pages", "36"], check=True
    )
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")  # the front matter, then a part a chapter
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return project


def test_random_edits_rebuild_to_the_cold_build_bytes(book: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    out = book / "dist"
    _, _, said = _build(book, out, force=False)
    assert "Laying out 5 parts" in said  # the front matter and the three chapters and glossary
    reused: list[str] = []
    for step, edit in enumerate(EDITS):
        what = edit(book, rng)
        pdf, epub, said = _build(book, out, force=False)
        cold_pdf, cold_epub, _ = _build(book, tmp_path / f"cold-{step}", force=True)
        assert pdf == cold_pdf, f"after step {step} ({what}) the incremental PDF differs"
        assert epub == cold_epub, f"after step {step} ({what}) the incremental EPUB differs"
        reused.append(f"{what}: {next(m for m in said if 'parts unchanged' in m)}")
    # an edit that moves later page numbers lays out every later part again; the others do not
    assert sum(not line.endswith(": 0 of 5 parts unchanged, 5 layouts made") for line in reused) >= 2, reused


def test_an_edit_lays_out_only_its_own_part(book: Path) -> None:
    """A few words swapped in one chapter: one layout, the other four parts from the store
    (their numbers did not change), and the store holds the two builds' parts only."""
    out = book / "dist"
    _build(book, out, force=False, epub=False)
    path = _chapters(book)[1]
    head, blocks = _body(path)
    at = _prose(blocks)[0]
    words = blocks[at].split(" ")
    words[3], words[5] = words[5], words[3]
    blocks[at] = " ".join(words)
    path.write_text(head + "\n\n".join(blocks), "utf-8")
    _, _, said = _build(book, out, force=False, epub=False)
    assert "4 of 5 parts unchanged, 1 layouts made" in said
    store = next((out / STORE).iterdir())
    assert len(list(store.glob("*.pdf"))) == 6  # five parts, and the edited one as it was before


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


def test_pages_added_later_keep_a_chapter_that_only_links_to_what_moved(book: Path, tmp_path: Path) -> None:
    """Pages added to the last chapter move the glossary, which the first chapter links to,
    and the answers at the back, whose page numbers the other chapters' questions show. A
    link shows no page number: the first chapter (its questions taken out) is taken from the
    store; so is the second chapter, its answer links' numbers changed in place, and the
    contents, whose chapter pages are changed in place too; the edited chapter is laid out
    again, and so is the glossary, whose pages change sides (chapters open on either side);
    the result is the cold build's."""
    first = _chapters(book)[0]
    text = first.read_text("utf-8")
    start = text.index("\nquestions:\n")
    first.write_text(text[:start] + text[text.index("\n---\n", start) :], "utf-8")
    out = book / "dist"
    _, _, said = _build(book, out, force=False, epub=False)
    assert any(m.startswith("0 of 5 parts unchanged") for m in said)
    path = _chapters(book)[-1]  # the last chapter, before the glossary and the answers
    head, blocks = _body(path)
    blocks += [blocks[i] for i in _prose(blocks)[:6]]  # about a page more
    path.write_text(head + "\n\n".join(blocks), "utf-8")
    pdf, _, said = _build(book, out, force=False, epub=False)
    assert "1 of 5 parts unchanged, 2 layouts made, page numbers changed in place in 2" in said, said
    cold, _, _ = _build(book, tmp_path / "cold", force=True, epub=False)
    assert pdf == cold


def test_an_edit_in_a_part_that_does_not_wait_lays_it_out_once(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts beyond the pages that wait for their numbers are measured, then laid out again
    with them; in an edit every part's count is known from the last build, so the edited
    part is laid out once, with its guesses as its numbers, and the bytes are a cold build's."""
    from msl_book.renderers.pdf import parts

    monkeypatch.setattr(parts, "KEEP_PAGES", 0)  # no part waits
    out = book / "dist"
    _, _, said = _build(book, out, force=False, epub=False)
    # each chapter measured, then laid out, unless the chapters before it were measured when it
    # asked for its numbers (which depends on the two workers' timing: Plan.known); the first
    # always is; the front matter laid out once, with the numbers
    made = [
        int(m[1]) for line in said if (m := re.match(r"0 of 5 parts unchanged, (\d+) layouts made", line))
    ]
    assert len(made) == 1 and 5 <= made[0] <= 8, said
    path = _chapters(book)[2]
    head, blocks = _body(path)
    at = _prose(blocks)[1]
    words = blocks[at].split(" ")
    words[2], words[6] = words[6], words[2]
    blocks[at] = " ".join(words)
    path.write_text(head + "\n\n".join(blocks), "utf-8")
    pdf, _, said = _build(book, out, force=False, epub=False)
    assert "4 of 5 parts unchanged, 1 layouts made" in said, said
    cold, _, _ = _build(book, tmp_path / "cold", force=True, epub=False)
    assert pdf == cold


def test_a_changed_photo_lays_out_its_part_again(book: Path) -> None:
    """A bitmap is named by the HTML, not written into it: the part showing it is laid out
    again when the file changes, the others are not."""
    from PIL import Image

    photo = book / "images" / "field photo.png"  # named in the HTML as a URL: field%20photo.png
    Image.new("RGB", (60, 40), "navy").save(photo)
    path = _chapters(book)[1]
    head, blocks = _body(path)
    blocks.insert(_prose(blocks)[0] + 1, "![A photograph of the field team](<../images/field photo.png>)")
    path.write_text(head + "\n\n".join(blocks), "utf-8")
    out = book / "dist"
    _build(book, out, force=False, epub=False)
    Image.new("RGB", (60, 40), "teal").save(photo)
    pdf, _, said = _build(book, out, force=False, epub=False)
    assert "4 of 5 parts unchanged, 1 layouts made" in said
    cold, _, _ = _build(book, book / "cold", force=True, epub=False)
    assert pdf == cold


def test_force_and_a_corrupt_store_take_nothing_from_it(book: Path) -> None:
    """--force lays everything out again; a damaged entry is data only: a miss, never an
    error or code run."""
    out = book / "dist"
    first, _, _ = _build(book, out, force=False, epub=False)
    _, _, said = _build(book, out, force=True, epub=False)
    assert any(m.startswith("0 of 5 parts unchanged") for m in said)
    (out / ".msl-book-cache.json").unlink()
    for entry in next((out / STORE).iterdir()).glob("*.json"):
        if entry.name != "used.json":
            entry.write_text('{"pages": [{"index": "x"}], "anchors": 3, "files": 7}', "utf-8")
    pdf, _, said = _build(book, out, force=False, epub=False)
    assert pdf == first
    assert any(m.startswith("0 of 5 parts unchanged") for m in said)


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


def test_a_store_that_is_a_link_is_neither_read_nor_pruned(book: Path, tmp_path: Path) -> None:
    """A project may come with its dist/: a store pointing elsewhere is left alone."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("keep me", "utf-8")
    (elsewhere / ("0" * 40 + ".json")).write_text("{}", "utf-8")
    store = book / "dist" / STORE
    store.mkdir(parents=True)
    (store / "bench-book").symlink_to(elsewhere)
    _, _, said = _build(book, book / "dist", force=False, epub=False)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["0" * 40 + ".json", "notes.txt"]
    assert any(m.startswith("0 of 5 parts unchanged") for m in said)


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
