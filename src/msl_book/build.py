"""build(): load, render, lay out once, write every output atomically."""

from __future__ import annotations

import contextlib
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

from . import __version__, cache
from .checks import check_characters, check_templates
from .cover import cover_bytes, cover_name
from .document import BookModel
from .errors import BookError, Diagnostic, Report, Severity
from .loader import load_book
from .markdown import slugify
from .model import Book, isbn
from .pagemap import PageMarker
from .passes import resolve
from .templating import environment
from .theme import Theme

FORMATS = ("pdf", "epub")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = FORMATS
    editions: tuple[str, ...] = ("screen",)
    output: Path | None = None
    strict: bool = False
    pdf_standard: str | None = None
    force: bool = False  # rebuild even if nothing changed since the last build


@dataclass(frozen=True)
class BuildResult:
    outputs: list[Output]
    warnings: list[Diagnostic]
    cached: bool = False  # nothing changed: the outputs of the last build were kept


@dataclass(frozen=True)
class Output:
    format: str
    path: Path
    size: int
    pages: int | None = None
    edition: str | None = None


def load(project: Path, report: Report, stop: bool = True) -> tuple[Book, BookModel]:
    """Read and render the book; raises BookError (with ``stop``, as soon as a stage failed)."""
    book = load_book(project, report)
    if book is None:
        report.raise_if_failed()
        raise BookError(report.items)  # pragma: no cover - load_book reports why it failed
    rbook = resolve(book, report)
    if stop:
        report.raise_if_failed()
    return book, rbook


@dataclass(frozen=True)
class CheckResult:
    book: Book
    rbook: BookModel
    warnings: list[Diagnostic]


def check(project: Path, strict: bool = False) -> CheckResult:
    """Everything that can be known without laying out a page, reported all at once:
    book.yaml, front matter, Markdown, ids and links, images, glossary, heading order,
    templates, stylesheets and the characters the fonts lack. Raises BookError."""
    from .publication import stylesheet_files

    report = Report(strict=strict)
    book, rbook = load(project.resolve(), report, stop=False)
    theme = Theme(book.root)
    check_templates(environment(theme), theme, report)
    stylesheet_files(theme, report)
    check_characters(book, theme, report)
    report.raise_if_failed()
    return CheckResult(book, rbook, report.warnings)


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
    """Build the requested outputs of the book in ``project``; raises BookError on bad input.

    If nothing that went into the last build with the same options has changed, its outputs
    are kept and no layout is done (``force`` rebuilds anyway)."""
    project = project.resolve()
    out_dir = (options.output or project / "dist").resolve()
    key = cache.options_key(
        {
            "formats": list(options.formats),
            "editions": list(options.editions),
            "pdf_standard": options.pdf_standard,
            "strict": options.strict,
        }
    )
    if not options.force and (hit := cache.lookup(out_dir, key)):
        outputs, warnings = hit
        return BuildResult(
            [Output(o.format, out_dir / o.name, o.size, o.pages, o.edition) for o in outputs],
            [Diagnostic(w["path"], w["line"], w["message"], Severity(w["severity"])) for w in warnings],
            cached=True,
        )
    result, inputs, listings = _build(project, out_dir, options, progress or (lambda _msg: None))
    cache.record(
        out_dir,
        key,
        inputs,
        listings,
        [
            cache.CachedOutput(o.format, o.path.name, o.size, o.pages, o.edition, cache.sha256(o.path))
            for o in result.outputs
        ],
        [
            {"path": w.path, "line": w.line, "message": w.message, "severity": w.severity.value}
            for w in result.warnings
        ],
    )
    return result


def _build(
    project: Path, out_dir: Path, options: BuildOptions, say: Progress
) -> tuple[BuildResult, list[Path], list[Path]]:
    report = Report(strict=options.strict)
    say("Reading the book")
    book, rbook = load(project, report)
    theme = Theme(project)
    env = environment(theme)
    check_templates(env, theme, report)
    when = modified_time(book, report)
    report.raise_if_failed()
    out_dir.mkdir(parents=True, exist_ok=True)
    name = output_name(book)
    ident = identifier(book)

    staging = Path(tempfile.mkdtemp(prefix=".msl-book-", dir=out_dir))
    pdfs: list[tuple[Callable[[], None], Path, int, str]] = []  # a long book's PDF may still be joined
    try:
        outputs: list[Output] = []
        markers: list[PageMarker] = []
        if "pdf" in options.formats:
            from .renderers import parts, pdf

            standard = options.pdf_standard or book.config.pdf_standard
            for edition in options.editions:
                say(f"Laying out the {edition} edition")
                html = pdf.print_html(rbook, env, _print_meta(book, when, edition))
                file = staging / (f"{name}.pdf" if edition == "screen" else f"{name}-{edition}.pdf")
                pdf_id = hashlib.md5(ident.encode()).hexdigest().encode()
                settings = parts.Settings(project, theme, book.config.page_size, edition, standard, pdf_id)
                layout = parts.render(html, settings, file, report, say)
                if layout is None:  # short enough to lay out in one piece
                    layout = pdf.lay_out(html, project, theme, book.config.page_size, edition, report, say)
                    report.raise_if_failed()
                    say(f"Writing {file.name}")
                    pdf.write_pdf(layout, file, standard, pdf_id, report)
                if pdf.check_fonts(layout, theme, report):
                    check_characters(book, theme, report)  # say which characters, and where
                report.raise_if_failed()
                pdfs.append((layout.written, file, len(layout.pages), edition))
                if not markers:
                    markers = [
                        PageMarker(p.label, p.block, p.continued, p.words, p.next_block)
                        for p in layout.pages
                        if p.block and p.kind != "cover" and not p.blank
                    ]
                del layout  # a laid-out book is most of the memory: free it before the next one
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
        for written, file, pages, edition in reversed(pdfs):
            written()
            outputs.insert(0, Output("pdf", file, file.stat().st_size, pages, edition))
        final = []
        for out in outputs:
            dest = out_dir / out.path.name
            os.replace(out.path, dest)
            final.append(Output(out.format, dest, out.size, out.pages, out.edition))
    finally:
        for written, *_ in pdfs:
            with contextlib.suppress(Exception):
                written()  # a failed build still waits for its join, before the files go
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(final, report.warnings), _inputs(book, rbook, theme), _listings(book, theme)


def _inputs(book: Book, rbook: BookModel, theme: Theme) -> list[Path]:
    """Every file the build read."""
    files = [book.root / "book.yaml", *(ch.file for ch in book.chapters), *rbook.images.values()]
    if book.config.cover:
        files.append((book.root / book.config.cover).resolve())
    for directory in [*theme.template_dirs, *theme.style_dirs]:
        files += [p for p in directory.rglob("*") if p.is_file()]
    return files


def _listings(book: Book, theme: Theme) -> list[Path]:
    """Directories where a new file would change the book."""
    dirs = [theme.project / "templates", theme.project / "styles"]
    if book.config.chapters is None:
        dirs.append(book.root / "chapters")
    return dirs


def _print_meta(book: Book, when: dt.datetime, edition: str) -> dict[str, object]:
    config = book.config
    cover_url = (book.root / config.cover).resolve().as_uri() if config.cover else None
    return {
        "generator_version": __version__,
        "created": config.date.isoformat() if config.date else None,
        "modified": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "edition": edition,
        "cover_url": cover_url,
        "isbn": isbn(identifier(book)),
    }


def _page_source(book: Book) -> str:
    config = book.config
    version = f", version {config.version}" if config.version else ""
    return f"{config.title} (PDF edition{version})"
