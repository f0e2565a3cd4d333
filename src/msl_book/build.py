"""build(): load, render, lay out once, write every output atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .cover import cover_bytes, cover_name
from .errors import BookError, Diagnostic, Report
from .html import RenderedBook, render_book
from .loader import load_book
from .markdown import slugify
from .model import Book
from .pagemap import PageMarker
from .templating import environment
from .theme import Theme

FORMATS = ("pdf", "epub")
EDITIONS = ("screen", "print")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = FORMATS
    editions: tuple[str, ...] = ("screen",)
    output: Path | None = None
    strict: bool = False
    pdf_standard: str | None = None


@dataclass(frozen=True)
class BuildResult:
    outputs: list[Output]
    warnings: list[Diagnostic]


@dataclass(frozen=True)
class Output:
    format: str
    path: Path
    size: int
    pages: int | None = None
    edition: str | None = None


def load(project: Path, report: Report) -> tuple[Book, RenderedBook]:
    """Everything that can be known without laying out a page; raises BookError."""
    book = load_book(project, report)
    if book is None:
        report.raise_if_failed()
        raise BookError(report.items)  # pragma: no cover - load_book reports why it failed
    rbook = render_book(book, report)
    report.raise_if_failed()
    return book, rbook


def output_name(book: Book) -> str:
    return book.config.output or slugify(book.config.title)


def identifier(book: Book) -> str:
    config = book.config
    if config.identifier:
        return config.identifier
    seed = "|".join(["msl-book", config.title, *(a.name for a in config.authors), config.language])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def modified_time(book: Book, report: Report) -> dt.datetime:
    """SOURCE_DATE_EPOCH if set, else the book's date, else a fixed date: never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        if re.fullmatch(r"\d+", epoch.strip()):
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        report.error(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}")
    if book.config.date:
        return dt.datetime.combine(book.config.date, dt.time(0), dt.UTC)
    return dt.datetime(1980, 1, 1, tzinfo=dt.UTC)


def build(
    project: Path, options: BuildOptions = BuildOptions(), progress: Progress | None = None
) -> BuildResult:
    """Build the requested outputs of the book in ``project``; raises BookError on bad input."""
    say = progress or (lambda _msg: None)
    project = project.resolve()
    report = Report(strict=options.strict)
    say("Reading the book")
    book, rbook = load(project, report)
    theme = Theme(project)
    env = environment(theme)
    when = modified_time(book, report)
    report.raise_if_failed()
    out_dir = (options.output or project / "dist").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    name = output_name(book)
    ident = identifier(book)

    staging = Path(tempfile.mkdtemp(prefix=".msl-book-", dir=out_dir))
    try:
        outputs: list[Output] = []
        markers: list[PageMarker] = []
        if "pdf" in options.formats:
            from .renderers import pdf

            standard = options.pdf_standard or book.config.pdf_standard
            for edition in options.editions:
                say(f"Laying out the {edition} edition")
                html = pdf.print_html(rbook, env, _print_meta(book, when, edition))
                layout = pdf.lay_out(html, project, theme, book.config.page_size, edition, report, say)
                report.raise_if_failed()
                file = staging / (f"{name}.pdf" if edition == "screen" else f"{name}-{edition}.pdf")
                say(f"Writing {file.name}")
                pdf.write_pdf(
                    layout, file, standard, hashlib.md5(ident.encode()).hexdigest().encode(), report
                )
                pdf.check_fonts(layout, theme, report)
                report.raise_if_failed()
                outputs.append(Output("pdf", file, file.stat().st_size, len(layout.pages), edition))
                if not markers:
                    markers = [
                        PageMarker(p.label, p.block, p.continued, p.words, p.next_block)
                        for p in layout.pages
                        if p.block and p.kind != "cover" and not p.blank
                    ]
        if "epub" in options.formats:
            from .renderers import epub

            say("Packaging the EPUB")
            file = staging / f"{name}.epub"
            meta = epub.EpubMeta(
                identifier=ident,
                modified=when,
                cover=(cover_name(book), cover_bytes(book, theme)),
                page_source=_page_source(book) if markers else None,
            )
            epub.write_epub(rbook, env, theme, meta, markers, file, report)
            report.raise_if_failed()
            outputs.append(Output("epub", file, file.stat().st_size))
        final = []
        for out in outputs:
            dest = out_dir / out.path.name
            os.replace(out.path, dest)
            final.append(Output(out.format, dest, out.size, out.pages, out.edition))
        return BuildResult(final, report.warnings)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _print_meta(book: Book, when: dt.datetime, edition: str) -> dict[str, object]:
    config = book.config
    cover_url = (book.root / config.cover).resolve().as_uri() if config.cover else None
    return {
        "generator_version": __version__,
        "created": config.date.isoformat() if config.date else None,
        "modified": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "edition": edition,
        "cover_url": cover_url,
        "isbn": identifier(book).removeprefix("urn:isbn:")
        if identifier(book).startswith("urn:isbn:")
        else None,
    }


def _page_source(book: Book) -> str:
    config = book.config
    version = f", version {config.version}" if config.version else ""
    return f"{config.title} (PDF edition{version})"
