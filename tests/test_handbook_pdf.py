"""The real handbook's PDF: text, outline, metadata, fonts, links, page labels, tagging."""

from __future__ import annotations

import re

import pikepdf
import pytest
from pypdf import PdfReader

from msl_book.errors import Report
from msl_book.loader import load_book

from conftest import ROOT


@pytest.fixture(scope="module")
def reader(handbook):
    return PdfReader(handbook.pdf)


@pytest.fixture(scope="module")
def pages_text(handbook):
    return [re.sub(r"\s+", " ", text) for text in handbook.page_texts]


@pytest.fixture(scope="module")
def book():
    return load_book(ROOT, Report())


def _letters(text: str) -> str:
    """Lower-case words only: markup, punctuation, hyphenation and line breaks removed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](target) -> text
    text = re.sub(r"-\s+", "", text)  # words hyphenated at a line end
    return " ".join(re.sub(r"[^a-z ]+", " ", text.lower()).split())


def test_every_chapter_title_and_opening_words_are_in_the_pdf(book, pages_text):
    text = re.sub(r"\(page\s\d+\)", "", " ".join(pages_text))  # cross-references add "(page N)"
    for chapter in book.chapters:
        assert chapter.title in text, chapter.title
        first_para = next(p for p in chapter.body.split("\n\n") if p.strip() and p[0].isalpha())
        words = " ".join(_letters(first_para).split()[:8])
        assert words in _letters(text), (chapter.path, words)


def test_outline_lists_chapters_and_their_sections(reader, book):
    outline = reader.outline
    top = [item.title for item in outline if not isinstance(item, list)]
    titles = [c.title for c in book.chapters]
    assert top[0] == "Preface"
    assert "Chapter 1: Why the MSL Role Matters Now" in top
    assert "Answers to the Review Questions" in top
    assert top[-2:] == ["Glossary", "Index"]
    assert len(top) == len(titles) + 2  # + the generated answer key and index
    chapter_one = next(
        i for i, item in enumerate(outline) if getattr(item, "title", "").startswith("Chapter 1:")
    )
    children = outline[chapter_one + 1]
    assert isinstance(children, list)
    assert "A two-way link" in [c.title for c in children if not isinstance(c, list)]


def test_metadata_title_authors_language_subject_keywords(handbook, book):
    with pikepdf.open(handbook.pdf) as pdf:
        info = pdf.docinfo
        assert str(info["/Title"]) == f"{book.config.title}: {book.config.subtitle}"
        assert str(info["/Author"]) == "Medical Affairs Training Team"
        assert str(pdf.Root.Lang) == "en"
        assert str(info["/Subject"]).startswith("A handbook for trainee Medical Science Liaisons")
        assert "Medical affairs" in str(info["/Keywords"])
        assert str(info["/CreationDate"]).startswith("D:20261125")
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True


def test_fonts_are_embedded_and_are_the_ones_the_stylesheet_names(handbook):
    fonts = set()
    with pikepdf.open(handbook.pdf) as pdf:
        for page in pdf.pages:
            for _, font in page.Resources.get("/Font", {}).items():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                descriptor = descendant.FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
                fonts.add(str(font.BaseFont).split("+", 1)[-1].replace("-", " "))
    declared = {"Charis SIL", "Inter"}  # the @font-face families of styles/base.css
    assert all(any(f == d or f.startswith(d + " ") for d in declared) for f in fonts), fonts
    assert {"Charis SIL", "Charis SIL Italic", "Charis SIL Bold", "Inter"} <= fonts, fonts


def test_internal_links_point_at_existing_destinations(handbook):
    with pikepdf.open(handbook.pdf) as pdf:
        names = set()
        dests = pdf.Root.Names.Dests
        stack = [dests]
        while stack:
            node = stack.pop()
            if "/Names" in node:
                names.update(str(node.Names[i]) for i in range(0, len(node.Names), 2))
            stack.extend(node.get("/Kids", []))
        links = 0
        for page in pdf.pages:
            for annot in page.get("/Annots", []):
                if annot.get("/Subtype") != "/Link":
                    continue
                dest = annot.get("/Dest") or annot.get("/A", {}).get("/D")
                if dest is None:
                    continue
                links += 1
                if isinstance(dest, pikepdf.String):
                    assert str(dest) in names
        assert links > 50


def test_page_labels_match_the_printed_folios(reader, pages_text):
    labels = reader.page_labels
    assert labels[0] == "Cover"
    assert labels[1:4] == ["ii", "iii", "iv"]
    first_body = labels.index("1")
    assert "Why the MSL Role Matters Now" in pages_text[first_body]
    assert labels[first_body : first_body + 3] == ["1", "2", "3"]
    # the folio printed at the foot of a body page is its label
    for i in range(first_body + 1, len(labels)):
        if pages_text[i].strip():
            assert re.search(rf"(^|\s){labels[i]}\s*$", pages_text[i]) or pages_text[i].strip().startswith(
                labels[i]
            ), (i, labels[i])


def test_pdf_is_tagged_pdf_ua(handbook):
    with pikepdf.open(handbook.pdf) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in pdf.Root
        xmp = pdf.open_metadata()
        assert xmp.get("pdfuaid:part") == "1"
