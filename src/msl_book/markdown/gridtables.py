"""pandoc's grid tables: cells drawn with ``+---+`` and ``|``, each cell any Markdown blocks.

    +-----------+-----------------------+
    | Step      | What to check         |
    +:==========+======================:+
    | Intake    | - the reporter        |
    |           | - the product         |
    +-----------+-----------------------+

Widths are counted as pandoc counts them (a wide CJK character is two columns). A row of
``=`` ends the header (a table without one has no header row); colons at the ends
of that row's segments (or the top border's, without a header) align the columns, as in a
pipe table. Each cell is parsed as Markdown blocks (lists, several paragraphs, code); a cell
that is one paragraph is written without its ``<p>``, like a pipe table's. The tokens are a
pipe table's, so captions (``Table: …``), ids and the themes treat both alike. Merged cells
(pandoc 3's row and column spans) are not read: such a table, or one whose ``+`` and ``|``
are out of line, is an error at its first line.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from itertools import pairwise

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.token import Token

BORDER = re.compile(r"\+(?:[-=:]+\+)+")
UNREAD = "grid_table_unread"  # the token of a grid this rule cannot read


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()


def _aligns(border: str, columns: list[int]) -> list[str]:
    aligns = []
    for left, right in pairwise(columns):
        segment = border[left + 1 : right]
        start, end = segment.startswith(":"), segment.endswith(":")
        aligns.append("center" if start and end else "right" if end else "left" if start else "")
    return aligns


def _columns(text: str) -> list[str]:
    """The line as display columns, as pandoc counts them: an East Asian wide character
    takes two (the second ""), a combining mark none (it joins the character before)."""
    slots: list[str] = []
    for char in text:
        if unicodedata.combining(char) and slots:
            slots[-1] += char
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            slots += [char, ""]
        else:
            slots.append(char)
    return slots


def _rows(lines: list[str], columns: list[int]) -> tuple[list[tuple[int, list[str]]], int] | None:
    """(index of its first line, its cells' text) of every row, and how many rows the header
    has (0 or 1); None when the lines are not a table this rule reads (a border out of line,
    a merged cell, a table foot)."""
    rows: list[tuple[int, list[str]]] = []
    current: list[list[str]] = []
    first = 0
    header = 0
    width = columns[-1] + 1
    for index, line in enumerate(lines):
        text = _columns(line)
        if len(text) != width:
            return None
        if text[0] == "+":
            if not BORDER.fullmatch(line) or any(text[c] != "+" for c in columns):
                return None
            if index:
                if not current:
                    return None
                rows.append((first, ["\n".join(cell) for cell in current]))
                current = []
            if "=" in line:
                if header or index == 0 or index == len(lines) - 1:
                    return None
                header = len(rows)
            continue
        if any(text[c] != "|" for c in columns):
            return None  # a cell across columns
        if not current:
            current, first = [[] for _ in columns[1:]], index
        for cell, (left, right) in zip(current, pairwise(columns), strict=True):
            cell.append("".join(text[left + 1 : right]).rstrip())  # no hard line breaks from the padding
    if current or header > 1:
        return None
    return [(at, [textwrap.dedent(cell).strip("\n") for cell in row]) for at, row in rows], header


def grid_table(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    if state.is_code_block(startLine):
        return False
    top = _line(state, startLine)
    if not BORDER.fullmatch(top) or "=" in top:
        return False
    lines, line = [], startLine
    while line < endLine and state.sCount[line] == state.sCount[startLine]:
        text = _line(state, line)
        if not text or text[0] not in "+|":
            break
        lines.append(text)
        line += 1
    columns = [i for i, char in enumerate(top) if char == "+"]
    parsed = _rows(lines, columns) if len(lines) >= 3 and lines[-1].startswith("+") else None
    if silent:
        return parsed is not None
    if parsed is None:
        if len(lines) < 2:
            return False  # a line of +---+ alone: a paragraph, as before
        token = state.push(UNREAD, "", 0)  # reported at its line (markdown/checks.py)
        token.map, token.content = [startLine, line], "\n".join(lines)
        state.line = line
        return True
    rows, header = parsed
    separator = next((text for text in lines if text.startswith("+") and "=" in text), top)
    aligns = _aligns(separator, columns)
    end = line

    def push(kind: str, tag: str, nesting: int) -> Token:
        token = state.push(kind, tag, nesting)
        token.map = [startLine, end]
        return token

    push("table_open", "table", 1)
    for index, (at, row) in enumerate(rows):
        if index == 0:
            push("thead_open" if header else "tbody_open", "thead" if header else "tbody", 1)
        elif index == header and header:
            push("thead_close", "thead", -1)
            push("tbody_open", "tbody", 1)
        push("tr_open", "tr", 1)
        cell_tag = "th" if index < header else "td"
        for text, align in zip(row, aligns, strict=True):
            token = push(f"{cell_tag}_open", cell_tag, 1)
            if align:
                token.attrs = {"style": f"text-align:{align}"}
            _cell(state, text, startLine + at)
            push(f"{cell_tag}_close", cell_tag, -1)
        push("tr_close", "tr", -1)
    if len(rows) > header:
        push("tbody_close", "tbody", -1)
    else:
        push("thead_close", "thead", -1)  # a table of one header row
    push("table_close", "table", -1)
    state.line = end
    return True


def _cell(state: StateBlock, text: str, first: int) -> None:
    """The cell's blocks, as tokens of the table, at their lines (its row's ``first`` line
    on); one paragraph loses its <p>."""
    if not text.strip():
        return
    tokens: list[Token] = []
    state.md.block.parse(text, state.md, state.env, tokens)
    for token in tokens:
        token.level += state.level
        if token.map is not None:
            token.map = [first + token.map[0], first + token.map[1]]
    kinds = [t.type for t in tokens]
    if kinds == ["paragraph_open", "inline", "paragraph_close"]:
        tokens[0].hidden = tokens[2].hidden = True
    state.tokens.extend(tokens)


def grid_tables_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before("table", "grid_table", grid_table)
    md.add_render_rule(
        UNREAD, lambda self, tokens, idx, options, env: f"<pre>{escapeHtml(tokens[idx].content)}</pre>\n"
    )
