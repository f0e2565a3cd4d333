"""Fix: tagged PDF (PDF/UA) written in quadratic time.

For every tagged box, WeasyPrint asks pydyf for ``PDF.page_references``, a property that
builds the tuple of every page's reference anew: 1,000 pages took 38.7 s to write tagged,
24.8 s with the tuple cached for as long as the page list does not grow.
"""

from __future__ import annotations

import pydyf

from .patch import Patch


def _page_references(self: pydyf.PDF) -> tuple[bytes, ...]:
    kids = self.pages["Kids"]
    cached = getattr(self, "_msl_page_references", None)
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        self._msl_page_references = cached
    return cached[1]


PATCH = Patch(
    "tagged-write",
    "tagged PDF is written in quadratic time (pydyf rebuilds page_references for every tag)",
    "docs/upstream/pydyf-page-references-quadratic.md",
    ((pydyf.PDF, "page_references", lambda _original: property(_page_references)),),
)
