"""The preview's HTTP side: publication files, the reload script and the event stream.

Nothing outside the current build can be reached: a path is served only if the build put a
file there. A page elsewhere could point a name at 127.0.0.1 (DNS rebinding), so a preview
on the loopback interface answers only requests addressed to a loopback name. The browser
learns about a new build over Server-Sent Events (an EventSource, no dependencies); each
page carries the id of the build it came from, so a rebuild that lands between the page's
load and its connection still reloads it.
"""

from __future__ import annotations

import html
import socket
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

from ..media import media_type
from .site import Source

if TYPE_CHECKING:
    from . import PreviewServer

PREFIX = "/__msl-book/"


RELOAD_JS = PREFIX + "reload.js"


EVENTS = PREFIX + "events"


PAGES = PREFIX + "pages"  # the paged view: the PDF's pages as images


PAGE = PREFIX + "page/"  # PAGE + "<build>/<number>.png"


PAGES_JS = PREFIX + "pages.js"


KEEPALIVE = 15.0  # seconds between SSE comments, which also notice browsers that went away


LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}


# Sent with a build id in the script's URL; an EventSource tells the server which build this
# page shows, and the server answers "reload" at once if a newer one exists.
RELOAD_SCRIPT = b"""// msl-book preview: reload this page whenever the book is rebuilt.
(() => {
  const build = new URL(document.currentScript.src).searchParams.get("build") || "";
  const events = new EventSource("/__msl-book/events?build=" + encodeURIComponent(build));
  events.addEventListener("reload", () => {
    events.close();
    location.reload();
  });
})();
"""


# The paged view reloads when a new PDF is built, at the same scroll position.
PAGES_SCRIPT = b"""// msl-book preview: the PDF's pages, reloaded at the same place after each build.
(() => {
  const pages = new URL(document.currentScript.src).searchParams.get("pages") || "";
  const key = "msl-book-pages-scroll";
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    window.scrollTo(0, Number(saved));
  }
  const events = new EventSource("/__msl-book/events?pages=" + encodeURIComponent(pages));
  events.addEventListener("reload", () => {
    events.close();
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  });
})();
"""


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    preview: PreviewServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that closes its connection mid-response (a reload, a closed tab) is not
        a problem: socketserver would print its traceback in the author's terminal."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # a bug: its traceback, as before


class HTTPServer6(HTTPServer):
    address_family = socket.AF_INET6


class Handler(BaseHTTPRequestHandler):
    """Serves the current build: publication files, the reload script and the event stream."""

    server: HTTPServer
    server_version = "msl-book-preview"

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal is for the book's problems, not for every request."""

    def _respond(self, head: bool) -> None:
        preview = self.server.preview
        if preview.loopback_only and not self._host_is_loopback():
            # A page elsewhere could point a name at 127.0.0.1 (DNS rebinding); don't answer it.
            return self._send(403, "text/plain; charset=utf-8", b"Forbidden\n", head)
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        if path == "/":
            self.send_response(302)
            self.send_header("Location", "/text/nav.xhtml")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == RELOAD_JS:
            return self._send(200, _media_type(RELOAD_JS), RELOAD_SCRIPT, head)
        if path == PAGES_JS:
            return self._send(200, _media_type(PAGES_JS), PAGES_SCRIPT, head)
        if path == EVENTS and not head:
            query = urllib.parse.parse_qs(url.query)
            if "pages" in query:
                return self._events(preview, query["pages"][0], pages=True)
            return self._events(preview, query.get("build", [""])[0])
        if path == PAGES:
            return self._send(200, "text/html; charset=utf-8", _pages_view(preview), head)
        if path.startswith(PAGE) and path.endswith(".png"):
            build, _, number = path.removeprefix(PAGE).removesuffix(".png").partition("/")
            png = preview.pages.png(build, int(number)) if number.isascii() and number.isdigit() else None
            if png is None:
                return self._send(404, "text/plain; charset=utf-8", b"Not found\n", head)
            return self._send(200, "image/png", png, head)
        name = path.removeprefix("/")
        site = preview.site
        if not _safe(name):
            return self._page(404, "<h1>Not found</h1>", site.build_id, head)
        if site.error is not None:
            return self._page(500, site.error, site.build_id, head)
        data = _read(site.files.get(name))
        if data is None:
            return self._page(404, f"<h1>Not found</h1><p>{html.escape(path)}</p>", site.build_id, head)
        media_type = _media_type(name)
        if media_type.startswith("application/xhtml+xml"):
            data = _with_reload(data, site.build_id)
        return self._send(200, media_type, data, head)

    def _host_is_loopback(self) -> bool:
        host = self.headers.get("Host", "")
        name = urllib.parse.urlsplit(f"//{host}").hostname or ""
        return name in LOOPBACK_NAMES or name.startswith("127.") or name == self.server.preview.host

    def _send(self, status: int, media_type: str, data: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _page(self, status: int, fragment: str, build_id: str, head: bool) -> None:
        """An HTML page of the preview's own (error, not found) that reloads with the book."""
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>msl-book preview</title>'
            "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}"
            "h1{color:#a30d0d}code,pre{font:14px/1.45 ui-monospace,monospace;white-space:pre-wrap}"
            "li{margin:.4rem 0}</style></head>"
            f"<body>{fragment}<p>Save a fix and this page reloads by itself.</p>"
            f'<script src="{RELOAD_JS}?build={build_id}"></script></body></html>\n'
        )
        self._send(status, "text/html; charset=utf-8", page.encode("utf-8"), head)

    def _events(self, preview: PreviewServer, seen: str, pages: bool = False) -> None:
        """A Server-Sent Events stream: "reload" whenever the build (``pages``: the paged
        view's) differs from the page's."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not preview.stopping:
                current = preview.wait_for_build(seen, KEEPALIVE, pages)
                if preview.stopping:
                    break
                if current != seen:
                    self.wfile.write(f"event: reload\ndata: {current}\n\n".encode())
                    seen = current
                else:
                    self.wfile.write(b": still here\n\n")
        except OSError:  # the browser closed the page
            pass


def _safe(name: str) -> bool:
    """Only plain relative paths: no '..', '.', empty or backslashed segments, no NUL."""
    parts = name.split("/")
    return (
        bool(name) and "\\" not in name and "\0" not in name and all(p not in ("", ".", "..") for p in parts)
    )


def _read(source: Source | None) -> bytes | None:
    if source is None or isinstance(source, bytes):
        return source
    if isinstance(source, Path):
        try:
            return source.read_bytes()
        except OSError:
            return None
    return source()


def _media_type(name: str) -> str:
    """As in the EPUB, with the charset of the text types."""
    found = media_type(name)
    text = found.startswith("text/") or found == "application/xhtml+xml"
    return f"{found}; charset=utf-8" if text else found


def _with_reload(document: bytes, build_id: str) -> bytes:
    """The document with the reload script just before </body> (kept well-formed XHTML)."""
    at = document.rfind(b"</body>")
    if at < 0:
        return document
    tag = f'<script src="{RELOAD_JS}?build={build_id}"></script>'.encode()
    return document[:at] + tag + document[at:]


def _pages_view(preview: PreviewServer) -> bytes:
    """The paged view: every page of the current PDF, or why there is none."""
    view = preview.pages.current
    title = html.escape(preview.site.title or preview.project.name)
    if view.pdf is not None:
        body = "".join(
            f'<img src="{PAGE}{view.build_id}/{n}.png" '
            f'width="{round(w * 4 / 3)}" height="{round(h * 4 / 3)}" '
            f'alt="Page {html.escape(label)}" title="Page {html.escape(label)}" loading="lazy"/>'
            for n, ((w, h), label) in enumerate(zip(view.sizes, view.labels, strict=True), 1)
        )
    elif view.building:
        body = "<p>Laying out the pages…</p>"
    elif view.trace is not None:
        body = f"<h1>msl-book failed (a bug)</h1><pre>{html.escape(view.trace, quote=False)}</pre>"
    else:
        items = "".join(f"<li><code>{html.escape(p, quote=False)}</code></li>" for p in view.problems)
        body = (
            f"<h1>The book did not build</h1><ul>{items}</ul>"
            "<p>Save a fix and this page reloads by itself.</p>"
        )
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>{title}: pages</title>'
        "<style>body{background:#6b6b6b;margin:0;padding:12px 0;font:16px/1.5 system-ui,sans-serif}"
        "img{display:block;margin:0 auto 12px;max-width:calc(100% - 24px);height:auto;background:#fff;"
        "box-shadow:0 1px 4px #0008}h1,p,ul{color:#fff;max-width:60rem;margin:1rem auto;padding:0 1rem}"
        "h1{color:#ffd0d0}code,pre{font:14px/1.45 ui-monospace,monospace;white-space:pre-wrap;color:#fff}"
        "</style>"
        f'</head><body>{body}<script src="{PAGES_JS}?pages={view.build_id}"></script></body></html>\n'
    )
    return page.encode("utf-8")
