"""Pass: the text of SVG figures set in the book's fonts.

An SVG from a drawing program names the fonts of the machine it was drawn on (Arial,
Helvetica, Calibri); the PDF can only use the fonts the theme provides, and a font it does
not have would be replaced by whatever the build machine has, or fail the build without
saying which figure. So the PDF gets a copy of each SVG whose text asks for another font:
serif faces become Charis SIL, monospaced ones JetBrains Mono, the rest Inter, with a
warning naming the fonts (a generic ``serif``/``sans-serif`` is mapped without one). The
EPUB keeps the file as it is: a reading system draws it with its own fonts. A character of
an SVG's text that no font of the book has is an error at the figure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from lxml import etree

from ..document import BookModel
from ..errors import Report
from ..fontfiles import quote
from ..fonts import IGNORED_CATEGORIES, covered_characters, font_faces
from ..theme import Theme

SVG = "{http://www.w3.org/2000/svg}"
SERIF, SANS, MONO = "Charis SIL", "Inter", "JetBrains Mono"
GENERIC = {"serif": SERIF, "sans-serif": SANS, "monospace": MONO, "system-ui": SANS, "cursive": SANS}
_SERIF_NAMES = re.compile(
    r"serif|times|georgia|garamond|cambria|palatino|antiqua|baskerville|minion|charter|bodoni|caslon"
    r"|book|roman|century|didot|gentium|charis",
    re.IGNORECASE,
)
_MONO_NAMES = re.compile(r"mono|courier|consol|menlo|monaco|code|typewriter|fixed", re.IGNORECASE)
_DECLARATION = re.compile(r"(font-family\s*:\s*)([^;}\"]+|\"[^\"]*\"[^;}]*)", re.IGNORECASE)


def run(model: BookModel, report: Report) -> None:
    svgs = sorted((rel, path) for rel, path in model.images.items() if path.suffix.lower() == ".svg")
    if not svgs:
        return
    theme = Theme.of(model.book)
    provided = {family for family, _ in font_faces(theme)}
    covered = covered_characters(theme)
    for rel, path in svgs:
        try:
            tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue  # said by the references pass
        root = tree.getroot()
        texts = [el for el in root.iter(f"{SVG}text")]
        if not texts:
            continue
        asked = _use_provided_fonts(root, provided, theme.fonts.stack if theme.fonts else None)
        shown, line = model.image_uses.get(rel, ("", 0))
        if asked:
            fonts = ", ".join(f"'{name}'" for name in sorted(asked))
            instead = ", ".join(sorted(set(asked.values())))
            report.warning(
                f"image {rel}: its text asks for {fonts}, which the book does not have: the PDF draws it "
                f"in {instead} (name one of {', '.join(sorted(provided))} in the SVG, or convert its "
                "text to paths)",
                shown,
                line,
            )
        missing = sorted(
            {
                char
                for el in texts
                for char in "".join(el.itertext())
                if ord(char) not in covered and unicodedata.category(char) not in IGNORED_CATEGORIES
            }
        )
        for char in missing:
            name = unicodedata.name(char, "unnamed character")
            report.error(
                f"image {rel}: character '{char}' (U+{ord(char):04X} {name}) of its text is not in the "
                "book's fonts: replace it, or convert the SVG's text to paths",
                shown,
                line,
            )
        model.print_images[rel] = etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def _use_provided_fonts(
    root: etree._Element, provided: set[str], stack: Callable[[list[str]], list[str]] | None = None
) -> dict[str, str]:
    """Name only ``provided`` fonts in the SVG's font-family attributes, style attributes and
    style sheets; returns the fonts it asked for that the book has not, with their stand-ins.
    ``stack``: book.yaml's fonts: (a theme family becomes the role's, then the fallbacks)."""

    def named(family: str) -> str:
        return ", ".join(quote(f) for f in stack([family])) if stack else f"'{family}'"

    asked: dict[str, str] = {}

    def substitute(value: str) -> str:
        first = value.split(",")[0].strip().strip("\"'")
        if first in provided:
            return value
        used = GENERIC.get(first.lower()) or _nearest(first)
        if first.lower() not in GENERIC:
            asked[first] = used
        return named(used)

    def in_css(css: str) -> str:
        return _DECLARATION.sub(lambda m: m[1] + substitute(m[2]), css)

    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if (family := el.get("font-family")) is not None:
            el.set("font-family", substitute(family))
        if style := el.get("style"):
            el.set("style", in_css(style))
        if el.tag == f"{SVG}style" and el.text:
            el.text = in_css(el.text)
    if root.get("font-family") is None and "font-family" not in (root.get("style") or ""):
        root.set("font-family", named(SANS))  # instead of the machine's default font
    return asked


def _nearest(family: str) -> str:
    if _MONO_NAMES.search(family):
        return MONO
    if _SERIF_NAMES.search(family) and "sans" not in family.lower():
        return SERIF
    return SANS
