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

import tinycss2
from ebooklib import epub
from jinja2 import Environment
from lxml import etree

from .. import pagemap
from ..errors import Report
from ..html import RenderedBook
from ..pagemap import PageMarker
from ..theme import Theme
from ..xhtml import parse_document, serialize_document

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}


@dataclass
class EpubMeta:
    identifier: str
    modified: dt.datetime
    cover: tuple[str, bytes]  # (file name inside the EPUB, image bytes)
    page_source: str | None  # what the page-list's page numbers come from


def write_epub(
    rbook: RenderedBook,
    env: Environment,
    theme: Theme,
    meta: EpubMeta,
    markers: list[PageMarker],
    target: Path,
    report: Report,
) -> None:
    config = rbook.config
    styles = _stylesheets(theme, report)
    context = {
        "book": rbook,
        "config": config,
        "fmt": "epub",
        "meta": {
            "stylesheets": [f"styles/{rel}" for rel, _ in theme.stylesheets("epub")],
            "cover_href": meta.cover[0],
            "isbn": _isbn(meta.identifier),
        },
    }

    documents: list[tuple[str, str, bytes, list[str]]] = []  # (uid, file, xhtml, properties)

    def add(uid: str, name: str, template: str, **extra: object) -> None:
        xhtml = env.get_template(template).render(**context, **extra)
        documents.append((uid, name, xhtml.encode("utf-8"), []))

    add("cover", "text/cover.xhtml", "epub/cover.xhtml.j2")
    add("titlepage", "text/titlepage.xhtml", "epub/titlepage.xhtml.j2")
    for ch in rbook.chapters:
        add(f"doc-{ch.id}", ch.file_name, "epub/chapter.xhtml.j2", ch=ch)

    documents, page_links = _with_markers(documents, markers)
    nav = parse_document(env.get_template("epub/nav.xhtml.j2").render(**context, pages=page_links))
    toc_page = next((m for m in markers if m.key == "toc"), None)
    if toc_page is not None:
        pagemap.place(nav.find(".//{*}nav"), toc_page.label)
    documents.insert(2, ("nav", "text/nav.xhtml", serialize_document(nav), ["nav"]))

    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    book.set_title(config.title)
    book.set_language(config.language)
    _metadata(book, rbook, meta, bool(page_links))

    cover_name, cover_bytes = meta.cover
    cover = epub.EpubItem(
        uid="cover-image", file_name=cover_name, media_type=_media_type(cover_name), content=cover_bytes
    )
    cover.properties = ["cover-image"]
    book.add_item(cover)
    for i, (name, data) in enumerate(styles):
        book.add_item(
            epub.EpubItem(
                uid=f"style-{i}", file_name=f"styles/{name}", media_type=_media_type(name), content=data
            )
        )
    for i, (rel, path) in enumerate(sorted(rbook.images.items())):
        book.add_item(
            epub.EpubItem(
                uid=f"img-{i}",
                file_name=f"assets/{rel}",
                media_type=_media_type(rel),
                content=path.read_bytes(),
            )
        )

    items = []
    for uid, name, data, props in documents:
        item = epub.EpubItem(uid=uid, file_name=name, media_type="application/xhtml+xml", content=data)
        item.properties = props
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


def _with_markers(
    documents: list[tuple[str, str, bytes, list[str]]], markers: list[PageMarker]
) -> tuple[list[tuple[str, str, bytes, list[str]]], list[dict[str, str]]]:
    """Put a doc-pagebreak marker where each printed page starts; return the page-list."""
    by_key = {m.key: m for m in markers}
    hrefs: dict[str, str] = (
        {"toc": f"nav.xhtml#{pagemap.anchor(by_key['toc'].label)}"} if "toc" in by_key else {}
    )
    out = []
    for uid, name, data, props in documents:
        root = parse_document(data)
        pagemap.annotate(root)
        for el in list(root.iter()):
            key = el.get(pagemap.KEY) if isinstance(el.tag, str) else None
            if key in by_key and key not in hrefs:
                pagemap.place(el, by_key[key].label)
                hrefs[key] = f"{posixpath.basename(name)}#{pagemap.anchor(by_key[key].label)}"
        pagemap.strip(root)
        out.append((uid, name, serialize_document(root), props))
    pages = [{"href": hrefs[m.key], "label": m.label} for m in markers if m.key in hrefs]
    return out, pages


def _ncx_toc(rbook: RenderedBook) -> list[object]:
    entries: list[object] = []
    for ch in rbook.chapters:
        name = ch.file_name
        link = epub.Link(name, ch.full_title, f"ncx-{ch.id}")
        sections = [epub.Link(f"{name}#{h.id}", h.text, f"ncx-{h.id}") for h in ch.headings if h.level == 2]
        entries.append((link, sections) if sections and ch.role in ("chapter", "appendix") else link)
    return entries


def _metadata(book: epub.EpubBook, rbook: RenderedBook, meta: EpubMeta, has_pages: bool) -> None:
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


def accessibility(rbook: RenderedBook, has_pages: bool) -> list[tuple[str, str]]:
    """schema.org accessibility metadata that describes what this book really contains."""
    visual = bool(rbook.images)
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if visual:
        features.append("alternativeText")
    if has_pages:
        features += ["pageNavigation", "printPageNumbers"]
    if rbook.glossary is not None:
        features.append("glossary")
    features.append("ARIA")
    modes = ["textual"] + (["visual"] if visual else [])
    summary = (
        "This EPUB has a navigable table of contents, headings that mark its structure, and "
        "a logical reading order. "
        + ("Every figure has a text description. " if visual else "")
        + ("Page numbers match the printed PDF edition. " if has_pages else "")
        + "Text can be resized and restyled by the reading system. It meets WCAG 2.1 Level AA."
    )
    rows = [("schema:accessMode", mode) for mode in modes]
    rows.append(("schema:accessModeSufficient", "textual"))
    if visual:
        rows.append(("schema:accessModeSufficient", "textual,visual"))
    rows += [("schema:accessibilityFeature", f) for f in features]
    rows.append(("schema:accessibilityHazard", "none"))
    rows.append(("schema:accessibilitySummary", summary))
    rows.append(("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"))
    return rows


def _isbn(identifier: str) -> str | None:
    return identifier.removeprefix("urn:isbn:") if identifier.startswith("urn:isbn:") else None


def _media_type(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower()
    return MEDIA_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _stylesheets(theme: Theme, report: Report) -> list[tuple[str, bytes]]:
    """The EPUB stylesheets and every file their url()s point at, styles-relative."""
    out: dict[str, bytes] = {}
    for rel, path in theme.stylesheets("epub"):
        data = path.read_bytes()
        out[rel] = data
        for url in _css_urls(data.decode("utf-8")):
            dep = posixpath.normpath(posixpath.join(posixpath.dirname(rel), url))
            found = None if dep.startswith("../") or "://" in url else theme.style(dep)
            if found is None:
                report.error(f"styles/{rel}: url({url}) must name a file in the styles directory")
                continue
            out[dep] = found.read_bytes()
    return sorted(out.items())


def _css_urls(css: str) -> list[str]:
    urls: list[str] = []

    def walk(tokens: list) -> None:
        for tok in tokens:
            if tok.type == "url":
                urls.append(tok.value)
            elif tok.type == "function" and tok.lower_name == "url":
                urls.extend(a.value for a in tok.arguments if a.type == "string")
            for attr in ("content", "prelude", "arguments"):
                child = getattr(tok, attr, None)
                if isinstance(child, list):
                    walk(child)

    walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return [u for u in urls if not u.startswith(("data:", "#"))]


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
