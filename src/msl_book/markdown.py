"""Markdown -> tokens -> XHTML fragments, with the source line of everything that can be wrong.

Parsing and rendering are separate steps so that ids can be assigned across the whole book
(heading slugs must be unique once the chapters are joined into one print document) before
any HTML is written. Nothing here reads files or knows about output formats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .errors import Report

CALLOUTS = {
    "note": "Note",
    "tip": "Tip",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "compliance": "Compliance",
}
ALLOWED_ATTRS = ["id", "class"]
_COMMENT = re.compile(r"^\s*<!--.*?-->\s*$", re.DOTALL)
_UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
_NOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.MULTILINE)
_CONTAINER_LINE = re.compile(r"^\s*:::+\s*([\w-]*)")


@dataclass
class Ref:
    """A link or image in the source, for checking once every id in the book is known."""

    kind: str  # "link" | "image"
    target: str
    line: int
    text: str = ""


@dataclass
class ParsedText:
    """One parsed piece of Markdown (a chapter body or a front-matter string)."""

    tokens: list[Token]
    inline: bool
    refs: list[Ref] = field(default_factory=list)
    ids: list[tuple[str, int]] = field(default_factory=list)  # explicit {#id}s with lines
    headings: list[Token] = field(default_factory=list)


def _callout_validate(name: str):
    def validate(params: str, *_: Any) -> bool:
        return params.strip().split(" ", 1)[0] == name

    return validate


def make_parser() -> MarkdownIt:
    """CommonMark plus tables, footnotes, definition lists, attributes and callouts."""
    md = MarkdownIt("commonmark", {"typographer": True, "xhtmlOut": True, "html": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin, inline=True, move_to_end=True)
    md.use(deflist_plugin)
    md.use(attrs_block_plugin, allowed=ALLOWED_ATTRS)
    md.use(attrs_plugin, allowed=ALLOWED_ATTRS)
    for name in CALLOUTS:
        md.use(container_plugin, name=name, validate=_callout_validate(name))
        md.add_render_rule(f"container_{name}_open", _render_callout_open)
        md.add_render_rule(f"container_{name}_close", _render_callout_close)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("footnote_block_open", lambda *a: '<div class="footnotes">\n')
    md.add_render_rule("footnote_block_close", lambda *a: "</div>\n")
    md.add_render_rule("footnote_open", _render_footnote_open)
    md.add_render_rule("footnote_close", lambda *a: "</aside>\n")
    md.add_render_rule("footnote_anchor", lambda *a: "")
    md.add_render_rule("html_block", lambda *a: "")
    md.add_render_rule("html_inline", lambda *a: "")
    return md


class Markdown:
    """Parses chapter bodies and front-matter strings; renders them once ids are assigned."""

    def __init__(self) -> None:
        self.md = make_parser()

    def parse_body(self, text: str, path: str, first_line: int, report: Report) -> ParsedText:
        env: dict[str, Any] = {}
        tokens = self.md.parse(text, env)
        parsed = ParsedText(tokens=tokens, inline=False)
        _scan(tokens, parsed, path, first_line, report)
        _check_footnotes(text, tokens, path, first_line, report)
        _check_heading_levels(parsed.headings, path, report)
        return parsed

    def parse_inline(self, text: str, path: str, line: int, report: Report) -> ParsedText:
        env: dict[str, Any] = {}
        tokens = self.md.parseInline(text, env)
        parsed = ParsedText(tokens=tokens, inline=True)
        _scan(tokens, parsed, path, line, report, fixed_line=True)
        return parsed

    def render(self, parsed: ParsedText, doc_id: str) -> str:
        env = {"docId": doc_id}
        if parsed.inline:
            return self.md.renderer.render(parsed.tokens[0].children or [], self.md.options, env)
        return self.md.renderer.render(parsed.tokens, self.md.options, env)


@cache
def shared_markdown() -> Markdown:
    """One parser for the process: building it (plugins, rules) costs more than a chapter."""
    return Markdown()


def _scan(
    tokens: Sequence[Token],
    parsed: ParsedText,
    path: str,
    first_line: int,
    report: Report,
    fixed_line: bool = False,
) -> None:
    """Record ids, headings, links and images with file lines; refuse raw HTML."""
    for index, tok in enumerate(tokens):
        line = first_line if fixed_line or not tok.map else first_line + tok.map[0]
        if tok.type == "html_block":
            _raw_html(tok.content, path, line, report)
        if tok.attrs.get("id"):
            parsed.ids.append((str(tok.attrs["id"]), line))
        if tok.type == "heading_open":
            parsed.headings.append(tok)
            tok.meta["line"] = line
        if tok.type == "paragraph_open" and index + 1 < len(tokens):
            _check_stray_container(tokens[index + 1], path, line, report)
        if tok.type == "inline" and tok.children:
            _scan_inline(tok.children, parsed, path, line, report, fixed_line)


def _scan_inline(
    children: list[Token], parsed: ParsedText, path: str, line: int, report: Report, fixed: bool
) -> None:
    current = line
    text_of: list[str] = []
    link: Token | None = None
    for child in children:
        if child.type in ("softbreak", "hardbreak") and not fixed:
            current += 1
        elif child.type == "html_inline":
            _raw_html(child.content, path, current, report)
        elif child.type == "image":
            src = str(child.attrs.get("src", ""))
            alt = child.content
            parsed.refs.append(Ref("image", src, current, alt))
        elif child.type == "link_open":
            link = child
            link.meta["line"] = current
            text_of = []
        elif child.type == "link_close" and link is not None:
            parsed.refs.append(
                Ref("link", str(link.attrs.get("href", "")), link.meta["line"], "".join(text_of))
            )
            link = None
        elif child.type == "text":
            text_of.append(child.content)
            if m := _UNDEFINED_NOTE.search(child.content):
                report.error(f"footnote [^{m[1]}] has no definition", path, current)
        if child.attrs.get("id"):
            parsed.ids.append((str(child.attrs["id"]), current))


def _raw_html(content: str, path: str, line: int, report: Report) -> None:
    if _COMMENT.match(content) or content.lstrip().startswith("</"):
        return  # comments are dropped; a closing tag was reported with its opening tag
    snippet = content.strip().split("\n", 1)[0][:40]
    report.error(
        f"raw HTML is not supported ({snippet}); use Markdown, {{#id .class}} attributes or ::: callouts",
        path,
        line,
    )


def _check_stray_container(inline: Token, path: str, line: int, report: Report) -> None:
    """A '::: name' line that no callout rule accepted ends up as paragraph text."""
    if inline.type != "inline":
        return
    if m := _CONTAINER_LINE.match(inline.content):
        kinds = ", ".join(CALLOUTS)
        name = m[1] or "(none)"
        if m[1] and m[1] not in CALLOUTS:
            report.error(f"unknown callout kind '{name}' (use one of: {kinds})", path, line)
        elif not m[1]:
            report.error("':::' closes no callout (or the callout has no kind)", path, line)


def _check_heading_levels(headings: list[Token], path: str, report: Report) -> None:
    """Headings go down one level at a time; the chapter title is the level-1 heading."""
    previous = 1
    for tok in headings:
        level = int(tok.tag[1])
        if level > previous + 1:
            want = "#" * (previous + 1)
            report.warning(
                f"heading skips a level ({'#' * level} after {'#' * previous}); use {want}",
                path,
                tok.meta.get("line"),
            )
        previous = max(level, 2) if level == 1 else level


def _check_footnotes(text: str, tokens: Sequence[Token], path: str, first_line: int, report: Report) -> None:
    used = {t.meta["label"] for t in _walk(tokens) if t.type == "footnote_ref" and t.meta.get("label")}
    for m in _NOTE_DEF.finditer(text):
        if m[1] not in used:
            line = first_line + text.count("\n", 0, m.start())
            report.warning(f"footnote [^{m[1]}] is defined but never used", path, line)


def _walk(tokens: Sequence[Token]):
    for tok in tokens:
        yield tok
        if tok.children:
            yield from _walk(tok.children)


# -- render rules ------------------------------------------------------------------------


def _note_ids(tok: Token, env: dict[str, Any]) -> tuple[str, str]:
    doc = env.get("docId", "doc")
    n = tok.meta["id"] + 1
    ref = f"fnref-{doc}-{n}" + (f"-{tok.meta['subId'] + 1}" if tok.meta.get("subId") else "")
    return f"fn-{doc}-{n}", ref


def _render_footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    note, ref = _note_ids(tokens[idx], env)
    n = tokens[idx].meta["id"] + 1
    return f'<a class="noteref" href="#{note}" id="{ref}" epub:type="noteref" role="doc-noteref">{n}</a>'


def _render_footnote_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    note, _ = _note_ids(tokens[idx], env)
    return f'<aside class="footnote" id="{note}" epub:type="footnote" role="doc-footnote">\n'


def _render_callout_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    kind, _, title = tok.info.strip().partition(" ")
    extra = " " + " ".join(tok.attrs.get("class", "").split()) if tok.attrs.get("class") else ""
    ident = f' id="{escapeHtml(str(tok.attrs["id"]))}"' if tok.attrs.get("id") else ""
    label = CALLOUTS[kind]
    heading = f'<span class="callout-label">{label}</span>'
    if title.strip():
        heading += f' <span class="callout-heading">{escapeHtml(title.strip())}</span>'
    return (
        f'<div class="callout callout-{kind}{escapeHtml(extra)}"{ident} role="note">\n'
        f'<p class="callout-title">{heading}</p>\n'
    )


def _render_callout_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return "</div>\n"
