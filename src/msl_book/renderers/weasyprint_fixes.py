"""Two fixes for WeasyPrint 70.0 layout bugs, applied when the PDF renderer is imported.

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
"""

from __future__ import annotations

from math import inf

import weasyprint
from weasyprint.formatting_structure import build
from weasyprint.layout import LayoutContext, inline
from weasyprint.layout.block import block_level_layout
from weasyprint.text import line_break

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


def apply() -> None:
    if weasyprint.__version__ != PATCHED_VERSION:
        raise RuntimeError(
            f"msl-book patches WeasyPrint {PATCHED_VERSION}'s line and footnote layout; "
            f"WeasyPrint {weasyprint.__version__} is installed: check the fix is still needed"
        )
    LayoutContext._update_footnote_area = _update_footnote_area
    inline.split_first_line = split_first_line
