"""The roster: one row per trainee, read and checked before anything is written.

Every problem is a Diagnostic at ``roster.csv:LINE`` (the line of the file the row starts
on, so a spreadsheet user finds it), and all of them are reported together.
"""

from __future__ import annotations

import csv
import io
import re
import string
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Report

REQUIRED = ("name", "id")
KNOWN = ("name", "id", "cohort", "email")
# What a stamp may name besides the roster's columns.
BOOK_FIELDS = ("date", "copy_id", "title", "version", "document_code")
SEPARATOR = " · "

# control characters (invisible, undrawable), bidi overrides and isolates (which could make a
# name read as another) and what XML forbids (an EPUB copy would not parse)
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)
_UNSAFE = re.compile(r"[^\w.-]+")  # path separators, control characters, quotes, commas...
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts in the file
    cells: dict[str, str]

    @property
    def name(self) -> str:
        return self.cells["name"]

    @property
    def id(self) -> str:
        return self.cells["id"]

    @property
    def cohort(self) -> str:
        return self.cells.get("cohort", "")

    @property
    def email(self) -> str:
        return self.cells.get("email", "")


@dataclass
class Roster:
    path: str  # as shown in messages
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def read_roster(file: Path, shown: str, report: Report, password_column: str | None = None) -> Roster:
    """Read and check ``file``; problems go to ``report`` (the rows that have none are kept)."""
    roster = Roster(shown, [])
    try:
        data = file.read_bytes()
    except OSError as exc:
        report.error(f"cannot read the roster: {exc.strerror}", shown)
        return roster
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        report.error(
            f"the roster is not UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8 (CSV UTF-8 in Excel)",
            shown,
            line,
        )
        return roster
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        report.error(f"the roster is not valid CSV: {exc}", shown, reader.line_num or start)
        return roster
    records = [(n, c) for n, c in records if any(cell.strip() for cell in c)]
    if not records:
        report.error("the roster is empty: it needs a header line with name and id columns", shown)
        return roster
    header_line, header = records[0]
    columns = [h.strip().lower() for h in header]
    # the empty columns a spreadsheet writes after the last one (name,id,,): no column at all
    while (
        columns
        and not columns[-1]
        and all(len(c) < len(columns) or not c[len(columns) - 1].strip() for _, c in records[1:])
    ):
        columns.pop()
    roster.columns = columns
    ok = True
    for i, col in enumerate(columns):
        if not col:
            report.error(f"column {i + 1} of the header has no name", shown, header_line)
            ok = False
        elif columns.index(col) != i:
            report.error(f"the header has two {col!r} columns", shown, header_line)
            ok = False
    wanted = [*REQUIRED, *([password_column.strip().lower()] if password_column else [])]
    missing = [c for c in wanted if c not in columns]
    if missing:
        have = ", ".join(c for c in columns if c) or "none"
        names = " and ".join(repr(c) for c in missing)
        report.error(f"the header has no {names} column (its columns: {have})", shown, header_line)
        ok = False
    if not ok:
        return roster
    seen: dict[str, Row] = {}
    for line, cells in records[1:]:
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            report.error(f"the row has {len(cells)} cells but the header {len(columns)} columns", shown, line)
            continue
        values = {col: clean(cells[i].strip()) if i < len(cells) else "" for i, col in enumerate(columns)}
        row = Row(line, values)
        bad = False
        for col in REQUIRED:
            if not values[col]:
                report.error(f"the {col} is missing", shown, line)
                bad = True
        if password_column and not values[password_column.strip().lower()]:
            report.error(f"the password ({password_column} column) is missing", shown, line)
            bad = True
        if values["id"] and (first := seen.get(values["id"])):
            report.error(
                f"the id {values['id']!r} is also on line {first.line}: {first.name or '(no name)'} "
                f"and {values['name'] or '(no name)'} need ids of their own",
                shown,
                line,
            )
            bad = True
        if not bad:
            seen[values["id"]] = row
            roster.rows.append(row)
    if len(records) == 1:
        report.error("the roster has a header but no trainees", shown, header_line)
    return roster


def check_template(template: str, columns: list[str]) -> list[str]:
    """Problems with a stamp template: placeholders that name nothing, format specs."""
    known = dict.fromkeys([*KNOWN, *columns, *BOOK_FIELDS])
    problems = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return [f"stamp: {exc} (write {{{{ and }}}} for a brace)"]
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name == "" or not re.fullmatch(r"[\w\- ]+", name):
            problems.append(f"stamp: {{{name}}} is not a placeholder (write {{{{ and }}}} for a brace)")
        elif name.lower() not in known:
            from ..errors import did_you_mean

            problems.append(
                f"stamp: unknown placeholder {{{name}}}{did_you_mean(name.lower(), known)}; "
                f"it can name the roster's columns ({', '.join(c for c in columns if c)}) "
                f"and {', '.join(BOOK_FIELDS)}"
            )
        elif spec or conversion:
            problems.append(f"stamp: {{{name}}} takes no format (remove what follows {name})")
    return problems


def render_stamp(template: str, values: dict[str, str]) -> str:
    """The stamp with the row's values; a part between " · " whose placeholders are all
    empty is dropped, and so are brackets left empty."""
    parts = []
    for part in template.split(SEPARATOR):
        names = [n for _, n, _, _ in string.Formatter().parse(part) if n is not None]
        filled = {n: clean(values.get(n.lower(), "")) for n in names}
        if names and not any(filled.values()):
            continue
        text = "".join(
            literal + (filled[n] if n is not None else "")
            for literal, n, _, _ in string.Formatter().parse(part)
        )
        text = re.sub(r"\s*(\(\s*\)|\[\s*\])", "", text)
        parts.append(re.sub(r"\s{2,}", " ", text).strip())
    return SEPARATOR.join(p for p in parts if p)


def clean(value: str) -> str:
    """A cell as the stamp shows it: control characters (invisible, undrawable) removed."""
    return _CONTROL.sub(lambda m: " " if m[0] in "\t\n\r" else "", value)  # a tab is a space


def safe_file_name(text: str, limit: int = 60) -> str:
    """A file-name part from a name or id: letters, digits, ``.``, ``-`` and ``_`` only (no
    path separators, control characters, quotes), no leading dots, at most ``limit``
    characters."""
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE.sub("-", text)
    text = re.sub(r"\s+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-. ")
    text = text[:limit].rstrip("-. ")
    if not text or set(text) <= {"."}:
        text = "copy"
    return text


def is_reserved(stem: str) -> bool:
    """A name Windows keeps for a device (CON, NUL, COM1…), whatever the extension."""
    return bool(_RESERVED.match(stem))
