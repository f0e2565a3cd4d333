"""The PDF renderer: the print HTML laid out by WeasyPrint, in one piece or in parts.

Each edition is one renderer (screen, or print with bleed and crop marks). It hands on the
page map of its layout (which block starts each printed page) for the EPUB's page-list.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ... import cache, doccontrol
from ...document import BookModel
from ...fonts import check_characters, font_faces
from ...index_terms import Mark
from ...model import Book, isbn
from ...pagemap import PageMap, PageMarker
from ..base import Job, Rendered
from .html import print_html, print_meta
from .pages import PageInfo
from .printed import derive

if TYPE_CHECKING:
    from ...theme import Theme
    from . import layout as pdf_layout
    from . import parts

# WeasyPrint (``layout``, ``parts``) is imported by ``render`` only: ``msl-book check`` renders
# the print templates (``html``) without loading it, 0.6 s of the command's time.

STORE = ".msl-book-parts"  # in the output directory: laid-out parts a rebuild may reuse
LayOut = Callable[[str, Path, bool], "pdf_layout.PrintLayout"]  # html, target, final -> layout


@dataclass(frozen=True)
class PrintRenderer:
    """The print edition: the screen edition's file with bleed and crop marks (printed.py),
    so the book is laid out once for both."""

    edition: str = "print"

    def render(self, job: Job, page_map: PageMap | None) -> Rendered:
        screen = next(r for r in job.done if r.format == "pdf" and r.edition == "screen")
        screen.wait()  # a long book's parts are joined in another process
        file = job.staging / f"{job.name}-print.pdf"
        job.say(f"Writing {file.name}")
        derive(screen.file, file, full_bleed={0})  # the first page is the cover, typeset or an image
        return Rendered("pdf", file, screen.pages, self.edition, screen.page_map)


@dataclass(frozen=True)
class PdfRenderer:
    edition: str  # screen (a print edition is made from it)
    standard: str  # ua-1 | a-3u | none
    publish: bool = True  # False: laid out only for the print edition

    def file_name(self, name: str) -> str:
        return f"{name}.pdf" if self.edition == "screen" else f"{name}-{self.edition}.pdf"

    def _with_index(
        self, model: BookModel, job: Job, meta: dict, html: str, file: Path, lay_out: LayOut
    ) -> pdf_layout.PrintLayout:
        """The index's locators are the pages of its marks, which only a layout knows: lay the
        book out once with numbered locators, then again with the pages (merged into ranges).
        The index is the last section, so the pages before it do not change; should they, the
        book is laid out once more."""
        assert model.index is not None
        marks = model.index.marks
        scratch = file.with_name(f".{file.stem}-index-pass.pdf")
        layout = lay_out(html, scratch, False)
        layout.written()
        scratch.unlink(missing_ok=True)
        pages = _marks_pages(marks, layout.pages)
        for _ in range(2):
            job.say("Laying out the book again with the index's page numbers")
            layout = lay_out(print_html(model, job.env, meta, pages.get), file, True)
            found = _marks_pages(marks, layout.pages)
            if found == pages:
                return layout
            layout.written()
            pages = found
        raise RuntimeError(
            "the index's page numbers did not settle: the pages before the index kept changing"
        )

    def render(self, job: Job, page_map: PageMap | None) -> Rendered:
        from . import layout as pdf_layout
        from . import parts

        model, theme, report, say = job.model, job.theme, job.report, job.say
        book = model.book
        say(f"Laying out the {self.edition} edition")
        meta = print_meta(book, job.modified, self.edition, isbn(job.identifier))
        html = print_html(model, job.env, meta)
        file = job.staging / self.file_name(job.name)
        pdf_id = hashlib.md5(job.identifier.encode()).hexdigest().encode()
        openers = (
            pdf_layout.openers_css(book.config.openers)
            + pdf_layout.direction_css(model.strings.direction)
            + model.strings.css()
            + doccontrol.watermark_css(book.config, model.strings, watermark_families(theme))
        )
        standard = self.standard
        if standard == "ua-1" and model.images_without_alt:
            # as the EPUB drops the accessibility claims an image without alt text makes false
            count = len(model.images_without_alt)
            report.warning(
                f"{file.name} is tagged but does not claim PDF/UA-1: "
                f"{count} image{'s' if count > 1 else ''} without alt text (warned above)"
            )
            standard = "none"
        settings = parts.Settings(
            book.root,
            theme,
            book.config.page_size,
            standard,
            pdf_id,
            openers,
            sides_follow_folios=book.config.openers == "any",
            cover_label=model.strings("cover"),
            direction=model.strings.direction,
            language=book.config.language,
        )

        store = parts.PartStore(
            job.staging.parent / STORE / job.name,
            layout_fingerprint(job, settings),
            read=job.reuse,
        )

        def lay_out(html: str, target: Path, final: bool) -> pdf_layout.PrintLayout:
            layout = parts.render(html, settings, target, report, say, store, job.meanwhile)
            if layout is None:  # short enough to lay out in one piece
                layout = pdf_layout.lay_out(
                    html,
                    book.root,
                    theme,
                    book.config.page_size,
                    report,
                    say,
                    extra_css=openers,
                    cover_label=settings.cover_label,
                )
                report.raise_if_failed()
                if final:
                    say(f"Writing {file.name}")
                    pdf_layout.write_pdf(
                        layout, target, standard, pdf_id, report, direction=settings.direction
                    )
            return layout

        if model.index is None:
            layout = lay_out(html, file, final=True)
        else:
            layout = self._with_index(model, job, meta, html, file, lay_out)
        store.prune()
        try:
            if pdf_layout.check_fonts(layout, theme, report):
                check_characters(book, theme, report)  # say which characters, and where
            report.raise_if_failed()
        except BaseException:
            with contextlib.suppress(Exception):
                layout.written()  # a long book's parts are still being joined: not past this build
            raise
        markers = [
            PageMarker(p.label, p.block, p.continued, p.words, p.next_block)
            for p in layout.pages
            if p.block and p.kind != "cover" and not p.blank
        ]
        page_map = PageMap(markers, page_source(book), anchors_of(layout.pages))
        loaded = tuple(Path(name) for name in sorted(layout.files))
        return Rendered(
            "pdf", file, len(layout.pages), self.edition, page_map, layout.written, self.publish, loaded
        )


def layout_fingerprint(job: Job, settings: parts.Settings) -> str:
    """What every part's layout depends on besides its HTML, its numbers and the files it
    loads (which the store checks itself): the code, the stylesheets as WeasyPrint gets them
    (strings, not files), the fonts and the page settings."""
    theme = job.theme
    digest = hashlib.sha256(cache.code_fingerprint().encode())
    for rel, _path, text in theme.stylesheet_texts("pdf"):
        digest.update(f"\0sheet {rel}\0{text}".encode())
    files = [p for directory in theme.style_dirs for p in sorted(directory.rglob("*")) if p.is_file()]
    files += [face.file for face in theme.fonts.faces] if theme.fonts else []
    for file in files:
        digest.update(f"\0file {file}\0{cache.file_digest(file)}".encode())
    shared = (settings.page_size, settings.standard, settings.extra_css, settings.sides_follow_folios)
    shared += (settings.cover_label, settings.direction, str(settings.project))
    digest.update(repr(shared).encode() + settings.identifier)
    return digest.hexdigest()


def _marks_pages(marks: list[Mark], pages: list[PageInfo]) -> dict[str, tuple[int, str]]:
    anchors = anchors_of(pages)
    return {m.target: anchors[m.target] for m in marks if m.target in anchors}


def anchors_of(pages: list[PageInfo]) -> dict[str, tuple[int, str]]:
    """Every id of the book and the page it begins on (index, printed label)."""
    found: dict[str, tuple[int, str]] = {}
    for page in pages:
        for name in page.anchors:
            found.setdefault(name, (page.index, page.label))
    return found


def watermark_families(theme: Theme) -> list[str]:
    """The headings' font stack (the book's own fonts when fonts: names them), as far as
    the stylesheets provide it: the watermark is an SVG, which knows no CSS variables."""
    provided = {family for family, _ in font_faces(theme)}
    wanted = ["Inter", "Charis SIL"]
    stack = theme.fonts.stack(wanted) if theme.fonts else wanted
    return [f for f in stack if f in provided] or sorted(provided)[:1]


def page_source(book: Book) -> str:
    """What the EPUB's page numbers come from."""
    config = book.config
    version = f", version {config.version}" if config.version else ""
    return f"{config.title} (PDF edition{version})"
