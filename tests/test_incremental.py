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

import random
import re
import subprocess
import sys
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


def generated_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The benchmark generator's 36-page book, laid out a chapter a part."""
    project = tmp_path / "book"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(project), "--pages", "36"], check=True
    )
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")  # the front matter, then a part a chapter
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return project


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return generated_book(tmp_path, monkeypatch)


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
