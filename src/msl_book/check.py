"""check(): everything that can be known without laying out a page, reported all at once.

book.yaml and front matter, Markdown, ids and links, images, the glossary, heading order,
templates (compiled, and rendered for both outputs when the book itself is sound),
stylesheets' url()s and the characters the fonts lack; and, the one thing that depends on
the day it runs, document control's review and expiry dates that have passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cover import cover_name
from .doccontrol import date_warnings
from .document import BookModel
from .errors import BookError, Diagnostic, Report
from .model import isbn
from .pipeline import Prepared, prepare
from .translations import compare


@dataclass(frozen=True)
class CheckResult:
    model: BookModel
    warnings: list[Diagnostic]


def check(project: Path, strict: bool = False) -> CheckResult:
    """Raises BookError with every problem found."""
    from .renderers.epub.publication import stylesheet_files

    report = Report(strict=strict)
    prepared = prepare(project.resolve(), report, stop=False)
    stylesheet_files(prepared.theme, report)
    if prepared.book.config_valid:  # a review or expiry date that has passed (today's date)
        lines = prepared.book.config_lines
        date_warnings(prepared.book.config, lambda loc: lines.get(tuple(loc)), report)
    editions = [prepared]
    if prepared.book.config_valid:
        for language in prepared.book.config.translations:
            edition = prepare(project.resolve(), report, stop=False, language=language)
            compare(prepared.model, edition.model, report)
            editions.append(edition)
        for edition in editions:
            render_templates(edition, report)
    report.items = list(dict.fromkeys(report.items))  # what the editions share is said once
    report.raise_if_failed()
    return CheckResult(prepared.model, report.warnings)


def render_templates(prepared: Prepared, report: Report) -> None:
    """Render the print document and the EPUB's documents, to find what goes wrong in a
    template only when it runs (an undefined variable, a failing filter)."""
    from .renderers.epub.publication import publication
    from .renderers.pdf.html import print_html, print_meta

    model, env, book = prepared.model, prepared.env, prepared.book
    number = isbn(prepared.identifier)
    renders = [
        lambda: print_html(model, env, print_meta(book, prepared.modified, "screen", number)),
        lambda: publication(model, env, prepared.theme, (cover_name(book), b""), [], Report(), number),
    ]
    for run in renders:
        try:
            run()
        except BookError as exc:
            report.items += [d for d in exc.diagnostics if d not in report.items]
