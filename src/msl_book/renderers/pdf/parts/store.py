"""Laid-out parts kept on disk, so that a rebuild lays out only the parts an edit changed.

A part's PDF is a function of its HTML, the numbers it is laid out with (its first folio,
the page numbers of the anchors it links to in other parts: ``plan.Numbers``), the image
files it names (SVGs are in the HTML itself) and what every part shares (msl-book's code,
the libraries, the stylesheets and fonts, the page settings: the ``fingerprint``). The
store keeps, under a hash of these, the part's PDF and what its layout said (its pages,
where its anchors are, its fonts and diagnostics), and, under a hash of its HTML alone and
under its chapters' titles, its last page count and anchors, which the plan takes as its
guesses: an edit that changes no page count is then laid out once, with its real numbers,
and every other part comes from here.

Entries are JSON and PDF files only (nothing in a project's output directory is ever
executed). Each build records the entries it used; those that neither this build nor the
one before used are removed, so the store holds about two builds' parts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ....errors import Diagnostic, Severity
from ..pages import PageInfo
from .plan import Numbers

FORMAT = "1"
USED = "used.json"  # the entries of the last two builds


@dataclass
class Stored:
    """A part's layout with given numbers, as its worker reported it."""

    pages: list[PageInfo]
    anchors: dict[str, int]
    fonts: set[str]
    diagnostics: list[Diagnostic]


def _digest(*parts: str) -> str:
    digest = hashlib.sha256(FORMAT.encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:40]


def numbers_text(numbers: Numbers) -> str:
    return json.dumps([numbers.first, sorted(numbers.values.items())])


class PartStore:
    def __init__(self, directory: Path, fingerprint: str, images: dict[str, str], read: bool = True):
        self.directory = directory
        self.fingerprint = fingerprint
        self.images = images  # project-relative path -> digest of the file
        self.read = read  # False (build --force): only what this build put in is taken
        self.used: set[str] = set()
        self.written: set[str] = set()

    def _key(self, html: str, numbers: Numbers) -> str:
        shown = [f"{path}={digest}" for path, digest in sorted(self.images.items()) if path in html]
        return _digest(self.fingerprint, html, numbers_text(numbers), *shown)

    def _path(self, name: str, suffix: str) -> Path:
        return self.directory / f"{name}{suffix}"

    def _load(self, name: str) -> dict | None:
        if not self.read and name not in self.written:
            return None
        try:
            data = json.loads(self._path(name, ".json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        self.used.add(name)
        return data if isinstance(data, dict) else None

    def _save(self, name: str, data: dict) -> None:
        temporary = self._path(name, ".json.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(data, sort_keys=True), "utf-8")
            os.replace(temporary, self._path(name, ".json"))
        except OSError:  # a store that cannot be written (a full disk) only costs time
            temporary.unlink(missing_ok=True)
            return
        self.used.add(name)
        self.written.add(name)

    # what the plan guesses with

    def measured(self, html: str, chapters: tuple[str, ...]) -> tuple[int, dict[str, int]] | None:
        """The page count and anchors of the part with this HTML, or else of the part with
        these chapters in the last build."""
        for name in (_digest(self.fingerprint, "html", html), _digest(self.fingerprint, "titles", *chapters)):
            data = self._load(name)
            if data and isinstance(data.get("count"), int) and isinstance(data.get("anchors"), dict):
                return data["count"], data["anchors"]
        return None

    def measure(self, html: str, chapters: tuple[str, ...], count: int, anchors: dict[str, int]) -> None:
        data = {"count": count, "anchors": anchors}
        self._save(_digest(self.fingerprint, "html", html), data)
        self._save(_digest(self.fingerprint, "titles", *chapters), data)

    # laid-out parts

    def get(self, html: str, numbers: Numbers, target: Path) -> Stored | None:
        """The part laid out with these numbers, its PDF copied to ``target``; None if the
        store has not got it."""
        name = self._key(html, numbers)
        data = self._load(name)
        if data is None:
            return None
        try:
            _link(self._path(name, ".pdf"), target)
            pages = [PageInfo(**{**page, "anchors": tuple(page["anchors"])}) for page in data["pages"]]
            diagnostics = [
                Diagnostic(d["path"], d["line"], d["message"], Severity(d["severity"]))
                for d in data["diagnostics"]
            ]
            return Stored(pages, dict(data["anchors"]), set(data["fonts"]), diagnostics)
        except (OSError, KeyError, TypeError, ValueError):
            self.used.discard(name)
            return None

    def put(self, html: str, numbers: Numbers, file: Path, stored: Stored) -> None:
        name = self._key(html, numbers)
        temporary = self._path(name, ".pdf.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _link(file, temporary)
            os.replace(temporary, self._path(name, ".pdf"))
        except OSError:
            temporary.unlink(missing_ok=True)
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
            },
        )

    def prune(self) -> None:
        """Keep what this build and the one before used; remove the rest."""
        if not self.directory.is_dir():
            return
        record = self.directory / USED
        try:
            before = set(json.loads(record.read_text("utf-8")).get("current", []))
        except (OSError, ValueError, AttributeError):
            before = set()
        keep = self.used | before
        with contextlib.suppress(OSError):
            for path in self.directory.iterdir():
                if path.name != USED and path.name.split(".")[0] not in keep:
                    path.unlink(missing_ok=True)
            record.write_text(json.dumps({"current": sorted(self.used)}), "utf-8")


def _link(source: Path, target: Path) -> None:
    """``target`` as another name of ``source`` (no space taken: the store is in the output
    directory, beside the build's own files), or a copy where links are not possible."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
