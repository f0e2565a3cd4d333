"""msl-book import: an existing project as a book project.

Three kinds are recognised: an mdBook (``book.toml``, ``src/SUMMARY.md``), a Quarto book
(``_quarto.yml`` with ``book: chapters:``), or a plain folder of Markdown files. The
project's files are copied into the new project as they are laid out (so that relative
links and images keep working), the Markdown is converted where msl-book reads it
differently (``convert.py``), and ``book.yaml`` gets the metadata and the chapter order.
What could not be converted is reported as ``path:line: message``.
"""

from __future__ import annotations

import posixpath
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BookError, Diagnostic, Report
from ..loader import read_front_matter, split_front_matter
from ..model import slugify
from . import convert, mdbook, plain, quarto

# What each kind of project is called in messages.
KIND_NAMES = {"mdbook": "an mdBook", "quarto": "a Quarto book", "markdown": "a folder of Markdown"}

# Build outputs and tool state that are not the book's sources.
SKIPPED = {
    ".git",
    ".hg",
    ".svn",
    "book",
    "_book",
    "_site",
    "_freeze",
    ".quarto",
    "node_modules",
    "dist",
    ".venv",
}


@dataclass
class Source:
    """What a project says about itself."""

    kind: str  # mdbook | quarto | markdown
    root: Path  # the folder whose files are copied
    title: str
    authors: list[str]
    language: str = "en"
    chapters: list[tuple[str, str]] = field(default_factory=list)  # (path from root, role)
    subtitle: str | None = None
    date: str | None = None
    titles: dict[str, str] = field(default_factory=dict)  # chapter path -> its title in the table of contents
    echo: object = None  # the project's default for showing the code of executable cells
    bibliography: list[str] = field(default_factory=list)  # bibliography files, from the root
    csl: str | None = None  # a CSL style file, from the root


@dataclass(frozen=True)
class Imported:
    kind: str
    destination: Path
    chapters: int
    converted: list[str]  # what was changed, for the summary
    warnings: list[Diagnostic]


def import_project(path: Path, destination: Path | None = None) -> Imported:
    """Import the project at ``path`` into ``destination`` (default: ``<path>-book`` beside
    it). Raises BookError when the project cannot be read or the destination is taken."""
    path = path.resolve()
    if not path.is_dir():
        raise BookError([Diagnostic(str(path), 0, "not a folder: give the project's folder")])
    destination = (destination or path.with_name(f"{path.name}-book")).resolve()
    if destination.exists() and any(destination.iterdir()):
        raise BookError(
            [Diagnostic(str(destination), 0, "the destination is not empty: choose a new folder")]
        )
    report = Report()
    source = _recognise(path, report)
    report.raise_if_failed()
    _check_front_matter(source, report)
    report.raise_if_failed()
    if not source.chapters:
        raise BookError([Diagnostic(str(path), 0, "no Markdown chapters found")])
    _normalise(source)
    _copy(source.root, destination)
    ctx = convert.Context(
        source.kind,
        destination,
        {(destination / rel).resolve() for rel, _ in source.chapters},
        source.titles,
        source.echo,
        header=source.chapters[0][0] if source.kind == "markdown" else "",
    )
    files = [(rel, destination / rel) for rel, _role in source.chapters if (destination / rel).is_file()]
    texts = {rel: file.read_text(encoding="utf-8") for rel, file in files}
    if source.kind == "quarto":
        for rel, text in texts.items():
            convert.collect_outputs(text, rel, ctx)
    changes: dict[str, list[str]] = {}
    for rel, file in files:
        text, changes[rel] = convert.convert(texts[rel], rel, file, ctx, report)
        file.write_text(text, encoding="utf-8")
    _write_book_yaml(destination, source)
    for rel, change in convert.unique_ids(destination, [rel for rel, _ in files]):
        changes[rel].append(change)
    converted = [f"{rel}: {c}" for rel, cs in changes.items() for c in cs]
    return Imported(source.kind, destination, len(source.chapters), converted, report.warnings)


def _check_front_matter(source: Source, report: Report) -> None:
    """Every chapter's front matter can be read: what the importer moves from it (the title,
    authors, bibliography) would otherwise be lost without a word."""
    for rel, _role in source.chapters:
        file = source.root / rel
        if not file.is_file():
            continue
        yaml_text, _body, body_line = split_front_matter(file.read_text(encoding="utf-8"))
        read_front_matter(yaml_text, body_line, rel, report)


def _normalise(source: Source) -> None:
    """Chapter paths as book.yaml has them: relative, with '/', no './' or 'x/../'."""

    def normal(rel: str) -> str:
        return posixpath.normpath(rel.replace("\\", "/")).lstrip("/")

    source.chapters = [(normal(rel), role) for rel, role in source.chapters]
    source.titles = {normal(rel): title for rel, title in source.titles.items()}


def _recognise(path: Path, report: Report) -> Source:
    if (path / "book.toml").is_file():
        return mdbook.read(path, report)
    if (path / "_quarto.yml").is_file() or (path / "_quarto.yaml").is_file():
        return quarto.read(path, report)
    return plain.read(path, report)


def _copy(root: Path, destination: Path) -> None:
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIPPED or (n.startswith(".") and n not in (".gitignore",))}

    shutil.copytree(root, destination, ignore=ignore, dirs_exist_ok=True)


def _yaml(value: str) -> str:
    return convert.quote(value)


def _write_book_yaml(destination: Path, source: Source) -> None:
    lines = [
        f"# Imported by msl-book from {KIND_NAMES[source.kind]}; see msl-book's README for the keys.",
        f"title: {_yaml(source.title)}",
    ]
    if source.subtitle:
        lines.append(f"subtitle: {_yaml(source.subtitle)}")
    lines.append("authors:")
    lines += [f"  - {_yaml(a)}" for a in source.authors or ["Author"]]
    lines.append(f"language: {source.language}")
    if source.date and len(source.date) == 10 and source.date[4] == "-":
        lines.append(f"date: {source.date}")
    lines.append(f"output: {slugify(source.title)}")
    if source.bibliography:  # Quarto lists the references once, at the back of the book
        lines.append("bibliography:")
        lines += [f"  - {_yaml(rel)}" for rel in source.bibliography]
        lines.append("references: book")
        if source.csl:
            lines.append(f"csl: {_yaml(source.csl)}")
    lines.append("chapters:")
    lines += [f"  - {_yaml(rel)}" for rel, _ in source.chapters]
    (destination / "book.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for rel, role in source.chapters:
        if role != "chapter":
            convert.set_role(destination / rel, role)
