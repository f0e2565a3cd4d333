"""Lay a long book out in parts, one process per part, and join the parts' PDFs.

WeasyPrint keeps every laid-out page of a document in memory (about 0.8 MB a page here)
and slows down as a document grows, so a book of more than ``2 * part_chars`` characters of
body text is cut into parts at chapter boundaries (chapters open on a recto, so a part never
starts mid-page). Each part is its own HTML document with the book's head, laid out in a
forked process (``part_hooks``: it numbers its pages on from the previous part, and its page
references to anchors of other parts get their numbers) and written to a tagged PDF.

Parts are laid out in book order, each as soon as the previous one's page count is known;
while one is laid out the previous ones are written, so two cores share the work. The front
matter goes last, when every page number its contents list needs is known. A part that
referred to a page of a later part is laid out again at the end with the number known.
A part that is followed by another ends with an empty marker that opens on a recto: when the
part has an odd number of pages WeasyPrint adds the blank verso it would have added before
the next chapter, and the marker's own page is dropped.

The pages, folios, links, outline and tags of the joined PDF are those of a single-document
layout (tests compare them page by page).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import Report
from ..theme import Theme
from ..xhtml import parse_document, serialize_document
from . import pdf, pdfmerge
from .part_hooks import PartState

PART_CHARS = 120_000  # characters of text per part: about 40 A4 pages
CHARS_PER_PAGE_GUESS = 2_500  # of print HTML: only the number of digits of a guess matters
MAX_WORKERS = 2


@dataclass
class Part:
    html: str
    ids: set[str]
    links: set[str]
    front: bool
    pages: list[pdf.PageInfo] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)
    fonts: set[str] = field(default_factory=set)
    first_number: int | None = None


@dataclass
class Settings:
    project: Path
    theme: Theme
    page_size: str
    edition: str
    standard: str
    identifier: bytes


def part_chars() -> int:
    """Part size; MSL_BOOK_PART_CHARS overrides it (tests use small parts)."""
    value = os.environ.get("MSL_BOOK_PART_CHARS", "")
    return int(value) if value.isdigit() and int(value) > 0 else PART_CHARS


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def split(html: str, size: int) -> list[Part] | None:
    """The front matter and runs of chapters of about ``size`` characters, or None when the
    book is short enough to be laid out in one piece."""
    root = parse_document(html)
    body = next(el for el in root if _local(el) == "body")
    children = list(body)
    start = next(
        (i for i, el in enumerate(children) if "body-start" in (el.get("class") or "").split()), None
    )
    if start is None:
        return None
    sizes = [len("".join(el.itertext())) for el in children[start:]]
    if sum(sizes) < 2 * size:
        return None
    groups: list[list[etree._Element]] = [children[:start]]
    current: list[etree._Element] = []
    filled = 0
    for element, chars in zip(children[start:], sizes, strict=True):
        if current and filled + chars / 2 > size:
            groups.append(current)
            current, filled = [], 0
        current.append(element)
        filled += chars
    groups.append(current)
    for child in children:
        body.remove(child)
    parts = []
    for i, group in enumerate(groups):
        for element in group:
            body.append(element)
        marker = None
        if i < len(groups) - 1:
            marker = etree.SubElement(body, "div", {"class": pdf.PART_END})
        ids = {el.get("id") for el in body.iter() if el.get("id")}
        links = {href[1:] for el in body.iter() if (href := el.get("href") or "").startswith("#")}
        parts.append(
            Part(serialize_document(root, xml_declaration=False).decode("utf-8"), ids, links, i == 0)
        )
        for element in group:
            body.remove(element)
        if marker is not None:
            body.remove(marker)
    return parts


def render(
    html: str, settings: Settings, target: Path, report: Report, say: Callable[[str], None]
) -> pdf.PrintLayout | None:
    """Lay out and write the book in parts; None when it is short enough for one piece."""
    parts = split(html, part_chars())
    if parts is None:
        return None
    chars = [len(part.html) for part in parts]
    guess = 1
    for part, size in zip(parts[1:], chars[1:], strict=True):  # numbers of the right length
        part.first_number = guess
        guess += max(1, round(size / CHARS_PER_PAGE_GUESS))
    with tempfile.TemporaryDirectory(prefix="parts-", dir=target.parent) as tmp:
        files = [Path(tmp) / f"part-{i:03d}.pdf" for i in range(len(parts))]
        say(f"Measuring {len(parts)} parts")
        _run(parts, files, settings, report, say, write=False)
        for _attempt in range(3):
            if report.errors:
                return pdf.PrintLayout(document=None)
            counts = [len(part.pages) for part in parts]
            number = 1
            for part in parts[1:]:
                part.first_number, number = number, number + len(part.pages)
            _run(parts, files, settings, report, say, write=True)
            if [len(part.pages) for part in parts] == counts:
                break
        else:
            raise RuntimeError("the parts of the book do not settle on a page count")
        pages: list[pdf.PageInfo] = []
        for part in parts:
            offset = len(pages)
            for info in part.pages:
                info.index += offset
                pages.append(info)
        say(f"Joining {len(parts)} parts")
        pdfmerge.merge(files, [part.ids for part in parts], pdf.page_label_ranges(pages), target)
    layout = pdf.PrintLayout(document=None, pages=pages)
    layout.fonts = set().union(*(part.fonts for part in parts))
    return layout


def _run(
    parts: list[Part], files: list[Path], settings: Settings, report: Report, say: Callable, write: bool
) -> None:
    """Lay every part out, side by side. Measuring (``write`` false), a part's own page
    numbers are a guess and references to other parts show a placeholder: what counts is
    how many pages each part has and on which of them its anchors are. Then every number is
    known, and each part is laid out and written."""
    context = multiprocessing.get_context("fork")
    final = report
    if not write:
        report = Report()  # measuring: only errors count (they stop the build); the rest repeats
    known: dict[str, int] = {}
    if write:
        for part in parts:
            first = part.first_number or 1
            known.update({name: first + index for name, index in part.anchors.items()})
    running: list[tuple[Part, object, object]] = []
    for step, part in enumerate(parts, 1):
        outside = part.links - part.ids
        state = PartState(
            part.first_number,
            {name: known[name] for name in outside if name in known},
            frozenset(name for name in outside if name not in known),
            part.first_number or 1,
        )
        while len(running) >= MAX_WORKERS:
            _finish(*running.pop(0), report)
        if write:
            say(f"Laying out part {step} of {len(parts)}")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_work, args=(send, part.html, state, files[step - 1], settings, write)
        )
        process.start()
        send.close()
        running.append((part, process, receive))
    for item in running:
        _finish(*item, report)
    if not write:
        _add(final, report.errors)


def _add(report: Report, diagnostics: list) -> None:
    """Every part reads the same stylesheets: their problems are reported once."""
    report.items += [d for d in diagnostics if d not in report.items]


def _laid_out(part: Part, message: tuple, report: Report) -> None:
    if message[0] == "bug":
        raise RuntimeError(f"laying out a part failed:\n{message[1]}")
    _, part.pages, anchors, diagnostics = message
    first = part.first_number or 1
    part.anchors = {name: number - first for name, number in anchors.items()}  # page index in the part
    _add(report, diagnostics)


def _finish(part: Part, process: multiprocessing.Process, receive: object, report: Report) -> None:
    """Wait for a part's process: its layout (when not received yet) and its PDF."""
    try:
        while (message := receive.recv())[0] != "written":
            _laid_out(part, message, report)
        _, part.fonts, diagnostics = message
        _add(report, diagnostics)
    except EOFError:
        pass  # stopped after its layout: it had errors, or it is laid out again later
    process.join()


def _work(send: object, html: str, state: PartState, file: Path, settings: Settings, write: bool) -> None:
    """In the forked process: lay the part out, report, write it."""
    try:
        report = Report()
        layout = pdf.lay_out(
            html, settings.project, settings.theme, settings.page_size, settings.edition, report, None, state
        )
        send.send(("laid-out", layout.pages, pdf.page_anchors(layout), report.items))
        if not write or report.errors:
            return
        report = Report()
        pdf.add_outside_anchors(layout, state_links(state))
        pdf.write_pdf(layout, file, settings.standard, settings.identifier, report, labels=False)
        send.send(("written", layout.fonts, report.items))
    except BaseException:
        send.send(("bug", traceback.format_exc()))
    finally:
        send.close()


def state_links(state: PartState) -> set[str]:
    return set(state.known) | set(state.unknown)
