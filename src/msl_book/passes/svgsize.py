"""Pass: the text of SVG figures legible on a phone.

A figure drawn for a page (760 units wide, 13-unit text) is shrunk to the column of a phone,
about 360 CSS px, where its text falls to 6 px. Each SVG the book shows is measured as a
reading system would draw it there: every text's font size (attribute, ``style``, a simple
``<style>`` sheet, inherited, 16 by default), times the scale of the transforms around it,
times the displayed width over the viewBox's width. The displayed width is 360 px times the
image's ``width=NN%``, or its width in pixels, or 360 px (no more than the SVG's own width).
An image whose smallest text would be under 9 px is one warning at the place it is shown.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..document import BookModel
from ..errors import Report
from ..paths import relative, resolve_reference
from ..xhtml import text_content

SVG = "{http://www.w3.org/2000/svg}"
PHONE = 360.0  # CSS px: the text column of a small phone
LEGIBLE = 9.0  # CSS px: the smallest text a figure may have there
DEFAULT_SIZE = 16.0  # CSS px: the initial font-size

_TEXTS = {f"{SVG}text", f"{SVG}tspan", f"{SVG}textPath"}
_HIDDEN = {f"{SVG}defs", f"{SVG}clipPath", f"{SVG}mask", f"{SVG}pattern", f"{SVG}symbol"}
_PX_PER = {
    "px": 1.0,
    "": 1.0,
    "pt": 96 / 72,
    "pc": 16.0,
    "in": 96.0,
    "cm": 96 / 2.54,
    "mm": 96 / 25.4,
    "q": 96 / 101.6,
}
_KEYWORDS = {
    "xx-small": 9.0,
    "x-small": 10.0,
    "small": 13.0,
    "medium": 16.0,
    "large": 18.0,
    "x-large": 24.0,
    "xx-large": 32.0,
    "xxx-large": 48.0,
}
_LENGTH = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([a-z%]*)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?", re.IGNORECASE)
_TRANSFORM = re.compile(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^(\*|[a-zA-Z][\w-]*)?((?:[.#][\w-]+)*)$")
_DECLARATION = re.compile(r"(?:^|;)\s*(font-size|font)\s*:\s*([^;]+)", re.IGNORECASE)
_FONT_SHORTHAND_SIZE = re.compile(
    r"(?:^|\s)((?:\d+\.?\d*|\.\d+)(?:px|pt|pc|in|cm|mm|q|em|rem|%)|"
    r"xx-small|x-small|small|medium|large|x-large|xx-large|xxx-large|smaller|larger)(?:/\S+)?\s",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Use:
    path: str  # the chapter file
    line: int
    width: str  # as written in the chapter: "50%", "300", ""


def run(model: BookModel, report: Report) -> None:
    uses: dict[str, list[Use]] = defaultdict(list)
    root = model.book.root
    for section in model.authored:
        folder = section.source.chapter.file.parent
        for parsed in section.source.texts():
            for ref in parsed.refs:
                if ref.kind != "image":
                    continue
                path, problem = resolve_reference(ref.target, folder, root)
                if problem or path is None or path.suffix.lower() != ".svg":
                    continue
                rel = relative(path, root)
                if rel in model.images:  # refused images are said by the references pass
                    uses[rel].append(Use(section.path, ref.line, ref.width))
    for rel, shown in sorted(uses.items()):
        measured = measure(model.images[rel])
        if measured is None:
            continue
        worst = min(shown, key=lambda use: measured.scale(use.width))
        px = measured.smallest * measured.scale(worst.width)
        if px < LEGIBLE:
            report.warning(
                f'{rel}: text "{measured.text}" would be {min(round(px, 1), LEGIBLE - 0.1):g} px on a '
                f"{PHONE:g} px phone screen (under {LEGIBLE:g} px): enlarge it or draw a narrower figure",
                worst.path,
                worst.line,
            )


@dataclass(frozen=True)
class Measured:
    """An SVG's smallest text, in the units of its outermost coordinate system."""

    smallest: float  # font size in user units, the transforms around it applied
    text: str  # the text it belongs to
    user_units: float | None  # the viewBox width (None: no viewBox)
    width: float | None  # the SVG's own width attribute in px
    height: float | None  # and its height, for a viewBox of another shape
    view_height: float | None
    slice: bool

    def scale(self, written: str) -> float:
        """CSS px per user unit when the image is shown at a phone's width."""
        shown = displayed_width(written, self.width)
        if self.user_units is None:
            return shown / self.width if self.width else 1.0
        scale = shown / self.user_units
        if self.width and self.height and self.view_height:
            vertical = shown * self.height / self.width / self.view_height
            scale = max(scale, vertical) if self.slice else min(scale, vertical)
        return scale


def displayed_width(written: str, own: float | None) -> float:
    """How wide an image is in a 360 px column: its written width (a percentage of the
    column, or a length no wider than it), else its own width up to the column's."""
    m = _LENGTH.match(written) if written else None
    if m:
        value, unit = float(m[1]), m[2].lower()
        if unit in ("%", "vw"):
            return PHONE * value / 100
        if unit in ("em", "rem", "ex", "ch"):
            value, unit = value * (DEFAULT_SIZE if unit in ("em", "rem") else DEFAULT_SIZE / 2), "px"
        if unit in _PX_PER:
            return min(PHONE, value * _PX_PER[unit])
    return min(PHONE, own) if own else PHONE


def measure(path: Path) -> Measured | None:
    """The smallest text of the SVG at ``path`` (None: no text, or not readable)."""
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    svg = tree.getroot()
    sheet = _style_sheet(svg)
    best: tuple[float, str] | None = None

    def walk(el: etree._Element, size: float, scale: float, text: str | None) -> None:
        nonlocal best
        if not isinstance(el.tag, str) or el.tag in _HIDDEN:
            return
        size = _font_size(el, size, sheet)
        scale *= _transform_scale(el.get("transform", ""))
        if el is not svg and el.tag == f"{SVG}svg":
            scale *= _viewport_scale(el)
        if el.tag in _TEXTS:
            if text is None:
                text = text_content(el)
            own = (el.text or "") + "".join(child.tail or "" for child in el)
            effective = size * scale
            if own.strip() and effective > 0 and (best is None or effective < best[0]):
                best = (effective, text)
        for child in el:
            walk(child, size, scale, text)

    walk(svg, DEFAULT_SIZE, 1.0, None)
    if best is None:
        return None
    box = [float(n) for n in _NUMBER.findall(svg.get("viewBox", ""))]
    view = box[2:4] if len(box) == 4 and box[2] > 0 and box[3] > 0 else None
    text = best[1] if len(best[1]) <= 40 else best[1][:39] + "…"
    return Measured(
        smallest=best[0],
        text=text,
        user_units=view[0] if view else None,
        width=_pixels(svg.get("width")),
        height=_pixels(svg.get("height")),
        view_height=view[1] if view else None,
        slice="slice" in svg.get("preserveAspectRatio", ""),
    )


def _pixels(value: str | None) -> float | None:
    """A width or height attribute in CSS px (None: absent, or relative such as 100%)."""
    m = _LENGTH.match(value or "")
    if not m or m[2].lower() not in _PX_PER or float(m[1]) <= 0:
        return None
    return float(m[1]) * _PX_PER[m[2].lower()]


def _viewport_scale(el: etree._Element) -> float:
    """A nested <svg> with a viewBox and a width draws its content at width / viewBox width."""
    box = [float(n) for n in _NUMBER.findall(el.get("viewBox", ""))]
    width = _pixels(el.get("width"))
    if len(box) == 4 and box[2] > 0 and width:
        return width / box[2]
    return 1.0


def _transform_scale(transform: str) -> float:
    """How much a transform list enlarges text: the square root of its determinant (exact
    for scales, rotations and translations; the mean of the two scales otherwise)."""
    a, b, c, d = 1.0, 0.0, 0.0, 1.0
    for name, args in _TRANSFORM.findall(transform):
        n = [float(x) for x in _NUMBER.findall(args)]
        if name == "matrix" and len(n) == 6:
            m = (n[0], n[1], n[2], n[3])
        elif name == "scale" and n:
            m = (n[0], 0.0, 0.0, n[1] if len(n) > 1 else n[0])
        else:  # translate, rotate and skews keep areas
            continue
        a, b, c, d = a * m[0] + c * m[1], b * m[0] + d * m[1], a * m[2] + c * m[3], b * m[2] + d * m[3]
    return math.sqrt(abs(a * d - b * c))


Sheet = list[tuple[tuple[int, int, int], int, str | None, frozenset[str], str | None, str]]


def _style_sheet(svg: etree._Element) -> Sheet:
    """The font sizes a ``<style>`` sheet sets with simple selectors (``text``, ``.label``,
    ``#title``, ``text.small``, lists of them): (specificity, order, tag, classes, id, value)."""
    rules: Sheet = []
    for style in svg.iter(f"{SVG}style"):
        css = re.sub(r"/\*.*?\*/", "", "".join(style.itertext()), flags=re.DOTALL)
        for selectors, body in _RULE.findall(css):
            value = _declared_size(body)
            if value is None:
                continue
            for selector in selectors.split(","):
                m = _SIMPLE_SELECTOR.match(selector.strip())
                if not m or not selector.strip():
                    continue
                tag = m[1] if m[1] and m[1] != "*" else None
                parts = re.findall(r"([.#])([\w-]+)", m[2])
                classes = frozenset(name for kind, name in parts if kind == ".")
                ids = [name for kind, name in parts if kind == "#"]
                specificity = (len(ids), len(classes), 1 if tag else 0)
                rules.append((specificity, len(rules), tag, classes, ids[0] if ids else None, value))
    return sorted(rules, key=lambda rule: (rule[0], rule[1]))


def _declared_size(declarations: str) -> str | None:
    """The font size a declaration block sets (the last one wins), from font-size or font."""
    value = None
    for name, raw in _DECLARATION.findall(declarations):
        raw = raw.replace("!important", "").strip()
        if name.lower() == "font-size":
            value = raw
        elif m := _FONT_SHORTHAND_SIZE.search(f" {raw} "):
            value = m[1]
    return value


def _font_size(el: etree._Element, inherited: float, sheet: Sheet) -> float:
    """The element's computed font size: its style attribute, then the style sheet, then
    its font-size attribute, else what it inherits."""
    value = _declared_size(el.get("style", ""))
    if value is None:
        classes = set((el.get("class") or "").split())
        tag = el.tag.rsplit("}", 1)[-1]
        for _, _, rule_tag, rule_classes, rule_id, rule_value in sheet:
            if (rule_tag in (None, tag)) and rule_classes <= classes and rule_id in (None, el.get("id")):
                value = rule_value  # sorted by specificity, then order: the last match wins
    if value is None:
        value = el.get("font-size")
    if value is None:
        return inherited
    return _resolve_size(value.strip(), inherited)


def _resolve_size(value: str, inherited: float) -> float:
    keyword = value.lower()
    if keyword in _KEYWORDS:
        return _KEYWORDS[keyword]
    if keyword == "smaller":
        return inherited / 1.2
    if keyword == "larger":
        return inherited * 1.2
    m = _LENGTH.match(value)
    if not m:
        return inherited  # an invalid value is ignored
    number, unit = float(m[1]), m[2].lower()
    if unit == "%":
        return inherited * number / 100
    if unit in ("em",):
        return inherited * number
    if unit == "rem":
        return DEFAULT_SIZE * number
    if unit == "ex":
        return inherited * number / 2
    return number * _PX_PER.get(unit, 1.0)
