"""The one pipeline behind check, build and serve: load the book, resolve it with the passes,
and set up its theme and templates.

``check`` stops there and renders the templates without laying anything out; ``build``
hands the result to the renderers; ``serve`` to the preview of the EPUB's documents.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

from . import collector
from .document import BookModel
from .errors import BookError, Report
from .fonts import check_characters, check_stacks
from .loader import load_book
from .model import Book
from .passes import resolve
from .templating import check_templates, environment
from .theme import Theme


@dataclass(frozen=True)
class Prepared:
    """The book, resolved, with what every output is made with."""

    book: Book
    model: BookModel
    theme: Theme
    env: Environment
    modified: dt.datetime  # the outputs' date

    @property
    def identifier(self) -> str:
        return self.book.identifier


def prepare(project: Path, report: Report, stop: bool = True, language: str | None = None) -> Prepared:
    """Load and resolve the book in ``project`` (``language``: one of its translations);
    raises BookError when it cannot be read at all, and (with ``stop``) when anything fatal
    was found."""
    with collector.paused():  # many objects, no cyclic garbage
        return _prepare(project, report, stop, language)


def _prepare(project: Path, report: Report, stop: bool, language: str | None) -> Prepared:
    book = load_book(project.resolve(), report, language)
    if book is None:
        report.raise_if_failed()
        raise BookError(report.items)  # pragma: no cover - load_book reports why it failed
    model = resolve(book, report)
    theme = Theme.of(book, report)  # book.yaml's fonts: are read here
    env = environment(theme)
    env.globals["t"] = model.strings  # the built-in strings in the book's language (l10n)
    env.globals["typefaces"] = theme.typefaces
    check_templates(env, report)
    modified = modified_time(book, report)
    check_stacks(theme, report)
    check_characters(book, theme, report)  # before any layout: at their lines, with the rest
    if stop:
        report.raise_if_failed()
    return Prepared(book, model, theme, env, modified)


def modified_time(book: Book, report: Report) -> dt.datetime:
    """SOURCE_DATE_EPOCH if set, else the book's date, else a fixed date: never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        if re.fullmatch(r"\d+", epoch.strip()):
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        report.error(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}")
    if book.config.date:
        return dt.datetime.combine(book.config.date, dt.time(0), dt.UTC)
    return dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
