"""The EPUB package's metadata: Dublin Core, print-page source, and schema.org
accessibility metadata that describes what this book really contains."""

from __future__ import annotations

from ebooklib import epub

from ...document import BookModel
from ...pagemap import PageMap


def metadata(book: epub.EpubBook, rbook: BookModel, page_map: PageMap | None) -> None:
    """Add the package metadata; ``page_map``: the print edition the page-list follows."""
    config = rbook.config
    has_pages = page_map is not None
    if config.subtitle:
        book.add_metadata("DC", "title", config.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    for i, author in enumerate(config.authors, start=1):
        uid = f"creator{i}"
        book.add_metadata("DC", "creator", author.name, {"id": uid})
        book.add_metadata(
            None, "meta", author.role, {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"}
        )
        if author.file_as:
            book.add_metadata(None, "meta", author.file_as, {"refines": f"#{uid}", "property": "file-as"})
    if config.publisher:
        book.add_metadata("DC", "publisher", config.publisher)
    if config.date:
        book.add_metadata("DC", "date", config.date.isoformat())
    if config.description:
        book.add_metadata("DC", "description", config.description)
    if config.rights:
        book.add_metadata("DC", "rights", config.rights)
    for subject in config.subjects:
        book.add_metadata("DC", "subject", subject)
    if page_map is not None:
        book.add_metadata("DC", "source", page_map.source, {"id": "print-source"})
        book.add_metadata(None, "meta", "pagination", {"refines": "#print-source", "property": "source-of"})
    for prop, value in accessibility(rbook, has_pages):
        book.add_metadata(None, "meta", value, {"property": prop})


def accessibility(rbook: BookModel, has_pages: bool) -> list[tuple[str, str]]:
    """schema.org accessibility metadata that describes what this book really contains."""
    visual = bool(rbook.images)
    described = visual and not rbook.images_without_alt  # every image has a text alternative
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if described:
        features.append("alternativeText")
    if has_pages:
        features += ["pageNavigation", "pageBreakMarkers", "printPageNumbers"]
    features.append("ARIA")
    modes = ["textual"] + (["visual"] if visual else [])
    t = rbook.strings
    sentences = [
        t("a11y-structure"),
        t("a11y-described") if described else "",
        t("a11y-undescribed") if visual and not described else "",
        t("a11y-pages") if has_pages else "",
        t("a11y-restyle"),
        t("a11y-wcag") if described or not visual else "",
    ]
    summary = " ".join(s for s in sentences if s)
    rows = [("schema:accessMode", mode) for mode in modes]
    if not visual or described:
        rows.append(("schema:accessModeSufficient", "textual"))
    if visual:
        rows.append(("schema:accessModeSufficient", "textual,visual"))
    rows += [("schema:accessibilityFeature", f) for f in features]
    rows.append(("schema:accessibilityHazard", "none"))
    rows.append(("schema:accessibilitySummary", summary))
    if described or not visual:  # an image without a text alternative fails WCAG 1.1.1
        rows.append(("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"))
    return rows
