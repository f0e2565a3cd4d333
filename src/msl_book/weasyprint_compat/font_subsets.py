"""Fix: PDFs not reproducible when WeasyPrint rewrites a font with fontTools.

WeasyPrint rewrites fonts with fontTools when it subsets them without HarfBuzz's subsetter
(Debian's libharfbuzz-subset0), makes a variable font static, or removes colour glyphs.
``TTFont.save`` stamps the result's ``head.modified`` with the current time, so the same book
gives different bytes a second later. The rewritten font keeps the font's own timestamp.
"""

from __future__ import annotations

from fontTools.ttLib import TTFont
from weasyprint.pdf import fonts

from .patch import Patch


class _KeepTimestamp(TTFont):
    def __init__(self, *args, recalcTimestamp: bool = False, **kwargs):
        super().__init__(*args, recalcTimestamp=recalcTimestamp, **kwargs)


PATCH = Patch(
    "font-subsets",
    "PDFs differ from run to run when fonts are subset with fontTools (no HarfBuzz-Subset)",
    "docs/upstream/fonttools-subset-timestamp.md",
    ((fonts, "TTFont", lambda _original: _KeepTimestamp),),
)
