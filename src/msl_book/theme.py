"""The default theme (templates/ and styles/) and how a book's own files override it.

The theme's source is the top of the repository; the wheel carries a copy inside the
package (pyproject: force-include). A book's own templates/ and styles/ take precedence,
file by file, over the theme's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


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

    def __init__(self, project: Path):
        self.project = project.resolve()
        self.default = theme_dir().resolve()

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
