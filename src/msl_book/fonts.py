"""The book's fonts: the @font-face rules of its stylesheets, and the characters they lack.

``msl-book check`` runs it; ``build`` uses it to explain a font fallback that the layout
revealed.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import tinycss2

from .errors import Report
from .model import Book
from .paths import is_inside, relative
from .theme import Theme

IGNORED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def font_faces(theme: Theme) -> list[tuple[str, Path]]:
    """(family, file) of every @font-face in the print stylesheets."""
    faces: list[tuple[str, Path]] = []
    for rel, path in theme.stylesheets("pdf"):
        rules = tinycss2.parse_stylesheet(path.read_text("utf-8"), skip_comments=True, skip_whitespace=True)
        for rule in rules:
            if rule.type != "at-rule" or rule.lower_at_keyword != "font-face":
                continue
            family, src = None, None
            for decl in tinycss2.parse_blocks_contents(rule.content or [], True, True):
                if decl.type != "declaration":
                    continue
                if decl.lower_name == "font-family":
                    family = tinycss2.serialize(decl.value).strip().strip("\"'")
                elif decl.lower_name == "src":
                    src = next((t.value for t in decl.value if t.type == "url"), None)
            if family and src and (file := theme.style(str(Path(rel).parent / src).removeprefix("./"))):
                faces.append((family, file))
    return faces


@cache
def _cmap(path: Path, mtime: float) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def covered_characters(theme: Theme) -> frozenset[int]:
    codes: set[int] = set()
    for _, path in font_faces(theme):
        codes |= _cmap(path, path.stat().st_mtime)
    return frozenset(codes)


def check_characters(book: Book, theme: Theme, report: Report) -> None:
    """Report characters the book's fonts cannot draw: they would print in a system font."""
    covered = covered_characters(theme)
    if not covered:
        return
    sources = [book.root / "book.yaml", *(ch.file for ch in book.chapters)]
    for name in getattr(book.config, "bibliography", None) or []:  # entries are printed too
        bib = (book.root / name).resolve()
        if is_inside(bib, book.root) and bib.is_file():
            sources.append(bib)
    for path in sources:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # reported where the file is read

        missing = {
            char
            for char in set(text)
            if ord(char) not in covered and unicodedata.category(char) not in IGNORED_CATEGORIES
        }
        if not missing:  # the common case, at the speed of set()
            continue
        seen: set[str] = set()
        for number, line in enumerate(text.splitlines(), start=1):
            for char in sorted(missing.intersection(line), key=line.index):
                if char in seen:
                    continue
                seen.add(char)
                name = unicodedata.name(char, "unnamed character")
                report.error(
                    f"character '{char}' (U+{ord(char):04X} {name}) is not in the book's fonts: "
                    "replace it, or add a font that has it (@font-face in styles/custom.css)",
                    relative(path, book.root),
                    number,
                )
