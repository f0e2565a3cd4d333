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
            target = Target(ident, section.id, Kind.SECTION, text)
            claim(ident, target, section.path, tok.meta.get("line"), False)
        for tok in body.headings:
            ident = str(tok.attrs["id"])
            if ident in model.targets and model.targets[ident].chapter == section.id:
                model.targets[ident].kind = Kind.SECTION
                model.targets[ident].label = heading_text(body, tok)


def heading_text(parsed: ParsedText, heading_open) -> str:
    # by identity: tokens compare by value, field by field, so list.index would compare
    # every token before it (a quarter of the whole reading time of a 300-page book)
    idx = next(i for i, tok in enumerate(parsed.tokens) if tok is heading_open)
    inline = parsed.tokens[idx + 1]
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")).strip()
