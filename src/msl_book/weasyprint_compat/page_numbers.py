"""Where WeasyPrint 70.0 draws page numbers in a part's PDF, so that they can be changed there.

Not a fix: a feature, for the parts of a long book (renderers/pdf/parts/renumber.py). A
part's layout depends on its numbers (its first folio, the pages its references show) only
through the digits it prints, and page numbers are set in tabular figures (print.css): a
number with as many digits takes the same room whatever they are. So a part laid out with
some numbers becomes the part laid out with others, byte for byte, by changing the glyphs of
the digits in its pages' content streams, as long as every number keeps its digit count.

While ``numbers_patch(state)`` is installed:

- at layout, every page number WeasyPrint renders (``counter(page)`` in a page margin, a
  ``target-counter(…, page)``) is marked in the text box it becomes: which characters, which
  number (the folio or an anchor's page), its value and counter style;
- at drawing, each such text box's digits are found among the glyphs drawn (their place in
  the page's content stream), and the glyph of every digit 0–9 in the same font and
  features is found by shaping the number's neighbourhood with each digit, and every pair of
  digits: two digits can replace each other when they shape to single glyphs of one font
  with the same geometry and the same advance in the font (a "class"; most often all ten
  are one, tabular figures), with no kerning between digits. Those ten glyphs are added to
  the font's subset before the box is drawn, so that the subset (and its /ToUnicode and /W)
  is the same whatever digits the part shows;
- anything that would carry a page number elsewhere or that is not marked (a running head's
  string, an outline title, ``content()``, ``target-text()``, ``counters()``,
  ``target-counters()``, ``counter(page)`` outside a page margin) makes the whole part
  unchangeable (``NumberState.unchangeable``): it is then laid out again, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import weasyprint.document
from pydyf import _to_bytes  # how pydyf writes a stream's items: their offsets are these lengths
from weasyprint.css import targets
from weasyprint.draw import text as draw_text
from weasyprint.formatting_structure import boxes, build
from weasyprint.text.ffi import FROM_UNITS, ffi, pango
from weasyprint.text.fonts import get_pango_font_key
from weasyprint.text.line_break import Layout, _font_style_cache_key
from weasyprint.urls import get_url_tuple

from .patch import Patch

# noncharacters (never in text) around a number while its text is put together: OPEN, the
# number's index, SEPARATOR, its text, CLOSE
OPEN, SEPARATOR, CLOSE = "\ufdd0", "\ufdd1", "\ufdd2"
_MARKED = re.compile(f"{OPEN}([0-9]+){SEPARATOR}([^{CLOSE}]*){CLOSE}")
DIGITS = "0123456789"
_GLYPHS = re.compile(rb"<([0-9a-f]*)>")


@dataclass
class Shown:
    """A page number drawn on a page: where its digits' glyphs are in the page's content
    stream (byte offsets of their four hex digits), and the glyphs of 0–9 in its font, each
    as "hex:class" (digits of one class shape alike: they can replace each other), or None
    when it cannot be changed in place."""

    page: int
    key: str  # "" for the folio; else the anchor whose page it shows
    value: int
    style: str  # the counter style it is rendered in
    offsets: list[int]
    glyphs: list[str] | None


@dataclass
class NumberState:
    unchangeable: str = ""  # why no number of the part can be changed in place
    shown: list[Shown] = field(default_factory=list)
    # while writing: page -> its content stream, and (page, item index, [offsets in item], ...)
    page_of: dict[int, int] = field(default_factory=dict, repr=False)
    streams: dict[int, object] = field(default_factory=dict, repr=False)
    pending: list[tuple] = field(default_factory=list, repr=False)
    current: list = field(default_factory=lambda: [None, None], repr=False)
    strings: int = 0  # inside a string-set or a bookmark label
    shapes: dict = field(default_factory=dict, repr=False)  # page_numbers._shapes' cache

    def refuse(self, why: str) -> None:
        self.unchangeable = self.unchangeable or why

    def unknown(self, page: int, ranges: list) -> None:
        """Numbers drawn where they cannot be changed in place."""
        for *_, key, value, style in ranges:
            self.pending.append((page, 0, [], key, value, style, None))

    def finish(self) -> list[Shown]:
        """Once the PDF is written: every number's byte offsets in its page's stream."""
        starts: dict[int, list[int]] = {}
        for page, stream in self.streams.items():
            offsets, position = [], 0
            for item in stream.stream:
                offsets.append(position)
                position += len(_to_bytes(item)) + 1
            starts[page] = offsets
        self.shown = [
            Shown(page, key, value, style, [starts[page][item] + o for o in within] if within else [], glyphs)
            for page, item, within, key, value, style, glyphs in self.pending
        ]
        self.pending.clear()
        self.streams.clear()
        return self.shown


class _Marking:
    """WeasyPrint's counter style, rendering page numbers between marks that name them."""

    def __init__(self, style: object, expected: list[tuple[str, str] | None], numbers: list):
        self._style, self._expected, self._numbers = style, expected, numbers

    def render_value(self, value: int, counter_type: str = "decimal", *args: object) -> str:
        text = self._style.render_value(value, counter_type, *args)
        entry = self._expected.pop(0) if self._expected else None
        if entry is None:
            return text
        self._numbers.append((entry[1], value, str(counter_type)))
        return f"{OPEN}{len(self._numbers) - 1}{SEPARATOR}{text}{CLOSE}"

    def __getattr__(self, name: str) -> object:
        return getattr(self._style, name)


def _anchor_name(anchor_token: tuple, box: object) -> str | None:
    if anchor_token[0] == "attr()":
        attr_name, type_, fallback = anchor_token[1]
        value = box.element.get(attr_name, fallback)
        url = type_ == "url"
        anchor_token = ("url", get_url_tuple(value, box.style.base_url)) if url else ("string", value)
    return targets.anchor_name_from_token(anchor_token)


def _has_numbers(box: object) -> bool:
    if not hasattr(box, "descendants"):
        return False
    return any(getattr(b, "_msl_numbers", None) for b in box.descendants())


def numbers_patch(state: NumberState) -> Patch:
    """The hooks that record where the part's page numbers are (see the module's text)."""

    def compute(original):
        def compute_content_list(
            content_list, parent_box, counter_values, css_token, parse_again, target_collector,
            counter_style, get_image_from_uri=None, quote_depth=None, quote_style=None, lang=None,
            context=None, page=None, element=None,
        ):  # fmt: skip
            style = counter_style._style if isinstance(counter_style, _Marking) else counter_style
            expected: list[tuple[str, str] | None] = []
            for type_, value in content_list:
                if type_ == "counter()" and value[-1] != "none":
                    if value[0] == "page" and page is None:  # WeasyPrint fills it in later
                        state.refuse("counter(page) outside a page margin")
                    expected.append(("folio", "") if value[0] == "page" and page is not None else None)
                elif type_ == "counters()" and value[-1] != "none":
                    if value[0] == "page":
                        state.refuse("counters(page)")
                    expected += [None] * len(counter_values.get(value[0], [0]))
                elif type_ == "target-counter()" and value[-1] != "none":
                    anchor_token, name = value[0], value[1]
                    anchor = _anchor_name(anchor_token, parent_box) if name == "page" else None
                    expected.append(("ref", anchor) if anchor else None)
                elif type_ == "target-counters()":  # how often it renders is not known here
                    state.refuse("target-counters()")
                    expected = []
                    break
                elif type_ == "target-text()":
                    state.refuse("target-text()")
                elif type_ == "content()" and _has_numbers(parent_box):
                    state.refuse("content() of a page number")
            numbers: list = []
            marking = _Marking(style, expected, numbers)
            result = original(
                content_list, parent_box, counter_values, css_token, parse_again, target_collector,
                marking, get_image_from_uri, quote_depth, quote_style, lang, context, page, element,
            )  # fmt: skip
            if numbers:
                if state.strings:
                    state.refuse("a page number in a string-set or a bookmark label")
                found = 0
                for box in result or ():
                    for text_box in box.descendants() if isinstance(box, boxes.ParentBox) else [box]:
                        if isinstance(text_box, boxes.TextBox) and OPEN in text_box.text:
                            found += _unmark(text_box, numbers, state)
                if found != len(numbers):
                    state.refuse("a page number that is not in a text box")
            return result

        return compute_content_list

    def strings(original):
        def wrapper(*args):
            state.strings += 1  # a number its content list renders would be copied into a string
            try:
                return original(*args)
            finally:
                state.strings -= 1

        return wrapper

    def paint(original):
        def paint_page(self, stream, scale=1):
            state.current[:] = [state.page_of.get(id(self)), stream]
            if state.current[0] is not None:
                state.streams[state.current[0]] = stream
            try:
                return original(self, stream, scale)
            finally:
                state.current[:] = [None, None]

        return paint_page

    def first_line(original):
        def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
            marks = getattr(textbox, "_msl_numbers", None)
            if not marks:
                return original(stream, textbox, text_overflow, block_ellipsis, matrix)
            page, page_stream = state.current
            if page is None or stream is not page_stream:
                state.unknown(page or 0, marks[1])
                state.refuse("a page number drawn outside a page's own content")
                return original(stream, textbox, text_overflow, block_ellipsis, matrix)
            found = _prepare(stream, textbox, marks, text_overflow, block_ellipsis, state.shapes)
            start = len(stream.stream)
            result = original(stream, textbox, text_overflow, block_ellipsis, matrix)
            _record(state, page, stream, start, textbox, marks, found)
            return result

        return draw_first_line

    return Patch(
        "page-numbers",
        "",
        "",
        (
            (build, "compute_content_list", compute),
            (build, "compute_string_set", strings),
            (build, "compute_bookmark_label", strings),
            (weasyprint.document.Page, "paint", paint),
            (draw_text, "draw_first_line", first_line),
        ),
    )


def _unmark(box: object, numbers: list, state: NumberState) -> int:
    """Take the marks out of ``box``'s text; remember which characters each number is.
    Returns how many numbers it held."""
    ranges: list[tuple[int, int, str, int, str]] = []
    parts: list[str] = []
    position, length = 0, 0
    for match in _MARKED.finditer(box.text):
        before = box.text[position : match.start()]
        parts.append(before)
        length += len(before)
        index, digits = int(match.group(1)), match.group(2)
        if index >= len(numbers):
            state.refuse("a page number's mark out of place")
            continue
        key, value, style = numbers[index]
        ranges.append((length, length + len(digits), key, value, style))
        parts.append(digits)
        length += len(digits)
        position = match.end()
    parts.append(box.text[position:])
    box.text = "".join(parts)
    if any(mark in box.text for mark in (OPEN, SEPARATOR, CLOSE)):
        state.refuse("a page number's mark out of place")
        box.text = "".join(c for c in box.text if c not in (OPEN, SEPARATOR, CLOSE))
    box._msl_numbers = (box.text, ranges)
    return len(ranges)


def _ranges(textbox: object, marks: tuple) -> list[tuple[int, int, str, int, str]] | None:
    """The numbers' character ranges in the text the box draws (a line may be a piece)."""
    original, ranges = marks
    text = textbox.text
    if text == original:
        return ranges
    start = original.find(text)
    if start < 0 or original.find(text, start + 1) >= 0:
        return None
    end = start + len(text)
    if any(a < end and b > start and not (start <= a and b <= end) for a, b, *_ in ranges):
        return None  # a number split between lines
    return [(a - start, b - start, *rest) for a, b, *rest in ranges if start <= a and b <= end]


def _glyphs(layout_line: object, font_key_of) -> list[tuple]:
    """(font key, glyph, width, x offset, y offset, byte index, rtl) of a pango line's glyphs."""
    found = []
    run = layout_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        glyph_string = glyph_item.glyphs
        clusters = glyph_string.log_clusters
        offset = glyph_item.item.offset
        rtl = glyph_item.item.analysis.level % 2
        key = font_key_of(glyph_item.item.analysis.font)
        for i in range(glyph_string.num_glyphs):
            info = glyph_string.glyphs[i]
            found.append(
                (key, info.glyph, info.geometry.width, info.geometry.x_offset, info.geometry.y_offset,
                 offset + clusters[i], rtl)
            )  # fmt: skip
    return found


def _prepare(
    stream: object, textbox: object, marks: tuple, text_overflow: str, block_ellipsis: str, cache: dict
) -> dict:
    """Before the box is drawn: for each number, whether it can be changed, and the glyphs
    of 0–9 (added to the font, so its subset has them whatever the digits shown)."""
    found: dict[int, list[str] | None] = {}
    ranges = _ranges(textbox, marks)
    if ranges is None or text_overflow == "ellipsis" or block_ellipsis != "none":
        return {"ranges": None}
    text = textbox.text
    fonts: dict[int, object] = {}

    def key_of(pango_font: object) -> int:
        key = get_pango_font_key(pango_font)[0]
        fonts.setdefault(key, pango_font)
        return key

    for index, (start, end, _key, _value, style) in enumerate(ranges):
        found[index] = None
        if style != "decimal" or not text[start:end].isdigit() or not text[start:end].isascii():
            continue
        # the number and one character either side: kerning reaches no further
        lo, hi = max(0, start - 1), min(len(text), end + 1)
        shapes = _shapes(textbox, text[lo:start], end - start, text[end:hi], key_of, fonts, cache)
        first = shapes[0]
        if any(len(shape) != len(first) for shape in shapes):
            continue
        head = len(text[lo:start].encode())
        digit_positions = [i for i, g in enumerate(first) if head <= g[5] < head + (end - start)]
        if len(digit_positions) != end - start:  # one glyph per digit (one byte each in UTF-8)
            continue
        # digits whose shapes give the same geometry (advances, offsets, the neighbours') and
        # have the same advance in the font (WeasyPrint writes the difference as kerning) can
        # replace each other: most often all ten (tabular figures)
        ok = all(len({shape[i][1] for i in digit_positions}) == 1 for shape in shapes)
        ok = ok and len({shape[i][0] for shape in shapes for i in digit_positions}) == 1  # one font
        ok = ok and not any(shape[i][6] for shape in shapes for i in digit_positions)
        ok = ok and all(
            g[1] == g0[1] for shape in shapes for i, (g0, g) in enumerate(zip(first, shape, strict=True))
            if i not in digit_positions
        )  # fmt: skip
        glyph_of = [shape[digit_positions[0]][1] for shape in shapes]
        if not ok or any(g & pango.PANGO_GLYPH_UNKNOWN_FLAG for g in glyph_of):
            continue
        pango_font = fonts[first[digit_positions[0]][0]]
        font, font_size = stream.add_font(pango_font)
        if font.bitmap or font.svg or font.png or font.colr:
            continue
        if pango.pango_version() < 14802:
            font_size = textbox.style["font_size"]

        advances = [
            font.widths.get(glyph) or _advance(stream, pango_font, glyph, font_size) for glyph in glyph_of
        ]
        widths = [shape[digit_positions[0]][2] for shape in shapes]
        if not _digits_do_not_kern(textbox, pango_font, glyph_of, widths, key_of):
            continue
        for digit, glyph, width in zip(DIGITS, glyph_of, advances, strict=True):
            font.to_unicode.setdefault(glyph, digit)
            font.widths.setdefault(glyph, width)
        signatures = [
            (*(tuple((g[0], *g[2:]) for g in shape)), width)
            for shape, width in zip(shapes, advances, strict=True)
        ]
        classes = {signature: n for n, signature in enumerate(dict.fromkeys(signatures))}
        found[index] = [f"{g:04x}:{classes[sign]}" for g, sign in zip(glyph_of, signatures, strict=True)]
    return {"ranges": ranges, "glyphs": found}


def _shapes(textbox: object, before: str, length: int, after: str, key_of, fonts: dict, cache: dict) -> list:
    """The glyphs of the number's neighbourhood with each digit in turn; the same for every
    number of one length between the same characters in the same shaping style (a contents
    page has hundreds), so kept in ``cache`` for the document."""
    style = textbox.style
    key = (
        before, length, after, _font_style_cache_key(style, include_size=True), textbox.justification_spacing,
        *(str(style[name]) for name in ("font_kerning", "letter_spacing", "word_spacing", "overflow_wrap",
                                        "direction", "text_decoration_line")),
    )  # fmt: skip
    if key not in cache:
        shapes = []
        for digit in DIGITS:
            layout = Layout(style, textbox.justification_spacing)
            layout.set_text(before + digit * length + after)
            line, _ = layout.get_first_line()
            shapes.append(_glyphs(line, key_of))
        cache[key] = (shapes, dict(fonts))
    shapes, used = cache[key]
    fonts.update(used)
    return shapes


def _advance(stream: object, pango_font: object, glyph: int, font_size: float) -> int:
    """A glyph's advance in the font, as draw_first_line computes it."""
    pango.pango_font_get_glyph_extents(pango_font, glyph, stream.ink_rect, stream.logical_rect)
    return round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)


# "000102…99": every ordered pair of digits side by side; shaped, no digit may move another
PAIRS = "".join(a + b for a in DIGITS for b in DIGITS)
_KERNING: dict[tuple, bool] = {}  # (font, shaping style) -> no digit kerns with another


def _digits_do_not_kern(
    textbox: object, pango_font: object, glyph_of: list[int], widths: list[int], key_of
) -> bool:
    key = (get_pango_font_key(pango_font)[0], _font_style_cache_key(textbox.style, include_size=True),
           str(textbox.style["letter_spacing"]), tuple(glyph_of))  # fmt: skip
    if key not in _KERNING:
        layout = Layout(textbox.style, textbox.justification_spacing)
        layout.set_text(PAIRS)
        line, _ = layout.get_first_line()
        shaped = _glyphs(line, key_of)
        _KERNING[key] = len(shaped) == len(PAIRS) and all(
            g[1] == glyph_of[int(d)] and g[2] == widths[int(d)] and g[3] == 0 and g[4] == 0
            for g, d in zip(shaped, PAIRS, strict=True)
        )
    return _KERNING[key]


def _record(
    state: NumberState, page: int, stream: object, start: int, textbox: object, marks: tuple, found: dict
) -> None:
    """After the box is drawn: where each number's digits went in the stream."""
    ranges = found.get("ranges")
    if ranges is None:
        state.unknown(page, marks[1])
        return
    # the hex glyph tokens drawn, in order: (item index, offset in the item)
    tokens: list[tuple[int, int]] = []
    for index in range(start, len(stream.stream)):
        item = _to_bytes(stream.stream[index])
        if not item.endswith(b"] TJ"):
            continue
        for match in _GLYPHS.finditer(item):
            hexes = match.group(1)
            if len(hexes) % 4:  # a bitmap font's one-byte glyphs
                state.unknown(page, ranges)
                return
            tokens += [(index, match.start(1) + 4 * k) for k in range(len(hexes) // 4)]
    line, _ = textbox.pango_layout.get_first_line()
    drawn = [g for g in _glyphs(line, lambda f: 0) if g[1] != pango.PANGO_GLYPH_EMPTY]
    text = textbox.pango_layout.text
    if len(drawn) != len(tokens) or not text.startswith(textbox.text):
        state.unknown(page, ranges)
        return
    byte_at = [len(text[:i].encode()) for i in range(len(textbox.text) + 1)]
    for index, (a, b, key, value, style) in enumerate(ranges):
        glyphs = found["glyphs"].get(index)
        lo, hi = byte_at[a], byte_at[b]
        where = [i for i, g in enumerate(drawn) if lo <= g[5] < hi]
        items = {tokens[i][0] for i in where}
        usable = (
            glyphs is not None
            and len(where) == b - a
            and len(items) == 1
            and all(f"{drawn[i][1]:04x}" == glyphs[int(textbox.text[a + k])][:4] for k, i in enumerate(where))
        )
        if not usable:
            state.unknown(page, [(a, b, key, value, style)])
            continue
        item = next(iter(items))
        state.pending.append((page, item, [tokens[i][1] for i in where], key, value, style, glyphs))
