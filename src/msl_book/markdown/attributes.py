"""Pandoc's attributes, ``{#id .class key=value key2="a b" key3='c'}``, for markdown-it.

mdit-py-plugins' attrs plugin follows Djot's grammar, which refuses what pandoc accepts and
authors write: single-quoted values (``{alt='A chart'}``) and bare values with other
characters (``{width=50%}``). This module parses pandoc's grammar and attaches the result:

- after an image, a link, inline code or a bracketed span ``[text]{.smallcaps}``;
- on a line of its own before a block (msl-book's ``{#id}`` line);
- at the end of a heading (``## Title {#id .unnumbered}``, pandoc's header_attributes).

The rules are adapted from mdit-py-plugins' ``attrs/index.py`` (MIT). Which attributes a
book may use is decided later (markdown/safety.py): here everything is kept, with the place
it was written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

AFTER = ("image", "code_inline", "link_close", "span_close")
_KEY = re.compile(r"[A-Za-z_:][A-Za-z0-9_.:-]*")
_NAME = re.compile(r"[^\s{}#.='\"]+")
_HEADING_ATTRS = re.compile(r"\s+(\{[^{}]*\})\s*$")


def parse(text: str) -> tuple[int, dict[str, str]]:
    """Parse attributes at the start of ``text`` (which starts with ``{``); returns the
    index of the closing ``}`` and the attributes. Classes accumulate, the last id wins.
    Raises ValueError when ``text`` does not start with a valid attribute block."""
    if not text.startswith("{"):
        raise ValueError("no attributes")
    attrs: dict[str, str] = {}
    classes: list[str] = []
    pos = 1
    while True:
        while pos < len(text) and text[pos] in " \t\n":
            pos += 1
        if pos >= len(text):
            raise ValueError("unclosed attributes")
        char = text[pos]
        if char == "}":
            break
        if char == "-" and pos + 1 < len(text) and text[pos + 1] in " \t\n}":
            classes.append("unnumbered")  # pandoc's shorthand: {-} is {.unnumbered}
            pos += 1
        elif char in "#.":
            m = _NAME.match(text, pos + 1)
            if not m:
                raise ValueError(f"empty {'id' if char == '#' else 'class'}")
            if char == "#":
                attrs["id"] = m[0]
            else:
                classes.append(m[0])
            pos = m.end()
        elif char == "=" and pos == 1:  # {=html}: a raw attribute, kept as a class-like marker
            m = _NAME.match(text, pos + 1)
            if not m:
                raise ValueError("empty raw format")
            attrs["data-raw-format"] = m[0]
            pos = m.end()
        else:
            m = _KEY.match(text, pos)
            if not m or m.end() >= len(text) or text[m.end()] != "=":
                raise ValueError("not an attribute")
            key, pos = m[0], m.end() + 1
            value, pos = _value(text, pos)
            if key == "class":
                classes += value.split()
            else:
                attrs[key] = value
        if pos < len(text) and text[pos] not in " \t\n}":
            raise ValueError("attributes must be separated by spaces")
    if classes:
        attrs["class"] = " ".join(dict.fromkeys(classes))
    return pos, attrs


def _value(text: str, pos: int) -> tuple[str, int]:
    if pos < len(text) and text[pos] in "\"'":
        quote, out, pos = text[pos], [], pos + 1
        while pos < len(text) and text[pos] != quote:
            if text[pos] == "\\" and pos + 1 < len(text):
                pos += 1
            out.append(text[pos])
            pos += 1
        if pos >= len(text):
            raise ValueError("unclosed quote")
        return "".join(out), pos + 1
    start = pos
    while pos < len(text) and text[pos] not in " \t\n}":
        pos += 1
    if pos == start:
        raise ValueError("empty value")
    return text[start:pos], pos


def attributes_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "pandoc_span", _span_rule)
    md.inline.ruler.push("pandoc_attrs", _inline_rule)
    md.block.ruler.before("fence", "pandoc_attrs_block", _block_rule)
    md.core.ruler.after("block", "pandoc_attrs_block", _resolve_block_attrs)
    md.core.ruler.after("inline", "pandoc_figure_size", _sizes_to_figure_images)
    md.core.ruler.after("block", "pandoc_heading_attrs", _heading_attrs)


def add(token: Token, attrs: dict[str, str]) -> None:
    """Merge ``attrs`` into a token's: classes accumulate, the rest replaces. The names are
    remembered as the author's (``meta["written"]``), for markdown/checks.py to judge."""
    if "class" in attrs and token.attrs.get("class"):
        attrs = {**attrs, "class": f"{token.attrs['class']} {attrs['class']}"}
    token.attrs.update(attrs)
    token.meta.setdefault("written", set()).update(attrs)


def _span_rule(state: StateInline, silent: bool) -> bool:
    """``[text]{attrs}``: a span (only when the brackets are followed by attributes)."""
    if state.src[state.pos] != "[":
        return False
    end = state.md.helpers.parseLinkLabel(state, state.pos, False)
    if end < 0 or end + 1 >= state.posMax or state.src[end + 1] != "{":
        return False
    try:
        length, attrs = parse(state.src[end + 1 : state.posMax])
    except ValueError:
        return False
    if not silent:
        maximum = state.posMax
        state.pos, state.posMax = state.pos + 1, end
        token = state.push("span_open", "span", 1)
        add(token, attrs)
        state.md.inline.tokenize(state)
        state.push("span_close", "span", -1)
        state.posMax = maximum
    state.pos = end + 1 + length + 1
    return True


def _opening(tokens: Sequence[Token], index: int) -> int | None:
    if tokens[index].nesting != -1:
        return index
    level = 0
    while index >= 0:
        level += tokens[index].nesting
        if level == 0:
            return index
        index -= 1
    return None


def _inline_rule(state: StateInline, silent: bool) -> bool:
    if state.pending or not state.tokens or state.src[state.pos] != "{":
        return False
    if state.tokens[-1].type not in AFTER:
        return False
    try:
        length, attrs = parse(state.src[state.pos : state.posMax])
    except ValueError:
        return False
    index = _opening(state.tokens, len(state.tokens) - 1)
    if index is None:
        return False
    if not silent:
        add(state.tokens[index], attrs)
    state.pos += length + 1
    return True


def _block_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A line holding only attributes: they go to the block below."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    pos = state.bMarks[start] + state.tShift[start]
    maximum = state.eMarks[start]
    line = state.src[pos:maximum].rstrip()
    if not line.startswith("{") or not line.endswith("}"):
        return False
    try:
        length, attrs = parse(line)
    except ValueError:
        return False
    if length != len(line) - 1:
        return False
    if silent:
        return True
    token = state.push("attrs_block", "", 0)
    add(token, attrs)
    token.map = [start, start + 1]
    state.line = start + 1
    return True


def _resolve_block_attrs(state: StateCore) -> None:
    tokens = state.tokens
    i = 0
    while i < len(tokens):
        if tokens[i].type != "attrs_block":
            i += 1
            continue
        if i + 1 < len(tokens) and tokens[i + 1].nesting >= 0:
            following = tokens[i + 1]
            if following.type == "attrs_block":  # stacked lines: the lower one wins
                merged = dict(tokens[i].attrs)
                add_to = Token("", "", 0)
                add_to.attrs = merged
                add(add_to, dict(following.attrs))
                following.attrs = add_to.attrs
            else:
                add(following, dict(tokens[i].attrs))
        tokens.pop(i)


def _sizes_to_figure_images(state: StateCore) -> None:
    """``{#fig-x width=70%}`` on the line before an image alone in its paragraph: the size
    is the image's (the id names the figure)."""
    tokens = state.tokens
    for at, para in enumerate(tokens[:-1]):
        inline = tokens[at + 1]
        if (
            para.type != "paragraph_open"
            or inline.type != "inline"
            or not ({"width", "height"} & para.attrs.keys())
        ):
            continue
        children = [
            c
            for c in inline.children or []
            if c.type != "softbreak" and (c.type == "image" or c.content.strip())
        ]
        if len(children) != 1 or children[0].type != "image":
            continue
        image = children[0]
        for name in ("width", "height"):
            if name in para.attrs and name not in image.attrs:
                image.attrs[name] = para.attrs.pop(name)
                image.meta.setdefault("written", set()).add(name)  # checked as written on it
                para.meta.get("written", set()).discard(name)


def _heading_attrs(state: StateCore) -> None:
    """``## Title {#id .class}``: the trailing braces are the heading's attributes."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        m = _HEADING_ATTRS.search(inline.content)
        if not m:
            continue
        try:
            length, attrs = parse(m[1])
        except ValueError:
            continue
        if length != len(m[1]) - 1:
            continue
        inline.content = inline.content[: m.start()]
        add(token, attrs)
