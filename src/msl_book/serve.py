"""msl-book serve: a live HTML preview of the book that reloads itself when a source is saved.

Why it is built this way:

- The preview shows the EPUB's own XHTML documents, stylesheets, fonts and images, made by
  publication() exactly as the EPUB gets them, without the PDF layout: a rebuild is a load and
  a render, a fraction of a second even for the whole handbook.
- Every build is kept in memory and served by its publication path. Nothing is written into
  the project, and no request can reach a file that the build did not put into the publication.
- A mistake in the book is something to show, not a reason to stop: the terminal prints it as
  ``path:line: message`` and every page becomes an error page that still reloads itself, so
  the preview comes back as soon as the author saves the fix. A bug (any other exception) is
  shown the same way, with its traceback.
- The browser learns about a new build over Server-Sent Events (an EventSource, no
  dependencies). Each page carries the id of the build it came from, so a rebuild that lands
  between the page's load and its connection still reloads it.
"""

from __future__ import annotations

import functools
import hashlib
import html
import mimetypes
import posixpath
import socket
import sys
import threading
import time
import traceback
import urllib.parse
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import watchfiles

from .cover import cover_bytes, cover_name
from .errors import BookError, Diagnostic, Report
from .model import Book
from .pipeline import prepare
from .renderers.epub.publication import publication
from .theme import Theme

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

MEDIA_TYPES = {
    ".xhtml": "application/xhtml+xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}

# What a publication path serves: bytes rendered by the build, a book file read on request,
# or bytes made on first request (the generated cover takes longer than the rest of a build).
Source = bytes | Path | Callable[[], bytes]
Log = Callable[[str], None]


@dataclass(frozen=True)
class Site:
    """One build of the preview: its files by publication path, or the problems that stopped it."""

    build_id: str  # changes exactly when what the browser would show changes
    title: str | None
    files: dict[str, Source]
    error: str | None = None  # an HTML fragment that every page shows instead of the book


def render(project: Path) -> tuple[str, dict[str, Source], list[Diagnostic]]:
    """The book as the EPUB's files (title, files, warnings); raises BookError on bad input."""
    report = Report()
    prepared = prepare(project, report)
    book, theme = prepared.book, prepared.theme
    cover_name, cover = _preview_cover(book, theme)
    pub = publication(prepared.model, prepared.env, theme, (cover_name, b""), [], report)
    report.raise_if_failed()
    files: dict[str, Source] = {doc.name: doc.data for doc in pub.documents}
    files.update((f"styles/{name}", data) for name, data in pub.styles)
    files.update(pub.images)
    files[cover_name] = cover
    return book.config.title, files, report.warnings


def _preview_cover(book: Book, theme: Theme) -> tuple[str, Source]:
    """The cover image, read or drawn only if it is viewed (drawing takes longer than a rebuild)."""
    return cover_name(book), functools.cache(lambda: cover_bytes(book, theme))


def _digest(title: str | None, files: dict[str, Source], error: str | None) -> str:
    """A short id for a build: equal content gives an equal id, so a no-op save reloads nothing."""
    h = hashlib.sha256(repr((title, error)).encode())
    for name in sorted(files):
        source = files[name]
        h.update(name.encode() + b"\0")
        if isinstance(source, bytes):
            h.update(hashlib.sha256(source).digest())
        elif isinstance(source, Path):
            try:
                stat = source.stat()
                h.update(f"{source}|{stat.st_mtime_ns}|{stat.st_size}".encode())
            except OSError:
                h.update(b"missing")
    return h.hexdigest()[:16]


class _SourceFilter(watchfiles.DefaultFilter):
    """watchfiles' defaults (.git, .venv, __pycache__, editor swap files) plus the project's
    dist/ and hidden entries: outputs and tool state are not sources of the book."""

    def __init__(self, project: Path):
        super().__init__()
        self.project = project

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        try:
            parts = Path(path).relative_to(self.project).parts
        except ValueError:
            return True  # the theme's templates/ or styles/
        return not parts or (parts[0] != "dist" and not any(p.startswith(".") for p in parts))


class PreviewServer:
    """The preview: an HTTP server, a watcher and the current build, started and stopped as one.

    ``port=0`` picks a free port (see ``url``). ``log`` receives every line meant for the
    terminal, so tests can read them.
    """

    def __init__(self, project: Path, host: str = "127.0.0.1", port: int = 8000, log: Log | None = None):
        self.project = project.resolve()
        if not self.project.is_dir():
            raise NotADirectoryError("no such directory")
        self._log: Log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._site = Site("", None, {}, "<p>Starting…</p>")
        self._changed = threading.Condition()
        self._building = threading.Lock()
        self._stopping = threading.Event()
        self._watching = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="msl-book-watch", daemon=True)
        self._http = threading.Thread(  # checks every 0.1 s whether stop() was called
            target=lambda: self._httpd.serve_forever(0.1), name="msl-book-http", daemon=True
        )
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        self._httpd = server_class((host, port), _Handler)
        self._httpd.preview = self
        self.host = host
        self.loopback_only = host in LOOPBACK_NAMES or host.startswith("127.")

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{f'[{host}]' if ':' in str(host) else host}:{port}/"

    @property
    def site(self) -> Site:
        return self._site

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self, watch_timeout: float = 10.0) -> None:
        """Build, start watching and serving; returns once changes from now on will be seen."""
        self._watcher.start()
        self.rebuild()
        self._http.start()
        self._watching.wait(watch_timeout)

    def stop(self) -> None:
        """Stop watching and serving, and let every open event stream end."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        if self._http.is_alive():  # shutdown() would wait forever for a server never started
            self._httpd.shutdown()
        self._httpd.server_close()
        for thread in (self._watcher, self._http):
            if thread.is_alive():
                thread.join(timeout=5)

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def rebuild(self, changes: Iterable[str] = ()) -> Site:
        """Build the site again and, if anything a browser shows changed, tell the browsers."""
        with self._building:
            started = time.perf_counter()
            site = self._build()
            took = time.perf_counter() - started
            what = _describe(changes, self.project)
            if site.error is None:
                self._log(f"{what}{'rebuilt' if what else 'Built'} in {took:.2f} s")
            else:
                self._log(
                    f"{what}{'build' if what else 'Build'} failed ({took:.2f} s); the preview shows why"
                )
            with self._changed:
                self._site = site
                self._changed.notify_all()
            return site

    def _build(self) -> Site:
        try:
            title, files, warnings = render(self.project)
        except BookError as exc:
            return self._failed([str(d) for d in exc.diagnostics])
        except Exception:
            text = traceback.format_exc()
            self._log(text.rstrip())
            return self._failed([], text)
        for w in warnings:
            self._log(str(w))
        return Site(_digest(title, files, None), title, files)

    def _failed(self, problems: list[str], trace: str | None = None) -> Site:
        for line in problems:
            self._log(line)
        items = "".join(f"<li><code>{html.escape(p, quote=False)}</code></li>" for p in problems)
        fragment = (
            f"<h1>The book did not build</h1><ul>{items}</ul>"
            if trace is None
            else f"<h1>msl-book failed (a bug)</h1><pre>{html.escape(trace, quote=False)}</pre>"
        )
        title = self._site.title
        return Site(_digest(title, {}, fragment), title, {}, fragment)

    def wait_for_build(self, seen: str, timeout: float) -> str:
        """The current build's id, as soon as it differs from ``seen`` or after ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: self._site.build_id != seen or self.stopping, timeout)
            return self._site.build_id

    def _watch(self) -> None:
        roots = [self.project]
        default = Theme(self.project).default
        if default != self.project:
            roots += [d for d in (default / "templates", default / "styles") if d.is_dir()]
        try:
            for changes in watchfiles.watch(
                *roots,
                watch_filter=_SourceFilter(self.project),
                stop_event=self._stopping,
                step=50,  # rebuild 50 ms after the last change of a save
                rust_timeout=100,  # the first (empty) yield says the watcher is running
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                self._watching.set()
                if changes and not self.stopping:
                    self.rebuild(path for _, path in changes)
        except Exception as exc:  # the preview still serves; it just no longer reloads
            self._log(f"msl-book: watching for changes stopped: {exc}")
        finally:
            self._watching.set()


def _describe(changes: Iterable[str], project: Path) -> str:
    names = sorted(
        {Path(p).relative_to(project).as_posix() if Path(p).is_relative_to(project) else p for p in changes}
    )
    if not names:
        return ""
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{shown} changed: "


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    preview: PreviewServer


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    """Serves the current build: publication files, the reload script and the event stream."""

    server: _HTTPServer
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
            return self._send(200, MEDIA_TYPES[".js"], RELOAD_SCRIPT, head)
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
    ext = posixpath.splitext(name)[1].lower()
    return MEDIA_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _with_reload(document: bytes, build_id: str) -> bytes:
    """The document with the reload script just before </body> (kept well-formed XHTML)."""
    at = document.rfind(b"</body>")
    if at < 0:
        return document
    tag = f'<script src="{RELOAD_JS}?build={build_id}"></script>'.encode()
    return document[:at] + tag + document[at:]


def run(project: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> None:
    """``msl-book serve``: preview the book until Ctrl+C."""
    try:
        server = PreviewServer(project, host=host, port=port)
    except OSError as exc:
        print(f"msl-book: cannot serve {project}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    try:
        server.start()
        title = server.site.title or server.project.name
        print(f"Serving {title} at {server.url} (Ctrl+C to stop)", flush=True)
        if open_browser:
            webbrowser.open(server.url)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    finally:
        server.stop()
