"""Two small pandoc constructs: line blocks (``| line``) and task lists (``- [x] done``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin

_LINE = re.compile(r"^\| ?(.*)$")
_DELIMITER_ROW = re.compile(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


def blocks_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before("table", "line_block", _line_block, {"alt": ["paragraph"]})
    md.add_render_rule("line_block_open", lambda *a: '<div class="line-block">')
    md.add_render_rule("line_block_close", lambda *a: "</div>\n")
    md.use(tasklists_plugin)
    md.core.ruler.push("task_boxes", _task_boxes)
    md.add_render_rule("task_box", _render_task_box)


def _line(state: StateBlock, number: int) -> str:
    return state.src[state.bMarks[number] + state.tShift[number] : state.eMarks[number]]


def _line_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """pandoc's line blocks: lines that begin with '| ' keep their breaks and leading spaces;
    a line that begins with a space continues the one before."""
    if state.sCount[start] - state.blkIndent >= 4 or not _LINE.match(_line(state, start)):
        return False
    if start + 1 < end and _DELIMITER_ROW.match(_line(state, start + 1)):
        return False  # a pipe table
    lines: list[str] = []
    line = start
    while line < end:
        text = _line(state, line)
        if m := _LINE.match(text):
            body = m[1]
            spaces = len(body) - len(body.lstrip(" "))
            lines.append("\u00a0" * spaces + body.lstrip(" "))
        elif text.strip() and state.sCount[line] > state.blkIndent and lines:
            lines[-1] += " " + text.strip()
        else:
            break
        line += 1
    if any(text.rstrip().endswith("|") for text in lines):
        return False  # a table without a header row, not verse
    if silent:
        return True
    token = state.push("line_block_open", "div", 1)
    token.map = [start, line]
    inline = state.push("inline", "", 0)
    inline.content = "\\\n".join(lines)
    inline.map = [start, line]
    inline.children = []
    state.push("line_block_close", "div", -1)
    state.line = line
    return True


def _task_boxes(state: StateCore) -> None:
    """The task-list plugin writes its checkboxes as raw HTML; they become tokens of ours,
    so that raw HTML stays the author's alone."""
    for token in state.tokens:
        for child in token.children or []:
            if child.type == "html_inline" and "task-list-item-checkbox" in child.content:
                child.type = "task_box"
                child.meta["checked"] = 'checked="checked"' in child.content


def _render_task_box(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    checked = tokens[idx].meta.get("checked")
    state = ' checked="checked"' if checked else ""
    label = escapeHtml(env["strings"]("task-done" if checked else "task-not-done"))
    return f'<input type="checkbox" class="task-box" disabled="disabled"{state} aria-label="{label}" />'
