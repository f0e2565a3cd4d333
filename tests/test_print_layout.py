"""Print typography of the real handbook and of purpose-built fixtures: contents page
numbers, running heads, blank pages, footnotes on the page of their call, repeated table
headers, the print edition's bleed and crop marks."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

import pikepdf
import pytest
from pypdf import PdfReader

from msl_book.build import BuildOptions, build
from msl_book.errors import Report
from msl_book.pipeline import prepare
from msl_book.renderers.pdf import layout as pdf_layout
from msl_book.renderers.pdf.html import print_html, print_meta

from conftest import ROOT, make_book

CHAPTER_TITLES = [
    "Why the MSL Role Matters Now",
    "The MSL Role at a Glance",
    "Core Responsibilities and Skills",
    "Education, Credentials, and Lifelong Learning",
    "Your Career Path as an MSL",
    "Trends Shaping the MSL Role",
]


@dataclass
class Pdf:
    reader: PdfReader
    texts: list[str]  # extracted text of each page
    labels: list[str]  # page labels


@pytest.fixture(scope="module")
def pdf(handbook) -> Pdf:
    reader = PdfReader(handbook.pdf)
    return Pdf(reader, handbook.page_texts, reader.page_labels)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _flat(text: str) -> str:
    text = re.sub(r"[\u2010\u00ad-]\n", "", text)  # words hyphenated at a line end
    return re.sub(r"\s+", " ", text)


def test_contents_page_numbers_are_the_pages_where_chapters_start(pdf):
    texts, labels = pdf.texts, pdf.labels
    toc = " ".join(_flat(t) for t, label in zip(texts, labels, strict=True) if label in ("v", "vi", "vii"))
    checked = 0
    for number, title in enumerate(CHAPTER_TITLES, start=1):
        m = re.search(rf"{number} {re.escape(title)} \.+ (\d+)", toc)
        assert m, title
        start = labels.index(m[1])
        opener = _lines(texts[start])
        assert opener[:2] == [f"CHAPTER {number}", title.split(",")[0]] or opener[0] == f"CHAPTER {number}", (
            opener[:3]
        )
        assert title in _flat(texts[start])
        checked += 1
    assert checked == 6


def test_running_heads_show_book_title_on_versos_and_chapter_on_rectos(pdf):
    texts, labels = pdf.texts, pdf.labels
    start = labels.index("1")
    verso, recto = labels.index("2"), labels.index("3")
    assert _lines(texts[verso])[-2:] == ["THE MEDICAL SCIENCE LIAISON HANDBOOK", "2"]
    assert _lines(texts[recto])[-2:] == ["WHY THE MSL ROLE MATTERS NOW", "3"]
    # a chapter opener has no running head, only its folio
    assert _lines(texts[start])[-1] == "1"
    assert "THE MEDICAL SCIENCE LIAISON HANDBOOK" not in texts[start]
    assert "WHY THE MSL ROLE MATTERS NOW" not in texts[start]


def test_blank_pages_carry_no_running_head_or_folio(tmp_path):
    """The pages WeasyPrint leaves blank (a verso before a chapter that opens on a recto)
    print nothing, while the pages around them print their folios."""
    project = make_book(tmp_path)
    report = Report()
    p = prepare(project, report)
    html = print_html(p.model, p.env, print_meta(p.book, p.modified, "screen", None))
    layout = pdf_layout.lay_out(html, p.book.root, p.theme, p.book.config.page_size, report)
    pdf_layout.write_pdf(layout, tmp_path / "book.pdf", "ua-1", b"0" * 32, report)
    texts = [page.extract_text() or "" for page in PdfReader(tmp_path / "book.pdf").pages]
    blank = [page.index for page in layout.pages if page.blank]
    assert blank == [1, 5, 9]  # after the cover, the contents and chapter 2's single page
    for index in blank:
        assert texts[index].strip() == "", index
        assert texts[index + 1].strip(), index + 1
    assert [layout.pages[i].label for i in blank] == ["ii", "vi", "4"]  # counted, not printed
    assert _lines(texts[8])[-1] == "3"  # where a body page prints its folio


def test_chapters_open_on_right_hand_pages(pdf):
    texts = pdf.texts
    for title in CHAPTER_TITLES:
        index = next(i for i, t in enumerate(texts) if _flat(t).startswith("CHAPTER") and title in _flat(t))
        assert index % 2 == 0, title  # even index = odd physical page = recto


def _words(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [link](url): its text
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", text)  # [span]{index="…"}: its text
    return " ".join(re.sub(r"[^a-z]+", " ", text.lower()).split())


def test_footnote_text_is_on_the_page_of_its_call(pdf):
    texts = pdf.texts
    pages = [_words(_flat(t)) for t in texts]
    checked = 0
    for path in sorted(ROOT.glob("chapters/*.md")):
        source = path.read_text(encoding="utf-8")
        for label, body in re.findall(r"^\[\^([^\]]+)\]: (.+)$", source, re.MULTILINE):
            before = source[: source.index(f"[^{label}]")]
            call_words = " ".join(_words(before).split()[-6:])
            words = _words(body).split()
            note_words = " ".join(words[len(words) // 3 :][:8])  # mid-note: openings can recur elsewhere
            call_pages = [i for i, t in enumerate(pages) if call_words in t]
            note_pages = [i for i, t in enumerate(pages) if note_words in t]
            assert len(call_pages) == 1 and call_pages == note_pages, (
                path.name,
                label,
                call_pages,
                note_pages,
            )
            checked += 1
    assert checked >= 2


def _footnote_book(tmp_path, chapters: int = 14):
    """Chapters with a growing amount of text before a footnote, so that in some of them the
    call falls on the last lines of a page."""
    filler = "This sentence fills the page so that the note call moves down the page. " * 6
    files = {"book.yaml": "title: Notes\nauthors: [A]\nlanguage: en\n"}
    for n in range(chapters):
        paragraphs = [filler] * (6 + n) + [
            f"Call number {n} is here.[^n] After the call.",
            f"[^n]: Note body {n} " + "with more words " * 12 + ".",
        ]
        files[f"chapters/{n:02d}-chapter-{n}.md"] = (
            f"---\ntitle: Chapter {n}\n---\n" + "\n\n".join(paragraphs) + "\n"
        )
    return make_book(tmp_path, {**files, "chapters/01-first.md": None, "chapters/02-second.md": None})


def test_every_footnote_lands_on_the_page_of_its_call(tmp_path):
    project = _footnote_book(tmp_path)
    result = build(project, BuildOptions(formats=("pdf",), output=tmp_path / "out"))
    raw = [p.extract_text() or "" for p in PdfReader(result.outputs[0].path).pages]
    texts = [_flat(t) for t in raw]
    near_bottom = 0
    for n in range(14):
        call = [i for i, t in enumerate(texts) if f"Call number {n} is here" in t]
        body = [i for i, t in enumerate(texts) if f"Note body {n} " in t]
        assert len(call) == 1 and call == body, (n, call, body)
        lines = _lines(raw[call[0]])
        near_bottom += any(f"Call number {n}" in line for line in lines[-12:])
    assert near_bottom >= 3  # the fixture really puts calls near the foot of a page


def test_long_tables_repeat_their_header_row(tmp_path):
    rows = "\n".join(f"| Item {i} | A longer description of item {i} that wraps |" for i in range(90))
    project = make_book(
        tmp_path,
        {
            "chapters/02-second.md": f"---\ntitle: Second Chapter\n---\n| Name | Description |\n|---|---|\n{rows}\n\nTable: A long table\n"
        },
    )
    result = build(project, BuildOptions(formats=("pdf",), output=tmp_path / "out"))
    texts = [p.extract_text() or "" for p in PdfReader(result.outputs[0].path).pages]
    pages = [t for t in texts if "Item " in t]
    assert len(pages) >= 2
    for t in pages:
        lines = _lines(t)
        first_row = next(i for i, line in enumerate(lines) if line.startswith("Item "))
        assert "Name Description" in lines[:first_row], lines[: first_row + 1]


def test_print_edition_has_bleed_and_crop_marks(tmp_path):
    project = make_book(tmp_path)
    result = build(
        project, BuildOptions(formats=("pdf",), editions=("screen", "print"), output=tmp_path / "o")
    )
    screen, printed = (o.path for o in result.outputs)
    assert printed.name == "tiny-print.pdf"
    mm = 72 / 25.4
    with pikepdf.open(screen) as s, pikepdf.open(printed) as p:
        assert len(s.pages) == len(p.pages)
        page = p.pages[2]
        media = [float(v) for v in page.MediaBox]
        trim = [float(v) for v in page.TrimBox]
        assert trim[2] - trim[0] == pytest.approx(210 * mm, abs=0.5)
        assert media[2] - media[0] == pytest.approx((210 + 6) * mm, abs=0.5)
        assert [float(v) for v in s.pages[2].MediaBox][2] == pytest.approx(210 * mm, abs=0.5)


def test_a_link_at_the_end_of_a_line_does_not_hyphenate_the_first_word(tmp_path):
    """WeasyPrint 70.0 hyphenated "Wel-" alone on the first line when the next inline element
    (here a link) did not fit; msl-book's fix makes it break at the last space instead."""
    para = (
        "Welcome to the team. This handbook is written for people who are new to the work of a "
        "[Medical Science Liaison](#first) (MSL). Most readers will hold an advanced degree."
    )
    project = make_book(tmp_path, {"chapters/02-second.md": f"---\ntitle: Second\n---\n{para}\n"})
    result = build(project, BuildOptions(formats=("pdf",), output=tmp_path / "out"))
    text = next(
        t for t in (p.extract_text() for p in PdfReader(result.outputs[0].path).pages) if "CHAPTER 2" in t
    )
    first_line = _lines(text)[2]
    assert first_line.startswith("Welcome to the team.")
    assert first_line.endswith("work of a")


@pytest.mark.parametrize(
    ("size", "points"), [("Letter", (612, 792)), ("6x9in", (432, 648)), ("A5", (419.5, 595.3))]
)
def test_book_yaml_chooses_the_page_size(tmp_path, size, points):
    project = make_book(tmp_path)
    config = (project / "book.yaml").read_text(encoding="utf-8") + f"page_size: {size}\n"
    (project / "book.yaml").write_text(config, encoding="utf-8")
    result = build(project, BuildOptions(formats=("pdf",), output=tmp_path / "out"))
    with pikepdf.open(result.outputs[0].path) as pdf_file:
        for page in pdf_file.pages:
            box = [float(v) for v in page.MediaBox]
            assert (box[2] - box[0], box[3] - box[1]) == pytest.approx(points, abs=0.5)
        texts = [p.extract_text() or "" for p in PdfReader(result.outputs[0].path).pages]
    # the cover and the copyright page each fit on their own page at every size
    assert "A Tiny Test Book" in texts[0]
    copyright_page = next(i for i, t in enumerate(texts) if "Document code" in t)
    assert "TEST-001" in texts[copyright_page] and "Produced with msl-book" in texts[copyright_page]


def test_pdf_a_3u_for_archiving_is_still_tagged(tmp_path):
    project = make_book(tmp_path)
    result = build(project, BuildOptions(formats=("pdf",), pdf_standard="a-3u", output=tmp_path / "out"))
    with pikepdf.open(result.outputs[0].path) as pdf_file:
        xmp = pdf_file.open_metadata()
        assert (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) == ("3", "U")
        assert pdf_file.Root.MarkInfo.Marked is True
        assert "/OutputIntents" in pdf_file.Root


def test_page_references_cost_one_extra_pass_not_three(tmp_path):
    """WeasyPrint 70.0 re-made every page holding a page reference two or three times;
    msl-book's fix resolves references through their targets in a single extra pass."""
    messages: list[str] = []
    project = make_book(tmp_path)
    build(project, BuildOptions(formats=("pdf",), output=tmp_path / "out"), progress=messages.append)
    passes = [m for m in messages if "Repagination" in m]
    made = [m for m in messages if "Creating layout - Page" in m and "up-to-date" not in m]
    assert passes == ["Step 5 - Creating layout - Repagination #1"]
    pages = len(PdfReader(tmp_path / "out" / "tiny.pdf").pages)
    assert len(made) < 2 * pages


def test_page_references_show_the_page_their_target_starts_on(tmp_path):
    """Forward and backward references, and the answer links of the review questions."""
    project = make_book(tmp_path)
    result = build(project, BuildOptions(formats=("pdf",), output=tmp_path / "out"))
    reader = PdfReader(result.outputs[0].path)
    texts = [_flat(p.extract_text() or "") for p in reader.pages]
    labels = reader.page_labels

    def page_of(text: str) -> str:  # in the body: the contents list every heading too
        return labels[next(i for i, t in enumerate(texts) if text in t and i >= labels.index("1"))]

    whole = " ".join(texts)
    forward = re.search(r"the second chapter \(page\s(\w+)\)", whole)[1]
    backward = re.search(r"Alpha \(page\s(\w+)\)", whole)[1]
    answer = re.search(r"Answer, p\.\s(\w+)", whole)[1]
    assert forward == page_of("CHAPTER 2")
    assert backward == page_of("Alpha section")
    assert answer == page_of("Answers to the Review Questions")
    assert len({forward, backward}) == 2


# -- the layout bugs found on books not written for msl-book -----------------------------------


def _pdf_texts(path):
    return [p.extract_text() or "" for p in PdfReader(path).pages]


def test_a_footnote_written_over_several_lines_prints_as_one_run_of_text(tmp_path):
    chapter = (
        "---\ntitle: Second Chapter\n---\nA claim.[^long]\n\n"
        "[^long]: A note written\n    over several\n    source lines, as authors wrap them.\n"
    )
    project = make_book(tmp_path, {"chapters/02-second.md": chapter})
    result = build(project, BuildOptions(formats=("pdf",), output=tmp_path / "out"))
    lines = [line for t in _pdf_texts(result.outputs[0].path) for line in _lines(t)]
    assert "1. A note written over several source lines, as authors wrap them." in lines


def test_a_numbered_list_interrupted_by_a_paragraph_goes_on_counting(tmp_path):
    chapter = "---\ntitle: Second Chapter\n---\n1. First\n2. Second\n\nA remark.\n\n3. Third\n4. Fourth\n"
    project = make_book(tmp_path, {"chapters/02-second.md": chapter})
    result = build(project, BuildOptions(formats=("pdf",), output=tmp_path / "out"))
    page = next(t for t in _pdf_texts(result.outputs[0].path) if "A remark." in t)
    assert re.findall(r"^(\d)\. *$", page, re.MULTILINE) == ["1", "2", "3", "4"]  # the list markers


def test_a_cover_image_covers_the_page_and_the_print_editions_bleed(tmp_path):
    """The cover page rendered: every corner, bleed included, shows the image's colour."""
    import shutil
    import subprocess

    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed; .ci/run installs it")
    cover = tmp_path / "cover.png"
    Image.new("RGB", (620, 877), (240, 200, 80)).save(cover)
    project = make_book(tmp_path, {"images/cover.png": cover.read_bytes()})
    config = project / "book.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "cover: images/cover.png\n", encoding="utf-8")
    result = build(
        project, BuildOptions(formats=("pdf",), editions=("screen", "print"), output=tmp_path / "o")
    )
    for out in result.outputs:
        png = tmp_path / f"{out.edition}"
        command = [
            "pdftoppm",
            "-png",
            "-r",
            "72",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(out.path),
            str(png),
        ]
        subprocess.run(command, check=True)
        with pikepdf.open(out.path) as pdf:
            media = [float(v) for v in pdf.pages[0].MediaBox]
            bleed = [float(v) for v in pdf.pages[0].obj.get("/BleedBox", pdf.pages[0].MediaBox)]
        with Image.open(f"{png}.png") as page:
            rgb = page.convert("RGB")
        # 72 dpi: a pixel a point; 3 points in from the bleed's edges (the bleed is 8.5 points)
        left, right = bleed[0] - media[0] + 3, bleed[2] - media[0] - 4
        top, bottom = media[3] - bleed[3] + 3, media[3] - bleed[1] - 4
        corners = [rgb.getpixel((round(x), round(y))) for x in (left, right) for y in (top, bottom)]
        assert all(abs(c[0] - 240) < 12 and abs(c[1] - 200) < 12 and abs(c[2] - 80) < 12 for c in corners), (
            out.edition,
            corners,
        )


def test_a_review_question_is_not_left_alone_away_from_its_box(tmp_path):
    filler = "Words that fill the page so that the questions come at its foot. " * 7
    questions = "".join(
        f"  - question: Review question number {n} about the chapter, long enough to wrap?\n"
        f"    answer: An answer.\n"
        for n in range(1, 6)
    )
    for paragraphs in range(9, 15):
        body = "\n\n".join([filler] * paragraphs)
        chapter = f"---\ntitle: Second Chapter\nquestions:\n{questions}---\n{body}\n"
        project = make_book(tmp_path / str(paragraphs), {"chapters/02-second.md": chapter})
        result = build(project, BuildOptions(formats=("pdf",), output=tmp_path / str(paragraphs) / "out"))
        texts = _pdf_texts(result.outputs[0].path)
        answers = next(i for i, t in enumerate(texts) if "Answers to the Review Questions" in _lines(t)[:3])
        second = next(i for i, t in enumerate(texts) if "CHAPTER 2" in _lines(t)[:2])
        # the box title is letter-spaced: pypdf reads it as "R EVIEW QU EST IONS"
        title = [i for i in range(second, answers) if "REVIEWQUESTIONS" in texts[i].replace(" ", "")]
        last = [i for i in range(second, answers) if "Review question number 5" in texts[i]]
        assert title == last, (paragraphs, title, last)


def test_openers_any_gives_no_blank_pages_and_recto_gives_them(tmp_path):
    texts = {}
    for openers in ("any", "recto"):
        project = make_book(tmp_path / openers)
        config = project / "book.yaml"
        text = config.read_text(encoding="utf-8").replace("openers: recto\n", f"openers: {openers}\n")
        config.write_text(text, encoding="utf-8")
        result = build(project, BuildOptions(output=tmp_path / openers / "out"))
        texts[openers] = _pdf_texts(result.outputs[0].path)
        with zipfile.ZipFile(result.outputs[1].path) as epub:
            nav = epub.read("EPUB/text/nav.xhtml").decode()
        page_list = nav[nav.index('epub:type="page-list"') :]
        labels = re.findall(r'<a href="[^"]+">([^<]+)</a>', page_list)
        assert labels and set(labels) <= set(PdfReader(result.outputs[0].path).page_labels), openers
    assert [i for i, t in enumerate(texts["any"]) if i and not t.strip()] == []
    assert [i for i, t in enumerate(texts["recto"]) if i and not t.strip()] == [1, 5, 9]
    assert len(texts["any"]) < len(texts["recto"])


def test_the_typeset_cover_is_in_the_book_colour_to_its_edges(handbook, tmp_path):
    import shutil
    import subprocess

    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed; .ci/run installs it")
    png = tmp_path / "cover"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "36", "-f", "1", "-l", "1", "-singlefile", str(handbook.pdf), str(png)],
        check=True,
    )
    with Image.open(f"{png}.png") as page:
        rgb = page.convert("RGB")
        w, h = rgb.size
        corners = [rgb.getpixel((x, y)) for x in (1, w - 2) for y in (1, h - 2)]
    assert corners == [(15, 94, 107)] * 4  # #0f5e6b, the theme's cover colour
