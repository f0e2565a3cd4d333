"""The back-of-book index as data: marks in the text → sorted, grouped entries with their
locators and cross-references. Format-free; the renderers write it.

Terms sort by the book's language with ICU's collation (PyICU), not by code point: "Äpfel"
files next to "apfel" in German, "éclair" next to "eclair" in English, case does not
separate "mRNA" from "MRI". ``sort-as`` overrides a term's sort key; a term's letter group
is its sort key's first letter without accents ("Ärzte" under A), digits and symbols go
first under one group.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import icu

SYMBOLS = "#"  # the letter group of terms that start with a digit or a symbol


@dataclass(frozen=True)
class Mark:
    """One place the text files under a term: ``path`` is the term and its subterms."""

    path: tuple[str, ...]
    target: str  # the id of the marked element
    sort: tuple[str, ...] = ()  # sort-as for each level ("" where none)


@dataclass(frozen=True)
class Xref:
    """``see`` (the term has no locators of its own: look there) or ``also``."""

    path: tuple[str, ...]
    kind: str  # "see" | "also"
    to: tuple[str, ...]


@dataclass
class Entry:
    term: str
    key: bytes
    sort_as: str = ""  # what the term sorts as, when not its own text
    marks: list[Mark] = field(default_factory=list)
    see: list[str] = field(default_factory=list)
    also: list[str] = field(default_factory=list)
    children: list[Entry] = field(default_factory=list)


@dataclass
class Group:
    letter: str
    entries: list[Entry]


@dataclass(frozen=True)
class Locator:
    text: str  # "12" or "12–14"
    target: str  # the first mark it stands for


class Collation:
    def __init__(self, language: str):
        locale = icu.Locale(language.replace("-", "_"))
        self.collator = icu.Collator.createInstance(locale)

    def key(self, text: str) -> bytes:
        return bytes(self.collator.getSortKey(text))


def build(marks: Sequence[Mark], xrefs: Sequence[Xref], language: str) -> list[Group]:
    """The index's letter groups, each entry's subentries nested under it, all sorted."""
    collation = Collation(language)
    roots: dict[str, Entry] = {}
    below: dict[int, dict[str, Entry]] = {}  # id(entry) -> its children by term

    def entry(path: tuple[str, ...], sort: tuple[str, ...] = ()) -> Entry:
        level = roots
        node: Entry | None = None
        parent: Entry | None = None
        for depth, term in enumerate(path):
            sort_as = sort[depth] if depth < len(sort) else ""
            node = level.get(term)
            if node is None:
                node = level[term] = Entry(term, collation.key(sort_as or term), sort_as)
                if parent is not None:
                    parent.children.append(node)
            elif sort_as:
                node.key, node.sort_as = collation.key(sort_as), sort_as
            parent, level = node, below.setdefault(id(node), {})
        assert node is not None
        return node

    for mark in marks:
        entry(mark.path, mark.sort).marks.append(mark)
    for xref in xrefs:
        node = entry(xref.path)
        target = ", ".join(xref.to)  # "Term, Subterm": how indexes name a subentry
        listed = node.see if xref.kind == "see" else node.also
        if target not in listed:
            listed.append(target)
    groups: dict[str, list[Entry]] = {}
    for e in _sorted(list(roots.values())):
        groups.setdefault(_letter(e.sort_as or e.term), []).append(e)
    return [Group(letter, items) for letter, items in groups.items()]


def _sorted(entries: list[Entry]) -> list[Entry]:
    for e in entries:
        e.children = _sorted(e.children)
    return sorted(entries, key=lambda e: (e.key, e.term))


def _letter(term: str) -> str:
    first = term.lstrip("\"'“‘(«¿¡")[:1]
    base = "".join(c for c in unicodedata.normalize("NFD", first) if not unicodedata.combining(c))
    if not base or not base.isalpha():
        return SYMBOLS
    return base.upper()


def locators(
    marks: Sequence[Mark], page_of: Callable[[str], tuple[int, str] | None], ranges: bool = True
) -> list[Locator]:
    """One locator per page (the first mark on it), consecutive pages merged into ranges
    ("12–14") unless ``ranges`` is false; ``page_of`` gives a mark's page as (index in the
    PDF, printed label). Marks whose page is unknown are left out."""
    pages: dict[int, tuple[str, str]] = {}
    for mark in marks:
        found = page_of(mark.target)
        if found is not None and found[0] not in pages:
            pages[found[0]] = (found[1], mark.target)
    if not ranges:
        return [Locator(*pages[i]) for i in sorted(pages)]
    out: list[Locator] = []
    run: list[int] = []
    for index in sorted(pages):
        if run and index == run[-1] + 1 and _same_style(pages[run[-1]][0], pages[index][0]):
            run.append(index)
            continue
        if run:
            out.append(_locator(run, pages))
        run = [index]
    if run:
        out.append(_locator(run, pages))
    return out


def _same_style(a: str, b: str) -> bool:
    return a.isdigit() == b.isdigit()


def _locator(run: list[int], pages: dict[int, tuple[str, str]]) -> Locator:
    first, last = pages[run[0]], pages[run[-1]]
    text = first[0] if len(run) == 1 else f"{first[0]}–{last[0]}"
    return Locator(text, first[1])
