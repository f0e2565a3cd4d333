"""The media types of the files a publication is made of (EPUB manifest, preview server)."""

from __future__ import annotations

import mimetypes
import posixpath

from .paths import IMAGE_TYPES

MEDIA_TYPES = {
    ".xhtml": "application/xhtml+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    **IMAGE_TYPES,
}


def media_type(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower()
    return MEDIA_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
