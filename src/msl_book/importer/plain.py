"""A plain folder of Markdown files: every ``.md`` file, by path; a README.md or index.md
comes first, as a preface.

Files written for pandoc carry the document's metadata in a YAML block (``title``,
``author``, ``date``, ``lang``, ``bibliography``…); as pandoc does with several input files,
the blocks are read in order and a later value replaces an earlier one. Those values become
the book's (``book.yaml``), and ``convert`` takes them out of the chapter. Without them the
title is the first heading of the first file, else the folder's name."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ..errors import Report
from ..loader import split_front_matter

_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
FIRST = ("README.md", "readme.md", "index.md")
# a YAML block with any of these is the document's header, not a chapter's own front matter
DOCUMENT_KEYS = {"author", "bibliography", "csl", "date", "lang", "subtitle"}
# the document's keys that book.yaml takes over (title too, when the block is a header)
LIFTED = DOCUMENT_KEYS | {"title"}


def header(text: str) -> dict | None:
    """The file's YAML block when it is a pandoc document header, else None."""
    from .convert import yaml_mapping

    yaml_text, _body, _line = split_front_matter(text)
    data = yaml_mapping(yaml_text) if yaml_text else None
    return data if data and DOCUMENT_KEYS & data.keys() else None


def _strings(value: object) -> list[str]:
    """A YAML string or list of strings (or of pandoc's ``{name: …}`` authors) as strings."""
    items = value if isinstance(value, list) else [value]
    names = [item.get("name") if isinstance(item, dict) else item for item in items]
    return [str(name).strip() for name in names if isinstance(name, str | int | float) and str(name).strip()]


def read(path: Path, report: Report):
    from . import SKIPPED, Source

    files = sorted(
        p.relative_to(path).as_posix()
        for p in path.rglob("*.md")
        if not any(part in SKIPPED or part.startswith(".") for part in p.relative_to(path).parts)
    )
    first = [f for f in files if f in FIRST][:1]
    chapters = [(f, "preface") for f in first] + [(f, "chapter") for f in files if f not in first]
    if not files:
        report.error("no Markdown files (.md) in this folder", str(path))
    meta: dict = {}
    for rel, _role in chapters:
        meta.update(header((path / rel).read_text(encoding="utf-8")) or {})
    title = path.name.replace("-", " ").replace("_", " ").title()
    if first and (m := _HEADING.search((path / first[0]).read_text(encoding="utf-8"))):
        title = m[1]
    title = (_strings(meta.get("title")) or [title])[0]
    source = Source("markdown", path, title, _strings(meta.get("author")), chapters=chapters)
    source.subtitle = (_strings(meta.get("subtitle")) or [None])[0]
    if isinstance(lang := meta.get("lang"), str) and lang.strip():
        source.language = lang.strip()
    date = meta.get("date")
    source.date = date.isoformat() if isinstance(date, dt.date) else str(date) if date else None
    source.bibliography = _strings(meta.get("bibliography"))
    source.csl = (_strings(meta.get("csl")) or [None])[0]
    return source
