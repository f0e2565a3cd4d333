"""The back-of-book index in both outputs: marks in the text become entries sorted by the
book's language, whose locators are the printed pages of the marks.

Proved on the real files: in the PDF each locator is a tagged link whose text is the page
label (or the range starting at the label) of the page its destination, the mark, is on; in
the EPUB each locator's text is the label of the page-list marker before its mark, and it
links to the mark. For the indexed fixture (tests/fixtures/indexed), for a German book, and
for a long generated book laid out in parts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from msl_book.build import BuildOptions, build

from conftest import FIXTURES, ROOT, make_book, run_cli, run_epubcheck
from pdf_structure import structure

X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
LOCATOR = re.compile(r"^([0-9]+|[ivxlcdm]+)(?:–([0-9]+|[ivxlcdm]+))?$")


@dataclass
class Indexed:
    pdf: Path
    epub: Path


def _build(project: Path, out: Path) -> Indexed:
    outputs = {o.format: o.path for o in build(project, BuildOptions(output=out)).outputs}
    return Indexed(outputs["pdf"], outputs["epub"])


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Indexed:
    return _build(FIXTURES / "indexed", tmp_path_factory.mktemp("indexed"))


# -- the PDF ---------------------------------------------------------------------------


def pdf_locators(path: Path) -> list[tuple[str, str, str]]:
    """(locator text, the id it links to, the label of the page that id is on) for every
    link in the PDF's Index."""
    pdf = pikepdf.open(path)
    dests = pikepdf.NameTree(pdf.Root.Names.Dests)
    pages = {page.objgen: pikepdf.Page(page).label for page in pdf.pages}
    walked = list(structure(pdf).walk())
    start = max(i for i, e in enumerate(walked) if e.role == "/H1" and e.text.strip() == "Index")
    found = []
    for element in walked[start:]:
        if element.role != "/Link":
            continue
        kids = element.obj.K if isinstance(element.obj.K, pikepdf.Array) else [element.obj.K]
        annot = next(k.Obj for k in kids if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR")
        name = str(annot.get("/Dest") or annot.A.D)
        if name.startswith("ixt-"):
            continue  # "See …": a link to another entry of the index
        dest = dests[name]
        target = dest[0] if isinstance(dest, pikepdf.Array) else dest.D[0]
        found.append((element.text.strip(), name, pages[target.objgen]))
    return found


def test_every_pdf_locator_is_the_printed_page_of_its_mark(indexed):
    locators = pdf_locators(indexed.pdf)
    assert len(locators) > 30
    for text, target, label in locators:
        m = LOCATOR.match(text)
        assert m, text
        assert m[1] == label, (text, target, label)


def test_the_pdf_index_reads_as_an_index(indexed):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; .ci/run installs it")
    last = str(len(pikepdf.open(indexed.pdf).pages))
    page = subprocess.run(
        ["pdftotext", "-layout", "-f", last, "-l", last, str(indexed.pdf), "-"],
        capture_output=True,
        text=True,
    ).stdout
    lines = [line.strip() for column in _columns(page) for line in column if line.strip()]
    assert lines[:6] == ["Index", "A", "ACE inhibitors, 1", "Adverse events, 1, 3", "definition, 1", "B"]
    assert "β-blockers, 1" in lines and lines.index("β-blockers, 1") < lines.index("C")  # sort-as
    assert "Drug safety. See Pharmacovigilance" in lines
    assert "patients, 1. See also Consumer reports" in lines
    assert "Dechallenge, 3" in lines and "Pharmacovigilance, 3" in lines  # glossary terms' uses
    assert lines.index("eGFR, 1") < lines.index("M") < lines.index("Ménétrier disease, 1")


def _columns(layout: str) -> list[list[str]]:
    """pdftotext -layout's two columns, left then right."""
    rows = layout.splitlines()
    cut = 41
    return [[r[:cut] for r in rows], [r[cut:] for r in rows]]


# -- the EPUB --------------------------------------------------------------------------


def epub_locators(path: Path) -> list[tuple[str, str, str | None]]:
    """(locator text, the mark it links to, the page-list label of the last page marker
    before the mark in its document) for every locator of the EPUB's index."""
    with zipfile.ZipFile(path) as z:
        index = etree.fromstring(z.read("EPUB/text/book-index.xhtml"))
        found = []
        docs: dict[str, etree._Element] = {}
        for a in index.iter(f"{X}a"):
            if a.get(EPUB_TYPE) != "index-locator":
                continue
            name, _, target = a.get("href").partition("#")
            if name not in docs:
                docs[name] = etree.fromstring(z.read(f"EPUB/text/{name}"))
            doc = docs[name]
            mark = doc.find(f".//*[@id='{target}']")
            assert mark is not None, f"{a.get('href')}: no such mark"
            # a mark in a footnote is on the page of the note's call (the EPUB lists its
            # notes at the end of the chapter; print sets them at the foot of that page)
            note = next((p for p in mark.iterancestors() if p.get("role") == "doc-footnote"), None)
            if note is not None:
                mark = doc.find(f".//*[@href='#{note.get('id')}']")
            label = None
            for el in doc.iter():
                if el.get("role") == "doc-pagebreak":
                    label = el.get("aria-label")
                if el is mark:
                    break
            found.append((a.text, f"{name}#{target}", label))
    return found


def test_every_epub_locator_is_the_page_list_label_of_its_mark(indexed):
    locators = epub_locators(indexed.epub)
    assert len(locators) > 30
    assert [(text, target) for text, target, label in locators if text != label] == []


def test_the_epub_index_is_epub_indexes_markup_with_a_landmark(indexed):
    with zipfile.ZipFile(indexed.epub) as z:
        index = etree.fromstring(z.read("EPUB/text/book-index.xhtml"))
        nav = etree.fromstring(z.read("EPUB/text/nav.xhtml"))
    section = index.find(f".//{X}section[@id='book-index']")
    assert (section.get(EPUB_TYPE), section.get("role")) == ("index", "doc-index")
    types = {el.get(EPUB_TYPE) for el in section.iter() if el.get(EPUB_TYPE)}
    assert {"index-group", "index-entry-list", "index-entry", "index-term", "index-locator"} <= types
    assert {"index-xref-preferred", "index-xref-related"} <= types
    # a cross-reference links to the entry it names
    see = next(
        a
        for a in section.iter(f"{X}a")
        if a.get(EPUB_TYPE) == "index-xref-preferred" and a.text == "Pharmacovigilance"
    )
    entry = section.find(f".//{X}li[@id='{see.get('href')[1:]}']")
    assert entry.find(f"{X}span").text == "Pharmacovigilance"
    landmarks = [(a.get(EPUB_TYPE), a.get("href")) for a in nav.iterfind(f".//{X}nav[@id='landmarks']//{X}a")]
    assert ("index", "book-index.xhtml") in landmarks
    report = run_epubcheck(indexed.epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_without_a_pdf_the_epub_numbers_each_terms_locators(tmp_path):
    out = build(FIXTURES / "indexed", BuildOptions(output=tmp_path, formats=("epub",))).outputs[0].path
    with zipfile.ZipFile(out) as z:
        index = etree.fromstring(z.read("EPUB/text/book-index.xhtml"))
    entry = next(li for li in index.iter(f"{X}li") if li.find(f"{X}span").text == "Adverse events")
    assert [a.text for a in entry.findall(f"{X}a")] == ["1", "2"]


# -- sorting by the book's language ----------------------------------------------------


def test_a_german_book_sorts_umlauts_with_their_letters(tmp_path):
    project = make_book(
        tmp_path,
        {
            "chapters/02-second.md": "---\ntitle: Zweites Kapitel\n---\n"
            'Die [Zulassung]{.index} regelt, was [Ärztinnen]{.index} und [Ärzte]{index="Ärzte"} '
            "über [Arzneimittel]{.index} sagen; die [Überwachung]{.index} beginnt danach, das "
            "[Ufer]{.index} ist weit, die [Öffentlichkeit]{.index} fragt, der [Ober]{.index} "
            "bringt die [Straße]{.index} und den [Strahl]{.index}.\n",
        },
    )
    book_yaml = project / "book.yaml"
    book_yaml.write_text(book_yaml.read_text().replace("language: en", "language: de"))
    out = build(project, BuildOptions(output=tmp_path / "out", formats=("epub",))).outputs[0].path
    with zipfile.ZipFile(out) as z:
        index = etree.fromstring(z.read("EPUB/text/book-index.xhtml"))
    groups = [
        (g.find(f"{X}h2").text, [s.text for s in g.iter(f"{X}span") if s.get("class") == "index-term"])
        for g in index.iter(f"{X}section")
        if g.get("class") == "index-group"
    ]
    assert groups == [
        ("A", ["Arzneimittel", "Ärzte", "Ärztinnen"]),
        ("O", ["Ober", "Öffentlichkeit"]),
        ("S", ["Strahl", "Straße"]),
        ("U", ["Überwachung", "Ufer"]),
        ("Z", ["Zulassung"]),
    ]


# -- errors -------------------------------------------------------------------------------


def test_mistakes_in_index_marks_are_reported_at_their_lines_without_layout(tmp_path):
    project = make_book(
        tmp_path,
        {
            "chapters/02-second.md": "---\ntitle: Second Chapter\n---\n"
            'A [signal]{index="Signals"} needs review.\n\n'
            'See [safety]{index="Drug safety" index-see="Signlas"} and\n'
            '[nothing]{index=""} here, and [x]{index="Signals" index-also="Unknown term"}.\n',
        },
    )
    result = run_cli("check", str(project))
    assert result.code == 1
    assert (
        "chapters/02-second.md:6: index-see=\"Signlas\" names no indexed term (did you mean 'Signals'?)"
        in result.err
    )
    assert (
        'chapters/02-second.md:7: an index mark needs a term: index is empty (write [text]{.index} or index="Term")'
        in result.err
    )
    assert 'chapters/02-second.md:7: index-also="Unknown term" names no indexed term' in result.err
    assert "Traceback" not in result.err


# -- a long book in parts --------------------------------------------------------------

PHRASES = ("subgroup analysis", "advisory board", "competitive landscape", "research nurse")


def test_a_long_book_in_parts_has_every_locator_on_its_marks_page(tmp_path, monkeypatch):
    project = tmp_path / "book"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(project), "--pages", "24"], check=True
    )
    pattern = re.compile(r"\b(" + "|".join(PHRASES) + r")\b")
    for chapter in sorted((project / "chapters").glob("0*-ch*.md")):
        head, _, body = chapter.read_text(encoding="utf-8").partition("\n---\n")
        lines = [
            line if line.startswith(("#", "{", "|", "!")) else pattern.sub(r"[\1]{.index}", line, count=1)
            for line in body.splitlines()
        ]
        chapter.write_text(head + "\n---\n" + "\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "15000")
    built = _build(project, tmp_path / "out")
    locators = pdf_locators(built.pdf)
    assert len(locators) > 10
    assert any("–" in text for text, _, _ in locators)  # marks on consecutive pages merge
    assert [(t, target, label) for t, target, label in locators if LOCATOR.match(t)[1] != label] == []
    epub = epub_locators(built.epub)
    assert [(text, target) for text, target, label in epub if text != label] == []
    shutil.rmtree(project)


def test_the_handbooks_index_locators_are_the_pages_of_their_marks(handbook):
    pdf = pdf_locators(handbook.pdf)
    assert len(pdf) > 100
    assert [(t, target, label) for t, target, label in pdf if LOCATOR.match(t)[1] != label] == []
    epub = epub_locators(handbook.epub)
    assert len(epub) >= len(pdf)  # the EPUB lists each page of a range on its own
    assert [(text, target) for text, target, label in epub if text != label] == []


def test_a_mark_in_a_review_question_is_a_warning_not_a_duplicate_id(tmp_path):
    project = make_book(
        tmp_path,
        {
            "chapters/02-second.md": "---\ntitle: Second Chapter\nquestions:\n"
            "  - question: What is a [signal]{.index}?\n    answer: Information that needs review.\n"
            '---\nA [signal]{index="Signals"} needs review.\n',
        },
    )
    result = run_cli("build", str(project), "-o", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert (
        "chapters/02-second.md:4: warning: an index mark in a review question is not indexed: the answer key "
        "repeats the question (mark the place in the chapter's text instead)" in result.err
    )
