"""Small lxml helpers for XHTML fragments shared by both outputs.

Fragments are kept as a wrapper element in the XHTML namespace; serialising drops the
wrapper (and with it the namespace declarations) and never writes ``<span/>``, which an
HTML parser (WeasyPrint's) would read as an unclosed tag.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_WRAP_OPEN = f'<div xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}">'
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


def q(tag: str) -> str:
    """'p' -> '{http://www.w3.org/1999/xhtml}p'."""
    return f"{{{XHTML_NS}}}{tag}"


def local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_fragment(html: str) -> etree._Element:
    """Parse rendered Markdown (well-formed XHTML by construction) under a wrapper div."""
    return etree.fromstring(f"{_WRAP_OPEN}{html}</div>", _PARSER)


def serialize(wrapper: etree._Element) -> str:
    """The wrapper's content as markup that both XML and HTML parsers read the same way."""
    tree = copy.deepcopy(wrapper)
    open_empty_elements(tree)
    text = etree.tostring(tree, encoding="unicode")
    start = text.index(">") + 1
    end = text.rindex("<")
    return text[start:end]


def element(tag: str, attrs: dict[str, str] | None = None, text: str | None = None) -> etree._Element:
    el = etree.Element(q(tag), nsmap={None: XHTML_NS, "epub": EPUB_NS})
    for key, value in (attrs or {}).items():
        el.set(EPUB_TYPE if key == "epub:type" else key, value)
    el.text = text
    return el


def text_content(el: etree._Element) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def add_class(el: etree._Element, name: str) -> None:
    classes = el.get("class", "").split()
    if name not in classes:
        el.set("class", " ".join([*classes, name]))


def has_class(el: etree._Element, name: str) -> bool:
    return name in el.get("class", "").split()


def text_segments(
    root: etree._Element, skip: Callable[[etree._Element], bool]
) -> Iterator[tuple[etree._Element, str]]:
    """Yield (element, 'text' | 'tail') for every text run in document order.

    Runs inside elements for which ``skip`` is true are not visited. The caller may split a
    run by inserting an element after it; the inserted element's tail is visited next.
    """

    def walk(el: etree._Element) -> Iterator[tuple[etree._Element, str]]:
        if not skip(el):
            yield el, "text"
            child = el[0] if len(el) else None
            while child is not None:
                yield from walk(child)
                yield child, "tail"
                child = child.getnext()

    yield from walk(root)


def wrap_match(owner: etree._Element, where: str, start: int, end: int, new: etree._Element) -> None:
    """Move characters [start:end) of owner's text or tail into ``new`` placed at that spot."""
    text = getattr(owner, where) or ""
    if where == "text":
        owner.insert(0, new)
    else:
        parent = owner.getparent()
        parent.insert(parent.index(owner) + 1, new)
    new.text = text[start:end]
    new.tail = text[end:]
    setattr(owner, where, text[:start])


def unwrap(el: etree._Element) -> None:
    """Replace ``el`` by its content."""
    parent = el.getparent()
    at = parent.index(el)
    previous = parent[at - 1] if at else None
    text = el.text or ""
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    children = list(el)
    if children:
        children[-1].tail = (children[-1].tail or "") + (el.tail or "")
    elif previous is not None:
        previous.tail = (previous.tail or "") + (el.tail or "")
    else:
        parent.text = (parent.text or "") + (el.tail or "")
    parent.remove(el)
    for i, child in enumerate(children):
        parent.insert(at + i, child)


def open_empty_elements(root: etree._Element) -> None:
    """Write ``<span></span>``, not ``<span/>``, for every empty non-void element."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.text is None and len(el) == 0 and local(el) not in VOID:
            el.text = ""


def parse_document(data: bytes | str) -> etree._Element:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return etree.fromstring(data, _PARSER)


def serialize_document(root: etree._Element, xml_declaration: bool = True) -> bytes:
    """A whole XHTML document, with the HTML5 doctype."""
    open_empty_elements(root)
    return etree.tostring(root, xml_declaration=xml_declaration, encoding="utf-8", doctype="<!DOCTYPE html>")
