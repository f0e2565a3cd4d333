"""The EPUB 3 renderer: the only module that imports EbookLib.

Every document is finished XHTML from the templates, handed to EbookLib as a plain
EpubItem (EpubHtml would re-parse and damage it). EbookLib writes the package, the NCX
and the zip; the zip is then rewritten so that the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ebooklib import epub
from jinja2 import Environment
from lxml import etree

from ..document import BookModel
from ..errors import Report
from ..model import isbn
from ..pagemap import PageMarker
from ..paths import IMAGE_TYPES
from ..publication import document_names, publication
from ..theme import Theme

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    **IMAGE_TYPES,
}


@dataclass
class EpubMeta:
    identifier: str
    modified: dt.datetime
    cover: tuple[str, bytes]  # (file name inside the EPUB, image bytes)
    page_source: str | None  # what the page-list's page numbers come from


def write_epub(
    rbook: BookModel,
    env: Environment,
    theme: Theme,
    meta: EpubMeta,
    markers: list[PageMarker],
    target: Path,
    report: Report,
) -> None:
    config = rbook.config
    pub = publication(rbook, env, theme, meta.cover, markers, report, isbn(meta.identifier))
    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    book.set_title(config.title)
    book.set_language(config.language)
    _metadata(book, rbook, meta, bool(pub.pages))

    cover_name, cover_bytes = pub.cover
    cover = epub.EpubItem(uid="cover-image", file_name=cover_name, media_type=_media_type(cover_name))
    cover.content = cover_bytes
    cover.properties = ["cover-image"]
    book.add_item(cover)
    for i, (name, data) in enumerate(pub.styles):
        book.add_item(epub.EpubItem(f"style-{i}", f"styles/{name}", _media_type(name), data))
    for i, (name, path) in enumerate(pub.images):
        book.add_item(epub.EpubItem(f"img-{i}", name, _media_type(name), path.read_bytes()))
    items = []
    for doc in pub.documents:
        item = epub.EpubItem(doc.uid, doc.name, "application/xhtml+xml", doc.data)
        item.properties = doc.properties
        book.add_item(item)
        items.append(item)
    book.add_item(epub.EpubNcx())
    book.toc = _ncx_toc(rbook)
    book.spine = items

    epub.write_epub(
        str(target),
        book,
        {
            "mtime": meta.modified,
            "epub3_pages": False,
            "epub3_landmark": False,
            "epub2_guide": False,
            "raise_exceptions": True,
        },
    )
    normalize_zip(target, meta.modified, config.language)


def _ncx_toc(rbook: BookModel) -> list[object]:
    entries: list[object] = []
    names = document_names(rbook)
    for ch in rbook.chapters:
        name = f"text/{names[ch.id]}"
        link = epub.Link(name, ch.full_title, f"ncx-{ch.id}")
        sections = [epub.Link(f"{name}#{h.id}", h.text, f"ncx-{h.id}") for h in ch.headings if h.level == 2]
        entries.append((link, sections) if sections and ch.role.numbered else link)
    return entries


def _metadata(book: epub.EpubBook, rbook: BookModel, meta: EpubMeta, has_pages: bool) -> None:
    config = rbook.config
    if config.subtitle:
        book.add_metadata("DC", "title", config.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    for i, author in enumerate(config.authors, start=1):
        uid = f"creator{i}"
        book.add_metadata("DC", "creator", author.name, {"id": uid})
        book.add_metadata(
            None, "meta", author.role, {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"}
        )
        if author.file_as:
            book.add_metadata(None, "meta", author.file_as, {"refines": f"#{uid}", "property": "file-as"})
    if config.publisher:
        book.add_metadata("DC", "publisher", config.publisher)
    if config.date:
        book.add_metadata("DC", "date", config.date.isoformat())
    if config.description:
        book.add_metadata("DC", "description", config.description)
    if config.rights:
        book.add_metadata("DC", "rights", config.rights)
    for subject in config.subjects:
        book.add_metadata("DC", "subject", subject)
    if has_pages and meta.page_source:
        book.add_metadata("DC", "source", meta.page_source, {"id": "print-source"})
        book.add_metadata(None, "meta", "pagination", {"refines": "#print-source", "property": "source-of"})
    for prop, value in accessibility(rbook, has_pages):
        book.add_metadata(None, "meta", value, {"property": prop})


def accessibility(rbook: BookModel, has_pages: bool) -> list[tuple[str, str]]:
    """schema.org accessibility metadata that describes what this book really contains."""
    visual = bool(rbook.images)
    described = visual and not rbook.images_without_alt  # every image has a text alternative
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if described:
        features.append("alternativeText")
    if has_pages:
        features += ["pageNavigation", "pageBreakMarkers", "printPageNumbers"]
    features.append("ARIA")
    modes = ["textual"] + (["visual"] if visual else [])
    summary = (
        "This EPUB has a navigable table of contents, headings that mark its structure, and "
        "a logical reading order. "
        + ("Every figure has a text description. " if described else "")
        + ("Some images have no text description. " if visual and not described else "")
        + ("Page numbers match the printed PDF edition. " if has_pages else "")
        + "Text can be resized and restyled by the reading system."
        + (" It meets WCAG 2.1 Level AA." if described or not visual else "")
    )
    rows = [("schema:accessMode", mode) for mode in modes]
    if not visual or described:
        rows.append(("schema:accessModeSufficient", "textual"))
    if visual:
        rows.append(("schema:accessModeSufficient", "textual,visual"))
    rows += [("schema:accessibilityFeature", f) for f in features]
    rows.append(("schema:accessibilityHazard", "none"))
    rows.append(("schema:accessibilitySummary", summary))
    if described or not visual:  # an image without a text alternative fails WCAG 1.1.1
        rows.append(("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"))
    return rows


def _media_type(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower()
    return MEDIA_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def normalize_zip(path: Path, when: dt.datetime, language: str) -> None:
    """Rewrite the EPUB so equal inputs give equal bytes: mimetype first and stored, then
    entries in a fixed order with a fixed time and mode. Adds xml:lang to the package."""
    stamp = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    order = {"mimetype": 0, "META-INF/container.xml": 1, "EPUB/content.opf": 2}
    entries.sort(key=lambda e: (order.get(e[0], 3), e[0]))
    tmp = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(tmp, "w") as dst:
        for name, data in entries:
            if name.endswith("content.opf"):
                data = _package_lang(data, language)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(info, data, compresslevel=9 if name != "mimetype" else None)
    tmp.replace(path)


def _package_lang(opf: bytes, language: str) -> bytes:
    root = etree.fromstring(opf)
    root.set(XML_LANG, language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
