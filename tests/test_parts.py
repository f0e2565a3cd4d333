"""A long book is laid out in parts (renderers/pdf/parts/) and the parts' PDFs are joined.

These tests make the handbook's parts small (MSL_BOOK_PART_CHARS) and compare the joined
PDF with the handbook laid out in one piece: the same pages with the same text, folios,
labels, links, outline and tags.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from msl_book.build import BuildOptions, build
from msl_book.errors import Report
from msl_book.model import isbn
from msl_book.pipeline import prepare
from msl_book.renderers.pdf import parts
from msl_book.renderers.pdf.html import print_html, print_meta

from conftest import ROOT, Built, GeneratedBook, make_book

PART_CHARS = "12000"


@pytest.fixture(scope="module")
def one_piece(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("one-piece")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MSL_BOOK_PART_CHARS", "100000000")
        result = build(ROOT, BuildOptions(output=out, force=True))
    by_format = {o.format: o.path for o in result.outputs}
    return Built(result, by_format["pdf"], by_format["epub"], out)


@pytest.fixture(scope="module")
def in_parts(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The handbook in small parts, every part waiting for its numbers (its 43 pages are
    under KEEP_PAGES)."""
    out = tmp_path_factory.mktemp("parts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MSL_BOOK_PART_CHARS", PART_CHARS)
        result = build(ROOT, BuildOptions(output=out, force=True))
    by_format = {o.format: o.path for o in result.outputs}
    return Built(result, by_format["pdf"], by_format["epub"], out)


def test_the_handbook_is_cut_into_several_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", PART_CHARS)
    p = prepare(ROOT, Report())
    source = print_html(p.model, p.env, print_meta(p.book, p.modified, "screen", isbn(p.identifier)))
    cut = parts.split(source, parts.part_chars())
    assert cut is not None and len(cut) >= 4
    assert cut[0].front and not any(p.front for p in cut[1:])
    assert len(parts.split(source, parts.PART_CHARS) or ()) >= 3  # by default too: a part a chapter or so
    assert parts.split(source, 100_000_000) is None


def test_same_pages_and_text_as_one_piece(one_piece: Built, in_parts: Built) -> None:
    assert len(in_parts.page_texts) == len(one_piece.page_texts)
    for number, (a, b) in enumerate(zip(one_piece.page_texts, in_parts.page_texts, strict=True), 1):
        assert b == a, f"page {number} differs"
    assert PdfReader(in_parts.pdf).page_labels == PdfReader(one_piece.pdf).page_labels


def _outline(reader: PdfReader, items: list | None = None) -> list:
    found = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            found.append(_outline(reader, item))
        else:
            found.append((item.title, reader.get_destination_page_number(item)))
    return found


def test_same_outline(one_piece: Built, in_parts: Built) -> None:
    assert _outline(PdfReader(in_parts.pdf)) == _outline(PdfReader(one_piece.pdf))


def _links(path: Path) -> list[tuple[int, tuple[int, ...], int]]:
    """(page, rectangle rounded, target page) of every internal link."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        dests = pdf.Root.Names.Dests.Names
        target = {str(dests[i]): pages[dests[i + 1][0].objgen] for i in range(0, len(dests), 2)}
        found = []
        for i, page in enumerate(pdf.pages):
            for annot in page.obj.get("/Annots", []):
                if "/Dest" in annot:
                    rect = tuple(round(float(v)) for v in annot.Rect)
                    found.append((i, rect, target[str(annot.Dest)]))
        return found


def test_every_link_goes_where_it_goes_in_one_piece(one_piece: Built, in_parts: Built) -> None:
    joined = _links(in_parts.pdf)
    assert len(joined) > 100
    assert joined == _links(one_piece.pdf)


def _tags(path: Path) -> tuple[Counter, list[str]]:
    """Structure element types, and what is wrong with the parent tree."""
    problems: list[str] = []
    with pikepdf.open(path) as pdf:
        tree = pdf.Root.StructTreeRoot
        nums = list(tree.ParentTree.Nums)
        parent = {int(k): v for k, v in zip(nums[::2], nums[1::2], strict=True)}
        types: Counter = Counter()
        todo = list(tree.K)
        while todo:
            element = todo.pop()
            if isinstance(element, pikepdf.Dictionary) and element.get("/Type") == "/StructElem":
                types[str(element.S)] += 1
                kids = element.get("/K", [])
                todo += list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        for i, page in enumerate(pdf.pages):
            key = page.obj.get("/StructParents")
            if key is None or int(key) not in parent:
                problems.append(f"page {i + 1}: no parent tree entry")
            for annot in page.obj.get("/Annots", []):
                element = parent.get(int(annot.get("/StructParent", -1)))
                kids = element.K if element is not None else []
                objs = [k.Obj for k in kids if isinstance(k, pikepdf.Dictionary) and "/Obj" in k]
                if not any(obj.objgen == annot.objgen for obj in objs):
                    problems.append(f"page {i + 1}: a link's tag does not point back to it")
        if len(parent) != int(tree.get("/ParentTreeNextKey", len(parent))):
            problems.append("ParentTreeNextKey does not follow the keys")
    return types, problems


def test_tags_are_those_of_one_piece(one_piece: Built, in_parts: Built) -> None:
    joined, problems = _tags(in_parts.pdf)
    whole, _ = _tags(one_piece.pdf)
    assert problems == []
    assert joined == whole
    assert joined["/Link"] > 100


def test_document_properties_and_fonts(one_piece: Built, in_parts: Built) -> None:
    with pikepdf.open(in_parts.pdf) as joined, pikepdf.open(one_piece.pdf) as whole:
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences"):
            assert str(joined.Root[key]) == str(whole.Root[key])
        assert joined.open_metadata().get("pdfuaid:part") == "1"
        assert str(joined.docinfo["/Title"]) == str(whole.docinfo["/Title"])
        for page in joined.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_epub_page_list_is_the_same(one_piece: Built, in_parts: Built) -> None:
    assert in_parts.epub.read_bytes() == one_piece.epub.read_bytes()


def test_parts_laid_out_again_give_the_same_bytes_as_kept_parts(
    in_parts: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No part kept, and none told its numbers when it asks for them (which parts are, depends
    on the workers' timing): each is measured, then laid out again with its numbers. The PDF
    is the same, byte for byte (which also shows the parts build is reproducible)."""
    from msl_book.renderers.pdf.parts.plan import Plan

    monkeypatch.setenv("MSL_BOOK_PART_CHARS", PART_CHARS)
    monkeypatch.setattr(parts, "KEEP_PAGES", 0)
    monkeypatch.setattr(Plan, "known", lambda self, index: False)
    said: list[str] = []
    again = build(ROOT, BuildOptions(output=tmp_path, formats=("pdf",), force=True), said.append)
    assert any(m.startswith("Laying out ") and m.endswith(" parts") for m in said)
    assert again.outputs[0].path.read_bytes() == in_parts.pdf.read_bytes()


def test_an_error_in_a_part_is_reported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_book(tmp_path, {"styles/custom.css": "h2 { colour: red; }\n"})
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "150")  # four parts
    said: list[str] = []
    result = build(project, BuildOptions(output=tmp_path / "out", formats=("pdf",)), said.append)
    assert "Laying out 4 parts" in said
    shown = [str(w) for w in result.warnings]
    assert shown == ["styles/custom.css:1: warning: WeasyPrint: Ignored `colour: red`, unknown property."]


def _texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_a_long_generated_book_in_parts_with_bad_guesses_is_the_one_piece_book(
    generated_book: GeneratedBook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Footnotes carried from page to page, page references back and forth, many parts
    (bench/generate.py makes such a book). Every part is guessed to have thousands of pages,
    so the parts wait with page numbers four digits too long, then take the real ones."""
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")
    monkeypatch.setattr(parts, "KEEP_PAGES", 1000)
    monkeypatch.setattr(parts, "CHARS_PER_PAGE_GUESS", 1)
    said: list[str] = []
    joined = build(generated_book.project, BuildOptions(output=tmp_path, formats=("pdf",)), said.append)
    assert "Laying out 5 parts" in said  # the front matter and each of the four chapters
    assert _texts(joined.outputs[0].path) == _texts(generated_book.pdf)


def test_parts_that_open_on_either_side_are_laid_out_once_whatever_folios_they_are_guessed(
    generated_book: GeneratedBook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openers: any (the generated book's): a part's pages are on the sides of its folios. A
    part is laid out from a recto and its pages moved to the other side once its first folio
    is known to be even, so a guess of the wrong parity (here every part of the body is
    guessed to start a page later than it does; the first starts at 1, where the stylesheet
    resets the page counter) lays no part out twice. The moved pages are,
    byte for byte, those of a part laid out on its real sides: the parts whose pages cannot
    be moved are laid out again so, and give the same PDF."""
    from msl_book.renderers.pdf.parts.plan import Numbers, Plan
    from msl_book.weasyprint_compat import parts as compat

    guesses = Plan.guesses

    def one_page_later(plan: Plan, index: int) -> Numbers:
        guessed = guesses(plan, index)
        return Numbers(guessed.first if guessed.first in (None, 1) else guessed.first + 1, guessed.values)

    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")
    monkeypatch.setattr(parts, "KEEP_PAGES", 1000)  # every part waits for its numbers
    monkeypatch.setattr(Plan, "guesses", one_page_later)
    said: list[str] = []
    options = BuildOptions(output=tmp_path / "moved", formats=("pdf",), force=True)
    moved = build(generated_book.project, options, said.append)
    assert "Laying out 5 parts" in said
    assert any(m.startswith("0 of 5 parts unchanged, 5 layouts made") for m in said), said
    monkeypatch.setattr(compat, "_move", lambda *args: False)
    said.clear()
    options = BuildOptions(output=tmp_path / "real-sides", formats=("pdf",), force=True)
    on_real_sides = build(generated_book.project, options, said.append)
    made = next(m for m in said if m.startswith("0 of 5 parts unchanged, "))
    assert int(made.split(", ")[1].split()[0]) > 5, said  # the parts that start on an even folio
    assert moved.outputs[0].path.read_bytes() == on_real_sides.outputs[0].path.read_bytes()
    assert _texts(moved.outputs[0].path) == _texts(generated_book.pdf)


def test_parts_whose_sides_have_page_areas_of_their_own_are_laid_out_on_their_real_sides(
    generated_book: GeneratedBook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stylesheet that makes the left pages' text wider than the right ones': a page cannot
    be moved to the other side, so a part that starts on an even folio is laid out again on
    its real sides, and the book is the one laid out in one piece."""
    import shutil

    project = tmp_path / "book"
    shutil.copytree(generated_book.project, project, ignore=shutil.ignore_patterns("whole", "dist"))
    (project / "styles").mkdir(exist_ok=True)
    (project / "styles" / "custom.css").write_text("@page :left { margin-left: 16mm; }\n", "utf-8")
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "100000000")
    whole = build(project, BuildOptions(output=tmp_path / "whole", formats=("pdf",)))
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")
    monkeypatch.setattr(parts, "KEEP_PAGES", 1000)
    said: list[str] = []
    joined = build(project, BuildOptions(output=tmp_path / "parts", formats=("pdf",)), said.append)
    made = next(m for m in said if m.startswith("0 of 5 parts unchanged, "))
    assert int(made.split(", ")[1].split()[0]) > 5, said
    assert _texts(joined.outputs[0].path) == _texts(whole.outputs[0].path)
    assert _links(joined.outputs[0].path) == _links(whole.outputs[0].path)


def test_a_part_that_does_not_wait_is_numbered_when_it_is_laid_out_if_it_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No part is kept (waits with its pages for the numbers), one is laid out at a time, and
    no page shows the page of anything later (the generated book without its review
    questions, whose answers are at the back): each part asks for its numbers once laid out,
    the parts before it are measured, so it takes them then and is laid out once, not twice.
    The PDF is the one the kept parts make."""
    import re
    import subprocess
    import sys

    from msl_book.renderers.pdf.parts import workers

    project = tmp_path / "book"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(project), "--pages", "40"], check=True
    )
    for chapter in (project / "chapters").glob("*.md"):
        text = chapter.read_text("utf-8")
        chapter.write_text(re.sub(r"\nquestions:\n.*?\n---\n", "\n---\n", text, count=1, flags=re.S), "utf-8")
    assert "questions:" not in "".join(p.read_text("utf-8") for p in (project / "chapters").glob("*.md"))
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")
    monkeypatch.setattr(workers, "MAX_WORKERS", 1)
    monkeypatch.setattr(parts, "KEEP_PAGES", 0)
    said: list[str] = []
    asked = build(project, BuildOptions(output=tmp_path / "asked", formats=("pdf",)), said.append)
    assert "Laying out 5 parts" in said
    assert "0 of 5 parts unchanged, 5 layouts made" in said  # the front matter last, once too
    monkeypatch.setattr(parts, "KEEP_PAGES", 100_000)
    kept = build(project, BuildOptions(output=tmp_path / "kept", formats=("pdf",)), said.append)
    assert asked.outputs[0].path.read_bytes() == kept.outputs[0].path.read_bytes()


WARM_SCRIPT = """
import json, os, sys
from pathlib import Path
import pyphen
from weasyprint.text.ffi import ffi
from msl_book.build import BuildOptions, build
from msl_book.renderers.pdf import parts
from msl_book.renderers.pdf.parts import workers

out = Path(sys.argv[1])
original = workers.work

def work(*args):
    before, patterns = set(ffi._parsed_types), set(pyphen.hdcache)
    original(*args)
    loaded = {
        "declarations": sorted(k for k in set(ffi._parsed_types) - before if isinstance(k, str)),
        "patterns": sorted(str(p) for p in set(pyphen.hdcache) - patterns),
    }
    (out / f"{sys.argv[3]}-{os.getpid()}.json").write_text(json.dumps(loaded))

workers.work = work
if sys.argv[3] == "cold":
    parts.warm_up = lambda languages: None
build(Path(sys.argv[2]), BuildOptions(output=out / sys.argv[3], force=True, formats=("pdf",)))
"""


def _loaded_by_parts(tmp_path: Path, project: Path, how: str) -> list[dict]:
    import json
    import subprocess
    import sys

    env = {**__import__("os").environ, "MSL_BOOK_PART_CHARS": "3000"}
    subprocess.run([sys.executable, "-c", WARM_SCRIPT, str(tmp_path), str(project), how], check=True, env=env)
    return [json.loads(f.read_text()) for f in sorted(tmp_path.glob(f"{how}-*.json"))]


def test_part_processes_load_no_declarations_or_patterns_of_their_own(tmp_path: Path) -> None:
    """The parent loads, once, what every part's process would otherwise load again: cffi's
    parsed C declarations and the language's hyphenation patterns (weasyprint_compat.warm).
    Without the warm-up, the same processes each load them."""
    project = make_book(tmp_path, base="lang-de")
    warm = _loaded_by_parts(tmp_path, project, "warm")
    assert len(warm) >= 3
    assert all(loaded == {"declarations": [], "patterns": []} for loaded in warm), warm
    cold = _loaded_by_parts(tmp_path, project, "cold")
    assert len(cold) == len(warm)
    assert all(loaded["declarations"] for loaded in cold), cold
    assert sum(any("hyph_de" in p for p in loaded["patterns"]) for loaded in cold) >= 2, cold
