"""Page numbers changed in place in a part's PDF (renderers/pdf/parts/renumber.py), instead
of laying the part out again: what may be changed, and that the result is, byte for byte,
the part laid out with the new numbers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from msl_book.build import BuildOptions, build
from msl_book.renderers.pdf import parts
from msl_book.renderers.pdf.parts import renumber, workers
from msl_book.renderers.pdf.parts.plan import Numbers, Plan
from msl_book.weasyprint_compat.page_numbers import Shown

from conftest import ROOT

TABULAR = [f"{0x13 + d:04x}:0" for d in range(10)]  # glyphs 0x13-0x1c, all of one width


def _data(*shown: Shown, unchangeable: str = "") -> dict:
    return renumber.as_data(unchangeable, list(shown))


def test_a_folio_and_a_reference_get_the_glyphs_of_their_new_digits() -> None:
    folio = Shown(page=2, key="", value=37, style="decimal", offsets=[100, 104], glyphs=TABULAR)
    reference = Shown(page=0, key="answers", value=90, style="decimal", offsets=[7, 15], glyphs=TABULAR)
    own = Shown(page=1, key="sec-own", value=36, style="decimal", offsets=[3, 7], glyphs=TABULAR)
    laid, wanted = Numbers(35, {"answers": 90}), Numbers(41, {"answers": 97})
    assert renumber.changes(_data(folio, reference, own), laid, wanted) is None  # "sec-own": whose?
    found = renumber.changes(_data(folio, reference, own), laid, wanted, own=frozenset({"sec-own"}))
    assert found == {
        2: [(100, b"0017"), (104, b"0016")],  # 37 + 6 = 43
        0: [(7, b"001c"), (15, b"001a")],  # 97, the anchor's new page
        1: [(3, b"0017"), (7, b"0015")],  # an anchor of the part itself moves with it: 42
    }


def test_what_cannot_be_changed_in_place_is_laid_out_again() -> None:
    folio = Shown(page=0, key="", value=96, style="decimal", offsets=[0, 4], glyphs=TABULAR)
    laid = Numbers(95, {})
    assert renumber.changes(_data(folio), laid, Numbers(96, {})) == {0: [(0, b"001c"), (4, b"001a")]}
    assert renumber.changes(_data(folio), laid, Numbers(99, {})) is None  # 100: one digit more
    assert renumber.changes(_data(folio), laid, Numbers(96, {}), sides_follow_folios=True) is None
    assert renumber.changes(_data(folio), laid, Numbers(97, {}), sides_follow_folios=True) is not None
    assert renumber.changes(_data(folio, unchangeable="target-text()"), laid, Numbers(96, {})) is None
    unknown = Shown(page=0, key="", value=96, style="decimal", offsets=[], glyphs=None)
    assert renumber.changes(_data(unknown), laid, Numbers(96, {})) is None
    assert renumber.changes(_data(unknown), laid, laid) == {}  # nothing to change
    roman = Shown(page=0, key="", value=4, style="lower-roman", offsets=[0, 4], glyphs=TABULAR)
    assert renumber.changes(_data(roman), Numbers(3, {}), Numbers(4, {})) is None
    # a four one unit narrower than the other digits (Inter 3.19 SemiBold before its fix)
    uneven = [*TABULAR[:4], "0017:1", *TABULAR[5:]]
    four = Shown(page=0, key="", value=14, style="decimal", offsets=[0, 4], glyphs=uneven)
    assert renumber.changes(_data(four), Numbers(14, {}), Numbers(24, {})) is not None
    assert renumber.changes(_data(four), Numbers(14, {}), Numbers(13, {})) is None
    # a reference the new numbers do not have
    reference = Shown(page=0, key="gone", value=9, style="decimal", offsets=[0], glyphs=TABULAR)
    assert renumber.changes(_data(reference), Numbers(1, {"gone": 9}), Numbers(1, {})) is None


def test_the_theme_fonts_tabular_figures_are_all_of_one_width() -> None:
    """What lets a page number change in place: Inter 3.19's SemiBold and Bold had a tabular
    four 3 and 5 units narrower than the other figures (styles/fonts carry them mended)."""
    checked = 0
    for path in sorted((ROOT / "styles" / "fonts").glob("*.[ot]tf")):
        font = TTFont(path)
        cmap, gsub = font.getBestCmap(), font["GSUB"].table if "GSUB" in font else None
        tabular: dict[str, str] = {}
        for record in gsub.FeatureList.FeatureRecord if gsub else []:
            if record.FeatureTag == "tnum":
                for index in record.Feature.LookupListIndex:
                    for table in gsub.LookupList.Lookup[index].SubTable:
                        tabular.update(getattr(table, "mapping", {}))
        digits = [tabular.get(cmap[ord(d)], cmap[ord(d)]) for d in "0123456789"]
        widths = {font["hmtx"].metrics[glyph][0] for glyph in digits}
        assert len(widths) == 1, (path.name, [font["hmtx"].metrics[g][0] for g in digits])
        checked += 1
    assert checked >= 5


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "book"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(project), "--pages", "36"], check=True
    )
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")  # the front matter, then a part a chapter
    return project


def _pdf(project: Path, out: Path, said: list[str]) -> bytes:
    return (
        build(project, BuildOptions(output=out, formats=("pdf",), force=True), said.append)
        .outputs[0]
        .path.read_bytes()
    )


def _asked_in_vain(monkeypatch: pytest.MonkeyPatch) -> None:
    """No part waits for its numbers, and none is told them when it asks: each is written
    with its guesses, then given its numbers in place or laid out again."""
    monkeypatch.setattr(parts, "KEEP_PAGES", 0)
    monkeypatch.setattr(Plan, "known", lambda self, index: False)
    monkeypatch.setattr(workers, "MAX_WORKERS", 1)  # guessed from the estimates alone: no timing


def test_parts_given_their_numbers_in_place_are_the_parts_laid_out_with_them(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chapters open on right-hand pages, so no folio changes sides: every part written with
    guessed numbers is given the real ones in place, and the PDF is the kept parts' PDF."""
    config = book / "book.yaml"
    config.write_text(config.read_text("utf-8") + "openers: recto\n", "utf-8")
    said: list[str] = []
    _asked_in_vain(monkeypatch)
    renumbered = _pdf(book, tmp_path / "renumbered", said)
    assert any(re.search(r"page numbers changed in place in [1-9]", m) for m in said), said
    monkeypatch.undo()
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")
    monkeypatch.setattr(parts, "KEEP_PAGES", 100_000)
    kept = _pdf(book, tmp_path / "kept", said)
    assert renumbered == kept


def test_numbers_that_cannot_be_changed_in_place_are_laid_out_again(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A heading whose outline title shows a page number (a theme's bookmark-label takes the
    text of its cross-reference's ::after), proportional figures in the contents: those parts
    are laid out again, and the PDF is still the kept parts' PDF (which then lay those
    parts out again too: WeasyPrint would make their pages again, not their outline titles)."""
    config = book / "book.yaml"  # no part changes sides: only the numbers below stop its renumbering
    config.write_text(config.read_text("utf-8") + "openers: recto\n", "utf-8")
    chapter = sorted((book / "chapters").glob("002-*.md"))[0]
    text = chapter.read_text("utf-8")
    text = re.sub(r"\n## ([^\n]+)", r"\n## \1, before [a later section](#ch003-s2)", text, count=1)
    chapter.write_text(text, "utf-8")
    custom = book / "styles" / "custom.css"
    custom.parent.mkdir(exist_ok=True)
    custom.write_text(
        ".toc-entry > a::after { font-variant-numeric: proportional-nums; }\n"
        ".chapter-body h2 { bookmark-label: content(text) content(after); }\n",
        "utf-8",
    )
    said: list[str] = []
    _asked_in_vain(monkeypatch)
    again = _pdf(book, tmp_path / "again", said)
    monkeypatch.undo()
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "10000")
    monkeypatch.setattr(parts, "KEEP_PAGES", 100_000)
    monkeypatch.setattr(workers, "MAX_WORKERS", 1)
    kept = _pdf(book, tmp_path / "kept", said)
    assert again == kept
    with pikepdf.open(tmp_path / "kept" / "bench-book.pdf") as pdf, pdf.open_outline() as tree:
        todo, titles = list(tree.root), []
        while todo:
            item = todo.pop()
            titles.append(item.title)
            todo += item.children
    outline = "\n".join(titles)
    titled = re.search(r"before a later section ?\(page\s(\d+)\)", outline)
    printed = subprocess.run(["pdftotext", str(tmp_path / "kept" / "bench-book.pdf"), "-"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    shown = re.search(r"before a later section \(page\s(\d+)\)", printed)
    assert titled and shown and titled[1] == shown[1], "the outline title shows the page the heading shows"


HOOKED_CSS = f"""
@font-face {{ font-family: Inter; src: url({(ROOT / "styles/fonts/Inter-Regular.otf").as_uri()}) }}
@font-face {{ font-family: Inter; font-weight: 600;
             src: url({(ROOT / "styles/fonts/Inter-SemiBold.otf").as_uri()}) }}
body {{ font: 10pt Inter; font-variant-numeric: tabular-nums }}
@page {{ size: A6; @bottom-center {{ content: counter(page); font: 8pt Inter; font-variant-numeric: tabular-nums }} }}
a.pair::after {{ content: " (pages " target-counter(attr(href url), page) "–"
                 target-counter(attr(href url), page) ")"; font-weight: 600 }}
"""


def _hooked(html: str, css: str, tmp_path: Path) -> tuple[str, list]:
    """A document laid out and written with the page-number hooks: why its numbers cannot be
    changed ("" if they can), and where they are."""
    from weasyprint import CSS, HTML

    from msl_book.weasyprint_compat import patched
    from msl_book.weasyprint_compat.page_numbers import NumberState, numbers_patch

    state = NumberState()
    with patched(extra=[numbers_patch(state)]):
        document = HTML(string=html).render(stylesheets=[CSS(string=HOOKED_CSS + css)])
    state.page_of = {id(page): i for i, page in enumerate(document.pages)}
    target = tmp_path / "hooked.pdf"
    with patched(extra=[numbers_patch(state)]):
        document.write_pdf(target=str(target), pdf_tags=True)
    shown = state.finish()
    assert renumber.verify(target, shown)
    return state.unchangeable, shown


BODY = '<p id="a">First.</p><p style="break-before: page">See <a class="pair" href="#a">it</a>.</p>'


def test_the_hooks_find_the_folios_and_two_numbers_in_one_box(tmp_path: Path) -> None:
    why, shown = _hooked(BODY, "", tmp_path)
    assert why == ""
    assert sorted((s.page, s.key, s.value) for s in shown) == [
        (0, "", 1),
        (1, "", 2),
        (1, "a", 1),
        (1, "a", 1),
    ]
    assert all(s.glyphs is not None and len(s.offsets) == 1 for s in shown)
    assert all(len({g.split(":")[1] for g in s.glyphs}) == 1 for s in shown)  # tabular: one class
    assert len({s.offsets[0] for s in shown if s.page == 1}) == 3  # three places on page 2


@pytest.mark.parametrize(
    ("css", "why"),
    [
        ("p::after { content: counter(page) }", "counter(page) outside a page margin"),
        ("a::before { content: target-counters(attr(href url), section, '.') }", "target-counters()"),
        ("a::before { content: target-text(attr(href url)) }", "target-text()"),
        (
            "p { bookmark-level: 1; bookmark-label: content(text) content(after) }",
            "content() of a page number",
        ),
    ],
)
def test_the_hooks_refuse_numbers_they_cannot_follow(css: str, why: str, tmp_path: Path) -> None:
    assert _hooked(BODY, css, tmp_path)[0] == why


def test_proportional_figures_are_changed_in_place_only_into_digits_of_their_width(tmp_path: Path) -> None:
    why, shown = _hooked(BODY, "a.pair::after { font-variant-numeric: proportional-nums }", tmp_path)
    references = [s for s in shown if s.key == "a"]
    assert why == "" and len(references) == 2
    classes = [g.split(":")[1] for g in references[0].glyphs]
    assert len(set(classes)) > 5  # Inter's proportional figures: most of different widths
    data = renumber.as_data("", references)
    laid = Numbers(1, {"a": 1})
    wider = next(d for d in range(2, 10) if classes[d] != classes[1])
    assert renumber.changes(data, laid, Numbers(1, {"a": wider})) is None  # "1" is narrower
    assert renumber.changes(data, laid, laid) == {}
