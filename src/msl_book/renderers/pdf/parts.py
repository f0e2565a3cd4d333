"""Lay a long book out in parts, one process per part, and join the parts' PDFs.

WeasyPrint keeps every laid-out page of a document in memory (about 0.8 MB a page here)
and slows down as a document grows, so a book of more than ``2 * part_chars`` characters of
body text is cut into parts at chapter boundaries (chapters open on a recto, so a part never
starts mid-page). Each part is its own HTML document with the book's head, laid out in a
forked process and written to a tagged PDF; pikepdf joins them (``pdfmerge``).

A part's folios continue from the previous parts and its page references may point into
any other part, so no part's numbers are known before every part has been laid out once.
Parts are laid out side by side, two at a time (``weasyprint_compat.parts``: the page counter starts at a
guess with the right number of digits, references to other parts show a placeholder). Then:

- a part that is *kept* waits, its pages made, for the real numbers, takes them, makes again
  only the pages whose references change, adds its margin boxes and is written;
- the others only report their page count and anchors and exit; they are laid out again
  with every number known. Keeping a part keeps its pages in memory, so parts are kept up
  to ``KEEP_PAGES`` pages (a guess from their size) and the rest are laid out twice.

Taking its numbers can move a kept part's lines (a number with one more digit pushes a word
over): when that changes its page count or moves an anchor another part refers to, the parts
whose numbers changed are laid out again with the new ones, until nothing changes.

A part that is followed by another ends with an empty marker that opens on a recto: when the
part has an odd number of pages WeasyPrint adds the blank verso it would have added before
the next chapter, and the marker's own page is dropped. The pages, folios, links, outline
and tags of the joined PDF are those of a one-piece layout (tests compare them page by page).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from lxml import etree

from ...errors import Report
from ...theme import Theme
from ...weasyprint_compat.parts import PartState
from ...xhtml import has_class, local, parse_document, serialize_document
from . import layout as pdf_layout
from . import merge
from .pages import PageInfo, page_label_ranges

PART_CHARS = 120_000  # characters of text per part: about 40 A4 pages
CHARS_PER_PAGE_GUESS = 3_000  # of print HTML (3,100 in the benchmark books, 2,700 in the handbook)
MAX_WORKERS = max(1, min(4, os.cpu_count() or 1))  # each busy worker holds a part's pages
KEEP_PAGES = 200


@dataclass
class Part:
    html: str
    ids: set[str]
    links: set[str]
    front: bool
    pages: list[PageInfo] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)
    fonts: set[str] = field(default_factory=set)
    first_number: int | None = None
    count: int = 0  # pages, as measured before the numbers were known
    keep: bool = False  # its process waits for the numbers instead of laying it out again
    given: tuple | None = None  # the numbers it was last laid out with


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


def split(html: str, size: int) -> list[Part] | None:
    """The front matter and runs of chapters of about ``size`` characters, or None when the
    book is short enough to be laid out in one piece."""
    root = parse_document(html)
    body = next(el for el in root if local(el) == "body")
    children = list(body)
    start = next((i for i, el in enumerate(children) if has_class(el, "body-start")), None)
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
            marker = etree.SubElement(body, "div", {"class": pdf_layout.PART_END})
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
) -> pdf_layout.PrintLayout | None:
    """Lay out and write the book in parts; None when it is short enough for one piece."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # workers start as copies of this process (Linux); elsewhere, one piece
    parts = split(html, part_chars())
    if parts is None:
        return None
    kept = 0
    for part in parts:
        estimate = _estimate(part)
        part.keep = kept + estimate <= KEEP_PAGES
        kept += estimate if part.keep else 0
    tmp = Path(tempfile.mkdtemp(prefix="parts-", dir=target.parent))
    joining = False
    try:
        files = [tmp / f"part-{i:03d}.pdf" for i in range(len(parts))]
        say(f"Laying out {len(parts)} parts")
        gc.freeze()  # the children's collections leave the parent's objects (and pages) alone
        try:
            _Runner(parts, files, settings, report).run()
        finally:
            gc.unfreeze()
        for _attempt in range(3):
            if report.errors:
                return pdf_layout.PrintLayout(document=None)
            for part in parts:
                part.count = len(part.pages)
            firsts, values = _numbering(parts)
            stale = [p for p, first in zip(parts, firsts, strict=True) if p.given != _given(p, first, values)]
            if not stale:
                break
            noun = "part" if len(stale) == 1 else "parts"
            say(f"Laying out {len(stale)} {noun} again: page numbers changed")
            _Runner(parts, files, settings, report).run(redo=stale)
        else:
            raise RuntimeError("the parts of the book do not settle on their page numbers")
        pages: list[PageInfo] = []
        for part in parts:
            offset = len(pages)
            for info in part.pages:
                info.index += offset
                pages.append(info)
        say(f"Joining {len(parts)} parts")
        layout = pdf_layout.PrintLayout(document=None, pages=pages)
        layout.fonts = set().union(*(part.fonts for part in parts))
        layout.written = _join(files, [part.ids for part in parts], page_label_ranges(pages), target, tmp)
        joining = True
        return layout
    finally:
        if not joining:
            shutil.rmtree(tmp, ignore_errors=True)


def _join(
    files: list[Path], owned: list[set[str]], ranges: list[tuple[int, str, object]], target: Path, tmp: Path
) -> Callable[[], None]:
    """Join the parts in another process, so the EPUB can be packaged meanwhile; returns the
    function that waits for the PDF."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def join() -> None:
        try:
            merge.merge(files, owned, ranges, target)
            send.send(("joined",))
        except BaseException:
            send.send(("bug", traceback.format_exc()))

    process = context.Process(target=join, daemon=True)
    process.start()
    send.close()

    result: list[tuple] = []

    def written() -> None:
        if not result:
            try:
                result.append(receive.recv())
            except EOFError:
                result.append(("bug", "the process joining the parts stopped"))
            process.join()
            shutil.rmtree(tmp, ignore_errors=True)
        if result[0][0] == "bug":
            raise RuntimeError(f"joining the parts failed:\n{result[0][1]}")

    return written


@dataclass
class _Child:
    part: Part
    process: multiprocessing.Process
    conn: Connection
    busy: bool = True  # laying out or writing, as opposed to waiting for numbers


class _Runner:
    """Runs the parts' processes, at most MAX_WORKERS of them busy at a time."""

    def __init__(self, parts: list[Part], files: list[Path], settings: Settings, report: Report):
        self.parts, self.files, self.settings, self.report = parts, files, settings, report
        self.context = multiprocessing.get_context("fork")
        self.children: list[_Child] = []
        self.measuring = Report()  # problems of a layout that is done again are reported then

    def run(self, redo: list[Part] | None = None) -> None:
        """Lay out, number and write every part; with ``redo``, those parts only, page counts
        and anchors being known."""
        todo = [] if redo is not None else list(self.parts)
        while todo or any(c.busy for c in self.children):
            if todo and sum(c.busy for c in self.children) < MAX_WORKERS:
                self._start(todo.pop(0), numbered=False)
            else:
                self._receive()
        _add(self.report, self.measuring.errors)
        if self.report.errors:
            for child in self.children:
                child.process.kill()
            return
        self._number()
        waiting = list(self.children)  # kept parts: given their numbers two at a time, first
        todo = redo if redo is not None else [p for p in self.parts if not any(c.part is p for c in waiting)]
        while waiting or todo or self.children:
            if (waiting or todo) and sum(c.busy for c in self.children) < MAX_WORKERS:
                if waiting:
                    child = waiting.pop(0)
                    child.conn.send(self._numbers(child.part))
                    child.busy = True
                else:
                    self._start(todo.pop(0), numbered=True)
            else:
                self._receive()

    def _start(self, part: Part, numbered: bool) -> None:
        index = self.parts.index(part)
        outside = part.links - part.ids
        if numbered:
            known, unknown = self._numbers(part)[2], {}
        else:
            # Numbers as close as can be known yet: page counts of the parts measured already,
            # estimates for the others. A guess with too few or too many digits moves lines
            # when the real number comes.
            firsts, guesses = _numbering(self.parts, estimate=True)
            if not part.front:
                part.first_number = firsts[index]
            known, unknown = {}, {name: guesses.get(name, firsts[index] or 1) for name in outside}
        state = PartState(part.first_number, known, unknown, end_page=pdf_layout.PART_END)
        mine, theirs = self.context.Pipe()
        keep = part.keep and not numbered
        process = self.context.Process(
            target=_work, args=(theirs, part.html, state, self.files[index], self.settings, keep, numbered)
        )
        process.daemon = True
        process.start()
        theirs.close()
        self.children.append(_Child(part, process, mine))

    def _receive(self) -> None:
        ready = wait([c.conn for c in self.children if c.busy])
        for child in [c for c in self.children if c.conn in ready]:
            try:
                message = child.conn.recv()
            except EOFError:  # stopped after its layout: errors, or it is laid out again
                message = ("exited",)
            kind = message[0]
            if kind == "bug":
                raise RuntimeError(f"laying out a part failed:\n{message[1]}")
            if kind == "measured":  # a kept part, waiting for its numbers
                _, child.part.count, child.part.anchors = message
                child.busy = False
            elif kind == "laid-out":
                _, pages, anchors, diagnostics, numbered = message
                _laid_out(child.part, pages, anchors)
                _add(self.report if numbered else self.measuring, diagnostics)
                if not numbered:
                    child.part.count = len(pages)
            elif kind == "written":
                _, child.part.fonts, diagnostics = message
                _add(self.report, diagnostics)
            if kind in ("written", "exited"):
                child.process.join()
                self.children.remove(child)

    def _number(self) -> None:
        firsts, self.values = _numbering(self.parts)
        for part, first in zip(self.parts, firsts, strict=True):
            part.first_number = first

    def _numbers(self, part: Part) -> tuple[str, int | None, dict[str, int]]:
        part.given = _given(part, part.first_number, self.values)
        return ("numbers", *part.given)


def _estimate(part: Part) -> int:
    return max(1, round(len(part.html) / CHARS_PER_PAGE_GUESS))


def _numbering(parts: list[Part], estimate: bool = False) -> tuple[list[int | None], dict[str, int]]:
    """Every part's first folio from the page counts, and the page counter value of every
    anchor. ``estimate``: parts not measured yet count their estimated pages, and their
    anchors are put on their first page."""
    number, firsts, values = 1, [], {}
    for part in parts:
        first = None
        if not part.front:
            first, number = number, number + (part.count or (_estimate(part) if estimate else 0))
        firsts.append(first)
        if estimate and not part.count:
            values.update(dict.fromkeys(part.ids, first or 1))
        values.update({name: (first or 1) + index for name, index in part.anchors.items()})
    return firsts, values


def _given(part: Part, first: int | None, values: dict[str, int]) -> tuple[int | None, dict[str, int]]:
    """The numbers a part is laid out with: its first folio, its references' targets."""
    return first, {name: values[name] for name in part.links - part.ids if name in values}


def _add(report: Report, diagnostics: list) -> None:
    """Every part reads the same stylesheets: their problems are reported once."""
    report.items += [d for d in diagnostics if d not in report.items]


def _laid_out(part: Part, pages: list[PageInfo], anchors: dict[str, int]) -> None:
    part.pages, part.anchors = pages, anchors


def _work(
    conn: Connection, html: str, state: PartState, file: Path, settings: Settings, keep: bool, numbered: bool
) -> None:
    """In the forked process: lay the part out, take its numbers (kept) or exit (measured
    only), write it."""
    try:
        if keep:

            def exchange(count: int, anchors: dict[str, int]) -> tuple[int | None, dict[str, int]]:
                conn.send(("measured", count, anchors))
                message = conn.recv()
                return message[1], message[2]

            state.exchange = exchange
        report = Report()
        layout = pdf_layout.lay_out(
            html, settings.project, settings.theme, settings.page_size, settings.edition, report, None, state
        )
        final = keep or numbered  # laid out with the real numbers
        conn.send(("laid-out", layout.pages, pdf_layout.anchor_pages(layout), report.items, final))
        if not final or report.errors:
            return
        report = Report()
        pdf_layout.add_outside_anchors(layout, state.known.keys() | state.unknown.keys())
        pdf_layout.write_pdf(layout, file, settings.standard, settings.identifier, report, labels=False)
        conn.send(("written", layout.fonts, report.items))
    except BaseException:
        conn.send(("bug", traceback.format_exc()))
    finally:
        conn.close()
