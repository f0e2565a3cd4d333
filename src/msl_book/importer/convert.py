"""The Markdown conversions an import makes, each reported (one line per file and kind of
change, with a count); what cannot be converted is a warning at its line.

- mdBook: ``{{#include file}}`` (with ``:from:to`` lines or an ``ANCHOR`` name) and
  ``{{#rustdoc_include}}`` are replaced by the file's text, ``{{#playground file.rs}}`` by a
  ```` ```rust ```` block of it (the hidden ``# `` lines of rustdoc_include and playground
  dropped, as mdBook hides them); ``{{#title}}`` is dropped; an escaped ``\\{{#…}}`` is
  written as text, without its backslash; links to ``other.html`` (``dir/index.html``) point
  at the chapter's ``.md`` file; a chapter without a title gets its SUMMARY.md title.
- Quarto: executable cells (```` ```{python} ````) become code (msl-book runs no code),
  their ``#|`` options dropped; cells Quarto hides (``echo: false``, ``include: false``) are
  dropped; cross-references ``@fig-x`` become ``[](#fig-x)``, or text (``**?@fig-x**``, as
  Quarto prints an unresolved one) when ``fig-x`` is a code cell's output; shortcodes
  (``{{< … >}}``) are dropped; front-matter keys that are Quarto's, not the book's (format,
  execute, jupyter…), are dropped.
- Any project: chapters whose ids (from their file names) collide get an ``id:`` from their
  folder.
Quarto callouts (``::: {.callout-note}``) need no conversion: msl-book reads them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import Report
from ..loader import default_id, implicit_title, split_front_matter
from ..model import slugify
from ..paths import is_inside
from ..schema import FrontMatter
from ..yamlsource import YamlProblem, parse_yaml
from .plain import REFERENCES_TITLES

# {{#name args}}, or \{{#name args}}: mdBook's escape for showing a directive as text.
_DIRECTIVE = re.compile(r"(\\?)\{\{\s*#([A-Za-z_][\w-]*)([^}]*)\}\}")
_INCLUDES = ("include", "rustdoc_include", "playground")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_CELL = re.compile(r"^(\s*)(`{3,})\{([A-Za-z][\w-]*)([^}]*)\}\s*$")
_CELL_OPTION = re.compile(r"^\s*#\|")
_OPTION = re.compile(r"^\s*#\|\s*([\w.-]+)\s*:\s*(.*?)\s*$")
_XREF = re.compile(r"(?<![\w@.\[])@((?:fig|tbl|eq|sec|lst|thm|lem|cor|def|exm|exr)-[\w-]+)")
_SHORTCODE = re.compile(r"\{\{<\s*[^>]*>\}\}")
# Link targets: [text](target), [name]: target, href="target".
_LINK_TARGETS = (
    re.compile(r"(\]\(\s*<?)([^\s()<>]+)"),
    re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*<?)([^\s<>]+)"),
    re.compile(r"""(\bhref\s*=\s*["'])([^"'\s]+)"""),
)
_HTML_LINK = ("link to an .html page", "links to .html pages")
_HIDDEN_LINE = ("hidden line (# …) of included Rust", "hidden lines (# …) of included Rust")
BOOK_KEYS = {"title", "subtitle", "author", "date", "abstract", "keywords", "lang", "id", "role"}
CHAPTER_KEYS = set(FrontMatter.model_fields)  # what a chapter's front matter may hold
_REFERENCES_HEADING = re.compile(  # with pandoc's ::: {#refs} div under it, or nothing
    rf"^#{{1,6}}[ \t]+({REFERENCES_TITLES})[ \t]*(\{{[^}}\n]*\}})?[ \t]*\n"
    r"(\s*:::+[ \t]*\{#refs[^}\n]*\}[ \t]*\n\s*:::+[ \t]*)?\s*\Z",
    re.MULTILINE,
)
OUTPUT_PREFIXES = ("fig-", "tbl-")  # labels of a cell's output that cross-references point at


@dataclass
class Context:
    """What the conversion of one chapter needs to know about the whole project."""

    kind: str  # mdbook | quarto | markdown
    root: Path  # the new project
    chapters: set[Path] = field(default_factory=set)  # the chapter files, resolved
    titles: dict[str, str] = field(default_factory=dict)  # chapter path -> its SUMMARY.md title
    echo: object = None  # _quarto.yml's execute: echo
    outputs: dict[str, tuple[str, int]] = field(default_factory=dict)  # cell label -> (path, line)
    referenced: set[str] = field(default_factory=set)  # the labels cross-references point at
    warned: set[str] = field(default_factory=set)
    header: str = ""  # a folder of pandoc files: the one whose YAML header is the book's


class Changes:
    """What was converted in one file: a count per kind of change."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, str], int] = {}

    def count(self, noun: str | tuple[str, str], rest: str, n: int = 1) -> None:
        one, many = noun if isinstance(noun, tuple) else (noun, noun + "s")
        key = (one, many, rest)
        self._counts[key] = self._counts.get(key, 0) + n

    def note(self, text: str) -> None:
        self._counts[(text, text, "")] = 0

    def lines(self) -> list[str]:
        out = []
        for (one, many, rest), n in self._counts.items():
            out.append(one if not n else f"{n} {one if n == 1 else many} {rest}")
        return out


def convert(text: str, rel: str, file: Path, ctx: Context, report: Report) -> tuple[str, list[str]]:
    changes = Changes()
    if ctx.kind == "mdbook":
        text = _directives(text, rel, file, ctx.root, report, changes)
        text = _html_links(text, file, ctx, changes)
        if rel in ctx.titles:
            text = _title_from_summary(text, ctx.titles[rel], changes)
    if ctx.kind == "quarto":
        text = _quarto(text, rel, ctx, report, changes)
        text = _front_matter(text, changes, BOOK_KEYS, "Quarto's, not the book's")
    if ctx.kind == "markdown":
        text = _pandoc(text, rel, ctx, report, changes)
    return text, changes.lines()


def _pandoc(text: str, rel: str, ctx: Context, report: Report, changes: Changes) -> str:
    """A pandoc file's front matter as a chapter's: the first file's document header moved
    to book.yaml (importer/plain.py; its title stays when the chapter has no heading of its
    own), a bibliography moved from any file, pandoc's output options dropped; and an empty
    closing References heading left out, the book's list of references being a section of
    its own."""
    from .plain import ISO_DATE, LIFTED, header

    data = header(text)
    if data is not None:
        yaml_text, body, body_line = split_front_matter(text)
        lifted = LIFTED if rel == ctx.header else {"bibliography", "csl"}
        if "title" in lifted and implicit_title(body, body_line, pandoc_block=False) is None:
            lifted = lifted - {"title"}  # the chapter's title too: it has no heading
        moved = sorted(k for k in data if k in lifted)
        kept = CHAPTER_KEYS - lifted
        dropped = sorted(k for k in data if k not in lifted and k not in kept)
        blocks = [block for key, block in _top_level_blocks(yaml_text or "") if key in kept]
        text = ("---\n" + "".join(blocks) + "---\n" if blocks else "") + body
        if (
            isinstance(date := data.get("date"), str)
            and "date" in moved
            and not ISO_DATE.fullmatch(date.strip())
        ):
            moved.remove("date")
            changes.note(f"front matter: date {date!r} left out (book.yaml takes a YYYY-MM-DD date)")
        if moved:
            changes.note(f"front matter moved to book.yaml: {', '.join(moved)}")
        if "references" in dropped:
            dropped.remove("references")
            report.warning(
                "front matter: 'references' (entries written in the file) is not read: put them in "
                "a .bib or CSL JSON file and list it under 'bibliography:' in book.yaml",
                rel,
            )
        _say_dropped(dropped, changes)
    else:
        text = _front_matter(text, changes, CHAPTER_KEYS, "pandoc's output options")
    if m := _REFERENCES_HEADING.search(text):
        text = text[: m.start()].rstrip("\n") + "\n"
        changes.note("the empty References heading at the end dropped (the book lists them)")
    return text


def _code_lines(lines: list[str]) -> list[bool]:
    """For each line: is it in a fenced code block (its fences included)?"""
    flags, fence = [], None
    for line in lines:
        m = _FENCE.match(line)
        if fence is None:
            if m and not (m[2][0] == "`" and "`" in m[3]):
                fence = m[2]
                flags.append(True)
                continue
            flags.append(False)
        else:
            flags.append(True)
            if m and m[2][0] == fence[0] and len(m[2]) >= len(fence) and not m[3].strip():
                fence = None
    return flags


def _in_spans(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


# mdBook ---------------------------------------------------------------------------------


def _directives(text: str, rel: str, file: Path, root: Path, report: Report, changes: Changes) -> str:
    lines = text.split("\n")
    out = []
    for number, (line, in_code) in enumerate(zip(lines, _code_lines(lines), strict=True), start=1):
        spans = [] if in_code else [m.span() for m in _CODE_SPAN.finditer(line)]
        pieces, last = [], 0
        for m in _DIRECTIVE.finditer(line):
            if m[1]:  # \{{#…}}: mdBook shows it as it is, without the backslash
                pieces += [line[last : m.start()], m[0][1:]]
                last = m.end()
                changes.count("escaped \\{{#…}} directive", "written as text, without the backslash")
                continue
            name, args = m[2], m[3].split()
            if _in_spans(m.start(), spans) or (name not in _INCLUDES and name != "title"):
                continue  # in inline code, or another preprocessor's: left as it is
            if name == "title":
                pieces.append(line[last : m.start()])
                last = m.end()
                changes.count("{{#title}} directive", "dropped")
                continue
            if not args:
                continue
            included = _included(name, args[0], file, root, rel, number, report)
            if included is None:
                continue
            if name in ("rustdoc_include", "playground"):
                included, hidden = _without_hidden_lines(included)
                if hidden:
                    changes.count(_HIDDEN_LINE, "dropped (mdBook hides them)", hidden)
            if name == "playground":
                alone = not line[: m.start()].strip()
                indent = line[: len(line) - len(line.lstrip())] if alone else ""
                after = "\n" + indent if line[m.end() :].strip() else ""
                pieces.append("" if alone else line[last : m.start()].rstrip() + "\n")
                pieces.append(_rust_block(included, indent) + after)
                changes.count("{{#playground}} directive", "replaced by a ```rust block of the file's text")
            else:
                pieces += [line[last : m.start()], included]
                changes.count(f"{{{{#{name}}}}} directive", "replaced by the file's text")
            last = m.end()
        out.append("".join(pieces) + line[last:])
    return "\n".join(out)


def _rust_block(code: str, indent: str) -> str:
    code = code.strip("\n")
    runs = [len(r) for r in re.findall(r"`+", code)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return "\n".join(indent + line if line else line for line in [fence + "rust", *code.split("\n"), fence])


def _without_hidden_lines(code: str) -> tuple[str, int]:
    """Rust as mdBook shows it: lines starting with '# ' (or a lone '#') are hidden, '##' is
    '#'. Returns the code and the number of lines dropped."""
    out, hidden = [], 0
    for line in code.split("\n"):
        stripped = line.lstrip()
        if stripped == "#" or stripped.startswith("# "):
            hidden += 1
            continue
        if stripped.startswith("##"):
            line = line.replace("##", "#", 1)
        out.append(line)
    return "\n".join(out), hidden


def _included(
    directive: str, spec: str, file: Path, root: Path, rel: str, number: int, report: Report
) -> str | None:
    name, _, selector = spec.partition(":")
    target = (file.parent / name).resolve()
    shown = f"{{{{#{directive} {spec}}}}}"
    if not is_inside(target, root) or not target.is_file():
        report.warning(f"{shown}: {name} is not a file of the project; left as it is", rel, number)
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
        report.warning(f"{shown}: no anchor '{selector}' in {name}; left as it is", rel, number)
        return None
    return "\n".join(picked)


def _html_links(text: str, file: Path, ctx: Context, changes: Changes) -> str:
    """mdBook's pages are .html: a link to other.html (dir/index.html) is a link to the
    chapter other.md (dir/README.md, dir/index.md)."""
    lines = text.split("\n")
    out = []
    for line, in_code in zip(lines, _code_lines(lines), strict=True):
        if not in_code and ".html" in line:
            spans = [m.span() for m in _CODE_SPAN.finditer(line)]
            for pattern in _LINK_TARGETS:

                def replace(m: re.Match[str], spans: list[tuple[int, int]] = spans) -> str:
                    target = None if _in_spans(m.start(), spans) else _chapter_target(m[2], file, ctx)
                    if target is None:
                        return m[0]
                    changes.count(_HTML_LINK, "rewritten as links to the chapter files (.md)")
                    return m[1] + target

                line = pattern.sub(replace, line)
        out.append(line)
    return "\n".join(out)


def _chapter_target(target: str, file: Path, ctx: Context) -> str | None:
    if re.match(r"[A-Za-z][\w+.-]*:", target) or target.startswith(("/", "#")):
        return None
    path, hash_, fragment = target.partition("#")
    if not path.endswith(".html"):
        return None
    folder, slash, name = path.rpartition("/")
    stem = name[: -len(".html")]
    for candidate in [f"{stem}.md"] + (["README.md", "index.md"] if stem == "index" else []):
        if (file.parent / folder / candidate).resolve() in ctx.chapters:
            return f"{folder}{slash}{candidate}{hash_}{fragment}"
    return None


def _title_from_summary(text: str, title: str, changes: Changes) -> str:
    yaml_text, body, body_line = split_front_matter(text)
    if yaml_text is not None:
        data = yaml_mapping(yaml_text)
        if body_line == 0 or data is None or data.get("title"):
            return text
    if implicit_title(body, body_line, pandoc_block=yaml_text is None) is not None:
        return text
    new = add_front_matter(text, [f"title: {quote(title)}"])
    if new is None:
        return text
    changes.note(f"title {quote(title)} from SUMMARY.md written in front matter (the file has none)")
    return new


# Quarto ---------------------------------------------------------------------------------


@dataclass
class _Cell:
    line: int  # the opening fence's
    indent: str
    fence: str
    language: str
    options: dict[str, str]
    body: list[str]  # without the #| lines and the closing fence
    closing: str | None


def _blocks(lines: list[str], first: int) -> list[_Cell | tuple[int, str, bool]]:
    """The executable cells, and every other line as (number, line, in a code block)."""
    items: list[_Cell | tuple[int, str, bool]] = []
    fence = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if fence is None and (m := _CELL.match(line)):
            cell = _Cell(first + i, m[1], m[2], m[3], _header_options(m[4]), [], None)
            i += 1
            while i < len(lines):
                if re.fullmatch(rf"\s*`{{{len(m[2])},}}\s*", lines[i]):
                    cell.closing = lines[i]
                    break
                if option := _OPTION.match(lines[i]):
                    cell.options[option[1]] = option[2].strip("\"'")
                elif not _CELL_OPTION.match(lines[i]):
                    cell.body.append(lines[i])
                i += 1
            items.append(cell)
            i += 1
            continue
        m = _FENCE.match(line)
        if fence is None:
            if m and not (m[2][0] == "`" and "`" in m[3]):
                fence = m[2]
            items.append((first + i, line, fence is not None))
        else:
            items.append((first + i, line, True))
            if m and m[2][0] == fence[0] and len(m[2]) >= len(fence) and not m[3].strip():
                fence = None
        i += 1
    return items


def _header_options(header: str) -> dict[str, str]:
    """knitr's options in the cell's header: {r label, echo=FALSE}."""
    options: dict[str, str] = {}
    for n, part in enumerate(p.strip() for p in header.split(",")):
        key, eq, value = part.partition("=")
        if eq:
            value = value.strip().strip("\"'")
            options[key.strip().replace(".", "-")] = {"FALSE": "false", "F": "false"}.get(value, value)
        elif n <= 1 and part and re.fullmatch(r"[\w.-]+", part):
            options["label"] = part
    return options


def _false(value: object) -> bool:
    return value is False or str(value).strip().lower() in ("false", "no", "off", "f")


def _echo_default(data: dict | None) -> object:
    for keys in (("execute", "echo"), ("knitr", "opts_chunk", "echo")):
        value: object = data
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def _hidden(cell: _Cell, echo_default: object) -> str | None:
    """Why Quarto shows nothing of this cell's code, or None if it shows it."""
    if _false(cell.options.get("include", True)):
        return "include: false"
    echo = cell.options.get("echo", echo_default)
    return "echo: false" if echo is not None and _false(echo) else None


def read_echo(data: object) -> object:
    """The project's default for showing code (_quarto.yml's execute: echo)."""
    return _echo_default(data if isinstance(data, dict) else None)


def collect_outputs(text: str, rel: str, ctx: Context) -> None:
    """Note the cells' figure and table labels, and the labels cross-references point at,
    before any chapter is converted (a reference may be in another chapter)."""
    yaml_text, _body, body_line = split_front_matter(text)
    start = body_line - 1 if yaml_text is not None and body_line else 0
    for item in _blocks(text.split("\n")[start:], start + 1):
        if isinstance(item, _Cell):
            label = item.options.get("label", "")
            if label.startswith(OUTPUT_PREFIXES) and label not in ctx.outputs:
                ctx.outputs[label] = (rel, item.line)
        elif not item[2]:
            ctx.referenced.update(_XREF.findall(item[1]))


def _quarto(text: str, rel: str, ctx: Context, report: Report, changes: Changes) -> str:
    yaml_text, _body, body_line = split_front_matter(text)
    lines = text.split("\n")
    start = body_line - 1 if yaml_text is not None and body_line else 0
    echo = _echo_default(yaml_mapping(yaml_text or "")) if yaml_text else None
    echo = ctx.echo if echo is None else echo
    out = lines[:start]
    dropped = False  # the item before was a cell that is dropped
    for item in _blocks(lines[start:], start + 1):
        after_dropped, dropped = dropped, False
        if isinstance(item, _Cell):
            label = item.options.get("label", "")
            if label in ctx.outputs and label in ctx.referenced and label not in ctx.warned:
                ctx.warned.add(label)
                report.warning(
                    f"{label} is the output of a code cell, which msl-book does not run: "
                    "references to it are written as text",
                    rel,
                    item.line,
                )
            if why := _hidden(item, echo):
                changes.count("code cell", f"hidden ({why}) dropped")
                dropped = True
                continue
            out.append(f"{item.indent}{item.fence}{item.language}")
            out += item.body
            if item.closing is not None:
                out.append(item.closing)
            changes.count("code cell", "shown as code (msl-book runs no code)")
            continue
        number, line, in_code = item
        if after_dropped and not line.strip() and (not out or not out[-1].strip()):
            continue  # one blank line where the cell was, not two
        if shortcodes := _SHORTCODE.findall(line):
            for shortcode in shortcodes:
                report.warning(f"Quarto shortcode {shortcode} is not supported: dropped", rel, number)
            line = _SHORTCODE.sub("", line)
        if not in_code:
            line = _XREF.sub(lambda m: _xref(m[1], ctx, changes), line)
        out.append(line)
    return "\n".join(out)


def _xref(label: str, ctx: Context, changes: Changes) -> str:
    if label in ctx.outputs:
        changes.count(
            ("reference to a code cell's output", "references to code cells' output"),
            "written as text (**?@label**)",
        )
        return f"**?\\@{label}**"  # \@: an @ that is not a citation
    changes.count("cross-reference", "written as [](#id)")
    return f"[](#{label})"


def _say_dropped(dropped: list[str], changes: Changes) -> None:
    """Say which keys of a pandoc header were left out: pandoc's output options (the theme
    decides those), and keys a chapter does not take, with the one that was perhaps meant."""
    from ..loader import PANDOC_OPTIONS

    if options := [k for k in dropped if k in PANDOC_OPTIONS]:
        changes.note(f"front matter: {', '.join(options)} dropped (pandoc's output options)")
    for key in (k for k in dropped if k not in PANDOC_OPTIONS):
        close = difflib.get_close_matches(key, sorted(CHAPTER_KEYS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        changes.note(f"front matter: {key} dropped (a chapter's front matter has no such key{hint})")


def _front_matter(text: str, changes: Changes, keys: set[str], why: str) -> str:
    """The front matter without the keys not in ``keys``, saying so."""
    yaml_text, body, _ = split_front_matter(text)
    if not yaml_text:
        return text
    data = yaml_mapping(yaml_text)
    if data is None:
        return text
    dropped = sorted(k for k in data if k not in keys)
    if not dropped:
        return text
    kept = [line for line in _top_level_blocks(yaml_text) if line[0] in keys]
    changes.note(f"front matter: {', '.join(dropped)} dropped ({why})")
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


# Front matter ---------------------------------------------------------------------------


def quote(value: str) -> str:
    """A YAML double-quoted string (JSON's are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def yaml_mapping(yaml_text: str) -> dict | None:
    """The front matter as a mapping ({} when empty), None when it is not one."""
    try:
        data = parse_yaml(yaml_text).data
    except YamlProblem:
        return None
    if data is None:
        return {}
    return data if isinstance(data, dict) else None


def add_front_matter(text: str, entries: list[str]) -> str | None:
    """The text with top-level YAML lines added at the end of its front matter (front matter
    made if it has none); the rest of the file byte for byte as it was. None when its front
    matter cannot be extended (not closed, not a mapping)."""
    yaml_text, _body, body_line = split_front_matter(text)
    if yaml_text is None:
        return "---\n" + "".join(e + "\n" for e in entries) + "---\n" + text
    if body_line == 0 or yaml_mapping(yaml_text) is None or yaml_text.lstrip().startswith("{"):
        return None
    lines = text.split("\n")
    end = "\r" if lines[0].endswith("\r") else ""
    closing = body_line - 2
    return "\n".join(lines[:closing] + [e + end for e in entries] + lines[closing:])


def set_role(file: Path, role: str) -> None:
    """Give a chapter file a role in its front matter (adding front matter if it has none)."""
    text = file.read_text(encoding="utf-8")
    yaml_text, _body, _ = split_front_matter(text)
    if yaml_text is not None and "role" in (yaml_mapping(yaml_text) or {}):
        return
    if (new := add_front_matter(text, [f"role: {role}"])) is not None:
        file.write_text(new, encoding="utf-8")


_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _chapter_id(file: Path, text: str, root: Path) -> tuple[str, bool]:
    """The id msl-book gives the chapter, and whether it is the file's own (front matter
    ``id:`` or ``# Title {#id}``, or front matter that cannot take one) rather than the
    default from its file name."""
    yaml_text, body, body_line = split_front_matter(text)
    data: dict = {}
    if yaml_text is not None:
        mapping = yaml_mapping(yaml_text)
        if mapping is None or body_line == 0:
            return default_id(file, root), True
        data = mapping
    if data.get("id"):
        return str(data["id"]), True
    if not data.get("title"):
        found = implicit_title(body, body_line, pandoc_block=yaml_text is None)
        if found is not None and found.id:
            return found.id, True
    return default_id(file, root), False


def _slug(name: str) -> str:
    return slugify(re.sub(r"^[\d_.\- ]+", "", name) or name)


def _candidates(rel: PurePosixPath, base: PurePosixPath, current: str):
    folders = [_slug(f) for f in rel.parent.relative_to(base).parts] if rel.is_relative_to(base) else []
    index = rel.stem.lower() in ("readme", "index")
    for k in range(1, len(folders) + 1):
        prefix = "-".join(folders[-k:])
        yield prefix if index else f"{prefix}-{current}"
    if folders and index:
        yield f"{folders[-1]}-{_slug(rel.stem)}"
    n = 2
    while True:
        yield f"{current}-{n}"
        n += 1


def unique_ids(root: Path, chapters: list[str]) -> list[tuple[str, str]]:
    """msl-book gives a chapter an id from its file name (loader.default_id): where two
    chapters would get the same, those in sub-folders get an ``id:`` from their folder
    (cli/overview.md: 'cli-overview'; cli/README.md: 'cli'), the first one in the top folder
    keeps its own. Returns the changes, as (path, what)."""
    ids = {rel: _chapter_id(root / rel, (root / rel).read_text(encoding="utf-8"), root) for rel in chapters}
    groups: dict[str, list[str]] = defaultdict(list)
    for rel, (ident, _own) in ids.items():
        groups[ident].append(rel)
    parents = [PurePosixPath(rel).parent for rel in chapters]
    base = parents[0]
    while not all(p.is_relative_to(base) for p in parents):
        base = base.parent
    renamed: dict[str, str] = {}
    for ident, rels in groups.items():
        if len(rels) < 2:
            continue
        keep = [r for r in rels if ids[r][1]]
        at_base = [r for r in rels if not ids[r][1] and PurePosixPath(r).parent == base]
        if not keep and at_base:
            keep.append(at_base[0])
        for rel in rels:
            if rel not in keep:
                renamed[rel] = ident
    taken = {ident for rel, (ident, _) in ids.items() if rel not in renamed}
    changes = []
    for rel in chapters:
        if rel not in renamed:
            continue
        ident = renamed[rel]
        new = next(c for c in _candidates(PurePosixPath(rel), base, ident) if c not in taken)
        if new == ident:  # the others have moved away
            taken.add(new)
            continue
        value = quote(new) if new in _YAML_WORDS else new
        file = root / rel
        text = add_front_matter(file.read_text(encoding="utf-8"), [f"id: {value}"])
        if text is None:
            continue
        file.write_text(text, encoding="utf-8")
        taken.add(new)
        other = next(r for r in groups[ident] if r != rel)
        changes.append(
            (rel, f"id: {value} written in front matter (its id would be '{ident}', as {other}'s)")
        )
    return changes
