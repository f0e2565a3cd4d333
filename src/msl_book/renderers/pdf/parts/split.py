"""Cut the print HTML into parts: the front matter, then runs of whole chapters.

Chapters open on a recto, so a part never starts mid-page. Each part is a complete HTML
document with the book's head; a part that another follows ends with an empty marker that
opens on a recto, so that WeasyPrint adds the blank verso it would have added before the
next chapter (the marker's own page is dropped after layout).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ....xhtml import has_class, local, parse_document, serialize_document

PART_END = "msl-part-end"  # the class of a part's end marker, and the name of its page
PART_END_CSS = f".{PART_END} {{ page: {PART_END}; break-before: right; }}\n"
# A part after the first one starts mid-document: the root's top margin (the UA's 8px on
# body) belongs to the book's first page only.
PART_CONTINUED_CSS = "html, body { margin-top: 0 !important; padding-top: 0 !important; }\n"


@dataclass(frozen=True)
class Piece:
    html: str
    ids: frozenset[str]
    links: frozenset[str]
    front: bool
    chapters: tuple[str, ...]  # the titles of its chapters, for messages


def split(html: str, size: int) -> list[Piece] | None:
    """The front matter and runs of chapters of about ``size`` characters, or None when the
    book is short enough to be laid out in one piece."""
    root = parse_document(html)
    body = next(el for el in root if local(el) == "body")
    children = list(body)
    start = next((i for i, el in enumerate(children) if has_class(el, "body-start")), None)
    if start is None:
        return None
    sizes = [len("".join(el.itertext())) for el in children[start:]]
    if sum(sizes) < 2 * size:
        return None
    groups: list[list[etree._Element]] = [children[:start]]
    current: list[etree._Element] = []
    filled = 0
    for element, chars in zip(children[start:], sizes, strict=True):
        if current and filled + chars / 2 > size:
            groups.append(current)
            current, filled = [], 0
        current.append(element)
        filled += chars
    groups.append(current)
    for child in children:
        body.remove(child)
    pieces = []
    for i, group in enumerate(groups):
        for element in group:
            body.append(element)
        marker = None
        if i < len(groups) - 1:
            marker = etree.SubElement(body, "div", {"class": PART_END})
        ids = frozenset(el.get("id") for el in body.iter() if el.get("id"))
        links = frozenset(href[1:] for el in body.iter() if (href := el.get("href") or "").startswith("#"))
        html_text = serialize_document(root, xml_declaration=False).decode("utf-8")
        pieces.append(Piece(html_text, ids, links, i == 0, _titles(group) if i else ("the front matter",)))
        for element in group:
            body.remove(element)
        if marker is not None:
            body.remove(marker)
    return pieces


def _titles(group: list[etree._Element]) -> tuple[str, ...]:
    titles = []
    for element in group:
        heading = next((h for h in element.iter() if has_class(h, "chapter-title")), None)
        if heading is not None:
            titles.append(heading.get("data-bookmark") or heading.get("data-title") or "")
    return tuple(t for t in titles if t)


def describe(piece: Piece) -> str:
    """'Chapter 4: Education' or 'Chapter 4: Education to Chapter 6: Trends'."""
    chapters = piece.chapters or ("chapters without titles",)
    return chapters[0] if len(chapters) == 1 else f"{chapters[0]} to {chapters[-1]}"
