"""A Quarto book: ``_quarto.yml``'s ``book:`` gives the metadata and the chapters, parts
(``- part: … chapters: […]``) flattened in order, ``appendices:`` after them. ``index``
comes first, as a preface: Quarto uses it for the book's opening, unnumbered page. The
``bibliography`` and ``csl`` carry over (with ``references: book``, Quarto's one list at the
back), and Quarto's page that only holds the ``{#refs}`` div is left out: msl-book makes it."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import Report
from ..yamlsource import YamlProblem, parse_yaml
from . import convert


def names(value: object) -> list[str]:
    """Authors as pandoc and Quarto write them: a name, ``{name: …}``, or a list of either."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [str(v) for v in (value.get("name"),) if v]
    if isinstance(value, list):
        return [n for item in value for n in names(item)]
    return []


def read(path: Path, report: Report):
    from . import Source

    name = "_quarto.yml" if (path / "_quarto.yml").is_file() else "_quarto.yaml"
    try:
        data = parse_yaml((path / name).read_text(encoding="utf-8")).data or {}
    except (OSError, UnicodeDecodeError, YamlProblem) as exc:
        report.error(f"cannot read {name}: {exc}", name)
        return Source("quarto", path, path.name, [])
    book = data.get("book") if isinstance(data, dict) else None
    if not isinstance(book, dict):
        report.error("not a Quarto book: _quarto.yml has no 'book:' section", name)
        return Source("quarto", path, path.name, [])
    source = Source(
        "quarto",
        path,
        str(book.get("title") or path.name),
        names(book.get("author")),
        str(data.get("lang") or "en"),
        subtitle=str(book["subtitle"]) if book.get("subtitle") else None,
        date=str(book["date"]) if book.get("date") else None,
        echo=convert.read_echo(data),
    )

    def add(entries: object, role: str) -> None:
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and "chapters" in entry:
                if entry.get("part"):
                    report.warning(
                        f"part '{entry['part']}' is not kept (msl-book has no book parts yet): "
                        "its chapters follow in order",
                        name,
                    )
                add(entry["chapters"], role)  # a part: its chapters, in order
            elif isinstance(entry, str) and entry.endswith((".qmd", ".md")):
                if _refs_page(path / entry):
                    report.warning(
                        f"'{entry}' is Quarto's page for the references: left out, msl-book makes "
                        "the book's References chapter itself (references: book)",
                        name,
                    )
                    continue
                kind = "preface" if Path(entry).stem == "index" and role == "chapter" else role
                source.chapters.append((entry, kind))
            elif isinstance(entry, str):
                report.warning(f"'{entry}' is not a Markdown chapter (.qmd, .md) and is skipped", name)

    add(book.get("chapters"), "chapter")
    add(book.get("appendices"), "appendix")
    bibliography = data.get("bibliography") or book.get("bibliography")
    if isinstance(bibliography, str):
        bibliography = [bibliography]
    source.bibliography = [str(b) for b in bibliography or []]
    csl = data.get("csl") or book.get("csl")
    if isinstance(csl, str) and "://" in csl:
        report.warning(f"csl {csl} is a URL: copy the style into the project, set 'csl:' to its path", name)
    elif isinstance(csl, str):
        source.csl = csl
    return source


def _refs_page(path: Path) -> bool:
    """A page that holds nothing but a heading and pandoc's ``::: {#refs}`` div."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return refs_div_only(re.sub(r"(?s)^---\n.*?\n---\n", "", text).splitlines())


def refs_div_only(lines: list[str]) -> bool:
    """Besides headings, the lines are pandoc's ``::: {#refs}`` div and nothing else."""
    rest = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return (
        bool(rest)
        and re.fullmatch(r":::+\s*\{#refs[^}]*\}", rest[0]) is not None
        and all(re.fullmatch(r":::+", line) for line in rest[1:])
    )
