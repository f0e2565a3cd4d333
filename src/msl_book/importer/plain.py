"""A plain folder of Markdown files: every ``.md`` file, by path; a README.md or index.md
comes first, as a preface.

Files written for pandoc carry the document's metadata in a YAML block (``title``,
``author``, ``date``, ``lang``, ``bibliography``…). The first file's is the book's
(``book.yaml``), and ``convert`` takes it out of that chapter; a later file's header stays
with its chapter (its title, authors, language), but for its bibliography, which is the
book's too. Without a header the title is the first heading of the first file, else the
folder's name. A file of references alone (a References heading, pandoc's ``{#refs}`` div)
is left out: the book lists its references itself."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import Report
from ..loader import split_front_matter
from .quarto import names, refs_div_only

_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
FIRST = ("README.md", "readme.md", "index.md")
# a YAML block with any of these is the document's header, not a chapter's own front matter
DOCUMENT_KEYS = {"author", "bibliography", "csl", "date", "lang", "subtitle"}
# the document's keys that book.yaml takes over from the first file (title too)
LIFTED = DOCUMENT_KEYS | {"title"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
REFERENCES_TITLES = r"References|Bibliography|Works [Cc]ited"  # what a list of references is called
REFERENCES_TITLE = re.compile(rf"({REFERENCES_TITLES})\b")


def header(text: str) -> dict | None:
    """The file's YAML block when it is a pandoc document header, else None."""
    from .convert import yaml_mapping

    yaml_text, _body, _line = split_front_matter(text)
    data = yaml_mapping(yaml_text) if yaml_text else None
    return data if data and DOCUMENT_KEYS & data.keys() else None


def _strings(value: object) -> list[str]:
    """A YAML string or list of strings as strings."""
    items = value if isinstance(value, list) else [value]
    return [str(item).strip() for item in items if isinstance(item, str | int | float) and str(item).strip()]


def read(path: Path, report: Report):
    from . import SKIPPED, Source

    files = sorted(
        p.relative_to(path).as_posix()
        for p in path.rglob("*.md")
        if not any(part in SKIPPED or part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        report.error("no Markdown files (.md) in this folder", str(path))
    texts = {rel: (path / rel).read_text(encoding="utf-8") for rel in files}
    for rel in [rel for rel in files if references_page(texts[rel])]:
        report.warning("a page of references only, left out: the book lists its references itself", rel)
        files.remove(rel)
    first = [f for f in files if f in FIRST][:1]
    chapters = [(f, "preface") for f in first] + [(f, "chapter") for f in files if f not in first]
    # the book's header is the first file's (pandoc's one document, or the book's opening
    # file); each later file with a header of its own is a chapter, titled by it
    meta = (header(texts[chapters[0][0]]) if chapters else None) or {}
    title = path.name.replace("-", " ").replace("_", " ").title()
    if first and (m := _HEADING.search(texts[first[0]])):
        title = m[1]
    title = (_strings(meta.get("title")) or [title])[0]
    source = Source("markdown", path, title, names(meta.get("author")), chapters=chapters)
    source.subtitle = (_strings(meta.get("subtitle")) or [None])[0]
    if isinstance(lang := meta.get("lang"), str) and lang.strip():
        source.language = lang.strip()
    if isinstance(date := meta.get("date"), str) and ISO_DATE.fullmatch(date.strip()):
        source.date = date.strip()
    for rel, _role in chapters:  # every file's bibliography is the book's
        for entry in _strings((header(texts[rel]) or {}).get("bibliography")):
            if entry not in source.bibliography:
                source.bibliography.append(entry)
    csl = (_strings(meta.get("csl")) or [None])[0]
    if csl and "://" in csl:
        report.warning(
            f"csl {csl} is a URL: copy the style into the project, set 'csl:' to its path", chapters[0][0]
        )
    elif csl:
        source.csl = csl
    return source


def references_page(text: str) -> bool:
    """A file that holds nothing but a References heading, or a heading and pandoc's
    ``::: {#refs}`` div: where pandoc puts the bibliography."""
    lines = [line.strip() for line in split_front_matter(text)[1].splitlines() if line.strip()]
    headings = [line for line in lines if line.startswith("#")]
    titled = len(headings) == 1 and REFERENCES_TITLE.match(headings[0].lstrip("#").strip()) is not None
    return len(headings) <= 1 and (refs_div_only(lines) or (titled and len(lines) == 1))
