"""Fixes for WeasyPrint 70.0 layout bugs, applied when the PDF renderer is imported.

1. Footnotes moved to the next page although they fit. WeasyPrint decides whether the
footnote area overflows with an exact float comparison
(``last_child_bottom > footnote_area_bottom``). The two values are the same length reached
by different sums, so rounding makes a note that fits look a hair too tall: the note is
then moved to the next page (``footnote-policy: auto``), or the call's line is pushed again
and again (``line``). Upstream: Kozea/WeasyPrint#2502 ("only on the page after the one
where the call is made"). The method below is WeasyPrint's own (BSD-3-Clause), with a
tolerance of a millionth of a CSS pixel in that one comparison.

2. A paragraph's first word hyphenated alone on its line ("Wel-" / "come to the team…").
When a text run ends with a space just before an inline element (a link, emphasis) that does
not fit on the line, WeasyPrint looks for the run's last break by laying it out again one
pixel narrower than its width *including* the trailing space. The text still fits there,
since a trailing space hangs, but ``split_first_line`` measures the space, decides nothing
fits and hyphenates the first word. The wrapper below answers "everything fits" in that
case, so WeasyPrint narrows further and breaks at the last space, as it should.

3. Every page with a page reference ("see page 25", the contents, "Answer, p. 29") laid out
three or four times. For ``target-counter(attr(href url), page)`` WeasyPrint records the
missing counter under the anchor name of the raw ``attr()`` token, which is None, so the
proper mechanism (remake a referencing page once its target's page is known) never fires.
What still resolves the numbers is an accident: the same branch rebinds the local
``missing_counters`` list to that target list, so the reference looks as if it needed the
local ``page`` counter and is re-parsed, with its page made again, every time the page
counters change, which they do after every pass. The fix records the resolved anchor name
(as ``lookup_target`` resolves it a line earlier) and drops the aliased list: a page with a
forward reference is made twice, one with only backward references once. (After each
pass WeasyPrint also records the page total among every page's counters; a target whose
counters differ from those cached in that total alone is no reason to remake the pages that
refer to it, unless one of them asks for ``pages``.)

4. Tagged PDF (PDF/UA) written in quadratic time: for every tagged box, WeasyPrint asks pydyf
for ``page_references``, a property that builds the tuple of every page's reference anew.
The property is cached for as long as the page list does not grow (1,000 pages: the tagged
write took 38.7 s, 24.8 s with the cache).

5. Footnotes lost when a page is made again after one that was not. A footnote that does not
fit on its call's page is carried to the next one in ``context.reported_footnotes``, which
only the making of the previous page sets. ``make_all_pages`` skips up-to-date pages, so a
page made again after a skipped one starts with whatever the last page actually made left
there: a carried note vanishes, or another page's appears. Each page's carried notes are
now kept and given back to the next page when it is made again.
"""

from __future__ import annotations

import copy
from math import inf

import pydyf
import weasyprint
from weasyprint.css import targets
from weasyprint.css.targets import TargetCollector
from weasyprint.formatting_structure import build
from weasyprint.layout import LayoutContext, inline, page
from weasyprint.layout.block import block_level_layout
from weasyprint.text import line_break
from weasyprint.urls import get_url_tuple

EPSILON = 1e-6
PATCHED_VERSION = "70.0"


def _update_footnote_area(self: LayoutContext) -> bool:
    """Update the page bottom size and our footnote area height."""
    if self.current_footnote_area.height != "auto" and not self.in_column:
        self.page_bottom += self.current_footnote_area.margin_height()
    self.current_footnote_area.children = self.current_page_footnotes
    if self.current_footnote_area.children:
        footnote_area = build.create_anonymous_boxes(self.current_footnote_area.deepcopy())
        footnote_area = block_level_layout(self, footnote_area, -inf, None, self.current_footnote_area.page)[
            0
        ]
        self.current_footnote_area.height = footnote_area.height
        if not self.in_column:
            self.page_bottom -= footnote_area.margin_height()
        last_child = footnote_area.children[-1]
        last_child_bottom = last_child.position_y + last_child.margin_height() - last_child.margin_bottom
        footnote_area_bottom = (
            footnote_area.position_y + footnote_area.margin_height() - footnote_area.margin_bottom
        )
        return last_child_bottom > footnote_area_bottom + EPSILON
    self.current_footnote_area.height = 0
    if not self.in_column:
        self.page_bottom -= self.current_footnote_area.margin_height()
    return False


_split_first_line = line_break.split_first_line


def split_first_line(text, style, context, max_width, spacing, is_line_start=True, minimum=False):
    """WeasyPrint's split_first_line, except that trailing spaces never force a break."""
    result = _split_first_line(text, style, context, max_width, spacing, is_line_start, minimum)
    stripped = text.rstrip(" ")
    if result[2] is None or max_width is None or stripped == text or " " not in stripped:
        return result
    if " " in text.encode()[: result[1]].decode(errors="ignore").strip():
        return result  # broken at a space, as it should be: only a lone first word is suspect
    whole = _split_first_line(stripped, style, context, None, spacing, is_line_start, minimum)
    if whole[3] <= max_width + EPSILON:
        return _split_first_line(text, style, context, None, spacing, is_line_start, minimum)
    return result


_lookup_target = TargetCollector.lookup_target
_anchor_name_from_token = targets.anchor_name_from_token
_resolved: list[tuple[object, str | None]] = [(None, None)]  # the last attr() token and its anchor


def lookup_target(self, anchor_token, source_box, css_token, parse_again):
    """WeasyPrint's method; also remembers which anchor an ``attr()`` token named."""
    item = _lookup_target(self, anchor_token, source_box, css_token, parse_again)
    if anchor_token[0] == "attr()":
        attr_name, type_, fallback = anchor_token[1]
        value = source_box.element.get(attr_name, fallback)
        token = (
            ("url", get_url_tuple(value, source_box.style.base_url)) if type_ == "url" else ("string", value)
        )
        _resolved[0] = (anchor_token, _anchor_name_from_token(token))
    return item


def anchor_name_from_token(anchor_token):
    token, name = _resolved[0]
    if anchor_token[0] == "attr()" and anchor_token is token:
        return name
    return _anchor_name_from_token(anchor_token)


_cache_target_page_counters = TargetCollector.cache_target_page_counters


def cache_target_page_counters(self, anchor_name, page_counter_values, page_maker_index, page_maker):
    """WeasyPrint's method, except that a new page total alone changes no reference."""
    item = self.target_lookup_items.get(anchor_name)
    if (
        not self.collecting
        and item is not None
        and item.state == "up-to-date"
        and item.cached_page_counter_values
        and _without_pages(item.cached_page_counter_values) == _without_pages(page_counter_values)
        and anchor_name not in _anchors_wanting_pages(self)
    ):
        item.cached_page_counter_values = copy.deepcopy(page_counter_values)
    result = _cache_target_page_counters(self, anchor_name, page_counter_values, page_maker_index, page_maker)
    # A reference whose page is still to be made can show its target's number right away,
    # instead of being made with a placeholder and made again.
    for lookup in _lookups_by_anchor(self).get(anchor_name, ()):
        if lookup.pending and not lookup.missing_counters:
            lookup.parse_again(None)
            lookup.pending = False
    return result


def _lookups_by_anchor(collector: TargetCollector) -> dict:
    """The references to each anchor; fixed once collecting is over."""
    cached = getattr(collector, "_msl_lookups", None)
    if cached is None:
        cached = {}
        for lookup in collector.counter_lookup_items.values():
            for anchor in lookup.missing_target_counters:
                cached.setdefault(anchor, []).append(lookup)
        collector._msl_lookups = cached
    return cached


def _anchors_wanting_pages(collector: TargetCollector) -> frozenset:
    """Anchors some reference asks ``counter(pages)`` of; fixed once collecting is over."""
    cached = getattr(collector, "_msl_pages_wanted", None)
    if cached is None:
        cached = frozenset(
            anchor
            for lookup in collector.counter_lookup_items.values()
            for anchor, names in lookup.missing_target_counters.items()
            if "pages" in names
        )
        collector._msl_pages_wanted = cached
    return cached


def _without_pages(values: dict) -> dict:
    return {name: value for name, value in values.items() if name != "pages"}


_collect_missing_counters = TargetCollector.collect_missing_counters


def collect_missing_counters(self, parent_box, css_token, parse_again, missing, missing_target):
    """WeasyPrint's method, without a target's counters mistaken for local ones."""
    if any(missing is names for names in missing_target.values()):
        missing = []
    return _collect_missing_counters(self, parent_box, css_token, parse_again, missing, missing_target)


def _page_references(self: pydyf.PDF) -> tuple[bytes, ...]:
    kids = self.pages["Kids"]
    cached = getattr(self, "_msl_page_references", None)
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        self._msl_page_references = cached
    return cached[1]


_remake_page = page.remake_page


def remake_page(index, context, root_box, html):
    """WeasyPrint's function, starting from the notes the previous page carried over."""
    carried = context.__dict__.setdefault("_msl_carried_footnotes", {})
    if index - 1 in carried:
        context.reported_footnotes = list(carried[index - 1])
    result = _remake_page(index, context, root_box, html)
    carried[index] = list(context.reported_footnotes)
    return result


def apply() -> None:
    if weasyprint.__version__ != PATCHED_VERSION:
        raise RuntimeError(
            f"msl-book patches WeasyPrint {PATCHED_VERSION}'s line and footnote layout; "
            f"WeasyPrint {weasyprint.__version__} is installed: check the fix is still needed"
        )
    LayoutContext._update_footnote_area = _update_footnote_area
    inline.split_first_line = split_first_line
    TargetCollector.collect_missing_counters = collect_missing_counters
    TargetCollector.lookup_target = lookup_target
    TargetCollector.cache_target_page_counters = cache_target_page_counters
    pydyf.PDF.page_references = property(_page_references)
    targets.anchor_name_from_token = anchor_name_from_token
    page.remake_page = remake_page
