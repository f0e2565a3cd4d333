"""Fix: a footnote that fits is moved to the next page.

WeasyPrint decides whether the footnote area overflows with an exact float comparison
(``last_child_bottom > footnote_area_bottom`` in ``LayoutContext._update_footnote_area``).
The two values are the same length reached by different sums, so rounding makes a note that
fits look a hair too tall (1e-13 px): the note is moved to the next page (``footnote-policy:
auto``), or the call's line is pushed again and again (``line``). The method below is
WeasyPrint 70.0's own (BSD-3-Clause), with a tolerance of a millionth of a CSS pixel in that
one comparison.
"""

from __future__ import annotations

from math import inf

from weasyprint.formatting_structure import build
from weasyprint.layout import LayoutContext
from weasyprint.layout.block import block_level_layout

from .patch import Patch

EPSILON = 1e-6


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


PATCH = Patch(
    "footnote-area",
    "a footnote that fits is moved to the next page (an exact float comparison)",
    "docs/upstream/footnote-float-comparison.md (a cause of Kozea/WeasyPrint#2502 left after v66)",
    ((LayoutContext, "_update_footnote_area", lambda _original: _update_footnote_area),),
)
