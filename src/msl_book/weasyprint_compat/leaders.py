"""Speed: a leader is drawn as one text box per dot.

``layout.leader.handle_leader`` fills a ``leader(".")`` with a copy of its one-dot text box
for every dot that fits, so a contents line holds some fifty text boxes, each drawn as a text
object of its own (font, position, marked content). The 300-page benchmark book's eleven
pages of contents hold 20,600 of them: drawing and writing them was 2.1 s of the front
matter's 4.5 s, and the front matter is laid out last, alone on one core.

While the fix is installed, the dots of a left-to-right leader are kept in text boxes of up
to ``chunk(font_size)`` dots each, laid out by Pango, each at the position of its leftmost dot. The
chunks follow WeasyPrint's grid of dots, counted from the line's end, so a dot that lines up
with the dots of the lines above it still does. Runs whose dots Pango would not set side by
side (kerning, spacing) are left as they are.

Why chunks and not one box per leader: ``draw.text.draw_first_line`` writes each glyph's
adjustment as ``int(kerning)``, truncated to 1/1000 em, so within one text box the glyphs
drift from Pango's positions by up to 1/1000 em each (a run of 89 dots ended 0.4 pt short
of where it was laid out). ``chunk`` keeps that drift under ``DRIFT`` CSS px.
"""

from __future__ import annotations

from typing import Any

from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline, leader
from weasyprint.text.line_break import split_first_line

from .patch import Patch

DRIFT = 0.1  # CSS px (1/960 in): the most a dot may move from where WeasyPrint placed it
GRID = 1e-3  # CSS px: how far off WeasyPrint's grid of dots a dot may be and still count


def chunk(font_size: float) -> int:
    """How many dots one text box may hold: at most 1/1000 em of drift per dot after the first."""
    return max(1, int(DRIFT * 1000 / font_size) + 1)


def _layout(first: Any, count: int, context: Any) -> Any | None:
    """Pango's layout of ``count`` dots, or None if it would not set them side by side."""
    text = first.text * count
    layout, length, _resume, width, _height, _baseline = split_first_line(
        text, first.style, context, None, first.justification_spacing, is_line_start=False
    )
    if length != len(text.encode()) or abs(width - first.width * count) > GRID:
        return None
    return layout


def _chunked(dots: tuple[Any, ...], end: float, context: Any) -> tuple[Any, ...] | None:
    """The dots in boxes of up to ``chunk`` dots, or None to leave them as they are."""
    first = dots[0]
    if not all(isinstance(d, boxes.TextBox) and d.text == first.text for d in dots):
        return None
    step = first.width
    size = chunk(first.style["font_size"])
    groups: dict[int, list[Any]] = {}
    for dot in dots:
        place = (end - dot.position_x) / step  # 1 for the dot at the line's end
        slot = round(place)
        if slot < 1 or abs(place - slot) * step > GRID:
            return None  # not WeasyPrint's grid: leave the leader alone
        groups.setdefault((slot - 1) // size, []).append(dot)
    layouts: dict[int, Any] = {}
    joined = []
    for _group, members in sorted(groups.items()):  # right to left, in WeasyPrint's order
        members.sort(key=lambda d: d.position_x)
        count = len(members)
        if count == 1:
            joined.append(members[0])
            continue
        if count not in layouts:
            layouts[count] = _layout(first, count, context)
        layout = layouts[count]
        if layout is None:
            return None
        box = members[0].copy_with_text(first.text * count)
        box.pango_layout = layout
        box.width = step * count
        joined.append(box)
    return tuple(joined)


def _handle_leader(original: Any) -> Any:
    def handle_leader(context: Any, line: Any, containing_block: Any) -> None:
        # called for every line of the book: the lines without a leader, which WeasyPrint's
        # function leaves as they are, are looked through once, here
        index, leader_box = leader.leader_index(line)
        if index is None:
            return
        original(context, line, containing_block)  # fills this same leader box with its dots
        if line.style["direction"] != "ltr" or len(leader_box.children) < 2:
            return
        joined = _chunked(leader_box.children, line.position_x + line.width, context)
        if joined is not None:
            leader_box.children = joined

    return handle_leader


PATCH = Patch(
    "leaders",
    "a leader's dots are one text box each: a page of contents draws thousands of text objects",
    "docs/upstream/leader-dot-boxes.md",
    ((inline, "handle_leader", _handle_leader),),
)
