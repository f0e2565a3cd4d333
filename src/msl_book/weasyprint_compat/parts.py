"""What WeasyPrint 70.0 needs to lay out one part of a book as if the rest were there.

Not a fix: a feature. A part (a run of chapters) is its own HTML document, so WeasyPrint
would number its pages from 1 and know nothing of the anchors in other parts. While the
patch made by ``part_patch(state)`` is installed:

- the page counter starts at the part's first folio minus one (the page state WeasyPrint
  builds before the first page, ``initialize_page_maker``), so folios and page references
  continue from the previous part;
- every anchor laid out in another part is known to ``target-counter()`` with the page
  counter value it has there: the collector starts with an up-to-date lookup item for it,
  whose cached page counters are that value, so references to it are set right the first
  time. Anchors of parts not laid out yet get a guess (``PartState.unknown``).

In a book whose chapters open on either side (``PartState.flips``), a part is always laid
out as if its first page were a recto, and once its first folio is known to be even, every
page is moved to the other side (``_move``): the page takes the other side's page style and
margin boxes, and its content is translated by the difference between the two sides' margins
(the page areas have the same size, or the part is laid out again on its real sides). So the
pages are the same whatever first folio the part was guessed to have: no part is laid out
twice because its guess had the wrong parity.

With ``PartState.exchange``, a third hook runs once the pages are made (before their margin
boxes, which show the folios): it reports the part's page count and where its anchors are,
and waits for the real first folio and the real numbers of the other parts' anchors (or
hears that they are not known yet: the pages stay as they are). It then
moves the page counter of every page state by the difference and hands each changed number
to WeasyPrint's own bookkeeping (``cache_target_page_counters``), which marks the pages whose
references show it; only those pages are made again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import weasyprint.layout
from weasyprint.css.targets import TargetCollector, TargetLookupItem
from weasyprint.formatting_structure import boxes
from weasyprint.layout.page import page_height, page_width, set_page_type_computed_styles
from weasyprint.layout.percent import resolve_percentages

from .patch import Patch

MAX_PASSES = 8  # WeasyPrint's layout_document stops repaginating after 8 passes too
AREAS = ("@footnote", "@note-area")  # laid out in the page area: the same on both sides, or no move
SIDE_BREAKS = frozenset({"left", "right", "recto", "verso"})  # breaks whose blank pages depend on the side

# (page count, anchor -> page index) -> (first folio, anchor -> page counter value), or None:
# the numbers are not known yet, and the part keeps those it was laid out with; or (first
# folio, None): only the first folio is known, and the part keeps its other numbers
Exchange = Callable[[int, dict[str, int]], tuple[int | None, dict[str, int] | None] | None]


@dataclass
class PartState:
    first_number: int | None  # folio of the part's first page; None: numbered by the stylesheets alone
    known: dict[str, int]  # anchor -> page counter value in the part that holds it
    unknown: dict[str, int]  # anchors of parts not laid out yet -> a guess of their number
    exchange: Exchange | None = field(default=None, repr=False)
    end_page: str = ""  # name of the page a part's end marker makes: not counted
    exchanged: bool = False
    footnotes: list = field(default_factory=list, repr=False)
    # Chapters may open on either side (openers: any): a part's first page is a left one when
    # its first folio is even, so a new folio of the other parity cannot be taken in place.
    sides_follow_folios: bool = False
    wrong_side: bool = False
    # laid out from a recto whatever its first folio, its pages moved to the other side when
    # that folio is even; False: laid out on its real sides (an even folio gives the root a
    # break-before: verso)
    flips: bool = False
    unflippable: bool = False  # its pages could not be moved: laid out again on its real sides
    declined: bool = False  # the exchange gave no numbers: the part is measured only
    partial: bool = False  # the exchange gave the first folio only: it took that one
    # the anchors of ``known`` and ``unknown`` a target-counter() of the part asked for: the
    # only ones whose numbers its pages show (a link alone is joined by name: renderers/pdf/merge)
    looked_up: set[str] = field(default_factory=set)


def part_patch(state: PartState) -> Patch:
    """The hooks that lay out the part described by ``state``."""

    def initialize(original):
        def initialize_page_maker(context: object, root_box: object) -> None:
            original(context, root_box)
            if state.first_number is not None:
                page_state = context.page_maker[0][3]
                page_state[1]["page"] = [state.first_number - 1]
                page_state[2][0].add("page")

        return initialize_page_maker

    given: dict[int, str] = {}  # id of the lookup item made for an anchor of another part -> its name

    def collector(original):
        def __init__(self: TargetCollector) -> None:
            original(self)
            for anchor, number in {**state.unknown, **state.known}.items():
                item = TargetLookupItem("up-to-date")
                item.target_box = SimpleNamespace(cached_counter_values={})
                item.cached_page_counter_values = {"page": [number]}
                item.page_maker_index = -1
                self.target_lookup_items[anchor] = item
                given[id(item)] = anchor

        return __init__

    def lookup(original):
        def lookup_target(self: TargetCollector, *args: object) -> TargetLookupItem:
            item = original(self, *args)
            if (name := given.get(id(item))) is not None and self.target_lookup_items.get(name) is item:
                state.looked_up.add(name)
            return item

        return lookup_target

    def make_all(original):
        def make_all_pages(context: object, root_box: object, html: object, pages: list) -> Iterator:
            if not pages:
                state.footnotes = context.footnotes.copy()  # as layout_document keeps them for its passes
            made = list(original(context, root_box, html, pages))

            def sides() -> Iterator:
                """The pages, on the sides of the first folio the part has now."""
                first = state.first_number
                if state.flips and first is not None and first % 2 == 0 and not state.unflippable:
                    state.unflippable = not _move(context, root_box, html, made)
                return iter(made)

            if state.exchange is None or state.exchanged:
                return sides()
            if not _settled(context):
                return iter(made)  # layout_document makes the pages again before the exchange
            state.exchanged = True
            anchors: dict[str, int] = {}
            for index, page in enumerate(made):
                for box in page.descendants(placeholders=True):
                    anchor = box.style["anchor"]
                    if anchor and anchor not in anchors:
                        anchors[anchor] = index
            count = len(made) - (1 if made and made[-1].page_type.name == state.end_page else 0)
            answer = state.exchange(count, anchors)
            if answer is None:
                state.declined = True
                return sides()
            first_number, values = answer
            if (
                state.sides_follow_folios
                and not state.flips
                and state.first_number is not None
                and first_number is not None
                and (first_number - state.first_number) % 2
            ):
                state.wrong_side = True  # laid out on the wrong sides: it is laid out again
                return iter(made)
            if values is None:
                state.partial, values = True, {}
            _renumber(context, state, first_number, values)
            for _ in range(MAX_PASSES):  # as layout_document's own loop, which this one continues
                if _settled(context):
                    break
                context.footnotes = state.footnotes.copy()
                made = list(original(context, root_box, html, made))
            return sides()

        return make_all_pages

    return Patch(
        "parts",
        "",
        "",
        (
            (weasyprint.layout, "initialize_page_maker", initialize),
            (TargetCollector, "__init__", collector),
            (TargetCollector, "lookup_target", lookup),
            (weasyprint.layout, "make_all_pages", make_all),
        ),
    )


def _move(context: object, root_box: object, html: object, pages: list) -> bool:
    """Move every page not moved yet to the side opposite the one it was laid out on (a page
    made again in a later pass is laid out on the side the part was laid out from, as its
    first is); False, with no page moved, if a page cannot be: a blank page or a break to a
    side (they would fall elsewhere), or page areas or footnote areas that differ."""
    page_maker = context.page_maker
    if any(page.page_type.blank for page in pages) or any(
        entry[1]["break"] in SIDE_BREAKS for entry in page_maker[1 : len(pages)]
    ):
        return False
    cascaded = context.style_for.get_cascaded_styles()

    def pseudo(page_type: object, name: str) -> dict:
        return {key: value for key, (value, _) in cascaded.get((page_type, name), {}).items()}

    moves = []
    for index, page in enumerate(pages):
        laid_side = "right" if page_maker[index][2] else "left"
        if page.page_type.side != laid_side:
            continue  # moved already
        page_type = page.page_type._replace(side="left" if laid_side == "right" else "right")
        set_page_type_computed_styles(page_type, html, context.style_for)
        style = context.style_for(page_type)
        style["overflow"] = root_box.viewport_overflow
        moved = boxes.PageBox(page_type, style)
        size = style["size"]
        resolve_percentages(moved, size)
        moved.position_x = moved.position_y = 0
        page_width(moved, context, size[0])
        page_height(moved, context, size[1])
        if (moved.width, moved.height, tuple(size)) != (page.width, page.height, tuple(page.style["size"])):
            return False
        if any(pseudo(page_type, area) != pseudo(page.page_type, area) for area in AREAS):
            return False
        moves.append((page, moved))
    for page, moved in moves:
        dx = moved.content_box_x() - page.content_box_x()
        dy = moved.content_box_y() - page.content_box_y()
        for child in page.children:
            child.translate(dx, dy)
        kept = {name: getattr(page, name) for name in ("children", "fixed_boxes") if hasattr(page, name)}
        vars(page).update(vars(moved))
        vars(page).update(kept)
    return True


def _settled(context: object) -> bool:
    return not any(e[-1]["content_changed"] or e[-1]["pages_wanted"] for e in context.page_maker)


def _shift(counters: dict, delta: int) -> None:
    if counters.get("page"):
        counters["page"] = [*counters["page"][:-1], counters["page"][-1] + delta]


def _renumber(context: object, state: PartState, first_number: int | None, values: dict[str, int]) -> None:
    """Give the part its real first folio and the other parts' anchors their real numbers."""
    delta = 0
    if state.first_number is not None and first_number is not None:
        delta = first_number - state.first_number
        state.first_number = first_number
    collector = context.target_collector
    page_maker = context.page_maker
    if delta:
        for entry in page_maker:
            _shift(entry[3][1], delta)
        for lookup in collector.counter_lookup_items.values():
            _shift(lookup.cached_page_counter_values, delta)
    for name, item in list(collector.target_lookup_items.items()):
        cached = item.cached_page_counter_values
        if item.state != "up-to-date" or not cached.get("page"):
            continue
        if name in values:
            number = values[name]
        elif delta and item.page_maker_index is not None and item.page_maker_index >= 0:
            number = cached["page"][-1] + delta
        else:
            continue
        if number != cached["page"][-1]:
            changed = copy.deepcopy(cached)
            changed["page"][-1] = number
            collector.cache_target_page_counters(name, changed, item.page_maker_index, page_maker)
