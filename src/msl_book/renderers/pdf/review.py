"""The review edition: the book marked with what changed since an earlier version.

Both versions are rendered to the print HTML and compared (review/diff.py); the marked
book, with a "Changes since version X" page after the contents, is laid out once, in one
piece. Change bars and line numbers are not part of the HTML: they are drawn after the
layout, from its boxes, so that they cannot move a line. Each page's line boxes (the text
area and the footnotes, not the running heads) give the numbers, restarting on every
page, and the boxes of marked blocks give the bars, in the outer margin (left on a
left-hand page, right on a right-hand page). They are laid out by WeasyPrint as a second,
small document of the same page size, and each of its pages is put over the book's page
as a form XObject inside an /Artifact marked-content sequence (pikepdf): the tagged
structure is the book's own.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path

from lxml import etree

from ... import pagemap
from ...errors import BookError, Failure, Report
from ...fonts import font_faces
from ...model import isbn
from ...pipeline import Prepared, prepare
from ...review import diff
from ...review.diff import Changes
from ...review.page import changes_page
from ...review.source import earlier
from ...templating import render_document
from ...xhtml import serialize_document
from ..base import Job, Rendered
from . import layout as pdf_layout
from .html import print_meta, print_writer

MM = 96 / 25.4  # CSS px per millimetre

REVIEW_CSS = """
ins.review-ins { text-decoration: underline; text-decoration-thickness: 0.08em; }
del.review-del { text-decoration: line-through; color: #a4262c; }
del.review-del + ins.review-ins { margin-inline-start: 0.2em; }
.review-deleted { color: #a4262c; }
.review-moved-note { font-style: italic; color: #8a5a0e; margin-top: 0.3em; }
.review-changes { break-before: page; }
.review-changes-title { font-size: 1.9em; margin-bottom: 0.6em; }
.review-lead { margin-bottom: 1.2em; }
.review-list { list-style: none; padding: 0; margin: 0; }
.review-list .review-list { margin-inline-start: 1.5em; }
.review-entry { margin-top: 0.3em; }
.review-level-1 { margin-top: 0.8em; font-weight: 600; }
.review-level-2, .review-level-3 { font-weight: 400; }
.review-entry > a { color: inherit; text-decoration: none; display: block; }
.review-entry > a::after { content: leader(".") target-counter(attr(href url), page); }
.review-front > a::after { content: leader(".") target-counter(attr(href url), page, lower-roman); }
.review-note { font-style: italic; font-weight: 400; color: #8a5a0e; }
"""


@dataclass(frozen=True)
class Marks:
    """What is drawn over one page: line numbers at their baselines, bars beside blocks."""

    width: float
    height: float
    side: str  # left | right
    left: float  # the text area's left and right edges
    right: float
    lines: list[float]  # baselines, top to bottom
    bars: list[tuple[float, float, str]]  # (top, bottom, mark)


@dataclass(frozen=True)
class ReviewRenderer:
    compare: str  # a git revision or the directory of an earlier copy
    standard: str
    edition: str = "review"

    def file_name(self, name: str) -> str:
        return f"{name}.review.pdf"

    def render(self, job: Job, page_map: object) -> Rendered:
        model, theme, report, say = job.model, job.theme, job.report, job.say
        book = model.book
        root, _ = marked_document(job.prepared, self.compare, say)
        strings = model.strings
        html = serialize_document(root, xml_declaration=False).decode("utf-8")
        file = job.staging / self.file_name(job.name)
        say("Laying out the review edition")
        extra = (
            pdf_layout.openers_css(book.config.openers)
            + pdf_layout.direction_css(strings.direction)
            + strings.css()
            + REVIEW_CSS
        )
        layout = pdf_layout.lay_out(
            html,
            book.root,
            theme,
            book.config.page_size,
            report,
            say,
            extra_css=extra,
            cover_label=strings("cover"),
        )
        report.raise_if_failed()
        pdf_id = hashlib.md5((job.identifier + "|review").encode()).hexdigest().encode()
        say(f"Writing {file.name}")
        pdf_layout.write_pdf(layout, file, self.standard, pdf_id, report, direction=strings.direction)
        if pdf_layout.check_fonts(layout, theme, report):
            report.raise_if_failed()
        started = time.perf_counter()
        marks = page_marks(layout.document, [p.kind == "cover" or p.blank for p in layout.pages])
        overlay = draw_marks(marks, book.root, theme)
        stamp(file, overlay)
        job.say(f"Line numbers and change bars: {time.perf_counter() - started:.2f} s")
        return Rendered("pdf", file, len(layout.pages), self.edition, None)


def marked_document(prepared: Prepared, compare: str, say=lambda _m: None) -> tuple[etree._Element, Changes]:
    """The book's print document marked with its changes since ``compare``, with the
    changes page; raises Failure when the earlier version cannot be read."""
    book = prepared.book
    say(f"Reading {compare}")
    with earlier(book.root, compare) as old:
        old_report = Report()
        language = book.config.language
        try:
            probe = prepare(old.project, old_report, stop=False)
            lang = language if language != probe.book.config.language else None
            old_prep = prepare(old.project, old_report, language=lang) if lang else probe
            old_report.raise_if_failed()
        except BookError as exc:
            first = next((str(d) for d in exc.diagnostics if d.severity == "error"), "")
            raise Failure(f"--compare {compare}: the earlier version has errors: {first}") from None
        old_meta = print_meta(old_prep.book, old_prep.modified, "review", None)
        old_root = _tree(old_prep.model, old_prep.env, old_meta)
        since = old_prep.book.config.version or compare
    say("Comparing the versions")
    meta = print_meta(book, prepared.modified, "review", isbn(prepared.identifier))
    root = _tree(prepared.model, prepared.env, meta)
    strings = prepared.model.strings
    changes = diff.compare(old_root, root, lambda n: strings("review-moved", position=n))
    changes_page(root, changes, strings, since)
    return root, changes


def _tree(model, env, meta):
    out = print_writer(model)
    out.page_of, out.index_ranges = None, True
    root = render_document(env, "print/book.html.j2", book=model, config=model.config, out=out, meta=meta)
    pagemap.annotate(root)
    return root


def page_marks(document: object, skip: list[bool]) -> list[Marks | None]:
    """Each page's line baselines and marked blocks, from the laid-out boxes."""
    found: list[Marks | None] = []
    for page, skipped in zip(document.pages, skip, strict=True):
        box = page._page_box
        if skipped:
            found.append(None)
            continue
        lines: list[float] = []
        bars: list[tuple[float, float, str]] = []
        _walk(box, lines, bars)
        merged: list[float] = []
        for y in sorted(lines):  # table cells side by side share a line number
            if not merged or y - merged[-1] > 2:
                merged.append(y)
        left = box.content_box_x()
        found.append(Marks(page.width, page.height, box.page_type.side, left, left + box.width, merged, bars))
    return found


def _walk(b: object, lines: list[float], bars: list[tuple[float, float, str]]) -> None:
    """Lines (not those of the margin boxes) and the boxes of marked blocks under ``b``."""
    from weasyprint.formatting_structure import boxes

    element = getattr(b, "element", None)
    tag = str(getattr(b, "element_tag", ""))
    if element is not None and "::" not in tag and isinstance(b, boxes.BlockLevelBox | boxes.BlockBox):
        classes = (element.get("class") or "").split()
        mark = next((m for m in (*diff.MARKS, "review-moved") if m in classes), None)
        if mark is not None:
            top = b.border_box_y()
            bars.append((top, top + b.border_height(), mark))
    if isinstance(b, boxes.LineBox):
        if b.height > 0 and _has_text(b):  # a line holding only an image is not numbered
            lines.append(b.position_y + b.baseline)
        return
    for child in getattr(b, "children", []):
        if not isinstance(child, boxes.MarginBox):
            _walk(child, lines, bars)


def _has_text(b: object) -> bool:
    if getattr(b, "text", "").strip():
        return True
    return any(_has_text(c) for c in getattr(b, "children", []))


def draw_marks(marks: list[Marks | None], project: Path, theme) -> bytes:
    """The numbers and bars of every page as a PDF of the same pages."""
    from weasyprint import CSS, HTML

    from .fetcher import ProjectFetcher
    from .fontconfig import BookFontConfiguration

    faces = font_faces(theme)
    face = next((f for f in faces if f[0] == "Inter"), faces[0] if faces else None)
    font_css = f'@font-face {{ font-family: "{face[0]}"; src: url("{face[1].as_uri()}"); }}\n' if face else ""
    family = f'"{face[0]}"' if face else "sans-serif"
    sizes = sorted({(m.width, m.height) for m in marks if m}) or [(793.7, 1122.5)]
    css = [font_css, f"body {{ margin: 0; font-family: {family}; font-size: 6.5pt; color: #5b6770; }}"]
    for k, (w, h) in enumerate(sizes):
        css.append(f"@page s{k} {{ size: {w}px {h}px; margin: 0; }} .s{k} {{ page: s{k}; height: {h}px; }}")
    css.append(
        ".pg { position: relative; overflow: hidden; break-after: page; }"
        ".n { position: absolute; width: 8mm; line-height: 1; }"
        ".b { position: absolute; width: 0.7mm; background: #b3261e; }"
        ".b.review-inserted { background: #1a7f37; }"
        ".b.review-moved { background: #8a5a0e; width: 1.4mm; }"
    )
    html = ["<!DOCTYPE html><html lang='en'><head><title>marks</title></head><body>"]
    for m in marks:
        if m is None:
            html.append("<div class='pg s0'></div>")
            continue
        k = sizes.index((m.width, m.height))
        html.append(f"<div class='pg s{k}'>")
        outer_left = m.side == "left"
        for n, baseline in enumerate(m.lines, 1):
            top = baseline - 6.5 * 4 / 3 * 0.88  # the digits' baseline on the line's
            if outer_left:
                x = f"left: {m.left - 6 * MM - 8 * MM:.2f}px; text-align: right"
            else:
                x = f"left: {m.right + 6 * MM:.2f}px; text-align: left"
            html.append(f"<div class='n' style='top: {top:.2f}px; {x}'>{n}</div>")
        for top, bottom, mark in m.bars:
            x = m.left - 3 * MM - 0.7 * MM if outer_left else m.right + 3 * MM
            style = f"top: {top:.2f}px; height: {bottom - top:.2f}px; left: {x:.2f}px"
            html.append(f"<div class='b {escape(mark)}' style='{style}'></div>")
        html.append("</div>")
    html.append("</body></html>")
    fetcher = ProjectFetcher([project, theme.default], theme)
    fc = BookFontConfiguration()
    sheet = CSS(string="\n".join(css), font_config=fc, url_fetcher=fetcher)
    out = io.BytesIO()
    HTML(string="".join(html), url_fetcher=fetcher, base_url=project.as_uri() + "/").write_pdf(
        out, stylesheets=[sheet], font_config=fc
    )
    return out.getvalue()


def stamp(file: Path, overlay: bytes) -> None:
    """Put each overlay page over the book's page, as an artifact."""
    import pikepdf
    from pikepdf import Name

    with pikepdf.open(file, allow_overwriting_input=True) as pdf, pikepdf.open(io.BytesIO(overlay)) as marks:
        for page, mpage in zip(pdf.pages, marks.pages, strict=True):
            if not mpage.get("/Contents"):
                continue
            form = pdf.copy_foreign(mpage.as_form_xobject())
            name = page.add_resource(form, Name.XObject, prefix="MslReview")
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            page.contents_add(pdf.make_stream(b"Q\n/Artifact BMC q " + str(name).encode() + b" Do Q EMC\n"))
        pdf.save(file, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
