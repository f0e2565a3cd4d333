"""Each WeasyPrint/pydyf fix in msl_book.weasyprint_compat, on a minimal document.

For every fix there are two tests: with the fix, the output is right; without it, the bug
is still there in the installed WeasyPrint (``upstream_bug``). When an upgrade fixes a bug
upstream, its ``upstream_bug`` test fails: drop the fix (see weasyprint_compat's checklist).
The documents use DejaVu, which every machine with WeasyPrint has; the reports in
docs/upstream/ give the same reproducers as standalone scripts.
"""

from __future__ import annotations

import collections
import inspect
import io
import logging
import re
import shutil
import subprocess
from collections.abc import Iterator

import pikepdf
import pydyf
import pytest
import weasyprint.pdf.fonts
from fontTools.ttLib import TTFont
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from msl_book.errors import Failure
from msl_book.weasyprint_compat import FIXES, check_versions, patched

from conftest import ROOT
from pdf_structure import structure

upstream_bug = pytest.mark.upstream_bug


def _pages_with(document: object, text: str, footnote_area: bool = False) -> list[int]:
    found = []
    for index, page in enumerate(document.pages):
        for child in page._page_box.children:
            if footnote_area and not isinstance(child, boxes.FootnoteAreaBox):
                continue
            if any(text in getattr(box, "text", "") for box in child.descendants()):
                found.append(index)
                break
    return found


def test_every_fix_has_a_report_and_two_tests():
    """A fix is listed below with its two tests (the second marked upstream_bug), and its
    report in docs/upstream/ has a reproducer, the expected and the actual result."""
    assert set(REPRODUCERS) == {fix.name for fix in FIXES}
    for fix in FIXES:
        fixed, bug = REPRODUCERS[fix.name]
        assert not any(m.name == "upstream_bug" for m in getattr(fixed, "pytestmark", [])), fix.name
        assert any(m.name == "upstream_bug" for m in getattr(bug, "pytestmark", [])), fix.name
        assert f'without={{"{fix.name}"}}' in inspect.getsource(bug), fix.name
        text = (ROOT / fix.upstream.split()[0]).read_text(encoding="utf-8")
        for heading in ("## Reproducer", "## Expected", "## Actual"):
            assert heading in text, (fix.upstream, heading)


def _replaced() -> dict[tuple[int, str], object]:
    """Every attribute any fix or the parts hooks replace, as it is now."""
    from msl_book.weasyprint_compat.parts import PartState, part_patch

    hooks = part_patch(PartState(None, {}, {}))
    return {
        (id(owner), name): getattr(owner, name)
        for patch in (*FIXES, hooks)
        for owner, name, _ in patch.replacements
    }


def test_patches_are_installed_inside_the_context_only():
    from msl_book.weasyprint_compat.parts import PartState, part_patch

    before = _replaced()
    with patched(extra=[part_patch(PartState(None, {}, {}))]):
        inside = _replaced()
        with pytest.raises(RuntimeError, match="does not nest"), patched():
            pass
    assert all(inside[key] is not value for key, value in before.items())
    assert _replaced() == before


def test_patches_are_removed_after_an_exception_and_a_failed_install():
    from msl_book.weasyprint_compat.patch import Patch

    before = _replaced()
    with pytest.raises(ZeroDivisionError), patched():
        raise ZeroDivisionError
    assert _replaced() == before

    def broken(_original):
        raise ValueError("cannot make the replacement")

    halfway = Patch(
        "broken", "", "", ((pydyf.PDF, "add_page", lambda _o: lambda *_a: None), (pydyf.PDF, "write", broken))
    )
    writes = (pydyf.PDF.add_page, pydyf.PDF.write)
    with pytest.raises(ValueError, match="cannot make"), patched(extra=[halfway]):
        pass
    assert _replaced() == before
    assert (pydyf.PDF.add_page, pydyf.PDF.write) == writes


def test_another_weasyprint_version_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch):
    from importlib import metadata

    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "71.0" if name == "weasyprint" else real(name))
    with pytest.raises(Failure) as failure:
        check_versions()
    assert str(failure.value) == (
        "msl-book corrects weasyprint 70.0 in places and was not checked against weasyprint 71.0: "
        "install weasyprint==70.0 (pip install 'weasyprint==70.0')"
    )


# -- footnote-area: a note that fits is moved to the next page --------------------------------

FOOTNOTE_FITS = """<html lang="en"><style>
@page { size: 100mm 150mm; margin: 17mm }
body { font: 10px/1.2 "DejaVu Sans"; margin: 0 }
.fn { float: footnote; font-size: 8px; line-height: 1.2 }
</style><p>Call here<span class="fn">Note text.</span> and more.</p>"""


def _footnote_fits(without: set[str]) -> tuple[list[int], list[int], int]:
    with patched(without=without):
        document = HTML(string=FOOTNOTE_FITS).render()
    return _pages_with(document, "Call here"), _pages_with(document, "Note text.", True), len(document.pages)


def test_a_footnote_that_fits_stays_on_its_page():
    assert _footnote_fits(set()) == ([0], [0], 1)


@upstream_bug
def test_weasyprint_moves_a_footnote_that_fits():
    assert _footnote_fits(without={"footnote-area"}) == ([0], [1], 2)


# -- first-word: the first word hyphenated alone ----------------------------------------------

FIRST_WORD = """<html lang="en"><style>
@page { size: 100mm 60mm; margin: 10mm }
body { font: 10px "DejaVu Serif"; hyphens: auto; margin: 0 }
p { width: 70px; margin: 0 }
</style><p>%s</p>"""


def _first_line(body: str, without: set[str]) -> str:
    with patched(without=without):
        document = HTML(string=FIRST_WORD % body).render()
    line = next(b for b in document.pages[0]._page_box.descendants() if isinstance(b, boxes.LineBox))
    return "".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox)).strip()


def test_a_line_breaks_at_its_last_space_before_an_element_that_does_not_fit():
    assert _first_line("Welcome to a <em>Liaison</em> now.", set()) == "Welcome to a"
    assert _first_line("Welcome to a Liaison now.", set()) == "Welcome to a"


@upstream_bug
def test_weasyprint_hyphenates_the_first_word_alone():
    assert _first_line("Welcome to a <em>Liaison</em> now.", without={"first-word"}) == "Wel\u2010"
    assert _first_line("Welcome to a Liaison now.", without={"first-word"}) == "Welcome to a"


# -- target-counters: pages with page references made three times ----------------------------

REFERENCES = """<html><style>
@page { size: 100mm 100mm } body { font: 10px "DejaVu Sans" } h1 { break-before: page }
a.ref::after { content: " page " target-counter(attr(href url), page) }
</style>
<h1 id="one">One</h1><p><a class="ref" href="#three">forward</a></p>
<h1>Two</h1>
<h1 id="three">Three</h1>
<h1>Four</h1><p><a class="ref" href="#one">backward</a></p>"""


@pytest.fixture
def progress() -> Iterator[list[str]]:
    messages: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("weasyprint.progress")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield messages
    logger.removeHandler(handler)
    logger.setLevel(level)


def _layouts(messages: list[str], without: set[str]) -> tuple[list[int], int, list[str]]:
    with patched(without=without):
        document = HTML(string=REFERENCES).render()
    made = collections.Counter(
        int(m.rsplit("Page ", 1)[1])
        for m in messages
        if "Creating layout - Page" in m and "up-to-date" not in m
    )
    refs = []
    for page in document.pages:
        text = " ".join(b.text for b in page._page_box.descendants() if isinstance(b, boxes.TextBox))
        if "page" in text:
            refs.append(" ".join(text.split()[1:]))
    passes = sum("Repagination #" in m for m in messages)
    return [made[i + 1] for i in range(len(document.pages))], passes, refs


def test_a_forward_reference_is_made_twice_and_a_backward_one_once(progress):
    assert _layouts(progress, set()) == ([2, 1, 1, 1], 1, ["forward page 3", "backward page 1"])


@upstream_bug
def test_weasyprint_makes_pages_with_references_three_times(progress):
    assert _layouts(progress, without={"target-counters"}) == (
        [3, 1, 1, 3],
        2,
        ["forward page 3", "backward page 1"],
    )


# -- tagged-write: page_references rebuilt for every tag ---------------------------------------

PAGES, PARAGRAPHS = 30, 20
MANY_PAGES = (
    "<html lang='en'><style>@page { size: 100mm 100mm } body { font: 8px 'DejaVu Sans' }"
    " section { break-after: page } p { margin: 0 }</style>"
    + "".join("<section>" + "<p>Paragraph</p>" * PARAGRAPHS + "</section>" for _ in range(PAGES))
)


def _page_reference_tuples(without: set[str]) -> tuple[int, int]:
    """(reads of PDF.page_references, tuples built for them) while writing tagged PDF."""
    seen: list[tuple] = []
    with patched(without=without):
        installed = pydyf.PDF.page_references

        def spy(self: pydyf.PDF) -> tuple:
            seen.append(installed.fget(self))
            return seen[-1]

        pydyf.PDF.page_references = property(spy)
        try:
            HTML(string=MANY_PAGES).render().write_pdf(pdf_tags=True)
        finally:
            pydyf.PDF.page_references = installed
    return len(seen), len({id(value) for value in seen})


def test_tagged_pdf_builds_the_page_references_once():
    reads, built = _page_reference_tuples(set())
    assert reads > 10 * PAGES and built <= PAGES + 1


@upstream_bug
def test_pydyf_rebuilds_the_page_references_for_every_tag():
    reads, built = _page_reference_tuples(without={"tagged-write"})
    assert built == reads > 10 * PAGES


# -- carried-footnotes: notes carried to the next page lost when pages are made again ---------

HEAD = """<html><style>
@page { size: 100mm 60mm; margin: 5mm } body { font: 10px/12px "DejaVu Sans"; margin: 0 }
p { margin: 0 } .fn { float: footnote } .new { break-before: page }
a.ref::after { content: " page " target-counter(attr(href url), page) }
</style>"""
CALL = (
    "<p>filler</p>" * 12 + '<p>Call<span class="fn">NOTE line one. NOTE line two.'
    " NOTE line three. NOTE line four. NOTE line five.</span> here.</p>"
)
REF = '<a class="ref" href="#target">see</a>'
CARRIED = {
    # page 2 holds a forward reference and is made again; page 1, which carried the note, is not
    "after an up-to-date page": HEAD
    + CALL
    + f'<p class="new">Page two, {REF}.</p><p class="new" id="target">Target</p>',
    # pages 1 and 3 are made again, page 2 is not: page 3 took the note too
    "twice": HEAD
    + f"<p>{REF}</p>"
    + CALL
    + '<p class="new">Page two.</p>'
    + f'<p class="new">Page three, {REF}.</p><p class="new" id="target">Target</p>',
    # the call is on the last page, which is up to date: the pass ended before the note's page
    "from the last page": HEAD + f"<p>{REF}</p>" + '<p class="new" id="target">Target</p>' + CALL,
}


def _note_pages(without: set[str]) -> dict[str, list[int]]:
    found = {}
    for case, source in CARRIED.items():
        with patched(without=without):
            document = HTML(string=source).render()
        found[case] = _pages_with(document, "NOTE line one", footnote_area=True)
    return found


def test_a_carried_footnote_is_printed_once_on_the_next_page():
    assert _note_pages(set()) == {"after an up-to-date page": [1], "twice": [1], "from the last page": [2]}


@upstream_bug
def test_weasyprint_loses_or_repeats_carried_footnotes():
    assert _note_pages(without={"carried-footnotes"}) == {
        "after an up-to-date page": [],
        "twice": [1, 2],
        "from the last page": [],
    }


# -- font-subsets: fonts rewritten by fontTools carry the time of the build --------------------


def _font_timestamps(without: set[str], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """head.modified of the embedded font, written twice at different (fake) times, with
    fontTools subsetting the fonts as it does where HarfBuzz-Subset is not installed."""
    import pikepdf

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    stamps = []
    for now in ("1700000000", "1800000000"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", now)  # what fontTools takes as the time
        with patched(without=without):
            data = HTML(string="<p style='font-family: DejaVu Sans'>Subset me</p>").write_pdf()
        with pikepdf.open(io.BytesIO(data)) as pdf:
            fonts = pdf.pages[0].Resources.Font
            font = next(iter(fonts.values()))
            descriptor = font.DescendantFonts[0].FontDescriptor
            stamps.append(TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))["head"].modified)
    return stamps


def test_fonts_subset_by_fonttools_keep_their_timestamp(monkeypatch: pytest.MonkeyPatch):
    first, second = _font_timestamps(set(), monkeypatch)
    assert first == second


@upstream_bug
def test_weasyprint_stamps_fonts_subset_by_fonttools_with_the_time(monkeypatch: pytest.MonkeyPatch):
    first, second = _font_timestamps(without={"font-subsets"}, monkeypatch=monkeypatch)
    assert second - first == 100_000_000


# -- struct-lang: a tagged PDF keeps only the root element's language -------------------------

LANGS = """<html lang="en"><style>body { font: 10px "DejaVu Sans" }</style>
<p>English text.</p><section lang="fr"><p>Texte en français.</p></section>
<p>A <span lang="de">deutsches</span> word.</p></html>"""


def _struct_langs(without: set[str]) -> tuple[str, list[tuple[str, str]]]:
    """(the catalog's /Lang, [(structure type, /Lang)] of every element that has one)."""
    with patched(without=without):
        data = HTML(string=LANGS).write_pdf(pdf_tags=True, pdf_variant="pdf/ua-1")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found, stack = [], [pdf.Root.StructTreeRoot]
        while stack:
            element = stack.pop(0)
            if "/Lang" in element:
                found.append((str(element.S), str(element.Lang)))
            kids = element.get("/K")
            kids = kids if isinstance(kids, pikepdf.Array) else [kids]
            stack.extend(k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k)
        return str(pdf.Root.Lang), found


def test_a_tagged_element_keeps_its_own_language():
    assert _struct_langs(set()) == ("en", [("/Sect", "fr"), ("/Span", "de")])


@upstream_bug
def test_weasyprint_drops_the_language_of_every_element_but_the_root():
    assert _struct_langs(without={"struct-lang"}) == ("en", [])


# -- table-headers: header cells without /Scope, data cells naming the wrong headers ---------

HEADERS = """<html lang="en"><style>body { font: 10px "DejaVu Sans" }</style><table>
<thead><tr><th rowspan="2">Region</th><th colspan="2">2026</th></tr><tr><th>H1</th><th>H2</th></tr></thead>
<tbody><tr><th>Europe</th><td>E1</td><td>E2</td></tr></tbody></table></html>"""


def _table_headers(without: set[str]) -> tuple[list, dict, bool]:
    """([(text, /Scope)] of the header cells, {data cell: [its /Headers' texts]}, has /IDTree)."""
    with patched(without=without):
        data = HTML(string=HEADERS).write_pdf(pdf_tags=True, pdf_variant="pdf/ua-1")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = structure(pdf)
        by_id = {str(th.obj.ID): th.text for th in root.find("/TH") if "/ID" in th.obj}
        scopes = [(th.text, str(th.attributes.get("Scope"))) for th in root.find("/TH")]
        headers = {
            td.text: [by_id.get(str(key), "?") for key in td.attributes.get("Headers", [])]
            for td in root.find("/TD")
        }
        return scopes, headers, "/IDTree" in pdf.Root.StructTreeRoot


def test_header_cells_have_their_scope_and_data_cells_their_headers():
    assert _table_headers(set()) == (
        [
            ("Region", "/Column"),
            ("2026", "/Column"),
            ("H1", "/Column"),
            ("H2", "/Column"),
            ("Europe", "/Row"),
        ],
        {"E1": ["Europe", "2026", "H1"], "E2": ["Europe", "2026", "H2"]},
        True,
    )


@upstream_bug
def test_weasyprint_writes_no_scope_and_misses_headers():
    assert _table_headers(without={"table-headers"}) == (
        [("Region", "None"), ("2026", "None"), ("H1", "None"), ("H2", "None"), ("Europe", "None")],
        {"E1": ["2026", "H2"], "E2": []},
        False,
    )


# -- spaced-text: letter-spaced words extract as broken words --------------------------------

SPACED = """<html lang="en"><style>body { font: bold 9pt "DejaVu Sans" }
p { letter-spacing: 0.1em; text-transform: uppercase }</style><p>Learning objectives</p></html>"""


def _pdftotext(data: bytes, *options: str) -> str:
    """The text poppler's pdftotext extracts from a PDF."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; .ci/run installs it")
    run = subprocess.run(["pdftotext", *options, "-", "-"], input=data, capture_output=True, check=True)
    return run.stdout.decode()


def _extracted(without: set[str]) -> str:
    """The text poppler's pdftotext extracts from a letter-spaced label."""
    with patched(without=without):
        data = HTML(string=SPACED).write_pdf(pdf_tags=True, pdf_variant="pdf/ua-1")
    return _pdftotext(data).strip()


def test_letter_spaced_text_extracts_as_its_words():
    assert _extracted(set()) == "LEARNING OBJECTIVES"


@upstream_bug
def test_weasyprint_letter_spacing_splits_words_for_text_extraction():
    assert _extracted(without={"spaced-text"}) == "L EARNING OBJECTIVES"


# -- subset-arrays: every font subset parses C declarations anew ------------------------------

SUBSET_TEXT = "<p style='font: 10px \"DejaVu Sans\"'>Subset me: αβγδεζηθ абвгдежз 0123456789</p>"


def _subset_declarations(without: set[str]) -> set[str]:
    """The C declarations cffi parses to write a PDF, counting no glyph array parsed before."""
    from weasyprint.text.ffi import ffi

    if weasyprint.pdf.fonts.harfbuzz_subset is None:
        pytest.skip("HarfBuzz-Subset (Debian libharfbuzz-subset0) is not installed; .ci/run installs it")
    for key in [k for k in ffi._parsed_types if isinstance(k, str) and k.startswith("hb_codepoint_t")]:
        del ffi._parsed_types[key]  # as in a process that has subset no font yet
    before = set(ffi._parsed_types)
    with patched(without=without):
        HTML(string=SUBSET_TEXT).write_pdf()
    return {k for k in set(ffi._parsed_types) - before if k.startswith("hb_codepoint_t")}


def test_subsetting_fonts_declares_one_array_type():
    assert _subset_declarations(set()) == {"hb_codepoint_t[]"}


@upstream_bug
def test_weasyprint_declares_an_array_type_for_each_glyph_count():
    found = _subset_declarations(without={"subset-arrays"})
    assert len(found) >= 2 and all(re.fullmatch(r"hb_codepoint_t\[\d+\]", k) for k in found), found


def test_fonts_subset_with_the_fix_are_the_same_bytes():
    with patched():
        fixed = HTML(string=SUBSET_TEXT).write_pdf()
    with patched(without={"subset-arrays"}):
        assert HTML(string=SUBSET_TEXT).write_pdf() == fixed


# -- dropped-tables: fontTools decodes GSUB and GPOS in full, then drops them -----------------

# DejaVu has a kern table besides GPOS; Charis SIL and Inter (the theme's) have large GSUB/GPOS
DROPPED_TEXT = f"""<style>
@font-face {{ font-family: Charis; src: url({(ROOT / "styles/fonts/CharisSIL-Regular.ttf").as_uri()}) }}
@font-face {{ font-family: Inter; src: url({(ROOT / "styles/fonts/Inter-Regular.otf").as_uri()}) }}
</style>
<p style="font: 10px 'DejaVu Sans'">Kerned: AVATAR Type</p>
<p style="font: 10px Charis">Office fiancée, 1st 2nd “quoted”</p>
<p style="font: 10px Inter">Inter’s figures 0123456789 fi fl</p>"""


def _subset_by_fonttools(without: set[str], monkeypatch: pytest.MonkeyPatch) -> tuple[set[str], bytes]:
    """The tables fontTools decoded while WeasyPrint subset the fonts, and the PDF."""
    from fontTools.ttLib import ttFont

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    decoded: set[str] = set()
    read = ttFont.TTFont._readTable

    def spy(self: TTFont, tag: str) -> object:
        decoded.add(tag)
        return read(self, tag)

    monkeypatch.setattr(ttFont.TTFont, "_readTable", spy)
    with patched(without=without):
        data = HTML(string=DROPPED_TEXT).write_pdf()
    return decoded, data


def test_subsetting_a_font_decodes_none_of_the_tables_it_drops(monkeypatch: pytest.MonkeyPatch):
    decoded, _ = _subset_by_fonttools(set(), monkeypatch)
    assert "glyf" in decoded and not decoded & {"GSUB", "GPOS", "kern"}, decoded


@upstream_bug
def test_fonttools_decodes_gsub_and_gpos_before_dropping_them(monkeypatch: pytest.MonkeyPatch):
    decoded, _ = _subset_by_fonttools(without={"dropped-tables"}, monkeypatch=monkeypatch)
    assert {"GSUB", "GPOS"} <= decoded, decoded


def test_fonts_subset_without_their_dropped_tables_are_the_same_bytes(monkeypatch: pytest.MonkeyPatch):
    _, fixed = _subset_by_fonttools(set(), monkeypatch)
    _, unfixed = _subset_by_fonttools(without={"dropped-tables"}, monkeypatch=monkeypatch)
    with pikepdf.open(io.BytesIO(fixed)) as pdf:
        assert len(pdf.pages[0].Resources.Font) == 3  # every font was subset and embedded
    assert fixed == unfixed


# -- stream-level: every stream compressed at zlib's slowest level ----------------------------


def _stream_levels(without: set[str]) -> tuple[set[bytes], list[bytes]]:
    """The zlib headers of a tagged PDF's compressed streams, and the streams decompressed."""
    with patched(without=without):
        data = HTML(string=SUBSET_TEXT).write_pdf(pdf_tags=True)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        flate = [
            o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Filter") == "/FlateDecode"
        ]
        # the page and the font files (not the cross-reference stream: its offsets move)
        return {o.read_raw_bytes()[:2] for o in flate}, [o.read_bytes() for o in flate if "/Type" not in o]


def test_streams_are_compressed_at_zlibs_default_level():
    headers, _ = _stream_levels(set())
    assert headers == {b"x\x9c"}  # level 6 (of zlib's FLEVEL bits, "default")


@upstream_bug
def test_pydyf_compresses_every_stream_at_level_9():
    headers, _ = _stream_levels(without={"stream-level"})
    assert headers == {b"x\xda"}  # "maximum compression"


def test_streams_compressed_at_level_6_hold_the_same_bytes():
    _, fixed = _stream_levels(set())
    _, unfixed = _stream_levels(without={"stream-level"})
    assert len(fixed) >= 3 and fixed == unfixed  # the page, and the font files and more


# -- leaders: one text box per leader dot -----------------------------------------------------

_ROWS = "".join(f'<li><a href="#s{i}">Section {i} {"word " * (i % 7)}</a></li>' for i in range(30))
_TARGETS = "".join(f'<h2 id="s{i}">S{i}</h2>' for i in range(30))
LEADERS = f"""<html lang="en"><style>@page {{ size: A5 }} body {{ font: 11pt "DejaVu Serif" }}
ul {{ list-style: none; padding: 0 }} a {{ display: block; color: black; text-decoration: none }}
a::after {{ content: leader(".") target-counter(attr(href url), page) }} h2 {{ break-before: page }}
</style><ul>{_ROWS}</ul>{_TARGETS}</html>"""


def _leader_page(without: set[str]) -> tuple[list[tuple[float, float]], int, str]:
    """The first page's dots (baseline, x in pt), its text-showing operators, and its text."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    with patched(without=without):
        data = HTML(string=LEADERS).write_pdf(pdf_tags=True)
    page = next(extract_pages(io.BytesIO(data), page_numbers=[0]))
    dots, stack = [], [page]
    while stack:
        item = stack.pop()
        if isinstance(item, LTChar):
            if item.get_text() == ".":
                dots.append((round(item.y0, 2), item.x0))
        elif hasattr(item, "__iter__"):
            stack.extend(item)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        operators = pikepdf.parse_content_stream(pdf.pages[0])
        shown = sum(str(operator) in ("Tj", "TJ") for _, operator in operators)
    return sorted(dots), shown, _pdftotext(data, "-layout")


def test_leader_dots_are_drawn_a_few_to_a_text_object_where_they_were_laid_out():
    dots, shown, text = _leader_page(set())
    unfixed_dots, _, unfixed_text = _leader_page(without={"leaders"})
    assert len(dots) == len(unfixed_dots) > 30 * 20 and shown < len(dots) / 3
    assert [y for y, _ in dots] == [y for y, _ in unfixed_dots]  # the same dots on every line
    drift = max(abs(x - unfixed_x) for (_, x), (_, unfixed_x) in zip(dots, unfixed_dots, strict=True))
    assert drift < 0.075  # pt: under the fix's 0.1 CSS px
    assert text == unfixed_text


@upstream_bug
def test_weasyprint_draws_every_leader_dot_as_a_text_object_of_its_own():
    dots, shown, _ = _leader_page(without={"leaders"})
    assert shown > len(dots) > 30 * 20


REPRODUCERS = {
    "footnote-area": (
        test_a_footnote_that_fits_stays_on_its_page,
        test_weasyprint_moves_a_footnote_that_fits,
    ),
    "first-word": (
        test_a_line_breaks_at_its_last_space_before_an_element_that_does_not_fit,
        test_weasyprint_hyphenates_the_first_word_alone,
    ),
    "target-counters": (
        test_a_forward_reference_is_made_twice_and_a_backward_one_once,
        test_weasyprint_makes_pages_with_references_three_times,
    ),
    "tagged-write": (
        test_tagged_pdf_builds_the_page_references_once,
        test_pydyf_rebuilds_the_page_references_for_every_tag,
    ),
    "carried-footnotes": (
        test_a_carried_footnote_is_printed_once_on_the_next_page,
        test_weasyprint_loses_or_repeats_carried_footnotes,
    ),
    "font-subsets": (
        test_fonts_subset_by_fonttools_keep_their_timestamp,
        test_weasyprint_stamps_fonts_subset_by_fonttools_with_the_time,
    ),
    "struct-lang": (
        test_a_tagged_element_keeps_its_own_language,
        test_weasyprint_drops_the_language_of_every_element_but_the_root,
    ),
    "table-headers": (
        test_header_cells_have_their_scope_and_data_cells_their_headers,
        test_weasyprint_writes_no_scope_and_misses_headers,
    ),
    "spaced-text": (
        test_letter_spaced_text_extracts_as_its_words,
        test_weasyprint_letter_spacing_splits_words_for_text_extraction,
    ),
    "subset-arrays": (
        test_subsetting_fonts_declares_one_array_type,
        test_weasyprint_declares_an_array_type_for_each_glyph_count,
    ),
    "dropped-tables": (
        test_subsetting_a_font_decodes_none_of_the_tables_it_drops,
        test_fonttools_decodes_gsub_and_gpos_before_dropping_them,
    ),
    "stream-level": (
        test_streams_are_compressed_at_zlibs_default_level,
        test_pydyf_compresses_every_stream_at_level_9,
    ),
    "leaders": (
        test_leader_dots_are_drawn_a_few_to_a_text_object_where_they_were_laid_out,
        test_weasyprint_draws_every_leader_dot_as_a_text_object_of_its_own,
    ),
}


def test_a_reference_after_its_target_on_the_same_page_shows_the_page(progress):
    """The target-counters fix gives a reference its number as soon as the target's page is
    known; a reference on that very page was laid out before, so the page is made again
    (without that, it printed "page 0")."""
    html = """<html><style>@page { size: 100mm 100mm } body { font: 10px "DejaVu Sans" }
    h1 { break-before: page } a::after { content: " page " target-counter(attr(href url), page) }
    </style><h1>One</h1><h1>Two</h1><p id="here">Target</p><p><a href="#here">back</a></p>"""
    with patched():
        document = HTML(string=html).render()
    texts = [
        " ".join(b.text for b in p._page_box.descendants() if isinstance(b, boxes.TextBox))
        for p in document.pages
    ]
    assert " ".join(texts[1].split()).endswith("back page 2")
