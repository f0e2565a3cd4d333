"""What e-readers need beyond what EPUBCheck checks: the NCX page list older Kobo and Adobe
devices read, Apple Books' display options, footnotes and navigation that leave nothing
behind when a reader hides them, tables in labelled scroll regions, and a stylesheet whose
every opaque background brings its own text colour (so a reader's night theme cannot put
pale text on a pale box)."""

from __future__ import annotations

import re
import zipfile

import tinycss2
from lxml import etree

from msl_book.build import BuildOptions, build

from conftest import FIXTURES, ROOT

NCX = "{http://www.daisy.org/z3986/2005/ncx/}"
X = "{http://www.w3.org/1999/xhtml}"


def _read(epub, name: str) -> bytes:
    with zipfile.ZipFile(epub) as z:
        return z.read(name)


def test_the_ncx_page_list_mirrors_the_epub3_page_list(handbook):
    nav = etree.fromstring(_read(handbook.epub, "EPUB/text/nav.xhtml"))
    ours = [(f"text/{a.get('href')}", a.text) for a in nav.iterfind(f".//{X}nav[@id='page-list']//{X}a")]
    ncx = etree.fromstring(_read(handbook.epub, "EPUB/toc.ncx"))
    targets = ncx.findall(f"{NCX}pageList/{NCX}pageTarget")
    assert [
        (t.find(f"{NCX}content").get("src"), t.findtext(f"{NCX}navLabel/{NCX}text")) for t in targets
    ] == ours
    assert len(ours) > 30
    # roman folios are front pages without a value; arabic ones are normal pages with theirs
    assert {
        (t.get("type"), t.get("value")) for t in targets if t.findtext(f"{NCX}navLabel/{NCX}text") == "iii"
    } == {("front", None)}
    assert all(
        t.get("value") == t.findtext(f"{NCX}navLabel/{NCX}text") for t in targets if t.get("type") == "normal"
    )
    meta = {m.get("name"): m.get("content") for m in ncx.iterfind(f"{NCX}head/{NCX}meta")}
    assert meta["dtb:totalPageCount"] == str(len(ours))
    assert meta["dtb:maxPageNumber"] == str(max(int(label) for _, label in ours if label.isdigit()))
    assert meta["dtb:depth"] == "2"  # chapters and their sections
    # navPoints and pageTargets share one playOrder, in reading order: equal targets, equal numbers
    points = [
        (p.get("playOrder"), p.find(f"{NCX}content").get("src"))
        for p in ncx.iter(f"{NCX}navPoint", f"{NCX}pageTarget")
    ]
    by_src: dict[str, set[str]] = {}
    for order, src in points:
        by_src.setdefault(src, set()).add(order)
    assert all(len(orders) == 1 for orders in by_src.values())
    nav_order = [int(p.get("playOrder")) for p in ncx.iter(f"{NCX}navPoint")]
    page_order = [int(t.get("playOrder")) for t in targets]
    assert nav_order == sorted(nav_order) and page_order == sorted(page_order)
    first_chapter = next(
        int(p.get("playOrder"))
        for p in ncx.iter(f"{NCX}navPoint")
        if "introduction" in p.find(f"{NCX}content").get("src")
    )
    page_1 = next(int(t.get("playOrder")) for t in targets if t.findtext(f"{NCX}navLabel/{NCX}text") == "1")
    assert page_1 == first_chapter + 1  # page 1 begins just inside chapter 1's document


def test_apple_books_is_asked_to_show_the_books_fonts(handbook):
    options = etree.fromstring(_read(handbook.epub, "META-INF/com.apple.ibooks.display-options.xml"))
    assert [(o.getparent().get("name"), o.get("name"), o.text) for o in options.iter("option")] == [
        ("*", "specified-fonts", "true")
    ]


def test_tables_stay_tables_and_display_equations_scroll_as_named_groups(handbook, tmp_path):
    course = build(FIXTURES / "course", BuildOptions(output=tmp_path, formats=("epub",))).outputs[0].path
    doc = etree.fromstring(_read(course, "EPUB/text/why-signals.xhtml"))
    assert [t.getparent().get("class") for t in doc.iter(f"{X}table")] == ["chapter-body", "chapter-body"]
    doc = etree.fromstring(_read(course, "EPUB/text/measuring.xhtml"))
    equations = [
        (e.get("role"), e.get("tabindex"), e.get("aria-label"))
        for e in doc.iter(f"{X}div")
        if e.get("class") == "equation"
    ]
    # a group, not a region: equations are not landmarks, and unnumbered ones share a name
    assert equations[0] == ("group", "0", "Equation 2.1")
    assert all(role == "group" and tab == "0" for role, tab, _ in equations)


def _rules(css: str):
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "media":
            media = tinycss2.serialize(rule.prelude).strip()
            for inner in tinycss2.parse_stylesheet(tinycss2.serialize(rule.content), True, True):
                if inner.type == "qualified-rule":
                    yield media, inner
        elif rule.type == "qualified-rule":
            yield "", rule


def _declarations(rule) -> dict[str, str]:
    decls = tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True)
    return {d.lower_name: tinycss2.serialize(d.value).strip() for d in decls if d.type == "declaration"}


def _opaque(value: str) -> bool:
    if value in ("none", "transparent", "inherit"):
        return False
    if value.startswith("rgba("):
        return float(value.rstrip(")").split(",")[-1]) >= 0.5
    return bool(re.match(r"#|rgb\(|[a-z]+$", value))


def test_every_opaque_background_in_the_epub_comes_with_its_text_colour():
    """In the EPUB's cascade (base.css, then epub.css), each selector that paints an opaque
    background also sets the text colour, in the same media context."""
    painted: dict[tuple[str, str], bool] = {}
    for name in ("base.css", "epub.css"):
        for media, rule in _rules((ROOT / "styles" / name).read_text(encoding="utf-8")):
            decls = _declarations(rule)
            background = decls.get("background-color", decls.get("background"))
            coloured = decls.get("color", "inherit").lower() not in ("inherit", "currentcolor")
            for selector in tinycss2.serialize(rule.prelude).split(","):
                key = (media, " ".join(selector.split()))
                if background is not None:
                    painted[key] = _opaque(background) and not coloured
                elif coloured and key in painted:
                    painted[key] = False
    unpaired = [selector for (media, selector), bad in painted.items() if bad]
    assert unpaired == []
    assert ("", "pre") in painted and ("(prefers-color-scheme: dark)", "body") in painted
    assert not [key for key in painted if key[1] == "html"]  # the page's own colours are the reader's


def test_footnotes_leave_no_rule_when_a_reader_hides_them(handbook):
    """Apple Books hides footnote asides: the footnotes section itself draws nothing."""
    css = (ROOT / "styles" / "epub.css").read_text(encoding="utf-8")
    sections = [
        _declarations(rule)
        for _, rule in _rules(css)
        if ".footnotes" in [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
    ]
    assert sections[-1]["border-top"] == "0" and sections[-1]["padding-top"] == "0"
    doc = etree.fromstring(_read(handbook.epub, "EPUB/text/introduction.xhtml"))
    block = doc.find(f".//{X}section[@class='footnotes']")
    assert [local.tag for local in block] == [f"{X}aside"]  # no heading or rule of its own
