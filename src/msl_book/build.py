"""build(): prepare the book, run the renderers of the requested outputs, write them atomically.

The renderers run in order (each PDF edition, then the EPUB); the page map of the first PDF
is handed to the ones after it, which is how the EPUB's page-list follows the print pages.
If nothing that went into the last build with the same options has changed, its outputs are
kept and nothing is laid out.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import cache, outputs
from .errors import Diagnostic, Report, Severity

if TYPE_CHECKING:  # imported where they are used: a build that finds nothing changed needs none
    from .model import Book
    from .pipeline import Prepared
    from .renderers.base import Rendered, Renderer
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
    languages: tuple[str, ...] = ()  # editions of a translated book; () for every one
    compare: str | None = None  # the review edition's earlier version: a git revision or a directory


@dataclass(frozen=True)
class Output:
    format: str
    path: Path
    size: int
    pages: int | None = None
    edition: str | None = None


@dataclass(frozen=True)
class BuildResult:
    outputs: list[Output]
    warnings: list[Diagnostic]
    cached: bool = False  # nothing changed: the outputs of the last build were kept
    loaded: tuple[Path, ...] = ()  # what the layouts loaded besides the book's own inputs


def renderers(options: BuildOptions, book: Book) -> list[Renderer]:
    """The renderers of the requested outputs, PDFs first: the EPUB follows their pages."""
    chosen: list[Renderer] = []
    if "pdf" in options.formats:
        from .renderers.pdf import PdfRenderer, PrintRenderer

        standard = options.pdf_standard or book.config.pdf_standard
        # one layout: the print edition is the screen edition's pages with bleed and marks
        if {"screen", "print"} & set(options.editions):
            chosen.append(PdfRenderer("screen", standard, publish="screen" in options.editions))
        if "print" in options.editions:
            chosen.append(PrintRenderer())
        if "review" in options.editions:
            from .renderers.pdf.review import ReviewRenderer

            chosen.append(ReviewRenderer(options.compare or "HEAD", standard))
    if "epub" in options.formats:
        from .renderers.epub import EpubRenderer

        chosen.append(EpubRenderer())
    return chosen


def build(
    project: Path, options: BuildOptions = BuildOptions(), progress: Progress | None = None
) -> BuildResult:
    """Build the requested outputs of the book in ``project``; raises BookError on bad input
    and Failure when the outputs cannot be written."""
    project = project.resolve()
    out_dir = (options.output or project / "dist").resolve()
    key = cache.options_key(
        project,
        {
            "formats": list(options.formats),
            "editions": list(options.editions),
            "pdf_standard": options.pdf_standard,
            "strict": options.strict,
            "languages": list(options.languages),
        },
    )
    review = "review" in options.editions  # the earlier version is not among the inputs: no cache
    if not options.force and not review and (hit := cache.lookup(out_dir, key)):
        cached, warnings = hit
        return BuildResult(
            [Output(o.format, out_dir / o.name, o.size, o.pages, o.edition) for o in cached],
            [Diagnostic(w["path"], w["line"], w["message"], Severity(w["severity"])) for w in warnings],
            cached=True,
        )
    say = progress or (lambda _msg: None)
    report = Report(strict=options.strict)
    say("Reading the book")
    editions = prepare_editions(project, report, options.languages)
    result = _render(editions, options, out_dir, report, say)
    if review:
        return result
    cache.record(
        out_dir,
        key,
        sorted({file for prepared in editions for file in _inputs(prepared)} | set(result.loaded)),
        sorted({d for prepared in editions for d in _listings(prepared.book, prepared.theme)}),
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


def make_ahead(busy: Callable[[], bool]) -> None:
    """What a live process (build --watch, serve's paged view) makes while it waits for the
    next save, for the next build: the copies of the chapters' parsed tokens it takes
    (markdown.Markdown.make_spares). Stops as soon as ``busy()`` (a save came)."""
    from .markdown import shared_markdown

    shared_markdown().make_spares(busy)


def prepare_editions(project: Path, report: Report, languages: tuple[str, ...] = ()) -> list[Prepared]:
    """The book in each language asked for (``()``: its own and every translation), all
    read before anything is laid out, so that every edition's problems are reported together."""
    from .pipeline import prepare

    source = prepare(project, report, stop=False)
    config = source.book.config
    every = [getattr(config, "language", "en"), *getattr(config, "translations", {})]
    unknown = [lang for lang in languages if lang not in every]
    for lang in unknown:
        report.error(f"--language {lang}: the book has no {lang!r} edition (languages: {', '.join(every)})")
    report.raise_if_failed()
    wanted = [lang for lang in every if not languages or lang in languages]
    editions = [
        source if lang == every[0] else prepare(project, report, stop=False, language=lang) for lang in wanted
    ]
    report.items = list(dict.fromkeys(report.items))  # what the editions share is said once
    report.raise_if_failed()
    return editions


def _render(
    editions: list[Prepared], options: BuildOptions, out_dir: Path, report: Report, say: Progress
) -> BuildResult:
    from .renderers.base import Job

    rendered: list[Rendered] = []
    with outputs.staging(out_dir) as staging:
        try:
            for prepared in editions:
                job = Job(prepared, staging, report, say, reuse=not options.force)
                page_map = None  # each language's EPUB follows its own PDF's pages
                chosen = renderers(options, prepared.book)
                later = [r for r in chosen[1:] if hasattr(r, "prepare")]
                job.meanwhile.extend(functools.partial(r.prepare, job) for r in later)
                for renderer in chosen:
                    result = renderer.render(job, page_map)
                    rendered.append(result)
                    job.done.append(result)
                    report.raise_if_failed()
                    page_map = page_map or result.page_map
            for result in rendered:
                result.wait()
        finally:
            for result in rendered:
                with contextlib.suppress(Exception):
                    result.wait()  # a failed build still waits for its joins, before the files go
        published = [r for r in rendered if r.publish]
        moved = outputs.publish([r.file for r in published], out_dir)
    final = [
        Output(r.format, path, path.stat().st_size, r.pages, r.edition)
        for r, path in zip(published, moved, strict=True)
    ]
    loaded = tuple(sorted({file for r in rendered for file in r.loaded}))
    return BuildResult(final, report.warnings, loaded=loaded)


def _inputs(prepared: Prepared) -> list[Path]:
    """Every file the build read."""
    book, theme = prepared.book, prepared.theme
    files = [book.root / "book.yaml", *(ch.file for ch in book.chapters), *prepared.model.images.values()]
    files += prepared.model.citation_files  # bibliography files, a project's own CSL style
    if book.config.cover:
        files.append((book.root / book.config.cover).resolve())
    files += [face.file for face in theme.fonts.faces] if theme.fonts else []  # book.yaml's fonts:
    for directory in [*theme.template_dirs, *theme.style_dirs]:
        files += [p for p in directory.rglob("*") if p.is_file()]
    return files


def _listings(book: Book, theme: Theme) -> list[Path]:
    """Directories where a new file would change the book."""
    dirs = [theme.project / "templates", theme.project / "styles"]
    if book.config.chapters is None:
        dirs.append(book.root / "chapters")
    return dirs
