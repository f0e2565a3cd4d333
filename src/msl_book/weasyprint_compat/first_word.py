"""Fix: a paragraph's first word hyphenated alone on its line ("Wel-" / "come to the team…").

When a text run ends with a space just before an inline element (a link, emphasis) that
does not fit on the line, ``split_first_line`` measures the run *with* its trailing space
against the line width. The text fits without the space (a trailing space hangs), but
measured with it nothing seems to fit, so the first word is hyphenated. The same happens on
later lines when a run restarts there. The wrapper answers "everything fits" in that case,
so WeasyPrint breaks at the run's last space instead, as it should.
"""

from __future__ import annotations

from weasyprint.layout import inline

from .patch import Patch

EPSILON = 1e-6


def _make(original):
    def split_first_line(text, style, context, max_width, spacing, is_line_start=True, minimum=False):
        """WeasyPrint's split_first_line, except that trailing spaces never force a break."""
        result = original(text, style, context, max_width, spacing, is_line_start, minimum)
        stripped = text.rstrip(" ")
        if result[2] is None or max_width is None or stripped == text or " " not in stripped:
            return result
        if " " in text.encode()[: result[1]].decode(errors="ignore").strip():
            return result  # broken at a space, as it should be: only a lone first word is suspect
        whole = original(stripped, style, context, None, spacing, is_line_start, minimum)
        if whole[3] <= max_width + EPSILON:
            return original(text, style, context, None, spacing, is_line_start, minimum)
        return result

    return split_first_line


PATCH = Patch(
    "first-word",
    "a paragraph's first word is hyphenated alone on its line when an inline element does not fit",
    "docs/upstream/first-word-hyphenated-trailing-space.md",
    ((inline, "split_first_line", _make),),
)
