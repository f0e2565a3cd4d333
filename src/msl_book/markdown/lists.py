"""pandoc's fancy_lists and example_lists: ordered lists numbered a. b., A) B), i. ii., (1) (2), #. and (@).

CommonMark numbers a list with digits only; pandoc also takes letters and roman numerals,
with a period, a closing parenthesis or both parentheses, and ``#.`` for "the next number".
The list's style and its first number come from its first marker; a marker of another style
or delimiter starts a new list. Following pandoc:

- ``i.`` / ``I.`` open a roman list, any other single letter an alphabetic one (so ``v.``
  is the 22nd letter); later items follow the list's own style (``i.`` after ``h.`` is 9);
- a capital letter with a period needs two spaces after it, so ``B. Russell wrote`` stays a
  paragraph;
- example items, ``(@)`` or ``(@label)``, are numbered on from one list to the next, across
  the book's chapters as pandoc numbers them across its input files (the chapter's parse
  starts from the count and labels of the chapters before it: ``ExampleState``), and
  ``(@label)`` anywhere in the text becomes that item's number: ``(3)``, also for an
  example of a later chapter (``REFERENCES``: every label of the book).

The rule is markdown-it-py's list rule (``rules_block/list.py``) with the marker parser
replaced. Digit and bullet lists are parsed exactly as before (a list starting with 1 may
interrupt a paragraph); a lettered or roman list may interrupt one only inside a list item,
where pandoc nests ``a.`` under ``1. First step`` without a blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.utils import isStrSpace
from markdown_it.rules_block.list import markTightParagraphs, skipBulletListMarker
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_core import StateCore

EXAMPLES = "msl_examples"  # state.env key: (count, {label: number}) so far
REFERENCES = "msl_example_references"  # state.env key: {label: number} of the whole book


@dataclass(frozen=True)
class ExampleState:
    """The example items numbered so far (a chapter's parse starts from those before it)."""

    count: int = 0
    labels: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, env: dict) -> ExampleState:
        count, labels = env.get(EXAMPLES, (0, {}))
        return cls(count, tuple(sorted(labels.items())))

    def env(self, references: tuple[tuple[str, int], ...] = ()) -> dict:
        env: dict = {EXAMPLES: (self.count, dict(self.labels))} if self.count else {}
        if references:
            env[REFERENCES] = dict(references)
        return env


NO_EXAMPLES = ExampleState()


ROMAN = re.compile(r"m{0,4}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})")
ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
LABEL = re.compile(r"[A-Za-z0-9_-]*")
PAGE = re.compile(r" +[0-9]")
MARKER = re.compile(r"(\()?([0-9]{1,9}|#|@[A-Za-z0-9_-]*|[A-Za-z]+)([.)])")
CODE_OR_REFERENCE = re.compile(r"(`+)[\s\S]*?(?<!`)\1(?!`)|\(@([A-Za-z0-9_-]+)\)")
HTML_TYPES = {"lower-alpha": "a", "upper-alpha": "A", "lower-roman": "i", "upper-roman": "I"}


@dataclass(frozen=True)
class Marker:
    style: str  # decimal, lower-alpha, upper-alpha, lower-roman, upper-roman, default (#), example (@)
    delimiter: str  # ".", ")" or "()"
    value: int | None  # None: "#" or "@", numbered from what comes before
    end: int  # the position after the marker
    label: str = ""  # an example's


def _roman(text: str) -> int | None:
    lower = text.lower()
    if not lower or not ROMAN.fullmatch(lower):
        return None
    total = 0
    for char, after in zip(lower, lower[1:] + " ", strict=True):
        value = ROMAN_VALUES[char]
        total += -value if ROMAN_VALUES.get(after, 0) > value else value
    return total


def _classify(body: str, style: str | None) -> tuple[str, int | None, str] | None:
    """(style, value, label) of a marker's text; ``style``: the list's, when continuing one."""
    candidates: list[tuple[str, int | None, str]] = []
    if body.isdigit() and len(body) <= 9:
        candidates.append(("decimal", int(body), ""))
    if body.startswith("@") and LABEL.fullmatch(body[1:]):
        candidates.append(("example", None, body[1:]))
    if body == "#":
        candidates.append(("default", None, ""))
    if len(body) == 1 and body.isascii() and body.isalpha():
        alpha = "lower-alpha" if body.islower() else "upper-alpha"
        roman = "lower-roman" if body.islower() else "upper-roman"
        if body in "iI":
            candidates.append((roman, 1, ""))
        candidates.append((alpha, ord(body.lower()) - ord("a") + 1, ""))
    cased = body.isascii() and body.isalpha() and (body.islower() or body.isupper())
    if cased and (value := _roman(body)) is not None:
        candidates.append(("lower-roman" if body.islower() else "upper-roman", value, ""))
    for candidate in candidates:
        if style is None or candidate[0] == style:
            return candidate
    for candidate in candidates:  # "#." continues any list, a number continues a "#." list
        if candidate[0] == "default" or (style == "default" and candidate[0] == "decimal"):
            return (style, candidate[1], candidate[2]) if candidate[0] == "default" else candidate
    return None


def parse_marker(state: StateBlock, line: int, style: str | None = None) -> Marker | None:
    """The ordered-list marker that starts ``line``, if any (tried on every line of every
    paragraph, as a list may end one: a regular expression first)."""
    src, pos, maximum = state.src, state.bMarks[line] + state.tShift[line], state.eMarks[line]
    found = MARKER.match(src, pos, maximum)
    if found is None:
        return None
    paren, body, delimiter = found.group(1), found.group(2), found.group(3)
    if paren and delimiter != ")":
        return None
    end = found.end()
    if end < maximum and not isStrSpace(src[end]):
        return None
    if body == "p" and delimiter == "." and PAGE.match(src, end, maximum):
        return None  # "p. 12 shows": a page, as pandoc reads it
    classified = _classify(body, style)
    if classified is None:
        return None
    kind, value, label = classified
    capital = kind == "upper-alpha" or (kind == "upper-roman" and len(body) == 1)
    if capital and delimiter == "." and src[end : end + 2] != "  " and not src.startswith("\t", end):
        return None  # "B. Russell": a capital and a period need two spaces to be a marker
    return Marker(kind, "()" if paren else delimiter, value, end, label)


def fancy_list(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it-py's ``list_block`` (0.x), with pandoc's ordered-list markers."""
    isTerminatingParagraph = False
    tight = True

    if state.is_code_block(startLine):
        return False
    if (
        state.listIndent >= 0
        and state.sCount[startLine] - state.listIndent >= 4
        and state.sCount[startLine] < state.blkIndent
    ):
        return False
    if silent and state.parentType == "paragraph" and state.sCount[startLine] >= state.blkIndent:
        isTerminatingParagraph = True

    marker = parse_marker(state, startLine)
    if marker is not None:
        isOrdered = True
        posAfterMarker = marker.end
        if isTerminatingParagraph:
            if marker.style == "decimal" and marker.delimiter != "()":
                if marker.value != 1:
                    return False  # as CommonMark: only a list from 1 interrupts a paragraph
            elif state.listIndent < 0:
                return False  # pandoc's markers interrupt a paragraph only inside a list item
    else:
        posAfterMarker = skipBulletListMarker(state, startLine)
        if posAfterMarker < 0:
            return False
        isOrdered = False

    if isTerminatingParagraph and state.skipSpaces(posAfterMarker) >= state.eMarks[startLine]:
        return False

    markerChar = state.src[posAfterMarker - 1]
    if silent:
        return True

    listTokIdx = len(state.tokens)
    if isOrdered:
        assert marker is not None
        token = state.push("ordered_list_open", "ol", 1)
        value = marker.value
        if marker.style == "example":
            count, labels = state.env.get(EXAMPLES, (0, {}))
            value = count + 1
        attrs: dict[str, str | int] = {}
        if value is not None and value != 1:
            attrs["start"] = value
        if marker.style in HTML_TYPES:
            attrs["type"] = HTML_TYPES[marker.style]
        if marker.style == "example":
            attrs["class"] = "example"
        token.attrs = attrs
        style = marker.style
    else:
        token = state.push("bullet_list_open", "ul", 1)
        style = ""

    token.map = listLines = [startLine, 0]
    token.markup = markerChar

    nextLine = startLine
    prevEmptyEnd = False
    terminatorRules = state.md.block.ruler.getRules("list")

    oldParentType = state.parentType
    state.parentType = "list"

    while nextLine < endLine:
        pos = posAfterMarker
        maximum = state.eMarks[nextLine]

        initial = offset = (
            state.sCount[nextLine] + posAfterMarker - (state.bMarks[startLine] + state.tShift[startLine])
        )

        while pos < maximum:
            ch = state.src[pos]
            if ch == "\t":
                offset += 4 - (offset + state.bsCount[nextLine]) % 4
            elif ch == " ":
                offset += 1
            else:
                break
            pos += 1

        contentStart = pos
        indentAfterMarker = 1 if contentStart >= maximum else offset - initial
        if indentAfterMarker > 4:
            indentAfterMarker = 1
        indent = initial + indentAfterMarker

        token = state.push("list_item_open", "li", 1)
        token.markup = markerChar
        token.map = itemLines = [startLine, 0]
        if isOrdered and marker is not None:
            token.info = state.src[state.bMarks[startLine] + state.tShift[startLine] : posAfterMarker - 1]
            if marker.style == "example":
                count, labels = state.env.get(EXAMPLES, (0, {}))
                if marker.label:
                    if marker.label in labels:  # reported at its line (markdown/checks.py)
                        token.meta["example_again"] = marker.label
                    labels = {**labels, marker.label: count + 1}
                state.env[EXAMPLES] = (count + 1, labels)

        oldTight = state.tight
        oldTShift = state.tShift[startLine]
        oldSCount = state.sCount[startLine]
        oldListIndent = state.listIndent
        state.listIndent = state.blkIndent
        state.blkIndent = indent

        state.tight = True
        state.tShift[startLine] = contentStart - state.bMarks[startLine]
        state.sCount[startLine] = offset

        if contentStart >= maximum and state.isEmpty(startLine + 1):
            state.line = min(state.line + 2, endLine)
        else:
            state.md.block.tokenize(state, startLine, endLine)

        if (not state.tight) or prevEmptyEnd:
            tight = False
        prevEmptyEnd = (state.line - startLine) > 1 and state.isEmpty(state.line - 1)

        state.blkIndent = state.listIndent
        state.listIndent = oldListIndent
        state.tShift[startLine] = oldTShift
        state.sCount[startLine] = oldSCount
        state.tight = oldTight

        token = state.push("list_item_close", "li", -1)
        token.markup = markerChar

        nextLine = startLine = state.line
        itemLines[1] = nextLine

        if nextLine >= endLine:
            break
        if state.sCount[nextLine] < state.blkIndent:
            break
        if state.is_code_block(startLine):
            break
        if any(rule(state, nextLine, endLine, True) for rule in terminatorRules):
            break

        if isOrdered:
            assert marker is not None
            following = parse_marker(state, nextLine, style)
            if following is None or following.delimiter != marker.delimiter:
                break  # another style or delimiter: another list
            marker = following
            posAfterMarker = following.end
        else:
            posAfterMarker = skipBulletListMarker(state, nextLine)
            if posAfterMarker < 0:
                break

        if markerChar != state.src[posAfterMarker - 1]:
            break

    token = state.push(
        "ordered_list_close" if isOrdered else "bullet_list_close", "ol" if isOrdered else "ul", -1
    )
    token.markup = markerChar

    listLines[1] = nextLine
    state.line = nextLine
    state.parentType = oldParentType

    if tight:
        markTightParagraphs(state, listTokIdx)
    return True


def _example_references(state: StateCore) -> None:
    """``(@label)`` of an example item in the book becomes its number, in parentheses,
    before the inline rules read the text (a citation's ``@key`` would take it); not in code."""
    labels = {**state.env.get(REFERENCES, {}), **state.env.get(EXAMPLES, (0, {}))[1]}
    if not labels:
        return

    def number(found: re.Match[str]) -> str:
        label = found.group(2)
        return found.group(0) if label is None or label not in labels else f"({labels[label]})"

    for token in state.tokens:
        if token.type == "inline" and "(@" in token.content:
            token.content = CODE_OR_REFERENCE.sub(number, token.content)


def fancy_lists_plugin(md: MarkdownIt) -> None:
    md.block.ruler.at("list", fancy_list, {"alt": ["paragraph", "reference", "blockquote"]})
    md.core.ruler.after("block", "example_references", _example_references)
