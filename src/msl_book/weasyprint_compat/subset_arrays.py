"""Fix: every font WeasyPrint subsets costs a C declaration parse (about 13 ms) per array.

WeasyPrint's HarfBuzz subsetter (``Font._harfbuzz_subset``) makes its glyph arrays with
``ffi.new(f"hb_codepoint_t[{n}]", values)``. cffi caches parsed declarations by their
text, so each new ``n`` is parsed again by pycparser: three parses per font, as each font's
glyph count differs. A book laid out in parts pays that in every part's process (0.15 to
0.25 s of a one-chapter part). While the fix is installed, the module's ``ffi`` makes such
an array from ``"hb_codepoint_t[]"`` and the values: the same array, one declaration.
"""

from __future__ import annotations

import re
from typing import Any

from weasyprint.pdf import fonts

from .patch import Patch

_SIZED = re.compile(r"(.+)\[(\d+)\]")


class _UnsizedArrays:
    """``ffi``, but an array sized by its own values is declared without its size."""

    def __init__(self, ffi: Any):
        self._ffi = ffi

    def new(self, cdecl: Any, init: Any = None) -> Any:
        if init is not None and isinstance(cdecl, str) and (sized := _SIZED.fullmatch(cdecl)):
            values = list(init)
            if len(values) == int(sized[2]):
                return self._ffi.new(f"{sized[1]}[]", values)
        return self._ffi.new(cdecl, init)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ffi, name)


PATCH = Patch(
    "subset-arrays",
    "subsetting a font parses a new C declaration for each glyph count (13 ms each)",
    "docs/upstream/subset-array-declarations.md",
    ((fonts, "ffi", _UnsizedArrays),),
)
