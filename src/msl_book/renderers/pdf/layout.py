"""Lay the print HTML out with WeasyPrint and write the tagged PDF.

One layout per edition: the same Document gives the PDF, its page labels and the page map
the EPUB uses for its page-list. Resources load through ProjectFetcher, which serves files
from the project and the theme only; what WeasyPrint logs becomes diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle

from ...errors import Report
from ...fonts import font_faces
from ...theme import Theme
from ...weasyprint_compat import patched
from ...weasyprint_compat.patch import Patch
from .fetcher import ProjectFetcher
from .fontconfig import BookFontConfiguration
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
    files: dict[str, str] = field(default_factory=dict)  # what the layout loaded -> SHA-256


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


def openers_css(openers: str) -> str:
    """``any``: chapters (and the title page) start on the next page, with no blank verso;
    ``recto`` is print.css's own rule: on a right-hand page."""
    if openers != "any":
        return ""
    return (
        ".frontmatter > .titlepage, .chapter, .chapter.role-preface, .msl-part-end { break-before: page; }\n"
    )


def direction_css(direction: str) -> str:
    """A right-to-left book's spreads: its rectos are left-hand pages (WeasyPrint follows
    the root's direction for :left and :right), so the running heads change sides: the
    book's title on the versos, now right-hand pages, and the chapter's on the rectos.
    Margins and folios stay where they are: the outer edge of a left-hand page is its left."""
    if direction != "rtl":
        return ""
    return (
        "@page body-start:left, chapter:left, back:left { @top-left { content: string(chapter); } }\n"
        "@page body-start:right, chapter:right, back:right { @top-right { content: string(booktitle); } }\n"
    )


@dataclass
class Stylesheets:
    """The theme's stylesheets parsed, with the fonts they declare and the fetcher that
    loaded them (which goes on to record what the layout loads)."""

    fetcher: ProjectFetcher
    font_config: BookFontConfiguration
    sheets: list[CSS]
    # the stylesheets' @counter-style rules (WeasyPrint drops those of a sheet parsed without one)
    counter_style: CounterStyle = field(default_factory=CounterStyle)

    @classmethod
    def parse(cls, project: Path, theme: Theme, report: Report) -> Stylesheets:
        fetcher = ProjectFetcher([project, theme.default], theme)
        font_config = BookFontConfiguration()  # the stylesheets' fonts and no other
        counter_style = CounterStyle()
        sheets = []
        for rel, path, text in theme.stylesheet_texts("pdf"):
            base = (path or project / "styles" / rel).as_uri()
            with captured_logs() as logs:  # parsing happens here: problems belong to this file
                sheets.append(
                    CSS(
                        string=text,
                        base_url=base,
                        font_config=font_config,
                        counter_style=counter_style,
                        url_fetcher=fetcher,
                    )
                )
            source = shown(path, project, theme) if path else f"(generated) styles/{rel}"
            report_logs(logs.records, None, project, report, source=source)
        return cls(fetcher, font_config, sheets, counter_style)

    def warm(self, language: str) -> None:
        """Lay a few words out in the usual elements, so that their fonts are opened (FreeType
        faces, HarfBuzz blobs, Pango's caches) here, before the parts' processes fork: each
        would open them for itself, about 7 MB apiece (renderers/pdf/parts/)."""
        sample = WARM_HTML.format(lang=escape(language, quote=True))
        with captured_logs(), patched():
            HTML(string=sample, url_fetcher=self.fetcher).render(
                stylesheets=self.sheets,
                font_config=self.font_config,
                counter_style=self.counter_style,
                presentational_hints=True,
            )


WARM_HTML = (
    '<html lang="{lang}"><body><h1>Aa</h1><h2>Aa</h2><h3>Aa</h3>'
    "<p>Aa <strong>Aa</strong> <em>Aa</em> <strong><em>Aa</em></strong> <code>Aa</code> <sup>1</sup></p>"
    "<pre>Aa</pre><table><tr><th>Aa</th><td>Aa</td></tr></table><aside>Aa</aside></body></html>"
)


def lay_out(
    html: str,
    project: Path,
    theme: Theme,
    page_size: str,
    report: Report,
    progress: Callable[[str], None] | None = None,
    extra_css: str = "",
    patches: Sequence[Patch] = (),
    cover_label: str = "Cover",
    stylesheets: Stylesheets | None = None,
) -> PrintLayout:
    """Lay the print HTML out once; problems WeasyPrint logs become diagnostics.

    ``extra_css`` and ``patches`` are for one part of a long book (renderers/pdf/parts/):
    its page rules and WeasyPrint's hooks; ``stylesheets``, the theme's, parsed once for
    every part.
    """
    parsed = stylesheets or Stylesheets.parse(project, theme, report)
    fetcher, font_config, sheets = parsed.fetcher, parsed.font_config, [*parsed.sheets]
    geometry = CSS(
        string=page_geometry_css(page_size) + extra_css,
        font_config=font_config,
        counter_style=parsed.counter_style,
    )
    sheets.insert(2, geometry)  # after base.css and print.css, before the generated rules and custom.css
    with (
        captured_logs() as logs,
        forwarded_progress(progress),
        patched(extra=patches),
    ):
        document = HTML(string=html, base_url=project.as_uri() + "/", url_fetcher=fetcher).render(
            # width/height on images and ol type, as the EPUB's reading systems honour them
            stylesheets=sheets,
            font_config=font_config,
            counter_style=parsed.counter_style,
            presentational_hints=True,
        )
    report_logs(logs.records, fetcher, project, report)
    return PrintLayout(document=document, pages=page_infos(document, cover=cover_label), files=fetcher.served)


def write_pdf(
    layout: PrintLayout,
    target: Path,
    standard: str,
    identifier: bytes,
    report: Report,
    labels: bool = True,
    direction: str = "ltr",
    patches: Sequence[Patch] = (),
) -> None:
    """Write the laid-out document as tagged PDF with page labels matching the folios
    (``patches``: a part's, renderers/pdf/parts/)."""
    variant = VARIANTS[standard]
    options: dict[str, object] = {"pdf_identifier": identifier, "pdf_tags": True}
    if variant:
        options["pdf_variant"] = variant
    finisher = label_finisher(layout.pages, direction) if labels else None
    with captured_logs() as logs, patched(extra=patches):
        layout.document.write_pdf(target=str(target), finisher=finisher, **options)
    layout.fonts = {font.family for font in layout.document.fonts.values()}
    report_logs(logs.records, None, target.parent, report)
