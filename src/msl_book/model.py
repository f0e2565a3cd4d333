"""The book as plain data: what the loader produces and the passes consume."""

from __future__ import annotations

import re
import unicodedata
import uuid
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
        return self.meta.title or ""


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

    config_valid: bool = True  # False: book.yaml had errors and ``config`` holds what could be read

    @property
    def identifier(self) -> str:
        """book.yaml's identifier, else a UUID derived from title, authors and language."""
        config = self.config
        if config.identifier:
            return config.identifier
        seed = "|".join(["msl-book", config.title, *(a.name for a in config.authors), config.language])
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"

    @property
    def output_name(self) -> str:
        """The outputs' file name without extension; with translations, the language's
        tag after it (``handbook.de``)."""
        name = self.config.base_name()
        return f"{name}.{self.config.language}" if self.config.translations else name


def slugify(text: str) -> str:
    """'Key Responsibilities & Skills' -> 'key-responsibilities-skills'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug if slug and slug[0].isalpha() else f"s-{slug}" if slug else "section"
