"""Speed: pydyf compresses every content and font stream at zlib's slowest level.

``pydyf.Stream.data`` makes its compressor with ``zlib.compressobj(level=9)``. On the
300-page benchmark book's 18.5 MB of streams that costs 1.30 s of processor time for
3.63 MB; zlib's default level, 6, takes 0.57 s for 3.70 MB (2 % more), and the PDF is as
deterministic. While the fix is installed, pydyf's ``zlib`` is zlib with ``compressobj``
making compressors at ``LEVEL``: the same streams, decompressed, compressed faster.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pydyf

from .patch import Patch

LEVEL = 6  # what the joined PDF's rewritten streams use too (renderers/pdf/parts/renumber.py)


class _Level:
    """``zlib``, but its compressors compress at ``LEVEL``."""

    def __init__(self, module: ModuleType):
        self._zlib = module

    def compressobj(self, level: int = LEVEL, *args: Any, **kwargs: Any) -> Any:
        return self._zlib.compressobj(LEVEL, *args, **kwargs)  # whatever level pydyf asks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._zlib, name)


PATCH = Patch(
    "stream-level",
    "every PDF stream is compressed at zlib level 9: twice level 6's time for 2 % less",
    "docs/upstream/pydyf-compression-level.md",
    ((pydyf, "zlib", _Level),),
)
