"""The URL fetcher WeasyPrint loads every resource through: project and theme files only."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ...cache import MISSING, file_digest
from ...paths import is_inside
from ...theme import Theme


class ProjectFetcher(URLFetcher):
    """Serves file: URLs under the allowed roots and data: URLs; refuses everything else.

    A style asset that a book's own styles/ lacks (say, fonts/X.ttf next to an overridden
    base.css) is served from the theme, like the stylesheets themselves.
    """

    def __init__(self, roots: list[Path], theme: Theme):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=1)
        self.roots = [r.resolve() for r in roots]
        self.theme = theme
        self.refused: list[str] = []
        self.served: dict[str, str] = {}  # every file asked for -> its SHA-256 ("missing")

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(parts.path))
            if any(is_inside(path, root) for root in self.roots):
                if not path.is_file() and (rel := self.theme.style_relpath(path)):
                    path = self.theme.style(rel) or path
                if path.is_file():
                    mime, _ = mimetypes.guess_type(path.name)
                    headers_out = {"Content-Type": mime} if mime else {}
                    self.served[str(path)] = file_digest(path)
                    return URLFetcherResponse(url, body=path.read_bytes(), headers=headers_out)
                self.served[str(path)] = MISSING
                raise FileNotFoundError(f"file not found: {path}")
        self.refused.append(url)
        raise ValueError(f"refused to load {url}: only files inside the project can be used")
