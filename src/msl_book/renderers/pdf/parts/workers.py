"""The processes that lay the parts out: the thin layer around the plan.

Each part is laid out and written in a forked process, at most ``MAX_WORKERS`` busy at a
time. A kept part's process waits, its pages made, for the numbers the plan gives once every
part is measured; the others report their page count and anchors and take their numbers
at once when the plan knows them already (``Plan.known``), or exit, to be laid out again
with them. The front matter is laid out once, after the others are measured
(``Plan.deferred``). A worker that dies (a signal such as the out-of-memory killer's
SIGKILL, running out of memory, a full disk) fails the build with a message that says which
chapters it was laying out and why; an exception in a worker is a bug and keeps its
traceback.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from ....errors import Failure, Report
from ....outputs import UNTOUCHED
from ....theme import Theme
from ....weasyprint_compat.page_numbers import NumberState, numbers_patch
from ....weasyprint_compat.parts import PartState, part_patch
from .. import layout as pdf_layout
from ..pages import page_infos
from . import renumber
from .plan import Numbers, Plan
from .split import PART_CONTINUED_CSS, PART_END, PART_END_CSS, Piece, describe
from .store import PartStore, Stored

MAX_WORKERS = max(1, min(4, os.cpu_count() or 1))  # each busy worker holds a part's pages


@dataclass
class Settings:
    project: Path
    theme: Theme
    page_size: str
    standard: str
    identifier: bytes
    extra_css: str = ""  # the book's own page rules (openers)
    sides_follow_folios: bool = False  # openers: any, so a part may start on a left page
    cover_label: str = "Cover"  # the first page's label, in the book's language
    direction: str = "ltr"  # rtl: the PDF's spreads read right to left
    language: str = "en"  # the book's: its hyphenation patterns are loaded before the parts fork
    # the theme's stylesheets, parsed before the parts' processes start (they inherit them)
    stylesheets: pdf_layout.Stylesheets | None = field(default=None, repr=False)


@dataclass
class _Child:
    index: int
    process: multiprocessing.Process
    conn: Connection
    busy: bool = True  # laying out or writing, as opposed to waiting for numbers
    asking: bool = False  # not kept: asks for its numbers once laid out, and takes them if known
    done: bool = False  # it said it is finishing: its end of the pipe closing is no surprise


class Runner:
    def __init__(
        self,
        pieces: list[Piece],
        plan: Plan,
        files: list[Path],
        settings: Settings,
        report: Report,
        store: PartStore | None = None,
        meanwhile: list[Callable[[], None]] | None = None,
    ):
        self.pieces, self.plan, self.files, self.settings, self.report = pieces, plan, files, settings, report
        self.store = store
        self.meanwhile = meanwhile if meanwhile is not None else []  # the parent's, while parts are laid out
        self.from_store: set[int] = set()  # the parts whose current result came from the store
        # parts laid out and written with guesses taken as final (every part was measured):
        # their diagnostics are reported once the guesses are known to be right
        self.early: set[int] = set()
        self.laid_out = 0  # layouts made
        # each part's file: the numbers it was laid out with, and the bytes that give it the
        # numbers the plan gave it instead (renumber), if any
        self.laid_with: list[Numbers | None] = [None] * len(pieces)
        self.changes: list[renumber.Changes | None] = [None] * len(pieces)
        self.in_place: set[int] = set()  # given numbers in place that the last build did not give them
        self._started: dict[int, Numbers] = {}
        self.results = [Stored() for _ in pieces]
        self.context = multiprocessing.get_context("fork")
        self.children: list[_Child] = []
        self.measuring = Report()  # problems of a layout that is done again are reported then
        # openers: any, parts whose pages could not be moved to the other side (PartState.flips):
        # laid out on their real sides from then on
        self.direct: set[int] = set()

    def lay_out(self, again: list[int] | None = None) -> None:
        """Lay out, number and write every part; with ``again``, those parts only, page counts
        and anchors being known."""
        try:
            self._run(again)
        finally:
            self._stop()

    def _run(self, again: list[int] | None) -> None:
        todo = [] if again is not None else [i for i in range(len(self.pieces)) if not self.plan.deferred(i)]
        while todo or self._busy():
            if todo and self._busy() < MAX_WORKERS:
                index = todo.pop(0)
                guesses = self.plan.guesses(index)
                if not self._reuse(index, guesses):
                    keep = self.plan.parts[index].keep
                    # a part that does not wait for its numbers is laid out with them at once
                    # when every part's count is known (the last build's, in an edit): the
                    # guesses are then most likely the numbers, and it is not laid out twice
                    sure = not keep and self.plan.measured_all()
                    if sure:
                        self.plan.give(index, guesses)
                    # the others ask for their numbers once laid out: the parts before them
                    # are measured by then, most often, and a part whose pages show no page
                    # of a part laid out later is then numbered at once, not laid out again
                    self._start(index, guesses, keep=keep, final=sure, ask=not keep and not sure)
                    if sure:
                        self.early.add(index)
            else:
                while self.meanwhile:  # in this process, between forks: no thread meets a fork
                    self.meanwhile.pop(0)()
                self._receive()
        add_diagnostics(self.report, self.measuring.errors)
        if self.report.errors:
            return
        numbers = self.plan.numbers()
        # kept parts: given their numbers, MAX_WORKERS at a time (not those already exiting)
        waiting = [child for child in self.children if not child.done]
        kept = {child.index for child in waiting}
        todo = again if again is not None else [i for i in range(len(self.pieces)) if i not in kept]
        # the first kept part, then the deferred front matter, on a worker of its own (it is
        # the longest to lay out, and nothing waits for it), then the other kept parts (they
        # finish and free their pages), then the measured parts, each with its numbers now
        front = [i for i in todo if self.plan.deferred(i)]
        order: list[_Child | int] = [
            *waiting[:1],
            *front,
            *waiting[1:],
            *(i for i in todo if i not in front),
        ]
        while order or self.children:
            if order and self._busy() < MAX_WORKERS:
                item = order.pop(0)
                if isinstance(item, _Child):
                    child = item
                    given = self.plan.give(child.index, numbers[child.index])
                    try:
                        child.conn.send(("numbers", given.first, given.values))
                    except OSError:  # it died while it waited (BrokenPipeError)
                        child.process.join()
                        raise Failure(self._died(child)) from None
                    child.busy = True
                else:
                    index = item
                    if (
                        self.plan.parts[index].given == numbers[index]
                        or self._reuse(index, numbers[index])
                        or self._renumber(index, numbers[index])
                    ):
                        continue  # taken from the store, or changed in place, with these numbers
                    self._start(index, self.plan.give(index, numbers[index]), keep=False, final=True)
            else:
                self._receive()

    @property
    def renumbered(self) -> set[int]:
        """The parts given their numbers in place (reported as final)."""
        return {i for i, found in enumerate(self.changes) if found is not None}

    def _reuse(self, index: int, numbers: Numbers) -> bool:
        """Take part ``index`` laid out with ``numbers`` from the store, if it has it, or the
        part the last build gave these numbers in place."""
        if self.store is None:
            return False
        if self._take(index, numbers):
            return True
        latest = self.store.latest(self.pieces[index].html)
        if latest is None or latest[1] != numbers or latest[0] == numbers:
            return False
        return self._take(index, latest[0]) and self._renumber(index, numbers, new=False)

    def _take(self, index: int, numbers: Numbers) -> bool:
        """Take the store's part ``index`` laid out with ``numbers``, if it has it."""
        stored = self.store.get(self.pieces[index].html, numbers, self.files[index]) if self.store else None
        if stored is None:
            return False
        self.plan.give(index, numbers)
        self.plan.measured(index, len(stored.pages), stored.anchors)
        self.results[index] = stored
        self.laid_with[index], self.changes[index] = numbers, None
        self.in_place.discard(index)
        self.from_store.add(index)  # its diagnostics are reported once it is known to be final
        return True

    def _renumber(self, index: int, numbers: Numbers, new: bool = True) -> bool:
        """Give part ``index`` these numbers in place: its file of this build, or else the
        store's part of the last build with its HTML (renumber). ``new``: numbers the last
        build did not give it."""
        laid = self.laid_with[index]
        if laid is None:
            latest = self.store.latest(self.pieces[index].html) if self.store else None
            if latest is None or not self._take(index, latest[0]):
                return False
            laid = latest[0]
        result = self.results[index]
        found = renumber.changes(
            result.numbers, laid, numbers, self.pieces[index].ids, self.settings.sides_follow_folios
        )
        if found is None:
            return False
        self.plan.give(index, numbers)
        self.changes[index] = found
        result.pages = renumber.relabel(result.pages, numbers.first)
        if new and found:
            self.in_place.add(index)
        return True

    def _busy(self) -> int:
        return sum(c.busy for c in self.children)

    def _start(self, index: int, numbers: Numbers, keep: bool, final: bool, ask: bool = False) -> None:
        known, unknown = (numbers.values, {}) if final else ({}, numbers.values)
        self.files[index].unlink(missing_ok=True)  # it may be a link to the store's copy: never written into
        state = PartState(numbers.first, known, unknown, end_page=PART_END)
        state.flips = self.settings.sides_follow_folios and index not in self.direct
        mine, theirs = self.context.Pipe()
        piece = self.pieces[index]
        args = (
            theirs,
            piece.html,
            self.plan.parts[index].outside,
            state,
            self.files[index],
            self.settings,
            keep or ask,
            final,
        )
        process = self.context.Process(target=work, args=args, daemon=True)
        process.start()
        self.laid_out += 1
        self._started[index] = numbers
        self.laid_with[index], self.changes[index] = None, None
        self.in_place.discard(index)
        self.from_store.discard(index)
        self.early.discard(index)  # phase 1 adds it back; later, the guesses were not the numbers
        theirs.close()
        self.children.append(_Child(index, process, mine, asking=ask))

    def _receive(self) -> None:
        """Take the next messages; a part waiting for its numbers is watched too, as the
        system may kill it meanwhile (it holds a part's pages)."""
        ready = wait([c.conn for c in self.children])
        for child in [c for c in self.children if c.conn in ready]:
            try:
                message = child.conn.recv()
            except EOFError:
                child.process.join()
                if not child.done:
                    raise Failure(self._died(child)) from None
                child.conn.close()
                self.children.remove(child)
                continue
            kind = message[0]
            if kind == "failure":
                raise Failure(message[1])
            if kind == "bug":
                _, trace, memory = message
                if memory:
                    raise Failure(
                        f"laying out {self._which(child.index)} failed: it ran out of memory; {UNTOUCHED}"
                    )
                raise RuntimeError(f"laying out {self._which(child.index)} failed:\n{trace}")
            if kind == "oserror":
                _, number, text, filename = message
                raise OSError(number, text, filename)
            if kind == "measured":  # a kept part, waiting for its numbers, or one asking for them
                _, count, anchors, shown = message
                self.plan.shown(child.index, frozenset(shown))
                self.plan.measured(child.index, count, anchors)
                self._measure(child.index, count, anchors, shown)
                if not child.asking:
                    child.busy = False
                    continue
                reply: tuple = ("not-known",)
                if self.plan.known(child.index):
                    given = self.plan.give(child.index, self.plan.numbers()[child.index])
                    reply = ("numbers", given.first, given.values)
                elif self.plan.first_known(child.index):
                    # its folios, so its pages' sides: it is written with them and its other
                    # numbers guessed, given the real ones in place later (or, on the wrong
                    # sides, not written: laid out again)
                    reply = ("first", self.plan.numbers()[child.index].first)
                try:
                    child.conn.send(reply)
                except OSError:  # it died while it waited (BrokenPipeError)
                    child.process.join()
                    raise Failure(self._died(child)) from None
            elif kind == "laid-out":
                _, pages, anchors, diagnostics, final, files, shown, unflippable = message
                if unflippable:
                    self.direct.add(child.index)
                self.plan.shown(child.index, frozenset(shown))
                # kept for a part renumbered later; reported once its numbers are final
                self.results[child.index] = Stored(pages, anchors, set(), list(diagnostics), files)
                self.plan.measured(child.index, len(pages), anchors)
                self._measure(child.index, len(pages), anchors, shown)
                if not final:  # a kept part that could not take its numbers is laid out again
                    self.plan.parts[child.index].given = None
                add_diagnostics(
                    self.report if final and child.index not in self.early else self.measuring, diagnostics
                )
            elif kind == "written":
                _, fonts, diagnostics, numbers, first = message
                result = self.results[child.index]
                result.fonts = fonts
                result.diagnostics += diagnostics
                result.numbers = numbers
                given = self.plan.parts[child.index].given
                provisional = given is None  # it asked for its numbers in vain: written with its guesses
                if provisional:
                    given = Numbers(first, self._started[child.index].values)  # and the folio it took
                later = child.index in self.early or provisional
                add_diagnostics(self.measuring if later else self.report, diagnostics)
                self.laid_with[child.index] = given
                if self.store is not None:
                    self.store.put(self.pieces[child.index].html, given, self.files[child.index], result)
            elif kind == "exit":
                # its work is done: the next part starts while the system frees its memory
                # (about 25 ms a part), and it is joined when its end of the pipe closes
                child.done = True
                child.busy = False

    def _measure(self, index: int, count: int, anchors: dict[str, int], shown: list[str]) -> None:
        if self.store is not None:
            piece = self.pieces[index]
            self.store.measure(piece.html, piece.chapters, count, anchors, shown)

    def _which(self, index: int) -> str:
        return f"part {index + 1} of {len(self.pieces)} ({describe(self.pieces[index])})"

    def _died(self, child: _Child) -> str:
        return f"laying out {self._which(child.index)} failed: {death(child.process.exitcode)}; {UNTOUCHED}"

    def _stop(self) -> None:
        """No process outlives a run, whether it finished or failed."""
        for child in self.children:
            if child.process.is_alive():
                child.process.kill()
            child.process.join()
            child.conn.close()
        self.children.clear()


def death(code: int | None) -> str:
    """Why a process ended without finishing its work, from its exit code."""
    if code is not None and code < 0:
        why = f"the process was killed by {signal.Signals(-code).name}"
        if -code == signal.SIGKILL:
            why += ", which the system sends when it runs out of memory"
        return why
    return f"the process stopped with exit status {code}"


def add_diagnostics(report: Report, diagnostics: list) -> None:
    """Every part reads the same stylesheets: their problems are reported once."""
    report.items += [d for d in diagnostics if d not in report.items]


def report_failure(conn: Connection, exc: BaseException) -> None:
    """Tell the parent why this process cannot go on: a Failure as it is, an OSError to be
    judged as the parent judges its own (outputs.staging: a full disk is the machine's),
    anything else a bug, with its traceback."""
    if isinstance(exc, Failure):
        conn.send(("failure", str(exc)))
    elif isinstance(exc, OSError) and exc.errno is not None:
        conn.send(("oserror", exc.errno, exc.strerror, exc.filename))
    else:
        conn.send(("bug", traceback.format_exc(), isinstance(exc, MemoryError)))


def work(
    conn: Connection,
    html: str,
    outside: frozenset[str],
    state: PartState,
    file: Path,
    settings: Settings,
    keep: bool,
    final: bool,
) -> None:
    """In the forked process: lay the part out, take its numbers (kept) or exit (measured
    only), write it."""
    try:
        numbering = NumberState()
        if keep:

            def exchange(
                count: int, anchors: dict[str, int]
            ) -> tuple[int | None, dict[str, int] | None] | None:
                conn.send(("measured", count, anchors, sorted(state.looked_up)))
                message = conn.recv()
                # WeasyPrint makes again the pages whose references change, not the strings
                # (running heads, outline titles) that took a page number: laid out again
                if message[0] == "not-known" or numbering.unchangeable:
                    return None
                return (message[1], None) if message[0] == "first" else (message[1], message[2])

            state.exchange = exchange
        report = Report()
        css = PART_END_CSS + (PART_CONTINUED_CSS if state.first_number is not None else "")
        css += settings.extra_css
        state.sides_follow_folios = settings.sides_follow_folios
        from_recto = state.flips or state.first_number is None or state.first_number % 2
        if settings.sides_follow_folios and not from_recto:
            css += "html { break-before: verso; }\n"  # an even folio is a verso (left-hand in LTR)
        layout = pdf_layout.lay_out(
            html,
            settings.project,
            settings.theme,
            settings.page_size,
            report,
            extra_css=css,
            patches=[part_patch(state), numbers_patch(numbering)],
            cover_label=settings.cover_label,
            stylesheets=settings.stylesheets,
        )
        if layout.document.pages and layout.document.pages[-1]._page_box.page_type.name == PART_END:
            del layout.document.pages[-1]  # the page of the part's end marker, after any blank verso
        # numbered from the first folio the part has now (a kept part took its real one)
        layout.pages = page_infos(layout.document, state.first_number, settings.cover_label)
        # with the real numbers
        final = (
            final or (keep and state.exchanged and not (state.wrong_side or state.declined or state.partial))
        ) and not state.unflippable  # not on its real sides: laid out again, on them
        laid_out = (
            layout.pages,
            anchor_pages(layout),
            report.items,
            final,
            layout.files,
            sorted(state.looked_up),
            state.unflippable,
        )
        conn.send(("laid-out", *laid_out))
        # a part that asked for its numbers in vain is written with those it was laid out
        # with: most often the real ones differ only in their digits, changed in place
        # (renumber), and it is not laid out again
        if (final or state.declined or state.partial) and not (report.errors or state.unflippable):
            report = Report()
            add_outside_anchors(layout, outside)  # every link to another part, shown number or not
            numbering.page_of = {id(page): i for i, page in enumerate(layout.document.pages)}
            pdf_layout.write_pdf(
                layout,
                file,
                settings.standard,
                settings.identifier,
                report,
                labels=False,
                patches=[numbers_patch(numbering)],
            )
            shown = numbering.finish()
            if not numbering.unchangeable and not renumber.verify(file, shown):
                numbering.refuse("a page number not where it was recorded")
            numbers = renumber.as_data(numbering.unchangeable, shown)
            conn.send(("written", layout.fonts, report.items, numbers, state.first_number))
        conn.send(("exit",))
    except BaseException as exc:
        report_failure(conn, exc)
    finally:
        conn.close()


def anchor_pages(layout: pdf_layout.PrintLayout) -> dict[str, int]:
    """The index of the first page where each anchor of the layout appears."""
    found: dict[str, int] = {}
    for index, page in enumerate(layout.document.pages):
        for name in page.anchors:
            found.setdefault(name, index)
    return found


def add_outside_anchors(layout: pdf_layout.PrintLayout, names: Iterable[str]) -> None:
    """Let links to anchors of other parts survive WeasyPrint's check: they are given a
    destination here, which the merge replaces with the real one."""
    if layout.document.pages:
        anchors = layout.document.pages[0].anchors
        for name in sorted(names):
            anchors.setdefault(name, (0, 0, 0, 0))
