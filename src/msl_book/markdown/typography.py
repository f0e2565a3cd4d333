"""Dashes and ellipses as pandoc's ``smart`` extension makes them, everywhere text is.

markdown-it's ``replacements`` rule does more than pandoc: ``(c)`` becomes ©, ``(r)`` ®,
``(tm)`` ™, ``+-`` ±, two dots an ellipsis, ``,,`` a comma. A list of options "(a), (b) and
(c)" then printed "(a), (b) and ©", and a grid table's ``+---+`` border "±--+". pandoc turns
only ``---`` into an em dash, ``--`` into an en dash and ``...`` into an ellipsis (its quotes
are ``smartquotes``'), so ``replacements`` is replaced by that (``pandoc_replacements``).

markdown-it's ``replacements`` and ``smartquotes`` rules visit the children of inline tokens
but not the children of an image inside them, so a figure caption written as the image's
description (``![Cases -- by "region"](x.svg)``, pandoc's way) kept ``--`` and straight
quotes. ``image_typography`` runs both on every image's description.

A backslash before a space is pandoc's non-breaking space (``5\\ mg``); CommonMark keeps
the backslash (``escaped_space``).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore, smartquotes
from markdown_it.rules_core.replacements import EM_DASH_RE, EN_DASH_INDENT_RE, EN_DASH_RE
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

NEEDED = re.compile(r"--|\.\.\.")
ELLIPSIS = re.compile(r"\.\.\.")


def typography_plugin(md: MarkdownIt) -> None:
    md.core.ruler.at("replacements", pandoc_replacements)
    md.core.ruler.after("smartquotes", "image_typography", _image_typography)
    md.inline.ruler.before("escape", "escaped_space", escaped_space)


def escaped_space(state: StateInline, silent: bool) -> bool:
    """``\\ `` (a backslash and a space): a non-breaking space, as in pandoc."""
    pos = state.pos
    if state.src[pos] != "\\" or pos + 1 >= state.posMax or state.src[pos + 1] != " ":
        return False
    if not silent:
        state.push("text", "", 0).content = "\u00a0"
    state.pos = pos + 2
    return True


def pandoc_replacements(state: StateCore) -> None:
    """``---`` —, ``--`` –, ``...`` … in text, not in code or autolinks (markdown-it's rule,
    without what pandoc does not do)."""
    if not state.md.options.typographer:
        return
    for token in state.tokens:
        if token.type == "inline" and token.children and NEEDED.search(token.content):
            _replace(token.children)


def _replace(children: list[Token]) -> None:
    inside_autolink = 0
    for token in children:
        if token.type == "text" and not inside_autolink and NEEDED.search(token.content):
            text = ELLIPSIS.sub("\u2026", token.content)
            text = EM_DASH_RE.sub("\\1\u2014", text)
            text = EN_DASH_RE.sub("\\1\u2013", text)
            token.content = EN_DASH_INDENT_RE.sub("\\1\u2013", text)
        if token.type == "link_open" and token.info == "auto":
            inside_autolink -= 1
        if token.type == "link_close" and token.info == "auto":
            inside_autolink += 1


def _image_typography(state: StateCore) -> None:
    for token in state.tokens:
        for child in token.children or []:
            if child.type == "image" and child.children:
                inline = Token("inline", "", 0, content=child.content, children=child.children)
                sub = StateCore("", state.md, state.env, [inline])
                pandoc_replacements(sub)  # it looks at the content first, then changes the children
                smartquotes(sub)
