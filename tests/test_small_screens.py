"""The EPUB as trainees read it: on a phone with the text made larger, and in the light,
sepia and night themes a reading system applies.

Every document of the handbook and of the course fixture (a wide table, a figure, code,
math) is opened in headless Chromium, directly at 360×640 with the root font size at 200 %,
and inside epub.js with its themes; tests/reader/checks.js measures what a reader would
notice: an element wider than the screen outside a labelled scroll region, a text under
WCAG AA contrast on its real background, text under 0.8 em of the reader's size, a note
marker smaller than a 24×24 px tap target.

.ci/run installs Chromium and epub.js; elsewhere the tests are skipped when they are missing.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from msl_book.build import BuildOptions, build
from test_reading_system import CHROMIUM, HERE, _requirements

from conftest import FIXTURES

# How epub.js readers register their themes: rules on the body of every document.
THEMES = {
    "light": {"body": {"color": "#000000", "background": "#ffffff"}},
    "sepia": {"body": {"color": "#5b4636", "background": "#f4ecd8"}},
    "night": {"body": {"color": "#e8e8e8", "background": "#121212"}},
}
CHECKS = (HERE / "reader" / "checks.js").read_text(encoding="utf-8")


@dataclass
class Site:
    url: str
    root: Path
    spines: dict[str, list[str]]  # book -> its documents, in reading order


def _spine(epub: Path) -> list[str]:
    with zipfile.ZipFile(epub) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    ns = {"o": "http://www.idpf.org/2007/opf"}
    hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//o:manifest/o:item", ns)}
    return [hrefs[r.get("idref")] for r in opf.iterfind(".//o:spine/o:itemref", ns)]


@pytest.fixture(scope="module")
def site(handbook, tmp_path_factory) -> Iterator[Site]:
    modules = _requirements()
    root = tmp_path_factory.mktemp("screens")
    course = build(FIXTURES / "course", BuildOptions(output=root / "course-out")).outputs
    epubs = {"handbook": handbook.epub, "course": next(o.path for o in course if o.format == "epub")}
    for name, epub in epubs.items():
        shutil.copy(epub, root / f"{name}.epub")
        with zipfile.ZipFile(epub) as z:
            z.extractall(root / name)
    shutil.copy(HERE / "reader" / "index.html", root / "index.html")
    shutil.copy(modules / "epubjs" / "dist" / "epub.min.js", root)
    shutil.copy(modules / "jszip" / "dist" / "jszip.min.js", root)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Site(f"http://127.0.0.1:{server.server_address[1]}", root, {n: _spine(e) for n, e in epubs.items()})
    server.shutdown()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield b
        b.close()


def _measure_documents(
    browser, site: Site, *, root_size: str, color_scheme: str = "light"
) -> dict[str, dict]:
    """Each document opened on its own in a 360×640 viewport, with the root font size set
    as a reader's text-size setting sets it."""
    page = browser.new_page(viewport={"width": 360, "height": 640}, color_scheme=color_scheme)
    reports = {}
    for book, spine in site.spines.items():
        for href in spine:
            page.goto(f"{site.url}/{book}/EPUB/{href}")
            page.add_style_tag(content=f"html {{ font-size: {root_size} !important; }}")
            page.evaluate("document.fonts.ready")
            page.add_script_tag(content=CHECKS)
            reports[f"{book}/{href}"] = page.evaluate("mslChecks(document)")
            if root_size == "150%" and color_scheme == "light":
                page.screenshot(path=str(site.root / f"{book}-{Path(href).stem}-150.png"), full_page=True)
    page.close()
    return reports


def _failures(reports: dict[str, dict], kind: str) -> list[str]:
    return [f"{doc}: {item}" for doc, report in reports.items() for item in report[kind]]


@pytest.fixture(scope="module")
def phone_200(browser, site) -> dict[str, dict]:
    return _measure_documents(browser, site, root_size="200%")


@pytest.fixture(scope="module")
def phone_100(browser, site) -> dict[str, dict]:
    return _measure_documents(browser, site, root_size="100%")


def test_nothing_is_wider_than_a_phone_with_the_text_at_200_percent(phone_200):
    assert len(phone_200) >= 20
    assert _failures(phone_200, "overflow") == []
    # a table too wide for the screen scrolls inside a region a keyboard can reach and a
    # screen reader can name
    assert _failures(phone_200, "regions") == []


def test_tables_narrow_to_the_phone_and_stay_tables(browser, site):
    """Three columns (the handbook) or six (the course's Table 1.2): each fits the column at
    200 % text as a plain table, which a paginated reader can split."""
    page = browser.new_page(viewport={"width": 360, "height": 640})
    found = []
    for doc in ("handbook/EPUB/text/responsibilities-skills.xhtml", "course/EPUB/text/why-signals.xhtml"):
        page.goto(f"{site.url}/{doc}")
        page.add_style_tag(content="html { font-size: 200% !important; }")
        page.evaluate("document.fonts.ready")
        found += page.evaluate(
            """[...document.querySelectorAll('table')].map(t => [
                 t.querySelector('caption').textContent.split(' ').slice(0, 2).join(' '),
                 t.rows[0].cells.length, t.getBoundingClientRect().width <= t.parentElement.clientWidth + 0.5,
                 getComputedStyle(t.parentElement).overflowX])"""
        )
    page.close()
    assert found == [
        ["Table 3.1", 3, True, "visible"],
        ["Table 1.1", 3, True, "visible"],
        ["Table 1.2", 6, True, "visible"],
    ]


def test_no_text_is_smaller_than_four_fifths_of_the_readers_size(phone_100, phone_200):
    assert _failures(phone_100, "size") == []
    assert _failures(phone_200, "size") == []


def test_note_markers_and_backlinks_are_24_px_tap_targets(phone_100):
    counted = sum(1 for report in phone_100.values() for _ in report["targets"])
    assert _failures(phone_100, "targets") == [], counted


def test_dark_mode_keeps_every_text_readable(browser, site):
    reports = _measure_documents(browser, site, root_size="100%", color_scheme="dark")
    assert _failures(reports, "contrast") == []


def test_light_default_keeps_every_text_readable(phone_100):
    assert _failures(phone_100, "contrast") == []


@pytest.mark.parametrize("theme", THEMES)
def test_every_text_is_readable_in_the_readers_themes(browser, site, theme):
    page = browser.new_page(viewport={"width": 620, "height": 820})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failures: list[str] = []
    for book, spine in site.spines.items():
        page.goto(f"{site.url}/index.html?book={book}.epub")
        page.wait_for_function("window.opened", timeout=30_000)
        page.evaluate(
            f"rendition.themes.register({theme!r}, {THEMES[theme]!r}); rendition.themes.select({theme!r})"
        )
        for href in spine:
            page.evaluate(f"rendition.display({href!r})")
            page.wait_for_function(
                f"rendition.location && rendition.location.start && rendition.location.start.href === {href!r}",
                timeout=15_000,
            )
            # the reader's iframe runs no scripts: measure it from the reader's page
            report = page.evaluate(
                f"(async () => {{ {CHECKS}; const doc = rendition.getContents()[0].document;"
                " await doc.fonts.ready; return mslChecks(doc); })()"
            )
            failures += [f"{book}/{href}: {item}" for item in report["contrast"] + report["page"]]
            if theme == "night" and href.endswith(("msl-role.xhtml", "why-signals.xhtml")):
                page.screenshot(path=str(site.root / f"{book}-{Path(href).stem}-{theme}.png"))
    page.close()
    assert errors == []
    assert failures == []


def test_in_epub_js_with_the_text_at_150_percent_nothing_is_wider_than_a_column(browser, site):
    """epub.js lays a document out in columns one screen wide: a table wider than its column
    used to print over the next page's first column."""
    page = browser.new_page(viewport={"width": 420, "height": 820})
    too_wide: list[str] = []
    for book, spine in site.spines.items():
        page.goto(f"{site.url}/index.html?book={book}.epub&width=375&height=700")
        page.wait_for_function("window.opened", timeout=30_000)
        page.evaluate("rendition.themes.fontSize('150%')")
        for href in spine:
            page.evaluate(f"rendition.display({href!r})")
            page.wait_for_function(
                f"rendition.location && rendition.location.start && rendition.location.start.href === {href!r}",
                timeout=15_000,
            )
            found = page.evaluate(
                """(async () => {
                  const doc = rendition.getContents()[0].document, win = doc.defaultView;
                  await doc.fonts.ready;
                  const column = rendition.manager.layout.columnWidth;
                  const height = rendition.manager.layout.height;
                  const out = [];
                  for (const el of doc.body.querySelectorAll('.table-scroll, .equation')) {
                    // a scrolling box cannot be split across pages: taller than one, it loses rows
                    const h = el.getBoundingClientRect().height;
                    if (h > height) out.push(`${el.className} is ${Math.round(h)} px tall in a ${height} px page`);
                  }
                  for (const el of doc.body.querySelectorAll('*')) {
                    let box = el.parentElement;  // inside a scroll region, it may be wider
                    while (box && box !== doc.body && !['auto', 'scroll'].includes(win.getComputedStyle(box).overflowX))
                      box = box.parentElement;
                    if (box === doc.body) box = null;  // epub.js makes the body scroll by columns
                    if (box) continue;
                    // a block broken over columns has one box per column
                    const w = Math.max(0, ...[...el.getClientRects()].map(r => r.width));
                    if (w > column + 0.5) out.push(`${el.tagName.toLowerCase()}.${el.className}: ${Math.round(w)} px`);
                  }
                  return out.map(x => x + ` in a ${Math.round(column)} px column`);
                })()"""
            )
            too_wide += [f"{book}/{href}: {x}" for x in found]
    page.close()
    assert too_wide == []


def test_figures_fill_a_phone_column_and_grow_on_a_tablet(browser, site):
    widths = {}
    for viewport in ({"width": 360, "height": 640}, {"width": 1024, "height": 1366}):
        page = browser.new_page(viewport=viewport)
        page.goto(f"{site.url}/handbook/EPUB/text/msl-role.xhtml")
        widths[viewport["width"]] = page.evaluate(
            "(() => { const img = document.querySelector('figure img');"
            " return [img.getBoundingClientRect().width, img.parentElement.getBoundingClientRect().width]; })()"
        )
        page.close()
    img, column = widths[360]
    assert img == column  # the whole column of a phone
    img, column = widths[1024]
    assert 400 < img <= column  # wider than the drawing's own 400 px on a tablet
