"""The book's bibliography files: where they are, what pandoc calls their formats, the line
each key is defined at, and their problems as ``path:line: message``.

pandoc reads every format itself (CSL-JSON, CSL-YAML, BibLaTeX/BibTeX, RIS). JSON and YAML
are parsed here first, because pandoc's messages for them name no line; pandoc's own
messages for BibTeX and RIS carry one, and are rewritten to say it the project's way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Report
from ..loader import read_text
from ..paths import is_inside, relative
from ..yamlsource import YamlProblem, parse_yaml

FORMATS = {
    ".json": "CSL-JSON",
    ".yaml": "CSL-YAML",
    ".yml": "CSL-YAML",
    ".bib": "BibLaTeX",
    ".bibtex": "BibTeX",
    ".ris": "RIS",
}
_KEY_LINES = {
    "CSL-JSON": re.compile(r'"id"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+))'),
    "CSL-YAML": re.compile(r"^[ \t-]*id:[ \t]*(?:\"([^\"]*)\"|'([^']*)'|([^\s#]+))", re.MULTILINE),
    "BibLaTeX": re.compile(
        r"@[ \t]*(?!string\b|comment\b|preamble\b)\w+[ \t]*[{(][ \t\n]*([^,\s]+)[ \t]*,", re.IGNORECASE
    ),
    "RIS": re.compile(r"^ID  - (.+?)[ \t]*$", re.MULTILINE),
}
_KEY_LINES["BibTeX"] = _KEY_LINES["BibLaTeX"]
_POSITION = re.compile(r"\(line (\d+), column (\d+)\):?\s*(.*)", re.DOTALL)


@dataclass
class BibFile:
    path: Path
    shown: str  # project-relative, for messages
    format: str
    text: str
    lines: dict[str, int] = field(default_factory=dict)  # key -> line of its first definition
    keys: list[str] = field(default_factory=list)  # as pandoc read them, in file order


def resolve(root: Path, names: list[str], lines: dict[tuple, int], report: Report) -> list[BibFile] | None:
    """The bibliography files of book.yaml; None when one cannot be used (reported)."""
    files: list[BibFile] = []
    ok = True
    for i, name in enumerate(names):
        line = lines.get(("bibliography", i)) or lines.get(("bibliography",))
        path = (root / name).resolve()
        fmt = FORMATS.get(path.suffix.lower())
        if not is_inside(path, root):
            report.error(f"bibliography file is outside the project directory: {name}", "book.yaml", line)
        elif not path.is_file():
            report.error(f"bibliography file not found: {name}", "book.yaml", line)
        elif fmt is None:
            kinds = ", ".join(sorted(FORMATS))
            report.error(f"bibliography file {name}: use one of {kinds}", "book.yaml", line)
        elif (text := read_text(path, relative(path, root), report)) is not None:
            bib = BibFile(path, relative(path, root), fmt, text)
            if _syntax_ok(bib, report):
                bib.lines = _key_lines(bib)
                files.append(bib)
                continue
        ok = False
    return files if ok else None


def _syntax_ok(bib: BibFile, report: Report) -> bool:
    if bib.format == "CSL-JSON":
        try:
            data = json.loads(bib.text)
        except json.JSONDecodeError as exc:
            report.error(f"not valid JSON: {exc.msg} (column {exc.colno})", bib.shown, exc.lineno)
            return False
        if not isinstance(data, list):
            report.error('CSL-JSON must be a list of entries ([{"id": …}, …])', bib.shown, 1)
            return False
    elif bib.format == "CSL-YAML":
        try:
            parse_yaml(bib.text)
        except YamlProblem as exc:
            report.error(exc.message, bib.shown, exc.line)
            return False
    return True


def _key_lines(bib: BibFile) -> dict[str, int]:
    found: dict[str, int] = {}
    for m in _KEY_LINES[bib.format].finditer(bib.text):
        key = next(g for g in m.groups() if g is not None)
        if bib.format == "CSL-JSON" and m[1] is not None:
            key = json.loads(f'"{key}"')
        found.setdefault(key, bib.text.count("\n", 0, m.start()) + 1)
    return found


def key_line(bib: BibFile, key: str, occurrence: int = 0) -> int | None:
    """The line of the ``occurrence``-th definition of ``key`` (0: the first)."""
    if occurrence == 0:
        return bib.lines.get(key)
    count = -1
    for m in _KEY_LINES[bib.format].finditer(bib.text):
        if next(g for g in m.groups() if g is not None) == key:
            count += 1
            if count == occurrence:
                return bib.text.count("\n", 0, m.start()) + 1
    return None


def pandoc_problem(bib: BibFile, message: str) -> tuple[int | None, str]:
    """pandoc's message about a file it could not read, as (line, message)."""
    text = message.split("\n", 1)[1] if message.startswith("Error reading bibliography file") else message
    text = text.removeprefix("Error at ").strip()
    line = None
    if m := _POSITION.match(text):
        line, text = int(m[1]), m[3]
        lines = text.split("\n")
        if len(lines) >= 2 and lines[-1].strip() == "^":  # the source line and a caret under it
            lines = lines[:-2]
        text = "; ".join(part.strip() for part in lines if part.strip())
    text = text.replace("'\\n'", "end of line").replace("\n", " ")
    hint = " (is an entry above it not closed?)" if bib.format in ("BibLaTeX", "BibTeX") else ""
    return line, f"cannot read this {bib.format} file: {text}{hint}"
