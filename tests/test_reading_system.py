"""The EPUB in a real reading system: epub.js (the engine of many web and app readers) in
headless Chromium opens it, lists its contents and page-list, and shows every document.

.ci/run installs epub.js (npm epubjs, jszip) and Chromium and sets MSL_BOOK_EPUBJS to the
node_modules directory; elsewhere the test is skipped when they are missing. Screenshots of
the pages shown are left in the test's temporary directory.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import zipfile
from pathlib import Path

import pytest
from lxml import etree

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"


def _requirements() -> Path:
    modules = Path(os.environ.get("MSL_BOOK_EPUBJS", HERE.parent / ".tools" / "reader" / "node_modules"))
    missing = [p for p in (modules / "epubjs", modules / "jszip", Path(CHROMIUM)) if not p.exists()]
    if missing:
        if os.environ.get("MSL_BOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"missing for the reading-system test: {missing}")
        pytest.skip(f"epub.js or Chromium not installed ({missing}); .ci/run installs them")
    return modules


@pytest.fixture(scope="module")
def reader(handbook, tmp_path_factory):
    modules = _requirements()
    from playwright.sync_api import sync_playwright

    site = tmp_path_factory.mktemp("reader")
    shutil.copy(HERE / "reader" / "index.html", site / "index.html")
    shutil.copy(modules / "epubjs" / "dist" / "epub.min.js", site)
    shutil.copy(modules / "jszip" / "dist" / "jszip.min.js", site)
    shutil.copy(handbook.epub, site / "book.epub")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 620, "height": 820})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        page.wait_for_function("window.opened", timeout=30_000)
        yield page, errors, site
        browser.close()
    server.shutdown()


def test_the_reader_lists_the_contents_and_the_page_list(reader, handbook):
    page, errors, _ = reader
    toc = page.evaluate("book.loaded.navigation.then(nav => nav.toc.map(item => item.label.trim()))")
    assert (
        toc[0] == "Preface"
        and "Chapter 1: Why the MSL Role Matters Now" in toc
        and toc[-2:] == ["Glossary", "Index"]
    )
    # epub.js keeps each entry's href and its number (roman folios are not numbers to it)
    pages = page.evaluate(
        "book.loaded.navigation.then(() => book.pageList.pageList.map(p => [p.href, p.page]))"
    )
    with zipfile.ZipFile(handbook.epub) as z:
        nav = etree.fromstring(z.read("EPUB/text/nav.xhtml"))
    ours = [(a.get("href"), a.text) for a in nav.iterfind(".//{*}nav[@id='page-list']//{*}a")]
    assert [href for href, _ in pages] == [href for href, _ in ours] and len(pages) > 30
    assert [str(int(n)) for _, n in pages if n == n] == [
        label for _, label in ours if label.isdigit()
    ]  # NaN != NaN
    assert errors == []


def test_every_document_displays_with_its_text(reader, handbook):
    page, errors, site = reader
    with zipfile.ZipFile(handbook.epub) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    ns = {"o": "http://www.idpf.org/2007/opf"}
    hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//o:manifest/o:item", ns)}
    spine = [hrefs[r.get("idref")] for r in opf.iterfind(".//o:spine/o:itemref", ns)]
    for i, href in enumerate(spine):
        page.evaluate(f"rendition.display({href!r})")
        page.wait_for_function(
            f"rendition.location && rendition.location.start && rendition.location.start.href === {href!r}",
            timeout=15_000,
        )
        text = page.evaluate("rendition.getContents()[0].document.body.textContent")
        if href != "text/cover.xhtml":
            assert len(text.split()) > 5, href
        # the book's own fonts are the ones in use
        family = page.evaluate("getComputedStyle(rendition.getContents()[0].document.body).fontFamily")
        assert family.startswith('"Charis SIL"'), (href, family)
        page.screenshot(path=str(site / f"page-{i:02d}.png"))
    assert errors == []


def test_a_page_list_entry_opens_that_printed_page(reader):
    page, errors, _ = reader
    page.evaluate("rendition.display('text/msl-role.xhtml#page-8')")
    page.wait_for_function("rendition.location && rendition.location.start.href === 'text/msl-role.xhtml'")
    shown = page.evaluate(
        "(() => { const d = rendition.getContents()[0].document;"
        " const m = d.getElementById('page-8'); return m.getAttribute('role') + ' ' + m.getAttribute('aria-label'); })()"
    )
    assert shown == "doc-pagebreak 8"
    assert errors == []
