"""The index as XHTML, for both outputs: EPUB Indexes 1.0 markup (``index-group``,
``index-entry-list``, ``index-entry``, ``index-term``, ``index-locator``,
``index-xref-preferred`` / ``index-xref-related``), which print.css sets in two columns.

Locators come from ``locate``: the printed pages of the marks (one locator per page, or
merged into ranges "12–14" where the output wants them), or, when no layout is known,
numbers 1, 2, 3… for each term's marks in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from ..document import IndexData
from ..index_terms import Entry, Locator, Mark, locators
from ..l10n import Strings
from ..xhtml import element

PageOf = Callable[[str], tuple[int, str] | None]


def index_tree(
    index: IndexData, href: Callable[[str], str], page_of: PageOf | None, ranges: bool, strings: Strings
) -> etree._Element:
    """The index's groups and entries; ``href`` makes a link to an id of the book."""
    see = (strings("index-see"), strings("index-see-also"))
    root = element("div", {"class": "index-groups"})
    ids = _entry_ids(index)
    for group in index.groups:
        letter_id = f"index-group-{_slug(group.letter) or 'symbols'}"
        section = element(
            "section", {"class": "index-group", "epub:type": "index-group", "aria-labelledby": letter_id}
        )
        heading = element("h2", {"class": "index-letter", "id": letter_id}, group.letter)
        section.append(heading)
        section.append(_entry_list(group.entries, ids, href, page_of, ranges, see))
        root.append(section)
    return root


def _entry_list(
    entries: list[Entry],
    ids: dict[tuple[str, ...], str],
    href: Callable[[str], str],
    page_of,
    ranges,
    see: tuple[str, str],
    path=(),
) -> etree._Element:
    ul = element("ul", {"class": "index-entries", "epub:type": "index-entry-list"})
    for entry in entries:
        here = (*path, entry.term)
        li = element("li", {"class": "index-entry", "epub:type": "index-entry", "id": ids[here]})
        term = element("span", {"class": "index-term", "epub:type": "index-term"}, entry.term)
        li.append(term)
        last = term
        for loc in _locators(entry.marks, page_of, ranges):
            last.tail = ", "
            a = element(
                "a", {"class": "index-locator", "epub:type": "index-locator", "href": href(loc.target)}
            )
            a.text = loc.text
            li.append(a)
            last = a
        for kind, targets in (("preferred", entry.see), ("related", entry.also)):
            if not targets:
                continue
            last.tail = ". "
            xref = element("span", {"class": f"index-xref {kind}"})
            xref.text = f"{see[0] if kind == 'preferred' else see[1]} "
            for i, target in enumerate(targets):
                key = tuple(p.strip() for p in target.split(", "))
                a = element("a", {"epub:type": f"index-xref-{kind}", "href": f"#{ids.get(key, '')}"}, target)
                if i:
                    xref[-1].tail = "; "
                xref.append(a)
            li.append(xref)
            last = xref
        if entry.children:
            li.append(_entry_list(entry.children, ids, href, page_of, ranges, see, here))
        ul.append(li)
    return ul


def _locators(marks: list[Mark], page_of: PageOf | None, ranges: bool) -> list[Locator]:
    if page_of is None:
        return [Locator(str(i), m.target) for i, m in enumerate(marks, start=1)]
    return locators(marks, page_of, ranges)


def _entry_ids(index: IndexData) -> dict[tuple[str, ...], str]:
    ids: dict[tuple[str, ...], str] = {}
    used: set[str] = set()

    def walk(entries: list[Entry], path: tuple[str, ...]) -> None:
        for entry in entries:
            here = (*path, entry.term)
            base = "ixt-" + ("-".join(_slug(p) for p in here) or "term")
            name, n = base, 1
            while name in used:
                n += 1
                name = f"{base}-{n}"
            used.add(name)
            ids[here] = name
            walk(entry.children, here)

    for group in index.groups:
        walk(group.entries, ())
    return ids


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-")
