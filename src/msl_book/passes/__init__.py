"""The passes that turn a loaded Book into the resolved BookModel, in order.

Each pass is one module with ``run(model, report)``; it reads what the passes before it
resolved and adds its own part. A new feature with something to resolve across the book
(an index) is one more module and one more line here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..document import BookModel
from ..errors import Report
from ..l10n import Strings
from ..model import Book
from . import (
    bidi,
    bitmaps,
    citations,
    crossrefs,
    floats,
    glossary,
    headerrefs,
    ids,
    index,
    references,
    sources,
    structure,
    svgsize,
    svgtext,
    trees,
)

Pass = Callable[[BookModel, Report], None]

PASSES: tuple[Pass, ...] = (
    sources.run,  # Markdown -> tokens, with the line of everything that can be wrong
    structure.run,  # the sections: chapter and appendix numbers, the answer key
    ids.run,  # every id unique across the book; headings get theirs
    trees.run,  # tokens -> content trees; headings, questions, glossary terms, footnotes
    references.run,  # every link and image checked; links to chapter files become #ids
    headerrefs.run,  # [Heading text] links to that heading, as in pandoc
    bitmaps.run,  # bitmaps larger than a page can use are scaled down
    svgtext.run,  # the text of SVG figures in the book's fonts, for the PDF
    svgsize.run,  # the text of SVG figures large enough on a phone
    floats.run,  # figures and tables numbered and captioned
    citations.run,  # citations rendered by the CSL style (pandoc's citeproc); lists of references
    glossary.run,  # the first use of each glossary term links to its definition
    crossrefs.run,  # links without text get their target's label
    index.run,  # marks for the index, sorted into its entries; the Index section, last
    bidi.run,  # runs of text in the other direction isolated (an English name in Arabic)
)


def resolve(book: Book, report: Report, passes: Sequence[Pass] = PASSES) -> BookModel:
    """Run every pass over the book; problems go to ``report``."""
    model = BookModel(book=book, strings=Strings.of(book.config))
    for run in passes:
        run(model, report)
    return model
