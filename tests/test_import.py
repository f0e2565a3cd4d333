"""msl-book import: a small mdBook, a Quarto book and a folder of Markdown, written as such
projects are (tests/fixtures/import/), become book projects that build."""

from __future__ import annotations

import re
import zipfile

import pytest
from lxml import etree
from pypdf import PdfReader

from msl_book.build import BuildOptions, build

from conftest import FIXTURES, run_cli, run_epubcheck

X = "{http://www.w3.org/1999/xhtml}"


def _import(kind: str, tmp_path):
    destination = tmp_path / f"{kind}-book"
    result = run_cli("import", str(FIXTURES / "import" / kind), str(destination))
    assert result.code == 0, result.err
    return destination, result


def _built(destination):
    result = build(destination, BuildOptions(output=destination / "dist"))
    assert not [w for w in result.warnings if w.severity == "error"]
    pdf, epub = (o.path for o in result.outputs)
    texts = [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(pdf).pages]
    with zipfile.ZipFile(epub) as z:
        docs = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml")}
    return result, texts, docs, epub


def test_an_mdbook_is_imported_with_its_order_roles_and_includes(tmp_path):
    destination, result = _import("mdbook", tmp_path)
    assert result.err.splitlines() == [
        "src/SUMMARY.md:5: warning: part title 'The basics' is dropped (msl-book has no parts)",
        "src/SUMMARY.md:10: warning: draft chapter 'Draft: audits' has no file and is skipped",
    ]
    assert result.out.splitlines()[-2] == f"Imported an mdBook: 5 chapters in {destination}"
    config = (destination / "book.yaml").read_text(encoding="utf-8")
    assert 'title: "Adverse Event Reporting in Practice"' in config
    assert re.findall(r'^  - "(src/[^"]+)"$', config, re.MULTILINE) == [
        "src/introduction.md",
        "src/what-to-report.md",
        "src/special-situations.md",
        "src/how-to-report.md",
        "src/contacts.md",
    ]
    built, texts, docs, epub = _built(destination)
    assert [w for w in built.warnings] == []
    assert docs["EPUB/text/introduction.xhtml"].count('epub:type="preface"') == 1
    assert 'epub:type="appendix"' in docs["EPUB/text/contacts.xhtml"]
    text = " ".join(texts)
    assert 'patient = "initials, age, sex"' in text and "version = 3" not in text  # the anchor only
    assert "Patient (initials, age): Reporter and contact:" in text
    assert "{{#" not in text
    assert "See the special situations (page" in text  # a link to another chapter's file
    report = run_epubcheck(epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_a_quarto_book_is_imported_with_parts_appendices_cells_and_cross_references(tmp_path):
    destination, result = _import("quarto", tmp_path)
    assert result.err.splitlines() == [
        "_quarto.yml: warning: part 'Handling requests' is not kept (msl-book has no book parts yet): "
        "its chapters follow in order",
        "intake.qmd:25: warning: Quarto shortcode {{< pagebreak >}} is not supported: dropped",
    ]
    out = result.out.splitlines()
    assert "  converted intake.qmd: front matter: execute, format dropped (Quarto's, not the book's)" in out
    assert "  converted intake.qmd: 1 code cell shown as code (msl-book runs no code)" in out
    config = (destination / "book.yaml").read_text(encoding="utf-8")
    assert 'subtitle: "Answering questions from healthcare professionals"' in config
    assert "date: 2026-02-10" in config
    assert re.findall(r'^  - "([^"]+)"$', config, re.MULTILINE) == [
        "Medical Information Team",
        "index.qmd",
        "intake.qmd",
        "answering.qmd",
        "glossary-of-terms.qmd",
    ]
    built, _texts, docs, epub = _built(destination)
    assert built.warnings == []
    intake = docs["EPUB/text/intake.xhtml"]
    assert 'see <a href="sec-answers.xhtml" class="xref">Answering</a>' in intake
    assert '<a href="#fig-flow" class="xref">Figure 1.1</a>' in intake
    assert 'alt="Intake, triage, answer, archive"' in intake
    assert '<pre class="code language-python">' in intake and "#|" not in intake
    assert "Off-label questions" in intake and "<h2" not in intake.split("Off-label")[0].split("callout")[-1]
    assert 'epub:type="appendix"' in docs["EPUB/text/glossary-of-terms.xhtml"]
    assert (
        "Preface" in docs["EPUB/text/index.xhtml"] and 'epub:type="preface"' in docs["EPUB/text/index.xhtml"]
    )
    report = run_epubcheck(epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_a_folder_of_markdown_is_imported_in_file_order(tmp_path):
    destination, result = _import("plain", tmp_path)
    assert result.err == ""
    config = (destination / "book.yaml").read_text(encoding="utf-8")
    assert 'title: "Field Notes on Scientific Exchange"' in config
    assert re.findall(r'^  - "([^"]+\.md)"$', config, re.MULTILINE) == [
        "README.md",
        "01-first-visits.md",
        "02-follow-up.md",
    ]
    _built_result, _texts, docs, _epub = _built(destination)
    nav = etree.fromstring(docs["EPUB/text/nav.xhtml"].encode())
    toc = [" ".join("".join(a.itertext()).split()) for a in nav.find(f".//{X}ol").iterfind(f"{X}li/{X}a")]
    assert toc == ["Field Notes on Scientific Exchange", "Chapter 1: First visits", "Chapter 2: Follow-up"]


def test_import_refuses_a_destination_that_is_not_empty(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("x", encoding="utf-8")
    result = run_cli("import", str(FIXTURES / "import" / "plain"), str(tmp_path / "taken"))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{tmp_path / 'taken'}: the destination is not empty: choose a new folder",
        "msl-book: import failed: 1 error",
    ]


@pytest.mark.parametrize("kind", ["mdbook", "quarto"])
def test_an_include_or_cell_that_cannot_be_converted_is_reported_at_its_line(tmp_path, kind):
    import shutil

    project = tmp_path / kind
    shutil.copytree(FIXTURES / "import" / kind, project)
    if kind == "mdbook":
        page = project / "src" / "how-to-report.md"
        page.write_text(
            page.read_text(encoding="utf-8") + "\n{{#include ../../outside.txt}}\n", encoding="utf-8"
        )
        expected = "src/how-to-report.md:15: warning: {{#include ../../outside.txt}}: ../../outside.txt is not a file of the project; left as it is"
    else:
        page = project / "answering.qmd"
        page.write_text(page.read_text(encoding="utf-8") + '\n{{< video "intro.mp4" >}}\n', encoding="utf-8")
        expected = (
            'answering.qmd:10: warning: Quarto shortcode {{< video "intro.mp4" >}} is not supported: dropped'
        )
    result = run_cli("import", str(project), str(tmp_path / "out"))
    assert result.code == 0
    assert expected in result.err.splitlines()
