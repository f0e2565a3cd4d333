"""An mdBook: ``book.toml`` for the metadata, ``src/SUMMARY.md`` for the chapter order.

SUMMARY.md's prefix chapters (before the first list) become prefaces, its numbered
chapters (nested ones too, in order) chapters, its suffix chapters appendices. Part titles
and separators have no place in msl-book and are dropped; a draft chapter (``[Title]()``)
has no file and is skipped. A chapter's title in SUMMARY.md is kept for a file that has
none of its own.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..errors import Report

_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def read(path: Path, report: Report):
    from . import Source

    try:
        config = tomllib.loads((path / "book.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        report.error(f"cannot read book.toml: {exc}", "book.toml")
        return Source("mdbook", path, path.name, [])
    book = config.get("book", {})
    src = str(book.get("src", "src"))
    summary = path / src / "SUMMARY.md"
    source = Source(
        "mdbook",
        path,
        str(book.get("title") or path.name),
        [str(a) for a in book.get("authors", [])],
        str(book.get("language") or "en"),
    )
    if not summary.is_file():
        report.error(f"{src}/SUMMARY.md not found: mdBook lists its chapters there", "book.toml")
        return source
    numbered_started = numbered_ended = False
    for number, line in enumerate(summary.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        shown = f"{src}/SUMMARY.md"
        if not stripped or stripped.startswith("# Summary") or stripped == "---":
            continue
        if stripped.startswith("#"):
            report.warning(
                f"part title '{stripped.lstrip('# ')}' is dropped (msl-book has no parts)", shown, number
            )
            continue
        is_item = stripped.startswith(("- ", "* "))
        if is_item:
            numbered_started = True
        elif numbered_started:
            numbered_ended = True
        m = _LINK.search(stripped)
        if not m:
            continue
        if not m[2].strip():
            report.warning(f"draft chapter '{m[1]}' has no file and is skipped", shown, number)
            continue
        role = "chapter" if is_item else ("appendix" if numbered_ended else "preface")
        rel = f"{src}/{m[2].strip()}"
        source.chapters.append((rel, role))
        source.titles[rel] = m[1].strip()
    return source
