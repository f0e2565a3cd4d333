"""Citations as print writes them: fewer boxes for WeasyPrint to lay out.

A book with thousands of citations is laid out slower by the boxes they add, so print
drops what only the EPUB uses: the links back from each entry (a printed page cannot be
tapped; the PDF's citations still link to their entries) and the citations' ids they point
at; a superscript number that is one link becomes the link itself, styled as a superscript
(``a.citation.sup``), one inline box instead of two.
"""

from __future__ import annotations

from lxml import etree

from ..xhtml import EPUB_TYPE, has_class, local, q


def print_form(tree: etree._Element) -> None:
    for back in [s for s in tree.iter(q("span")) if has_class(s, "backlinks")]:
        parent = back.getparent()
        previous = back.getprevious()
        if previous is not None:
            previous.tail = ((previous.tail or "").rstrip() + (back.tail or "")) or None
        else:
            parent.text = ((parent.text or "").rstrip() + (back.tail or "")) or None
        parent.remove(back)
    for cite in [el for el in tree.iter(q("sup"), q("span")) if has_class(el, "citation")]:
        for name in ("id", "data-cites"):
            cite.attrib.pop(name, None)
        for a in cite.iter(q("a")):
            a.attrib.pop(EPUB_TYPE, None)
        if local(cite) != "sup" or len(cite) != 1 or (cite.text or "").strip():
            continue
        link = cite[0]
        if local(link) != "a" or (link.tail or "").strip():
            continue
        link.set("class", "citation sup")
        link.tail = cite.tail
        cite.getparent().replace(cite, link)
