"""Pass: every citation rendered by the book's CSL style, and the lists of references.

The Markdown parser left each citation as an empty ``span.citation`` carrying its items.
Here they are collected in reading order (a footnote's citations where the note is called,
as pandoc numbers them), grouped by list of references (each chapter with
``references: chapter``, the default, or the whole book with ``references: book``) and
rendered by one run of pandoc's citeproc (citations/pandoc.py). Each citation becomes a
link to its entry (``doc-biblioref``), each entry ends with links back to every place it is
cited, and each list is a Section's ``references``: the chapter's own, or the generated
"References" section's in the back matter.

Problems: a key in no bibliography (with the nearest key), a bibliography file pandoc
cannot read (at its line), a key defined twice, a CSL file that is not an in-text style
(errors); an entry never cited (a warning).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from ..citations import files as bibfiles
from ..citations import pandoc, styles
from ..citations.inlines import append_blocks, append_inlines
from ..document import ANSWERS_ID, BibEntry, BookModel, Fragment, Kind, Note, References, Section, Target
from ..errors import Report, did_you_mean
from ..roles import Role
from ..xhtml import element, has_class, local, q, unwrap

BACK = "\u2191"  # ↑, in the book's fonts
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")
_CROSSREF = re.compile(r"^(fig|tbl|eq|sec|lst)-")


@dataclass
class Use:
    """One citation in the text."""

    element: etree._Element
    owner: Section  # the section whose list of references it belongs to (references: chapter)
    home: str  # the section whose document shows it
    line: int | None
    items: list[dict[str, str]]

    @property
    def path(self) -> str:
        return self.owner.path


def run(model: BookModel, report: Report) -> None:
    book = model.book
    config = book.config  # may be partial: book.yaml had errors
    names = list(getattr(config, "bibliography", []) or [])
    book_nocite = list(getattr(config, "nocite", []) or [])
    mode = getattr(config, "references", "chapter")
    uses = list(_uses(model))
    chapter_nocite = {
        s.id: list(s.source.chapter.meta.nocite) for s in model.authored if s.source.chapter.meta.nocite
    }
    if not (uses or names or book_nocite or chapter_nocite):
        return
    lines = book.config_lines
    if mode == "chapter" and book_nocite:
        report.error(
            "'nocite' in book.yaml is for the book's list of references (references: book); with "
            "references: chapter, list the keys under 'nocite:' in the front matter of the chapter "
            "whose list should show them",
            "book.yaml",
            lines.get(("nocite",)),
        )
        book_nocite = []
    if not names:
        for use in uses:
            for item in use.items:
                report.error(
                    f"unknown citation key '{item['key']}': the book has no bibliography; add "
                    "'bibliography:' to book.yaml (or write \\@ for an @ that is not a citation)",
                    use.path,
                    use.line,
                )
        return
    bib = bibfiles.resolve(book.root, names, lines, report)
    csl_name = str(getattr(config, "csl", "ama") or "ama")
    csl = styles.resolve(book.root, csl_name, report, lines.get(("csl",)))
    model.citation_files = [f.path for f in bib or []]
    if csl is not None and csl_name not in styles.STYLES:
        model.citation_files.append(csl)
    if bib is None or csl is None:
        return
    groups = _groups(model, uses, mode, book_nocite, chapter_nocite)
    result = pandoc.run([f.path for f in bib], csl, [g for g, _ in groups], book.root)
    known = _defined(bib, result, report)
    if known is None:
        return
    wanted = _check_keys(model, uses, known, book_nocite, chapter_nocite, report)
    for group, _ in groups:
        if (error := result.groups[group.id].error) is not None:
            report.error(f"the CSL style could not be used: {error.strip()}", _shown(csl, book.root))
            return
    _warn_unused(bib, known, wanted, report)
    if report.errors:
        return
    for group, members in groups:
        _apply(model, group, members, result.groups[group.id], mode)
    _backlinks(model)


def _uses(model: BookModel) -> Iterator[Use]:
    """Every citation in reading order: chapter by chapter, each footnote's where it is
    called, the answers where the answer key shows them."""
    by_id = {s.id: s for s in model.sections}

    def walk(fragment: Fragment, home: str, notes: dict[str, Note]) -> Iterator[Use]:
        owner = by_id.get(fragment.chapter)
        if owner is None:
            return
        for el in _citations_and_calls(fragment.root, notes):
            if has_class(el, "citation"):
                line = el.get("data-line")
                items = json.loads(el.get("data-citation", "[]"))
                yield Use(el, owner, home, int(line) if line else None, items)
            else:
                note = notes[el.get("href", "")[1:]]
                yield from walk(note.body, home, {})

    for section in model.sections:
        if section.role is Role.ANSWERS:
            for source in model.answer_sets:
                for qa in source.questions:
                    yield from walk(qa.answer, ANSWERS_ID, {})
            continue
        for fragment in section.objectives:
            yield from walk(fragment, section.id, {})
        if section.body is not None:
            notes = {note.id: note for note in section.notes}
            yield from walk(section.body, section.id, notes)
        for fragment in section.takeaways:
            yield from walk(fragment, section.id, {})
        for qa in section.questions:
            yield from walk(qa.question, section.id, {})
        for term in section.terms:
            yield from walk(term.definition, section.id, {})


def _citations_and_calls(root: etree._Element, notes: dict[str, Note]) -> Iterator[etree._Element]:
    """The citation spans under ``root`` in document order, and the first call of each note."""
    for el in root:
        if not isinstance(el.tag, str):
            continue
        if local(el) == "span" and el.get("data-citation") is not None:
            yield el
            continue
        if local(el) == "a" and has_class(el, "noteref"):
            note = notes.get(el.get("href", "")[1:])
            if note is not None and el.get("id") == note.ref_id:
                yield el
        yield from _citations_and_calls(el, notes)


def _groups(
    model: BookModel, uses: list[Use], mode: str, book_nocite: list[str], chapter_nocite: dict[str, list[str]]
) -> list[tuple[pandoc.Group, list[Use]]]:
    language = str(getattr(model.config, "language", "en") or "en")
    if mode == "book":
        nocite = list(dict.fromkeys([*book_nocite, *(k for keys in chapter_nocite.values() for k in keys)]))
        nocite = ["*"] if "*" in nocite else nocite
        return [(pandoc.Group("book", language, [u.items for u in uses], nocite), uses)]
    members: dict[str, list[Use]] = {s.id: [] for s in model.sections}
    for use in uses:
        members[use.owner.id].append(use)
    groups = []
    for section in model.sections:
        found, nocite = members[section.id], chapter_nocite.get(section.id, [])
        if found or nocite:
            nocite = ["*"] if "*" in nocite else nocite
            group = pandoc.Group(section.id, section.lang or language, [u.items for u in found], nocite)
            groups.append((group, found))
    return groups


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _defined(
    bib: list[bibfiles.BibFile], result: pandoc.Result, report: Report
) -> dict[str, bibfiles.BibFile] | None:
    """Which file defines each key; None when a file could not be read (reported)."""
    known: dict[str, bibfiles.BibFile] = {}
    ok = True
    for file in bib:
        found = result.files[str(file.path)]
        if found.error is not None:
            line, message = bibfiles.pandoc_problem(file, found.error)
            report.error(message, file.shown, line)
            ok = False
            continue
        file.keys = found.keys
        seen: dict[str, int] = {}
        for key in found.keys:
            seen[key] = seen.get(key, -1) + 1
            if seen[key]:
                first = bibfiles.key_line(file, key)
                report.error(
                    f"citation key '{key}' is defined twice in this file (first at line {first}): keep one",
                    file.shown,
                    bibfiles.key_line(file, key, seen[key]),
                )
                ok = False
            elif key in known:
                other = known[key]
                where = f"{other.shown}:{line}" if (line := bibfiles.key_line(other, key)) else other.shown
                report.error(
                    f"citation key '{key}' is also defined in {where}: keep one of them",
                    file.shown,
                    bibfiles.key_line(file, key),
                )
                ok = False
            else:
                known[key] = file
    return known if ok else None


def _check_keys(
    model: BookModel,
    uses: list[Use],
    known: dict[str, bibfiles.BibFile],
    book_nocite: list[str],
    chapter_nocite: dict[str, list[str]],
    report: Report,
) -> set[str]:
    """Report keys found in no bibliography; return every key the book uses."""
    wanted: set[str] = set()

    def check(key: str, path: str, line: int | None) -> None:
        wanted.add(key)
        if key in known or key == "*":
            return
        hint = ""
        if _CROSSREF.match(key) and key in model.targets:
            hint = f" (for a cross-reference write [](#{key}))"
        else:
            hint = did_you_mean(key, known)
        report.error(f"unknown citation key '{key}'{hint}", path, line)

    for use in uses:
        for item in use.items:
            check(item["key"], use.path, use.line)
    lines = model.book.config_lines
    for key in book_nocite:
        check(key, "book.yaml", lines.get(("nocite",)))
    for section in model.authored:
        chapter = section.source.chapter
        for key in chapter_nocite.get(section.id, []):
            check(key, chapter.path, chapter.meta_lines.get(("nocite",)))
    return wanted


def _warn_unused(
    bib: list[bibfiles.BibFile], known: dict[str, bibfiles.BibFile], wanted: set[str], report: Report
) -> None:
    if "*" in wanted:
        return
    for key, file in known.items():
        if key not in wanted:
            report.warning(
                f"bibliography entry '{key}' is never cited (cite it, list it under 'nocite:', or remove it)",
                file.shown,
                bibfiles.key_line(file, key),
            )


def _unique(model: BookModel, base: str) -> str:
    ident, n = base, 1
    while ident in model.targets:
        ident, n = f"{base}-{n}", n + 1
    return ident


def _apply(
    model: BookModel, group: pandoc.Group, uses: list[Use], result: pandoc.GroupResult, mode: str
) -> None:
    """Write the group's citations into the text and its entries into its section's list."""
    if mode == "book":
        section = next(s for s in model.sections if s.role is Role.REFERENCES)
        list_id, prefix = section.id, "ref"
    else:
        section = next(s for s in model.sections if s.id == group.id)
        list_id, prefix = _unique(model, f"{section.id}-references"), f"ref-{section.id}"
        model.targets[list_id] = Target(list_id, section.id, Kind.OTHER, model.strings("references"))
    entries: dict[str, BibEntry] = {}
    for entry in result.entries:
        content = element("div")
        append_blocks(content, entry.blocks, _outside_link)
        if not "".join(content.itertext()).strip():
            continue  # the style lists it nowhere (APA's personal communications)
        ident = _unique(model, f"{prefix}-{_UNSAFE_ID.sub('-', entry.key).strip('-') or 'entry'}")
        for inline in [s for s in content.iter(q("span")) if has_class(s, "csl-right-inline")]:
            unwrap(inline)  # the text after the hanging number needs no element of its own
        margin = next((s for s in content.iter(q("span")) if has_class(s, "csl-left-margin")), None)
        label = "".join(margin.itertext()).strip() if margin is not None else ""
        if margin is not None:  # "1. ": the space stays inside the number, which hangs (base.css)
            margin.tail = (margin.tail or "").lstrip() or None
            margin.text = f"{label} "
        model.targets[ident] = Target(ident, section.id, Kind.REFERENCE, label or entry.key)
        entries[entry.key] = BibEntry(entry.key, ident, label, Fragment(content, section.id))
    section.references = References(
        list_id, list(entries.values()), any(e.label for e in entries.values()), result.hanging
    )
    for number, (use, rendered) in enumerate(zip(uses, result.citations, strict=True), start=1):
        _write_citation(model, use, rendered, entries, number)


# kept as written: RFC 3986's reserved characters but "[" and "]" (a host's only), and escapes
URL_SAFE = "!#$%&'()*+,/:;=?@~"


def _outside_link(href: str) -> dict[str, str] | None:
    """A DOI or URL in an entry or a citation: a link, never hyphenated (``a.url``). A DOI
    may hold characters a URL may not (10.1130/0016-7606(1945)56[275:EDOSAT]2.0.CO;2):
    they are percent-encoded, as doi.org reads them."""
    if not re.match(r"https?://", href):
        return None
    return {"href": quote(href, safe=URL_SAFE), "class": "url"}


def _write_citation(
    model: BookModel, use: Use, rendered: pandoc.Rendered, entries: dict[str, BibEntry], number: int
) -> None:
    span = use.element
    inside_link = any(local(a) == "a" for a in span.iterancestors())

    def link(href: str) -> dict[str, str] | None:
        if inside_link:
            return None
        if href.startswith("#ref-"):
            entry = entries.get(href.removeprefix("#ref-"))
            if entry is None:
                return None
            return {"href": f"#{entry.id}", "role": "doc-biblioref", "epub:type": "biblioref"}
        return _outside_link(href)

    ident = _unique(model, f"cite-{use.home}-{number}")
    keys = list(dict.fromkeys(item["key"] for item in use.items))
    for name in ("data-citation", "data-source", "data-line"):
        span.attrib.pop(name, None)
    span.text = None
    append_inlines(span, rendered.inlines, link)
    if len(span) == 1 and not span.text and not span[0].tail and local(span[0]) == "sup":
        # a superscript number (AMA, Vancouver-superscript) is the citation itself: one
        # element less for each of a book's thousands of citations to lay out
        sup = span[0]
        sup.tail = span.tail
        span.getparent().replace(span, sup)
        sup.set("class", "citation")
        span = use.element = sup
    span.set("id", ident)
    span.set("data-cites", " ".join(keys))
    model.targets[ident] = Target(ident, use.home, Kind.CITATION, "")
    for key in keys:
        if key in entries:
            entries[key].citations.append(ident)
    if not rendered.space_before:  # superscript numbers sit right after the word
        previous = span.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "").rstrip() or None
        elif span.getparent() is not None:
            parent = span.getparent()
            parent.text = (parent.text or "").rstrip() or None


def _letters(n: int) -> str:
    """1 -> 'a', 26 -> 'z', 27 -> 'aa'."""
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def _backlinks(model: BookModel) -> None:
    """Each entry ends with a link back to each place it is cited: ↑ alone, or ↑ a b c."""
    by_id = {s.id: s for s in model.sections}
    for section in model.sections:
        if section.references is None:
            continue
        for entry in section.references.entries:
            if not entry.citations:
                continue  # listed through nocite
            back = element("span", {"class": "backlinks"})
            back.tail = None
            total = len(entry.citations)
            if total > 1:
                back.text = BACK
            for i, cite in enumerate(entry.citations, start=1):
                home = by_id.get(model.targets[cite].chapter)
                t = model.strings
                if home is not None and home.id != section.id:
                    where = home.label or home.title
                    label = (
                        t("back-to-citation-n-in", number=i, total=total, chapter=where)
                        if total > 1
                        else t("back-to-citation-in", chapter=where)
                    )
                else:
                    label = (
                        t("back-to-citation-n", number=i, total=total) if total > 1 else t("back-to-citation")
                    )
                a = element("a", {"href": f"#{cite}", "role": "doc-backlink", "aria-label": label})
                a.text = _letters(i) if total > 1 else BACK
                a.tail = None
                if len(back) or back.text:
                    if len(back):
                        back[-1].tail = " "
                    else:
                        back.text += " "
                back.append(a)
            root = entry.content.root
            if len(root):
                root[-1].tail = (root[-1].tail or "").rstrip() + " "
            else:
                root.text = (root.text or "").rstrip() + " "
            root.append(back)
