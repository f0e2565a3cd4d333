"""The default theme (templates/ and styles/) and how a book's own files override it.

The theme's source is the top of the repository; the wheel carries a copy inside the
package (pyproject: force-include). A book's own templates/ and styles/ take precedence,
file by file, over the theme's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .fontfiles import BookFonts
    from .model import Book

T = TypeVar("T")


@cache
def theme_dir() -> Path:
    bundled = Path(__file__).parent / "theme"
    if (bundled / "templates").is_dir():
        return bundled
    checkout = Path(__file__).resolve().parents[2]  # editable install from a source checkout
    if (checkout / "templates").is_dir() and (checkout / "styles").is_dir():
        return checkout
    raise RuntimeError("msl-book's default theme is missing; reinstall msl-book")


class Theme:
    """Looks files up in the book's directories first, then in the default theme."""

    def __init__(self, project: Path, fonts: BookFonts | None = None, languages: tuple[str, ...] = ()):
        self.project = project.resolve()
        self.default = theme_dir().resolve()
        self.fonts = fonts  # book.yaml's fonts:, when it has them
        self.languages = languages  # the book's and its chapters' languages
        self._memo: dict[str, object] = {}  # what is derived from the stylesheets, read once

    @property
    def typefaces(self) -> list[str]:
        """The body and heading typefaces' names, for the colophon."""
        if self.fonts is None:
            return ["Charis SIL", "Inter"]
        names = [*self.fonts.families("body"), *self.fonts.families("headings")]
        return list(dict.fromkeys(names)) or ["Charis SIL", "Inter"]

    @classmethod
    def of(cls, book: Book, report: object = None) -> Theme:
        """The theme of a book: its fonts (reported to ``report``) and languages."""
        from .fontfiles import load_fonts

        languages = (getattr(book.config, "language", None), *(ch.meta.lang for ch in book.chapters))
        return cls(book.root, load_fonts(book, report), tuple(dict.fromkeys(filter(None, languages))))  # type: ignore[arg-type]

    @property
    def template_dirs(self) -> list[Path]:
        return [d for d in (self.project / "templates", self.default / "templates") if d.is_dir()]

    @property
    def style_dirs(self) -> list[Path]:
        return [d for d in (self.project / "styles", self.default / "styles") if d.is_dir()]

    def style(self, relpath: str) -> Path | None:
        """The file that serves ``styles/<relpath>``: the book's own, else the theme's."""
        for base in self.style_dirs:
            candidate = base / relpath
            if candidate.is_file():
                return candidate
        return None

    def style_relpath(self, path: Path) -> str | None:
        """'/…/styles/fonts/X.ttf' -> 'fonts/X.ttf' when path lies in a styles directory."""
        resolved = path.resolve()
        for base in self.style_dirs:
            try:
                return resolved.relative_to(base.resolve()).as_posix()
            except ValueError:
                continue
        return None

    def stylesheets(self, fmt: str) -> list[tuple[str, Path]]:
        """(relpath, file) of the stylesheets for 'pdf' or 'epub', in cascade order."""
        names = ["base.css", "print.css" if fmt == "pdf" else "epub.css", "custom.css"]
        return [(n, p) for n in names if (p := self.style(n)) is not None]

    def cached(self, key: str, make: Callable[[], T]) -> T:
        """``make()``, once per theme: a build asks for the stylesheets and what comes from
        them (their faces, their stacks) many times, and a theme is made per build."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[return-value]

    def stylesheet_texts(self, fmt: str) -> list[tuple[str, Path | None, str]]:
        """(relpath, file, text) of the stylesheets as the outputs get them: font stacks
        made from book.yaml's fonts:, and the generated rules (fonts:'s @font-face rules,
        the languages' justification) before a book's custom.css. ``file`` is None for the
        generated sheet."""
        return list(self.cached(f"texts:{fmt}", lambda: self._stylesheet_texts(fmt)))

    def _stylesheet_texts(self, fmt: str) -> list[tuple[str, Path | None, str]]:
        from .fontfiles import GENERATED, generated_css

        sheets: list[tuple[str, Path | None, str]] = []
        for rel, path in self.stylesheets(fmt):
            text = path.read_text("utf-8")
            sheets.append((rel, path, self.fonts.rewrite(text) if self.fonts else text))
        if generated := generated_css(self.fonts, self.languages, fmt):
            at = next((i for i, (rel, _, _) in enumerate(sheets) if rel == "custom.css"), len(sheets))
            sheets.insert(at, (GENERATED, None, generated))
        return sheets
