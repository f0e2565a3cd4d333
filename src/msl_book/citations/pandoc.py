"""One run of pandoc's citeproc for the whole book.

pandoc (from PyPI ``pypandoc-binary``) runs as a subprocess, as Quarto runs it: no network,
no user data directory. It gets a pandoc AST (JSON) holding only the book's citations as
``Cite`` elements, one paragraph each, in reading order, in one group per list of
references (a chapter, or the whole book); ``citeproc.lua`` reads the bibliography files
once and runs citeproc on each group as a document of its own. What comes back is each
citation as the style renders it, and each group's entries.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import Failure
from . import styles

FILTER = Path(__file__).parent / "citeproc.lua"
API_VERSION = [1, 23, 1]
MINIMUM = (3, 1)


@dataclass
class Group:
    """Citations that share one list of references, in reading order."""

    id: str
    lang: str
    citations: list[list[dict[str, str]]]  # each citation's items: key, prefix, suffix, mode
    nocite: list[str] = field(default_factory=list)  # keys, or ["*"]


@dataclass
class Rendered:
    inlines: list[dict[str, Any]]  # the citation as the style writes it
    space_before: bool  # False: the style removed the space before it (superscript numbers)


@dataclass
class Entry:
    key: str
    blocks: list[dict[str, Any]]


@dataclass
class GroupResult:
    citations: list[Rendered] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    hanging: bool = False  # the style asks for a hanging indent
    error: str | None = None


@dataclass
class FileResult:
    keys: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Result:
    files: dict[str, FileResult]  # by path, as given
    groups: dict[str, GroupResult]


@cache
def pandoc_path() -> Path | None:
    """pypandoc-binary's pandoc, else a pandoc 3.1 or later on PATH."""
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent / "files" / "pandoc"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return bundled
    found = shutil.which("pandoc")
    if found is None:
        return None
    try:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.match(r"pandoc\S* (\d+)\.(\d+)", out)
    return Path(found) if m and (int(m[1]), int(m[2])) >= MINIMUM else None


def _inlines(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, word in enumerate(text.split(" ")):
        if i:
            out.append({"t": "Space"})
        if word:
            out.append({"t": "Str", "c": word})
    return out


def _cite(items: list[dict[str, str]], number: int) -> dict[str, Any]:
    citations = [
        {
            "citationId": item["key"],
            "citationPrefix": _inlines(item["prefix"]),
            "citationSuffix": _inlines(item["suffix"]),
            "citationMode": {"t": item["mode"]},
            "citationNoteNum": number,
            "citationHash": 0,
        }
        for item in items
    ]
    return {"t": "Cite", "c": [citations, [{"t": "Str", "c": "?"}]]}


def document(files: list[Path], csl: Path, groups: list[Group]) -> dict[str, Any]:
    """The pandoc AST that ``citeproc.lua`` reads."""
    blocks = []
    for group in groups:
        paras = [
            {"t": "Para", "c": [{"t": "Str", "c": "x"}, {"t": "Space"}, _cite(items, n)]}
            for n, items in enumerate(group.citations, start=1)
        ]
        attrs = [["lang", group.lang], ["nocite", " ".join(group.nocite)]]
        blocks.append({"t": "Div", "c": [[group.id, [], attrs], paras]})
    meta = {
        "msl-files": {"t": "MetaList", "c": [{"t": "MetaString", "c": str(f)} for f in files]},
        "msl-csl": {"t": "MetaString", "c": str(csl)},
    }
    return {"pandoc-api-version": API_VERSION, "meta": meta, "blocks": blocks}


def run(files: list[Path], csl: Path, groups: list[Group], cwd: Path) -> Result:
    """Run pandoc once; raises Failure when it cannot run at all."""
    pandoc = pandoc_path()
    if pandoc is None:
        raise Failure(
            "citations need pandoc 3.1 or later (the PyPI package pypandoc-binary, a dependency "
            "of msl-book): reinstall msl-book"
        )
    with tempfile.TemporaryDirectory(prefix="msl-book-pandoc-") as data_dir:
        style = Path(data_dir) / "style.csl"
        style.write_bytes(styles.for_pandoc(csl))
        command = [
            str(pandoc),
            "--data-dir",
            data_dir,
            "-f",
            "json",
            "-t",
            "json",
            "--lua-filter",
            str(FILTER),
        ]
        try:
            proc = subprocess.run(
                command,
                input=json.dumps(document(files, style, groups)),
                capture_output=True,
                text=True,
                encoding="utf-8",
                cwd=cwd,
                check=False,
            )
        except OSError as exc:
            raise Failure(f"citations: cannot run pandoc ({pandoc}): {exc.strerror}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise Failure(f"citations: pandoc failed (exit status {proc.returncode}): {last}")
    return _read(json.loads(proc.stdout))


def _attrs(div: dict[str, Any]) -> tuple[str, list[str], dict[str, str]]:
    ident, classes, pairs = div["c"][0]
    return ident, classes, dict(pairs)


def _read(doc: dict[str, Any]) -> Result:
    files_div, *group_divs = doc["blocks"]
    files = {}
    for div in files_div["c"][1]:
        _, _, attrs = _attrs(div)
        ids = attrs.get("ids", "")
        files[attrs["path"]] = FileResult(ids.split("\n") if ids else [], attrs.get("error"))
    groups = {}
    for div in group_divs:
        ident, _, attrs = _attrs(div)
        result = GroupResult(error=attrs.get("error"))
        for block in div["c"][1]:
            if block["t"] == "Para":
                content = block["c"]
                cite = content[-1]
                result.citations.append(Rendered(cite["c"][1], len(content) > 2))
            elif block["t"] == "Div" and block["c"][0][0] == "refs":
                result.hanging = "hanging-indent" in block["c"][0][1]
                for entry in block["c"][1]:
                    entry_id = entry["c"][0][0]
                    result.entries.append(Entry(entry_id.removeprefix("ref-"), entry["c"][1]))
        groups[ident] = result
    return Result(files, groups)
