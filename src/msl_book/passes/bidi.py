"""Pass: runs of text in the other direction are isolated, so that the punctuation and
numbers around them stay where the sentence puts them.

In an English book a Hebrew or Arabic phrase, and in an Arabic book a Latin name such as
"ClinicalTrials.gov", become ``<span dir="rtl">`` / ``<span dir="ltr">``: a run starts and
ends with a letter of the other direction and takes in the spaces, digits and punctuation
between. An element whose ``dir`` the author set (``[שלום]{dir=rtl}``) is left as it is, and
so are code, math and whatever lies inside an element with ``dir``.

HTML isolates an element with ``dir`` (the EPUB's reading systems follow it); WeasyPrint
does not support ``unicode-bidi``, so print writes the isolate characters themselves
(U+2067 RIGHT-TO-LEFT ISOLATE or U+2066 LEFT-TO-RIGHT ISOLATE … U+2069 POP DIRECTIONAL
ISOLATE) around the element's text: Pango's bidi algorithm honours them (``isolate_print``).
"""

from __future__ import annotations

import re

from lxml import etree

from ..document import BookModel
from ..errors import Report
from ..l10n import direction as language_direction
from ..xhtml import element, local, q

# strong letters of each direction (the scripts books mix: Latin, Greek, Cyrillic; Hebrew,
# Arabic, Syriac, Thaana, N'Ko and their presentation forms)
_RTL = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"
_LTR = "A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
RUNS = {
    "ltr": re.compile(f"[{_RTL}](?:[^{_LTR}]*[{_RTL}])?"),  # an RTL run in an LTR text
    # an LTR run in an RTL text; it may end on a digit ("ZX-204", "COVID-19"), which in the
    # run stays after its letters
    "rtl": re.compile(f"[{_LTR}](?:[^{_RTL}]*[{_LTR}0-9])?"),
}
SKIP = {"code", "pre", "kbd", "samp", "math", "svg", "script", "style", "bdi", "bdo"}
ISOLATES = {"rtl": "\u2067", "ltr": "\u2066"}
POP = "\u2069"


def run(model: BookModel, report: Report) -> None:
    direction = model.strings.direction
    pattern = RUNS[direction]
    other = "rtl" if direction == "ltr" else "ltr"
    for section in model.sections:
        for fragment in section.fragments():
            _isolate(fragment.root, pattern, other, direction)


def _isolate(root: etree._Element, pattern: re.Pattern[str], other: str, direction: str) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        lang = el.get("lang")
        if lang and not el.get("dir") and (d := language_direction(lang)) != direction:
            el.set("dir", d)  # a phrase in a language written the other way: [..]{lang=en}
        # the search first: it is the cheap test, and text of the other direction is rare
        if el.text and pattern.search(el.text) and not _skipped(el):
            lead, runs = _runs(el.text, pattern, other)
            el.text = lead
            for i, span in enumerate(runs):
                el.insert(i, span)
        parent = el.getparent()
        if parent is not None and el.tail and pattern.search(el.tail) and not _skipped(parent):
            lead, runs = _runs(el.tail, pattern, other)
            el.tail = lead
            at = parent.index(el)
            for i, span in enumerate(runs, start=1):
                parent.insert(at + i, span)


def _skipped(el: etree._Element) -> bool:
    """Inside code, math or an element whose direction is set."""
    node: etree._Element | None = el
    while node is not None:
        if not isinstance(node.tag, str) or local(node) in SKIP or node.get("dir"):
            return True
        node = node.getparent()
    return False


def _runs(text: str, pattern: re.Pattern[str], other: str) -> tuple[str, list[etree._Element]]:
    """'abc שלום def' -> ('abc ', [<span dir=rtl>שלום</span> with tail ' def'])."""
    spans: list[etree._Element] = []
    at = 0
    lead = ""
    for m in pattern.finditer(text):
        if spans:
            spans[-1].tail = text[at : m.start()]
        else:
            lead = text[: m.start()]
        spans.append(element("span", {"dir": other}, m[0]))
        at = m.end()
    spans[-1].tail = text[at:]
    return lead, spans


def isolate_print(tree: etree._Element) -> None:
    """The isolate characters around the text of every inline element with ``dir``, for
    WeasyPrint (see the module's docstring)."""
    for el in tree.iter(q("span"), q("bdi"), q("q"), q("cite"), q("em"), q("strong"), q("a")):
        direction = el.get("dir")
        if direction not in ISOLATES:
            continue
        el.text = ISOLATES[direction] + (el.text or "")
        if len(el):
            el[-1].tail = (el[-1].tail or "") + POP
        else:
            el.text += POP
