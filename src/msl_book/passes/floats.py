"""Pass: a paragraph holding only an image becomes a numbered figure ("Figure 2.1" and the
image's title as its caption); a table with a ``Table: …`` (or ``: …``) paragraph next to it,
or an id, gets a numbered caption (one with neither has none, as in pandoc and Quarto)."""

from __future__ import annotations

import re

from lxml import etree

from ..document import BookModel, Kind, Section
from ..errors import Report
from ..markdown.attributes import parse as parse_attributes
from ..roles import Role
from ..xhtml import add_class, element, has_class, local, q

_CAPTION = re.compile(r"^(?:Table)?:\s")
_TRAILING_ATTRS = re.compile(r"\s*(\{[^{}]*\})\s*$")


def run(model: BookModel, report: Report) -> None:
    for section in model.sections:
        if section.body is not None and section.role is not Role.GLOSSARY:
            number(model, section)


def number(model: BookModel, section: Section) -> None:
    prefix = f"{section.number}." if section.number else ""
    flow = section.flow()
    paragraphs = [p for fragment in flow for p in fragment.root.iter(q("p"))]
    figures = 0
    for p in paragraphs:
        imgs = p.findall(q("img"))
        if len(imgs) != 1 or len(p) != 1 or (p.text or "").strip() or (imgs[0].tail or "").strip():
            continue
        figures += 1
        _figure(model, p, imgs[0], model.strings("figure-label", number=f"{prefix}{figures}"))
    tables = [table for fragment in flow for table in fragment.root.iter(q("table"))]
    count = 0
    for table in tables:
        _cells(table)
        # as pandoc and Quarto: a table with neither a caption nor an id to refer to it by has
        # no caption, and no number
        if _caption_paragraph(table) is not None or table.get("id"):
            count += 1
            _table(model, table, model.strings("table-label", number=f"{prefix}{count}"))
    equations = [
        div
        for fragment in flow
        for div in fragment.root.iter(q("div"))
        if has_class(div, "equation") and div.get("id")
    ]
    for count, div in enumerate(equations, start=1):
        number = element("span", {"class": "eq-number"}, f"({prefix}{count})")
        div.insert(0, number)  # first, so that it floats to the right of the equation's line
        _label_target(model, div, Kind.EQUATION, model.strings("equation-label", number=f"{prefix}{count}"))
    for fragment in section.fragments():
        for img in fragment.root.iter(q("img")):
            img.attrib.pop("data-caption", None)
            for child in list(img):  # a description's markup, when the image is no figure
                img.remove(child)


def _figure(model: BookModel, p: etree._Element, img: etree._Element, label: str) -> None:
    title = img.attrib.pop("title", "")
    caption = title or img.attrib.pop("data-caption", "")
    markup = img.find(q("span")) if not title else None  # the description with its links (trees)
    fig = element("figure", {"class": "figure"})
    if p.get("id"):
        fig.set("id", p.get("id"))
    elif img.get("id"):  # ![...](x.svg){#fig-x}: the id names the figure
        fig.set("id", img.attrib.pop("id"))
    for cls in p.get("class", "").split():
        add_class(fig, cls)
    fig.append(img)
    img.tail = None
    cap = element("figcaption")
    num = element("span", {"class": "label"}, label)
    cap.append(num)
    if markup is not None:
        img.remove(markup)
        num.tail = " " + (markup.text or "")
        for child in list(markup):
            cap.append(child)
    elif caption:
        num.tail = " " + caption
    for child in list(img):
        img.remove(child)
    fig.append(cap)
    p.getparent().replace(p, fig)
    _label_target(model, fig, Kind.FIGURE, label)


def _table(model: BookModel, table: etree._Element, label: str) -> None:
    caption_p = _caption_paragraph(table)
    cap = element("caption")
    num = element("span", {"class": "label"}, label)
    cap.append(num)
    if caption_p is not None:
        first = caption_p.text or ""
        caption_p.text = first.split(":", 1)[1].lstrip() if ":" in first else first
        _caption_attributes(table, caption_p)
        num.tail = " " + (caption_p.text or "")
        for child in list(caption_p):
            cap.append(child)
        caption_p.getparent().remove(caption_p)
    table.insert(0, cap)
    _label_target(model, table, Kind.TABLE, label)


def _cells(table: etree._Element) -> None:
    for cell in table.iter(q("th"), q("td")):
        style = cell.attrib.pop("style", "")
        if m := re.match(r"text-align:\s*(left|right|center)", style):
            add_class(cell, f"align-{m[1]}")
        if local(cell) == "th" and not "".join(cell.itertext()).strip() and len(cell) == 0:
            cell.tag = q("td")  # an empty corner is not a header: screen readers announce it


def _caption_paragraph(table: etree._Element) -> etree._Element | None:
    """``Table: Caption`` or pandoc's ``: Caption``, after the table or before it."""
    for sibling in (table.getnext(), table.getprevious()):
        if sibling is not None and local(sibling) == "p" and _CAPTION.match(sibling.text or ""):
            return sibling
    return None


def _caption_attributes(table: etree._Element, caption: etree._Element) -> None:
    """``Table: Caption {#tbl-x .class}``: the attributes are the table's."""
    owner, where = (caption[-1], "tail") if len(caption) else (caption, "text")
    text = getattr(owner, where) or ""
    m = _TRAILING_ATTRS.search(text)
    if not m:
        return
    try:
        length, attrs = parse_attributes(m[1])
    except ValueError:
        return
    if length != len(m[1]) - 1:
        return
    setattr(owner, where, text[: m.start()])
    for name, value in attrs.items():
        if name == "class":
            for cls in value.split():
                add_class(table, cls)
        elif name == "id" or name.startswith("data-"):
            table.set(name, value)
        else:
            table.set(f"data-{name}", value)


def _label_target(model: BookModel, el: etree._Element, kind: Kind, label: str) -> None:
    ident = el.get("id")
    if ident and ident in model.targets:
        model.targets[ident].kind = kind
        model.targets[ident].label = label
