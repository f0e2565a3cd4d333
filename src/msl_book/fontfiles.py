"""book.yaml ``fonts:``: the book's own font files, for each role and as an ordered fallback.

An author names files; the family, weight and style come from the fonts' own tables, and the
@font-face rules and every font-family stack of the stylesheets are written from them. So no
name has to be matched by hand, and both outputs list exactly the same fonts: the PDF
(through an isolated font configuration, renderers/pdf/fontconfig.py) and the EPUB (which
embeds the files) can draw with nothing else.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tinycss2

from .errors import Report
from .model import Book
from .paths import is_inside

ROLES = ("body", "headings", "code")
# The default theme's family for each role: what a role of ``fonts:`` replaces in the stacks.
THEME_FAMILIES = {"Charis SIL": "body", "Inter": "headings", "JetBrains Mono": "code"}
GENERIC = {
    "serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "emoji", "math",
    "fangsong", "ui-serif", "ui-sans-serif", "ui-monospace", "ui-rounded",
}  # fmt: skip
GENERATED = "generated.css"  # styles-relative name of the generated rules (fonts, languages)
FONT_FOLDER = "book-fonts"  # styles-relative folder of the font files in the EPUB
COLOUR_TABLES = {"CBDT", "COLR", "sbix", "SVG "}
FONT_SUFFIXES = {".ttf", ".otf", ".woff", ".woff2"}
FONT_FAMILY_DECLARATION = re.compile(r"(font-family\s*:\s*)([^;{}!]+)", re.IGNORECASE)
FONT_FACE_RULE = re.compile(r"@font-face\s*\{[^}]*\}", re.IGNORECASE)


@dataclass(frozen=True)
class Face:
    rel: str  # the project-relative path, as book.yaml names it
    file: Path
    family: str  # from the font's name table
    weight: int  # 100..900, from OS/2
    style: str  # normal | italic
    colour: bool = False  # a colour (emoji) font: CBDT, COLR, sbix or SVG glyphs

    @property
    def href(self) -> str:
        """Where the file is in the EPUB, relative to styles/."""
        return f"{FONT_FOLDER}/{self.rel}"

    @property
    def format(self) -> str:
        formats = {".otf": "opentype", ".woff": "woff", ".woff2": "woff2"}
        return formats.get(self.file.suffix.lower(), "truetype")


@dataclass(frozen=True)
class BookFonts:
    roles: tuple[tuple[str, tuple[Face, ...]], ...]  # (role, faces) for the roles book.yaml gives
    fallback: tuple[Face, ...]

    @property
    def faces(self) -> list[Face]:
        seen: dict[Path, Face] = {}
        for _, faces in self.roles:
            seen.update((f.file, f) for f in faces if f.file not in seen)
        seen.update((f.file, f) for f in self.fallback if f.file not in seen)
        return list(seen.values())

    def families(self, role: str) -> list[str]:
        faces = dict(self.roles).get(role, ()) if role != "fallback" else self.fallback
        return list(dict.fromkeys(f.family for f in faces))

    def font_face_css(self, url: str = "epub") -> str:
        """The @font-face rules; ``url``: 'epub' (files under styles/book-fonts/) or 'pdf'
        (the files' own file: URLs, which the PDF's fetcher serves from the project)."""
        rules = []
        for f in self.faces:
            src = f.href if url == "epub" else f.file.resolve().as_uri()
            # A colour emoji font also has digits, '#', '*' and the space (for keycaps):
            # without a range, Pango sets the digits and spaces next to an emoji in it.
            only = f" unicode-range: {emoji_range(f.file)};" if f.colour else ""
            rules.append(
                f"@font-face {{ font-family: {quote(f.family)}; font-style: {f.style}; "
                f'font-weight: {f.weight}; src: url("{src}") format("{f.format}");{only} }}'
            )
        return "/* The fonts of book.yaml's fonts: (written by msl-book) */\n" + "\n".join(rules) + "\n"

    def stack(self, families: list[str]) -> list[str]:
        """A font-family list with the theme's role families replaced by the book's, and the
        fallback families right after its first family: what the first cannot draw comes
        from the fallbacks before another role's font (Latin words in an Arabic body text
        are not set in the code font)."""
        configured = {role for role, _ in self.roles}
        out: list[str] = []
        fallback = self.families("fallback")
        for i, family in enumerate(families):
            role = THEME_FAMILIES.get(family)
            generic = family.lower() in GENERIC
            if generic:
                out += [*fallback, family]
                fallback = []
                continue
            out += self.families(role) if role in configured else [family]
            if i == 0:
                out += fallback
                fallback = []
        return list(dict.fromkeys(out + fallback))

    def rewrite(self, css: str) -> str:
        """A stylesheet with its font-family stacks made from the book's fonts, and the
        theme's @font-face rules of the families that are replaced left out. Lines are kept,
        so that what WeasyPrint says about a line is still right."""
        replaced = {family for family, role in THEME_FAMILIES.items() if role in dict(self.roles)}

        def face(match: re.Match[str]) -> str:
            family = _face_family(match[0])
            return "\n" * match[0].count("\n") if family in replaced else match[0]

        def declaration(match: re.Match[str]) -> str:
            families = parse_families(match[2])
            if not families:
                return match[0]
            trailing = match[2][len(match[2].rstrip()) :]
            return match[1] + ", ".join(quote(f) for f in self.stack(families)) + trailing

        parts = []
        last = 0
        for m in FONT_FACE_RULE.finditer(css):  # font-family inside @font-face is a name, not a stack
            parts.append(FONT_FAMILY_DECLARATION.sub(declaration, css[last : m.start()]))
            parts.append(face(m))
            last = m.end()
        parts.append(FONT_FAMILY_DECLARATION.sub(declaration, css[last:]))
        return "".join(parts)


def parse_families(value: str) -> list[str]:
    """'"Inter", Charis SIL, serif' -> ['Inter', 'Charis SIL', 'serif'] (empty if it is not a plain list)."""
    families: list[str] = []
    current: list[str] = []
    for tok in tinycss2.parse_component_value_list(value, skip_comments=True):
        if tok.type == "literal" and tok.value == ",":
            families.append(" ".join(current))
            current = []
        elif tok.type in ("string", "ident"):
            current.append(tok.value)
        elif tok.type != "whitespace":
            return []  # var(), inherit...: left as it is
    families.append(" ".join(current))
    return [f for f in families if f]


def quote(family: str) -> str:
    return family if family.lower() in GENERIC else '"' + family.replace('"', '\\"') + '"'


def _face_family(rule: str) -> str | None:
    m = re.search(r"font-family\s*:\s*([^;}]+)", rule, re.IGNORECASE)
    families = parse_families(m[1]) if m else []
    return families[0] if families else None


def emoji_range(file: Path) -> str:
    """The unicode-range of a colour font: its characters from U+00A9 on, exactly (a range
    that claims a character the font lacks makes Pango draw that one as .notdef)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(file), lazy=True) as font:
        codes = sorted(c for c in font.getBestCmap() or {} if c >= 0xA9)
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ", ".join(f"U+{lo:X}" if lo == hi else f"U+{lo:X}-{hi:X}" for lo, hi in ranges) or "U+A9"


def _line(book: Book, loc: tuple) -> int | None:
    while loc:
        if loc in book.config_lines:
            return book.config_lines[loc]
        loc = loc[:-1]
    return None


@cache
def read_face(file: Path, mtime: float) -> tuple[str, int, str, bool]:
    """(family, weight, style, colour) from a font's name and OS/2 tables; ValueError if it is not a font."""
    from fontTools.ttLib import TTFont, TTLibError

    with file.open("rb") as fh:
        if fh.read(4) == b"ttcf":
            raise ValueError(
                "it is a font collection (.ttc), which neither PDF nor EPUB can embed: use a "
                "single font of it (fontTools: TTCollection(path).fonts[i].save('x.ttf'))"
            )
    try:
        with TTFont(str(file), lazy=True, fontNumber=0) as font:
            names = font["name"]
            family = names.getDebugName(16) or names.getDebugName(1)
            os2 = font.get("OS/2")
            weight = os2.usWeightClass if os2 else 400
            italic = bool(os2 and os2.fsSelection & 1) or bool(font["head"].macStyle & 2)
            colour = bool(COLOUR_TABLES.intersection(font.keys()))
    except (TTLibError, KeyError, AssertionError, OSError, struct.error) as exc:
        raise ValueError(f"it is not a font file that can be read ({exc})") from None
    if not family:
        raise ValueError("the font has no family name")
    weight = min(900, max(100, round(weight / 100) * 100))
    return family, weight, "italic" if italic else "normal", colour


def load_fonts(book: Book, report: Report | None = None) -> BookFonts | None:
    """The fonts of book.yaml, read; problems are reported at their book.yaml line."""
    config = getattr(book.config, "fonts", None)
    if config is None:
        return None
    report = report or Report()
    roles: list[tuple[str, tuple[Face, ...]]] = []
    taken: dict[tuple[str, int, str], Face] = {}
    lists: dict[str, tuple[Face, ...]] = {}
    for role in (*ROLES, "fallback"):
        faces: list[Face] = []
        for i, entry in enumerate(getattr(config, role)):
            line = _line(book, ("fonts", role, i))
            path = (book.root / entry).resolve()
            if not is_inside(path, book.root):
                report.error(f"font file is outside the project directory: {entry}", "book.yaml", line)
                continue
            if not path.is_file():
                report.error(f"font file not found: {entry}", "book.yaml", line)
                continue
            if path.suffix.lower() not in FONT_SUFFIXES:
                report.error(
                    f"font file {entry}: must be TrueType (.ttf), OpenType (.otf), WOFF or WOFF2",
                    "book.yaml",
                    line,
                )
                continue
            try:
                family, weight, style, colour = read_face(path, path.stat().st_mtime)
            except ValueError as exc:
                report.error(f"font file {entry}: {exc}", "book.yaml", line)
                continue
            rel = path.relative_to(book.root.resolve()).as_posix()
            face = Face(rel, path, family, weight, style, colour)
            other = taken.setdefault((family, weight, style), face)
            if other.file != path:
                report.error(
                    f"font file {entry} is the same face as {other.rel} ('{family}', weight {weight}, "
                    f"{style}): list one of them",
                    "book.yaml",
                    line,
                )
                continue
            faces.append(face)
        lists[role] = tuple(faces)
        if role in ROLES and getattr(config, role):
            roles.append((role, tuple(faces)))
    return BookFonts(tuple(roles), lists["fallback"])


# The blocks print.css justifies and epub.css hyphenates.
_TEXT_BLOCKS = ("p", "li", "dd", "td", "th", "figcaption", "caption", "blockquote")
_JUSTIFIED = ("p", "li", "dd", "blockquote")


def hyphenates(language: str) -> bool:
    """Whether Pyphen (WeasyPrint's hyphenation) has a dictionary for the language."""
    import pyphen

    return bool(pyphen.language_fallback(language.replace("-", "_")))


def generated_css(fonts: BookFonts | None, languages: tuple[str, ...], fmt: str) -> str:
    """fonts:'s @font-face rules, and for a language without hyphenation dictionary text
    that is neither hyphenated nor justified: justified without hyphens, a line of Arabic,
    Hebrew or of a script without spaces opens rivers; CJK and Thai break between
    characters anyway."""
    parts = [fonts.font_face_css("pdf" if fmt == "pdf" else "epub")] if fonts and fonts.faces else []
    for language in languages:
        if hyphenates(language):
            continue
        hyphenated = ", ".join(f":lang({language}) {block}" for block in _TEXT_BLOCKS)
        justified = ", ".join(f":lang({language}) {block}" for block in _JUSTIFIED)
        parts.append(
            f"/* {language}: no hyphenation dictionary */\n"
            f"{hyphenated} {{ hyphens: manual; -webkit-hyphens: manual; -epub-hyphens: manual; }}\n"
            f"{justified} {{ text-align: start; }}\n"
        )
        if language.split("-")[0].lower() in CJK:
            parts.append(_cjk_css(language, fmt, running_heads=language == languages[0]))
    return "".join(parts)


CJK = {"ja", "zh", "ko"}
_SPACED = (".chapter-label", ".box-title", ".callout-label", ".fenced-title", ".toc-label", ".cover-kicker")


def _cjk_css(language: str, fmt: str, running_heads: bool) -> str:
    """Chinese, Japanese and Korean: no letter-spacing (it pulls ideographs apart and
    strands punctuation), no small capitals or upper case; in the EPUB, CSS Text's strict
    line breaking (no line starts with 。、」 or small kana). WeasyPrint breaks lines with
    Pango, which keeps those rules already, and does not know ``line-break``."""
    spaced = ", ".join(f":lang({language}) {s}" for s in _SPACED)
    css = f"/* {language}: CJK */\n{spaced} {{ letter-spacing: normal; text-transform: none; }}\n"
    if fmt == "pdf":
        if running_heads:  # the book's own language: its running heads too
            for side in ("left", "right"):
                pages = ", ".join(f"{name}:{side}" for name in ("body-start", "chapter", "back"))
                css += (
                    f"@page {pages} {{ @top-{side} {{ letter-spacing: normal; text-transform: none; }} }}\n"
                )
        return css
    return css + f":lang({language}) {{ line-break: strict; word-break: normal; }}\n"
