"""A typographic cover image for books that do not bring their own (EPUB needs one).

Drawn with Pillow in the theme's fonts and colours: same input, same PNG bytes. A reading
system shows it about 360 CSS px wide (a phone, a library's grid), where a 1600-pixel cover is
scaled to 0.225: every text's capitals are at least 40 px tall there (9 CSS px), so nothing
is drawn smaller than ``SMALLEST``.
"""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

from . import cache
from .model import Book
from .schema import BookConfig
from .theme import Theme

GENERATED = "assets/cover.png"

WIDTH, HEIGHT = 1600, 2400
TEAL, AMBER, WHITE, TINT = (15, 94, 107), (199, 132, 26), (255, 255, 255), (217, 236, 238)
# Inter's capitals are 0.73 em tall, Charis SIL's 0.67 em: 56 px of Inter has 40.8 px capitals,
# 9.2 CSS px at 360 px wide (its em 12.6 CSS px); Charis needs 60.
SMALLEST = 56


# what the generated cover is set in
SEMIBOLD, BOLD, REGULAR = "Inter-SemiBold.otf", "Inter-Bold.otf", "Inter-Regular.otf"
SERIF = "CharisSIL-Regular.ttf"
COVER_FONTS = (SEMIBOLD, BOLD, REGULAR, SERIF)


def _font(theme: Theme, name: str, size: int) -> ImageFont.FreeTypeFont:
    path = theme.style(f"fonts/{name}")
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    for chars in range(40, 8, -1):
        lines = textwrap.wrap(text, chars)
        if all(draw.textlength(line, font=font) <= width for line in lines):
            return lines
    return textwrap.wrap(text, 8)


def cover_png(config: BookConfig, theme: Theme) -> bytes:
    """The generated cover: drawn once per version of what it shows in a live process
    (encoding the PNG takes longer than a rebuild's reading of the book)."""
    fonts = tuple(
        (name, str(path), cache.file_digest(path))
        if (path := theme.style(f"fonts/{name}"))
        else (name, "", "")
        for name in COVER_FONTS
    )
    shown = (config.publisher, config.title, config.subtitle, tuple(a.name for a in config.authors))
    key = (*shown, config.version, config.document_code, fonts)
    if key not in _DRAWN:
        if len(_DRAWN) >= 8:
            _DRAWN.pop(next(iter(_DRAWN)))
        _DRAWN[key] = _draw(config, theme)
    return _DRAWN[key]


_DRAWN: dict[tuple, bytes] = {}  # what a cover shows -> its PNG


def _draw(config: BookConfig, theme: Theme) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), TEAL)
    draw = ImageDraw.Draw(image)
    margin = 200
    band = int(HEIGHT * 0.36)
    if config.publisher:
        kicker = _font(theme, SEMIBOLD, SMALLEST)
        for i, line in enumerate(_wrap(draw, config.publisher.upper(), kicker, WIDTH - 2 * margin)[:3]):
            draw.text((margin, 170 + 72 * i), line, font=kicker, fill=TINT)
    draw.rectangle([0, band, WIDTH, band + 18], fill=AMBER)
    y = band + 150
    title = _font(theme, BOLD, 132)
    for line in _wrap(draw, config.title, title, WIDTH - 2 * margin):
        draw.text((margin, y), line, font=title, fill=WHITE)
        y += 156
    if config.subtitle:
        y += 50
        sub = _font(theme, REGULAR, 64)
        for line in _wrap(draw, config.subtitle, sub, WIDTH - 2 * margin):
            draw.text((margin, y), line, font=sub, fill=TINT)
            y += 84
    authors = _font(theme, SERIF, 64)
    names = " · ".join(a.name for a in config.authors)
    lines = _wrap(draw, names, authors, WIDTH - 2 * margin)
    y = HEIGHT - 300 - 80 * len(lines)
    for line in lines:
        draw.text((margin, y), line, font=authors, fill=WHITE)
        y += 80
    details = [f"Version {config.version}" if config.version else "", config.document_code or ""]
    if any(details):
        small = _font(theme, REGULAR, SMALLEST)
        line = "  ·  ".join(d for d in details if d)
        if draw.textlength(line, font=small) > WIDTH - 2 * margin:
            line = details[0] or details[1]  # both do not fit on the line: the version alone
        draw.text((margin, y + 40), line, font=small, fill=TINT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def cover_name(book: Book) -> str:
    """Where the cover image lives inside the EPUB: the book's own image, or a generated one."""
    if book.config.cover:
        return f"assets/{(book.root / book.config.cover).resolve().relative_to(book.root).as_posix()}"
    return GENERATED


def cover_bytes(book: Book, theme: Theme) -> bytes:
    if book.config.cover:
        return (book.root / book.config.cover).resolve().read_bytes()
    return cover_png(book.config, theme)
