"""What a parsed chapter refers to and what is wrong with it, each with its line.

``scan`` records ids, headings, links and images, checks raw HTML (``safety.sanitize``)
and attributes written in Markdown, and reports unclosed divs and stray fences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from ..errors import Report
from .code import fence_attributes
from .math import problem as math_problem
from .safety import allowed_attribute, check_attribute, sanitize

_COMMENT = re.compile(r"^\s*<!--.*?-->\s*$", re.DOTALL)
_UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
_NOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.MULTILINE)
_STRAY_FENCE = re.compile(r"^\s*:{3,}")
_CAPTION_ID = re.compile(r"^(?:Table)?:\s.*\{[^{}]*#([^\s{}#.]+)[^{}]*\}\s*$", re.DOTALL)
# Image sizes HTML takes as attributes; others (50%, 3in) become a width/height style.
_PIXELS = re.compile(r"^(\d+)(?:px)?$")
_LENGTH = re.compile(r"^\d+(?:\.\d+)?(?:%|px|in|cm|mm|pt|pc|em|rem|ex|ch|vw|vh)$")
_STYLE_WIDTH = re.compile(r"(?:^|;)\s*width\s*:\s*([^;]+)")
INDEX_KEYS = ("index", "index-see", "index-also", "sort-as")  # index marks' attributes


@dataclass
class Ref:
    """A link or image in the source, for checking once every id in the book is known."""

    kind: str  # "link" | "image"
    target: str
    line: int
    text: str = ""
    width: str = ""  # an image's width as written ({width=50%}: "50%", {width=300}: "300")


@dataclass
class ParsedText:
    """One parsed piece of Markdown (a chapter body or a front-matter string)."""

    tokens: list[Token]
    inline: bool
    refs: list[Ref] = field(default_factory=list)
    ids: list[tuple[str, int]] = field(default_factory=list)  # explicit {#id}s with lines
    headings: list[Token] = field(default_factory=list)
    citations: list[Token] = field(default_factory=list)  # citation tokens, meta["line"] set


def scan(
    tokens: Sequence[Token],
    parsed: ParsedText,
    path: str,
    first_line: int,
    report: Report,
    fixed_line: bool = False,
) -> None:
    """Record ids, headings, links and images with file lines; check raw HTML, attributes
    and fenced divs."""
    raw = _RawBalance(path, report)
    for index, tok in enumerate(tokens):
        line = first_line if fixed_line or not tok.map else first_line + tok.map[0]
        if tok.type == "html_block":
            _raw_html(tok, parsed, path, line, report, raw)
        _check_attrs(tok, path, line, report)
        if tok.type == "math_block":
            _check_math(tok, path, line, report)
        if tok.type == "raw_other":
            _raw_other(tok, path, line, report)
        if tok.type == "fence" and (ident := fence_attributes(tok.info)[1].get("id")):
            parsed.ids.append((ident, line))
        if tok.type == "list_item_open" and (label := tok.meta.get("example_again")):
            report.warning(
                f"example label (@{label}) is given a second time: (@{label}) in the text is "
                "this item's number from here on; give each example its own label",
                path,
                line,
            )
        if tok.type == "grid_table_unread":
            report.error(
                "this grid table cannot be read: every row needs a cell in every column, its '+' "
                "and '|' under the top border's, and the table a bottom border (merged cells and "
                "table feet are not read)",
                path,
                line,
            )
        if tok.type == "div_open" and not tok.meta.get("closed"):
            report.error("this ::: div is never closed: add a line ':::' where it ends", path, line)
        if tok.attrs.get("id"):
            parsed.ids.append((str(tok.attrs["id"]), line))
        if tok.type == "heading_open":
            parsed.headings.append(tok)
            tok.meta["line"] = line
        if tok.type == "paragraph_open" and index + 1 < len(tokens):
            _check_stray_fence(tokens[index + 1], path, line, report)
        if tok.type == "inline" and tok.children:
            _scan_inline(tok.children, parsed, path, line, report, fixed_line)
            if m := _CAPTION_ID.match(tok.content):  # Table: Caption {#tbl-x}
                parsed.ids.append((m[1], line))
    raw.finish()


def _scan_inline(
    children: list[Token], parsed: ParsedText, path: str, line: int, report: Report, fixed: bool
) -> None:
    current = line
    text_of: list[str] = []
    link: Token | None = None
    raw = _RawBalance(path, report, within="paragraph")
    for child in children:
        _check_attrs(child, path, current, report)
        if child.type in ("softbreak", "hardbreak") and not fixed:
            current += 1
        elif child.type == "html_inline":
            _raw_html(child, parsed, path, current, report, raw)
        elif child.type == "raw_other":
            _raw_other(child, path, current, report)
        elif child.type == "raw_tex":
            report.warning(
                f"raw LaTeX {child.content} is left out: pandoc keeps it for LaTeX output only "
                "(write \\\\ for a backslash that is text)",
                path,
                current,
            )
        elif child.type in ("math_inline", "math_inline_double"):
            _check_math(child, path, current, report)
        elif child.type == "image":
            alt = child.meta.get("alt", child.content)
            src = str(child.attrs.get("src", ""))
            parsed.refs.append(Ref("image", src, current, alt, _written_width(child)))
        elif child.type == "link_open":
            link = child
            link.meta["line"] = current
            text_of = []
        elif child.type == "link_close" and link is not None:
            parsed.refs.append(
                Ref("link", str(link.attrs.get("href", "")), link.meta["line"], "".join(text_of))
            )
            link = None
        elif child.type == "citation":
            child.meta["line"] = current
            parsed.citations.append(child)
            if not fixed:
                current += child.content.count("\n")
        elif child.type == "text":
            text_of.append(child.content)
            if m := _UNDEFINED_NOTE.search(child.content):
                report.error(f"footnote [^{m[1]}] has no definition", path, current)
        if child.attrs.get("id"):
            parsed.ids.append((str(child.attrs["id"]), current))
    raw.finish()


def _raw_other(tok: Token, path: str, line: int, report: Report) -> None:
    fmt = tok.meta["raw_format"]
    report.warning(f"raw {fmt} ({{={fmt}}}) is for pandoc's {fmt} output only: left out", path, line)


class _RawBalance:
    """Raw tags opened in one chunk may close in another (``<details>``, Markdown, then
    ``</details>``), but each must be closed where it was opened: in the same paragraph for
    inline tags, in the same chapter for blocks."""

    def __init__(self, path: str, report: Report, within: str = "chapter"):
        self.path, self.report, self.within = path, report, within
        self.open: list[tuple[str, int]] = []

    def add(self, opened: list[tuple[str, int]], closed: list[tuple[str, int]], line: int) -> None:
        for tag, at in closed:
            if self.open and self.open[-1][0] == tag:
                self.open.pop()
            else:
                self.report.error(
                    f"</{tag}> closes no <{tag}> (raw HTML must nest)", self.path, line + at - 1
                )
        self.open += [(tag, line + at - 1) for tag, at in opened]

    def finish(self) -> None:
        for tag, at in self.open:
            self.report.error(f"<{tag}> is not closed in its {self.within}: add </{tag}>", self.path, at)
        self.open = []


def _raw_html(tok: Token, parsed: ParsedText, path: str, line: int, report: Report, raw: _RawBalance) -> None:
    """Check a chunk of raw HTML and keep its safe XHTML for rendering."""
    if _COMMENT.match(tok.content):
        tok.meta["xhtml"] = ""
        return
    clean = sanitize(tok.content)
    tok.meta["xhtml"] = clean.xhtml
    for problem in clean.problems:
        at = line + problem.line - 1
        if problem.warning:
            report.warning(problem.message, path, at)
        else:
            report.error(problem.message, path, at)
    raw.add(clean.opened, clean.closed, line)
    parsed.ids += [(ident, line + at - 1) for ident, at in clean.ids]
    for kind, target, alt, at in clean.refs:
        parsed.refs.append(Ref(kind, target, line + at - 1, alt))


def _check_attrs(tok: Token, path: str, line: int, report: Report) -> None:
    """Attributes written in Markdown: what could run is refused, image sizes are honoured,
    and a key HTML has no attribute for is kept as ``data-key`` (as pandoc writes it)."""
    written = tok.meta.get("written")
    if not written:
        return
    tag = tok.tag or "div"
    for name in sorted(written):
        if name not in tok.attrs:
            continue
        value = str(tok.attrs[name])
        if (problem := check_attribute(tag, name, value)) is not None:
            report.error(problem.message, path, line)
            del tok.attrs[name]
        elif tag == "img" and name in ("width", "height"):
            _image_size(tok, name, value, path, line, report)
        elif tag == "img" and name in ("alt", "fig-alt"):  # fig-alt: Quarto's name for it
            tok.meta["alt"] = tok.attrs.pop(name)
        elif not allowed_attribute(tag, name) and name not in ("alt", "title"):
            tok.attrs[f"data-{name}"] = tok.attrs.pop(name)
    classes = str(tok.attrs.get("class", "")).split()
    if "index" in classes or any(f"data-{n}" in tok.attrs for n in INDEX_KEYS):
        tok.attrs["data-line"] = str(line)  # for passes/index.py's messages
    tok.meta["written"] = set()


def _written_width(tok: Token) -> str:
    """An image's width after ``_image_size``: the attribute, or the one in its style."""
    if width := tok.attrs.get("width"):
        return str(width)
    m = _STYLE_WIDTH.search(str(tok.attrs.get("style", "")))
    return m[1].strip() if m else ""


def _image_size(tok: Token, name: str, value: str, path: str, line: int, report: Report) -> None:
    if m := _PIXELS.match(value):
        tok.attrs[name] = m[1]
    elif _LENGTH.match(value):
        del tok.attrs[name]
        style = str(tok.attrs.get("style", ""))
        tok.attrs["style"] = f"{style}{'; ' if style else ''}{name}: {value}"
    else:
        del tok.attrs[name]
        report.error(f"image {name} '{value}' is not a size (use 300, 300px, 50%, 3in…)", path, line)


def _check_math(tok: Token, path: str, line: int, report: Report) -> None:
    tex = tok.content  # its macros expanded (markdown/texmacros.py)
    if tok.meta.get("definitions_only"):
        return
    wrong = f"macro {tok.meta['macro_error']}" if "macro_error" in tok.meta else math_problem(tex)
    if wrong is not None:
        shown = " ".join(tex.split())
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        report.error(f"math {wrong}: ${shown}$", path, line)


def _check_stray_fence(inline: Token, path: str, line: int, report: Report) -> None:
    """A ':::' line that opens or closes no div ends up as paragraph text."""
    if inline.type == "inline" and _STRAY_FENCE.match(inline.content):
        report.error("':::' closes no div (a div opens with '::: name' or '::: {.class}')", path, line)


def check_heading_levels(headings: list[Token], path: str, report: Report) -> None:
    """Headings go down one level at a time; the chapter title is the level-1 heading."""
    previous = 1
    for tok in headings:
        level = int(tok.tag[1])
        if level == 1:
            report.warning(
                "level-1 heading in the body: a chapter has one title (its front matter's, or a "
                "'# Title' first line); it is printed as ##, write ## for sections",
                path,
                tok.meta.get("line"),
            )
        elif level > previous + 1:
            want = "#" * (previous + 1)
            report.warning(
                f"heading skips a level ({'#' * level} after {'#' * previous}); use {want}",
                path,
                tok.meta.get("line"),
            )
        previous = max(level, 2) if level == 1 else level


def check_footnotes(text: str, tokens: Sequence[Token], path: str, first_line: int, report: Report) -> None:
    used = {t.meta["label"] for t in walk(tokens) if t.type == "footnote_ref" and t.meta.get("label")}
    for m in _NOTE_DEF.finditer(text):
        if m[1] not in used:
            line = first_line + text.count("\n", 0, m.start())
            report.warning(f"footnote [^{m[1]}] is defined but never used", path, line)


def walk(tokens: Sequence[Token]) -> Iterator[Token]:
    for tok in tokens:
        yield tok
        if tok.children:
            yield from walk(tok.children)
