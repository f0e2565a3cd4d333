"""Pages of a laid-out book: their printed labels, where their text starts (for the EPUB's
page markers) and the PDF's /PageLabels that match the printed folios."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pydyf


@dataclass
class PageInfo:
    index: int  # 0-based physical page
    label: str  # the printed folio ("Cover", "iii", "12")
    kind: str  # cover | front | body
    blank: bool
    block: str | None = None  # key of the block the page's first line belongs to
    continued: bool = False  # that block began on an earlier page
    words: str = ""  # the first whole words printed on the page (continued blocks only)
    next_block: str | None = None  # key of the first block that begins on this page
    anchors: tuple[str, ...] = ()  # the ids of the elements that begin on this page


def page_label_ranges(pages: list[PageInfo]) -> list[tuple[int, str, object]]:
    """Where each run of page labels starts: (page index, "P" fixed label | "r" roman | "D"
    decimal, the label or the first number)."""
    ranges: list[tuple[int, str, object]] = []
    previous = None
    for page in pages:
        style = page.kind
        if style == previous and style != "cover":
            continue
        previous = style
        if style == "cover":
            ranges.append((page.index, "P", page.label))
        elif style == "front":
            ranges.append((page.index, "r", page.index + 1))
        else:
            ranges.append((page.index, "D", int(page.label)))
    return ranges


def label_finisher(pages: list[PageInfo], direction: str = "ltr") -> Callable[[object, pydyf.PDF], None]:
    nums: list[object] = []
    for index, style, value in page_label_ranges(pages):
        if style == "P":
            nums += [index, pydyf.Dictionary({"P": pydyf.String(value)})]
        else:
            nums += [index, pydyf.Dictionary({"S": f"/{style}", "St": value})]

    def finisher(document: object, pdf: pydyf.PDF) -> None:
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(nums)})
        if direction == "rtl":  # viewers show the spreads right to left
            preferences = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
            preferences["Direction"] = "/R2L"
            pdf.catalog["ViewerPreferences"] = preferences

    return finisher


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= value:
            out += letters
            n -= value
    return out


def page_infos(document: object, first_number: int | None = None, cover: str = "Cover") -> list[PageInfo]:
    """Label every page the way print.css numbers it (cover, roman front matter, arabic
    body) and find where its content starts, for the EPUB's page markers. A part of the
    body (``first_number`` given) is body throughout."""
    pages: list[PageInfo] = []
    body_start: int | None = None if first_number is None else 1 - first_number
    seen: set[str] = set()
    last_line: dict[str, str] = {}
    for i, page in enumerate(document.pages):
        box = page._page_box
        name = box.page_type.name or ""
        if body_start is None and name == "body-start":
            body_start = i
        if i == 0 and name == "cover":
            kind, label = "cover", cover
        elif body_start is None:
            kind, label = "front", _roman(i + 1)
        else:
            kind, label = "body", str(i - body_start + 1)
        info = PageInfo(i, label, kind, box.page_type.blank, anchors=tuple(page.anchors))
        lines = list(_lines(box))
        if lines:
            key, text = lines[0]
            info.block, info.continued = key, key in seen
            if info.continued:
                words = text.split()
                if last_line.get(key, "").endswith(HYPHENS) and words:
                    words = words[1:]  # the first word's start was on the previous page
                info.words = " ".join(words[:6])
        for key, text in lines:
            if key not in seen:
                seen.add(key)
                info.next_block = info.next_block or key
            last_line[key] = text
        pages.append(info)
    return pages


HYPHENS = ("\u2010", "-", "\u00ad")


PSEUDO = ("::before", "::after", "::marker", "::footnote-call", "::footnote-marker")


def _lines(box: object, key: str | None = None) -> Iterator[tuple[str, str]]:
    """(block key, text) of every line in the page's flow, in order, notes and margins left
    out; generated text (bullets, "(page N)") is not part of a line's text."""
    from weasyprint.formatting_structure import boxes

    element = getattr(box, "element", None)
    if element is not None and getattr(box, "element_tag", "") and "::" not in box.element_tag:
        key = element.get("data-pb") or key
    if isinstance(box, boxes.LineBox):
        if key is not None:
            yield key, _line_text(box)
        return
    if isinstance(box, boxes.ReplacedBox) and key is not None:
        yield key, ""
        return
    for child in getattr(box, "children", []):
        if isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            continue
        yield from _lines(child, key)


def _line_text(box: object) -> str:
    parts: list[str] = []

    def walk(b: object) -> None:
        if any(str(getattr(b, "element_tag", "")).endswith(p) for p in PSEUDO):
            return
        if hasattr(b, "text"):
            parts.append(b.text)
        for c in getattr(b, "children", []):
            walk(c)

    walk(box)
    return re.sub(r"\s+", " ", "".join(parts)).strip()
