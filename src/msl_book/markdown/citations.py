"""pandoc's citation syntax for markdown-it: ``[@key]``, ``[see @a, p. 33; @b]``, ``[-@key]``,
narrative ``@key`` (with an optional locator, ``@key [p. 33]``).

The rules follow pandoc's Markdown reader (``citeKey``, ``normalCite``, ``textualCite``):

- a key starts with a letter, digit or ``_`` and may contain single internal punctuation
  (``:.#$%&-+?<>~/``): in ``@smith2020.`` the key is ``smith2020``; ``@{…}`` takes any
  characters but spaces;
- an ``@`` right after a letter or digit (``me@example.org``) starts no citation, nor does one
  in code, math, a URL or after a backslash (``\\@``);
- brackets are a citation when every part between ``;`` holds one key; when they are also a
  link (``[@a](url)``, a defined ``[@a][ref]``) or a span (``[@a]{.c}``), those win, as in
  pandoc, and the key inside is a narrative citation.

Each citation becomes one ``citation`` token with its items; it is written as an empty
``<span class="citation">`` that carries them (``data-citation``) and its line, for the
citations pass to resolve once the whole book is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline import link as link_rule
from markdown_it.token import Token

_SIMPLE = r"[^\W](?:[^\W]|[:.#$%&\-+?<>~/](?=[^\W])|[:/](?=/))*"
_KEY = re.compile(rf"(-?)@(?:({_SIMPLE})|\{{([^\s{{}}]+)\}})")
_BARELOC = re.compile(r"[ \t]*\n?[ \t]*\[")

NORMAL, AUTHOR_IN_TEXT, SUPPRESS_AUTHOR = "NormalCitation", "AuthorInText", "SuppressAuthor"


def citations_plugin(md: MarkdownIt) -> None:
    # after pandoc_span (``[@a]{.c}`` is a span) and before link (which is tried first for
    # ``[@a](url)`` by the rule itself)
    md.inline.ruler.before("link", "citation", _bracketed)
    md.inline.ruler.before("emphasis", "citation_textual", _textual)
    md.add_render_rule("citation", _render)


def keys_at(text: str, start: int = 0) -> re.Match[str] | None:
    """The first citation key in ``text`` from ``start`` that may start a citation."""
    for m in _KEY.finditer(text, start):
        if m.start() == 0 or not text[m.start() - 1].isalnum():
            return m
    return None


def _key(m: re.Match[str]) -> str:
    return m[2] or m[3]


def _typography(text: str) -> str:
    """pandoc's smart dashes in a prefix or suffix (``pp. 10--12``)."""
    return text.replace("---", "\u2014").replace("--", "\u2013")


def _suffix(raw: str) -> str:
    """As pandoc keeps it: a suffix written after a space starts with one (``@a p. 3``)."""
    rest = " ".join(raw.split())
    return _typography(f" {rest}" if rest and raw[:1].isspace() else rest)


def parse_items(content: str) -> list[dict[str, str]] | None:
    """The items of ``[content]`` if every ``;``-separated part is a citation, else None."""
    items = []
    for part in content.split(";"):
        m = keys_at(part)
        if m is None:
            return None
        items.append(
            {
                "key": _key(m),
                "prefix": _typography(" ".join(part[: m.start()].split())),
                "suffix": _suffix(part[m.end() :]),
                "mode": SUPPRESS_AUTHOR if m[1] else NORMAL,
            }
        )
    return items


def _is_link(state: StateInline) -> bool:
    """Whether markdown-it reads the brackets at ``state.pos`` as a link."""
    pos, pending = state.pos, state.pending
    try:
        return link_rule(state, True)
    finally:
        state.pos, state.pending = pos, pending


def _bracketed(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if src[start] != "[" or start + 1 >= state.posMax or src[start + 1] == "^":
        return False
    end = state.md.helpers.parseLinkLabel(state, start, False)
    if end < 0:
        return False
    items = parse_items(src[start + 1 : end])
    if items is None or _is_link(state):
        return False
    if not silent:
        token = state.push("citation", "span", 0)
        token.content = src[start : end + 1]
        token.meta["items"] = items
    state.pos = end + 1
    return True


def _textual(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if src[start] not in "@-" or (start and src[start - 1].isalnum()):
        return False
    m = _KEY.match(src, start, state.posMax)
    if m is None:
        return False
    item = {"key": _key(m), "prefix": "", "suffix": "", "mode": SUPPRESS_AUTHOR if m[1] else AUTHOR_IN_TEXT}
    items, pos = [item], m.end()
    if (loc := _BARELOC.match(src, pos, state.posMax)) and src[loc.end() : loc.end() + 1] != "^":
        opening = loc.end() - 1
        state.pos = opening
        end = state.md.helpers.parseLinkLabel(state, opening, False)
        state.pos = start
        after = src[end + 1 : end + 2] if end >= 0 else ""
        if end >= 0 and after not in ("[", "("):
            first, *rest = src[opening + 1 : end].split(";", 1)
            more = parse_items(rest[0]) if rest else []
            if keys_at(first) is None and more is not None:
                item["suffix"] = _suffix(first)
                items += more
                pos = end + 1
    if not silent:
        token = state.push("citation", "span", 0)
        token.content = src[start:pos]
        token.meta["items"] = items
    state.pos = pos
    return True


def _render(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    data = escapeHtml(json.dumps(tok.meta["items"], ensure_ascii=False, separators=(",", ":")))
    line = f' data-line="{tok.meta["line"]}"' if tok.meta.get("line") else ""
    source = escapeHtml(tok.content)
    return f'<span class="citation" data-citation="{data}" data-source="{source}"{line}></span>'
