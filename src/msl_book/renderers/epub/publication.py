"""The publication as files: every XHTML document, stylesheet, font and image, by its path.

The EPUB packager zips these files and the live preview serves them; both get the same
documents, with doc-pagebreak markers where the PDF's pages begin when a layout is known.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import tinycss2
from jinja2 import Environment
from lxml import etree

from ... import pagemap
from ...document import BookModel
from ...errors import Report
from ...links import Links
from ...markdown.math import MATHML_NS
from ...pagemap import PageMarker
from ...templating import render_document
from ...theme import Theme
from ...xhtml import serialize_document
from ..markup import Writer
from . import content


@dataclass
class Document:
    uid: str
    name: str  # path inside the publication, e.g. "text/introduction.xhtml"
    data: bytes
    properties: list[str] = field(default_factory=list)


@dataclass
class Publication:
    documents: list[Document]  # in reading order
    styles: list[tuple[str, bytes]]  # styles-relative path -> bytes (CSS, fonts, images they use)
    images: list[tuple[str, Path]]  # "assets/<project path>" -> file
    cover: tuple[str, bytes]  # "assets/..." -> image bytes
    pages: list[dict[str, str]]  # the page-list: href and label of each printed page


def document_names(model: BookModel) -> dict[str, str]:
    """Each section's XHTML document, relative to the text/ folder."""
    return {section.id: f"{section.id}.xhtml" for section in model.sections}


def epub_writer(model: BookModel) -> Writer:
    """The EPUB's way with content: a document per chapter, images under assets/, notes at
    the end of their chapter, tables in scroll regions."""

    def image_url(rel: str) -> str | None:
        return f"../assets/{rel}" if rel in model.images else None

    return Writer(
        Links(model, document_names(model)),
        image_url,
        inline_notes=False,
        finish=lambda tree: content.finish(tree, model.strings),
    )


@dataclass
class Draft:
    """The publication before the PDF's pages are known: every document but the navigation,
    rendered and keyed for the page map, and the stylesheets with their files. Made while the
    PDF is laid out (``draft``), finished once its pages are known (``finish``)."""

    book: BookModel
    env: Environment
    context: dict[str, object]
    styles: list[tuple[str, bytes]]
    documents: list[Document]
    roots: list[etree._Element]
    templates: list[tuple[str, dict[str, object]]]  # each document's template and its own values
    consulted: list[bool]  # each document asked for printed pages (an index): rendered again


class _Pages:
    """A ``page_of`` that knows no page yet and notes that it was asked."""

    def __init__(self) -> None:
        self.asked = False

    def __call__(self, target: str) -> tuple[int, str] | None:
        self.asked = True
        return None


def draft(
    rbook: BookModel,
    env: Environment,
    theme: Theme,
    cover: tuple[str, bytes],
    report: Report,
    isbn: str | None = None,
) -> Draft:
    """Render every document of the EPUB but the navigation, without printed pages."""
    styles = stylesheet_files(theme, report)
    out = epub_writer(rbook)
    context: dict[str, object] = {
        "book": rbook,
        "config": rbook.config,
        "out": out,
        "meta": {
            "stylesheets": [f"styles/{rel}" for rel, _, _ in theme.stylesheet_texts("epub")],
            "cover_href": cover[0],
            "isbn": isbn,
        },
    }
    made = Draft(rbook, env, context, styles, [], [], [], [])

    def add(uid: str, name: str, template: str, **extra: object) -> None:
        asked = out.page_of = _Pages()
        root = render_document(env, template, **context, **extra)
        pagemap.annotate(root)
        made.roots.append(root)
        made.documents.append(Document(uid, name, b""))
        made.templates.append((template, extra))
        made.consulted.append(asked.asked)

    add("cover", "text/cover.xhtml", "epub/cover.xhtml.j2")
    add("titlepage", "text/titlepage.xhtml", "epub/titlepage.xhtml.j2")
    names = document_names(rbook)
    for ch in rbook.chapters:
        add(f"doc-{ch.id}", f"text/{names[ch.id]}", "epub/chapter.xhtml.j2", ch=ch)
    out.page_of = None
    return made


def finish(
    made: Draft,
    cover: tuple[str, bytes],
    markers: list[PageMarker],
    page_of: Callable[[str], tuple[int, str] | None] | None = None,
) -> Publication:
    """The publication, with doc-pagebreak markers where the PDF's pages begin; ``page_of``:
    the printed page of an id, when the PDF was laid out in the same run (the index's
    locators follow it). A draft is finished once."""
    rbook, env, context = made.book, made.env, made.context
    documents, roots = made.documents, made.roots
    out = context["out"]
    out.page_of = page_of
    for i, asked in enumerate(made.consulted):
        if asked:  # the index: its locators are the printed pages (or none)
            template, extra = made.templates[i]
            roots[i] = render_document(env, template, **context, **extra)
            pagemap.annotate(roots[i])
    toc_page = next((m for m in markers if m.block == "toc" and not m.continued), None)
    page_links = _with_markers(documents, roots, [m for m in markers if m is not toc_page])
    if toc_page is not None:
        page_links.insert(0, {"href": f"nav.xhtml#{pagemap.anchor(toc_page.label)}", "label": toc_page.label})
        page_links.sort(key=lambda p: [m.label for m in markers].index(p["label"]))
    nav = render_document(env, "epub/nav.xhtml.j2", **context, pages=page_links)
    if toc_page is not None:
        pagemap.place(nav.find(".//{*}nav"), toc_page.label)
    documents.insert(2, Document("nav", "text/nav.xhtml", serialize_document(nav), ["nav"]))
    images = [(f"assets/{rel}", path) for rel, path in sorted(rbook.images.items())]
    return Publication(documents, made.styles, images, cover, page_links)


def publication(
    rbook: BookModel,
    env: Environment,
    theme: Theme,
    cover: tuple[str, bytes],
    markers: list[PageMarker],
    report: Report,
    isbn: str | None = None,
    page_of: Callable[[str], tuple[int, str] | None] | None = None,
) -> Publication:
    """Render every document of the EPUB from the templates (``draft`` then ``finish``)."""
    return finish(draft(rbook, env, theme, cover, report, isbn), cover, markers, page_of)


def _with_markers(
    documents: list[Document], roots: list[etree._Element], markers: list[PageMarker]
) -> list[dict[str, str]]:
    """Put a doc-pagebreak marker where each printed page starts, write each document's
    bytes; return the page-list."""
    wanted = {m.block for m in markers} | {m.next_block for m in markers if m.next_block}
    hrefs: dict[str, str] = {}
    for doc, root in zip(documents, roots, strict=True):
        blocks = {
            key: el
            for el in root.iter()
            if isinstance(el.tag, str) and (key := el.get(pagemap.KEY)) in wanted
        }
        for m in markers:
            if m.label in hrefs or (m.block not in blocks and m.next_block not in blocks):
                continue
            block = blocks.get(m.block)
            if block is not None and not m.continued:
                pagemap.place(block, m.label)
            elif not (block is not None and pagemap.place_within(block, m.words, m.label)):
                if m.next_block not in blocks:
                    continue
                pagemap.place(blocks[m.next_block], m.label)
            hrefs[m.label] = f"{posixpath.basename(doc.name)}#{pagemap.anchor(m.label)}"
        pagemap.strip(root)
        if root.find(f".//{{{MATHML_NS}}}math") is not None:
            doc.properties = [*doc.properties, "mathml"]
        doc.data = serialize_document(root)
    return [{"href": hrefs[m.label], "label": m.label} for m in markers if m.label in hrefs]


def stylesheet_files(theme: Theme, report: Report) -> list[tuple[str, bytes]]:
    """The EPUB stylesheets and every file their url()s point at, styles-relative; the
    font files of book.yaml's fonts: under styles/book-fonts/."""
    out: dict[str, bytes] = {}
    for rel, path, text in theme.stylesheet_texts("epub"):
        out[rel] = text.encode("utf-8")
        if path is None:  # generated: its url()s are book.yaml's fonts
            continue
        for url in _css_urls(text):
            dep = posixpath.normpath(posixpath.join(posixpath.dirname(rel), url))
            found = None if dep.startswith("../") or "://" in url else theme.style(dep)
            if found is None:
                report.error(f"styles/{rel}: url({url}) must name a file in the styles directory")
                continue
            out[dep] = found.read_bytes()
    for face in theme.fonts.faces if theme.fonts else []:
        out[face.href] = face.file.read_bytes()
    return sorted(out.items())


@functools.lru_cache(maxsize=64)
def _css_urls(css: str) -> list[str]:
    """The url()s of a stylesheet (once per version of it in a live process)."""
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
