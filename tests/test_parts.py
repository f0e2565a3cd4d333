"""A long book is laid out in parts (renderers/parts.py) and the parts' PDFs are joined.

The handbook is short enough for one piece, so these tests make the parts small
(MSL_BOOK_PART_CHARS) and compare the joined PDF with the session's one-piece build: the
same pages with the same text, folios, labels, links, outline and tags.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
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

from conftest import ROOT, Built

PART_CHARS = "12000"


@pytest.fixture(scope="module", params=[400, 12, 0], ids=["kept", "mixed", "laid-out-twice"])
def in_parts(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Parts that wait for their numbers (the handbook's 43 pages are under KEEP_PAGES),
    parts laid out again with them, and both."""
    out = tmp_path_factory.mktemp("parts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MSL_BOOK_PART_CHARS", PART_CHARS)
        mp.setattr(parts, "KEEP_PAGES", request.param)
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
    assert parts.split(source, parts.PART_CHARS) is None  # the default keeps the handbook whole


def test_same_pages_and_text_as_one_piece(handbook: Built, in_parts: Built) -> None:
    whole, joined = PdfReader(handbook.pdf), PdfReader(in_parts.pdf)
    assert len(joined.pages) == len(whole.pages)
    for number, (a, b) in enumerate(zip(whole.pages, joined.pages, strict=True), 1):
        assert b.extract_text() == a.extract_text(), f"page {number} differs"
    assert joined.page_labels == whole.page_labels


def _outline(reader: PdfReader, items: list | None = None) -> list:
    found = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            found.append(_outline(reader, item))
        else:
            found.append((item.title, reader.get_destination_page_number(item)))
    return found


def test_same_outline(handbook: Built, in_parts: Built) -> None:
    assert _outline(PdfReader(in_parts.pdf)) == _outline(PdfReader(handbook.pdf))


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


def test_every_link_goes_where_it_goes_in_one_piece(handbook: Built, in_parts: Built) -> None:
    joined = _links(in_parts.pdf)
    assert len(joined) > 100
    assert joined == _links(handbook.pdf)


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


def test_tags_are_those_of_one_piece(handbook: Built, in_parts: Built) -> None:
    joined, problems = _tags(in_parts.pdf)
    whole, _ = _tags(handbook.pdf)
    assert problems == []
    assert joined == whole
    assert joined["/Link"] > 100


def test_document_properties_and_fonts(handbook: Built, in_parts: Built) -> None:
    with pikepdf.open(in_parts.pdf) as joined, pikepdf.open(handbook.pdf) as whole:
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences"):
            assert str(joined.Root[key]) == str(whole.Root[key])
        assert joined.open_metadata().get("pdfuaid:part") == "1"
        assert str(joined.docinfo["/Title"]) == str(whole.docinfo["/Title"])
        for page in joined.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_epub_page_list_is_the_same(handbook: Built, in_parts: Built) -> None:
    assert in_parts.epub.read_bytes() == handbook.epub.read_bytes()


def test_parts_build_is_reproducible(
    in_parts: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", PART_CHARS)
    again = build(ROOT, BuildOptions(output=tmp_path, formats=("pdf",), force=True))
    assert again.outputs[0].path.read_bytes() == in_parts.pdf.read_bytes()


def test_an_error_in_a_part_is_reported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "book"
    shutil.copytree(
        ROOT, project, ignore=shutil.ignore_patterns(".venv", "dist", ".git", ".tools", "tests", "bench")
    )
    (project / "styles" / "custom.css").write_text("h2 { colour: red; }\n", encoding="utf-8")
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", PART_CHARS)
    result = build(project, BuildOptions(output=tmp_path / "out", formats=("pdf",)))
    shown = [str(w) for w in result.warnings]
    assert (
        shown.count("styles/custom.css:1: warning: WeasyPrint: Ignored `colour: red`, unknown property.") == 1
    ), shown


def _texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.mark.parametrize(
    ("chars_per_page", "stale"),
    [(parts.CHARS_PER_PAGE_GUESS, False), (1, False), (parts.CHARS_PER_PAGE_GUESS, True)],
    ids=["estimated", "bad-guesses", "laid-out-again"],
)
def test_a_long_generated_book_in_kept_parts_is_the_one_piece_book(
    chars_per_page: int, stale: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Footnotes carried from page to page, page references back and forth, many parts: the
    benchmark's generator makes such a book (bench/generate.py). With bad guesses the parts
    wait with page numbers four digits too long and take the real ones. "laid-out-again"
    makes the last part look as if its numbers had changed, as when taking its numbers moves
    an anchor another part refers to: it is laid out again, and the book is the same."""
    project = tmp_path / "book"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(project), "--pages", "80"], check=True
    )
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "100000000")
    whole = build(project, BuildOptions(output=tmp_path / "whole", formats=("pdf",))).outputs[0].path
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "20000")
    monkeypatch.setattr(parts, "KEEP_PAGES", 1000)
    monkeypatch.setattr(parts, "CHARS_PER_PAGE_GUESS", chars_per_page)
    if stale:
        run = parts._Runner.run

        def run_then_forget(self: parts._Runner, redo: list | None = None) -> None:
            run(self, redo)
            if redo is None:
                self.parts[-1].given = None

        monkeypatch.setattr(parts._Runner, "run", run_then_forget)
    said: list[str] = []
    joined = build(project, BuildOptions(output=tmp_path / "parts", formats=("pdf",)), said.append)
    assert "Laying out 9 parts" in said
    assert ("Laying out 1 part again: page numbers changed" in said) == stale
    assert _texts(joined.outputs[0].path) == _texts(whole)
