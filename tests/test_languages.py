"""Books in other languages and scripts: German, Japanese and Arabic fixture books (their
built-in strings in their language, fonts embedded, validators clean, the Arabic book right
to left), a bilingual project built into two editions, and runs of the other direction
isolated.

The Japanese and Arabic books need fonts that are not committed: Debian's Noto fonts
(fonts-noto-core, fonts-noto-cjk) are copied into a copy of the fixture at test time (the
CJK face taken out of its collection with fontTools). Without them those tests are skipped,
unless MSL_BOOK_REQUIRE_FONTS=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from msl_book.build import BuildOptions, build

from conftest import FIXTURES, ROOT, run_cli, run_epubcheck

NOTO = Path("/usr/share/fonts/truetype/noto")
CJK = Path("/usr/share/fonts/opentype/noto")
ARABIC_FONTS = [
    NOTO / "NotoNaskhArabic-Regular.ttf",
    NOTO / "NotoNaskhArabic-Bold.ttf",
    NOTO / "NotoSansArabic-Regular.ttf",
    NOTO / "NotoSansArabic-Bold.ttf",
    NOTO / "NotoSerif-Regular.ttf",
    NOTO / "NotoSerif-Bold.ttf",
    NOTO / "NotoSerif-Italic.ttf",
]
ARABIC_YAML = """fonts:
  body: [fonts/NotoNaskhArabic-Regular.ttf, fonts/NotoNaskhArabic-Bold.ttf]
  headings: [fonts/NotoSansArabic-Regular.ttf, fonts/NotoSansArabic-Bold.ttf]
  fallback: [fonts/NotoSerif-Regular.ttf, fonts/NotoSerif-Bold.ttf, fonts/NotoSerif-Italic.ttf]
"""
JAPANESE_YAML = """fonts:
  body: [fonts/NotoSansCJKjp-Regular.otf, fonts/NotoSansCJKjp-Bold.otf]
  headings: [fonts/NotoSansCJKjp-Regular.otf, fonts/NotoSansCJKjp-Bold.otf]
"""
# built-in English strings that must not be left in a book in another language
ENGLISH = ["Contents", "Chapter 1", "Learning objectives", "Key takeaways", "Review questions", "(page "]


def english_left(text: str) -> list[str]:
    """The built-in English strings found in ``text`` (as words: not 'tableOfContents')."""
    return [w for w in ENGLISH if re.search(rf"(?<![A-Za-z]){re.escape(w)}", text)]


def need(*files: Path) -> None:
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        reason = f"fonts missing: {', '.join(missing)} (Debian: fonts-noto-core fonts-noto-cjk)"
        if os.environ.get("MSL_BOOK_REQUIRE_FONTS") == "1":
            pytest.fail(f"MSL_BOOK_REQUIRE_FONTS=1 but {reason}")
        pytest.skip(reason)


def with_fonts(fixture: str, tmp: Path, files: list[Path], yaml: str) -> Path:
    project = tmp / fixture
    shutil.copytree(FIXTURES / fixture, project)
    (project / "fonts").mkdir()
    for f in files:
        shutil.copy(f, project / "fonts" / f.name)
    with (project / "book.yaml").open("a", encoding="utf-8") as fh:
        fh.write(yaml)
    return project


def japanese_fonts(tmp: Path) -> list[Path]:
    """Noto Sans CJK JP, regular and bold, out of Debian's collections."""
    from fontTools.ttLib import TTCollection

    collections = [CJK / "NotoSansCJK-Regular.ttc", CJK / "NotoSansCJK-Bold.ttc"]
    need(*collections)
    out = []
    for weight, path in zip(("Regular", "Bold"), collections, strict=True):
        target = tmp / f"NotoSansCJKjp-{weight}.otf"
        font = next(f for f in TTCollection(str(path)).fonts if f["name"].getDebugName(1).endswith(" JP"))
        font.save(str(target))
        out.append(target)
    return out


def built(project: Path, out: Path) -> dict[str, Path]:
    result = build(project, BuildOptions(output=out))
    return {o.format: o.path for o in result.outputs}


@pytest.fixture(scope="module")
def german(tmp_path_factory) -> dict[str, Path]:
    return built(FIXTURES / "lang-de", tmp_path_factory.mktemp("de"))


@pytest.fixture(scope="module")
def japanese(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("ja")
    project = with_fonts("lang-ja", tmp, japanese_fonts(tmp), JAPANESE_YAML)
    return built(project, tmp / "out")


@pytest.fixture(scope="module")
def arabic(tmp_path_factory) -> dict[str, Path]:
    need(*ARABIC_FONTS)
    tmp = tmp_path_factory.mktemp("ar")
    return built(with_fonts("lang-ar", tmp, ARABIC_FONTS, ARABIC_YAML), tmp / "out")


def pdf_text(pdf: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages]


def epub_text(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xhtml", ".opf", ".ncx"))}


def test_german_book_speaks_german_in_both_formats(german):
    text = "\n".join(pdf_text(german["pdf"]))
    for word in ["Inhalt", "KAPITEL 1", "Lernziele", "Wiederholungsfragen", "Antwort, S.", "4. März 2026"]:
        assert word.casefold() in text.casefold(), word
    assert re.search(r"\(Seite\s\d+\)", text)  # a cross-reference's page, in German
    epub = epub_text(german["epub"])
    nav = next(v for k, v in epub.items() if k.endswith("nav.xhtml"))
    assert '<h1 id="toc-title">Inhalt</h1>' in nav
    assert 'xml:lang="de"' in nav and 'dir="ltr"' in nav
    everything = text + "\n".join(epub.values())
    assert english_left(everything) == []


def test_japanese_book_in_japanese_with_its_font_embedded(japanese):
    text = "\n".join(pdf_text(japanese["pdf"]))
    for word in ["目次", "第1章", "学習目標", "確認問題"]:
        assert word in text, word
    assert re.search(r"図1\.1（\d+ページ）", text.replace(" ", ""))
    with pikepdf.open(japanese["pdf"]) as pdf:
        fonts = {str(f.get("/BaseFont", "")) for page in pdf.pages for f in page.Resources.Font.values()}
    assert any("NotoSansCJKjp" in f or "Noto-Sans-CJK-JP" in f for f in fonts), fonts
    epub = epub_text(japanese["epub"])
    chapter = next(v for k, v in epub.items() if "ruby" in v)
    assert "<ruby>医薬<rt>いやく</rt></ruby>" in chapter  # ruby kept as the author wrote it
    assert english_left("\n".join(epub.values())) == []
    # the EPUB's font is cut down to the book's characters: 16 MB whole, under 1 MB here
    from fontTools.ttLib import TTFont

    with zipfile.ZipFile(japanese["epub"]) as z:
        name = next(n for n in z.namelist() if n.endswith("NotoSansCJKjp-Regular.otf"))
        data = z.read(name)
    assert len(data) < 1_000_000
    import io

    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    assert all(ord(c) in cmap for c in "目次学習目標医薬MSL（）。")
    assert ord("鬱") not in cmap  # in the font, not in the book
    css = zipfile.ZipFile(japanese["epub"]).read("EPUB/styles/generated.css").decode()
    assert ":lang(ja) { line-break: strict; word-break: normal; }" in css
    assert ":lang(ja) .chapter-label" in css  # no letter-spacing between ideographs


def test_arabic_book_reads_right_to_left(arabic):
    epub = epub_text(arabic["epub"])
    opf = next(v for k, v in epub.items() if k.endswith(".opf"))
    assert re.search(r'<spine[^>]*page-progression-direction="rtl"', opf)
    chapter = next(v for k, v in epub.items() if "01-role" in k or ("role" in k and "<h1" in v))
    assert 'dir="rtl"' in chapter and "الفصل 1" in chapter
    with pikepdf.open(arabic["pdf"]) as pdf:
        assert str(pdf.Root.ViewerPreferences.Direction) == "/R2L"
        labels = pdf.Root.PageLabels.Nums
        assert str(labels[1].P) == "الغلاف"  # the cover's label, in Arabic
    # mirrored spreads: the running head of a right-hand page (a verso in an RTL book) is the
    # book's title, on its outer (right) side; a left-hand page's is the chapter's, on the left
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    reader = PdfReader(arabic["pdf"])
    title = reader.metadata.title.split(":")[0]  # the running head: the title without its subtitle
    heads = {}
    for number, layout in enumerate(extract_pages(arabic["pdf"])):
        boxes = [b for b in layout if isinstance(b, LTTextContainer) and b.get_text().strip()]
        top = max(boxes, key=lambda b: b.y1)
        if top.y1 > layout.height - 60:  # in the top margin: a running head
            heads[number] = (" ".join(top.get_text().split()), top.x0, top.x1, layout.width)

    def same(a: str, b: str) -> bool:  # pdfminer gives Arabic in visual order: compare letters
        return sorted(a.replace(" ", "")) == sorted(b.replace(" ", ""))

    right_pages = [h for h in heads.values() if same(h[0], title)]
    assert right_pages, heads
    for _, x0, _, width in right_pages:
        assert x0 > width / 2  # at the outer, right-hand side


@pytest.mark.parametrize("book", ["german", "japanese", "arabic"])
def test_language_books_pass_epubcheck_ace_and_pdfcheck(book, request, tmp_path):
    files = request.getfixturevalue(book)
    report = run_epubcheck(files["epub"])
    assert (report.errors, report.warnings) == (0, 0), report.messages
    tool = ROOT.parent / "shared" / "tools" / "pdfcheck.py"
    if tool.is_file():
        proc = subprocess.run(
            [sys.executable, str(tool), str(files["pdf"])], capture_output=True, text=True, check=False
        )
        assert "pdfcheck: 0 problems" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    from test_accessibility import IMPACTS, _run_ace, _violations

    assert _violations(_run_ace(files["epub"], tmp_path)) == {impact: [] for impact in IMPACTS}
    with pikepdf.open(files["pdf"]) as pdf:  # every font embedded
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                descriptor = descendant.FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont


def test_one_project_builds_both_editions(tmp_path):
    out = tmp_path / "out"
    result = run_cli("build", str(FIXTURES / "bilingual"), "--output", str(out))
    assert result.code == 0, result.err
    names = sorted(p.name for p in out.iterdir() if p.suffix in (".pdf", ".epub"))
    assert names == [
        f"scientific-exchange-in-practice.{lang}.{ext}" for lang in ("de", "en") for ext in ("epub", "pdf")
    ]
    english = "\n".join(pdf_text(out / "scientific-exchange-in-practice.en.pdf"))
    german = "\n".join(pdf_text(out / "scientific-exchange-in-practice.de.pdf"))
    assert "Contents" in english and "Inhalt" not in english
    assert "Inhalt" in german and "Wissenschaftlicher Austausch in der Praxis" in german
    # a cross-reference resolves in its own language: the German figure's label and page
    assert re.search(r"Abbildung 1\.1 \(Seite \d+\)", german)
    only = tmp_path / "only"
    result = run_cli("build", str(FIXTURES / "bilingual"), "--output", str(only), "--language", "de")
    assert result.code == 0, result.err
    assert sorted(p.name for p in only.iterdir() if p.suffix == ".pdf") == [
        "scientific-exchange-in-practice.de.pdf"
    ]
    assert (only / "scientific-exchange-in-practice.de.pdf").read_bytes() == (
        out / "scientific-exchange-in-practice.de.pdf"
    ).read_bytes()


def test_check_finds_what_a_translation_lacks(tmp_path):
    project = tmp_path / "bilingual"
    shutil.copytree(FIXTURES / "bilingual", project)
    (project / "chapters/de/02-compliance.md").unlink()
    role = project / "chapters/de/01-role.md"
    role.write_text(role.read_text("utf-8").replace("{#sec-exchange}\n", "\n"), "utf-8")
    result = run_cli("check", str(project))
    assert result.code == 1
    lines = result.err.splitlines()
    assert re.fullmatch(
        r"book\.yaml:\d+: chapters/de/02-compliance\.md not found: the 'de' translation of chapters/02-compliance\.md",
        lines[0],
    ), lines
    assert (
        "chapters/de/01-role.md: warning: section id 'sec-exchange' of chapters/01-role.md "
        "is missing from the 'de' translation"
    ) in lines
    unknown = run_cli("build", str(FIXTURES / "bilingual"), "--output", str(tmp_path / "o"), "-l", "fr")
    assert unknown.code == 1
    assert "--language fr: the book has no 'fr' edition (languages: en, de)" in unknown.err


def test_runs_of_the_other_direction_are_isolated(tmp_path):
    from conftest import make_book

    project = make_book(
        tmp_path,
        {
            "chapters/02-second.md": "---\ntitle: Second\n---\n"
            "The greeting שלום עולם (1998) is Hebrew; so is [שלום]{dir=rtl}.\n\n"
            "Code stays as it is: `שלום`.\n"
        },
    )
    from msl_book.errors import Report
    from msl_book.pipeline import prepare
    from msl_book.xhtml import serialize

    model = prepare(project, Report(), stop=False).model
    body = serialize(next(s for s in model.sections if s.title == "Second").body.root)
    assert '<span dir="rtl">שלום עולם</span> (1998) is Hebrew' in body
    assert body.count('dir="rtl"') == 2  # the author's own span is not wrapped again
    assert "<code>שלום</code>" in body
    from msl_book.passes.bidi import isolate_print
    from msl_book.xhtml import parse_fragment

    tree = parse_fragment('<p>a <span dir="rtl">שלום</span> b</p>')
    isolate_print(tree)
    assert "\u2067שלום\u2069" in serialize(tree)


def test_glossary_terms_are_found_in_japanese_text():
    """No spaces between words: 'インサイト' inside a run of kana, and 'KOL' right after は."""
    from msl_book.errors import Report
    from msl_book.pipeline import prepare
    from msl_book.xhtml import serialize

    model = prepare(FIXTURES / "lang-ja", Report(), stop=False).model
    first = serialize(next(s for s in model.authored if s.id == "yakuwari").body.root)
    assert re.search(r'社内では<a class="glossref" href="#term-kol"[^>]*>KOL</a>（', first)
    assert re.search(r'<a class="glossref" href="#term-insight"[^>]*>インサイト</a>', first)


def test_a_latin_name_with_digits_stays_one_run_in_arabic():
    from msl_book.passes.bidi import RUNS, _isolate
    from msl_book.xhtml import parse_fragment, serialize

    tree = parse_fragment("<p>المركب ZX-204 جديد، و COVID-19 أيضًا</p>")
    _isolate(tree, RUNS["rtl"], "ltr", "rtl")
    html = serialize(tree)
    assert '<span dir="ltr">ZX-204</span>' in html and '<span dir="ltr">COVID-19</span>' in html


def test_a_translation_does_not_take_the_source_languages_overrides():
    from msl_book.schema import BookConfig

    config = BookConfig(
        title="T",
        authors=["A"],
        language="en",
        strings={"contents": "Table of Contents"},
        translations={"de": {"strings": {"cover": "Titelbild"}}},
    )
    assert config.edition("de").strings == {"cover": "Titelbild"}


def test_warning_callouts_keep_their_colour_with_logical_borders(tmp_path):
    """WeasyPrint weighs a physical property against its logical twin regardless of source
    order: the theme's coloured borders are logical too, or the warning box turns teal."""
    from weasyprint import CSS, HTML

    from msl_book.theme import Theme

    sheets = [CSS(filename=str(path)) for _, path in Theme(FIXTURES / "minimal").stylesheets("pdf")]
    html = '<div class="callout callout-warning"><p>x</p></div><div class="callout"><p>y</p></div>'
    for direction, side in (("ltr", "left"), ("rtl", "right")):
        page = HTML(string=f'<html dir="{direction}"><body>{html}</body></html>').render(stylesheets=sheets)
        boxes = [b for b in page.pages[0]._page_box.descendants() if b.element_tag == "div"]
        colours = [tuple(round(c * 255) for c in b.style[f"border_{side}_color"][:3]) for b in boxes]
        assert colours == [(199, 132, 26), (15, 94, 107)], direction
