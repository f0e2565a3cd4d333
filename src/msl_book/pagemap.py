"""Print-page equivalence: which block starts each PDF page, and the EPUB markers for it.

Both outputs are numbered the same way: inside each page-bearing section (chapters, the
title and copyright pages) every block gets a key "<section id>.<n>" in document order,
notes excluded (they sit at the foot of the page in print and at the end of the chapter in
the EPUB). The PDF layout tells which key begins each page; the EPUB gets a pagebreak
marker in front of the element with that key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from .xhtml import element, has_class, local, text_segments, wrap_match

_WORD = re.compile(r"[^\W\d_]+")

BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "figure", "tr", "pre", "blockquote"}
SCOPE_CLASSES = ("chapter", "titlepage", "copyright")
NOTES = ("footnote", "footnotes")
KEY = "data-pb"
# Where a marker may not stand as a sibling, it goes inside the block instead.
NO_SPAN_CHILDREN = {"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "nav"}


@dataclass(frozen=True)
class PageMarker:
    """Where one printed page starts, in terms both outputs share."""

    label: str  # the printed page number
    block: str  # key of the block holding the page's first line
    continued: bool = False  # the block began on an earlier page: the page starts inside it
    words: str = ""  # then: the page's first whole words, to find the spot in the block
    next_block: str | None = None  # the first block that begins on the page (fallback)


@dataclass(frozen=True)
class PageMap:
    """The printed pages of one PDF edition, in order, for an output that follows them."""

    markers: list[PageMarker]
    source: str  # what the page numbers come from: "<title> (PDF edition, version 1.0)"
    anchors: dict[str, tuple[int, str]] = field(default_factory=dict)  # id -> (page index, label)

    def page_of(self, target: str) -> tuple[int, str] | None:
        """The page an element begins on: its index in the PDF and its printed label."""
        return self.anchors.get(target)


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


def marker(label: str) -> etree._Element:
    return element(
        "span",
        {"epub:type": "pagebreak", "role": "doc-pagebreak", "id": anchor(label), "aria-label": label},
    )


def place_within(block: etree._Element, words: str, label: str) -> bool:
    """Insert a marker inside ``block`` just before ``words`` (compared as letters only:
    numbers of note calls and generated text differ between the outputs). False if the words
    are not there."""
    wanted = _WORD.findall(words.lower())[:4]
    if not wanted:
        return False
    segments = [
        (owner, where)
        for owner, where in text_segments(block, lambda e: False)
        if local(owner if where == "text" else owner.getparent()) not in NO_SPAN_CHILDREN
    ]
    text = ""
    starts = []
    for owner, where in segments:
        starts.append(len(text))
        text += getattr(owner, where) or ""
    found = [m.start() for m in _WORD.finditer(text.lower())]
    tokens = [m.group() for m in _WORD.finditer(text.lower())]
    for i in range(len(tokens) - len(wanted) + 1):
        if tokens[i : i + len(wanted)] == wanted:
            offset = found[i]
            break
    else:
        return False
    for (owner, where), start in zip(segments, starts, strict=True):
        length = len(getattr(owner, where) or "")
        if start <= offset <= start + length:  # at a boundary, the earlier run: before a link, not in it
            wrap_match(owner, where, offset - start, offset - start, marker(label))
            return True
    return False  # pragma: no cover - the offset always lies in some segment


def place(target: etree._Element, label: str) -> None:
    """Insert a doc-pagebreak marker at the start of ``target``."""
    span = marker(label)
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
