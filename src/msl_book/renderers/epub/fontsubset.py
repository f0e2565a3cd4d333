"""The EPUB carries book.yaml's fonts cut down to the characters the book uses.

A font for Chinese or Japanese is 16 to 20 MB a weight, an emoji font 10 MB: embedded whole,
a book of a dozen pages became a 27 MB EPUB, too large for phones and mail. fontTools'
subsetter keeps the glyphs of every character in the EPUB's documents (and printable ASCII,
so that a reading system's own labels and page numbers still draw), with every layout feature
(Arabic joining forms, ligatures, kerning) and their closure, so shaping is unchanged. The
PDF subsets its fonts itself. The theme's fonts are left whole: they are small. The result
does not depend on the clock (``recalc_timestamp`` off), so the EPUB stays reproducible.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from lxml import etree

from ...fontfiles import BookFonts
from .publication import Document

ALWAYS = {chr(c) for c in range(0x20, 0x7F)}


def used_characters(documents: Sequence[Document | etree._Element]) -> set[str]:
    """The characters of documents (their bytes, or their trees), and printable ASCII."""
    chars = set(ALWAYS)
    for doc in documents:
        root = etree.fromstring(doc.data) if isinstance(doc, Document) else doc
        for text in root.itertext():
            chars.update(text)
    return chars


def subset(data: bytes, chars: set[str]) -> bytes:
    from fontTools import subset as ft_subset

    options = ft_subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.glyph_names = False
    options.legacy_kern = True
    options.symbol_cmap = True
    options.prune_unicode_ranges = False
    font = ft_subset.load_font(io.BytesIO(data), options, dontLoadGlyphNames=True)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in chars})
    subsetter.subset(font)
    out = io.BytesIO()
    ft_subset.save_font(font, out, options)
    return out.getvalue()


def subset_book_fonts(
    styles: list[tuple[str, bytes]], fonts: BookFonts | None, chars: set[str]
) -> list[tuple[str, bytes]]:
    """``styles`` with each of book.yaml's fonts subset to ``chars`` (``used_characters``)."""
    if fonts is None or not fonts.faces:
        return styles
    hrefs = {face.href for face in fonts.faces}
    return [(rel, subset(data, chars) if rel in hrefs else data) for rel, data in styles]
