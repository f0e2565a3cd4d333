"""The numbering of a book laid out in parts, as a pure function of page counts and anchors.

No part's numbers are known before every part has been laid out once: its first folio is
the sum of the page counts before it, and its references may point into any other part.
Only references that show a page number count (a ``target-counter()``: the contents, "see
page 12"); a plain link to another part is joined by name whatever its page (``merge``), so
once a layout of a part's HTML has said which anchors it looked up (``shown``), only those
are in its numbers: a glossary that moves does not make every chapter that links to it stale.
So every part is first laid out with the best guesses there are (``guesses``: the counts of
the parts measured so far, estimates for the others), then given its real numbers
(``numbers``, recorded by ``give``). A part that is *kept* takes them in the same process and makes again only
the pages whose references change. The others ask for them once laid out, and take them
in the same way if they are ``known`` by then (the parts before them are measured, and no
page shows the page of a part not measured yet: a book without forward page references,
laid out in order); otherwise they are laid out again with them. Parts are kept
up to ``keep_pages`` estimated pages (counting each process as a few pages more), as a kept
part holds its pages in memory meanwhile.
The front matter is the exception (``deferred``): nothing waits for its page count, so it
is laid out once, last, with the numbers of the measured body (in a long book its contents
are the largest part, and it would hold them all the while).

Taking its numbers can move a part's lines (a number with one more digit pushes a word
over), which can change its page count or move an anchor another part refers to. The parts
whose numbers then differ from those they were laid out with are ``stale`` and are laid out
again with the new ones, until nothing changes (``settle``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Numbers:
    """What a part is laid out with: its first folio (None for the front matter, which the
    stylesheets number) and the page counter value of every anchor it links to elsewhere."""

    first: int | None
    values: dict[str, int]


@dataclass
class PartPlan:
    ids: frozenset[str]  # the anchors it holds
    links: frozenset[str]  # the anchors it links to
    front: bool  # the front matter: roman folios of its own, before the first part of the body
    estimate: int  # pages, guessed from its size
    keep: bool = False  # its process waits for the numbers instead of laying it out again
    count: int = 0  # pages, once laid out
    anchors: dict[str, int] = field(default_factory=dict)  # anchor -> page index in the part
    given: Numbers | None = None  # the numbers of its last layout with numbers
    # the anchors of other parts whose page numbers its pages show (target-counter), once a
    # layout of its HTML said; until then every anchor it links to
    shown: frozenset[str] | None = None

    @property
    def outside(self) -> frozenset[str]:
        return self.links - self.ids

    @property
    def numbered(self) -> frozenset[str]:
        """The anchors of other parts whose numbers its layout depends on."""
        return self.outside if self.shown is None else self.shown & self.outside


class NotSettled(RuntimeError):
    """The parts keep changing each other's numbers."""


class Plan:
    def __init__(self, parts: list[PartPlan], keep_pages: int, overhead: int = 0):
        """Parts are kept while their estimated pages, plus ``overhead`` pages' worth for
        each part's process, add up to no more than ``keep_pages``."""
        self.parts = parts
        self._owners: dict[str, int] | None = None  # anchor -> the part that holds it
        kept = 0
        for part in parts:
            cost = part.estimate + overhead
            part.keep = not part.front and kept + cost <= keep_pages
            kept += cost if part.keep else 0

    def deferred(self, index: int) -> bool:
        """Part ``index`` is laid out once the others are measured, with their numbers: the
        front matter, whose page count no other part's folios depend on (the body starts at
        1) and whose contents show every chapter's page."""
        return self.parts[index].front

    def guesses(self, index: int) -> Numbers:
        """The numbers for laying part ``index`` out before every part is measured: parts not
        measured yet count their estimated pages and have their anchors on their first page."""
        firsts, values = self._numbering(estimate=True)
        part = self.parts[index]
        return Numbers(firsts[index], {name: values.get(name, firsts[index] or 1) for name in part.numbered})

    def measured_all(self) -> bool:
        """Every part has a page count (laid out in this build, or guessed from the last)."""
        return all(part.count for part in self.parts)

    def known(self, index: int) -> bool:
        """Part ``index``'s numbers can be told now: every part of the body before it is
        measured (its first folio), and so is every part holding an anchor whose number its
        pages show, with the parts before that one. (A count can still change when a part
        takes its numbers; ``stale`` then finds the parts numbered with the old one.)"""
        owners = self._owners
        if owners is None:
            owners = self._owners = {name: i for i, part in enumerate(self.parts) for name in part.ids}

        # the parts of the body are measured up to the first that is not
        parts = self.parts
        unmeasured = next((i for i, part in enumerate(parts) if not (part.front or part.count)), len(parts))

        def measured_through(end: int) -> bool:
            return end <= unmeasured

        for name in self.parts[index].numbered:
            owner = owners.get(name)
            if owner is None:
                continue
            if not (self.parts[owner].count and measured_through(owner)):
                return False
            # an anchor on no page (hidden in print) has no number: the part is laid out again,
            # as it would be had it not asked, so that the bytes never depend on the timing
            if name not in self.parts[owner].anchors:
                return False
        return measured_through(index)

    def first_known(self, index: int) -> bool:
        """Part ``index``'s first folio can be told now: every part of the body before it is
        measured."""
        return all(part.front or part.count for part in self.parts[:index])

    def measured(self, index: int, count: int, anchors: dict[str, int]) -> None:
        """Part ``index`` was laid out: its page count and where its anchors are."""
        part = self.parts[index]
        part.count, part.anchors = count, anchors

    def numbers(self) -> list[Numbers]:
        """Every part's real numbers, given the page counts and anchors measured so far."""
        firsts, values = self._numbering()
        return [
            Numbers(first, {name: values[name] for name in sorted(part.numbered) if name in values})
            for part, first in zip(self.parts, firsts, strict=True)
        ]

    def shown(self, index: int, names: frozenset[str]) -> None:
        """Part ``index`` shows the page numbers of ``names`` only (what its layout looked up):
        its numbers are those from now on, and those it was laid out with are cut to them."""
        part = self.parts[index]
        part.shown = frozenset(names)
        if part.given is not None:
            part.given = Numbers(
                part.given.first, {n: v for n, v in part.given.values.items() if n in part.numbered}
            )

    def give(self, index: int, numbers: Numbers) -> Numbers:
        """Part ``index`` is laid out with ``numbers``."""
        self.parts[index].given = numbers
        return numbers

    def stale(self) -> list[int]:
        """The parts laid out with numbers other than those they need now."""
        return [
            i
            for i, (part, needed) in enumerate(zip(self.parts, self.numbers(), strict=True))
            if part.given != needed
        ]

    def _numbering(self, estimate: bool = False) -> tuple[list[int | None], dict[str, int]]:
        """Every part's first folio from the page counts, and the page counter value of every
        anchor. ``estimate``: parts not measured yet count their estimated pages, and their
        anchors are put on their first page."""
        number, firsts, values = 1, [], {}
        for part in self.parts:
            first = None
            if not part.front:
                first, number = number, number + (part.count or (part.estimate if estimate else 0))
            firsts.append(first)
            if estimate and not part.count:
                values.update(dict.fromkeys(part.ids, first or 1))
            values.update({name: (first or 1) + index for name, index in part.anchors.items()})
        return firsts, values


def settle(plan: Plan, lay_out_again: Callable[[list[int]], None], attempts: int = 3) -> int:
    """Lay the stale parts out again until none is; returns how many times that took."""
    for attempt in range(attempts + 1):
        stale = plan.stale()
        if not stale:
            return attempt
        if attempt == attempts:
            break
        lay_out_again(stale)
    raise NotSettled(f"the parts of the book do not settle on their page numbers after {attempts} layouts")
