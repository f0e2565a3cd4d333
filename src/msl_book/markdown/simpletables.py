"""pandoc's simple and multiline tables: columns lined up under a row of dashes.

      Right     Left     Center     Default
    -------     ------ ----------   -------
         12     12        12            12
        123     123       123          123

The row of dashes has two groups or more (one group under a line of text is a Setext
heading); each cell runs from its column's dashes to the next column's. A header cell's
place against its dashes aligns the column, as pandoc reads it: flush right, right; flush
left, left; flush on neither side, centred; on both, the default. Without a header the
table starts and ends with a row of dashes, and the first row aligns it. The table ends at a
blank line. pandoc's multiline tables (``multiline_table``) run between two rows of dashes,
with a header of one line or more and rows of several lines apart by blank lines; a cell's
lines are joined. The tokens are a pipe table's, so captions (``Table: …``), ids and the
themes treat every table alike.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.token import Token

from .gridtables import _columns

DASHES = re.compile(r"-+")
SEPARATOR = re.compile(r" *-+(?: +-+)+ *")
FULL = re.compile(r" *-{3,} *")  # a multiline table's first and last rows


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
    if not rows or (headerless and not closed):
        return False  # a line over a spaced rule, or rules around text: no table, as in pandoc
    if silent:
        return True
    header = _cells(_raw(state, head), groups) if head is not None else None
    body = [(at, _cells(text, groups)) for at, text in rows]
    _emit(state, groups, startLine, line, (head, header) if header else None, body)
    return True


def _merged(lines: list[str], groups: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """A multiline row's cells: each column's lines joined, and its text's widest extent."""
    per_line = [_cells(text, groups) for text in lines]
    cells = []
    for column in zip(*per_line, strict=True):
        filled = [c for c in column if c[0]]
        text = " ".join(c[0] for c in filled)
        cells.append((text, min(c[1] for c in filled), max(c[2] for c in filled)) if filled else ("", 0, 0))
    return cells


def multiline_table(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """pandoc's multiline tables: between two rows of dashes, a header of one line or more
    above a row of dash groups, rows of several lines apart by blank lines (without a
    header: between two rows of dash groups, the first row right after the first)."""
    if state.is_code_block(startLine) or startLine + 2 >= endLine:
        return False
    first = _raw(state, startLine)
    if SEPARATOR.fullmatch(first):
        head_lines, rule_line = [], startLine
    elif FULL.fullmatch(first):
        line = startLine + 1
        while line < endLine and not state.isEmpty(line) and not SEPARATOR.fullmatch(_raw(state, line)):
            line += 1
        if line == startLine + 1 or line >= endLine or state.isEmpty(line):
            return False
        head_lines, rule_line = list(range(startLine + 1, line)), line
    else:
        return False
    if rule_line + 1 >= endLine or state.isEmpty(rule_line + 1):
        return False
    groups = _groups(_raw(state, rule_line))
    rows: list[list[int]] = [[]]
    line, closed = rule_line + 1, False
    while line < endLine:
        if state.isEmpty(line):
            if rows[-1]:
                rows.append([])
            line += 1
            continue
        text = _raw(state, line)
        if FULL.fullmatch(text) or (not head_lines and SEPARATOR.fullmatch(text)):
            line, closed = line + 1, True
            break
        rows[-1].append(line)
        line += 1
    rows = [r for r in rows if r]
    if not closed or not rows or (not head_lines and len(rows) < 2 and not _spans_lines(rows)):
        return False  # a headerless table of one-line rows is a simple table
    if silent:
        return True
    header = _merged([_raw(state, n) for n in head_lines], groups) if head_lines else None
    body = [(r[0], _merged([_raw(state, n) for n in r], groups)) for r in rows]
    _emit(state, groups, startLine, line, (head_lines[0], header) if header else None, body)
    return True


def _spans_lines(rows: list[list[int]]) -> bool:
    return any(len(r) > 1 for r in rows)


def _emit(
    state: StateBlock,
    groups: list[tuple[int, int]],
    startLine: int,
    end: int,
    head: tuple[int, list[tuple[str, int, int]]] | None,
    body: list[tuple[int, list[tuple[str, int, int]]]],
) -> None:
    """A pipe table's tokens: the header cells (aligning the columns) or, without, the first
    row's."""
    aligns = _aligns(head[1] if head else body[0][1], groups)

    def push(kind: str, tag: str, nesting: int, at: int) -> Token:
        token = state.push(kind, tag, nesting)
        token.map = [at, at + 1] if nesting >= 0 else None
        return token

    push("table_open", "table", 1, startLine).map = [startLine, end]
    for part, cell, lines in (("thead", "th", [head] if head else []), ("tbody", "td", body)):
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


def _headed(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    return not SEPARATOR.fullmatch(_raw(state, startLine)) and simple_table(state, startLine, endLine, silent)


def _headerless(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    return bool(SEPARATOR.fullmatch(_raw(state, startLine))) and simple_table(
        state, startLine, endLine, silent
    )


def simple_tables_plugin(md: MarkdownIt) -> None:
    # a table that starts with a row of dashes is tried before the rule it would otherwise be
    # (hr); one with a header after every rule that takes its first line (fenced code, a
    # block quote, a list item, HTML, an ATX heading), where a paragraph would start
    md.block.ruler.before("hr", "multiline_table", multiline_table)
    md.block.ruler.before("hr", "simple_table_headerless", _headerless)
    md.block.ruler.before("lheading", "simple_table", _headed)
