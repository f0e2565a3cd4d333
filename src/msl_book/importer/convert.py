"""The Markdown conversions an import makes, each reported; what cannot be converted is a
warning at its line.

- mdBook: ``{{#include file}}`` (with ``:from:to`` lines or an ``ANCHOR`` name) and
  ``{{#rustdoc_include}}`` / ``{{#playground}}`` are replaced by the file's text;
  ``{{#title}}`` is dropped.
- Quarto: executable cells (```` ```{python} ````) become code (msl-book runs no code),
  their ``#|`` options dropped; cross-references ``@fig-x`` become ``[](#fig-x)``;
  shortcodes (``{{< … >}}``) are dropped; front-matter keys that are Quarto's, not the
  book's (format, execute, jupyter…), are dropped.
Quarto callouts (``::: {.callout-note}``) need no conversion: msl-book reads them.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import Report
from ..loader import split_front_matter
from ..paths import is_inside
from ..yamlsource import YamlProblem, parse_yaml

_INCLUDE = re.compile(r"\{\{#(include|rustdoc_include|playground)\s+([^}\s]+)\s*\}\}")
_TITLE = re.compile(r"\{\{#title\s+[^}]*\}\}")
_CELL = re.compile(r"^(\s*)(`{3,})\{([A-Za-z][\w-]*)[^}]*\}\s*$")
_CELL_OPTION = re.compile(r"^\s*#\|")
_XREF = re.compile(r"(?<![\w@.\[])@((?:fig|tbl|eq|sec|lst|thm|lem|cor|def|exm|exr)-[\w-]+)")
_SHORTCODE = re.compile(r"\{\{<\s*[^>]*>\}\}")
BOOK_KEYS = {"title", "subtitle", "author", "date", "abstract", "keywords", "lang", "id", "role"}


def convert(text: str, rel: str, file: Path, root: Path, kind: str, report: Report) -> tuple[str, list[str]]:
    changes: list[str] = []
    if kind == "mdbook":
        text = _includes(text, rel, file, root, report, changes)
    if kind == "quarto":
        text = _front_matter(text, rel, report, changes)
        text = _quarto(text, rel, report, changes)
    return text, changes


def _includes(text: str, rel: str, file: Path, root: Path, report: Report, changes: list[str]) -> str:
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        if _TITLE.search(line):
            line = _TITLE.sub("", line)
            changes.append(f"line {number}: {{{{#title}}}} dropped")
        m = _INCLUDE.search(line)
        while m:
            included = _included(m[2], file, root, rel, number, report)
            if included is None:
                break
            line = line[: m.start()] + included + line[m.end() :]
            changes.append(f"line {number}: {{{{#{m[1]} {m[2]}}}}} replaced by the file's text")
            m = _INCLUDE.search(line, m.start() + len(included))
        out.append(line)
    return "\n".join(out)


def _included(spec: str, file: Path, root: Path, rel: str, number: int, report: Report) -> str | None:
    name, _, selector = spec.partition(":")
    target = (file.parent / name).resolve()
    if not is_inside(target, root) or not target.is_file():
        report.warning(
            f"{{{{#include {spec}}}}}: {name} is not a file of the project; left as it is", rel, number
        )
        return None
    lines = target.read_text(encoding="utf-8").rstrip("\n").split("\n")
    if not selector:
        return "\n".join(lines)
    if re.fullmatch(r"\d*(:\d*)?", selector):
        start, _, end = selector.partition(":")
        first = int(start) - 1 if start else 0
        last = int(end) if end else (len(lines) if ":" in selector else first + 1)
        return "\n".join(lines[first:last])
    inside, picked = False, []
    for line in lines:
        if re.search(rf"ANCHOR_END:\s*{re.escape(selector)}\b", line):
            inside = False
        elif re.search(rf"ANCHOR:\s*{re.escape(selector)}\b", line):
            inside = True
        elif inside and "ANCHOR" not in line:
            picked.append(line)
    if not picked:
        report.warning(
            f"{{{{#include {spec}}}}}: no anchor '{selector}' in {name}; left as it is", rel, number
        )
        return None
    return "\n".join(picked)


def _front_matter(text: str, rel: str, report: Report, changes: list[str]) -> str:
    yaml_text, body, _ = split_front_matter(text)
    if not yaml_text:
        return text
    try:
        data = parse_yaml(yaml_text).data
    except YamlProblem:
        return text
    if not isinstance(data, dict):
        return text
    dropped = sorted(k for k in data if k not in BOOK_KEYS)
    if not dropped:
        return text
    kept = [line for line in _top_level_blocks(yaml_text) if line[0] in BOOK_KEYS]
    changes.append(f"front matter: {', '.join(dropped)} dropped (Quarto's, not the book's)")
    return "---\n" + "".join(block for _, block in kept) + "---\n" + body


def _top_level_blocks(yaml_text: str) -> list[tuple[str, str]]:
    """(key, its lines) of each top-level key of a YAML mapping."""
    blocks: list[tuple[str, str]] = []
    for line in yaml_text.split("\n"):
        if line and not line[0].isspace() and ":" in line and not line.startswith("#"):
            blocks.append((line.split(":", 1)[0].strip(), line + "\n"))
        elif blocks:
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + line + "\n")
    return blocks


def _quarto(text: str, rel: str, report: Report, changes: list[str]) -> str:
    out: list[str] = []
    in_cell = False
    cells = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if m := _CELL.match(line):
            out.append(f"{m[1]}{m[2]}{m[3]}")
            in_cell, cells = True, cells + 1
            continue
        if in_cell and _CELL_OPTION.match(line):
            continue
        if in_cell and line.strip().startswith("```"):
            in_cell = False
        if _SHORTCODE.search(line):
            report.warning(
                f"Quarto shortcode {_SHORTCODE.search(line)[0]} is not supported: dropped", rel, number
            )
            line = _SHORTCODE.sub("", line)
        if not in_cell and _XREF.search(line):
            line = _XREF.sub(r"[](#\1)", line)
            changes.append(f"line {number}: Quarto cross-references written as [](#id)")
        out.append(line)
    if cells:
        changes.append(f"{cells} code cell{'s' if cells != 1 else ''} shown as code (msl-book runs no code)")
    return "\n".join(out)


def set_role(file: Path, role: str) -> None:
    """Give a chapter file a role in its front matter (adding front matter if it has none)."""
    text = file.read_text(encoding="utf-8")
    yaml_text, body, _ = split_front_matter(text)
    if yaml_text is None:
        file.write_text(f"---\nrole: {role}\n---\n{text}", encoding="utf-8")
    elif not re.search(r"^role:", yaml_text, re.MULTILINE):
        file.write_text(f"---\n{yaml_text}\nrole: {role}\n---\n{body}", encoding="utf-8")
