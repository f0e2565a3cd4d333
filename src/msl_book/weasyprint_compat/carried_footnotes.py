"""Fix: footnotes carried to the next page lost, or printed twice, when pages are made again.

A footnote that does not fit on its call's page is carried to the next one in
``context.reported_footnotes``, which only the making of the previous page sets.
``make_all_pages`` skips pages that are up to date, so in a later pass:

- a page made again after a skipped one starts with whatever the last page actually made
  left there: its carried note vanishes, or another page's appears;
- when the last page is skipped, the pass ends there, and the extra page that held the
  note it carried is dropped.

``make_all_pages`` below is WeasyPrint 70.0's own (BSD-3-Clause), which also remembers the
notes each page carried: a page made again starts with those its predecessor carried the
last time it was made, and a skipped page still carries its own.
"""

from __future__ import annotations

import weasyprint.layout
from weasyprint.layout import page
from weasyprint.logger import PROGRESS_LOGGER

from .patch import Patch


def make_all_pages(context, root_box, html, pages):
    """Return a list of laid out pages without margin boxes.

    Re-make pages only if necessary.

    """
    carried = context.__dict__.setdefault("_msl_carried_footnotes", {})
    i = 0
    reported_footnotes = None
    context.rendered_notes = []
    while True:
        remake_state = context.page_maker[i][-1]
        if len(pages) == 0 or remake_state["content_changed"] or remake_state["pages_wanted"]:
            PROGRESS_LOGGER.info("Step 5 - Creating layout - Page %d", i + 1)
            # Reset remake_state
            remake_state["content_changed"] = False
            remake_state["pages_wanted"] = False
            remake_state["anchors"] = []
            remake_state["content_lookups"] = []
            if i - 1 in carried:
                context.reported_footnotes = list(carried[i - 1])
            made, resume_at = page.remake_page(i, context, root_box, html)
            carried[i] = list(context.reported_footnotes)
            reported_footnotes = context.reported_footnotes
            yield made
        else:
            PROGRESS_LOGGER.info("Step 5 - Creating layout - Page %d (up-to-date)", i + 1)
            resume_at = context.page_maker[i + 1][0]
            reported_footnotes = carried.get(i)
            yield pages[i]

        i += 1
        if resume_at is None and not reported_footnotes:
            # Throw away obsolete pages and content
            context.page_maker = context.page_maker[: i + 1]
            context.broken_out_of_flow.clear()
            context.reported_footnotes.clear()
            return


PATCH = Patch(
    "carried-footnotes",
    "a footnote carried to the next page is lost or printed twice when pages are made again",
    "docs/upstream/footnotes-lost-on-remake.md",
    ((weasyprint.layout, "make_all_pages", lambda _original: make_all_pages),),
)
