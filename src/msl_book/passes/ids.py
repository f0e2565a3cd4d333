"""Pass: every id in the book is unique once the chapters are joined; headings get theirs.

Explicit ids (``{#id}``, front matter ``id:``) are claimed first, in file order, then each
heading without one gets a slug of its text, numbered on a clash (``-1``, ``-2``…).
"""

from __future__ import annotations

import re

from ..document import BookModel, Kind, Target
from ..errors import Report
from ..markdown import ParsedText
from ..model import slugify
from ..roles import Role

# Generated ids: authors may not reuse these prefixes, nor the names of the EPUB's own
# documents and the print edition's fixed sections as chapter ids.
GENERATED = re.compile(r"^(fn|fnref|q|ans|term|toc|page|ix|ixt|index-group)-")
RESERVED = {
    "cover",
    "titlepage",
    "copyright",
    "nav",
    "toc",
    "landmarks",
    "landmarks-title",
    "page-list",
    "page-list-title",
    "book-index",
}


def term_id(term: str, explicit: str | None) -> str:
    return f"term-{explicit or slugify(term)}"


def run(model: BookModel, report: Report) -> None:
    where: dict[str, str] = {}

    def claim(ident: str, target: Target, path: str, line: int | None, explicit: bool = True) -> None:
        if ident in model.targets:
            first = where.get(ident, "")
            hint = ""
            if (path, line) in from_file_names:
                hint = ": a chapter's id comes from its file name; give this one an 'id:' in its front matter"
                line = 1
            elif ident in file_name_ids and target.kind is not Kind.CHAPTER:
                hint = (
                    f": that is the id chapter {first} takes from its file name; choose another id here, "
                    "or give the chapter an 'id:' in its front matter"
                )
            report.error(f"duplicate id '{ident}' (already used at {first}){hint}", path, line)
            return
        if explicit and (GENERATED.match(ident) or ident in RESERVED):
            # still registered, so that links to it do not add errors of their own
            report.error(f"id '{ident}' is reserved for generated content; choose another", path, line)
        model.targets[ident] = target
        where[ident] = f"{path}:{line}" if line else path

    for section in model.sections:
        if section.source is None:
            claim(
                section.id,
                Target(section.id, section.id, Kind.CHAPTER, section.title),
                "(answer key)" if section.role is Role.ANSWERS else "(list of references)",
                None,
                False,
            )
    from_file_names: set[tuple[str, int | None]] = set()
    file_name_ids: set[str] = set()
    for section in model.authored:
        ch = section.source.chapter
        line = ch.meta_lines.get(("id",)) or ch.meta_lines.get(("title",))
        if ch.meta.id is None:  # from the file name
            from_file_names.add((ch.path, line))
            if ch.id not in model.targets:
                file_name_ids.add(ch.id)
        claim(ch.id, Target(ch.id, ch.id, Kind.CHAPTER, ch.title), ch.path, line)
        for parsed in section.source.texts():
            for ident, id_line in parsed.ids:
                claim(ident, Target(ident, ch.id, Kind.OTHER, ""), ch.path, id_line)
        for i, term in enumerate(ch.meta.terms):
            tid = term_id(term.term, term.id)
            target = Target(tid, ch.id, Kind.TERM, term.term)
            claim(tid, target, ch.path, ch.meta_lines.get(("terms", i)), False)
    generated: set[int] = set()  # the headings given an id here (by id() of their token)
    for section in model.authored:
        body = section.source.body
        for tok in body.headings:
            if tok.attrs.get("id"):
                continue
            text = heading_text(body, tok)
            base = slugify(text)
            if base in RESERVED or GENERATED.match(base):  # a heading "toc" or "Page 12"
                base = f"sec-{base}"
            ident, n = base, 1
            while ident in model.targets:
                ident, n = f"{base}-{n}", n + 1
            tok.attrs["id"] = ident
            generated.add(id(tok))
            target = Target(ident, section.id, Kind.SECTION, text)
            claim(ident, target, section.path, tok.meta.get("line"), False)
        for tok in body.headings:
            ident = str(tok.attrs["id"])
            if ident in model.targets and model.targets[ident].chapter == section.id:
                model.targets[ident].kind = Kind.SECTION
                model.targets[ident].label = heading_text(body, tok)
    _pandoc_aliases(model, generated)


def pandoc_id(text: str) -> str:
    """The identifier pandoc's auto_identifiers gives a heading: letters (any script), digits,
    ``_``, ``-`` and ``.`` kept, spaces to hyphens, lower case, nothing before the first
    letter; "section" when nothing is left."""
    kept = "".join(c for c in text if c.isalnum() or c in "_-. \n\t").strip()
    ident = re.sub(r"\s+", "-", kept).lower()
    start = next((i for i, c in enumerate(ident) if c.isalpha()), len(ident))
    return ident[start:] or "section"


def _pandoc_aliases(model: BookModel, generated: set[int]) -> None:
    """Links written for pandoc name a heading by pandoc's id for it (``#qualité-des-données``,
    ``#introduction`` for "1. Introduction"): each heading without an explicit id, and each
    chapter title, answers to that id too, unless the id is another element's. As pandoc, an
    id already taken (an explicit one, or an earlier heading's) is numbered on: ``-1``, ``-2``."""
    used = {
        str(tok.attrs["id"])
        for s in model.authored
        for tok in s.source.body.headings
        if id(tok) not in generated
    }

    def alias(text: str, ident: str) -> None:
        base = name = pandoc_id(text)
        n = 1
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        if name != ident and name not in model.targets and name not in model.id_aliases:
            model.id_aliases[name] = ident

    for section in model.authored:
        alias(section.source.chapter.title, section.id)
        body = section.source.body
        for tok in body.headings:
            if id(tok) not in generated:
                continue  # its own {#id}, which pandoc uses too
            alias(heading_text(body, tok), str(tok.attrs["id"]))


def heading_text(parsed: ParsedText, heading_open) -> str:
    # by identity: tokens compare by value, field by field, so list.index would compare
    # every token before it (a quarter of the whole reading time of a 300-page book)
    idx = next(i for i, tok in enumerate(parsed.tokens) if tok is heading_open)
    inline = parsed.tokens[idx + 1]
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")).strip()
