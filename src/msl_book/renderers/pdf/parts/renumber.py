"""A part laid out with some numbers, given others in place: its digits' glyphs changed.

``weasyprint_compat.page_numbers`` records, as a part is written, where each page number's
digits are in its pages' content streams and the glyphs of 0–9 there. A part laid out
with one first folio and one set of its references' pages is then the part laid out with
another, byte for byte, when every number keeps its digit count (tabular figures: nothing
moves) and, in a book whose chapters open on either side, the folios keep their parity.
``changes`` says which bytes to write; ``merge`` writes them into the joined PDF, with the
content stream compressed as pydyf compresses it. A part that cannot be changed so is laid
out again, as before.
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import pikepdf

from ....weasyprint_compat import stream_level
from ....weasyprint_compat.page_numbers import Shown
from ..pages import PageInfo
from .plan import Numbers

# page index in the part -> (byte offset in its decompressed content stream, new bytes)
Changes = dict[int, list[tuple[int, bytes]]]


def as_data(unchangeable: str, shown: list[Shown]) -> dict:
    """What the store keeps of a part's numbers (JSON)."""
    return {
        "unchangeable": unchangeable,
        "shown": [[s.page, s.key, s.value, s.style, s.offsets, s.glyphs] for s in shown],
    }


def from_data(data: object) -> tuple[str, list[Shown]] | None:
    try:
        shown = [
            Shown(int(p), str(k), int(v), str(s), list(map(int, at)), g if g is None else list(map(str, g)))
            for p, k, v, s, at, g in data["shown"]
        ]
        return str(data["unchangeable"]), shown
    except (KeyError, TypeError, ValueError):
        return None


def changes(
    numbers: dict | None,
    laid: Numbers,
    wanted: Numbers,
    own: frozenset[str] = frozenset(),
    sides_follow_folios: bool = False,
) -> Changes | None:
    """The bytes that make the part laid out with ``laid`` the part laid out with ``wanted``
    (``own``: the anchors the part holds); None when it has to be laid out again."""
    if laid == wanted:
        return {}
    parsed = from_data(numbers) if numbers is not None else None
    if parsed is None:
        return None
    unchangeable, shown = parsed
    if unchangeable or (laid.first is None) != (wanted.first is None):
        return None
    delta = 0 if laid.first is None or wanted.first is None else wanted.first - laid.first
    if delta % 2 and sides_follow_folios:
        return None  # its pages would change sides
    if not set(wanted.values) <= set(laid.values):
        return None  # (the anchors of ``laid`` but not ``wanted`` are those its pages do not show)
    found: Changes = {}
    for number in shown:
        if number.key == "":
            new = number.value + delta
        elif number.key in laid.values:
            if number.key not in wanted.values:
                return None
            new = wanted.values[number.key] + number.value - laid.values[number.key]
        elif number.key in own:  # an anchor of this very part
            new = number.value + delta
        else:  # shown with a guess the numbers do not have (a fresh layout might show none)
            return None
        if new == number.value:
            continue
        text = str(new)
        if number.glyphs is None or number.style != "decimal" or new < 0 or len(text) != len(number.offsets):
            return None
        glyphs = [g.split(":") for g in number.glyphs]
        if any(glyphs[int(a)][1] != glyphs[int(b)][1] for a, b in zip(str(number.value), text, strict=True)):
            return None  # a digit of another width
        for offset, digit in zip(number.offsets, text, strict=True):
            found.setdefault(number.page, []).append((offset, glyphs[int(digit)][0].encode()))
    return found


def relabel(pages: list[PageInfo], first: int | None) -> list[PageInfo]:
    """A part's pages with the labels of the folios from ``first`` (the body's arabic ones)."""
    if first is None:
        return pages
    return [replace(page, label=str(first + i)) for i, page in enumerate(pages)]


def apply(pdf: pikepdf.Pdf, start: int, found: Changes) -> None:
    """Write ``found`` into the pages from ``start`` of ``pdf``, the part's pages."""
    for page, edits in sorted(found.items()):
        stream = pdf.pages[start + page].obj.Contents
        data = bytearray(stream.read_bytes())
        for offset, glyph in edits:
            if len(data[offset : offset + len(glyph)]) != len(glyph):
                raise ValueError(f"page number at {offset} past the end of page {page}'s content")
            data[offset : offset + len(glyph)] = glyph
        packer = zlib.compressobj(level=stream_level.LEVEL)  # as pydyf compresses them
        stream.write(packer.compress(bytes(data)) + packer.flush(), filter=pikepdf.Name.FlateDecode)


def verify(file: object, shown: list[Shown]) -> bool:
    """Every number's digits are where they were recorded, as the glyphs of its digits."""
    with pikepdf.open(file) as pdf:
        contents: dict[int, bytes] = {}
        for number in shown:
            if number.glyphs is None:
                continue
            if number.page not in contents:
                contents[number.page] = pdf.pages[number.page].obj.Contents.read_bytes()
            data = contents[number.page]
            if len(number.offsets) != len(str(number.value)):
                return False
            for offset, digit in zip(number.offsets, str(number.value), strict=True):
                if data[offset : offset + 4] != number.glyphs[int(digit)][:4].encode():
                    return False
    return True
