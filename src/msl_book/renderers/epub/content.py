"""What the EPUB does to content for small screens: a display equation (MathML does not
break lines) scrolls sideways in its own box, focusable so that a keyboard can scroll it,
and named after its number as a group (not a landmark).

Tables are left as tables: their cells break long words (epub.css), so a table narrows to
any column and a paginated reader can split it across pages, header row repeated. (A
sideways-scrolling box cannot be split: a table taller than a page would lose its rows.)
"""

from __future__ import annotations

from lxml import etree

from ...l10n import Strings
from ...xhtml import has_class, q


def finish(tree: etree._Element, strings: Strings) -> None:
    for div in tree.iter(q("div")):
        if has_class(div, "equation") and div.get("tabindex") is None:
            number = div.find(q("span"))
            numbered = number is not None and has_class(number, "eq-number")
            label = "".join(number.itertext()).strip("() ") if numbered else ""
            div.set("role", "group")
            div.set("tabindex", "0")
            div.set("aria-label", strings("equation-label", number=label) if label else strings("equation"))
