"""pandoc's markdown_in_html_blocks: Markdown between an HTML block's tags is Markdown.

    <div class="box">
    *Read this first.*
    </div>

CommonMark ends an HTML block at a blank line only, so the emphasis above was raw text;
pandoc parses what the tags hold. Here a line that is only an opening or closing tag of a
block element that holds flow content (``<div class="box">``, ``</div>``, ``<section>``...),
or one element written whole on the line (``<summary>Why?</summary>``), is an HTML block of
its own, and the lines after it are parsed as Markdown again. The tags are
checked and kept as any raw HTML is (markdown/safety.py, markdown/checks.py: they must nest).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block.state_block import StateBlock

from .safety import ALLOWED

# the elements a book may write (safety.ALLOWED) that hold flow content
CONTAINERS = sorted({"div", "section", "figure", "blockquote", "details", "aside", "article"} & ALLOWED)
TAG_LINE = re.compile(
    rf"</?(?:{'|'.join(CONTAINERS)})(?:\s[^<>]*)?>"
    # or one element opened and closed on the line: <summary>Why?</summary>
    r"|<(summary|figcaption|h[1-6]|p)(?:\s[^<>]*)?>.*</\1>",
    re.IGNORECASE,
)


def html_tag_line(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    if state.is_code_block(startLine):
        return False
    start = state.bMarks[startLine] + state.tShift[startLine]
    line = state.src[start : state.eMarks[startLine]].rstrip()
    if not TAG_LINE.fullmatch(line):
        return False
    after = startLine + 1
    while after < endLine and state.isEmpty(after):
        after += 1
    if after < endLine and state.sCount[after] - state.blkIndent >= 4:
        return False  # HTML indented under its tag: raw HTML as CommonMark reads it, not code
    if silent:
        return True
    token = state.push("html_block", "", 0)
    token.map = [startLine, startLine + 1]
    token.content = line + "\n"
    state.line = startLine + 1
    return True


def html_blocks_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before(
        "html_block", "html_tag_line", html_tag_line, {"alt": ["paragraph", "reference", "blockquote"]}
    )
