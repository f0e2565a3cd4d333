"""The NCX's page list, for reading systems that still read the EPUB 2 navigation (older
Kobo and Adobe RMSDK devices): the same pages, labels and targets as the EPUB 3 page-list,
and the page count in ``dtb:totalPageCount`` / ``dtb:maxPageNumber``; ``dtb:depth`` is the
navMap's real depth.

EbookLib writes the NCX without pages; this adds them to its bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

NCX = "http://www.daisy.org/z3986/2005/ncx/"
TEXT_DIR = "text/"  # where the page-list's documents are, from the NCX


def with_pages(
    ncx: bytes,
    pages: list[dict[str, str]],
    reading_order: Callable[[str], tuple[int, int]],
    pages_title: str = "Pages",
) -> bytes:
    """``pages``: the page-list, each page's ``href`` (relative to the text documents) and
    ``label``, in reading order; ``reading_order`` gives a target (``text/x.xhtml#id``) its
    place in the book, for the ``playOrder`` that navPoints and pageTargets share (equal
    targets, equal numbers)."""
    root = etree.fromstring(ncx)
    numbers = [int(p["label"]) for p in pages if p["label"].isdigit()]
    point = f"{{{NCX}}}navPoint"
    depth = max((len(list(p.iterancestors(point))) + 1 for p in root.iter(point)), default=0)
    head = root.find(f"{{{NCX}}}head")
    for meta in head.iterfind(f"{{{NCX}}}meta"):
        if meta.get("name") == "dtb:depth":
            meta.set("content", str(depth))
        elif not pages:
            continue
        elif meta.get("name") == "dtb:totalPageCount":
            meta.set("content", str(len(pages)))
        elif meta.get("name") == "dtb:maxPageNumber":
            meta.set("content", str(max(numbers, default=0)))
    if pages:
        _page_list(root, pages, pages_title)
    _play_order(root, reading_order)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _page_list(root: etree._Element, pages: list[dict[str, str]], title: str) -> None:
    page_list = etree.SubElement(root, f"{{{NCX}}}pageList")
    label = etree.SubElement(etree.SubElement(page_list, f"{{{NCX}}}navLabel"), f"{{{NCX}}}text")
    label.text = title
    for i, page in enumerate(pages, start=1):
        target = etree.SubElement(page_list, f"{{{NCX}}}pageTarget")
        target.set("id", f"pagetarget-{i}")
        target.set("type", "normal" if page["label"].isdigit() else "front")
        if page["label"].isdigit():
            target.set("value", page["label"])
        text = etree.SubElement(etree.SubElement(target, f"{{{NCX}}}navLabel"), f"{{{NCX}}}text")
        text.text = page["label"]
        etree.SubElement(target, f"{{{NCX}}}content").set("src", TEXT_DIR + page["href"])


def _play_order(root: etree._Element, reading_order: Callable[[str], tuple[int, int]]) -> None:
    points = [
        el
        for el in root.iter(f"{{{NCX}}}navPoint", f"{{{NCX}}}pageTarget")
        if el.find(f"{{{NCX}}}content") is not None
    ]
    places = {id(el): reading_order(el.find(f"{{{NCX}}}content").get("src", "")) for el in points}
    numbers = {place: n for n, place in enumerate(sorted(set(places.values())), start=1)}
    for el in points:
        el.set("playOrder", str(numbers[places[id(el)]]))
