"""What the EPUB does to content for small screens: each table sits in a region that
scrolls sideways when the table is wider than the screen (a phone with the text at 200 %),
focusable so that a keyboard can scroll it and named after the table's caption; a display
equation is such a region itself (MathML does not break lines)."""

from __future__ import annotations

from lxml import etree

from ...xhtml import element, local, q


def finish(tree: etree._Element) -> None:
    for div in tree.iter(q("div")):
        if "equation" in div.get("class", "").split() and div.get("role") is None:
            number = div.find(q("span"))
            numbered = number is not None and "eq-number" in number.get("class", "")
            label = "".join(number.itertext()) if numbered else ""
            div.set("role", "region")
            div.set("tabindex", "0")
            div.set("aria-label", f"Equation {label}".strip())
    for table in list(tree.iter(q("table"))):
        parent = table.getparent()
        if parent is None or (local(parent) == "div" and "table-scroll" in parent.get("class", "")):
            continue
        caption = table.find(q("caption"))
        name = " ".join("".join(caption.itertext()).split()) if caption is not None else ""
        region = element("div", {"class": "table-scroll", "role": "region", "tabindex": "0"})
        region.set("aria-label", name or "Table")
        region.tail, table.tail = table.tail, None
        parent.replace(table, region)
        region.append(table)
