"""Pass: pandoc's implicit header references. ``[Heading text]``, ``[Heading text][]`` and
``[link text][Heading text]`` (marked by markdown/headerrefs.py) link to the heading (or
chapter title) with that text, the first in the book, as pandoc links them when no
reference definition has that label (labels match as pandoc's do: case and runs of spaces
aside); the others stay the text they were."""

from __future__ import annotations

from markdown_it.common.utils import normalizeReference as label

from ..document import BookModel
from ..errors import Report
from ..markdown.headerrefs import CLASS
from ..xhtml import element, has_class, q, unwrap
from .ids import heading_text


def run(model: BookModel, report: Report) -> None:
    headings: dict[str, str] = {}  # label -> id, the first of each text in the book
    for section in model.authored:
        headings.setdefault(label(section.title), section.id)
        body = section.source.body
        for tok in body.headings:
            headings.setdefault(label(heading_text(body, tok)), str(tok.attrs["id"]))
    for section in model.authored:
        for fragment in section.fragments():
            for span in [s for s in fragment.root.iter(q("span")) if has_class(s, CLASS)]:
                ident = headings.get(label(span.get("data-label", "")))
                if ident is None:
                    unwrap(span)
                else:
                    link = element("a", {"class": "xref", "href": f"#{ident}"})
                    link.text, link.tail = span.get("data-text", ""), span.tail
                    span.getparent().replace(span, link)
