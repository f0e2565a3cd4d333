"""msl-book import: a small mdBook, a Quarto book and a folder of Markdown, written as such
projects are (tests/fixtures/import/), become book projects that build."""

from __future__ import annotations

import re
import shutil
import zipfile

import pytest
from lxml import etree
from pypdf import PdfReader

from msl_book.build import BuildOptions, build
from msl_book.loader import default_id

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
        "src/SUMMARY.md:15: warning: draft chapter 'Draft: audits' has no file and is skipped",
    ]
    assert result.out.splitlines()[-2] == f"Imported an mdBook: 11 chapters in {destination}"
    config = (destination / "book.yaml").read_text(encoding="utf-8")
    assert 'title: "Adverse Event Reporting in Practice"' in config
    assert re.findall(r'^  - "(src/[^"]+)"$', config, re.MULTILINE) == [
        "src/introduction.md",
        "src/what-to-report.md",
        "src/special-situations.md",
        "src/how-to-report.md",
        "src/forms/README.md",
        "src/forms/paper.md",
        "src/forms/checklist.md",
        "src/regions/README.md",
        "src/regions/checklist.md",
        "src/contacts.md",
        "src/writing.md",
    ]
    built, texts, docs, epub = _built(destination)
    assert [w for w in built.warnings] == []
    assert docs["EPUB/text/introduction.xhtml"].count('epub:type="preface"') == 1
    assert 'epub:type="appendix"' in docs["EPUB/text/contacts.xhtml"]
    text = " ".join(texts)
    assert 'patient = "initials, age, sex"' in text and "version = 3" not in text  # the anchor only
    assert "Patient (initials, age): Reporter and contact:" in text
    assert [n for n, d in docs.items() if "{{#" in d] == ["EPUB/text/writing.xhtml"]
    assert "<code>{{#include listings/template.txt}}</code>" in docs["EPUB/text/writing.xhtml"]
    assert "See the special situations (page" in text  # a link to another chapter's file
    # the chapters whose file names are alike (README.md, checklist.md) have an id each
    assert {"forms", "regions", "forms-checklist", "regions-checklist"} <= {
        n.removeprefix("EPUB/text/").removesuffix(".xhtml") for n in docs
    }
    assert 'href="checklist.xhtml' not in docs["EPUB/text/forms.xhtml"]
    assert 'href="forms-checklist.xhtml#before-sending"' in docs["EPUB/text/forms.xhtml"]
    assert '<span class="chapter-name">The "yellow card": paper form</span>' in docs["EPUB/text/paper.xhtml"]
    report = run_epubcheck(epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_a_quarto_book_is_imported_with_parts_appendices_cells_and_cross_references(tmp_path):
    destination, result = _import("quarto", tmp_path)
    assert result.err.splitlines() == [
        "_quarto.yml: warning: part 'Handling requests' is not kept (msl-book has no book parts yet): "
        "its chapters follow in order",
        "intake.qmd:32: warning: fig-monthly is the output of a code cell, which msl-book does not run: "
        "references to it are written as text",
        "intake.qmd:40: warning: Quarto shortcode {{< pagebreak >}} is not supported: dropped",
        "answering.qmd:10: warning: tbl-backlog is the output of a code cell, which msl-book does not run: "
        "references to it are written as text",
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
        "answering.qmd",  # ./answering.qmd in _quarto.yml
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
    # the cell with echo: false is not shown; references to its figure are text, as Quarto
    # prints a reference it cannot resolve
    assert "plt.plot" not in intake and "Requests per month" not in intake
    assert "The monthly counts are in <strong>?@fig-monthly</strong>;" in intake
    answering = docs["EPUB/text/sec-answers.xhtml"]
    assert "read_csv" not in answering  # hidden by _quarto.yml's execute: echo: false
    assert "<strong>?@tbl-backlog</strong> lists what is still open" in answering
    assert answering.count('<pre class="code language-python">') == 1  # echo: true
    assert "A reference such as @fig-flow in a code block" in (destination / "answering.qmd").read_text(
        encoding="utf-8"
    )
    assert 'epub:type="appendix"' in docs["EPUB/text/glossary-of-terms.xhtml"]
    assert (
        "Preface" in docs["EPUB/text/index.xhtml"] and 'epub:type="preface"' in docs["EPUB/text/index.xhtml"]
    )
    report = run_epubcheck(epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_the_import_reports_one_line_per_file_and_kind_of_change(tmp_path):
    _destination, result = _import("quarto", tmp_path)
    assert [line for line in result.out.splitlines() if line.startswith("  converted")] == [
        "  converted intake.qmd: 2 cross-references written as [](#id)",
        "  converted intake.qmd: 1 code cell shown as code (msl-book runs no code)",
        "  converted intake.qmd: 3 references to code cells' output written as text (**?@label**)",
        "  converted intake.qmd: 1 code cell hidden (echo: false) dropped",
        "  converted intake.qmd: front matter: execute, format dropped (Quarto's, not the book's)",
        "  converted answering.qmd: 1 cross-reference written as [](#id)",
        "  converted answering.qmd: 1 code cell hidden (echo: false) dropped",
        "  converted answering.qmd: 1 reference to a code cell's output written as text (**?@label**)",
        "  converted answering.qmd: 1 code cell shown as code (msl-book runs no code)",
    ]
    _destination, result = _import("mdbook", tmp_path)
    assert [line for line in result.out.splitlines() if line.startswith("  converted")] == [
        "  converted src/introduction.md: 1 {{#title}} directive dropped",
        "  converted src/special-situations.md: 1 {{#include}} directive replaced by the file's text",
        "  converted src/how-to-report.md: 2 {{#include}} directives replaced by the file's text",
        "  converted src/forms/README.md: 2 links to .html pages rewritten as links to the chapter files (.md)",
        *(
            [
                "  converted src/forms/README.md: id: forms written in front matter "
                "(its id would be 'readme', as src/regions/README.md's)"
            ]
            if _readme_ids_collide(tmp_path)
            else []
        ),
        "  converted src/forms/paper.md: 1 link to an .html page rewritten as links to the chapter files (.md)",
        '  converted src/forms/paper.md: title "The \\"yellow card\\": paper form" from SUMMARY.md written in '
        "front matter (the file has none)",
        "  converted src/forms/checklist.md: 4 hidden lines (# …) of included Rust dropped (mdBook hides them)",
        "  converted src/forms/checklist.md: 1 {{#playground}} directive replaced by a ```rust block of the "
        "file's text",
        "  converted src/forms/checklist.md: 1 {{#rustdoc_include}} directive replaced by the file's text",
        "  converted src/forms/checklist.md: 1 {{#include}} directive replaced by the file's text",
        "  converted src/forms/checklist.md: id: forms-checklist written in front matter "
        "(its id would be 'checklist', as src/regions/checklist.md's)",
        "  converted src/regions/README.md: 2 links to .html pages rewritten as links to the chapter files (.md)",
        *(
            [
                "  converted src/regions/README.md: id: regions written in front matter "
                "(its id would be 'readme', as src/forms/README.md's)"
            ]
            if _readme_ids_collide(tmp_path)
            else []
        ),
        "  converted src/regions/checklist.md: 1 link to an .html page rewritten as links to the chapter "
        "files (.md)",
        "  converted src/regions/checklist.md: id: regions-checklist written in front matter "
        "(its id would be 'checklist', as src/forms/checklist.md's)",
        "  converted src/writing.md: 4 escaped \\{{#…}} directives written as text, without the backslash",
    ]


def _readme_ids_collide(tmp_path) -> bool:
    """Whether msl-book gives forms/README.md and regions/README.md the same id by default."""
    book = tmp_path / "mdbook-book"
    return default_id(book / "src" / "forms" / "README.md", book) == default_id(
        book / "src" / "regions" / "README.md", book
    )


def _source_and_imported(kind: str, tmp_path, rel: str) -> tuple[str, str]:
    destination = tmp_path / f"{kind}-book"
    if not destination.exists():
        _import(kind, tmp_path)
    source = (FIXTURES / "import" / kind / rel).read_text(encoding="utf-8")
    return source, (destination / rel).read_text(encoding="utf-8")


def test_mdbook_links_to_html_pages_become_links_to_the_chapter_files(tmp_path):
    source, imported = _source_and_imported("mdbook", tmp_path, "src/forms/README.md")
    assert imported.endswith(
        source.replace("(paper.html)", "(paper.md)").replace(
            "(checklist.html#before-sending)", "(checklist.md#before-sending)"
        )
    )
    _source, imported = _source_and_imported("mdbook", tmp_path, "src/regions/README.md")
    assert "[contact list](../contacts.md)" in imported
    assert "[forms](../forms/README.md)" in imported  # dir/index.html is dir/README.md
    assert "(https://rust-lang.github.io/mdBook/index.html)" in imported  # not this book's
    # a page that is not a chapter, and a link in code, are left as they are
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "import" / "mdbook", project)
    page = project / "src" / "contacts.md"
    page.write_text(
        page.read_text(encoding="utf-8")
        + "\nThe [export](listings/intake.html) and the [intake](listings/intake.toml) are online;"
        " write `[the contacts](contacts.html)` to link here.\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(project), str(tmp_path / "out"))
    assert result.code == 0
    imported = (tmp_path / "out" / "src" / "contacts.md").read_text(encoding="utf-8")
    assert "[export](listings/intake.html)" in imported and "`[the contacts](contacts.html)`" in imported
    assert not [line for line in result.out.splitlines() if "contacts.md:" in line]


def test_an_mdbook_chapter_without_a_title_gets_its_title_from_summary_md(tmp_path):
    source, imported = _source_and_imported("mdbook", tmp_path, "src/forms/paper.md")
    expected = source.replace("(../contacts.html)", "(../contacts.md)")
    assert imported == '---\ntitle: "The \\"yellow card\\": paper form"\n---\n' + expected
    # a chapter with a heading of its own is left as it was
    source, imported = _source_and_imported("mdbook", tmp_path, "src/what-to-report.md")
    assert imported == source


def test_mdbook_escaped_directives_are_written_as_text_and_not_included(tmp_path):
    source, imported = _source_and_imported("mdbook", tmp_path, "src/writing.md")
    assert imported == "---\nrole: appendix\n---\n" + source.replace("\\{{#", "{{#")
    assert "`{{#title …}}`" in imported  # inline code: not a directive


def test_mdbook_playground_and_rustdoc_include_show_the_rust_without_its_hidden_lines(tmp_path):
    _source, imported = _source_and_imported("mdbook", tmp_path, "src/forms/checklist.md")
    playground = imported.split("check here:\n\n")[1].split("\n\nThe function")[0]
    rust = (FIXTURES / "import" / "mdbook" / "src" / "listings" / "check_report.rs").read_text(
        encoding="utf-8"
    )
    shown = "\n".join(line for line in rust.strip().split("\n") if not line.startswith("# "))
    # a longer fence than the ``` in its doc comment
    assert playground == "````rust\n" + shown.strip() + "\n````"
    rustdoc = imported.split("\n```rust\n")[1].split("```")[0]
    assert rustdoc.startswith("fn is_valid(report: &Report) -> bool {\n") and "# " not in rustdoc
    # a plain include keeps the lines
    assert "```text\n# fn main() {\n#     assert!(!is_valid(&Report::default()));\n# }\n```" in imported


def test_chapters_with_the_same_file_name_get_ids_from_their_folders(tmp_path):
    project = tmp_path / "notes"
    files = {
        "overview.md": "# Overview\n\nThe whole programme.\n",
        "visits/overview.md": "---\ntitle: Visits\nabstract: |\n  What a visit is for.\n---\n\nText.\n",
        "visits/README.md": "# About visits\n",
        "follow-up/overview.md": "# Follow-up\n\nText.\n",
        "follow-up/README.md": "---\nid: follow-up-notes\n---\n# About follow-up\n",
        "letters/README.md": "# Letters {#letters-home}\n",
        "misc/README.md": "# Misc\n",
        "visits.md": "# Visits in short\n",
    }
    for rel, text in files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text, encoding="utf-8")
    result = run_cli("import", str(project), str(tmp_path / "out"))
    assert result.code == 0, result.err
    out = tmp_path / "out"

    def imported(rel: str) -> str:
        return (out / rel).read_text(encoding="utf-8")

    assert imported("overview.md").endswith(files["overview.md"])  # the first keeps its id
    assert imported("visits/overview.md") == files["visits/overview.md"].replace(
        "---\n\nText", "id: visits-overview\n---\n\nText"
    )
    assert (
        imported("follow-up/overview.md")
        == "---\nid: follow-up-overview\n---\n" + files["follow-up/overview.md"]
    )
    assert imported("follow-up/README.md") == files["follow-up/README.md"]  # an id of its own
    assert imported("letters/README.md") == files["letters/README.md"]  # # Title {#id}
    # a folder's page: its id is the folder's name, unless that is taken (visits.md)
    assert imported("visits/README.md") == "---\nid: visits-readme\n---\n" + files["visits/README.md"]
    if default_id(out / "misc" / "README.md", out) == default_id(out / "letters" / "README.md", out):
        assert imported("misc/README.md") == "---\nid: misc\n---\n" + files["misc/README.md"]
    else:  # msl-book gives it the folder's name itself
        assert imported("misc/README.md") == files["misc/README.md"]
    check = run_cli("check", str(out))
    assert check.code == 0, check.err
    assert "duplicate id" not in check.err


def test_quarto_cells_that_quarto_hides_are_dropped(tmp_path):
    project = tmp_path / "analysis"
    project.mkdir()
    (project / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Analysis\n  chapters:\n    - index.qmd\n    - ./methods.qmd\n",
        encoding="utf-8",
    )
    (project / "index.qmd").write_text("# Preface {.unnumbered}\n\nThe data.\n", encoding="utf-8")
    (project / "methods.qmd").write_text(
        "---\ntitle: Methods\nexecute:\n  echo: false\n---\n\n"
        "```{r setup, include=FALSE}\nlibrary(dplyr)\n```\n\n"
        "```{r}\nsummary(cars)\n```\n\n"
        "```{r}\n#| echo: true\nmean(cars$speed)\n```\n\n"
        "```{r fig-speed, echo=TRUE}\nplot(cars)\n```\n\n"
        "```{r, echo=FALSE}\nnrow(cars)\n```\n\n"
        "@fig-speed plots the speeds.\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(project), str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "methods.qmd:20: warning: fig-speed is the output of a code cell, which msl-book does not run: "
        "references to it are written as text"
    ]
    assert [line for line in result.out.splitlines() if line.startswith("  converted")] == [
        "  converted methods.qmd: 1 code cell hidden (include: false) dropped",
        "  converted methods.qmd: 2 code cells hidden (echo: false) dropped",
        "  converted methods.qmd: 2 code cells shown as code (msl-book runs no code)",
        "  converted methods.qmd: 1 reference to a code cell's output written as text (**?@label**)",
        "  converted methods.qmd: front matter: execute dropped (Quarto's, not the book's)",
    ]
    methods = (tmp_path / "out" / "methods.qmd").read_text(encoding="utf-8")
    assert methods == (
        "---\ntitle: Methods\n---\n\n```r\nmean(cars$speed)\n```\n\n```r\nplot(cars)\n```\n\n"
        "**?\\@fig-speed** plots the speeds.\n"
    )
    config = (tmp_path / "out" / "book.yaml").read_text(encoding="utf-8")
    assert '  - "methods.qmd"' in config


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


def test_a_folder_written_for_pandoc_brings_its_metadata_and_references(tmp_path):
    """The first file's pandoc header (title, subtitle, authors as names and as mappings,
    date, lang, bibliography, output options) becomes book.yaml; a later file's header stays
    its chapter's but for its bibliography; a page of references only and an empty closing
    References heading are left out, the book listing its references itself."""
    destination, result = _import("pandoc", tmp_path)
    assert result.out.splitlines()[:6] == [
        "  converted 01-intro.md: front matter moved to book.yaml: author, bibliography, date, lang, subtitle, title",
        "  converted 01-intro.md: front matter: geometry, link-citations, toc dropped (pandoc's output options)",
        "  converted 02-running.md: the empty References heading at the end dropped (the book lists them)",
        "  converted 03-follow-up.md: front matter moved to book.yaml: bibliography",
        "  converted 03-follow-up.md: front matter: toc dropped (pandoc's output options)",
        "  converted 03-follow-up.md: front matter: objective dropped (a chapter's front matter has no such "
        "key; did you mean 'objectives'?)",
    ]
    assert "99-references.md: warning: a page of references only, left out" in result.err
    config = (destination / "book.yaml").read_text(encoding="utf-8")
    for line in (
        'title: "Advisory Boards: A Working Guide"',
        'subtitle: "For medical affairs teams"',
        'authors:\n  - "Dana Whitfield"\n  - "Ravi Menon"\n',
        "language: en-GB",
        "date: 2026-05-14",
        'bibliography:\n  - "refs.bib"\nreferences: book',
        'chapters:\n  - "01-intro.md"\n  - "02-running.md"\n  - "03-follow-up.md"\n',
    ):
        assert line in config, line
    assert not (destination / "01-intro.md").read_text(encoding="utf-8").startswith("---")
    assert (
        (destination / "03-follow-up.md")
        .read_text(encoding="utf-8")
        .startswith(
            "---\ntitle: Following up\nauthor: Dana Whitfield\ndate: June 2026\n"
            "abstract: What happens in the four weeks after an advisory board.\n---\n"
        )
    )
    assert "References {-}" not in (destination / "02-running.md").read_text(encoding="utf-8")
    _result, texts, docs, epub = _built(destination)
    assert "Hart M, Osei K. Advisory boards in medical affairs" in " ".join(texts)
    assert "Rule (1) is the one auditors check first." in " ".join(texts)
    running = next(d for name, d in docs.items() if "running" in name)
    assert "<table" in running and "compliance reviews them" in running and "+---" not in running
    nav = etree.fromstring(docs["EPUB/text/nav.xhtml"].encode())
    toc = [" ".join("".join(a.itertext()).split()) for a in nav.find(f".//{X}ol").iterfind(f"{X}li/{X}a")]
    assert toc[-2:] == ["Chapter 3: Following up", "References"]
    report = run_epubcheck(epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


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
            'answering.qmd:28: warning: Quarto shortcode {{< video "intro.mp4" >}} is not supported: dropped'
        )
    result = run_cli("import", str(project), str(tmp_path / "out"))
    assert result.code == 0
    assert expected in result.err.splitlines()


def test_a_header_that_is_not_yaml_stops_the_import_at_its_line(tmp_path):
    """The first file's header gives the book its title, authors and bibliography: when it
    cannot be read the import says where and writes nothing, instead of a book titled after
    the folder with the header left in the chapter."""
    project = tmp_path / "manuscript"
    shutil.copytree(FIXTURES / "import" / "pandoc", project)
    intro = project / "01-intro.md"
    intro.write_text(
        intro.read_text(encoding="utf-8").replace("lang: en-GB", "lang: [en-GB"), encoding="utf-8"
    )
    follow = project / "03-follow-up.md"
    follow.write_text("---\ntitle: Following up\n\nNever closed.\n", encoding="utf-8")
    result = run_cli("import", str(project), str(tmp_path / "out"))
    assert result.code == 1
    assert result.err.splitlines() == [
        "01-intro.md:10: invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence started on line 9)",
        "03-follow-up.md:1: front matter is not closed: add a '---' line after it",
        "99-references.md: warning: a page of references only, left out: the book lists its "
        "references itself",
        "msl-book: import failed: 2 errors, 1 warning",
    ]
    assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists()
