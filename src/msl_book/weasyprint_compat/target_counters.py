"""Fix: every page with a page reference ("see page 25", the contents, "Answer, p. 29") laid
out three or four times.

For ``target-counter(attr(href url), page)`` WeasyPrint records the missing counter under
the anchor name of the raw ``attr()`` token, which is None, so the proper mechanism (remake a
referencing page once its target's page is known) never fires. What still resolves the
numbers is an accident: the same branch rebinds the local ``missing_counters`` list to that
target list, so the reference looks as if it needed the local ``page`` counter and is
re-parsed, with its page made again, every time the page counters change, which they do
after every pass. The fix records the resolved anchor name (as ``lookup_target`` resolves it
a line earlier) and drops the aliased list: a page with a forward reference is made twice,
one with only backward references once. (After each pass WeasyPrint also records the page
total among every page's counters; a target whose counters differ from those cached in
that total alone is no reason to remake the pages that refer to it, unless one of them asks
for ``pages``.)

Known limit: ``counter(pages)`` in the same ``content`` as a ``target-counter()`` is not
handled (70.0 crashes on it; msl-book's stylesheets do not use it).
"""

from __future__ import annotations

import copy

from weasyprint.css import targets
from weasyprint.css.targets import TargetCollector
from weasyprint.layout import page
from weasyprint.urls import get_url_tuple

from .patch import Patch

# The last attr() token lookup_target resolved, and the anchor it names: WeasyPrint asks
# anchor_name_from_token for the same token right after.
_resolved: list[tuple[object, str | None]] = [(None, None)]


def _lookup_target(original):
    name_of = targets.anchor_name_from_token  # WeasyPrint's own, installed after this one

    def lookup_target(self, anchor_token, source_box, css_token, parse_again):
        """WeasyPrint's method; also remembers which anchor an ``attr()`` token named."""
        item = original(self, anchor_token, source_box, css_token, parse_again)
        if anchor_token[0] == "attr()":
            attr_name, type_, fallback = anchor_token[1]
            value = source_box.element.get(attr_name, fallback)
            token = (
                ("url", get_url_tuple(value, source_box.style.base_url))
                if type_ == "url"
                else ("string", value)
            )
            _resolved[0] = (anchor_token, name_of(token))
        return item

    return lookup_target


def _anchor_name_from_token(original):
    def anchor_name_from_token(anchor_token):
        token, name = _resolved[0]
        if anchor_token[0] == "attr()" and anchor_token is token:
            return name
        return original(anchor_token)

    return anchor_name_from_token


def _cache_target_page_counters(original):
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
        result = original(self, anchor_name, page_counter_values, page_maker_index, page_maker)
        # A reference whose page is still to be made can show its target's number right away,
        # instead of being made with a placeholder and made again. One on the page being
        # made was laid out with the placeholder already: make_page below remakes that page.
        early = self.__dict__.get("_msl_early")
        for lookup in _lookups_by_anchor(self).get(anchor_name, ()):
            if lookup.pending and not lookup.missing_counters:
                lookup.parse_again(None)
                lookup.pending = False
                if early is not None:
                    early.add(id(lookup))
        return result

    return cache_target_page_counters


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


def _make_page(original):
    def make_page(context, root_box, page_type, resume_at, page_number, page_state):
        """WeasyPrint's function; a reference on this page whose target, earlier on the same
        page, was only now given its number, gets the page made again."""
        collector = context.target_collector
        early: set[int] = set()
        collector._msl_early = early
        try:
            result = original(context, root_box, page_type, resume_at, page_number, page_state)
        finally:
            collector._msl_early = None
        if early:
            lookups = collector.counter_lookup_items
            for child in result[0].descendants(placeholders=True):
                lookup = lookups.get((child.missing_link, "content")) if child.missing_link else None
                if lookup is not None and id(lookup) in early:
                    context.page_maker[page_number - 1][-1]["content_changed"] = True
                    break
        return result

    return make_page


def _collect_missing_counters(original):
    def collect_missing_counters(self, parent_box, css_token, parse_again, missing, missing_target):
        """WeasyPrint's method, without a target's counters mistaken for local ones."""
        if any(missing is names for names in missing_target.values()):
            missing = []
        return original(self, parent_box, css_token, parse_again, missing, missing_target)

    return collect_missing_counters


PATCH = Patch(
    "target-counters",
    "every page with a target-counter(attr(href url)) reference is laid out three or four times",
    "docs/upstream/target-counter-repagination.md",
    (
        (TargetCollector, "collect_missing_counters", _collect_missing_counters),
        (TargetCollector, "lookup_target", _lookup_target),
        (TargetCollector, "cache_target_page_counters", _cache_target_page_counters),
        (targets, "anchor_name_from_token", _anchor_name_from_token),
        (page, "make_page", _make_page),
    ),
)
