"""book.yaml fonts:, the characters no font of the book can draw, and hyphenation by language.

The fonts come from Debian (fonts-noto-core, fonts-noto-color-emoji), copied at test time into
a copy of the minimal fixture: none is committed. .ci/run installs them and sets
MSL_BOOK_REQUIRE_FONTS=1; elsewhere the tests that need them are skipped, saying which file
is missing.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from msl_book.fontfiles import generated_css, hyphenates
from msl_book.fonts import system_font

from conftest import make_book, run_cli

NOTO = Path("/usr/share/fonts/truetype/noto")
HEBREW = NOTO / "NotoSansHebrew-Regular.ttf"
ARABIC = NOTO / "NotoNaskhArabic-Regular.ttf"
ARABIC_BOLD = NOTO / "NotoNaskhArabic-Bold.ttf"
EMOJI = NOTO / "NotoColorEmoji.ttf"
SECOND = "chapters/02-second.md"
WORDS = "---\ntitle: Second Chapter\n---\nShalom שלום and salaam سلام.\n\nA party 🎉 and **bold سلام**.\n"


def need(*files: Path) -> None:
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        reason = f"fonts missing: {', '.join(missing)} (Debian: fonts-noto-core fonts-noto-color-emoji)"
        if os.environ.get("MSL_BOOK_REQUIRE_FONTS") == "1":
            pytest.fail(f"MSL_BOOK_REQUIRE_FONTS=1 but {reason}")
        pytest.skip(reason)


def book_with_fonts(tmp_path: Path, fonts_yaml: str, files: list[Path], text: str = WORDS) -> Path:
    need(*files)
    project = make_book(tmp_path, {SECOND: text})
    (project / "fonts").mkdir()
    for f in files:
        shutil.copy(f, project / "fonts" / f.name)
    with (project / "book.yaml").open("a", encoding="utf-8") as fh:
        fh.write(fonts_yaml)
    return project


FALLBACK = """fonts:
  fallback:
    - fonts/NotoSansHebrew-Regular.ttf
    - fonts/NotoNaskhArabic-Regular.ttf
    - fonts/NotoNaskhArabic-Bold.ttf
    - fonts/NotoColorEmoji.ttf
"""


def pdf_font_names(pdf: Path) -> set[str]:
    names = set()
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                names.add(str(font.BaseFont).split("+", 1)[-1])
    return names


@pytest.fixture(scope="module")
def fallback_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fonts")
    project = book_with_fonts(tmp, FALLBACK, [HEBREW, ARABIC, ARABIC_BOLD, EMOJI])
    result = run_cli("build", str(project), "--output", str(tmp / "out"), "--strict")
    assert result.code == 0, result.err
    return tmp / "out"


def test_fallback_fonts_are_embedded_in_the_pdf_and_nothing_else(fallback_book):
    names = pdf_font_names(fallback_book / "tiny.pdf")
    assert {"Noto-Sans-Hebrew", "Noto-Naskh-Arabic", "Noto-Naskh-Arabic-Bold", "Noto-Color-Emoji"} <= names
    # only the book's fonts: no installed font (DejaVu, the system's Noto) slipped in
    allowed = ("Charis-SIL", "Inter", "Noto-Sans-Hebrew", "Noto-Naskh-Arabic", "Noto-Color-Emoji")
    assert all(name.startswith(allowed) for name in names), names


def test_fallback_fonts_are_in_the_epub_manifest_with_font_media_types(fallback_book):
    with zipfile.ZipFile(fallback_book / "tiny.epub") as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        css = z.read("EPUB/styles/generated.css").decode()
        base = z.read("EPUB/styles/base.css").decode()
        names = set(z.namelist())
    items = {i.get("href"): i.get("media-type") for i in opf.iter("{http://www.idpf.org/2007/opf}item")}
    for name in ("NotoSansHebrew-Regular.ttf", "NotoNaskhArabic-Bold.ttf", "NotoColorEmoji.ttf"):
        assert items[f"styles/book-fonts/fonts/{name}"] == "font/ttf"
        assert f"EPUB/styles/book-fonts/fonts/{name}" in names
    assert '@font-face { font-family: "Noto Naskh Arabic"; font-style: normal; font-weight: 700; ' in css
    assert items["styles/generated.css"] == "text/css"
    # the fallback families come right after a stack's first family, before the other roles'
    # (a Latin word in an Arabic text is not set in the code font)
    assert (
        'font-family: "Charis SIL", "Noto Sans Hebrew", "Noto Naskh Arabic", "Noto Color Emoji", '
        '"Inter", "JetBrains Mono", serif;' in base
    )


def test_a_role_replaces_the_theme_family_and_its_files(tmp_path):
    project = book_with_fonts(
        tmp_path,
        "fonts:\n  body: [fonts/NotoNaskhArabic-Regular.ttf, fonts/NotoNaskhArabic-Bold.ttf]\n"
        "  fallback: fonts/NotoSansHebrew-Regular.ttf\n",
        [ARABIC, ARABIC_BOLD, HEBREW],
        text="---\ntitle: Second Chapter\n---\nسلام and שלום.\n",
    )
    result = run_cli("build", str(project), "--format", "epub", "--output", str(tmp_path / "out"))
    assert result.code == 0, result.err
    with zipfile.ZipFile(tmp_path / "out" / "tiny.epub") as z:
        names = set(z.namelist())
        base = z.read("EPUB/styles/base.css").decode()
    assert 'font-family: "Noto Naskh Arabic", "Noto Sans Hebrew", "Inter", "JetBrains Mono", serif;' in base
    assert '"Charis SIL"' not in base  # nor its @font-face rules, nor its files
    assert not any("CharisSIL" in n for n in names)


def test_the_hebrew_and_arabic_bug_an_unnamed_font_face_is_found_by_check_at_its_line(tmp_path):
    """The bug: @font-face rules whose names no font-family used. check passed (it counted
    every @font-face), the build failed naming a system font, with no file or line."""
    need(HEBREW, ARABIC)
    project = make_book(
        tmp_path,
        {
            SECOND: WORDS.split("\n\n")[0] + "\n",
            "styles/custom.css": '@font-face { font-family: "Hebrew"; src: url(fonts/NotoSansHebrew-Regular.ttf); }\n'
            '@font-face { font-family: "Arabic"; src: url(fonts/NotoNaskhArabic-Regular.ttf); }\n',
            "styles/fonts/NotoSansHebrew-Regular.ttf": HEBREW.read_bytes(),
            "styles/fonts/NotoNaskhArabic-Regular.ttf": ARABIC.read_bytes(),
        },
    )
    for command in ("check", "build"):
        result = run_cli(command, str(project))
        assert result.code == 1
        assert result.err.splitlines() == [
            f"{SECOND}:4: no font of the book can draw 'ש' (U+05E9 HEBREW LETTER SHIN), 'ל' (U+05DC HEBREW "
            "LETTER LAMED), 'ו' (U+05D5 HEBREW LETTER VAV), 'ם' (U+05DD HEBREW LETTER FINAL MEM): 'Hebrew' "
            "(styles/fonts/NotoSansHebrew-Regular.ttf) could, but no font-family names it; 'س' (U+0633 ARABIC "
            "LETTER SEEN), 'ل' (U+0644 ARABIC LETTER LAM), 'ا' (U+0627 ARABIC LETTER ALEF), 'م' (U+0645 ARABIC "
            "LETTER MEEM): 'Arabic' (styles/fonts/NotoNaskhArabic-Regular.ttf) could, but no font-family "
            "names it; list its file in book.yaml's fonts: fallback instead of an @font-face",
            f"msl-book: {command} failed: 1 error",
        ]


def test_an_uncovered_character_names_an_installed_font_that_has_it(tmp_path):
    need(HEBREW)
    project = make_book(tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\nText.\n\nShalom שלום.\n"})
    found = system_font("ש")
    assert found is not None and found.family == "Noto Sans Hebrew"
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"{SECOND}:6: no font of the book can draw 'ש' (U+05E9 HEBREW LETTER SHIN), 'ל' (U+05DC HEBREW LETTER "
        "LAMED), 'ו' (U+05D5 HEBREW LETTER VAV), 'ם' (U+05DD HEBREW LETTER FINAL MEM): 'Noto Sans Hebrew' "
        f"({found.file}) could; copy a font that can into the project and add it to book.yaml's fonts: fallback"
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("../outside.ttf", "font file is outside the project directory: ../outside.ttf"),
        ("fonts/none.ttf", "font file not found: fonts/none.ttf"),
        (
            "chapters/01-first.md",
            "font file chapters/01-first.md: must be TrueType (.ttf), OpenType (.otf), WOFF or WOFF2",
        ),
        ("fonts/fake.ttf", "font file fonts/fake.ttf: it is not a font file that can be read"),
    ],
)
def test_a_bad_font_entry_is_an_error_at_its_book_yaml_line(tmp_path, entry, message):
    project = make_book(tmp_path, {"fonts/fake.ttf": b"not a font at all", "../outside.ttf": b"x"})
    lines = (project / "book.yaml").read_text().count("\n")
    with (project / "book.yaml").open("a") as fh:
        fh.write(f"fonts:\n  body: {entry}\n")
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines()[0].startswith(f"book.yaml:{lines + 2}: {message}")


def test_a_language_without_hyphenation_dictionary_is_not_justified():
    assert hyphenates("de") and hyphenates("en-GB") and not hyphenates("ja") and not hyphenates("ar")
    css = generated_css(None, ("de", "ja"), "pdf")
    assert ":lang(ja) p, :lang(ja) li, :lang(ja) dd, :lang(ja) blockquote { text-align: start; }" in css
    assert ":lang(ja) p," in css and "hyphens: manual;" in css
    assert ":lang(de)" not in css
    assert generated_css(None, ("de",), "epub") == ""


def test_a_japanese_chapter_is_neither_hyphenated_nor_justified_in_both_outputs(tmp_path):
    project = make_book(tmp_path, {SECOND: "---\ntitle: Second Chapter\nlang: ja\n---\nText.\n"})
    result = run_cli("build", str(project), "--format", "epub", "--output", str(tmp_path / "out"))
    assert result.code == 0, result.err
    with zipfile.ZipFile(tmp_path / "out" / "tiny.epub") as z:
        css = z.read("EPUB/styles/generated.css").decode()
        page = z.read("EPUB/text/titlepage.xhtml").decode()
    assert ":lang(ja) p, :lang(ja) li, :lang(ja) dd, :lang(ja) blockquote { text-align: start; }" in css
    assert ":lang(en)" not in css
    assert 'href="../styles/generated.css"' in page


def test_emoji_without_an_emoji_font_says_which_and_what_could_draw_them(tmp_path):
    need(EMOJI)
    project = make_book(tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\nA party 🎉.\n"})
    result = run_cli("build", str(project), "--format", "pdf", "--output", str(tmp_path / "out"))
    assert result.code == 1
    assert result.err.splitlines()[0].startswith(
        f"{SECOND}:4: no font of the book can draw '🎉' (U+1F389 PARTY POPPER): 'Noto Color Emoji' ("
    )
    assert not (tmp_path / "out").exists()


def test_a_font_a_stylesheet_loads_from_outside_styles_is_an_input_of_the_build(tmp_path: Path) -> None:
    """custom.css names ../fonts/Callout.ttf: a new version of that file is a change, and the
    next build lays the book out again instead of keeping the last PDF."""
    fonts = Path(__file__).resolve().parents[1] / "styles" / "fonts"
    project = make_book(
        tmp_path,
        {
            "fonts/Callout.ttf": (fonts / "CharisSIL-Italic.ttf").read_bytes(),
            "styles/custom.css": '@font-face { font-family: "Callout"; src: url(../fonts/Callout.ttf); }\n'
            'p { font-family: "Callout"; }\n',
        },
    )
    out = tmp_path / "out"

    def pdf(where: Path, *force: str) -> bytes:
        result = run_cli("build", str(project), "--format", "pdf", "--output", str(where), *force)
        assert result.code == 0, result.err
        return next(where.glob("*.pdf")).read_bytes()

    before = pdf(out)
    (project / "fonts" / "Callout.ttf").write_bytes((fonts / "JetBrainsMono-Regular.ttf").read_bytes())
    after = pdf(out)
    assert after != before, "the last PDF was kept"
    assert after == pdf(tmp_path / "cold", "--force")
