"""A plain folder of Markdown files: every ``.md`` file, by path; a README.md or index.md
comes first, as a preface. The title is the first heading of that file, else the folder's
name."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import Report

_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
FIRST = ("README.md", "readme.md", "index.md")


def read(path: Path, report: Report):
    from . import SKIPPED, Source

    files = sorted(
        p.relative_to(path).as_posix()
        for p in path.rglob("*.md")
        if not any(part in SKIPPED or part.startswith(".") for part in p.relative_to(path).parts)
    )
    first = [f for f in files if f in FIRST][:1]
    chapters = [(f, "preface") for f in first] + [(f, "chapter") for f in files if f not in first]
    title = path.name.replace("-", " ").replace("_", " ").title()
    if first and (m := _HEADING.search((path / first[0]).read_text(encoding="utf-8"))):
        title = m[1]
    if not files:
        report.error("no Markdown files (.md) in this folder", str(path))
    return Source("markdown", path, title, [], chapters=chapters)
