"""msl-book serve: the live preview, over HTTP on the loopback interface and in headless Chromium."""

from __future__ import annotations

import html
import http.client
import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml import etree

import msl_book.serve.site
from msl_book.errors import BookError, Report
from msl_book.pipeline import prepare
from msl_book.serve import PreviewServer
from msl_book.theme import theme_dir

from conftest import make_book

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing but the preview
]
WAIT = 10.0  # seconds: the longest any test waits for a rebuild to show
CUSTOM_CSS = "body { background-color: rgb(1, 2, 3) !important; }\n"
BROKEN_YAML = "---\ntitle: [unclosed\n---\nBody\n"
# A proxy must never see these requests: the preview is on the loopback interface only.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str) -> Response:
    try:
        with OPENER.open(url, timeout=5) as r:
            return Response(r.status, r.headers, r.read(), r.url)
    except urllib.error.HTTPError as e:
        with e:
            return Response(e.code, e.headers, e.read(), e.url)


def raw_get(server: PreviewServer, path: str) -> int:
    """GET a path exactly as written (no client-side normalisation of '..'); the status."""
    parts = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def eventually(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Poll ``check`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(root.rglob("*"))
    }


@dataclass
class Preview:
    server: PreviewServer
    project: Path
    log: list[str]

    def url(self, path: str) -> str:
        return self.server.url + path.lstrip("/")

    @property
    def chapter(self) -> Path:
        return self.project / "chapters" / "01-first.md"


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    project = make_book(tmp_path, {"styles/custom.css": CUSTOM_CSS})
    log: list[str] = []
    server = PreviewServer(project, port=0, log=log.append, pages=False)
    try:
        server.start()
        yield Preview(server, project, log)
    finally:
        server.stop()


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[Preview]:
    """The preview with its paged view: the PDF built after each save."""
    project = make_book(tmp_path)
    log: list[str] = []
    server = PreviewServer(project, port=0, log=log.append)
    try:
        server.start()
        yield Preview(server, project, log)
    finally:
        server.stop()


PAGED_WAIT = 90.0  # a PDF build, in a process of its own, on a busy machine


def _page_images(view: str) -> list[str]:
    return re.findall(r'<img src="(/__msl-book/page/[^"]+)"', view)


def test_the_paged_view_shows_the_pdfs_pages_and_follows_a_save(paged: Preview) -> None:
    from PIL import Image
    from pypdf import PdfReader

    before = snapshot(paged.project)
    eventually(lambda: paged.server.pages.current.pdf is not None, "the first PDF", PAGED_WAIT)
    pdf = paged.server.pages.current.pdf
    assert not pdf.is_relative_to(paged.project)  # nothing is written into the project
    view = fetch(paged.url("/__msl-book/pages"))
    assert view.status == 200
    images = _page_images(view.text)
    assert len(images) == len(PdfReader(pdf).pages) > 1
    first = fetch(paged.url(images[0]))
    assert first.status == 200 and first.headers["Content-Type"] == "image/png"
    width, height = Image.open(io.BytesIO(first.body)).size
    assert (width, height) == (round(595.28 * 1.5), round(841.89 * 1.5))  # an A4 page at 108 dpi

    seen = paged.server.pages.current.build_id
    paged.chapter.write_text(paged.chapter.read_text("utf-8").replace("First Chapter", "Renamed Chapter"))
    eventually(lambda: paged.server.pages.current.build_id != seen, "the PDF after the save", PAGED_WAIT)
    assert "Renamed Chapter" in "".join(
        p.extract_text() for p in PdfReader(paged.server.pages.current.pdf).pages
    )
    assert fetch(paged.url(images[0])).status == 404  # the pages of the PDF before are gone
    assert _page_images(fetch(paged.url("/__msl-book/pages")).text) != images
    after = snapshot(paged.project)
    assert after.keys() == before.keys()


def test_the_paged_view_shows_why_the_pdf_did_not_build(paged: Preview) -> None:
    eventually(lambda: paged.server.pages.current.pdf is not None, "the first PDF", PAGED_WAIT)
    paged.chapter.write_text(paged.chapter.read_text("utf-8") + "\nSee [the missing part](#nowhere).\n")
    eventually(lambda: paged.server.pages.current.problems != (), "the failed PDF build", PAGED_WAIT)
    view = fetch(paged.url("/__msl-book/pages")).text
    assert "The book did not build" in view
    assert re.search(r"<code>chapters/01-first\.md:\d+: broken link: [^<]*'nowhere'</code>", view)
    assert "Traceback" not in view


def test_the_paged_view_builds_every_pdf_in_one_live_process(paged: Preview) -> None:
    """As build --watch: the process that built the first PDF builds the next, keeping what
    it loaded (its imports, the parsed stylesheets); when it is gone, the next save starts
    another."""
    eventually(lambda: paged.server.pages.current.pdf is not None, "the first PDF", PAGED_WAIT)
    builder = paged.server.pages._process
    assert builder is not None and builder.poll() is None  # waiting for the next build
    seen = paged.server.pages.current.build_id
    paged.chapter.write_text(paged.chapter.read_text("utf-8").replace("First Chapter", "Renamed Chapter"))
    eventually(lambda: paged.server.pages.current.build_id != seen, "the PDF after the save", PAGED_WAIT)
    assert paged.server.pages._process is builder and builder.poll() is None
    assert "Renamed Chapter" in _first_chapter_text(paged)

    os.killpg(builder.pid, signal.SIGKILL)  # between builds: the next save starts another
    builder.wait()
    paged.chapter.write_text(paged.chapter.read_text("utf-8").replace("Renamed Chapter", "Third Name"))
    eventually(lambda: "Third Name" in _first_chapter_text(paged), "the PDF from a new builder", PAGED_WAIT)
    assert paged.server.pages._process is not builder


def _first_chapter_text(paged: Preview) -> str:
    from pypdf import PdfReader

    pdf = paged.server.pages.current.pdf
    return "" if pdf is None else "".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_a_pdf_builder_that_dies_while_it_builds_is_said_to_have_died(tmp_path: Path) -> None:
    from msl_book.serve.pages import PagedView

    view = PagedView(make_book(tmp_path), lambda: None, lambda _line: None)
    # a real process that reads the request and is then killed, as by the out-of-memory killer
    dying = "import os, signal, sys; sys.stdin.readline(); os.kill(os.getpid(), signal.SIGKILL)"
    view._process = subprocess.Popen(
        [sys.executable, "-c", dying], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    built = view._build()
    assert built.problems == ("msl-book: the PDF builder was killed by SIGKILL; the next save tries again",)
    assert built.pdf is None and built.trace is None


def test_a_pdf_builder_that_fails_before_it_answers_shows_its_traceback(tmp_path: Path) -> None:
    """What it wrote to its standard error (a broken installation, say) is the view's."""
    import tempfile

    from msl_book.serve.pages import PagedView

    view = PagedView(make_book(tmp_path), lambda: None, lambda _line: None)
    failing = "import sys; sys.stdin.readline(); raise ImportError('no module named weasyprint')"
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        view._errors = errors
        view._process = subprocess.Popen(
            [sys.executable, "-c", failing],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        built = view._build()
    assert built.trace is not None and built.trace.startswith("Traceback (most recent call last)")
    assert "ImportError: no module named weasyprint" in built.trace and built.pdf is None


# -- over HTTP ---------------------------------------------------------------------------------


def test_serves_the_publication_from_memory(preview: Preview) -> None:
    before = snapshot(preview.project)
    assert preview.server.url.startswith("http://127.0.0.1:")

    index = fetch(preview.url("/"))
    assert index.status == 200
    assert index.url.endswith("/text/nav.xhtml")
    assert "First Chapter" in index.text

    chapter = fetch(preview.url("/text/first.xhtml"))
    assert chapter.status == 200
    assert chapter.headers["Content-Type"] == "application/xhtml+xml; charset=utf-8"
    assert chapter.headers["Cache-Control"] == "no-store"
    assert "Opening paragraph of the first chapter" in chapter.text
    root = etree.fromstring(chapter.body)  # the injected script keeps it well-formed XHTML
    scripts = root.findall(".//{http://www.w3.org/1999/xhtml}body/{http://www.w3.org/1999/xhtml}script")
    assert len(scripts) == 1
    assert scripts[0].get("src") == f"/__msl-book/reload.js?build={preview.server.site.build_id}"
    assert '<script src="/__msl-book/reload.js?build=' in chapter.text
    assert "../styles/custom.css" in chapter.text

    script = fetch(preview.url("/__msl-book/reload.js"))
    assert script.status == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert b"EventSource" in script.body

    theme = theme_dir()
    for path, media_type, expected in [
        ("/styles/base.css", "text/css; charset=utf-8", (theme / "styles/base.css").read_bytes()),
        ("/styles/custom.css", "text/css; charset=utf-8", CUSTOM_CSS.encode()),
        (
            "/styles/fonts/CharisSIL-Regular.ttf",
            "font/ttf",
            (theme / "styles/fonts/CharisSIL-Regular.ttf").read_bytes(),
        ),
        ("/styles/fonts/Inter-Bold.otf", "font/otf", (theme / "styles/fonts/Inter-Bold.otf").read_bytes()),
        ("/assets/images/dot.svg", "image/svg+xml", (preview.project / "images/dot.svg").read_bytes()),
    ]:
        got = fetch(preview.url(path))
        assert (got.status, got.headers["Content-Type"]) == (200, media_type), path
        assert got.body == expected, path

    cover = fetch(preview.url("/assets/cover.png"))
    assert (cover.status, cover.headers["Content-Type"]) == (200, "image/png")
    assert cover.body.startswith(b"\x89PNG\r\n\x1a\n")

    assert fetch(preview.url("/text/missing.xhtml")).status == 404
    assert snapshot(preview.project) == before  # nothing written into the project (or its dist/)


TRAVERSALS = [
    "/text/../../book.yaml",
    "/styles/../../../../../../etc/passwd",
    "/%2e%2e/book.yaml",
    "/text/%2E%2E/%2E%2E/chapters/01-first.md",
    "/..%2fbook.yaml",
    "/text/..%5c..%5cbook.yaml",
    "/text/first.xhtml%00",
    "/./text/first.xhtml",
    "//etc/passwd",
    "/book.yaml",
    "/chapters/01-first.md",
    "/images/dot.svg",
]


def test_only_publication_paths_are_served(preview: Preview) -> None:
    for path in TRAVERSALS:
        assert raw_get(preview.server, path) == 404, path
    assert raw_get(preview.server, "/text/first.xhtml") == 200


def test_stops_cleanly_even_if_never_started(tmp_path: Path) -> None:
    started = time.monotonic()
    PreviewServer(make_book(tmp_path), port=0, log=lambda _line: None).stop()
    assert time.monotonic() - started < 2
    with pytest.raises(NotADirectoryError):
        PreviewServer(tmp_path / "missing", port=0)


def test_refuses_requests_for_other_host_names(preview: Preview) -> None:
    parts = urllib.parse.urlsplit(preview.server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("GET", "/text/first.xhtml", headers={"Host": "attacker.example"})
        assert conn.getresponse().status == 403
    finally:
        conn.close()
    assert fetch(f"http://localhost:{parts.port}/text/first.xhtml").status == 200


def test_book_errors_become_an_error_page_until_fixed(preview: Preview) -> None:
    original = preview.chapter.read_text(encoding="utf-8")
    preview.chapter.write_text(BROKEN_YAML, encoding="utf-8")
    with pytest.raises(BookError) as failure:
        prepare(preview.project, Report())
    expected = [str(d) for d in failure.value.diagnostics]
    assert expected[0].startswith("chapters/01-first.md:2: invalid YAML: ")

    eventually(lambda: fetch(preview.url("/text/first.xhtml")).status == 500, "the error page")
    page = fetch(preview.url("/text/first.xhtml"))
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    for line in expected:
        assert html.escape(line, quote=False) in page.text
    assert "<stream end>" not in page.text  # escaped: the message quotes '<stream end>'
    assert '<script src="/__msl-book/reload.js?build=' in page.text
    assert fetch(preview.url("/text/second.xhtml")).status == 500  # every page shows it
    for line in expected:
        assert line in preview.log  # and the terminal

    assert fetch(preview.url("/__msl-book/reload.js")).status == 200  # still serving
    preview.chapter.write_text(original, encoding="utf-8")
    eventually(lambda: fetch(preview.url("/text/first.xhtml")).status == 200, "the chapter again")
    assert "Opening paragraph of the first chapter" in fetch(preview.url("/text/first.xhtml")).text


def test_a_bug_shows_its_traceback_and_the_server_survives(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom <in> the renderer")

    monkeypatch.setattr(msl_book.serve.site, "publication", broken)
    site = preview.server.rebuild()
    assert site.error is not None
    page = fetch(preview.url("/text/first.xhtml"))
    assert page.status == 500
    assert "Traceback (most recent call last)" in page.text
    assert "RuntimeError: boom &lt;in&gt; the renderer" in page.text
    assert any("RuntimeError: boom <in> the renderer" in line for line in preview.log)

    monkeypatch.undo()
    assert preview.server.rebuild().error is None
    assert fetch(preview.url("/text/first.xhtml")).status == 200


def test_template_syntax_errors_are_reported_with_their_place(preview: Preview) -> None:
    template = preview.project / "templates" / "epub" / "chapter.xhtml.j2"
    template.parent.mkdir(parents=True)
    template.write_text(
        (theme_dir() / "templates/epub/chapter.xhtml.j2")
        .read_text(encoding="utf-8")
        .replace("{% block body %}", "{% block body %}{{ oops( }}"),
        encoding="utf-8",
    )
    eventually(lambda: fetch(preview.url("/text/first.xhtml")).status == 500, "the error page")
    assert "templates/epub/chapter.xhtml.j2:4: " in fetch(preview.url("/text/first.xhtml")).text
    template.unlink()
    eventually(lambda: fetch(preview.url("/text/first.xhtml")).status == 200, "the chapter again")


def read_event(stream: http.client.HTTPResponse) -> str:
    """The next event's name (skipping comments and retry lines)."""
    while True:
        line = stream.readline().decode()
        if line.startswith("event: "):
            return line.removeprefix("event: ").strip()
        assert line, "the event stream ended"


def open_events(preview: Preview, build: str) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    parts = urllib.parse.urlsplit(preview.server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    conn.request("GET", f"/__msl-book/events?build={build}")
    response = conn.getresponse()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return conn, response


def test_events_tell_pages_of_older_builds_to_reload(preview: Preview) -> None:
    conn, stream = open_events(preview, "an-older-build")
    try:
        assert read_event(stream) == "reload"  # at once: the page missed a build
    finally:
        conn.close()

    current = preview.server.site.build_id
    conn, stream = open_events(preview, current)
    try:
        (preview.project / "dist").mkdir()
        (preview.project / "dist" / "tiny.epub").write_bytes(b"not a source")  # ignored
        (preview.project / ".notes.md").write_text("ignored", encoding="utf-8")
        text = preview.chapter.read_text(encoding="utf-8")
        preview.chapter.write_text(text.replace("Opening paragraph", "Changed paragraph"), encoding="utf-8")
        assert read_event(stream) == "reload"
    finally:
        conn.close()
    assert preview.server.site.build_id != current
    rebuilt = [line for line in preview.log if "rebuilt in" in line]
    assert rebuilt and all(line.startswith("chapters/01-first.md changed: ") for line in rebuilt), rebuilt


def test_saving_without_changes_does_not_reload(preview: Preview) -> None:
    current = preview.server.site.build_id
    assert preview.server.rebuild().build_id == current


def test_command_prints_the_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    project = make_book(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "msl_book", "serve", str(project), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("Serving A Tiny Test Book at http://127.0.0.1:"), line
        assert line.rstrip().endswith("/ (Ctrl+C to stop)"), line
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        assert fetch(url + "text/first.xhtml").status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=PAGED_WAIT) == 0  # as for the Ctrl+C test below: a loaded machine
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)


# -- in a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install playwright)"
    if reason is None and not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if reason is not None:
        if os.environ.get("MSL_BOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MSL_BOOK_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(WAIT * 1000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_browser_reloads_on_save_and_shows_errors(preview: Preview, page: Page) -> None:
    from playwright.sync_api import expect

    url = preview.url("/text/first.xhtml")
    page.goto(url)
    body = page.locator("body")
    expect(page.locator("h1.chapter-title")).to_have_text("Chapter 1 First Chapter")
    expect(body).to_contain_text("Opening paragraph of the first chapter")

    original = preview.chapter.read_text(encoding="utf-8")
    preview.chapter.write_text(
        original.replace("Opening paragraph of the first chapter", "A rewritten first sentence"),
        encoding="utf-8",
    )
    expect(body).to_contain_text("A rewritten first sentence")
    expect(body).not_to_contain_text("Opening paragraph of the first chapter")

    preview.chapter.write_text(BROKEN_YAML, encoding="utf-8")
    expect(body).to_contain_text("chapters/01-first.md:2: invalid YAML: expected ',' or ']'")
    expect(body).to_contain_text("'<stream end>'")

    preview.chapter.write_text(original, encoding="utf-8")
    expect(body).to_contain_text("Opening paragraph of the first chapter")
    expect(page.locator("h1.chapter-title")).to_have_text("Chapter 1 First Chapter")
    assert page.url == url


def test_browser_applies_a_saved_stylesheet(preview: Preview, page: Page) -> None:
    from playwright.sync_api import expect

    page.goto(preview.url("/text/second.xhtml"))
    body = page.locator("body")
    expect(body).to_have_css("background-color", "rgb(1, 2, 3)")
    page.wait_for_function(
        "[...document.fonts].some(f => f.family.includes('Charis SIL') && f.status === 'loaded')"
    )  # the served font really loads

    (preview.project / "styles" / "custom.css").write_text(
        "body { background-color: rgb(4, 5, 6) !important; }\n", encoding="utf-8"
    )
    expect(body).to_have_css("background-color", "rgb(4, 5, 6)")


def test_ctrl_c_stops_the_preview_even_when_its_shell_ignored_sigint(tmp_path: Path) -> None:
    """A background job or a test runner's worker starts the preview with SIGINT ignored,
    and Python then installs no handler: serve installs its own, so Ctrl+C still stops it."""
    project = make_book(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "msl_book", "serve", str(project), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("Serving A Tiny Test Book at "), line
        proc.send_signal(signal.SIGINT)
        # it stops (status 0) rather than running on; on a loaded machine (two test workers
        # and the preview's own PDF build) that took more than WAIT once
        assert proc.wait(timeout=PAGED_WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)


def test_browser_keeps_the_paged_views_scroll_position_across_a_rebuild(paged: Preview, page: Page) -> None:
    """The page images of a new PDF replace the old ones where the reader was."""
    from playwright.sync_api import expect

    eventually(lambda: paged.server.pages.current.pdf is not None, "the first PDF", PAGED_WAIT)
    page.set_viewport_size({"width": 900, "height": 700})
    page.goto(paged.url("/__msl-book/pages"))
    images = page.locator("img")
    expect(images.first).to_be_visible()
    count = images.count()
    assert count == len(paged.server.pages.current.sizes) > 4
    page.evaluate("window.scrollTo(0, 3000)")
    page.wait_for_function("window.scrollY === 3000")
    first_src = images.first.get_attribute("src")
    paged.chapter.write_text(paged.chapter.read_text("utf-8").replace("First Chapter", "Renamed Chapter"))
    page.wait_for_function(
        f"document.querySelector('img') && document.querySelector('img').getAttribute('src') !== {first_src!r}",
        timeout=PAGED_WAIT * 1000,
    )
    page.wait_for_function("window.scrollY === 3000")  # restored, not back at the top


def test_a_browser_that_drops_its_connection_prints_no_traceback(
    preview: Preview, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reload or a closed tab resets the connection mid-response; socketserver printed its
    traceback (between lines of dashes) in the author's terminal."""
    import socket
    import struct

    parts = urllib.parse.urlsplit(preview.server.url)
    for path in ("/", "/__msl-book/events"):
        sock = socket.create_connection((parts.hostname, parts.port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # a reset, not a goodbye
    time.sleep(0.5)
    # the server still answers, and said nothing
    with urllib.request.urlopen(preview.url("/")) as response:
        assert response.status == 200
    assert "Traceback" not in capsys.readouterr().err
