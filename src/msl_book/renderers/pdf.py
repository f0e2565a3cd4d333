"""The PDF renderer: the only module that imports WeasyPrint.

One layout per build: the same Document gives the PDF, its page labels, and the page map
the EPUB uses for its page-list. Resources load through ProjectFetcher, which serves files
from the project and the theme only. WeasyPrint reports problems only as log records; they
are captured and become diagnostics.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pydyf
from jinja2 import Environment
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .. import pagemap
from ..checks import font_faces
from ..document import BookModel
from ..errors import Report
from ..links import Links
from ..paths import is_inside, relative
from ..theme import Theme
from ..xhtml import parse_document, serialize_document
from . import part_hooks, weasyprint_fixes
from .markup import Writer
from .part_hooks import PartState

weasyprint_fixes.apply()
part_hooks.apply()

VARIANTS = {"ua-1": "pdf/ua-1", "a-3u": "pdf/a-3u", "none": None}
BASE_FONT_SIZE = {"A4": "10.5pt", "letter": "10.5pt", "legal": "10.5pt", "A5": "9.5pt", "B5": "10pt"}
# Smaller pages (trim sizes such as 6x9in) get 9.5pt.


@dataclass
class PageInfo:
    index: int  # 0-based physical page
    label: str  # the printed folio ("Cover", "iii", "12")
    kind: str  # cover | front | body
    blank: bool
    block: str | None = None  # key of the block the page's first line belongs to
    continued: bool = False  # that block began on an earlier page
    words: str = ""  # the first whole words printed on the page (continued blocks only)
    next_block: str | None = None  # key of the first block that begins on this page


@dataclass
class PrintLayout:
    document: object  # weasyprint.Document
    pages: list[PageInfo] = field(default_factory=list)
    fonts: set[str] = field(default_factory=set)
    written: Callable[[], None] = lambda: None  # waits until the PDF file is complete


class ProjectFetcher(URLFetcher):
    """Serves file: URLs under the allowed roots and data: URLs; refuses everything else.

    A style asset that a book's own styles/ lacks (say, fonts/X.ttf next to an overridden
    base.css) is served from the theme, like the stylesheets themselves.
    """

    def __init__(self, roots: list[Path], theme: Theme):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=1)
        self.roots = [r.resolve() for r in roots]
        self.theme = theme
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(parts.path))
            if any(is_inside(path, root) for root in self.roots):
                if not path.is_file() and (rel := self.theme.style_relpath(path)):
                    path = self.theme.style(rel) or path
                if path.is_file():
                    mime, _ = mimetypes.guess_type(path.name)
                    headers_out = {"Content-Type": mime} if mime else {}
                    return URLFetcherResponse(url, body=path.read_bytes(), headers=headers_out)
                raise FileNotFoundError(f"file not found: {path}")
        self.refused.append(url)
        raise ValueError(f"refused to load {url}: only files inside the project can be used")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _captured_logs() -> Iterator[_Capture]:
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
def _progress(callback: Callable[[str], None] | None) -> Iterator[None]:
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


def print_writer(model: BookModel) -> Writer:
    """Print's way with content: one document, images by file URL, each note at its call."""

    def image_url(rel: str) -> str | None:
        path = model.images.get(rel)
        return path.as_uri() if path is not None else None

    return Writer("pdf", Links(model), image_url, inline_notes=True)


def print_html(rbook: BookModel, env: Environment, meta: dict[str, object]) -> str:
    """The whole book as one HTML document, every block keyed for the page map."""
    html = env.get_template("print/book.html.j2").render(
        book=rbook, config=rbook.config, out=print_writer(rbook), meta=meta
    )
    root = parse_document(html)
    pagemap.annotate(root)
    return serialize_document(root, xml_declaration=False).decode("utf-8")


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
        with _captured_logs() as logs:  # parsing happens here: problems belong to this file
            sheets.append(CSS(filename=str(path), font_config=font_config, url_fetcher=fetcher))
        _report_logs(logs.records, None, project, report, source=_shown(path, project, theme))
    extra = ""
    if part:
        extra = PART_END_CSS + (PART_CONTINUED_CSS if part.first_number is not None else "")
    geometry = CSS(
        string=page_geometry_css(page_size) + edition_css(edition) + extra, font_config=font_config
    )
    sheets.insert(2, geometry)  # after base.css and print.css, before a book's custom.css
    with (
        _captured_logs() as logs,
        _progress(progress),
        part_hooks.part_setup(part) if part else nullcontext(),
    ):
        document = HTML(string=html, base_url=project.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=font_config
        )
    _report_logs(logs.records, fetcher, project, report)
    if part is None:
        return PrintLayout(document=document, pages=_pages(document))
    if document.pages and document.pages[-1]._page_box.page_type.name == PART_END:
        del document.pages[-1]  # the page of the part's end marker, after any blank verso
    return PrintLayout(document=document, pages=_pages(document, part.first_number))


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
    finisher = _page_labels(layout.pages) if labels else None
    with _captured_logs() as logs:
        layout.document.write_pdf(target=str(target), finisher=finisher, **options)
    layout.fonts = {font.family for font in layout.document.fonts.values()}
    _report_logs(logs.records, None, target.parent, report)


def page_label_ranges(pages: list[PageInfo]) -> list[tuple[int, str, object]]:
    """Where each run of page labels starts: (page index, "P" fixed label | "r" roman | "D"
    decimal, the label or the first number)."""
    ranges: list[tuple[int, str, object]] = []
    previous = None
    for page in pages:
        style = page.kind
        if style == previous and style != "cover":
            continue
        previous = style
        if style == "cover":
            ranges.append((page.index, "P", page.label))
        elif style == "front":
            ranges.append((page.index, "r", page.index + 1))
        else:
            ranges.append((page.index, "D", int(page.label)))
    return ranges


def _page_labels(pages: list[PageInfo]) -> Callable[[object, pydyf.PDF], None]:
    nums: list[object] = []
    for index, style, value in page_label_ranges(pages):
        if style == "P":
            nums += [index, pydyf.Dictionary({"P": pydyf.String(value)})]
        else:
            nums += [index, pydyf.Dictionary({"S": f"/{style}", "St": value})]

    def finisher(document: object, pdf: pydyf.PDF) -> None:
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(nums)})

    return finisher


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= value:
            out += letters
            n -= value
    return out


def _pages(document: object, first_number: int | None = None) -> list[PageInfo]:
    """Label every page the way print.css numbers it (cover, roman front matter, arabic
    body) and find where its content starts, for the EPUB's page markers. A part of the
    body (``first_number`` given) is body throughout."""
    pages: list[PageInfo] = []
    body_start: int | None = None if first_number is None else 1 - first_number
    seen: set[str] = set()
    last_line: dict[str, str] = {}
    for i, page in enumerate(document.pages):
        box = page._page_box
        name = box.page_type.name or ""
        if body_start is None and name == "body-start":
            body_start = i
        if i == 0 and name == "cover":
            kind, label = "cover", "Cover"
        elif body_start is None:
            kind, label = "front", _roman(i + 1)
        else:
            kind, label = "body", str(i - body_start + 1)
        info = PageInfo(i, label, kind, box.page_type.blank)
        lines = list(_lines(box))
        if lines:
            key, text = lines[0]
            info.block, info.continued = key, key in seen
            if info.continued:
                words = text.split()
                if last_line.get(key, "").endswith(HYPHENS) and words:
                    words = words[1:]  # the first word's start was on the previous page
                info.words = " ".join(words[:6])
        for key, text in lines:
            if key not in seen:
                seen.add(key)
                info.next_block = info.next_block or key
            last_line[key] = text
        pages.append(info)
    return pages


HYPHENS = ("\u2010", "-", "\u00ad")
PSEUDO = ("::before", "::after", "::marker", "::footnote-call", "::footnote-marker")


def _lines(box: object, key: str | None = None) -> Iterator[tuple[str, str]]:
    """(block key, text) of every line in the page's flow, in order, notes and margins left
    out; generated text (bullets, "(page N)") is not part of a line's text."""
    from weasyprint.formatting_structure import boxes

    element = getattr(box, "element", None)
    if element is not None and getattr(box, "element_tag", "") and "::" not in box.element_tag:
        key = element.get("data-pb") or key
    if isinstance(box, boxes.LineBox):
        if key is not None:
            yield key, _line_text(box)
        return
    if isinstance(box, boxes.ReplacedBox) and key is not None:
        yield key, ""
        return
    for child in getattr(box, "children", []):
        if isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            continue
        yield from _lines(child, key)


def _line_text(box: object) -> str:
    parts: list[str] = []

    def walk(b: object) -> None:
        if any(str(getattr(b, "element_tag", "")).endswith(p) for p in PSEUDO):
            return
        if hasattr(b, "text"):
            parts.append(b.text)
        for c in getattr(b, "children", []):
            walk(c)

    walk(box)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


_FILE_URL = re.compile(r"file://[^\s'\"),]+")


def _shown(path: Path, project: Path, theme: Theme) -> str:
    """A stylesheet's path as the author knows it: the book's own, or the theme's styles/."""
    if (rel := theme.style_relpath(path)) and not path.resolve().is_relative_to(project.resolve()):
        return f"(theme) styles/{rel}"
    return relative(path, project)


_AT_LINE = re.compile(r" at (\d+):\d+")


def _report_logs(
    records: list[logging.LogRecord],
    fetcher: ProjectFetcher | None,
    project: Path,
    report: Report,
    source: str = "",
) -> None:
    refused = set(fetcher.refused) if fetcher else set()
    for url in sorted(refused):
        report.error(f"refused to load {url}: a book may only use files inside its project directory", "")
    for record in records:
        message = record.getMessage().split("\n", 1)[0]
        if any(url in message for url in refused):
            continue
        message = _FILE_URL.sub(lambda m: relative(Path(url2pathname(urlsplit(m[0]).path)), project), message)
        line = int(m[1]) if source and (m := _AT_LINE.search(message)) else None
        text = f"WeasyPrint: {_AT_LINE.sub('', message) if line else message}"
        if record.levelno >= logging.ERROR:
            report.error(text, source, line)
        else:
            report.warning(text, source, line)
