"""Where a link goes: the one place that turns a target id into an href.

The book model says only which id a link points at. A renderer that writes the book as one
document (print) links to ``#id``; one that writes a document per chapter (EPUB, preview)
links to the document that holds the id, or to the document itself for a chapter.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import BookModel


class Links:
    def __init__(self, model: BookModel, documents: Mapping[str, str] | None = None):
        """``documents``: section id -> the file name of its document, relative to the other
        documents; None when the whole book is one document."""
        self.model = model
        self.documents = documents

    def href(self, target: str, current: str | None = None) -> str:
        """The href of a link to ``target`` from the document of section ``current``."""
        if self.documents is None:
            return f"#{target}"
        found = self.model.targets.get(target)
        name = self.documents.get(found.chapter) if found is not None else None
        if name is None or found.chapter == current:
            return f"#{target}"
        return name if target == found.chapter else f"{name}#{target}"
