"""The candidates for pandoc's implicit header references: ``[Heading text]``,
``[Heading text][]`` and ``[link text][Heading text]`` that are not links.

Markdown leaves them as text; whether one names a heading is known only once the whole
book is read (passes/headerrefs.py). Here each is marked where it stands, as a span of class
``implicit-ref`` holding its text as written, with the label in ``data-label``; the pass
makes it a link or takes the span away. Brackets written with a backslash (``\\[Summary\\]``)
are text, as in pandoc, and so are those in a heading.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

CANDIDATE = re.compile(r"\[([^\[\]\n]+)\](?:\[([^\[\]\n]*)\])?")
CLASS = "implicit-ref"


def mark(state: StateCore) -> None:
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "inline" or not token.children or (i and tokens[i - 1].type == "heading_open"):
            continue
        if not any(c.type == "text" and "[" in c.content for c in token.children):
            continue
        children: list[Token] = []
        for child in token.children:
            if child.type != "text" or "[" not in child.content:  # an escaped [ is text_special
                children.append(child)
                continue
            text, at = child.content, 0
            for m in CANDIDATE.finditer(text):
                if m.start() > at:
                    children.append(_text(text[at : m.start()], child))
                opened = Token("implicit_ref_open", "span", 1)
                opened.attrs = {"class": CLASS, "data-label": m[2] or m[1], "data-text": m[1]}
                children += [opened, _text(m[0], child), Token("implicit_ref_close", "span", -1)]
                at = m.end()
            if at < len(text):
                children.append(_text(text[at:], child))
        token.children = children


def _text(content: str, like: Token) -> Token:
    token = Token("text", "", 0)
    token.content, token.level = content, like.level
    return token


def header_refs_plugin(md: MarkdownIt) -> None:
    md.core.ruler.before("text_join", "implicit_header_refs", mark)
