"""Fix: a tagged PDF loses every language but the document's.

WeasyPrint writes ``lang`` of the root element as the catalog's ``/Lang`` and drops it
everywhere else, so a chapter (or a phrase) in French in an English book is announced by a
screen reader in English, and PDF/UA's "natural language is identified" (ISO 14289-1 7.2,
Matterhorn 11-006) fails for it. The fix gives a structure element the ``/Lang`` of its
element's ``lang`` (or ``xml:lang``) attribute; descendants inherit it (ISO 32000-1 14.9.2).
"""

from __future__ import annotations

from collections.abc import Iterator

import pydyf
from weasyprint.pdf import tags

from .patch import Patch

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _make(original):
    def build_box_tree(box, parent, *args, **kwargs) -> Iterator[pydyf.Dictionary]:
        element = getattr(getattr(box, "_box", box), "element", None)
        lang = None
        if element is not None and getattr(element, "tag", None) != "html":
            lang = element.get("lang") or element.get(XML_LANG)
        for struct in original(box, parent, *args, **kwargs):
            if lang and "Lang" not in struct:
                struct["Lang"] = pydyf.String(lang)
            yield struct

    return build_box_tree


PATCH = Patch(
    "struct-lang",
    "a tagged PDF keeps only the root element's language; lang on any other element is lost",
    "docs/upstream/tagged-pdf-lang.md",
    ((tags, "_build_box_tree", _make),),
)
