"""msl-book serve: a live HTML preview of the book that reloads itself when a source is saved.

Three pieces, started and stopped as one by PreviewServer: the build it shows (site.py),
the HTTP server and its event stream (http.py), and the watcher that rebuilds on a save
(watch.py). Every build is kept in memory: nothing is written into the project. The
terminal gets one line per build, and the book's problems as ``path:line: message``.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import webbrowser
from collections.abc import Iterable
from pathlib import Path

from .http import LOOPBACK_NAMES, PAGES, Handler, HTTPServer, HTTPServer6
from .pages import PagedView
from .site import Log, Site, build_site
from .watch import watch


class PreviewServer:
    """The preview: an HTTP server, a watcher and the current build, started and stopped as one.

    ``port=0`` picks a free port (see ``url``). ``log`` receives every line meant for the
    terminal, so tests can read them.
    """

    def __init__(
        self,
        project: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        log: Log | None = None,
        pages: bool = True,
    ):
        self.project = project.resolve()
        if not self.project.is_dir():
            raise NotADirectoryError("no such directory")
        self._log: Log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._site = Site("", None, {}, "<p>Starting…</p>")
        self._changed = threading.Condition()
        # the PDF's pages, built after each save (pages=False: not built, for the HTML preview's tests)
        self.pages = PagedView(self.project, self._notify, self._log)
        self._paged = pages
        self._building = threading.Lock()
        self._stopping = threading.Event()
        self._watching = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="msl-book-watch", daemon=True)
        self._http = threading.Thread(  # checks every 0.1 s whether stop() was called
            target=lambda: self._httpd.serve_forever(0.1), name="msl-book-http", daemon=True
        )
        server_class = HTTPServer6 if ":" in host else HTTPServer
        self._httpd = server_class((host, port), Handler)
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
        self.pages.stop()
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
            site = build_site(self.project, self._site.title, self._log)
            took = time.perf_counter() - started
            what = describe_changes(changes, self.project)
            if site.error is None:
                self._log(f"{what}{'rebuilt' if what else 'Built'} in {took:.2f} s")
            else:
                self._log(
                    f"{what}{'build' if what else 'Build'} failed ({took:.2f} s); the preview shows why"
                )
            with self._changed:
                self._site = site
                self._changed.notify_all()
            if self._paged:
                self.pages.request()
            return site

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_for_build(self, seen: str, timeout: float, pages: bool = False) -> str:
        """The current build's id (``pages``: the paged view's), as soon as it differs from
        ``seen`` or after ``timeout``."""

        def current() -> str:
            return self.pages.current.build_id if pages else self._site.build_id

        with self._changed:
            self._changed.wait_for(lambda: current() != seen or self.stopping, timeout)
            return current()

    def _watch(self) -> None:
        watch(self.project, self._stopping, self._watching, self.rebuild, self._log)


def describe_changes(changes: Iterable[str], project: Path) -> str:
    names = sorted(
        {Path(p).relative_to(project).as_posix() if Path(p).is_relative_to(project) else p for p in changes}
    )
    if not names:
        return ""
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{shown} changed: "


def run(project: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> None:
    """``msl-book serve``: preview the book until Ctrl+C."""
    # Ctrl+C stops the preview even when the shell started it with SIGINT ignored (a
    # background job, a test runner's worker): Python then installs no handler of its own
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server = PreviewServer(project, host=host, port=port)
    except OSError as exc:
        print(f"msl-book: cannot serve {project}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    try:
        server.start()
        title = server.site.title or server.project.name
        print(f"Serving {title} at {server.url} (Ctrl+C to stop)", flush=True)
        print(f"Its PDF's pages: {server.url}{PAGES.removeprefix('/')}", flush=True)
        if open_browser:
            webbrowser.open(server.url)
        # short sleeps, not one wait without a timeout: a SIGINT that comes as the main thread
        # goes to block (CPython runs handlers between bytecodes), or that the kernel gives
        # another thread, does not wake it, and the preview ran on (1 Ctrl+C in 150, loaded)
        while True:
            time.sleep(0.25)
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    finally:
        # stopping waits for the watcher and the open requests, but not for ever: the
        # threads are daemons, so the process ends once this returns
        stopper = threading.Thread(target=server.stop, name="msl-book-stop", daemon=True)
        stopper.start()
        stopper.join(timeout=3)
