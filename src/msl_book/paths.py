"""Where a book may read from: its own project directory and nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` (after resolving symlinks and '..') lies under ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def relative(path: Path, root: Path) -> str:
    """A project-relative POSIX path for messages (absolute if outside the project)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def is_remote(ref: str) -> bool:
    """A reference with a scheme or a network location (http:, //host, data:, file:)."""
    parts = urlsplit(ref)
    return bool(parts.scheme) or ref.startswith("//")


def resolve_reference(ref: str, base_dir: Path, root: Path) -> tuple[Path | None, str | None]:
    """Resolve a local file reference such as an image src against ``base_dir``.

    Returns (path, None) when it is a file inside the project, or (None, reason).
    """
    if is_remote(ref):
        return None, "only files inside the project can be used (no URLs)"
    target = unquote(urlsplit(ref).path)
    if not target:
        return None, "empty file reference"
    candidate = Path(os.path.normpath(base_dir / target))
    if not is_inside(candidate, root):
        return None, "file is outside the project directory"
    if not candidate.is_file():
        return None, "file not found"
    return candidate.resolve(), None
