"""Laid-out parts kept on disk, so that a rebuild lays out only the parts an edit changed.

A part's PDF is a function of its HTML, the numbers it is laid out with (its first folio,
the page numbers of the anchors it links to in other parts: ``plan.Numbers``), the files
its layout loaded (images, fonts, whatever a stylesheet names: the fetcher records them and
their digests, and an entry is taken only while every one of them is unchanged) and what
every part shares (msl-book's code, the libraries, the stylesheets and fonts, the page
settings: the ``fingerprint``). The store keeps, under a hash of these, the part's PDF and
what its layout said (its pages, where its anchors are, its fonts and diagnostics), and,
under a hash of its HTML alone and under its chapters' titles, its last page count and
anchors, which the plan takes as its guesses: an edit that changes no page count is then
laid out once, with its real numbers, and every other part comes from here. Under a hash of
its HTML the store also keeps the numbers of its last rendering (``latest``; a book with an
index renders twice a build): those its entry was laid out with, and those it was given in
place (renumber).

The store is in the output directory, which a project may come with (a committed dist/):
entries are JSON and PDF files only, never executed; their names are keyed with a secret
of this user's (``secret()``, in the user's cache directory), so entries made elsewhere
never match; a store directory or entry that is a symbolic link is not used; and only
files named as entries are ever removed. Each build records the entries it used; those that
neither this build nor the one before used are removed, so the store holds about two
builds' parts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ....cache import file_digest, user_cache_dir
from ....errors import Diagnostic, Severity
from ..pages import PageInfo
from .plan import Numbers

FORMAT = "3"
USED = "used.json"  # the entries of the last two builds
ENTRY = re.compile(r"[0-9a-f]{40}\.(json|pdf)")


@dataclass
class Stored:
    """What a part's layout with given numbers gave, as its worker reported it (the runner's
    result of every part) and as the store keeps it."""

    pages: list[PageInfo] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)
    fonts: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # of the layout and its writing
    files: dict[str, str] = field(default_factory=dict)  # what its layout loaded -> SHA-256
    numbers: dict | None = None  # where its page numbers are drawn (renumber.as_data)


@cache
def secret() -> str:
    """This user's key for entry names, made once (``$XDG_CACHE_HOME/msl-book/store-key``);
    where it cannot be kept, one for this process only."""
    base = user_cache_dir()
    path = base / "store-key"
    try:
        text = path.read_text("ascii").strip()
        if re.fullmatch(r"[0-9a-f]{64}", text):
            return text
    except OSError:
        pass
    key = secrets.token_hex(32)
    try:
        base.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=base, prefix=".store-key-")
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        os.replace(temporary, path)
    except OSError:
        pass
    return key


def _digest(*parts: str) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{secret()}".encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:40]


def numbers_text(numbers: Numbers) -> str:
    return json.dumps([numbers.first, sorted(numbers.values.items())])


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(path.lstat().st_mode)
    except OSError:
        return False


class PartStore:
    def __init__(self, directory: Path, fingerprint: str, read: bool = True):
        self.directory = directory
        self.fingerprint = fingerprint
        self.read = read  # False (build --force): only what this build put in is taken
        self.used: set[str] = set()
        self.written: set[str] = set()

    def _usable(self) -> bool:
        """Not a store reached through a symbolic link (one a project came with could point
        anywhere): its output directory's own .msl-book-parts/NAME only."""
        return not any(_is_link(d) for d in (self.directory, self.directory.parent))

    def _key(self, html: str, numbers: Numbers) -> str:
        return _digest(self.fingerprint, html, numbers_text(numbers))

    def _path(self, name: str, suffix: str) -> Path:
        return self.directory / f"{name}{suffix}"

    def _load(self, name: str) -> dict | None:
        if not self.read and name not in self.written:
            return None
        path = self._path(name, ".json")
        if not self._usable() or _is_link(path):
            return None
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        self.used.add(name)
        return data if isinstance(data, dict) else None

    def _replace(self, name: str, suffix: str, write) -> bool:
        """Write an entry's file under a temporary name, then rename it into place."""
        temporary = None
        try:
            if not self._usable():
                return False
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            os.close(fd)
            write(Path(temporary))
            os.replace(temporary, self._path(name, suffix))
            return True
        except OSError:  # a store that cannot be written (a full disk) only costs time
            if temporary:
                Path(temporary).unlink(missing_ok=True)
            return False

    def _save(self, name: str, data: dict) -> None:
        text = json.dumps(data, sort_keys=True)
        if self._replace(name, ".json", lambda path: path.write_text(text, "utf-8")):
            self.used.add(name)
            self.written.add(name)

    # what the plan guesses with

    def _measure_names(self, html: str, chapters: tuple[str, ...]) -> tuple[str, str]:
        """The entries of a part's measurements: by its HTML, and by its chapters' titles."""
        return _digest(self.fingerprint, "html", html), _digest(self.fingerprint, "titles", *chapters)

    def measured(
        self, html: str, chapters: tuple[str, ...]
    ) -> tuple[int, dict[str, int], frozenset[str] | None] | None:
        """The page count and anchors of the part with this HTML, or else of the part with
        these chapters in the last build; and, for this very HTML only, the other parts'
        anchors whose numbers its pages show."""
        names = self._measure_names(html, chapters)
        for name in names:
            data = self._load(name)
            if data and isinstance(data.get("count"), int) and isinstance(data.get("anchors"), dict):
                shown = data.get("shown")
                exact = name == names[0] and isinstance(shown, list)
                return data["count"], data["anchors"], frozenset(map(str, shown)) if exact else None
        return None

    def measure(
        self, html: str, chapters: tuple[str, ...], count: int, anchors: dict[str, int], shown: list[str]
    ) -> None:
        data = {"count": count, "anchors": anchors, "shown": sorted(shown)}
        for name in self._measure_names(html, chapters):
            if self._load(name) != data:  # unchanged: not written again
                self._save(name, data)

    # laid-out parts

    def get(self, html: str, numbers: Numbers, target: Path) -> Stored | None:
        """The part laid out with these numbers, its PDF linked (or copied) to ``target``;
        None if the store has not got it, or a file its layout loaded has changed since."""
        name = self._key(html, numbers)
        data = self._load(name)
        if data is None:
            return None
        try:
            files = {str(path): str(digest) for path, digest in data["files"].items()}
            if any(file_digest(Path(path)) != digest for path, digest in files.items()):
                raise ValueError("changed")
            pdf = self._path(name, ".pdf")
            if _is_link(pdf):
                raise ValueError("a link")
            pages = [PageInfo(**{**page, "anchors": tuple(page["anchors"])}) for page in data["pages"]]
            diagnostics = [
                Diagnostic(d["path"], d["line"], d["message"], Severity(d["severity"]))
                for d in data["diagnostics"]
            ]
            numbers = data.get("numbers")
            stored = Stored(
                pages, dict(data["anchors"]), set(data["fonts"]), diagnostics, files,
                numbers if isinstance(numbers, dict) else None,
            )  # fmt: skip
            _link(pdf, target)
            return stored
        except (OSError, KeyError, TypeError, ValueError, AttributeError):
            self.used.discard(name)
            return None

    def put(self, html: str, numbers: Numbers, file: Path, stored: Stored) -> None:
        name = self._key(html, numbers)
        if not self._replace(name, ".pdf", lambda path: _link(file, path)):
            return
        self._save(
            name,
            {
                "pages": [dataclasses.asdict(page) for page in stored.pages],
                "anchors": stored.anchors,
                "fonts": sorted(stored.fonts),
                "diagnostics": [
                    {"path": d.path, "line": d.line, "message": d.message, "severity": d.severity.value}
                    for d in stored.diagnostics
                ],
                "files": stored.files,
                "numbers": stored.numbers,
            },
        )

    def _latest_name(self, html: str) -> str:
        return _digest(self.fingerprint, "latest", html)

    def latest(self, html: str) -> tuple[Numbers, Numbers] | None:
        """The last rendering's part with this HTML: the numbers its PDF (an entry) was laid
        out with, and those it was given, in place if they differ (renumber)."""
        data = self._load(self._latest_name(html))
        try:
            laid, given = (json.loads(data[key]) for key in ("laid", "given"))
            return tuple(
                Numbers(first, {str(k): int(v) for k, v in values}) for first, values in (laid, given)
            )
        except (TypeError, KeyError, ValueError):
            return None

    def settled(self, html: str, laid: Numbers, given: Numbers) -> None:
        data = {"laid": numbers_text(laid), "given": numbers_text(given)}
        name = self._latest_name(html)
        if self._load(name) != data:
            self._save(name, data)

    def prune(self) -> None:
        """Keep what this build and the one before used; remove the other entries (files
        named as entries, nothing else)."""
        if not self._usable() or not self.directory.is_dir():
            return
        record = self.directory / USED
        try:
            before = (
                set(json.loads(record.read_text("utf-8")).get("current", []))
                if not _is_link(record)
                else set()
            )
        except (OSError, ValueError, AttributeError, TypeError):
            before = set()
        keep = self.used | before
        try:
            for path in self.directory.iterdir():
                if ENTRY.fullmatch(path.name) and path.name.split(".")[0] not in keep:
                    path.unlink(missing_ok=True)
        except OSError:
            return
        text = json.dumps({"current": sorted(self.used)})
        self._replace("used", ".json", lambda path: path.write_text(text, "utf-8"))


def _link(source: Path, target: Path) -> None:
    """``target`` as another name of ``source`` (no space taken: the store is in the output
    directory, beside the build's own files), or a copy where links are not possible."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
