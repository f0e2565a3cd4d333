"""What WeasyPrint 70.0 needs to lay out one part of a book as if the rest were there.

A part (a run of chapters) is its own HTML document, so WeasyPrint would number its pages
from 1 and know nothing of the anchors in other parts. Two hooks, active only inside
``part_setup()``:

- the page counter starts at the part's first folio minus one (the page state WeasyPrint
  builds before the first page, ``initialize_page_maker``), so folios and page references
  continue from the previous part;
- every anchor laid out in another part is known to ``target-counter()`` with the page
  counter value it has there: the collector starts with an up-to-date lookup item for it,
  whose cached page counters are that value, so references to it are set right the first
  time. Anchors of parts not yet laid out get a placeholder, and the part is marked for
  another layout once they are known (``PartState.used_unknown``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import weasyprint.layout
from weasyprint.css.targets import TargetCollector, TargetLookupItem


@dataclass
class PartState:
    first_number: int | None  # folio of the part's first page; None: numbered by the stylesheets alone
    known: dict[str, int]  # anchor -> page counter value in the part that holds it
    unknown: frozenset[str]  # anchors of parts not laid out yet
    placeholder: int = 0
    collector: TargetCollector | None = field(default=None, repr=False)

    @property
    def used_unknown(self) -> bool:
        """Did a reference show a placeholder page number?"""
        if self.collector is None or not self.unknown:
            return False
        return any(
            "page" in counters and anchor in self.unknown
            for lookup in self.collector.counter_lookup_items.values()
            for anchor, counters in lookup.missing_target_counters.items()
        )


_active: list[PartState] = []
_initialize_page_maker = weasyprint.layout.initialize_page_maker
_collector_init = TargetCollector.__init__


def _initialize_with_start(context: object, root_box: object) -> None:
    _initialize_page_maker(context, root_box)
    if _active and _active[-1].first_number is not None:
        page_state = context.page_maker[0][3]
        page_state[1]["page"] = [_active[-1].first_number - 1]
        page_state[2][0].add("page")


def _collector_with_outside_anchors(self: TargetCollector) -> None:
    _collector_init(self)
    if not _active:
        return
    state = _active[-1]
    state.collector = self
    values = {**dict.fromkeys(state.unknown, state.placeholder), **state.known}
    for anchor, number in values.items():
        item = TargetLookupItem("up-to-date")
        item.target_box = SimpleNamespace(cached_counter_values={})
        item.cached_page_counter_values = {"page": [number]}
        item.page_maker_index = -1
        self.target_lookup_items[anchor] = item


def apply() -> None:
    weasyprint.layout.initialize_page_maker = _initialize_with_start
    TargetCollector.__init__ = _collector_with_outside_anchors


@contextmanager
def part_setup(state: PartState) -> Iterator[PartState]:
    _active.append(state)
    try:
        yield state
    finally:
        _active.pop()
