"""WeasyPrint 70.0 and pydyf 0.13 as msl-book needs them: the one place that patches them.

``patched()`` checks the installed versions and installs every fix for as long as a layout
or a PDF write runs, and nothing else: importing msl-book changes nothing in WeasyPrint.
Each fix is one module with a ``PATCH``; each has a reproducer test
(tests/test_weasyprint_compat.py) that shows the bug with the patch off and its absence with
it on, and an upstream report in docs/upstream/.

Upgrading WeasyPrint or pydyf is a checklist:
1. change the versions in pyproject.toml and ``REQUIRED`` below;
2. run tests/test_weasyprint_compat.py: a fix whose bug is gone upstream fails its
   ``upstream_bug`` test (the bug no longer reproduces): delete that fix, its module, its
   tests and its report;
3. for the fixes left, compare each replaced function with the new WeasyPrint's (the
   footnote-area and carried-footnotes fixes are copies of WeasyPrint functions, and the
   repagination loop in ``parts.py`` continues ``layout_document``'s);
4. run the whole suite (the parts hooks in ``parts.py`` rely on layout internals).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from importlib import metadata

from ..errors import Failure
from . import (
    carried_footnotes,
    dropped_tables,
    first_word,
    font_subsets,
    footnote_area,
    leaders,
    spaced_text,
    stream_level,
    struct_lang,
    subset_arrays,
    table_headers,
    tagged_write,
    target_counters,
)
from .patch import Patch

REQUIRED = {"weasyprint": "70.0", "pydyf": "0.13.0"}

FIXES: tuple[Patch, ...] = (
    footnote_area.PATCH,
    first_word.PATCH,
    target_counters.PATCH,
    tagged_write.PATCH,
    carried_footnotes.PATCH,
    font_subsets.PATCH,
    struct_lang.PATCH,
    table_headers.PATCH,
    spaced_text.PATCH,
    subset_arrays.PATCH,
    dropped_tables.PATCH,
    stream_level.PATCH,
    leaders.PATCH,
)

# The patches change WeasyPrint for the whole process: one layout or write at a time (the
# preview never lays out; two builds in threads of one process wait for each other).
_lock = threading.Lock()
_here = threading.local()  # set while this thread holds the patches: they do not nest


def check_versions() -> None:
    """Refuse to lay out with versions whose internals the fixes were not checked against."""
    for name, wanted in REQUIRED.items():
        found = metadata.version(name)
        if found != wanted:
            raise Failure(
                f"msl-book corrects {name} {wanted} in places and was not checked against {name} "
                f"{found}: install {name}=={wanted} (pip install '{name}=={wanted}')"
            )


@contextmanager
def patched(extra: Collection[Patch] = (), without: Collection[str] = ()) -> Iterator[None]:
    """Install every fix (except those named in ``without``, for tests), then ``extra``."""
    check_versions()
    unknown = set(without) - {fix.name for fix in FIXES}
    if unknown:
        raise ValueError(f"no such fix: {', '.join(sorted(unknown))}")
    if getattr(_here, "active", False):
        raise RuntimeError("WeasyPrint patches are installed already (patched() does not nest)")
    with _lock:
        _here.active = True
        undo: list = []
        try:
            for fix in [*(f for f in FIXES if f.name not in without), *extra]:
                fix.install(undo)
            yield
        finally:
            for owner, attribute, original in reversed(undo):
                setattr(owner, attribute, original)
            _here.active = False
