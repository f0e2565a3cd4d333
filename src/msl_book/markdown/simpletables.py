"""pandoc's simple tables: columns lined up under a row of dashes, one line a row.

      Right     Left     Center     Default
    -------     ------ ----------   -------
         12     12        12            12
        123     123       123          123

The row of dashes has two groups or more (one group under a line of text is a Setext
heading); each cell runs from its column's dashes to the next column's. A header cell's
place against its dashes aligns the column, as pandoc reads it: flush right, right; flush
left, left; flush on neither side, centred; on both, the default. Without a header the
table starts and ends with a row of dashes, and the first row aligns it. The table ends at a
blank line. The tokens are a pipe table's, so captions (``Table: …``), ids and the themes
treat every table alike. pandoc's multiline tables are not read.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.token import Token

from .gridtables import _columns

DASHES = re.compile(r"-+")
SEPARATOR = re.compile(r" *-+(?: +-+)+ *")


def _groups(line: str) -> list[tuple[int, int]]:
    slots = "".join(c if c else "\0" for c in _columns(line))  # display columns, one char each
    return [m.span() for m in DASHES.finditer(slots)]


def _cells(line: str, groups: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """(text, first column, end column) of each cell: from its dashes to the next column's."""
    slots = _columns(line)
    cells = []
    for i, (start, _end) in enumerate(groups):
        begin = 0 if i == 0 else start
        stop = groups[i + 1][0] if i + 1 < len(groups) else len(slots)
        chunk = slots[begin:stop]
        filled = [k for k, c in enumerate(chunk) if c == "" or c.strip()]
        if not filled:
            cells.append(("", start, start))
            continue
        cells.append(("".join(chunk).strip(), begin + filled[0], begin + filled[-1] + 1))
    return cells


def _aligns(cells: list[tuple[str, int, int]], groups: list[tuple[int, int]]) -> list[str]:
    aligns = []
    for (text, first, last), (start, end) in zip(cells, groups, strict=True):
        if not text:
            aligns.append("")
            continue
        left, right = first <= start, last >= end  # text past its dashes counts as flush
        aligns.append("" if left and right else "left" if left else "right" if right else "center")
    return aligns


def _raw(state: StateBlock, line: int) -> str:
    """The line as written, less the indent of the block it is in (a table keeps its columns)."""
    text = state.src[state.bMarks[line] : state.eMarks[line]].rstrip()
    indent = state.blkIndent
    return text[indent:] if not indent or text[:indent].isspace() else text.lstrip()


def simple_table(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    if state.is_code_block(startLine) or startLine + 1 >= endLine:
        return False
    first = _raw(state, startLine)
    headerless = bool(SEPARATOR.fullmatch(first))
    head, rule_line = (None, startLine) if headerless else (startLine, startLine + 1)
    rule = _raw(state, rule_line)
    if not SEPARATOR.fullmatch(rule) or (not headerless and (not first.strip() or state.isEmpty(rule_line))):
        return False
    groups = _groups(rule)
    rows, line, closed = [], rule_line + 1, False
    while line < endLine and not state.isEmpty(line):
        text = _raw(state, line)
        if headerless and SEPARATOR.fullmatch(text):  # the closing row of dashes
            line, closed = line + 1, True
            break
        rows.append((line, text))
        line += 1
    if headerless and (not closed or not rows):
        return False  # rows of dashes and text, but no table: as before
    if silent:
        return True
    header = _cells(_raw(state, head), groups) if head is not None else None
    aligns = _aligns(header or _cells(rows[0][1], groups), groups)
    end = line

    def push(kind: str, tag: str, nesting: int, at: int) -> Token:
        token = state.push(kind, tag, nesting)
        token.map = [at, at + 1] if nesting >= 0 else None
        return token

    push("table_open", "table", 1, startLine).map = [startLine, end]
    body = [(at, _cells(text, groups)) for at, text in rows]
    for part, cell, lines in (
        ("thead", "th", [(head, header)] if header else []),
        ("tbody", "td", body),
    ):
        if not lines:
            continue
        push(f"{part}_open", part, 1, lines[0][0])
        for at, cells in lines:
            push("tr_open", "tr", 1, at)
            for (text, _first, _last), align in zip(cells, aligns, strict=True):
                token = push(f"{cell}_open", cell, 1, at)
                if align:
                    token.attrs = {"style": f"text-align:{align}"}
                inline = push("inline", "", 0, at)
                inline.content, inline.children = text, []
                push(f"{cell}_close", cell, -1, at)
            push("tr_close", "tr", -1, at)
        push(f"{part}_close", part, -1, lines[-1][0])
    push("table_close", "table", -1, end)
    state.line = end
    return True


def simple_tables_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before("table", "simple_table", simple_table)
