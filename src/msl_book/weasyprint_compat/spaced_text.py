"""Fix: letter-spaced text is copied, searched and read aloud as broken words.

WeasyPrint draws ``letter-spacing`` as a positioning offset after every glyph (``TJ``), so
text extraction sees the letters of a word as apart: with the 0.1 em of a spaced capital
label poppler's ``pdftotext`` gives "L EAR NING OBJECT IVES" for "LEARNING OBJECTIVES" (it
breaks a word where the gap reaches 0.1 em, and pair kerning tips some gaps over), and
what copies the text or reads it out meets the same gaps. The fix gives the marked-content
sequence of such a text box an ``/ActualText`` with the box's text (ISO 32000-1 14.9.4), the
text that replaces the glyphs for extraction and for assistive technology.
"""

from __future__ import annotations

from contextlib import contextmanager

import pydyf
from weasyprint.formatting_structure import boxes
from weasyprint.pdf.stream import Stream

from .patch import Patch


def spaced_text(box: object) -> str | None:
    """The text of a letter-spaced text box, as drawn (text-transform applied), or None."""
    if not isinstance(box, boxes.TextBox) or box.style["letter_spacing"] in ("normal", 0):
        return None
    text = box.text.replace("\u00ad", "")
    return text if text.strip() else None


def _make(original):
    @contextmanager
    def marked(self: Stream, box, tag):
        text = spaced_text(box) if self._tags is not None else None
        if text is None:
            with original(self, box, tag):
                yield
            return
        mcid = len(self._tags)
        assert box not in self._tags
        self._tags[box] = {"tag": tag, "mcid": mcid}
        self.begin_marked_content(tag, pydyf.Dictionary({"MCID": mcid, "ActualText": pydyf.String(text)}))
        try:
            yield
        finally:
            self.end_marked_content()

    return marked


PATCH = Patch(
    "spaced-text",
    "letter-spaced text extracts with spaces inside its words (L EAR NING for LEARNING)",
    "docs/upstream/letter-spacing-extraction.md",
    ((Stream, "marked", _make),),
)
