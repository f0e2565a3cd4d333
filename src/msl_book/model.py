"""The book as plain data: what the loader produces and the passes consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .roles import Role
from .schema import BookConfig, FrontMatter


@dataclass(frozen=True)
class Chapter:
    """One chapter file: validated front matter plus its Markdown body."""

    path: str  # project-relative, POSIX separators; used in messages
    file: Path  # absolute
    meta: FrontMatter
    id: str
    body: str
    body_line: int  # 1-based line of the first body line in the file
    meta_lines: dict[tuple, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def role(self) -> Role:
        return self.meta.role

    @property
    def title(self) -> str:
        return self.meta.title


def isbn(identifier: str) -> str | None:
    """The ISBN in an identifier such as 'urn:isbn:9780000000000', else None."""
    return identifier.removeprefix("urn:isbn:") if identifier.startswith("urn:isbn:") else None


@dataclass(frozen=True)
class Book:
    root: Path
    config: BookConfig
    chapters: tuple[Chapter, ...]
    complete: bool = True  # False when a chapter file could not be read: link checks would mislead
    config_lines: dict[tuple, int] = field(default_factory=dict, compare=False, repr=False)
