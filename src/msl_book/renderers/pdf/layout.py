"""Lay the print HTML out with WeasyPrint and write the tagged PDF.

One layout per edition: the same Document gives the PDF, its page labels and the page map
the EPUB uses for its page-list. Resources load through ProjectFetcher, which serves files
from the project and the theme only; what WeasyPrint logs becomes diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from ...errors import Report
from ...fonts import font_faces
from ...theme import Theme
from ...weasyprint_compat import patched
from ...weasyprint_compat.parts import PartState, part_patch
from .fetcher import ProjectFetcher
from .logs import captured_logs, forwarded_progress, report_logs, shown
from .pages import PageInfo, label_finisher, page_infos

VARIANTS = {"ua-1": "pdf/ua-1", "a-3u": "pdf/a-3u", "none": None}


BASE_FONT_SIZE = {"A4": "10.5pt", "letter": "10.5pt", "legal": "10.5pt", "A5": "9.5pt", "B5": "10pt"}


@dataclass
class PrintLayout:
    document: object  # weasyprint.Document
    pages: list[PageInfo] = field(default_factory=list)
    fonts: set[str] = field(default_factory=set)
    written: Callable[[], None] = lambda: None  # waits until the PDF file is complete


def check_fonts(layout: PrintLayout, theme: Theme, report: Report) -> bool:
    """A missing glyph or font family silently falls back to a system font: make it an error.
    Returns True when that happened."""
    declared = {family for family, _ in font_faces(theme)}
    fallback = sorted(layout.fonts - declared)
    for family in fallback:
        report.error(
            f"text was set in the system font '{family}', which the stylesheets do not provide: "
            "a character is missing from the book's fonts, or a font-family names a font without @font-face"
        )
    return bool(fallback)


PAGE_HEIGHTS = {"A4": "297mm", "A5": "210mm", "B5": "250mm", "letter": "11in", "legal": "14in"}


def page_geometry_css(page_size: str) -> str:
    """Page size and the sizes that depend on it (base font, full-page cover)."""
    font_size = BASE_FONT_SIZE.get(page_size, "9.5pt")
    height = PAGE_HEIGHTS.get(page_size) or page_size.split()[-1]
    return (
        f"@page {{ size: {page_size}; }}\n"
        f"html {{ font-size: {font_size}; }}\n"
        f"html {{ --page-height: {height}; }}\n"
    )


def edition_css(edition: str) -> str:
    if edition != "print":
        return ""
    return "@page { bleed: 3mm; marks: crop cross; }\n"


def lay_out(
    html: str,
    project: Path,
    theme: Theme,
    page_size: str,
    edition: str,
    report: Report,
    progress: Callable[[str], None] | None = None,
    part: PartState | None = None,
) -> PrintLayout:
    """Lay the print HTML out once; problems WeasyPrint logs become diagnostics.

    With ``part``, the HTML is one part of a book (see ``parts.py``): its pages are numbered
    from ``part.first_number`` and references to other parts' anchors get their numbers.
    """
    fetcher = ProjectFetcher([project, theme.default], theme)
    font_config = FontConfiguration()
    sheets = []
    for _, path in theme.stylesheets("pdf"):
        with captured_logs() as logs:  # parsing happens here: problems belong to this file
            sheets.append(CSS(filename=str(path), font_config=font_config, url_fetcher=fetcher))
        report_logs(logs.records, None, project, report, source=shown(path, project, theme))
    extra = ""
    if part:
        extra = PART_END_CSS + (PART_CONTINUED_CSS if part.first_number is not None else "")
    geometry = CSS(
        string=page_geometry_css(page_size) + edition_css(edition) + extra, font_config=font_config
    )
    sheets.insert(2, geometry)  # after base.css and print.css, before a book's custom.css
    with (
        captured_logs() as logs,
        forwarded_progress(progress),
        patched(extra=[part_patch(part)] if part else []),
    ):
        document = HTML(string=html, base_url=project.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=font_config
        )
    report_logs(logs.records, fetcher, project, report)
    if part is None:
        return PrintLayout(document=document, pages=page_infos(document))
    if document.pages and document.pages[-1]._page_box.page_type.name == PART_END:
        del document.pages[-1]  # the page of the part's end marker, after any blank verso
    return PrintLayout(document=document, pages=page_infos(document, part.first_number))


PART_END = "msl-part-end"


PART_END_CSS = f".{PART_END} {{ page: {PART_END}; break-before: right; }}\n"


# A part after the first one starts mid-document: the root's top margin (the UA's 8px on
# body) belongs to the book's first page only.
PART_CONTINUED_CSS = "html, body { margin-top: 0 !important; padding-top: 0 !important; }\n"


def anchor_pages(layout: PrintLayout) -> dict[str, int]:
    """The index of the first page where each anchor of the layout appears."""
    found: dict[str, int] = {}
    for index, page in enumerate(layout.document.pages):
        for name in page.anchors:
            found.setdefault(name, index)
    return found


def add_outside_anchors(layout: PrintLayout, names: Iterable[str]) -> None:
    """Let links to anchors of other parts survive WeasyPrint's check: they are given a
    destination here, which the merge replaces with the real one."""
    if layout.document.pages:
        anchors = layout.document.pages[0].anchors
        for name in sorted(names):
            anchors.setdefault(name, (0, 0, 0, 0))


def write_pdf(
    layout: PrintLayout, target: Path, standard: str, identifier: bytes, report: Report, labels: bool = True
) -> None:
    """Write the laid-out document as tagged PDF with page labels matching the folios."""
    variant = VARIANTS[standard]
    options: dict[str, object] = {"pdf_identifier": identifier, "pdf_tags": True}
    if variant:
        options["pdf_variant"] = variant
    finisher = label_finisher(layout.pages) if labels else None
    with captured_logs() as logs, patched():
        layout.document.write_pdf(target=str(target), finisher=finisher, **options)
    layout.fonts = {font.family for font in layout.document.fonts.values()}
    report_logs(logs.records, None, target.parent, report)
