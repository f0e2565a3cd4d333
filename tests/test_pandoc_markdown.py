"""Books written for pandoc build as they are: the course fixture (tests/fixtures/course),
written the way course material is (chapters without front matter, nested exercise and
solution divs, raw HTML keys, math, highlighted code in three languages, an Inkscape SVG),
checked in both outputs; and every refused construct with its exact message."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

import pikepdf
import pytest
from lxml import etree
from pypdf import PdfReader

from msl_book.build import BuildOptions, BuildResult, build

from conftest import FIXTURES, make_book, run_cli, run_epubcheck

X = "{http://www.w3.org/1999/xhtml}"
M = "{http://www.w3.org/1998/Math/MathML}"
SECOND = "chapters/02-second.md"


@dataclass
class Course:
    result: BuildResult
    docs: dict[str, etree._Element]  # EPUB documents by name
    opf: etree._Element
    texts: list[str]  # PDF page texts
    pdf: object
    epub: object


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    out = tmp_path_factory.mktemp("course")
    result = build(FIXTURES / "course", BuildOptions(output=out))
    paths = {o.format: o.path for o in result.outputs}
    with zipfile.ZipFile(paths["epub"]) as z:
        docs = {
            n.removeprefix("EPUB/text/"): etree.fromstring(z.read(n))
            for n in z.namelist()
            if n.endswith(".xhtml")
        }
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    texts = [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(paths["pdf"]).pages]
    return Course(result, docs, opf, texts, paths["pdf"], paths["epub"])


def _all(root: etree._Element, tag: str, cls: str | None = None) -> list[etree._Element]:
    found = list(root.iter(f"{X}{tag}"))
    return [el for el in found if cls is None or cls in el.get("class", "").split()]


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _epub_doc(project, out, name: str) -> etree._Element:
    """One XHTML document of the book's EPUB, built into ``out``."""
    path = build(project, BuildOptions(output=out, formats=("epub",))).outputs[0].path
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(f"EPUB/text/{name}"))


def test_the_course_builds_with_two_warnings_and_no_error(course):
    """The Inkscape chart is drawn for a page (640 units, 18-unit text) and shown at 80 %:
    288 px wide on a phone, where its text is 8.1 px."""
    assert [str(w) for w in course.result.warnings] == [
        "chapters/01-why-signals.md:37: warning: link to ../handouts/report-form.pdf, a file that "
        "does not exist: its text is kept, without the link",
        'chapters/01-why-signals.md:32: warning: images/report-flow.svg: text "Intake" would be 8.1 px '
        "on a 360 px phone screen (under 9 px): enlarge it or draw a narrower figure",
    ]


def test_epubcheck_passes_with_mathml_and_an_inkscape_svg(course):
    report = run_epubcheck(course.epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_titles_come_from_headings_and_pandoc_title_blocks(course):
    titles = [
        _text(h)
        for name in ("why-signals.xhtml", "working-with-data.xhtml")
        for h in _all(course.docs[name], "h1", "chapter-title")
    ]
    assert titles == ["Chapter 1 Why Signals Matter", "Chapter 3 Working with the Data"]
    assert "Why Signals Matter" in course.texts[4]


def test_a_chapters_own_subtitle_and_authors_are_printed_under_its_title(course):
    """pandoc metadata of one chapter file: a subtitle, and authors other than the book's
    (from a ``% Author; Author`` title block); the book's own author is not repeated."""
    measuring, data = course.docs["measuring.xhtml"], course.docs["working-with-data.xhtml"]
    assert [_text(p) for p in _all(measuring, "p", "chapter-subtitle")] == ["PRR, ROR and their intervals"]
    assert _all(measuring, "p", "chapter-author") == []
    assert [_text(p) for p in _all(data, "p", "chapter-author")] == ["Priya Raman and Tomás Ortega"]
    page = next(t for t in course.texts if "Working with the Data" in t and "Priya Raman" in t)
    assert "Priya Raman and Tomás Ortega The safety database exports" in page
    assert any("Measuring Disproportionality PRR, ROR and their intervals" in t for t in course.texts)


def test_a_chapter_in_another_language_says_so_in_both_outputs(tmp_path):
    root = make_book(
        tmp_path, {SECOND: "---\ntitle: Deuxième\nlang: fr-CA\n---\nEn français, « entre guillemets ».\n"}
    )
    result = build(root, BuildOptions(output=tmp_path / "out"))
    paths = {o.format: o.path for o in result.outputs}
    with zipfile.ZipFile(paths["epub"]) as z:
        second = etree.fromstring(z.read("EPUB/text/second.xhtml"))
        first = etree.fromstring(z.read("EPUB/text/first.xhtml"))
    XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
    section = next(el for el in second.iter(f"{X}section") if el.get("id") == "second")
    assert (section.get("lang"), section.get(XML_LANG)) == ("fr-CA", "fr-CA")
    assert all(el.get("lang") is None for el in first.iter(f"{X}section"))
    with pikepdf.open(paths["pdf"]) as pdf:
        langs = {str(el.get("/Lang")) for el in _struct_elements(pdf) if el.get("/Lang") is not None}
    assert "fr-CA" in langs
    assert run_cli("check", str(root)).code == 0
    bad = make_book(tmp_path / "bad", {SECOND: "---\ntitle: A\nlang: French\n---\nText.\n"})
    assert run_cli("check", str(bad)).err.splitlines() == [
        "chapters/02-second.md:3: 'lang' has an invalid value 'French': use a language tag such as 'en', 'fr' or 'pt-BR'",
        "msl-book: check failed: 1 error",
    ]


def _struct_elements(pdf: pikepdf.Pdf):
    stack = [pdf.Root.StructTreeRoot]
    while stack:
        el = stack.pop()
        yield el
        kids = el.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(k for k in kids if isinstance(k, pikepdf.Dictionary))
        elif isinstance(kids, pikepdf.Dictionary):
            stack.append(kids)


def test_a_pandoc_document_header_loads_its_output_options_ignored(tmp_path):
    """Authors as pandoc's {name, affiliation} mappings are read; pandoc's output options
    are a warning each; a bibliography in a chapter says it belongs in book.yaml."""
    header = (
        "---\ntitle: Second Chapter\nauthor:\n  - name: Ravi Menon\n    affiliation: Field Medical\n"
        "  - Dana Whitfield\ntoc: true\ngeometry: margin=2cm\nbibliography: refs.bib\n---\nText.\n"
    )
    project = make_book(tmp_path, {SECOND: header})
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{SECOND}:7: warning: 'toc' is one of pandoc's output options; the theme decides that here, so it is ignored",
        f"{SECOND}:8: warning: 'geometry' is one of pandoc's output options; the theme decides that here, so it is ignored",
        f"{SECOND}:9: 'bibliography' belongs in book.yaml, for the whole book (bibliography: [refs.bib])",
        "msl-book: check failed: 1 error, 2 warnings",
    ]
    (project / SECOND).write_text(header.replace("bibliography: refs.bib\n", ""), encoding="utf-8")
    built = build(project, BuildOptions(output=tmp_path / "out", formats=("epub",)))
    assert [w.message for w in built.warnings if "pandoc" in w.message] == [
        "'toc' is one of pandoc's output options; the theme decides that here, so it is ignored",
        "'geometry' is one of pandoc's output options; the theme decides that here, so it is ignored",
    ]
    with zipfile.ZipFile(built.outputs[0].path) as z:
        second = next(z.read(n).decode() for n in z.namelist() if n.endswith("second.xhtml"))
    assert "Ravi Menon" in second and "Dana Whitfield" in second and "Field Medical" not in second


def test_nested_exercise_and_solution_divs(course):
    doc = course.docs["why-signals.xhtml"]
    exercise = next(el for el in _all(doc, "div", "exercise"))
    assert exercise.get("id") == "ex-first-report" and "fenced" in exercise.get("class")
    solution = _all(exercise, "div", "solution")
    assert len(solution) == 1 and _text(solution[0]).startswith("Write down what you were told")
    measuring = course.docs["measuring.xhtml"]
    assert [len(_all(ex, "div", "solution")) for ex in _all(measuring, "div", "exercise")] == [1]


def test_quarto_callouts_keep_their_box_and_title(course):
    note = _all(course.docs["why-signals.xhtml"], "div", "callout-note")[0]
    assert _text(_all(note, "p", "callout-title")[0]) == "Note How to use this course"
    tip = _all(course.docs["review.xhtml"], "div", "callout-tip")[0]
    assert _text(_all(tip, "p", "callout-title")[0]) == "Tip Keep the course"
    assert not _all(tip, "h2")  # the heading became the title, not a section of the chapter


def test_image_attributes_alt_width_and_the_figure_id(course):
    figure = next(el for el in _all(course.docs["why-signals.xhtml"], "figure"))
    img = figure.find(f"{X}img")
    assert figure.get("id") == "fig-flow"
    assert img.get("alt") == "A flow chart: field report, intake, coding, database, signal review"
    assert img.get("style") == "width: 80%"
    assert _text(figure.find(f"{X}figcaption")).startswith("Figure 1.1 Reports flow from the field")
    assert "As Figure 1.1 (page 1) shows" in course.texts[4]


def test_image_width_and_height_are_the_printed_size(tmp_path):
    """``width`` and ``height`` on images size them in the PDF (the Figure tags' boxes) as
    in the EPUB (the img's style or attributes)."""
    body = (
        "---\ntitle: Sizes\n---\n"
        "![Full](../images/dot.svg){width=100%}\n\n"
        "![Half](../images/dot.svg){width=50%}\n\n"
        "![Three centimetres](../images/dot.svg){height=3cm}\n\n"
        "Inline ![pixels](../images/dot.svg){width=120} too.\n"
    )
    root = make_book(tmp_path, {SECOND: body})
    result = build(root, BuildOptions(output=tmp_path / "out"))
    paths = {o.format: o.path for o in result.outputs}
    boxes = {}
    with pikepdf.open(paths["pdf"]) as pdf:
        for el in _struct_elements(pdf):
            if el.get("/S") == "/Figure" and "/Alt" in el:
                x1, y1, x2, y2 = (float(v) for v in el.A.BBox)
                boxes[str(el.Alt)] = (x2 - x1, abs(y2 - y1))
    # WeasyPrint writes the Figure boxes in CSS pixels (96 to the inch), not in points
    assert boxes["Half"][0] == pytest.approx(boxes["Full"][0] / 2, abs=0.5)
    assert boxes["Three centimetres"][1] == pytest.approx(3 / 2.54 * 96, abs=0.5)
    assert boxes["pixels"][0] == pytest.approx(120, abs=0.5)
    with zipfile.ZipFile(paths["epub"]) as z:
        doc = etree.fromstring(z.read("EPUB/text/second.xhtml"))
    sizes = {
        img.get("alt"): (img.get("style"), img.get("width"), img.get("height")) for img in doc.iter(f"{X}img")
    }
    assert sizes == {
        "Full": ("width: 100%", None, None),
        "Half": ("width: 50%", None, None),
        "Three centimetres": ("height: 3cm", None, None),
        "pixels": (None, "120", None),
    }


def test_nested_lists_greek_and_symbols_print_in_the_books_fonts(tmp_path):
    """Characters the text font lacks (Charis SIL has α and μ but not η; the markers of nested
    lists, ◦ and ▪) come from the theme's other fonts, never from the system's."""
    body = (
        "---\ntitle: Effect sizes\n---\n"
        "Eta squared (η²) and omega (ω) → see below ✓.\n\n"
        "- first\n    - second\n        - third\n"
    )
    root = make_book(tmp_path, {SECOND: body})
    result = build(root, BuildOptions(output=tmp_path / "out", formats=("pdf",)))
    assert result.warnings == []
    with pikepdf.open(result.outputs[0].path) as pdf:
        fonts = {
            str(font.BaseFont).split("+")[-1]
            for page in pdf.pages
            for font in page.Resources.get("/Font", {}).values()
        }
    assert fonts and all(f.startswith(("Charis-SIL", "Inter", "JetBrains")) for f in fonts), fonts
    text = " ".join(re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(result.outputs[0].path).pages)
    assert "Eta squared (η²) and omega (ω) → see below ✓." in text


LABELLED_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 90"><title>Labels</title>
<style>.code { font-family: "Courier New", monospace; font-size: 12px }</style>
<text x="5" y="20" style="font-family:Arial;font-size:14px">Field report</text>
<text x="5" y="45" font-family="Times New Roman">Intake</text>
<text x="5" y="70" class="code">ROR = ad/bc</text><text x="150" y="70">Unstyled</text></svg>"""


def _fonts_of(path, words: list[str]) -> dict[str, str]:
    """The font each of ``words`` is drawn with in the PDF (pypdf's text visitor)."""
    found: dict[str, str] = {}

    def visit(text, _cm, _tm, font, _size):
        for word in words:
            if font and word in text:
                found[word] = str(font.get("/BaseFont", "")).split("+")[-1]

    for page in PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    return found


def test_svg_text_is_drawn_in_the_books_fonts_and_the_epub_keeps_the_file(tmp_path):
    root = make_book(
        tmp_path,
        {
            "images/labels.svg": LABELLED_SVG,
            SECOND: "---\ntitle: Second\n---\n![Labels](../images/labels.svg)\n",
        },
    )
    result = build(root, BuildOptions(output=tmp_path / "out"))
    assert [str(w) for w in result.warnings] == [
        f"{SECOND}:4: warning: image images/labels.svg: its text asks for 'Arial', 'Courier New', "
        "'Times New Roman', which the book does not have: the PDF draws it in Charis SIL, Inter, "
        "JetBrains Mono (name one of Charis SIL, Inter, JetBrains Mono in the SVG, or convert its text "
        "to paths)"
    ]
    paths = {o.format: o.path for o in result.outputs}
    assert _fonts_of(paths["pdf"], ["Field report", "Intake", "ROR", "Unstyled"]) == {
        "Field report": "Inter",
        "Intake": "Charis-SIL",
        "ROR": "JetBrains-Mono",
        "Unstyled": "Inter",
    }
    text = " ".join(p.extract_text() for p in PdfReader(paths["pdf"]).pages)
    assert "Field report" in text and "ROR = ad/bc" in text and "Unstyled" in text
    with zipfile.ZipFile(paths["epub"]) as z:
        assert z.read("EPUB/assets/images/labels.svg").decode() == LABELLED_SVG


def test_a_character_of_svg_text_missing_from_the_fonts_is_an_error_at_the_figure(tmp_path):
    svg = LABELLED_SVG.replace("Unstyled", "Zigzag ↯")
    root = make_book(
        tmp_path,
        {"images/labels.svg": svg, SECOND: "---\ntitle: Second\n---\n\n![Labels](../images/labels.svg)\n"},
    )
    result = run_cli("check", str(root))
    assert result.code == 1
    assert (
        f"{SECOND}:5: image images/labels.svg: character '↯' (U+21AF DOWNWARDS ZIGZAG ARROW) of its text "
        "is not in the book's fonts: replace it, or convert the SVG's text to paths"
    ) in result.err.splitlines()


def test_an_image_without_alt_text_builds_a_tagged_pdf_that_claims_no_pdf_ua(tmp_path):
    root = make_book(tmp_path, {SECOND: "---\ntitle: Second\n---\n![](../images/dot.svg)\n"})
    result = run_cli("build", str(root), "--format", "pdf", "--output", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        f"{SECOND}:4: warning: image ../images/dot.svg has no alt text: describe it for readers who cannot see it",
        "warning: tiny.pdf is tagged but does not claim PDF/UA-1: 1 image without alt text (warned above)",
    ]
    with pikepdf.open(tmp_path / "out" / "tiny.pdf") as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert "pdfuaid" not in pdf.open_metadata().__str__()
    with pikepdf.open(make_and_build_minimal(tmp_path)) as pdf:
        assert "pdfuaid" in str(pdf.open_metadata())  # the same book with alt text claims it


def make_and_build_minimal(tmp_path) -> object:
    root = make_book(tmp_path / "sound")
    return build(root, BuildOptions(output=tmp_path / "sound" / "out", formats=("pdf",))).outputs[0].path


def test_a_note_keeps_its_list_and_quotation_at_the_foot_of_the_page(course):
    """A footnote holding paragraphs, a list and a block quotation, as pandoc keeps them: in
    the EPUB as blocks; in the PDF at the foot of its call's page, after the body text, one
    line each. Before, the print edition kept the paragraphs only."""
    note = next(a for a in _all(course.docs["why-signals.xhtml"], "aside") if "oncology" in _text(a))
    assert [etree.QName(el).localname for el in note if isinstance(el.tag, str)] == [
        "p",
        "p",
        "ul",
        "blockquote",
    ]
    page = next(t for t in course.texts if "ten times more reports" in t)
    at = page.index(
        "Two things raise the count without a new risk: a campaign that reminds prescribers to "
        "report; a publication that names the product. A rise in reports is a question, not an answer."
    )
    assert page[at:].count("•") == 2  # the list's markers (drawn after the text)
    assert page.index("in the database to search a case by its number.") < at  # below the body text


def test_inline_constructs_in_the_epub(course):
    doc = course.docs["why-signals.xhtml"]
    assert [_text(k) for k in _all(doc, "kbd")] == ["Ctrl", "F"]
    assert [_text(s) for s in _all(doc, "sup") if not s.get("class")][:2] == ["3", "4"]
    assert _text(_all(doc, "span", "smallcaps")[0]) == "Not every report is a signal"
    assert _text(_all(doc, "mark")[0]) == "disproportionality"
    assert _text(_all(doc, "u")[0]) == "clinical plausibility"
    warning = _all(course.docs["measuring.xhtml"], "div", "callout-warning")[0]
    assert [_text(s) for s in _all(warning, "sub")] == ["2"]
    assert [_text(s) for s in _all(warning, "sup")] == ["2"]
    assert _text(_all(warning, "s")[0]) == "A high ROR proves a causal link."
    unlinked = _all(doc, "span", "unlinked")
    assert [_text(s) for s in unlinked] == ["printable handout"]


def test_inline_constructs_in_the_pdf(course):
    text = " ".join(course.texts)
    assert "press Ctrl + F in the database" in text
    assert "Water is H2O, and a dose of 50 mg/m2 is not" in text
    assert "printable handout with the intake form" in text


def test_tables_with_attributes_and_captions(course):
    table = next(t for t in _all(course.docs["why-signals.xhtml"], "table"))
    assert table.get("id") == "tbl-sources" and "sources" in table.get("class", "")
    assert _text(table.find(f"{X}caption")) == "Table 1.1 Where reports come from in a typical year"
    corner = _all(course.docs["measuring.xhtml"], "table")[0].find(f".//{X}thead/{X}tr")[0]
    assert corner.tag == f"{X}td"  # an empty corner is not a header cell


def test_math_is_mathml_in_the_epub_with_its_tex(course):
    doc = course.docs["measuring.xhtml"]
    maths = list(doc.iter(f"{M}math"))
    assert len(maths) >= 8
    assert maths[0].get("alttext") == r"\mathrm{PRR} = \frac{a/(a+b)}{c/(c+d)}"
    items = {
        i.get("href"): i.get("properties", "") for i in course.opf.iter("{http://www.idpf.org/2007/opf}item")
    }
    assert "mathml" in items["text/measuring.xhtml"].split()
    assert "mathml" not in items["text/review.xhtml"].split()
    equation = next(d for d in _all(doc, "div", "equation") if d.get("id") == "eq-ci")
    assert _text(_all(equation, "span", "eq-number")[0]) == "(2.2)"


def test_math_is_drawn_in_the_pdf_with_its_tex_as_alternative_text(course):
    with pikepdf.open(course.pdf) as pdf:
        alts = []
        todo = [pdf.Root.StructTreeRoot]
        while todo:
            node = todo.pop()
            if isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == "/Figure" and "/Alt" in node:
                    alts.append(str(node.Alt))
                kids = node.get("/K")
                if isinstance(kids, pikepdf.Array):
                    todo += list(kids)
                elif isinstance(kids, pikepdf.Dictionary):
                    todo.append(kids)
    assert r"\mathrm{ROR} = \frac{a/b}{c/d} = \frac{ad}{bc}" in alts
    assert {"a = 12", "d = 9750", r"\mathrm{PRR} = \frac{a/(a+b)}{c/(c+d)}"} <= set(alts)


def test_equation_references_read_their_number_and_page(course):
    assert next(t for t in course.texts if "(2.2)" in t).rstrip().endswith(" 5")  # its folio
    measuring = next(t for t in course.texts if "the lower bound of" in t)
    assert "the lower bound of Equation 2.2 (page 5) exceeds 1" in measuring
    review = next(t for t in course.texts if "This review brings the course together" in t)
    assert "the interval (page 5)" in review


def test_code_is_highlighted_in_three_languages(course):
    doc = course.docs["working-with-data.xhtml"]
    blocks = _all(doc, "pre", "code")
    assert [b.get("class") for b in blocks] == [
        "code language-python",
        "code language-r numbered",
        "code language-sql",
    ]
    keywords = [_text(s) for s in blocks[0].iter(f"{X}span") if s.get("class") == "kn"]
    assert keywords == ["import"]
    assert [_text(n) for n in _all(blocks[1], "span", "ln")] == ["1", "2", "3", "4", "5"]
    assert any(s.get("class") == "k" and _text(s) == "SELECT" for s in blocks[2].iter(f"{X}span"))
    inline = [c for c in _all(doc, "code") if c.get("class") == "python"]
    assert inline and inline[0].find(f"{X}span") is not None


def test_code_colours_pass_wcag_aa_on_the_code_background():
    from msl_book.theme import theme_dir

    css = (theme_dir() / "styles" / "base.css").read_text(encoding="utf-8")
    start = css.index("/* Highlighted code")
    colours = re.findall(r"color: (#[0-9a-f]{6})", css[start : css.index("/*", start + 10)])

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    background = luminance("#f3f6f7")
    assert len(colours) >= 10
    for colour in colours:
        assert (background + 0.05) / (luminance(colour) + 0.05) >= 4.5, colour


def test_task_lists_line_blocks_details_and_breaks(course):
    doc = course.docs["working-with-data.xhtml"]
    boxes = doc.findall(f".//{X}input")
    assert [(b.get("checked"), b.get("aria-label")) for b in boxes] == [
        ("checked", "Done"),
        ("checked", "Done"),
        (None, "Not done"),
    ]
    block = _all(doc, "div", "line-block")[0]
    assert len(block.findall(f"{X}br")) == 2
    assert "\u00a0\u00a0\u00a0\u00a0Step two" in "".join(block.itertext())
    details = _all(doc, "details")[0]
    assert _text(details.find(f"{X}summary")) == "Why the anonymised view?"
    assert any(p.find(f"{X}br") is not None for p in _all(doc, "p"))


def test_lettered_roman_and_example_lists_in_the_epub(course):
    """pandoc's fancy_lists and example_lists (markdown/lists.py), as the course writes them."""
    doc = course.docs["working-with-data.xhtml"]
    heading = next(h for h in _all(doc, "h2") if _text(h) == "Reading an export, step by step")
    steps = heading.getnext()
    assert steps.tag == f"{X}ol" and steps.get("type") is None
    nested = [
        (ol.get("type"), [_text(li) for li in ol.findall(f"{X}li")])
        for ol in steps.iter(f"{X}ol")
        if ol is not steps
    ]
    assert nested == [
        (
            "a",
            [
                "Check the date range in the header against your question.",
                "Check the product names: brand and generic names are counted apart.",
            ],
        ),
        (
            "i",
            [
                "Filter on the preferred term.",
                "Remove the duplicates the export marks.",
                "Write down how many you removed, and why.",
            ],
        ),
    ]
    after = list(steps.itersiblings())
    assert after[0].tag == f"{X}p" and _text(after[0]).startswith("B. Russell")  # one space: no list
    assert after[1].get("type") == "A" and len(after[1]) == 2
    examples = [ol for ol in after if "example" in (ol.get("class") or "")]
    assert [(ol.get("start"), len(ol)) for ol in examples] == [(None, 2), ("3", 1)]
    texts = [_text(el) for el in after if el.tag == f"{X}p"]
    assert "The reporting odds ratio compares (1) with the cases of the other drugs." in texts[2]
    assert "(@rate)" in texts[2]  # in code it stays as written
    assert texts[3].startswith("Example (3) is the rule")
    default = after[-1]
    assert default.tag == f"{X}ol" and [_text(li) for li in default] == [
        "Save the export under the date.",
        "Note the filter you used.",
    ]
    # numbered on across chapters, as pandoc numbers them across its input files; a label
    # may be named before its chapter
    measuring = course.docs["measuring.xhtml"]
    assert any("own rule, example (3) of the next chapter" in _text(p) for p in _all(measuring, "p"))
    review = course.docs["review.xhtml"]
    later = [ol for ol in _all(review, "ol") if "example" in (ol.get("class") or "")]
    assert [(ol.get("start"), [_text(li) for li in ol]) for ol in later] == [
        (
            "4",
            [
                "A PRR of 2.4 with four cases: flagged, and reviewed as (1) was.",
                "A ROR of 1.8 with forty cases: not flagged by the rule.",
            ],
        )
    ]


def test_lettered_roman_and_example_lists_in_the_pdf(course):
    page = next(t for t in course.texts if "Reading an export" in t and "Twelve cases" in t)
    # the markers, in the order WeasyPrint draws them (after the text of their items)
    assert "1. a. b. 2. i. ii. iii. 3. A. B. (1) (2) (3) 1. 2." in page
    assert "compares (1) with the cases" in page and "Example (3) is the rule" in page
    assert "B. Russell’s rule of thumb" in page
    assert any("example (3) of the next chapter" in t for t in course.texts)
    review = next(t for t in course.texts if "Two more examples" in t)
    assert "(4) (5)" in review and "reviewed as (1) was" in review


def test_a_grid_table_has_blocks_in_its_cells_in_both_outputs(course):
    doc = course.docs["measuring.xhtml"]
    table = next(t for t in _all(doc, "table") if t.get("id") == "tbl-measures")
    assert (
        _text(table.find(f"{X}caption")) == "Table 2.2 Three disproportionality measures and their thresholds"
    )
    assert [_text(th) for th in table.findall(f"{X}thead/{X}tr/{X}th")] == [
        "Measure",
        "What it compares",
        "Flag from",
    ]
    rows = table.findall(f"{X}tbody/{X}tr")
    assert [_text(row[0]) for row in rows] == ["ROR", "PRR", "IC (Bayesian)"]
    assert [row[2].get("class") for row in rows] == ["align-right"] * 3  # from the colons
    assert _text(rows[0][1]) == "Odds of the event with the product against the others"
    assert rows[0][1].find(f"{X}p") is None and rows[0][1].find(f"{X}br") is None  # one paragraph: no <p>
    assert [_text(li) for li in rows[1][1].iter(f"{X}li")] == [
        "the event’s share of the product’s reports",
        "its share of all the others",
    ]
    assert [_text(p) for p in rows[2][1].findall(f"{X}p")] == [
        "Observed against expected counts, shrunk toward none.",
        "Used by the WHO +/- a prior.",
    ]
    assert "Used by the WHO +/- a prior." in "".join(rows[2][1].itertext())
    page = next(t for t in course.texts if "Three disproportionality measures" in t)
    assert "Odds of the event with the product against the others" in page
    assert "Used by the WHO +/- a prior." in page


LIST_CASES = {
    "v is a letter, then the list's own style": ("v. fifth\nw. next\n", ['<ol start="22" type="a">']),
    "roman numbers": ("iv. four\nv. five\n", ['<ol start="4" type="i">']),
    "upper roman with two spaces": ("I.  One\nII.  Two\n", ['<ol type="I">']),
    "parentheses": ("(a) first\n(b) second\n", ['<ol type="a">']),
    "a new delimiter is a new list": ("a. one\nb) two\n", ['<ol type="a">', '<ol start="2" type="a">']),
    "a capital and a period need two spaces": ("A. Smith wrote it.\n", []),
    "no list inside a top-level paragraph": ("It has two effects:\n(1) lowering\na. raising\n", []),
    "a nested lettered list without a blank line": ("1. First\n   a. sub\n", ["<ol>", '<ol type="a">']),
    "a lettered list nests from any letter inside an item": (
        "1. First\n   c. sub\n",
        ["<ol>", '<ol start="3" type="a">'],
    ),
    "a number continues a #. list": ("#. one\n2. two\n", ["<ol>"]),
    "#. continues a numbered list": ("1. one\n#. two\n", ["<ol>"]),
    "p. and a number is a page": ("p. 12 shows the trend.\n", []),
}


@pytest.mark.parametrize("case", sorted(LIST_CASES))
def test_pandoc_list_markers(case):
    from msl_book.markdown import make_parser

    text, lists = LIST_CASES[case]
    html = make_parser().render(text)
    assert re.findall(r"<ol[^>]*>", html) == lists, html


def test_a_grid_table_counts_a_wide_character_as_two_columns_and_maps_cells_to_their_lines():
    from msl_book.markdown import make_parser

    text = "+------+------+\n| 用語 | 意味 |\n+======+======+\n| KOL  | 医師 |\n+------+------+\n"
    tokens = make_parser().parse(text)
    html = make_parser().render(text)
    assert "<th>用語</th>" in html and "<td>医師</td>" in html
    assert [t.map[0] for t in tokens if t.type == "inline"] == [1, 1, 3, 3]  # each cell's own line


def test_typography_is_pandocs_smart_dashes_and_ellipses_only():
    """markdown-it's replacements would print (c) as ©, +- as ±, two dots as an ellipsis."""
    from msl_book.markdown import make_parser

    html = make_parser().render("Options (a), (b) and (c) -- or (tm) +- 5... wait---now.. ,, end\n")
    assert html == "<p>Options (a), (b) and (c) \u2013 or (tm) +- 5\u2026 wait\u2014now.. ,, end</p>\n"


def test_an_example_label_given_twice_is_a_warning_at_the_second(tmp_path):
    text = "---\ntitle: Second Chapter\n---\nText.\n\n(@dose) The first.\n\n(@dose) The second.\n\nSee (@dose).\n"
    project = make_book(tmp_path, {SECOND: text})
    result = run_cli("check", str(project))
    assert result.code == 0
    assert result.err.splitlines()[0] == (
        f"{SECOND}:8: warning: example label (@dose) is given a second time: (@dose) in the text "
        "is this item's number from here on; give each example its own label"
    )


# -- refused, with the reason -----------------------------------------------------------------

REFUSED = {
    "script": (
        "<script>alert(1)</script>",
        "<script> is not allowed in a book: it could run code or load something",
    ),
    "iframe": (
        '<iframe src="https://example.com"></iframe>',
        "<iframe> is not allowed in a book: it could run code or load something",
    ),
    "event handler": (
        '<span onmouseover="x()">Hover</span>',
        "event handler 'onmouseover' is not allowed on <span>: a book runs no scripts",
    ),
    "inline style": (
        '<p style="color: red">Red</p>',
        'inline style is not allowed (style="color: red"): give the element a class '
        '(class="…" in HTML, {.name} in Markdown) and style it in styles/custom.css',
    ),
    "javascript link": (
        '<a href="javascript:alert(1)">x</a>',
        "<a href=\"javascript:alert(1)\">: 'javascript:' URLs are not allowed",
    ),
    "style attribute in Markdown": (
        "[Red]{style='color: red'}",
        'inline style is not allowed (style="color: red"): give the element a class '
        '(class="…" in HTML, {.name} in Markdown) and style it in styles/custom.css',
    ),
    "unclosed raw tag": ("Press <kbd>Ctrl.", "<kbd> is not closed in its paragraph: add </kbd>"),
    "stray fence": (":::", "':::' closes no div (a div opens with '::: name' or '::: {.class}')"),
    "malformed math": (r"A formula $\frac{a$ here.", r"math a '{' is not closed: $\frac{a$"),
    "unknown math command": (
        r"A formula $\badcommand{x}$ here.",
        r"math unknown command \badcommand: $\badcommand{x}$",
    ),
    "file URL image": (
        "![A file](file:///etc/hostname)",
        "image file:///etc/hostname: a file: URL cannot be used; copy the image into the project and give its path",
    ),
    "image size": (
        "![A dot](../images/dot.svg){width=wide}",
        "image width 'wide' is not a size (use 300, 300px, 50%, 3in…)",
    ),
    "grid table with a merged cell": (
        "+------+------+\n| Term | Use  |\n+======+======+\n| one cell across |\n+------+------+",
        "this grid table cannot be read: every row needs a cell in every column, its '+' "
        "and '|' under the top border's, and the table a bottom border (merged cells and "
        "table feet are not read)",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_refused_constructs_say_why_at_their_line(tmp_path, case):
    source, message = REFUSED[case]
    project = make_book(tmp_path, {SECOND: f"---\ntitle: Second Chapter\n---\nText.\n\n{source}\n"})
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines() == [f"{SECOND}:6: {message}", "msl-book: check failed: 1 error"]


def test_an_unknown_attribute_is_kept_as_data_and_an_unknown_html_attribute_dropped(tmp_path):
    project = make_book(
        tmp_path,
        {
            SECOND: '---\ntitle: Second Chapter\n---\n[Hard]{.level difficulty=3}\n\n<p align="center">Mid</p>\n'
        },
    )
    result = build(project, BuildOptions(output=tmp_path / "out", formats=("epub",)))
    assert [str(w) for w in result.warnings] == [f"{SECOND}:6: warning: attribute 'align' on <p> is ignored"]
    with zipfile.ZipFile(result.outputs[0].path) as z:
        text = z.read("EPUB/text/second.xhtml").decode()
    assert '<span class="level" data-difficulty="3">Hard</span>' in text
    assert "<p>Mid</p>" in text


def _with_chapters(tmp_path, files: dict[str, str]):
    """The minimal book with these chapter files instead of its own, in this order."""
    config = (FIXTURES / "minimal" / "book.yaml").read_text(encoding="utf-8")
    listed = "".join(f"  - {name}\n" for name in files)
    config = re.sub(r"chapters:\n(?:  - .*\n)+", "chapters:\n" + listed, config)
    changes: dict[str, str | None] = {"book.yaml": config, "chapters/01-first.md": None, SECOND: None}
    return make_book(tmp_path, {**changes, **files})


def test_folder_pages_take_their_folders_name_and_a_clash_says_how_to_fix_it(tmp_path):
    root = _with_chapters(
        tmp_path,
        {
            "guide/README.md": "# The guide\n\nText.\n",
            "cli/README.md": "# The command line\n\nSee [the guide](#guide).\n",
            "cli/intro.md": "# Starting\n\nText.\n",
            "guide/intro.md": "# Starting again\n\nText.\n",
        },
    )
    result = run_cli("check", str(root))
    assert result.err.splitlines() == [
        "guide/intro.md:1: duplicate id 'intro' (already used at cli/intro.md): a chapter's id comes from "
        "its file name; give this one an 'id:' in its front matter",
        "msl-book: check failed: 1 error",
    ]


def test_headings_quarto_titles_and_captions_as_authors_write_them(tmp_path):
    body = (
        "# Methods\n\n"
        "## toc\n\nA heading named like the contents.\n\n"
        "# A second title\n\nText.\n\n"
        "::: {.callout-note}\n## Quick check {.unnumbered}\nBody.\n:::\n\n"
        '![Cases -- by "region"](../images/dot.svg)\n'
    )
    root = make_book(tmp_path, {SECOND: body})
    result = build(root, BuildOptions(output=tmp_path / "out"))
    assert [str(w) for w in result.warnings] == [
        f"{SECOND}:7: warning: level-1 heading in the body: a chapter has one title (its front matter's, "
        "or a '# Title' first line); it is printed as ##, write ## for sections"
    ]
    paths = {o.format: o.path for o in result.outputs}
    with zipfile.ZipFile(paths["epub"]) as z:
        doc = etree.fromstring(z.read("EPUB/text/second.xhtml"))
    assert [h.get("id") for h in doc.iter(f"{X}h2") if _text(h) == "toc"] == ["sec-toc"]
    callout = _all(doc, "div", "callout-note")[0]
    assert "Quick check" in _text(callout) and "{" not in _text(callout)
    assert _text(_all(doc, "figcaption")[0]) == "Figure 2.1 Cases – by “region”"
    text = " ".join(p.extract_text() for p in PdfReader(paths["pdf"]).pages)
    assert "Cases – by “region”" in text and "unnumbered" not in text


def test_a_url_shown_as_its_own_text_is_never_hyphenated(tmp_path):
    url = "https://pharmacovigilance.example.org/guidance/signal-management/detection-and-validation"
    body = f"---\ntitle: Second\n---\nThe guidance is at <{url}>, with the annexes.\n"
    root = make_book(tmp_path, {SECOND: body})
    result = build(root, BuildOptions(output=tmp_path / "out"))
    paths = {o.format: o.path for o in result.outputs}
    text = " ".join(p.extract_text() for p in PdfReader(paths["pdf"]).pages)
    shown = re.sub(r"\s+", "", text.split("Second")[-1].split("annexes")[0])
    # the URL once (not again after itself, as print shows a link's address), broken across
    # lines at most, never with a hyphen of its own
    assert shown == "Theguidanceisat" + url + ",withthe"
    with zipfile.ZipFile(paths["epub"]) as z:
        doc = etree.fromstring(z.read("EPUB/text/second.xhtml"))
    assert [a.get("class") for a in doc.iter(f"{X}a") if a.get("href") == url] == ["url"]


def test_raw_attribute_blocks_are_html_made_safe_and_other_formats_are_left_out(tmp_path):
    body = (
        "---\ntitle: Second\n---\n"
        "Press `<kbd>Esc</kbd>`{=html} to close. `\\newpage`{=latex}\n\n"
        '```{=html}\n<table id="tbl-doses"><tr><th>Dose</th><td>5 mg</td></tr></table>\n```\n\n'
        "```{=latex}\n\\clearpage\n```\n\n"
        "See the [dose table](#tbl-doses).\n"
    )
    root = make_book(tmp_path, {SECOND: body})
    result = build(root, BuildOptions(output=tmp_path / "out"))
    assert [str(w) for w in result.warnings] == [
        f"{SECOND}:4: warning: raw latex ({{=latex}}) is for pandoc's latex output only: left out",
        f"{SECOND}:10: warning: raw latex ({{=latex}}) is for pandoc's latex output only: left out",
    ]
    paths = {o.format: o.path for o in result.outputs}
    with zipfile.ZipFile(paths["epub"]) as z:
        doc = etree.fromstring(z.read("EPUB/text/second.xhtml"))
    assert [_text(k) for k in _all(doc, "kbd")] == ["Esc"]
    assert [t.get("id") for t in _all(doc, "table")] == ["tbl-doses"]
    text = " ".join(p.extract_text() for p in PdfReader(paths["pdf"]).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Press Esc to close." in text and "Dose 5 mg" in text and "newpage" not in text, text
    bad = make_book(
        tmp_path / "bad", {SECOND: "---\ntitle: S\n---\n```{=html}\n<script>alert(1)</script>\n```\n"}
    )
    assert any(
        line.startswith(f"{SECOND}:4: <script> is not allowed")
        for line in run_cli("check", str(bad)).err.splitlines()
    ), run_cli("check", str(bad)).err


def _body(tmp_path, text: str) -> str:
    from msl_book.errors import Report
    from msl_book.pipeline import prepare
    from msl_book.xhtml import serialize

    project = make_book(tmp_path, {"chapters/02-second.md": "---\ntitle: Second\n---\n" + text})
    report = Report()
    model = prepare(project, report, stop=False).model
    assert report.errors == []
    return serialize(next(s for s in model.sections if s.title == "Second").body.root)


def test_a_figures_caption_keeps_its_links_and_emphasis(tmp_path):
    body = _body(
        tmp_path,
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nTable: Rows {#tbl-rows}\n\n"
        "![Where a request goes: *see* the rows of [](#tbl-rows).](../images/dot.svg){#fig-route}\n",
    )
    caption = re.search(r"<figcaption>.*?</figcaption>", body, re.S)[0]
    assert '<em>see</em> the rows of <a href="#tbl-rows" class="xref">Table 2.1</a>.' in caption
    assert 'alt="Where a request goes: see the rows of ."' in body  # alt text stays plain text


def test_a_size_on_the_line_before_a_figure_is_the_images(tmp_path):
    body = _body(tmp_path, "{#fig-small width=40%}\n![A dot](../images/dot.svg)\n")
    assert re.search(r'<figure class="figure" id="fig-small"><img [^>]*style="width: 40%"', body), body


def test_a_setext_title_with_an_id_dash_unnumbered_and_escaped_spaces(tmp_path):
    """pandoc reads ``{#id}`` on a Setext chapter title, ``{-}`` as ``{.unnumbered}`` and
    ``\\ `` as a non-breaking space; links written for pandoc to the title's id resolve."""
    first = (FIXTURES / "minimal" / "chapters" / "01-first.md").read_text("utf-8")
    project = make_book(
        tmp_path,
        {
            "chapters/01-first.md": first.replace("(#second)", "(#ch-doses)")
            + "\nThe doses are in [the second chapter](#ch-doses).\n",
            SECOND: "Doses and Units {#ch-doses}\n===========================\n\n"
            "A dose of 50\\ mg/m^2^ is not a dose of 50 mg.\n\n## Worked example {-}\n\nText.\n",
        },
    )
    result = build(project, BuildOptions(output=tmp_path / "out", formats=("epub",)))
    with zipfile.ZipFile(result.outputs[0].path) as z:
        names = [n for n in z.namelist() if n.endswith(".xhtml")]
        second_name = next(n for n in names if b"Doses and Units" in z.read(n))
        second = etree.fromstring(z.read(second_name))
        first_doc = next(etree.fromstring(z.read(n)) for n in names if b"the second chapter" in z.read(n))
    title = _all(second, "h1")[0]
    assert "Doses and Units" in _text(title) and "{" not in _text(title)
    link = next(a for a in _all(first_doc, "a") if _text(a) == "the second chapter")
    assert link.get("href") == "ch-doses.xhtml" == second_name.rsplit("/", 1)[-1]  # the title's id
    assert "".join(_all(second, "p")[0].itertext()) == "A dose of 50\u00a0mg/m2 is not a dose of 50 mg."
    worked = next(h for h in _all(second, "h2") if "Worked example" in _text(h))
    assert "unnumbered" in worked.get("class", "") and _text(worked) == "Worked example"


def test_links_written_for_pandoc_find_headings_by_pandocs_ids(tmp_path):
    """pandoc keeps accented letters in a heading's id and drops what comes before the first
    letter ("1. Introduction" is #introduction); msl-book's own ids differ, and links
    written with pandoc's resolve to the same headings. A broken one names the id as written."""
    text = (
        "---\ntitle: Second Chapter\n---\nText.\n\n## Qualité des données\n\nText.\n\n"
        "## 1. Introduction\n\nSee [the quality](#qualité-des-données), [the start](#introduction) "
        "and [the opening](01-first.md#first-chapter).\n\n## Summary\n\n[Nowhere](#résumé).\n"
    )
    project = make_book(tmp_path, {SECOND: text})
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"{SECOND}:16: broken link: no chapter, heading or element has id 'résumé'"
    )
    project = make_book(tmp_path / "fixed", {SECOND: text.replace("[Nowhere](#résumé)", "Done.")})
    doc = _epub_doc(project, tmp_path / "out", "second.xhtml")
    ids = {_text(h): h.get("id") for h in _all(doc, "h2")}
    links = {_text(a): a.get("href") for a in _all(doc, "a")}
    assert links["the quality"] == f"#{ids['Qualité des données']}"
    assert links["the start"] == f"#{ids['1. Introduction']}"
    assert links["the opening"] == "first.xhtml"


def test_a_simple_table_is_a_table_aligned_by_its_dashes(course):
    """pandoc's simple_tables: columns under a row of dashes; before, the rows were a
    paragraph under a rule, or a Setext heading in the contents."""
    doc = course.docs["measuring.xhtml"]
    table = doc.find(f".//{X}table[@id='tbl-by-source']")
    assert _text(table.find(f"{X}caption")) == "Table 2.3 Reports in a year, by source"
    rows = [[(_text(c), c.get("class")) for c in tr] for tr in table.iter(f"{X}tr")]
    assert rows[0] == [
        ("Source", "align-left"),
        ("Reports", "align-right"),
        ("Serious", "align-right"),
        ("Share", "align-right"),
    ]
    assert rows[1] == [
        ("Healthcare", "align-left"),
        ("4,210", "align-right"),
        ("612", "align-right"),
        ("58 %", "align-right"),
    ]
    assert len(rows) == 5 and len(table.find(f"{X}thead").findall(f".//{X}th")) == 4
    assert not any("Partners" in _text(h) for h in _all(doc, "h2"))
    page = next(t for t in course.texts if "Reports in a year, by source" in t)
    assert "Healthcare 4,210 612 58 %" in page


def test_a_table_without_a_caption_or_id_has_no_caption_and_no_number(tmp_path):
    """As in pandoc and Quarto; the captioned table after it is still the chapter's first."""
    second = (FIXTURES / "minimal" / SECOND).read_text("utf-8")
    at = second.index("| Skill")
    plain = "| Dose | Route |\n|------|-------|\n| 50 mg | oral |\n\n"
    project = make_book(tmp_path, {SECOND: second[:at] + plain + second[at:]})
    doc = _epub_doc(project, tmp_path / "out", "second.xhtml")
    tables = _all(doc, "table")
    assert [_text(t.find(f"{X}caption")) if t.find(f"{X}caption") is not None else None for t in tables] == [
        None,
        "Table 2.1 Skills in use",
    ]


def test_raw_latex_is_left_out_with_a_warning_and_newpage_breaks_the_page(tmp_path):
    """pandoc keeps raw TeX for LaTeX output only; a paragraph of \\newpage is what an author
    writes for a page break in the PDF, and is one. C:\\\\Users stays a path."""
    text = (
        "---\ntitle: Second Chapter\n---\nBefore the break, \\vspace{1cm}with space.\n\n"
        "\\newpage\n\nAfter the break, in C:\\\\Users.\n"
    )
    project = make_book(tmp_path, {SECOND: text})
    result = run_cli("build", str(project), "--format", "pdf", "--output", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert (
        f"{SECOND}:4: warning: raw LaTeX \\vspace{{1cm}} is left out: pandoc keeps it for LaTeX "
        "output only (write \\\\ for a backslash that is text)"
    ) in result.err.splitlines()
    assert "newpage" not in result.err
    pages = [p.extract_text() for p in PdfReader(next((tmp_path / "out").glob("*.pdf"))).pages]
    before = next(i for i, t in enumerate(pages) if "Before the break" in t)
    assert "with space" in pages[before] and "vspace" not in pages[before]
    assert "After the break" not in pages[before]
    assert "After the break, in C:\\Users." in pages[before + 1]


def test_implicit_header_references_link_to_their_headings(tmp_path):
    """pandoc's implicit_header_references: [Heading], [Heading][] and [text][Heading] link
    to the heading of that text anywhere in the book (case and spaces aside); other text in
    brackets stays as it is, and so does code."""
    text = (
        "---\ntitle: Second Chapter\n---\n## Core activities\n\nText.\n\n## Summary\n\n"
        "See [Core activities], [the duties][core  Activities], [First Chapter][] and "
        "[not a heading], but not `[Core activities]`.\n"
    )
    project = make_book(tmp_path, {SECOND: text})
    doc = _epub_doc(project, tmp_path / "out", "second.xhtml")
    ids = {_text(h): h.get("id") for h in _all(doc, "h2")}
    para = next(p for p in _all(doc, "p") if "See" in _text(p))
    assert [(_text(a), a.get("href")) for a in _all(para, "a")] == [
        ("Core activities", f"#{ids['Core activities']}"),
        ("the duties", f"#{ids['Core activities']}"),
        ("First Chapter", "first.xhtml"),
    ]
    assert "[not a heading]" in _text(para) and _text(_all(para, "code")[0]) == "[Core activities]"


def test_a_chapter_that_cannot_be_read_is_one_error_not_a_warning_per_link_to_it(tmp_path):
    first = (FIXTURES / "minimal" / "chapters" / "01-first.md").read_text("utf-8")
    project = make_book(
        tmp_path,
        {
            "chapters/01-first.md": first
            + "\nSee [the second](02-second.md) and [its table](02-second.md#tbl).\n",
            SECOND: "---\ntitle: [Second\n---\nText.\n",
        },
    )
    result = run_cli("check", str(project))
    assert result.code == 1
    assert [line for line in result.err.splitlines() if "02-second.md" in line and "warning" in line] == []
    assert any(line.startswith(f"{SECOND}:") for line in result.err.splitlines()), result.err


def test_markdown_between_html_block_tags_is_markdown(tmp_path):
    """pandoc's markdown_in_html_blocks: with no blank line after <div>, CommonMark kept the
    lines as raw text (*Read this* printed with its asterisks); an event handler on such a
    tag is still refused."""
    text = (
        '---\ntitle: Second Chapter\n---\nIntro.\n\n<div class="box">\n*Read this first*, then the rest.\n'
        "</div>\n\n<details>\n<summary>Why?</summary>\nBecause **it matters**.\n</details>\n"
    )
    project = make_book(tmp_path, {SECOND: text})
    doc = _epub_doc(project, tmp_path / "out", "second.xhtml")
    box = _all(doc, "div", "box")[0]
    assert [(etree.QName(c).localname, _text(c)) for c in box] == [("p", "Read this first, then the rest.")]
    assert _text(box.find(f"{X}p/{X}em")) == "Read this first"
    details = _all(doc, "details")[0]
    assert [etree.QName(c).localname for c in details] == ["summary", "p"]
    assert _text(details.find(f"{X}p/{X}strong")) == "it matters"
    bad = make_book(tmp_path / "bad", {SECOND: text.replace('class="box"', 'class="box" onclick="go()"')})
    result = run_cli("check", str(bad))
    assert result.code == 1 and f"{SECOND}:6:" in result.err and "onclick" in result.err


def test_a_multiline_table_joins_each_cells_lines(tmp_path):
    """pandoc's multiline_tables: a header of two lines, rows of several lines apart by blank
    lines, between two rows of dashes; its caption may span lines. A row of dashes alone
    stays a rule."""
    table = (
        "------------------------------------------------\n"
        " Visit      Who            Notes\n"
        "  type      attends\n"
        "----------- -------------- ---------------------\n"
        " Advisory   Eight to ten   Agenda agreed with\n"
        "  board     experts        compliance first.\n"
        "\n"
        " One to     A single       Answers only what\n"
        "  one       clinician      was asked.\n"
        "------------------------------------------------\n"
        "\n"
        "Table: Visits and who attends them, one\nrow for each kind {#tbl-visits}\n\n-----\n\nAfter a rule.\n"
    )
    project = make_book(tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\nIntro.\n\n" + table})
    doc = _epub_doc(project, tmp_path / "out", "second.xhtml")
    found = doc.find(f".//{X}table[@id='tbl-visits']")
    assert _text(found.find(f"{X}caption")) == "Table 2.1 Visits and who attends them, one row for each kind"
    rows = [[(_text(c), c.get("class")) for c in tr] for tr in found.iter(f"{X}tr")]
    assert rows == [
        [("Visit type", "align-center"), ("Who attends", "align-left"), ("Notes", "align-left")],
        [("Advisory board", "align-center"), ("Eight to ten experts", "align-left"),
         ("Agenda agreed with compliance first.", "align-left")],
        [("One to one", "align-center"), ("A single clinician", "align-left"),
         ("Answers only what was asked.", "align-left")],
    ]  # fmt: skip
    assert len(_all(doc, "hr")) == 1


def test_escaped_brackets_and_brackets_in_code_are_not_header_references(tmp_path):
    text = (
        "---\ntitle: Second Chapter\n---\n## Summary\n\nKeep \\[Summary\\] as text, and [Summary] "
        "links; so does [the end][summary].\n"
    )
    project = make_book(tmp_path, {SECOND: text})
    doc = _epub_doc(project, tmp_path / "out", "second.xhtml")
    para = next(p for p in _all(doc, "p") if "Keep" in _text(p))
    assert _text(para) == "Keep [Summary] as text, and Summary links; so does the end."
    assert [_text(a) for a in _all(para, "a")] == ["Summary", "the end"]
    assert not _all(doc, "span", "implicit-ref")


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("```\n--- ---\nfoo\n```\n", '<pre class="code"><code>--- ---\nfoo</code></pre>\n'),
        ("## Results\n--- ---\nfoo bar\n", "<h2>Results</h2>\n<hr />\n<p>foo bar</p>\n"),
        ("> quote\n--- ---\n", "<blockquote>\n<p>quote</p>\n</blockquote>\n<hr />\n"),
        ("End of a scene.\n- - -\n\nNext.\n", "<p>End of a scene.</p>\n<hr />\n<p>Next.</p>\n"),
        ("- item\n---  ----\n", "<ul>\n<li>item</li>\n</ul>\n<hr />\n"),
    ],
)
def test_what_only_looks_like_a_simple_table_is_read_as_before(markdown, expected):
    """Fenced code, headings, quotations and list items keep their lines; a line over a
    spaced rule with no row under it is a paragraph and a rule (pandoc reads all alike)."""
    from msl_book.markdown import make_parser

    assert make_parser().render(markdown) == expected


def test_html_indented_under_its_tag_stays_raw_html():
    from msl_book.markdown import make_parser

    html = "<details>\n    <summary>Click</summary>\n    Content here\n</details>\n"
    assert make_parser().render(html) == html


def test_example_items_written_with_at_period_are_numbered_across_chapters(tmp_path):
    first = (FIXTURES / "minimal" / "chapters" / "01-first.md").read_text("utf-8")
    project = make_book(
        tmp_path,
        {
            "chapters/01-first.md": first + "\n@. One.\n@. Two.\n",
            SECOND: "---\ntitle: Second Chapter\n---\n@. Three.\n@good. Four.\n\nSee (@good).\n",
        },
    )
    doc = _epub_doc(project, tmp_path / "out", "second.xhtml")
    lists = [ol for ol in _all(doc, "ol") if "example" in (ol.get("class") or "")]
    assert [(ol.get("start"), len(ol)) for ol in lists] == [("3", 2)]
    assert any(_text(p) == "See (4)." for p in _all(doc, "p"))


@pytest.mark.parametrize(
    "tex",
    [
        r"\omega = \lambda x. x x \\",  # a final row break: no row in TeX
        r"\begin{aligned} x &= 1 \\ y &= 2 \\ \end{aligned}",  # latex2mathml leaves aligned as text
        r"\begin{align*} e ::= x \end{align*}",  # one column: latex2mathml's columnspacing=""
    ],
)
def test_formulas_latex2mathml_reads_badly_are_well_formed_and_drawn_to_size(tex):
    """As TeX reads them: no empty last row (drawn 500 em tall, an empty page), aligned as
    rows and columns (not a bare '&', which is not XML), no empty attribute (EPUBCheck)."""
    from msl_book.markdown.math import MATHML_NS, to_mathml
    from msl_book.renderers.pdf.math import _draw

    mathml = to_mathml(tex, display=True)
    root = etree.fromstring(mathml)
    assert [e.text for e in root.iter(f"{{{MATHML_NS}}}mi") if e.text == "&"] == []
    assert [(e.tag, k) for e in root.iter() for k, v in e.attrib.items() if v == ""] == []
    _uri, width, height, _depth = _draw(mathml)
    assert 0 < height < 3 and width > 0, (height, width)


def test_latex_macros_are_expanded_in_the_math_after_them(course):
    """pandoc's latex_macros: \\newcommand (with arguments, an optional one), \\DeclareMathOperator
    and a definition inside $…$ define what the chapter's later formulas are written with;
    the definitions print nowhere (the course's two warnings are its only ones)."""
    doc = course.docs["measuring.xhtml"]
    alts = [m.get("alttext") for m in doc.iter(f"{M}math")]
    assert r"\mathrm{ROR} = \frac{a/b}{c/d} = \frac{ad}{bc}" in alts
    ci = r"\exp\left(\ln \mathrm{ROR} \pm 1.96 \sqrt{\frac{1}{a} + \frac{1}{b} + \frac{1}{c} + \frac{1}{d}}\right)"
    assert ci in alts
    assert r"\operatorname{logit} p = \ln \frac{p}{1-p}" in alts
    assert r"\operatorname{logit} q = \ln \frac{q}{1-q}" in alts
    text = _text(doc)
    assert "newcommand" not in text and "DeclareMathOperator" not in text
    assert "notation, defined once for the formulas of this chapter:" in text
    page = next(t for t in course.texts if "defined once for the formulas" in t)
    assert "newcommand" not in page and "\\inv" not in page


def test_a_macro_error_is_reported_at_its_formula(tmp_path):
    project = make_book(
        tmp_path,
        {
            SECOND: "---\ntitle: Second Chapter\n---\n\n\\newcommand{\\loop}{\\loop x}\n\n"
            "Text $\\loop$ here.\n\n\\newcommand{\\pair}[2]{(#1, #2)}\n\nAnd $\\pair{a}$.\n\n"
            "Then $\\R^2$, defined in no chapter.\n"
        },
    )
    result = run_cli("build", str(project))
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if "02-second.md" in line]
    assert lines == [
        "chapters/02-second.md:7: math macro \\loop expands without end: $\\loop$",
        "chapters/02-second.md:11: math macro \\pair needs 2 arguments: $\\pair{a}$",
        "chapters/02-second.md:13: math unknown command \\R: $\\R^2$",
    ]
