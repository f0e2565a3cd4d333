"""The book as one print HTML document, for WeasyPrint.

Print's way with the model's content (``Writer``): one document, so links say ``#id``;
images by their file URL; each footnote's text at its call, which print.css floats to the
foot of the page. Every block gets its page-map key (pagemap.annotate).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment
from lxml import etree

from ... import __version__, pagemap
from ...citations.printed import print_form
from ...document import BookModel
from ...links import Links
from ...markdown.lists import HTML_TYPES
from ...model import Book
from ...passes.bidi import isolate_print
from ...paths import IMAGE_TYPES
from ...templating import render_document
from ...xhtml import q, serialize_document
from ..markup import Writer
from .math import draw_math


def print_writer(model: BookModel) -> Writer:
    """Print's way with content: one document, images by file URL, each note at its call."""

    def image_url(rel: str) -> str | None:
        data = model.print_images.get(rel) or model.image_data.get(rel)  # passes/svgtext.py, bitmaps.py
        if data is not None:
            return f"data:{IMAGE_TYPES[Path(rel).suffix.lower()]};base64,{base64.b64encode(data).decode()}"
        path = model.images.get(rel)
        return path.as_uri() if path is not None else None

    return Writer(Links(model), image_url, inline_notes=True, finish=_finish)


LIST_TYPES = {kind: style for style, kind in HTML_TYPES.items()} | {"1": "decimal"}  # <ol type> -> style


def _finish(tree: etree._Element) -> None:
    """What print does besides: math drawn, lists numbered from their start, citations
    without what only the EPUB uses."""
    draw_math(tree)
    print_form(tree)
    isolate_print(tree)
    for ol in tree.iter(q("ol")):
        styles = []
        # WeasyPrint ignores <ol start>: a list interrupted by other blocks restarted at 1
        start = ol.get("start", "")
        if start.lstrip("-").isdigit() and int(start) != 1:
            styles.append(f"counter-reset: list-item {int(start) - 1}")
            del ol.attrib["start"]  # its presentational hint would count from one less
        # <ol type="a"> and type="A" are told apart by case, which its hints do not do
        if (kind := ol.get("type", "")) in LIST_TYPES:
            styles.append(f"list-style-type: {LIST_TYPES[kind]}")
            del ol.attrib["type"]
        if styles:
            ol.set("style", "; ".join(styles))


def print_html(
    rbook: BookModel,
    env: Environment,
    meta: dict[str, object],
    page_of: Callable[[str], tuple[int, str] | None] | None = None,
) -> str:
    """The whole book as one HTML document, every block keyed for the page map; ``page_of``:
    the pages of the index's marks, from a layout (else its locators are numbered)."""
    out = print_writer(rbook)
    out.page_of, out.index_ranges = page_of, True
    root = render_document(env, "print/book.html.j2", book=rbook, config=rbook.config, out=out, meta=meta)
    pagemap.annotate(root)
    return serialize_document(root, xml_declaration=False).decode("utf-8")


def print_meta(book: Book, modified: dt.datetime, edition: str, isbn: str | None) -> dict[str, object]:
    """What the print templates need beyond the book: dates, edition, cover, generator."""
    config = book.config
    cover_url = (book.root / config.cover).resolve().as_uri() if config.cover else None
    return {
        "generator_version": __version__,
        "created": config.date.isoformat() if config.date else None,
        "modified": modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "edition": edition,
        "cover_url": cover_url,
        "isbn": isbn,
    }
