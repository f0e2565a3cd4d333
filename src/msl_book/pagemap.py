"""Print-page equivalence: which block starts each PDF page, and the EPUB markers for it.

Both outputs are numbered the same way: inside each page-bearing section (chapters, the
title and copyright pages) every block gets a key "<section id>.<n>" in document order,
notes excluded (they sit at the foot of the page in print and at the end of the chapter in
the EPUB). The PDF layout tells which key begins each page; the EPUB gets a pagebreak
marker in front of the element with that key.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .xhtml import element, has_class, local

BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "figure", "tr", "pre", "blockquote"}
SCOPE_CLASSES = ("chapter", "titlepage", "copyright")
NOTES = ("footnote", "footnotes")
KEY = "data-pb"
# Where a marker may not stand as a sibling, it goes inside the block instead.
NO_SPAN_CHILDREN = {"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "nav"}


@dataclass(frozen=True)
class PageMarker:
    key: str  # the block the page starts with
    label: str  # the printed page number


def anchor(label: str) -> str:
    return f"page-{label}"


def annotate(root: etree._Element) -> None:
    """Give every block inside a page-bearing section its key."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if local(el) == "nav" and el.get("id") == "toc":
            el.set(KEY, "toc")
        elif (
            local(el) in ("section", "nav") and any(has_class(el, c) for c in SCOPE_CLASSES) and el.get("id")
        ):
            counter = [0]
            _number(el, el.get("id"), counter)


def _number(el: etree._Element, scope: str, counter: list[int]) -> None:
    for child in el:
        if not isinstance(child.tag, str) or any(has_class(child, c) for c in NOTES):
            continue
        if local(child) in BLOCKS:
            counter[0] += 1
            child.set(KEY, f"{scope}.{counter[0]}")
        _number(child, scope, counter)


def strip(root: etree._Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str) and KEY in el.attrib:
            del el.attrib[KEY]


def place(target: etree._Element, label: str) -> None:
    """Insert a doc-pagebreak marker at the start of ``target``."""
    span = element(
        "span",
        {"epub:type": "pagebreak", "role": "doc-pagebreak", "id": anchor(label), "aria-label": label},
    )
    parent = target.getparent()
    if local(target) == "tr":
        cell = target[0]
        span.tail = cell.text
        cell.text = None
        cell.insert(0, span)
    elif (
        parent is not None
        and local(parent) not in NO_SPAN_CHILDREN
        and local(target) not in ("li", "dt", "dd")
    ):
        target.addprevious(span)
    else:
        span.tail = target.text
        target.text = None
        target.insert(0, span)
