"""User-facing problems: every one carries the place it comes from.

Anything that is the author's fault (bad YAML, a broken link, a missing image) becomes a
Diagnostic and is reported as ``path:line: message``; the CLI prints them without a
traceback. A build that cannot finish for a reason outside the book (a full disk, an output
path that is a file, a layout worker the system killed) raises Failure, which the CLI prints
as one line. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str = ""
    line: int = 0
    message: str = ""
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = self.path
        if self.path and self.line:
            where = f"{self.path}:{self.line}"
        text = self.message if self.severity is Severity.ERROR else f"warning: {self.message}"
        return f"{where}: {text}" if where else text


class BookError(Exception):
    """Raised when a book cannot be built; holds every diagnostic of the run."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics), key=_order)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def _order(d: Diagnostic) -> tuple[str, int, str]:
    return (d.path, d.line, d.message)


class Report:
    """Collects diagnostics across a whole run so they can be reported together."""

    def __init__(self, strict: bool = False):
        self.strict = strict
        self.items: list[Diagnostic] = []

    def error(self, message: str, path: str = "", line: int | None = None) -> None:
        self.items.append(Diagnostic(path, line or 0, message, Severity.ERROR))

    def warning(self, message: str, path: str = "", line: int | None = None) -> None:
        self.items.append(Diagnostic(path, line or 0, message, Severity.WARNING))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def failed(self) -> bool:
        return bool(self.errors) or (self.strict and bool(self.warnings))

    def raise_if_failed(self) -> None:
        """Stop the run if anything fatal was found; warnings alone pass unless strict."""
        if self.failed():
            raise BookError(self.items)


class Failure(Exception):
    """The build could not finish for a reason outside the book: the machine, the file system,
    a worker process that died. The message is one line that says what happened and what
    was left as it was."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to ``name``, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
