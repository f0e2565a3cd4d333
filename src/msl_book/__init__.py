"""msl-book: structured Markdown chapters in, a print-quality PDF and an accessible EPUB 3 out."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed distribution when first asked for: reading
    metadata costs a fresh process about 0.1 s, which a build with nothing to do would pay."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("msl-book")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
