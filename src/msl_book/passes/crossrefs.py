"""Pass: a link written without text (``[](#fig-x)``) gets its target's label ("Figure 2.1"),
and links to chapters, sections, figures and tables are marked as cross-references
(``a.xref``), which print follows with the target's page."""

from __future__ import annotations

from ..document import BookModel
from ..errors import Report
from ..xhtml import add_class, has_class, q, text_content


def run(model: BookModel, report: Report) -> None:
    for section in model.sections:
        for fragment in section.flow():
            for a in fragment.root.iter(q("a")):
                href = a.get("href", "")
                if href.startswith("#") and not text_content(a) and len(a) == 0:
                    target = model.targets.get(href[1:])
                    if target is not None:
                        a.text = target.label or target.id
    for section in model.sections:
        for fragment in section.fragments():
            for a in fragment.root.iter(q("a")):
                href = a.get("href", "")
                target = model.targets.get(href[1:]) if href.startswith("#") else None
                if (
                    target is not None
                    and target.kind.paged
                    and not has_class(a, "glossref")
                    and not has_class(a, "noteref")
                ):
                    add_class(a, "xref")
