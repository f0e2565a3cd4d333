"""The book's fonts: the @font-face rules of its stylesheets, and the characters they lack.

``msl-book check`` runs it; ``build`` uses it to explain a font fallback that the layout
revealed.
"""

from __future__ import annotations

import bisect
import functools
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tinycss2

from .errors import Report
from .fontfiles import (
    FONT_FACE_RULE,
    FONT_FAMILY_DECLARATION,
    FONT_SUFFIXES,
    GENERATED,
    GENERIC,
    parse_families,
)
from .model import Book
from .paths import is_inside, relative
from .theme import Theme

IGNORED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def font_faces(theme: Theme) -> list[tuple[str, Path]]:
    """(family, file) of every @font-face in the print stylesheets, book.yaml's fonts: included."""
    return theme.cached("font_faces", lambda: _font_faces(theme))


def _font_faces(theme: Theme) -> list[tuple[str, Path]]:
    faces: list[tuple[str, Path]] = [(f.family, f.file) for f in theme.fonts.faces] if theme.fonts else []
    for rel, _, text in theme.stylesheet_texts("pdf"):
        if rel == GENERATED:
            continue
        for family, src in _face_rules(text):
            if file := theme.style(str(Path(rel).parent / src).removeprefix("./")):
                faces.append((family, file))
    return faces


@functools.lru_cache(maxsize=64)
def _face_rules(text: str) -> tuple[tuple[str, str], ...]:
    """(family, first url) of a stylesheet's @font-face rules (parsed once per version of it
    in a live process)."""
    found = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
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
        if family and src:
            found.append((family, src))
    return tuple(found)


def stack_families(theme: Theme) -> set[str]:
    """Every family a font-family stack of the stylesheets names (both outputs)."""
    return theme.cached("stack_families", lambda: _stack_families(theme))


def _stack_families(theme: Theme) -> set[str]:
    names: set[str] = set()
    for fmt in ("pdf", "epub"):
        for _, _, text in theme.stylesheet_texts(fmt):
            text = FONT_FACE_RULE.sub("", text)
            for m in FONT_FAMILY_DECLARATION.finditer(text):
                names.update(parse_families(m[2]))
    return names


@cache
def _cmap(path: Path, mtime: float) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def covered_characters(theme: Theme) -> frozenset[int]:
    """The characters the fonts in the stylesheets' stacks can draw. A face that no
    font-family names does not count: an e-reader never uses it, and the PDF only by
    accident of fallback."""
    used = stack_families(theme)
    codes: set[int] = set()
    for family, path in font_faces(theme):
        if family in used:
            codes |= _cmap(path, path.stat().st_mtime)
    return frozenset(codes)


def unused_faces(theme: Theme, chars: str) -> list[tuple[str, Path]]:
    """The declared faces that no stack names and that have all of ``chars``."""
    used = stack_families(theme)
    return [
        (family, path)
        for family, path in font_faces(theme)
        if family not in used and all(ord(c) in _cmap(path, path.stat().st_mtime) for c in chars)
    ]


@dataclass(frozen=True)
class SystemFont:
    family: str
    style: str
    file: str
    ranges: tuple[tuple[int, int], ...]  # sorted, inclusive

    def has(self, char: str) -> bool:
        code = ord(char)
        i = bisect.bisect_right(self.ranges, (code, 0x10FFFF)) - 1
        return i >= 0 and self.ranges[i][0] <= code <= self.ranges[i][1]

    @property
    def rank(self) -> tuple:
        """Regular single-font files first; Noto's Sans and Serif before its display styles;
        the catch-all fonts (DejaVu, Unifont) last."""
        return (
            self.style not in ("Regular", "Book"),
            any(name in self.family for name in ("DejaVu", "Unifont", "FreeSans", "FreeSerif")),
            not self.family.startswith(("Noto Sans", "Noto Serif")),
            self.family,
            self.file,
        )


@cache
def system_fonts() -> tuple[SystemFont, ...]:
    """The fonts installed on this machine, as fontconfig lists them (none without fc-list)."""
    try:
        out = subprocess.run(
            ["fc-list", "-f", r"%{family[0]}\t%{style[0]}\t%{file}\t%{charset}\n"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    fonts = []
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) != 4 or Path(fields[2]).suffix.lower() not in FONT_SUFFIXES:
            continue  # a collection (.ttc) cannot be embedded
        ranges = []
        for part in fields[3].split():
            lo, _, hi = part.partition("-")
            try:
                ranges.append((int(lo, 16), int(hi or lo, 16)))
            except ValueError:
                continue
        fonts.append(SystemFont(fields[0], fields[1], fields[2], tuple(sorted(ranges))))
    return tuple(sorted(fonts, key=lambda f: f.rank))


def system_font(char: str) -> SystemFont | None:
    """The best installed font that has ``char``."""
    return next((f for f in system_fonts() if f.has(char)), None)


MAX_SHOWN = 6


def describe(chars: list[str]) -> str:
    shown = ", ".join(
        f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')})" for c in chars[:MAX_SHOWN]
    )
    more = len(chars) - MAX_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def missing_message(chars: list[str], theme: Theme, root: Path) -> str:
    """What to say about characters no font of the book can draw, and which font could:
    one of the book's own that no font-family names, else an installed one."""
    groups: dict[tuple[str, str, bool], list[str]] = {}
    for char in chars:
        unused = unused_faces(theme, char)
        if unused:
            key = (unused[0][0], relative(unused[0][1], root), True)
        elif found := system_font(char):
            key = (found.family, found.file, False)
        else:
            key = ("", "", False)
        groups.setdefault(key, []).append(char)
    clauses = []
    for (family, file, declared), group in groups.items():
        if not family:
            clauses.append(f"{describe(group)}: nor can any installed font")
        elif declared:
            clauses.append(f"{describe(group)}: '{family}' ({file}) could, but no font-family names it")
        else:
            clauses.append(f"{describe(group)}: '{family}' ({file}) could")
    hint = (
        "list its file in book.yaml's fonts: fallback instead of an @font-face"
        if all(declared for (_, _, declared) in groups)
        else "copy a font that can into the project and add it to book.yaml's fonts: fallback"
    )
    return f"no font of the book can draw {'; '.join(clauses)}; {hint}"


def check_characters(book: Book, theme: Theme, report: Report) -> None:
    """Report characters the book's fonts cannot draw, at their first line in each file:
    the PDF would show a blank box, an e-reader a font of its own."""
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
            new = [c for c in sorted(missing.intersection(line), key=line.index) if c not in seen]
            if not new:
                continue
            seen.update(new)
            report.error(missing_message(new, theme, book.root), relative(path, book.root), number)


def check_stacks(theme: Theme, report: Report) -> None:
    """A family that a font-family names but no @font-face (nor book.yaml's fonts:) provides
    is an error: the PDF has no other fonts than the book's (renderers/pdf/fontconfig.py),
    so its text would be set in whichever of them matches, and an e-reader in its own."""
    provided = {family for family, _ in font_faces(theme)}
    seen: set[tuple[str, str]] = set()
    for fmt in ("pdf", "epub"):
        for rel, path, text in theme.stylesheet_texts(fmt):
            if path is None or not is_inside(path, theme.project):
                continue  # generated, or the theme's own (tested)
            blanked = FONT_FACE_RULE.sub(lambda m: "\n" * m[0].count("\n"), text)
            for m in FONT_FAMILY_DECLARATION.finditer(blanked):
                for family in parse_families(m[2]):
                    if family in provided or family.lower() in GENERIC or (rel, family) in seen:
                        continue
                    seen.add((rel, family))
                    report.error(
                        f"font-family names '{family}', which no @font-face of the stylesheets provides: "
                        "add its file to book.yaml's fonts: (the book uses no installed fonts)",
                        relative(path, theme.project),
                        blanked.count("\n", 0, m.start()) + 1,
                    )
