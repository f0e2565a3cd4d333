"""Skip work that need not be redone: a build whose inputs have not changed reuses its outputs.

After a successful build, the output directory gets ``.msl-book-cache.json``: for each set of
build options, the SHA-256 of every file the build read (book.yaml, chapters, images, cover,
templates, stylesheets, fonts), the listings of the directories whose new files would
matter (a new override template, a new chapter when book.yaml lists none), the code that
built it (msl-book's own source, the version of every library it depends on, directly or
not, and the system libraries WeasyPrint lays text out with) and the outputs' own hashes.
The next build compares; if all match, it does no layout at all. Any difference rebuilds
everything: layout is the expensive step and cannot be split up.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

CACHE_NAME = ".msl-book-cache.json"
FORMAT = 1
# The shared libraries WeasyPrint loads (text shaping, font subsetting, font lookup).
SYSTEM_LIBRARIES = ("pango-1.0", "pangoft2-1.0", "harfbuzz", "harfbuzz-subset", "fontconfig", "freetype")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r";.*\bextra\s*==")


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


MISSING = "missing"  # the digest of a file that is not there


@cache
def _file_digest(path: Path, size: int, mtime: int) -> str:
    return sha256(path)


def file_digest(path: Path) -> str:
    """A file's SHA-256 (MISSING if there is none), computed once per version of it in a
    process: a build hashes its fonts and styles for the part store, the build cache and
    every part's worker (which inherits what its parent computed), and a live process
    (build --watch) for every rebuild."""
    try:
        stat = path.stat()
    except OSError:
        return MISSING
    return _file_digest(path, stat.st_size, stat.st_mtime_ns)


def user_cache_dir() -> Path:
    """msl-book's directory in the user's cache ($XDG_CACHE_HOME, else ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "msl-book"


def _code_files() -> list[Path]:
    package = Path(__file__).parent
    code = [*package.rglob("*.py"), *package.rglob("*.lua"), *package.rglob("*.csl")]  # the styles it ships
    code += [*package.rglob("*.po"), *package.rglob("*.pot")]  # the built-in strings' catalogues
    return sorted(code)


def _installation_stamp(code: list[Path]) -> str:
    """What changes whenever the fingerprint may: the code files' sizes and times, the
    directories distributions are installed in (installing or removing one adds or removes a
    folder there) and the dynamic linker's cache. Cheap: no file is read."""
    digest = hashlib.sha256(f"{sys.version}\n{sys.executable}\n".encode())
    for path in code:
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    for entry in [*sys.path, "/etc/ld.so.cache"]:
        with contextlib.suppress(OSError):
            digest.update(f"{entry}:{os.stat(entry or '.').st_mtime_ns}\n".encode())
    return digest.hexdigest()


@cache
def code_fingerprint() -> str:
    """msl-book's own source (and the CSL styles it ships), the libraries it runs on, and the
    system's text libraries (``computed_fingerprint``). Reading every library's metadata takes
    a fresh process 0.3 s, most of a build that finds nothing changed, so the result is kept
    in the user's cache under a stamp of the installation, and computed again when it moves."""
    code = _code_files()
    stamp = _installation_stamp(code)
    memo = user_cache_dir() / "code-fingerprint.json"
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if saved["stamp"] == stamp and isinstance(saved["fingerprint"], str):
            return saved["fingerprint"]
    fingerprint = computed_fingerprint(code)
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"stamp": stamp, "fingerprint": fingerprint}), encoding="utf-8")
        tmp.replace(memo)
    return fingerprint


def computed_fingerprint(code: list[Path] | None = None) -> str:
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in code if code is not None else _code_files():
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for line in [*library_versions(), *system_libraries()]:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def library_versions(root: str = "msl-book") -> list[str]:
    """'name==version' of every installed distribution ``root`` needs, directly or not
    (optional extras left out): pikepdf, fontTools, pyphen, pydyf... all change the output."""
    found: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        if key in found:
            continue
        found[key] = dist.version
        for requirement in dist.requires or []:
            if _EXTRA.search(requirement):
                continue
            if m := _REQUIREMENT.match(requirement):
                todo.append(m[1])
    found.pop(re.sub(r"[-_.]+", "-", root).lower(), None)  # its source is hashed instead
    return sorted(f"{name}=={version}" for name, version in found.items())


def system_libraries() -> list[str]:
    """The files of the shared libraries WeasyPrint loads, as the dynamic linker finds them;
    their names carry their versions (libpango-1.0.so.0.5000.12)."""
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = set()
    for line in listing.splitlines():
        name, _, path = line.strip().partition(" => ")
        library = name.split(" ", 1)[0]
        if any(library.startswith(f"lib{lib}.so.") for lib in SYSTEM_LIBRARIES):
            found.add(f"{library}: {os.path.basename(os.path.realpath(path))}")
    return sorted(found)


ENVIRONMENT = ("SOURCE_DATE_EPOCH", "MSL_BOOK_PART_CHARS")  # variables that change the outputs


def options_key(project: Path, options: dict[str, object]) -> str:
    """The book, the build options and the environment that change the outputs."""
    environment = {name: os.environ.get(name) for name in ENVIRONMENT}
    return json.dumps({"project": str(project), **options, **environment}, sort_keys=True)


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
        if not path.is_file() or file_digest(path) != digest:
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
        "inputs": {str(p): file_digest(p) for p in sorted(set(inputs)) if p.is_file()},
        "listings": {str(d): _listing(d) for d in sorted(set(listings))},
        "outputs": [asdict(o) for o in outputs],
        "warnings": warnings,
    }
    tmp = out_dir / f"{CACHE_NAME}.tmp"
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, out_dir / CACHE_NAME)
    except OSError:  # the outputs are written: without the record, the next build redoes them
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
