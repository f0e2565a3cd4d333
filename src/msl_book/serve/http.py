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


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    preview: PreviewServer


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
        if path == EVENTS and not head:
            seen = urllib.parse.parse_qs(url.query).get("build", [""])[0]
            return self._events(preview, seen)
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

    def _events(self, preview: PreviewServer, seen: str) -> None:
        """A Server-Sent Events stream: "reload" whenever the build differs from the page's."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not preview.stopping:
                current = preview.wait_for_build(seen, KEEPALIVE)
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
