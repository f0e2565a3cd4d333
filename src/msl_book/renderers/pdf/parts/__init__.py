"""Lay a long book out in parts, one process per part, and join the parts' PDFs.

WeasyPrint keeps every laid-out page of a document in memory (about 1.3 MB a page here)
and slows down as a document grows, so a book of more than ``2 * part_chars`` characters of
body text is cut into parts at chapter boundaries (``split``). Each part is laid out and
written to a tagged PDF in a forked process (``workers``), numbered by ``plan`` (every part's
folios and page references as if the book were one document; WeasyPrint is told them by
``weasyprint_compat.parts``), and pikepdf joins them (``merge``). The pages, folios, links,
outline and tags of the joined PDF are those of a one-piece layout (tests compare them page
by page).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ....cache import file_digest
from ....errors import Failure, Report
from ....outputs import UNTOUCHED
from ....weasyprint_compat.warm import warm_up
from .. import layout as pdf_layout
from ..pages import PageInfo, page_label_ranges
from . import joiner
from .plan import NotSettled, PartPlan, Plan, settle
from .split import describe, split
from .store import PartStore
from .workers import Runner, Settings, add_diagnostics

PART_CHARS = 30_000  # characters of text per part: about 10 A4 pages, a chapter or so
CHARS_PER_PAGE_GUESS = 3_000  # of print HTML (3,100 in the benchmark books, 2,700 in the handbook)
# Kept parts' processes wait with their pages while the rest are measured: at most this many
# estimated pages of them, each process counted as PART_OVERHEAD_PAGES more (a waiting part's
# process holds about 9 MB of its own besides 1.3 MB a page). That keeps the 1,000-page
# benchmark book under 600 MB (bench/run.py); a higher budget lays fewer parts out twice.
KEEP_PAGES = 220
PART_OVERHEAD_PAGES = 6

__all__ = ["PartStore", "Settings", "part_chars", "render", "split"]


def part_chars() -> int:
    """Part size; MSL_BOOK_PART_CHARS overrides it (tests use small parts)."""
    value = os.environ.get("MSL_BOOK_PART_CHARS", "")
    return int(value) if value.isdigit() and int(value) > 0 else PART_CHARS


def render(
    html: str,
    settings: Settings,
    target: Path,
    report: Report,
    say: Callable[[str], None],
    store: PartStore | None = None,
    meanwhile: list[Callable[[], None]] | None = None,
) -> pdf_layout.PrintLayout | None:
    """Lay out and write the book in parts; None when it is short enough for one piece.
    With a ``store``, parts laid out before with the same numbers are taken from it; the
    functions in ``meanwhile`` are called (and removed) while the first parts are laid out."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # workers start as copies of this process (Linux); elsewhere, one piece
    pieces = split(html, part_chars())
    if pieces is None:
        return None
    plan = Plan(
        [
            PartPlan(p.ids, p.links, p.front, max(1, round(len(p.html) / CHARS_PER_PAGE_GUESS)))
            for p in pieces
        ],
        KEEP_PAGES,
        PART_OVERHEAD_PAGES,
    )
    if store is not None:  # the last layouts' page counts and anchors are the best guesses
        for index, piece in enumerate(pieces):
            if known := store.measured(piece.html, piece.chapters):
                count, anchors, shown = known
                plan.measured(index, count, anchors)
                if shown is not None:  # numbered by these anchors only: as laid out before
                    plan.shown(index, shown)
    if settings.stylesheets is None:  # once a build: a book with an index is laid out twice
        settings.stylesheets = _stylesheets(settings, report, store)
    tmp = Path(tempfile.mkdtemp(prefix="parts-", dir=target.parent))
    joining = False
    try:
        files = [tmp / f"part-{i:03d}.pdf" for i in range(len(pieces))]
        runner = Runner(pieces, plan, files, settings, report, store, meanwhile)
        say(f"Laying out {len(pieces)} parts")
        gc.freeze()  # the children's collections leave the parent's objects (and pages) alone
        try:
            runner.lay_out()
        finally:
            gc.unfreeze()
        report.raise_if_failed()

        def again(stale: list[int]) -> None:
            noun = "part" if len(stale) == 1 else "parts"
            say(f"Numbering {len(stale)} {noun} again: page numbers changed")  # in place, or laid out
            runner.lay_out(again=stale)

        try:
            settle(plan, again)
        except NotSettled as exc:
            raise Failure(
                f"{exc}: {', '.join(describe(pieces[i]) for i in plan.stale())}; {UNTOUCHED}"
            ) from None
        for index in sorted(
            runner.from_store | runner.early | runner.renumbered
        ):  # their layouts' warnings, as a layout would give them
            add_diagnostics(report, runner.results[index].diagnostics)
        report.raise_if_failed()
        if store is not None:
            for index, piece in enumerate(pieces):  # what the next build starts from
                laid, given = runner.laid_with[index], plan.parts[index].given
                if laid is not None and given is not None:
                    store.settled(piece.html, laid, given)
            reused = len(runner.from_store - runner.in_place)
            changed = len(runner.in_place)
            also = f", page numbers changed in place in {changed}" if changed else ""
            say(f"{reused} of {len(pieces)} parts unchanged, {runner.laid_out} layouts made{also}")
        pages: list[PageInfo] = []
        for result in runner.results:
            offset = len(pages)
            for info in result.pages:
                info.index += offset
                pages.append(info)
        say(f"Joining {len(pieces)} parts")
        layout = pdf_layout.PrintLayout(document=None, pages=pages)
        layout.fonts = set().union(*(result.fonts for result in runner.results))
        layout.files = {name: d for result in runner.results for name, d in result.files.items()}
        layout.written = _join(
            files,
            [p.ids for p in pieces],
            page_label_ranges(pages),
            target,
            tmp,
            settings.direction,
            runner.changes,
            # kept for the next build's join (build --watch, serve), unless --force
            str(store.directory) if store is not None and store.read else None,
        )
        joining = True
        return layout
    finally:
        if not joining:
            shutil.rmtree(tmp, ignore_errors=True)


# The last build's parsed stylesheets, for the next build in this process (build --watch,
# serve): (what they depend on, the stylesheets, the files they loaded with their digests,
# what parsing them reported).
_PARSED: list[tuple[str, pdf_layout.Stylesheets, dict[str, str], list]] = []


def _stylesheets(settings: Settings, report: Report, store: PartStore | None) -> pdf_layout.Stylesheets:
    """The theme's stylesheets parsed, their fonts opened and warmed before the parts fork;
    in a live process, those of the build before when the store's fingerprint (code,
    stylesheets, style files, fonts, page settings) and the language are the same. Their
    problems are reported again each build."""
    # build --force takes nothing from before: not these either
    key = f"{store.fingerprint}\0{settings.language}" if store is not None and store.read else None
    if key is not None and _PARSED and _PARSED[0][0] == key:
        _, sheets, loaded, said = _PARSED[0]
        if all(file_digest(Path(file)) == digest for file, digest in loaded.items()):
            add_diagnostics(report, said)  # a font a stylesheet names outside styles/ is checked too
            return sheets
    warm_up([settings.language])  # what every part's process would load again
    before = len(report.items)
    sheets = pdf_layout.Stylesheets.parse(settings.project, settings.theme, report)
    sheets.warm(settings.language)
    if key is not None:
        _PARSED[:] = [(key, sheets, dict(sheets.fetcher.served), report.items[before:])]
    return sheets


def _join(
    files: list[Path],
    owned: list[frozenset[str]],
    ranges: list[tuple[int, str, object]],
    target: Path,
    tmp: Path,
    direction: str,
    changes: list | None = None,
    keep_as: str | None = None,
) -> Callable[[], None]:
    """Join the parts in another process (``joiner``), so the EPUB can be packaged
    meanwhile; returns the function that waits for the PDF."""
    changes = changes or [None] * len(files)
    request = joiner.Request(files, [set(ids) for ids in owned], ranges, target, direction, changes)
    try:
        wait = joiner.join(request, keep_as)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    def written() -> None:
        try:
            wait()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    return written
