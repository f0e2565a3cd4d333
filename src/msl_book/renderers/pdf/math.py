"""Math in print: WeasyPrint has no MathML, so each formula is drawn as an SVG image
(ziamath, with the STIX Two Math font it bundles), sized in em so that it follows the text,
set on the baseline, and given its TeX as the alternative text of the PDF's Figure tag."""

from __future__ import annotations

import base64
import re
from functools import lru_cache

from lxml import etree

from ...markdown.math import MATHML_NS
from ...xhtml import element

SIZE = 20.0  # the size ziamath draws at; the image is scaled to the text in em
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')


def draw_math(root: etree._Element) -> None:
    """Replace every MathML ``math`` element under ``root`` with an image of it."""
    for math in list(root.iter(f"{{{MATHML_NS}}}math")):
        display = math.get("display") == "block"
        tex = math.get("alttext", "")
        source = etree.tostring(math, encoding="unicode")
        try:
            uri, width, height, depth = _draw(source)
        except Exception:  # ziamath cannot draw it: the TeX was reported at its line already
            code = element("code", {"class": "math-error"}, tex)
            code.tail = math.tail
            math.getparent().replace(math, code)
            continue
        style = f"width: {width:.3f}em; height: {height:.3f}em; vertical-align: {-depth:.3f}em"
        img = element("img", {"class": "math-image", "src": uri, "alt": tex or "formula", "style": style})
        if display:
            img.set("class", "math-image display")
        img.tail = math.tail
        math.getparent().replace(math, img)


@lru_cache(maxsize=2048)
def _draw(mathml: str) -> tuple[str, float, float, float]:
    """(data URI, width, height, depth below the baseline), the sizes in em."""
    import ziamath  # for the first formula: 0.3 s a process that a book without math does not pay

    svg = ziamath.Math(mathml, size=SIZE).svg()
    m = _VIEWBOX.search(svg)
    _x, y, w, h = (float(v) for v in m.groups()) if m else (0.0, -SIZE, SIZE, SIZE)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return uri, w / SIZE, h / SIZE, (y + h) / SIZE
