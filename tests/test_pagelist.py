"""Print-page equivalence: the EPUB's page-list and pagebreak markers follow the PDF."""

from __future__ import annotations

import contextlib
import re
import zipfile

import pytest
from lxml import etree
from pypdf import PdfReader

X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _words(text: str) -> list[str]:
    text = re.sub(r"[\u2010\u00ad-]\s*\n", "", text)  # words hyphenated at a line end
    return re.findall(r"[^\W\d_]+", text.lower())


@pytest.fixture(scope="module")
def epub(handbook):
    with zipfile.ZipFile(handbook.epub) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture(scope="module")
def pdf_pages(handbook):
    reader = PdfReader(handbook.pdf)
    # cross-references print "(page N)" after the link text; the EPUB has no such text
    texts = [re.sub(r"\(page\s\S+\)", " ", text) for text in handbook.page_texts]
    return {label: _words(text) for label, text in zip(reader.page_labels, texts, strict=True)}


@pytest.fixture(scope="module")
def page_list(epub):
    nav = etree.fromstring(epub["EPUB/text/nav.xhtml"])
    pl = nav.find(f".//{X}nav[@{EPUB_TYPE}='page-list']")
    return [(a.get("href"), a.text) for a in pl.iter(f"{X}a")]


class _Enough(Exception):
    pass


def _text_after(root: etree._Element, marker: etree._Element, count: int) -> list[str]:
    """The first words that follow the marker in reading order (an element's text, then its
    children's, then its tail; notes at the end excluded)."""
    words: list[str] = []
    started = False

    def walk(el: etree._Element) -> None:
        nonlocal started
        if el is marker:
            started = True
        elif started and isinstance(el.tag, str):
            if el.get(EPUB_TYPE) in ("footnote", "footnotes"):
                raise _Enough
            words.extend(_words(el.text or ""))
        for child in el:
            walk(child)
        if started:
            words.extend(_words(el.tail or ""))
        if len(words) >= count:
            raise _Enough

    with contextlib.suppress(_Enough):
        walk(root)
    return words[:count]


def _in_order(needle: list[str], haystack: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def test_page_list_follows_the_pdf_labels_in_order(page_list, pdf_pages):
    labels = [label for _, label in page_list]
    pdf_labels = list(pdf_pages)
    assert labels == [label for label in pdf_labels if label in labels]  # same order
    with_text = [label for label, words in pdf_pages.items() if words and label != "Cover"]
    missing = [label for label in with_text if label not in labels]
    assert missing == ["vi"], missing  # only the contents' second page, which has no EPUB twin


def test_each_page_list_entry_is_followed_by_text_printed_on_that_page(page_list, epub, pdf_pages):
    docs = {}
    for href, label in page_list:
        name, _, anchor = href.partition("#")
        root = docs.setdefault(name, etree.fromstring(epub[f"EPUB/text/{name}"]))
        marker = root.find(f".//*[@id='{anchor}']")
        assert marker is not None and marker.get("role") == "doc-pagebreak", href
        assert marker.get("aria-label") == label
        # the printed contents list chapter numbers where the EPUB nav spells out "Chapter 1"
        following = _text_after(root, marker, 2 if name == "nav.xhtml" else 5)
        assert following, href
        assert _in_order(following, pdf_pages[label]), (label, following)


def test_markers_start_pages_inside_paragraphs_when_the_pdf_does(epub, page_list):
    """A page that begins mid-paragraph gets its marker mid-paragraph, not at the next block."""
    inside = 0
    for href, _ in page_list:
        name, _, anchor = href.partition("#")
        root = etree.fromstring(epub[f"EPUB/text/{name}"])
        marker = root.find(f".//*[@id='{anchor}']")
        parent = marker.getparent()
        if parent.tag in (f"{X}p", f"{X}dd", f"{X}li") and (parent.text or "").strip():
            inside += 1
    assert inside >= 3


def test_package_declares_where_page_numbers_come_from(epub):
    opf = etree.fromstring(epub["EPUB/content.opf"])
    ns = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
    source = opf.find(".//dc:source", ns)
    assert source.text.startswith("The Medical Science Liaison Handbook (PDF edition")
    refine = opf.find(f".//opf:meta[@refines='#{source.get('id')}']", ns)
    assert (refine.get("property"), refine.text) == ("source-of", "pagination")
    features = [m.text for m in opf.findall(".//opf:meta[@property='schema:accessibilityFeature']", ns)]
    assert {"pageNavigation", "printPageNumbers", "pageBreakMarkers"} <= set(features)
