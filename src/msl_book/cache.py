"""Skip work that need not be redone: a build whose inputs have not changed reuses its outputs.

After a successful build, the output directory gets ``.msl-book-cache.json``: for each set of
build options, the SHA-256 of every file the build read (book.yaml, chapters, images, cover,
templates, stylesheets, fonts), the listings of the directories whose new files would
matter (a new override template, a new chapter when book.yaml lists none), the code that
built it (msl-book's own source and the versions of the libraries that shape the output) and
the outputs' own hashes. The next build compares; if all match, it does no layout at all.
Any difference rebuilds everything: layout is the expensive step and cannot be split up.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

CACHE_NAME = ".msl-book-cache.json"
FORMAT = 1
LIBRARIES = (
    "weasyprint",
    "pydyf",
    "ebooklib",
    "markdown-it-py",
    "mdit-py-plugins",
    "jinja2",
    "lxml",
    "pillow",
)


@dataclass(frozen=True)
class CachedOutput:
    format: str
    name: str
    size: int
    pages: int | None
    edition: str | None
    sha256: str


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def code_fingerprint() -> str:
    """msl-book's own source plus the versions of the libraries that shape the outputs."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}==none".encode())
    return digest.hexdigest()


def options_key(options: dict[str, object]) -> str:
    """The build options and the environment that change the outputs."""
    return json.dumps({**options, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH")}, sort_keys=True)


def _listing(directory: Path) -> list[str]:
    if not directory.is_dir():
        return []
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def _load(out_dir: Path) -> dict:
    try:
        data = json.loads((out_dir / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == FORMAT else {}


def lookup(out_dir: Path, key: str) -> tuple[list[CachedOutput], list[str]] | None:
    """The outputs and warnings of the last build with these options, if nothing changed."""
    entry = _load(out_dir).get("builds", {}).get(key)
    if not entry or entry.get("code") != code_fingerprint():
        return None
    for name, digest in entry["inputs"].items():
        path = Path(name)
        if not path.is_file() or sha256(path) != digest:
            return None
    for directory, names in entry["listings"].items():
        if _listing(Path(directory)) != names:
            return None
    outputs = [CachedOutput(**o) for o in entry["outputs"]]
    for out in outputs:
        path = out_dir / out.name
        if not path.is_file() or sha256(path) != out.sha256:
            return None
    return outputs, entry.get("warnings", [])


def record(
    out_dir: Path,
    key: str,
    inputs: list[Path],
    listings: list[Path],
    outputs: list[CachedOutput],
    warnings: list[str],
) -> None:
    data = _load(out_dir) or {"format": FORMAT, "builds": {}}
    data["builds"][key] = {
        "code": code_fingerprint(),
        "inputs": {str(p): sha256(p) for p in sorted(set(inputs)) if p.is_file()},
        "listings": {str(d): _listing(d) for d in sorted(set(listings))},
        "outputs": [asdict(o) for o in outputs],
        "warnings": warnings,
    }
    tmp = out_dir / f"{CACHE_NAME}.tmp"
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, out_dir / CACHE_NAME)
