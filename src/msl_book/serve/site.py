"""The build a preview shows: the book as the EPUB's files, held in memory.

The preview shows the EPUB's own XHTML documents, stylesheets, fonts and images, made by
publication() exactly as the EPUB gets them, without the PDF layout: a rebuild is a load and
a render, a fraction of a second even for the whole handbook. A mistake in the book is
something to show, not a reason to stop: the build becomes an error page that every path
shows, listing ``path:line: message``; a bug shows its traceback the same way.
"""

from __future__ import annotations

import functools
import hashlib
import html
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..cover import cover_bytes, cover_name
from ..errors import BookError, Diagnostic, Report
from ..model import Book
from ..pipeline import prepare
from ..renderers.epub.publication import publication
from ..theme import Theme

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


def build_site(project: Path, title: str | None, log: Log) -> Site:
    """Build the preview of the book in ``project``; a failed build is an error page (``title``:
    the last good build's, which the page keeps). Lines for the terminal go to ``log``."""
    try:
        built_title, files, warnings = render(project)
    except BookError as exc:
        return _failed([str(d) for d in exc.diagnostics], title, log)
    except Exception:
        text = traceback.format_exc()
        log(text.rstrip())
        return _failed([], title, log, text)
    for w in warnings:
        log(str(w))
    return Site(_digest(built_title, files, None), built_title, files)


def _failed(problems: list[str], title: str | None, log: Log, trace: str | None = None) -> Site:
    for line in problems:
        log(line)
    items = "".join(f"<li><code>{html.escape(p, quote=False)}</code></li>" for p in problems)
    fragment = (
        f"<h1>The book did not build</h1><ul>{items}</ul>"
        if trace is None
        else f"<h1>msl-book failed (a bug)</h1><pre>{html.escape(trace, quote=False)}</pre>"
    )
    return Site(_digest(title, {}, fragment), title, {}, fragment)
