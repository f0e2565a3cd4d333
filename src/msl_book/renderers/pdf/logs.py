"""WeasyPrint's own log, captured: its problems become diagnostics with the file and line
they belong to, and its progress messages reach the command's status line.

WeasyPrint reports a missing image, CSS it ignores or a refused URL only as log records;
left alone they would scroll past, or not show at all.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ...errors import Report
from ...paths import relative
from ...theme import Theme
from .fetcher import ProjectFetcher


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs() -> Iterator[_Capture]:
    logger = logging.getLogger("weasyprint")
    handler = _Capture()
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


@contextmanager
def forwarded_progress(callback: Callable[[str], None] | None) -> Iterator[None]:
    """Forward WeasyPrint's own progress messages ("Step 5 - Creating layout - Page 3")."""
    if callback is None:
        yield
        return
    logger = logging.getLogger("weasyprint.progress")

    class Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            callback(record.getMessage())

    handler = Forward(logging.INFO)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


_FILE_URL = re.compile(r"file://[^\s'\"),]+")


def shown(path: Path, project: Path, theme: Theme) -> str:
    """A stylesheet's path as the author knows it: the book's own, or the theme's styles/."""
    if (rel := theme.style_relpath(path)) and not path.resolve().is_relative_to(project.resolve()):
        return f"(theme) styles/{rel}"
    return relative(path, project)


_AT_LINE = re.compile(r" at (\d+):\d+")
# About the machine, not the book: without HarfBuzz's subsetter WeasyPrint subsets fonts with
# fontTools (slower, and reproducible only through weasyprint_compat.font_subsets). A
# warning there would fail every --strict build of a sound book.
NOT_THE_BOOKS = ("Using fontTools instead of HarfBuzz-Subset",)
# Already said at the image's line (passes/references.py), and the PDF then claims no PDF/UA.
SAID_BEFORE = re.compile(r'Image ".*" has no required alt description')
# The PDF's font configuration has only the book's fonts (fontconfig.py): a character none
# of them has is drawn as a blank box. Those of the chapters were reported at their lines
# before layout; what is left comes from a template, a stylesheet's content or a generated
# text.
NOTDEF = re.compile(r"\.notdef glyph rendered for Unicode string unsupported by fonts: .* \(U\+(\w+)\)$")


def report_logs(
    records: list[logging.LogRecord],
    fetcher: ProjectFetcher | None,
    project: Path,
    report: Report,
    source: str = "",
) -> None:
    refused = set(fetcher.refused) if fetcher else set()
    for url in sorted(refused):
        report.error(f"refused to load {url}: a book may only use files inside its project directory", "")
    blank: set[str] = set()
    for record in records:
        message = record.getMessage().split("\n", 1)[0]
        if m := NOTDEF.match(message):
            char = chr(int(m[1], 16))
            if char not in blank:
                blank.add(char)
                name = unicodedata.name(char, "unnamed character")
                report.error(
                    f"the PDF shows a blank box for '{char}' (U+{ord(char):04X} {name}): no font of the "
                    "book can draw it (it is in a template, a stylesheet's content or a generated text); "
                    "add a font that has it to book.yaml's fonts: fallback",
                    source,
                )
            continue
        if any(url in message for url in refused) or message.startswith(NOT_THE_BOOKS):
            continue
        if SAID_BEFORE.match(message):
            continue
        message = _FILE_URL.sub(lambda m: relative(Path(url2pathname(urlsplit(m[0]).path)), project), message)
        line = int(m[1]) if source and (m := _AT_LINE.search(message)) else None
        text = f"WeasyPrint: {_AT_LINE.sub('', message) if line else message}"
        if record.levelno >= logging.ERROR:
            report.error(text, source, line)
        else:
            report.warning(text, source, line)
