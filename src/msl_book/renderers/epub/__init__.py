"""The EPUB 3 renderer: the only module that imports EbookLib.

Every document is finished XHTML from the templates (publication.py), handed to EbookLib as
a plain EpubItem (EpubHtml would re-parse and damage it). EbookLib writes the package, the
NCX and the zip; the zip is then rewritten so that the same input gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ebooklib import epub

from ...cover import cover_bytes, cover_name
from ...document import BookModel
from ...links import Links
from ...media import media_type
from ...model import isbn
from ...pagemap import PageMap
from ..base import Job, Rendered
from .archive import Head, head, normalize_zip
from .fontsubset import subset_book_fonts, used_characters
from .metadata import metadata
from .publication import Draft, document_names, draft, finish


@dataclass
class _Prepared:
    """What ``EpubRenderer.prepare`` made while the PDF was laid out."""

    cover: tuple[str, bytes]
    draft: Draft
    characters: set[str]  # of the draft's documents: the book fonts below were cut to them
    styles: list[tuple[str, bytes]]  # the stylesheets and their files, book fonts subset
    images: dict[str, bytes]  # "assets/..." -> bytes
    start: Head  # the zip's start: mimetype, stylesheets, fonts, images, cover


@dataclass(frozen=True)
class EpubRenderer:
    def prepare(self, job: Job) -> None:
        """Make what does not depend on the PDF's pages (every document but the navigation,
        the fonts, the zip's compressed stylesheets, fonts and images), while the PDF is laid
        out in other processes."""
        model = job.model
        cover = (cover_name(model.book), cover_bytes(model.book, job.theme))
        made = draft(model, job.env, job.theme, cover, job.report, isbn(job.identifier))
        characters = used_characters(made.roots)
        styles = subset_book_fonts(made.styles, job.theme.fonts, characters)
        images = {
            f"assets/{rel}": model.image_data.get(rel) or path.read_bytes()
            for rel, path in sorted(model.images.items())
        }
        files = {f"EPUB/styles/{name}": data for name, data in styles}
        files |= {f"EPUB/{name}": data for name, data in [*images.items(), cover]}
        job.drafts["epub"] = _Prepared(cover, made, characters, styles, images, head(files, job.modified))

    def render(self, job: Job, page_map: PageMap | None) -> Rendered:
        model = job.model
        config = model.config
        job.say("Packaging the EPUB")
        target = job.staging / f"{job.name}.epub"
        ready = job.drafts.pop("epub", None)
        if ready is None:
            self.prepare(job)
            ready = job.drafts.pop("epub")
        markers = page_map.markers if page_map else []
        page_of = page_map.page_of if page_map else None
        pub = finish(ready.draft, ready.cover, markers, page_of)
        job.report.raise_if_failed()
        book = epub.EpubBook()
        book.set_identifier(job.identifier)
        book.set_title(config.title)
        book.set_language(config.language)
        if model.strings.direction == "rtl":
            book.set_direction("rtl")  # the spine's page-progression-direction: pages turn leftwards
        metadata(book, model, page_map if pub.pages else None)

        name, data = pub.cover
        image = epub.EpubItem(uid="cover-image", file_name=name, media_type=media_type(name))
        image.content = data
        image.properties = ["cover-image"]
        book.add_item(image)
        styles = ready.styles
        if (characters := used_characters(pub.documents)) != ready.characters:
            styles = subset_book_fonts(pub.styles, job.theme.fonts, characters)  # the index added some
        for i, (name, data) in enumerate(styles):
            book.add_item(epub.EpubItem(f"style-{i}", f"styles/{name}", media_type(name), data))
        for i, (name, data) in enumerate(ready.images.items()):
            book.add_item(epub.EpubItem(f"img-{i}", name, media_type(name), data))
        items = []
        for doc in pub.documents:
            item = epub.EpubItem(doc.uid, doc.name, "application/xhtml+xml", doc.data)
            item.properties = doc.properties
            book.add_item(item)
            items.append(item)
        book.add_item(epub.EpubNcx())
        book.toc = _ncx_toc(model)
        book.spine = items
        options = {
            "mtime": job.modified,
            "epub3_pages": False,
            "epub3_landmark": False,
            "epub2_guide": False,
            "raise_exceptions": True,
            "compresslevel": 0,  # normalize_zip rewrites (and compresses) every entry anyway
        }
        written = io.BytesIO()  # in memory: only the normalised file touches the disk
        epub.write_epub(written, book, options)
        normalize_zip(
            written.getvalue(),
            target,
            job.modified,
            config.language,
            pub.pages,
            job.model.strings("pages"),
            ready.start,
        )
        return Rendered("epub", target)


def _ncx_toc(model: BookModel) -> list[object]:
    """The NCX's table of contents: chapters and their ## sections, linked from the package."""
    links = Links(model, {section: f"text/{name}" for section, name in document_names(model).items()})
    entries: list[object] = []
    for ch in model.chapters:
        link = epub.Link(links.href(ch.id), ch.full_title, f"ncx-{ch.id}")
        sections = [epub.Link(links.href(h.id), h.text, f"ncx-{h.id}") for h in ch.headings if h.level == 2]
        entries.append((link, sections) if sections and ch.role.numbered else link)
    return entries
