"""What every forked layout process would otherwise load for itself: loaded once, before.

A book laid out in parts forks a process per part (renderers/pdf/parts/workers.py), and
each inherits its parent's memory. What the parent has not loaded, each part loads again:
the C declarations WeasyPrint hands cffi (parsed by pycparser, about 13 ms each) and the
hyphenation patterns of the book's language (pyphen, about 0.1 s for English). ``warm_up``
loads them in the parent, once per process.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyphen
from weasyprint.text.ffi import ffi

# Every declaration a layout and a tagged PDF write of a book ask cffi for, with the
# subset-arrays fix installed (tests/test_weasyprint_compat.py checks the list is whole).
DECLARATIONS = (
    "FcChar8 **",
    "FcConfig *",
    "PangoFcFontMap *",
    "PangoLogAttr[]",
    "PangoRectangle *",
    "char[4]",
    "char[]",
    "hb_codepoint_t[]",
    "hb_tag_t[100]",
    "unsigned int *",
)


def warm_up(languages: Iterable[str]) -> None:
    """Parse the declarations and load the hyphenation patterns of ``languages``."""
    for declaration in DECLARATIONS:
        ffi.typeof(declaration)
    for language in languages:
        if fallback := pyphen.language_fallback(language):
            pyphen.Pyphen(lang=fallback)  # pyphen keeps the patterns of every file it read
