"""The preview's paged view: the PDF's pages as images, rebuilt after each save.

After each build of the preview, the PDF is built again in the background, as
``msl-book build --format pdf`` would build it, by a process of its own that stays for the
next build (``builder``: a layout forks workers, which a process with the server's threads
should not do; a live process keeps what a fresh one would make again), into the user's cache directory
(nothing is written into the project), reusing the parts an edit did not change
(renderers/pdf/parts/store.py). Saves that come while it builds are taken together by the
next build. Pages are drawn on request by PDFium (pypdfium2) and kept for
the PDF they came from; the page that shows them keeps its scroll position when a new PDF
arrives. A build that fails shows its problems instead, as the preview's other pages do.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..cache import sha256, user_cache_dir

SCALE = 1.5  # 108 dpi: sharp on a laptop screen, about 100 kB a page


@dataclass(frozen=True)
class PdfBuild:
    """One build of the paged view: its PDF and pages, or the problems that stopped it."""

    build_id: str  # changes when the pages change
    pdf: Path | None = None
    sizes: tuple[tuple[float, float], ...] = ()  # of every page, in points
    labels: tuple[str, ...] = ()  # the printed folios
    problems: tuple[str, ...] = ()
    trace: str | None = None  # a bug's traceback
    building: bool = False  # the first PDF is still being made


def cache_dir(project: Path) -> Path:
    """Where the preview of ``project`` keeps its PDF and laid-out parts."""
    key = hashlib.sha256(str(project).encode()).hexdigest()[:16]
    return user_cache_dir() / "preview" / key


@dataclass
class PagedView:
    project: Path
    changed: Callable[[], None]  # tells the event streams
    log: Callable[[str], None]
    current: PdfBuild = field(default_factory=lambda: PdfBuild("none", building=True))
    _wanted: threading.Event = field(default_factory=threading.Event)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _render: threading.Lock = field(default_factory=threading.Lock)  # PDFium is not thread-safe
    _spawn: threading.Lock = field(default_factory=threading.Lock)
    _process: subprocess.Popen | None = None
    _errors: typing.IO[str] | None = None  # the builder's standard error

    def request(self) -> None:
        """Build the PDF again (soon, or after the build that is running)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="msl-book-pages", daemon=True)
            self._thread.start()
        self._wanted.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wanted.set()
        with self._spawn:
            if (process := self._process) is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # the build and its layout workers

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopping.is_set():
                return
            self._wanted.clear()
            try:
                built = self._build()
            except Exception:  # a bug: shown in the view, which would otherwise wait for ever
                text = traceback.format_exc()
                self.log(text.rstrip())
                built = PdfBuild(_id(text), trace=text)
            if self._stopping.is_set():
                return
            self.current = built
            self.changed()

    def _build(self) -> PdfBuild:
        out = cache_dir(self.project)
        with self._spawn:
            if self._stopping.is_set():
                return self.current
            process = self._process
            if process is None or process.poll() is not None:
                command = [sys.executable, "-m", "msl_book.serve.builder", str(self.project)]
                command.append(str(out / "build"))
                env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
                if self._errors is not None:
                    self._errors.close()  # the builder before, gone
                # as long as the builder lives: read if it dies
                self._errors = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
                process = self._process = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self._errors,
                    text=True,
                    env=env,
                    start_new_session=True,
                )
        try:
            process.stdin.write("build\n")
            process.stdin.flush()
            answer = process.stdout.readline()
        except OSError:  # it died before it read the request (BrokenPipeError)
            answer = ""
        if not answer:
            process.wait()
            if self._stopping.is_set():
                return self.current
            said = self._said()
            if "Traceback" in said:  # it could not start: a bug, or a broken installation
                return PdfBuild(_id(said), trace=said)
            why = f"the PDF builder stopped with exit status {process.returncode}"
            if process.returncode is not None and process.returncode < 0:
                why = f"the PDF builder was killed by {signal.Signals(-process.returncode).name}"
            problem = f"msl-book: {why}; the next save tries again"
            return PdfBuild(_id(why + str(process.pid)), problems=(problem,))
        result = json.loads(answer)
        stdout, stderr = result["stdout"], result["stderr"]
        if result["status"] != 0:
            problems = tuple(line for line in stderr.splitlines() if line.strip())
            if any(line.startswith("Traceback") for line in problems):
                process.wait()  # a bug ends the builder: the next build starts another
                return PdfBuild(_id(stderr), trace=stderr)
            return PdfBuild(_id(stderr), problems=problems)
        # "PATH  (75.7 KB, 11 pages)": the first PDF (a translated book's own language)
        built = Path(stdout.splitlines()[0].rsplit("  (", 1)[0])
        build_id = _id(sha256(built))
        pdf = out / f"{build_id}.pdf"  # its own file: pages of the one before may still be asked for
        if not pdf.exists():
            shutil.copyfile(built, pdf)
        for old in out.glob("*.pdf"):
            if old != pdf and old != self.current.pdf:
                old.unlink(missing_ok=True)
        with self._render:
            sizes, labels = _pages(pdf)
        return PdfBuild(build_id, pdf, sizes, labels)

    def _said(self) -> str:
        """What the builder wrote to its standard error (nothing its answers carry)."""
        if self._errors is None:
            return ""
        self._errors.seek(0)
        return self._errors.read()[-20_000:]

    def png(self, build_id: str, number: int) -> bytes | None:
        """Page ``number`` (1-based) of the build ``build_id`` as PNG, None if there is none."""
        current = self.current
        if current.build_id != build_id or current.pdf is None or not 1 <= number <= len(current.sizes):
            return None
        with self._render:
            try:
                return _png(current.pdf, build_id, number)
            except Exception:  # the file went away (a newer build replaced it)
                return None


def _id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _pages(pdf: Path) -> tuple[tuple[tuple[float, float], ...], tuple[str, ...]]:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        sizes = tuple(document.get_page_size(i) for i in range(len(document)))
        labels = tuple(document.get_page_label(i) or str(i + 1) for i in range(len(document)))
    finally:
        document.close()
    return sizes, labels


@lru_cache(maxsize=64)
def _png(pdf: Path, build_id: str, number: int) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[number - 1].render(scale=SCALE).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()
