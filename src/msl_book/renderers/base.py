"""What a renderer is: one output format, made from the resolved book.

build() runs the renderers of the requested outputs in order, handing each the page map
the ones before it produced: the PDF makes one (which element starts each printed page),
the EPUB uses it for its page-list. That is the only thing that passes between them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from jinja2 import Environment

from ..document import BookModel
from ..errors import Report
from ..pagemap import PageMap
from ..pipeline import Prepared
from ..theme import Theme

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Job:
    """What every renderer of one build gets."""

    prepared: Prepared  # the resolved book, its theme and templates
    staging: Path  # where outputs are written before they are moved into place
    report: Report
    say: Progress
    done: list[Rendered] = field(default_factory=list)  # this edition's outputs so far, in order
    reuse: bool = True  # False (build --force): no earlier layout is taken from dist/
    # work of the renderers after this one that does not need its output: done while a PDF
    # is laid out in other processes (renderers/pdf/parts), each once, or not at all
    meanwhile: list[Callable[[], None]] = field(default_factory=list)
    drafts: dict[str, object] = field(default_factory=dict)  # what that work made, by format

    @property
    def model(self) -> BookModel:
        return self.prepared.model

    @property
    def theme(self) -> Theme:
        return self.prepared.theme

    @property
    def env(self) -> Environment:
        return self.prepared.env

    @property
    def identifier(self) -> str:
        """The book's identifier (urn:isbn:…, urn:uuid:…)."""
        return self.prepared.identifier

    @property
    def modified(self) -> dt.datetime:
        """The outputs' date (SOURCE_DATE_EPOCH or the book's date)."""
        return self.prepared.modified

    @property
    def name(self) -> str:
        """The outputs' file name without extension."""
        return self.prepared.book.output_name


@dataclass
class Rendered:
    """One output file, perhaps still being finished (a long PDF is joined in another process)."""

    format: str
    file: Path
    pages: int | None = None
    edition: str | None = None
    page_map: PageMap | None = None
    wait: Callable[[], None] = field(default=lambda: None, repr=False)  # returns once the file is complete
    publish: bool = True  # False: only made for the outputs after it (a print edition's screen layout)
    # the files its layout loaded through the fetcher (a font a stylesheet names from outside
    # styles/, say): inputs of the build as much as the chapters are
    loaded: tuple[Path, ...] = ()


class Renderer(Protocol):
    def render(self, job: Job, page_map: PageMap | None) -> Rendered:
        """Write the output into ``job.staging``; problems go to ``job.report``, and a
        problem that stops the output raises BookError."""
        ...
