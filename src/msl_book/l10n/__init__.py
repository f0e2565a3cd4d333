"""The words msl-book writes itself ("Contents", "Chapter 3", "Answer"), in the book's language.

They live in gettext catalogues: ``messages.pot`` lists every string, each under a key (its
``msgctxt``, such as ``chapter-label``) with its English text as ``msgid``; ``<lang>.po``
translates them. Babel reads the catalogues (no compiled ``.mo`` files to keep in step),
and Python's ``gettext`` looks the strings up. ``book.yaml`` ``strings:`` overrides any of
them by key. Placeholders are ``{name}`` (python-brace-format); a translation must use the
same ones as the English text.

Dates are Babel's long date format of the book's locale.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "messages.pot"
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@cache
def english() -> dict[str, str]:
    """key -> English text, from messages.pot."""
    with TEMPLATE.open("rb") as f:
        catalog = read_po(f)
    return {m.context: m.id for m in catalog if m.id and m.context}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@cache
def shipped() -> list[str]:
    """The languages with a catalogue, as file names: 'de', 'zh_Hans'."""
    return sorted(p.stem for p in HERE.glob("*.po"))


@cache
def catalogue_for(tag: str) -> str | None:
    """The shipped catalogue for a BCP 47 tag: 'de-CH' -> 'de', 'zh-CN' -> 'zh_Hans',
    'pt-BR' -> 'pt'; 'en…' and languages without one -> None (English)."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None
    script = locale.script
    if script is None:  # the script a language is written in when the tag does not say
        likely = get_global("likely_subtags").get(
            f"{locale.language}_{locale.territory}" if locale.territory else locale.language
        ) or get_global("likely_subtags").get(locale.language, "")
        parts = likely.split("_")
        script = parts[1] if len(parts) > 2 else None
    available = set(shipped())
    for name in (f"{locale.language}_{script}", locale.language):
        if name in available:
            return name
    return None


@cache
def babel_locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale("en")


@cache
def _translations(name: str) -> gettext.GNUTranslations:
    with (HERE / f"{name}.po").open("rb") as f:
        catalog = read_po(f, locale=name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def direction(tag: str) -> str:
    """'rtl' for a language written from right to left (Arabic, Hebrew, Persian, Urdu…)."""
    return "rtl" if babel_locale(tag).character_order == "right-to-left" else "ltr"


@dataclass(frozen=True)
class Strings:
    """The built-in strings of one book: ``strings("chapter-label", number=3)``."""

    language: str  # the book's language tag
    overrides: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, config: object) -> Strings:
        """A book's strings: its language and book.yaml strings: (neither, when book.yaml
        was invalid and the config holds only what could be read)."""
        return cls(getattr(config, "language", "en"), getattr(config, "strings", {}))

    @property
    def catalogue(self) -> str | None:
        return catalogue_for(self.language)

    def __call__(self, key: str, **values: object) -> str:
        text = self.overrides.get(key)
        if text is None:
            source = english()[key]  # KeyError: a string missing from messages.pot is a bug
            name = self.catalogue
            text = _translations(name).pgettext(key, source) if name else source
        return text.format(**values) if values else text

    @property
    def direction(self) -> str:
        return direction(self.language)

    def date(self, day: dt.date) -> str:
        """A date written out, as the language writes it: '4 March 2026', '4. März 2026'."""
        return format_date(day, format="long", locale=babel_locale(self.language))

    def css(self) -> str:
        """The page references' words, as CSS: the print stylesheet shows page numbers with
        ``target-counter()``, and its words come from here."""
        rules = []
        for selector, key in (
            ("a.xref::after", "xref-page"),
            (".answer-link::after, .question-link::after", "link-page"),
        ):
            before, _, after = self(key).partition("{page}")
            # the number never starts a line of its own: no break next to it
            before = before[:-1] + "\u00a0" if before.endswith(" ") else before
            after = "\u00a0" + after[1:] if after.startswith(" ") else after
            parts = [_css_string(before)] if before else []
            parts.append("target-counter(attr(href url), page)")
            if after:
                parts.append(_css_string(after))
            rules.append(f"{selector} {{ content: {' '.join(parts)}; }}")
        return "\n".join(rules) + "\n"


def _css_string(text: str) -> str:
    """A CSS string, as the stylesheet is UTF-8: only what would end or break it escaped (a
    hex escape swallows the space after it, which cost '، ص' its space)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


def check_overrides(overrides: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, problem) of every override that names no string or changes its placeholders."""
    from ..errors import did_you_mean

    known = english()
    problems = []
    for key, text in overrides.items():
        if key not in known:
            problems.append((key, f"no built-in string is called {key!r}{did_you_mean(key, known)}"))
        elif placeholders(text) != placeholders(known[key]):
            want = ", ".join(f"{{{p}}}" for p in sorted(placeholders(known[key]))) or "none"
            problems.append((key, f"must use the same placeholders as {known[key]!r} ({want})"))
    return problems
