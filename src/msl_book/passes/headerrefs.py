"""Pass: pandoc's implicit header references. ``[Heading text]``, ``[Heading text][]`` and
``[link text][Heading text]`` link to the heading (or chapter title) with that text, the
first in the book, as pandoc links them when no reference definition has that label
(labels match as pandoc's do: case and runs of spaces aside). Markdown leaves them as
text, brackets and all; text in code, links and headings is left alone, and so is a label
with formatting in it (``[Heading with **bold**]``), whose text is not one run here."""

from __future__ import annotations

import re

from lxml import etree

from ..document import BookModel
from ..errors import Report
from ..xhtml import element, local, text_segments, wrap_match
from .ids import heading_text

LINK = re.compile(r"\[([^\[\]\n]+)\](?:\[([^\[\]\n]*)\])?")
SKIP = frozenset({"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "kbd", "samp"})


def label(text: str) -> str:
    return " ".join(text.split()).casefold()


def run(model: BookModel, report: Report) -> None:
    headings: dict[str, str] = {}  # label -> id, the first of each text in the book
    for section in model.authored:
        headings.setdefault(label(section.title), section.id)
        body = section.source.body
        for tok in body.headings:
            headings.setdefault(label(heading_text(body, tok)), str(tok.attrs["id"]))
    if not headings:
        return
    for section in model.authored:
        for fragment in section.fragments():
            _link(fragment.root, headings)


def _skip(el: etree._Element) -> bool:
    return isinstance(el.tag, str) and local(el) in SKIP


def _link(root: etree._Element, headings: dict[str, str]) -> None:
    for owner, where in text_segments(root, _skip):
        text = getattr(owner, where) or ""
        if "[" not in text:
            continue
        for m in LINK.finditer(text):
            ident = headings.get(label(m[2] or m[1]))
            if ident is None:
                continue
            link = element("a", {"class": "xref", "href": f"#{ident}"})
            wrap_match(owner, where, m.start(), m.end(), link)
            link.text = m[1]
            break  # the rest of the run is now the link's tail, which text_segments visits next
