"""Pandoc's fenced divs, nested, for markdown-it: ``::: {#id .class key=value}`` … ``:::``.

An opening fence is three or more colons and attributes (braces, or one word that is the
div's class), optionally more words (msl-book's title: ``::: tip Add a chapter``) and
closing colons. A fence of colons alone closes the innermost open div, whatever its length,
so divs nest with fences of the same length, as in pandoc. Lines inside fenced code are not
fences. A div that is never closed runs to the end of the chapter, and is reported at the
line that opened it.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore

from .attributes import add, parse

_OPEN = re.compile(r"^(:{3,})[ \t]*(\{.*?\}|[^\s{}:]+)(?:[ \t]+(.*?))?[ \t]*:*[ \t]*$")
_CLOSE = re.compile(r"^:{3,}[ \t]*$")
_CODE_FENCE = re.compile(r"^(`{3,}|~{3,})")


def opening(line: str) -> tuple[dict[str, str], str] | None:
    """The attributes and title of an opening fence, or None."""
    m = _OPEN.match(line)
    if not m:
        return None
    head, title = m[2], (m[3] or "").strip().rstrip(":").rstrip()
    if head.startswith("{"):
        try:
            length, attrs = parse(head)
        except ValueError:
            return None
        if length != len(head) - 1:
            return None
    else:
        attrs = {"class": head}
    return attrs, title


_TRAILING_ATTRS = re.compile(r"\s+\{[^{}]*\}\s*$")


def divs_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before(
        "fence", "fenced_div", _div_rule, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    md.core.ruler.after("block", "callout_titles", _callout_titles)


def _callout_titles(state: StateCore) -> None:
    """Quarto gives a callout its title with a heading as its first element: that heading
    is the title, not a section of the chapter."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        classes = token.attrs.get("class", "").split() if token.type == "div_open" else []
        if not any(c.startswith("callout-") for c in classes) or token.attrs.get("title"):
            continue
        if i + 3 < len(tokens) and tokens[i + 1].type == "heading_open":
            token.info = _TRAILING_ATTRS.sub("", tokens[i + 2].content).strip()  # "## Check {.unnumbered}"
            del tokens[i + 1 : i + 4]


def _line(state: StateBlock, number: int) -> str:
    return state.src[state.bMarks[number] + state.tShift[number] : state.eMarks[number]]


def _div_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    found = opening(_line(state, start))
    if found is None:
        return False
    if silent:
        return True
    attrs, title = found
    depth, fence, line = 1, None, start + 1
    while line < end:
        if state.sCount[line] < state.blkIndent:
            break  # the div's container (a list item, a quote) ends here
        text = _line(state, line)
        if fence is not None:
            if text.startswith(fence):
                fence = None
        elif m := _CODE_FENCE.match(text):
            fence = m[1]
        elif _CLOSE.match(text):
            depth -= 1
            if depth == 0:
                break
        elif opening(text) is not None:
            depth += 1
        line += 1
    closed = line < end and depth == 0
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType = "fenced_div"
    state.lineMax = line
    token = state.push("div_open", "div", 1)
    add(token, attrs)
    token.info = title
    token.map = [start, line]
    token.meta["closed"] = closed
    state.md.block.tokenize(state, start + 1, line)
    state.push("div_close", "div", -1)
    state.parentType, state.lineMax = old_parent, old_max
    state.line = line + 1 if closed else line
    return True
