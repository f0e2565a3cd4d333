"""pandoc's AST (JSON) as our XHTML elements: what citeproc renders, into the book model.

Only what CSL styles produce is written: text, emphasis, strong, small caps, super- and
subscripts, quotes, links, spans and the few blocks of a bibliography entry. A span
without a class (pandoc's case protection, ``{PRRs}`` in BibTeX) is just its text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from ..xhtml import element

Linker = Callable[[str], dict[str, str] | None]  # pandoc href -> our <a>'s attributes, or None: no link
QUOTES = {"DoubleQuote": ("\u201c", "\u201d"), "SingleQuote": ("\u2018", "\u2019")}
TAGS = {
    "Emph": ("em", None),
    "Strong": ("strong", None),
    "Underline": ("u", None),
    "Strikeout": ("s", None),
    "Superscript": ("sup", None),
    "Subscript": ("sub", None),
    "SmallCaps": ("span", "smallcaps"),
}


def text_of(inlines: list[dict[str, Any]]) -> str:
    """The plain text of pandoc inlines."""
    out: list[str] = []
    for node in inlines:
        kind, content = node["t"], node.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in TAGS:
            out.append(text_of(content))
        elif kind == "Quoted":
            left, right = QUOTES[content[0]["t"]]
            out.append(left + text_of(content[1]) + right)
        elif kind in ("Span", "Link", "Cite"):
            out.append(text_of(content[1]))
        elif kind in ("Code", "Math"):
            out.append(content[-1])
    return "".join(out)


def _add_text(parent: etree._Element, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def append_inlines(parent: etree._Element, inlines: list[dict[str, Any]], link: Linker) -> None:
    """Append pandoc ``inlines`` to ``parent`` as XHTML."""
    for node in inlines:
        kind, content = node["t"], node.get("c")
        if kind == "Str":
            _add_text(parent, content)
        elif kind in ("Space", "SoftBreak"):
            _add_text(parent, " ")
        elif kind == "LineBreak":
            parent.append(element("br"))
        elif kind in TAGS:
            tag, klass = TAGS[kind]
            child = element(tag, {"class": klass} if klass else None)
            parent.append(child)
            append_inlines(child, content, link)
        elif kind == "Quoted":
            left, right = QUOTES[content[0]["t"]]
            _add_text(parent, left)
            append_inlines(parent, content[1], link)
            _add_text(parent, right)
        elif kind == "Span":
            (_, classes, _), body = content
            if classes:
                child = element("span", {"class": " ".join(classes)})
                parent.append(child)
                append_inlines(child, body, link)
            else:
                append_inlines(parent, body, link)
        elif kind == "Link":
            _, body, (href, _) = content
            attrs = link(href)
            if attrs is None:
                append_inlines(parent, body, link)
            else:
                child = element("a", attrs)
                parent.append(child)
                append_inlines(child, body, link)
        elif kind == "Cite":
            append_inlines(parent, content[1], link)
        elif kind == "Code":
            parent.append(element("code", None, content[1]))
        elif kind == "Math":
            _add_text(parent, content[1])
        # Image, Note, RawInline: CSL styles make none of them


def append_blocks(parent: etree._Element, blocks: list[dict[str, Any]], link: Linker) -> None:
    """The blocks of a bibliography entry: paragraphs run on as inline content; a block
    (``csl-block``, ``csl-indent``) becomes a div."""
    for i, node in enumerate(blocks):
        kind, content = node["t"], node.get("c")
        if i:
            _add_text(parent, " ")
        if kind in ("Para", "Plain"):
            append_inlines(parent, content, link)
        elif kind == "Div":
            (_, classes, _), body = content
            child = element("span", {"class": " ".join(classes)} if classes else None)
            parent.append(child)
            append_blocks(child, body, link)
