"""msl-book: structured Markdown chapters in, a print-quality PDF and an accessible EPUB 3 out."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("msl-book")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
