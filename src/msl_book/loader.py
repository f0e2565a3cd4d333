"""Read book.yaml and the chapter files into a validated Book, collecting every problem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .doccontrol import check_config
from .errors import Report
from .model import Book, Chapter
from .paths import IMAGE_TYPES, is_inside, relative, resolve_reference
from .roles import Role
from .schema import ID_PATTERN, BookConfig, FrontMatter, validate
from .yamlsource import YamlDoc, YamlProblem, parse_yaml

CONFIG_NAME = "book.yaml"
_FENCE = re.compile(r"^(---|\.\.\.)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_text(path: Path, shown: str, report: Report) -> str | None:
    """Read a UTF-8 text file; report decoding problems with their line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.error(f"cannot read file: {exc.strerror}", shown)
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        report.error(f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})", shown, line)
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for match in _CONTROL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        report.error(f"control character U+{ord(match[0]):04X} is not allowed", shown, line)
        return None
    return text


def load_book(root: Path, report: Report, language: str | None = None) -> Book | None:
    """Load and validate a whole project. Returns None when book.yaml is unusable.

    ``language``: one of book.yaml's ``translations:``, whose chapters are the same files
    under ``chapters/<language>/``; by default the book in its own language."""
    root = root.resolve()
    config_file = root / CONFIG_NAME
    if not config_file.is_file():
        report.error(f"no {CONFIG_NAME} found in {root}", CONFIG_NAME)
        return None
    text = read_text(config_file, CONFIG_NAME, report)
    if text is None:
        return None
    try:
        doc = parse_yaml(text)
    except YamlProblem as exc:
        report.error(exc.message, CONFIG_NAME, exc.line)
        return None
    config = validate(BookConfig, doc, CONFIG_NAME, report)
    if config is not None:
        check_config(config, doc.line_of, report)  # document control: the keys agree
    valid = config is not None
    files = _chapter_files(root, config, doc, report)
    if language is not None and config is not None and language != config.language:
        if language not in config.translations:
            known = ", ".join([config.language, *config.translations])
            report.error(f"the book has no {language!r} edition (languages: {known})", CONFIG_NAME)
            return None
        config = config.edition(language)
        files = _translations(root, files, language, config, doc, report)
    chapters = [c for f in files if (c := load_chapter(root, f, report)) is not None]
    if config is None:
        # Keep going with what could be read, so the chapters' problems are reported in the
        # same run; the errors already reported stop the build before anything is written.
        config = BookConfig.model_construct(chapters=[relative(f, root) for f in files])
        valid = False
    _check_cover(root, config, doc, report)
    _check_structure(chapters, report)
    return Book(
        root=root,
        config=config,
        chapters=tuple(chapters),
        complete=len(chapters) == (len(config.chapters) if config.chapters is not None else len(files)),
        config_lines=doc.lines,
        config_valid=valid,
    )


def translation_file(root: Path, file: Path, language: str) -> Path:
    """chapters/x.md -> chapters/<language>/x.md (a file outside chapters/: <language>/...)."""
    rel = file.relative_to(root).parts
    if rel[0] == "chapters" and len(rel) > 1:
        return root.joinpath("chapters", language, *rel[1:])
    return root.joinpath(language, *rel)


def _translations(
    root: Path, files: list[Path], language: str, config: BookConfig, doc: YamlDoc, report: Report
) -> list[Path]:
    """The translation's chapter files; a missing one is reported at its source's entry."""
    found = []
    for i, file in enumerate(files):
        translated = translation_file(root, file, language)
        if translated.is_file():
            found.append(translated)
            continue
        line = doc.line_of(("chapters", i)) if config.chapters is not None else None
        report.error(
            f"{relative(translated, root)} not found: the {language!r} translation of {relative(file, root)}",
            CONFIG_NAME,
            line,
        )
    return found


def _chapter_files(root: Path, config: BookConfig | None, doc: YamlDoc, report: Report) -> list[Path]:
    listed = (doc.data or {}).get("chapters") if isinstance(doc.data, dict) else None
    if config is None and not isinstance(listed, list):
        return []
    if config is not None and config.chapters is None:
        found = sorted((root / "chapters").glob("*.md"))
        if not found:
            report.error("no chapters: list them under 'chapters' or add chapters/*.md", CONFIG_NAME)
        return found
    files: list[Path] = []
    seen: set[Path] = set()
    for i, entry in enumerate(listed or []):
        line = doc.line_of(("chapters", i))
        if not isinstance(entry, str) or not entry:
            continue
        path = (root / entry).resolve()
        if not is_inside(path, root):
            report.error(f"chapter file is outside the project directory: {entry}", CONFIG_NAME, line)
        elif not path.is_file():
            report.error(f"chapter file not found: {entry}", CONFIG_NAME, line)
        elif path in seen:
            report.error(f"chapter listed twice: {entry}", CONFIG_NAME, line)
        else:
            seen.add(path)
            files.append(path)
    # a file an author added under chapters/ but not to the list would silently be left out
    for path in sorted((root / "chapters").glob("*.md")) if isinstance(listed, list) else []:
        if path.resolve() not in seen and path.is_file():
            report.warning(
                "not part of the book: book.yaml's 'chapters' does not list this file "
                "(add it there, or `msl-book new` adds a chapter for you)",
                relative(path, root),
            )
    return files


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Return (yaml, body, body_line).

    yaml is None when the file does not start with front matter; body_line is 0 when the
    front matter is never closed.
    """
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if _FENCE.match(lines[i]):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return "\n".join(lines[1:]), "", 0


_ATX_TITLE = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$")
_TITLE_ATTRS = re.compile(r"\s+\{([^{}]*)\}\s*$")
_TITLE_ID = re.compile(r"(?:^|\s)#([A-Za-z][\w.:-]*)")


@dataclass
class ImplicitTitle:
    """A chapter's title found in its body, and the body without it."""

    title: str
    id: str | None
    body: str
    body_line: int
    authors: list[str] = field(default_factory=list)
    date: str | None = None


def implicit_title(body: str, body_line: int, pandoc_block: bool) -> ImplicitTitle | None:
    """A title where pandoc, mdBook and Quarto files put it: a pandoc title block
    (``% Title``, ``% Author; Author``, ``% Date``, first in a file without front matter) or
    the first heading, if it is a level-1 heading (``# Title {#id}`` or a Setext ``===``
    underline)."""
    lines = body.split("\n")
    first = 0
    while first < len(lines) and (not lines[first].strip() or re.fullmatch(r"\s*<!--.*-->\s*", lines[first])):
        first += 1
    if first >= len(lines):
        return None
    line = lines[first]
    if pandoc_block and first == 0 and line.startswith("%"):
        fields: list[str] = []
        end = 0
        while end < len(lines) and (lines[end].startswith("%") or (fields and lines[end].startswith(" "))):
            if lines[end].startswith("%"):
                fields.append(lines[end][1:].strip())
            else:  # a continuation line
                fields[-1] += ("; " if len(fields) == 2 else " ") + lines[end].strip()
            end += 1
        fields += ["", ""]
        if not fields[0]:
            return None
        authors = [a.strip() for a in fields[1].split(";") if a.strip()]
        return ImplicitTitle(
            fields[0], None, "\n".join(lines[end:]), body_line + end, authors, fields[2] or None
        )
    if m := _ATX_TITLE.match(line):
        text, ident = _title_and_id(m[1])
        return ImplicitTitle(text, ident, "\n".join(lines[first + 1 :]), body_line + first + 1)
    if first + 1 < len(lines) and re.fullmatch(r"=+\s*", lines[first + 1]) and line.strip():
        text, ident = _title_and_id(line)  # pandoc takes {#id .class} on a Setext heading too
        return ImplicitTitle(text, ident, "\n".join(lines[first + 2 :]), body_line + first + 2)
    return None


def _title_and_id(text: str) -> tuple[str, str | None]:
    """A title heading's text without its ``{#id .class}``, and the id."""
    ident = None
    if a := _TITLE_ATTRS.search(text):
        text = text[: a.start()]
        ident = i[1] if (i := _TITLE_ID.search(a[1])) else None
    return text.strip(), ident


INDEX_STEMS = {"index", "readme", "_index"}


def default_id(path: Path, root: Path | None = None) -> str:
    """'01-introduction.md' -> 'introduction'; 'cli/README.md' (or 'cli/index.qmd', a folder's
    page in mdBook, Quarto and Hugo) -> 'cli', unless the folder is the project (``root``):
    the project's own folder name is not part of the book."""
    folder = path.parent
    if (
        path.stem.lower() in INDEX_STEMS
        and folder.name
        and (root is None or folder.resolve() != root.resolve())
    ):
        name = folder.name
    else:
        name = path.stem
    stem = re.sub(r"^[\d_.\- ]+", "", name) or name
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-").lower()
    return slug if slug and slug[0].isalpha() else f"ch-{slug}"


def read_front_matter(yaml_text: str | None, body_line: int, shown: str, report: Report) -> YamlDoc | None:
    """A chapter's front matter parsed (empty when it has none, ``split_front_matter``'s
    parts); None, reported, when it is not closed or not YAML."""
    if yaml_text is not None and body_line == 0:
        report.error("front matter is not closed: add a '---' line after it", shown, 1)
        return None
    try:
        return parse_yaml(yaml_text or "", line_offset=1)
    except YamlProblem as exc:
        report.error(exc.message, shown, exc.line)
        return None


def load_chapter(root: Path, file: Path, report: Report) -> Chapter | None:
    shown = relative(file, root)
    text = read_text(file, shown, report)
    if text is None:
        return None
    yaml_text, body, body_line = split_front_matter(text)
    doc = read_front_matter(yaml_text, body_line, shown, report)
    unreadable = doc is None
    if doc is None:
        if body_line == 0:
            return None
        # the body is still checked in this run (its links, images, citations), as the
        # chapter it would be without its front matter; the build stops anyway
        doc = YamlDoc(data=_unreadable_front_matter(yaml_text or ""), first_line=2)
        meta = FrontMatter.model_validate(doc.data)
    else:
        _pandoc_options(doc, shown, report)
        meta = validate(FrontMatter, doc, shown, report)
        if meta is None and (meta := _without_bad_keys(doc, file.stem)) is None:
            return None
    if meta.title is None:
        found = implicit_title(body, body_line, pandoc_block=yaml_text is None)
        if found is None and unreadable:  # its title may be in the front matter, reported
            found = ImplicitTitle(file.stem, None, body, body_line)
        if found is None:
            report.error(
                "the chapter has no title: start the file with '# Title' (or front matter: "
                "'---', a 'title:' line and '---')",
                shown,
                1,
            )
            return None
        body, body_line = found.body, found.body_line
        update: dict[str, object] = {"title": found.title, "id": meta.id or found.id}
        if found.authors:
            update["author"] = found.authors
        if found.date:
            update["date"] = found.date
        meta = meta.model_copy(update=update)
    if meta.terms and meta.role is not Role.GLOSSARY:
        report.error(
            "'terms' is only allowed in a chapter with 'role: glossary'", shown, doc.line_of(("terms",))
        )
    return Chapter(
        path=shown,
        file=file,
        meta=meta,
        id=meta.id or default_id(file, root),
        body=body,
        body_line=body_line,
        meta_lines=doc.lines,
    )


# Keys of a pandoc document header that set pandoc's own output (its LaTeX or HTML
# templates): the theme does that here, so a file written for pandoc loads with a warning.
PANDOC_OPTIONS = frozenset(
    [
        "toc",
        "toc-depth",
        "toc-title",
        "lof",
        "lot",
        "numbersections",
        "number-sections",
        "secnumdepth",
        "geometry",
        "papersize",
        "documentclass",
        "classoption",
        "fontsize",
        "mainfont",
        "sansfont",
        "monofont",
        "mathfont",
        "fontfamily",
        "linestretch",
        "margin-left",
        "margin-right",
        "margin-top",
        "margin-bottom",
        "colorlinks",
        "linkcolor",
        "urlcolor",
        "citecolor",
        "link-citations",
        "link-bibliography",
        "header-includes",
        "include-before",
        "include-after",
        "output",
        "reference-section-title",
        "suppress-bibliography",
        "abstract-title",
        "indent",
        "pagestyle",
    ]
)
BOOK_LEVEL = {"bibliography": "bibliography: [refs.bib]", "csl": "csl: styles/ama.csl"}


def _pandoc_options(doc: YamlDoc, shown: str, report: Report) -> None:
    """pandoc's output options are ignored with a warning; a bibliography or a CSL style in
    a chapter is an error that says where it goes."""
    if not isinstance(doc.data, dict):
        return
    for key in [k for k in doc.data if k in PANDOC_OPTIONS or k in BOOK_LEVEL]:
        if key in BOOK_LEVEL:
            message = f"'{key}' belongs in book.yaml, for the whole book ({BOOK_LEVEL[key]})"
            report.error(message, shown, doc.line_of((key,)))
        else:
            message = (
                f"'{key}' is one of pandoc's output options; the theme decides that here, so it is ignored"
            )
            report.warning(message, shown, doc.line_of((key,)))
        del doc.data[key]


_ID_LINE = re.compile(r"^id:[ \t]*['\"]?([A-Za-z][\w.:-]*)['\"]?[ \t]*$", re.MULTILINE)


def _unreadable_front_matter(yaml_text: str) -> dict[str, str]:
    """What can be told of front matter that is not YAML: its id, if a line gives one plainly,
    lest links to the chapter be reported as broken too. The title is the body's first
    heading, as in a chapter without front matter (else the file's name): the heading is not
    then also a level-1 heading of the body, and its id not a duplicate of the chapter's."""
    data: dict[str, str] = {}
    if (found := _ID_LINE.search(yaml_text)) and re.fullmatch(ID_PATTERN, found.group(1)):
        data["id"] = found.group(1)
    return data


def _without_bad_keys(doc: YamlDoc, stem: str) -> FrontMatter | None:
    """The front matter without the keys whose problems were reported, so that the rest of
    the chapter (its body, its links) is checked in the same run; the build stops anyway. A
    bad title is replaced by the file's name, lest its absence be reported too."""
    data = dict(doc.data) if isinstance(doc.data, dict) else None
    if data is None:
        return None
    try:
        FrontMatter.model_validate(data)
    except ValidationError as exc:
        bad = {err["loc"][0] for err in exc.errors() if err["loc"]}
        if "role" in bad:
            bad.add("terms")  # a glossary's terms in a chapter whose role was wrong: one error
        data = {k: v for k, v in data.items() if k not in bad}
        if "title" in bad:
            data["title"] = stem
    try:
        return FrontMatter.model_validate(data)
    except ValidationError:
        return None


def _check_cover(root: Path, config: BookConfig, doc: YamlDoc, report: Report) -> None:
    if not config.cover:
        return
    line = doc.line_of(("cover",))
    path, problem = resolve_reference(config.cover, root, root)
    if problem:
        report.error(f"cover image {config.cover}: {problem}", CONFIG_NAME, line)
    elif path is not None and path.suffix.lower() not in IMAGE_TYPES:
        report.error(f"cover image must be PNG, JPEG, GIF, WebP or SVG: {config.cover}", CONFIG_NAME, line)


def _check_structure(chapters: list[Chapter], report: Report) -> None:
    rank = 0
    glossaries = 0
    for ch in chapters:
        line = ch.meta_lines.get(("role",), 2)
        this = ch.role.matter
        if this < rank:
            report.error(
                f"a {ch.role} cannot come after chapters or appendices (check the chapter order)",
                ch.path,
                line,
            )
        rank = max(rank, this)
        if ch.role is Role.GLOSSARY:
            glossaries += 1
            if glossaries > 1:
                report.error("only one chapter can have 'role: glossary'", ch.path, line)
