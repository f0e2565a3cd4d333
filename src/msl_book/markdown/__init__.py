"""Markdown -> tokens -> XHTML fragments, with the source line of everything that can be wrong.

The dialect is pandoc's Markdown, as far as books use it: CommonMark with pipe and grid
tables (``gridtables.py``),
footnotes, definition lists, lettered, roman and example lists (``lists.py``), attributes
(``attributes.py``), fenced divs (``divs.py``), bracketed spans, superscript, subscript,
strikeout, citations (``citations.py``), raw HTML made safe (``safety.py``) and raw
LaTeX left out (``rawtex.py``).
Parsing and rendering are separate steps so that ids can be assigned across the whole book
before any HTML is written. Nothing here reads files or knows about output formats.
"""

from __future__ import annotations

import pickle
import re
from collections import OrderedDict
from collections.abc import Callable
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

from .. import collector
from ..errors import Report
from ..l10n import Strings
from . import render
from .attributes import attributes_plugin
from .blocks import blocks_plugin
from .checks import ParsedText, Ref, check_footnotes, check_heading_levels, scan
from .citations import citations_plugin
from .code import code_plugin
from .divs import divs_plugin
from .gridtables import grid_tables_plugin
from .headerrefs import header_refs_plugin
from .htmlblocks import html_blocks_plugin
from .lists import NO_EXAMPLES, ExampleState, fancy_lists_plugin
from .math import math_plugin
from .rawtex import rawtex_plugin
from .simpletables import simple_tables_plugin
from .texmacros import texmacros_plugin
from .typography import typography_plugin

__all__ = ["ExampleState", "Markdown", "ParsedText", "Ref", "make_parser", "shared_markdown"]


KEPT_CHAPTERS = 400  # parsed chapters a process keeps
# what an example item or a reference to one may look like: (@), (@label), @. and @label)
EXAMPLE_HINT = re.compile(r"\(@|(?:^|\s)@[\w-]*[.)](?:\s|$)", re.MULTILINE)


def make_parser() -> MarkdownIt:
    """CommonMark plus pandoc's extensions."""
    md = MarkdownIt("commonmark", {"typographer": True, "xhtmlOut": True, "html": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin, inline=True, move_to_end=True)
    md.use(deflist_plugin)
    md.use(fancy_lists_plugin)
    md.use(grid_tables_plugin)
    md.use(simple_tables_plugin)
    md.use(html_blocks_plugin)
    md.use(sub_plugin)
    md.use(superscript_plugin)
    md.use(attributes_plugin)
    md.use(citations_plugin)
    md.use(divs_plugin)
    md.use(blocks_plugin)
    md.use(math_plugin)
    md.use(rawtex_plugin)
    md.use(texmacros_plugin)
    md.use(code_plugin)
    md.use(typography_plugin)
    md.use(header_refs_plugin)
    render.add_rules(md)
    # markdown-it leaves a file: or data: URL as literal text; the references pass says why
    # it cannot be used instead, at its line.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


class Markdown:
    """Parses chapter bodies and front-matter strings; renders them once ids are assigned."""

    def __init__(self) -> None:
        self.md = make_parser()
        # a chapter's tokens, pickled (later passes change them; unpickling is three times as
        # fast as parsing): a live process (build --watch) parses each version of a chapter once
        # (with the example items before it and the book's example labels, as they were)
        self._parsed: OrderedDict[tuple, tuple[bytes, ExampleState]] = OrderedDict()
        # the chapters parsed (or taken from the cache) since spares were last made, and the
        # copies of their tokens made ahead, while a live process waited for a save
        self._asked: dict[tuple, None] = {}
        self._spares: dict[tuple, list] = {}

    def _tokens(
        self, text: str, examples: ExampleState, references: tuple[tuple[str, int], ...]
    ) -> tuple[list, ExampleState]:
        """The tokens of a chapter body, and the example items numbered after it."""
        if not EXAMPLE_HINT.search(text):  # no example item and no reference to one: the same tokens
            return self._parse(text, NO_EXAMPLES, ())[0], examples
        tokens, after = self._parse(text, examples, ())
        own = {label for label, _ in after.labels}  # this chapter's and those before it
        if any(f"(@{label})" in text for label, _ in references if label not in own):
            tokens = self._parse(text, examples, references)[0]  # it names a later chapter's
        return tokens, after

    def _parse(
        self, text: str, examples: ExampleState, references: tuple[tuple[str, int], ...], tokens: bool = True
    ) -> tuple[list, ExampleState]:
        """The tokens (none without ``tokens``: only the example items are wanted) and
        the example items numbered after them."""
        key = (text, examples, references)
        if (hit := self._parsed.get(key)) is not None:
            self._parsed.move_to_end(key)
            if not tokens:
                return [], hit[1]
            self._asked[key] = None
            spare = self._spares.pop(key, None)
            return (pickle.loads(hit[0]) if spare is None else spare), hit[1]
        self._asked[key] = None
        env = examples.env(references)
        tokens = self.md.parse(text, env)
        after = ExampleState.of(env)
        self._parsed[key] = (pickle.dumps(tokens, protocol=pickle.HIGHEST_PROTOCOL), after)
        while len(self._parsed) > KEPT_CHAPTERS:
            gone = self._parsed.popitem(last=False)[0]
            self._asked.pop(gone, None)  # a process that never makes spares keeps no more
            self._spares.pop(gone, None)
        return tokens, after

    def make_spares(self, busy: Callable[[], bool]) -> int:
        """While a live process waits for the next save (build --watch, serve's paged
        view): unpickle now, for every chapter the builds since the last call parsed, the
        copy of its tokens the next build takes (the passes change tokens, so each build
        needs its own: 0.45 s of a live rebuild of the 1,000-page benchmark book went to
        unpickling them). Stops as soon as ``busy()`` (a save came); returns how many
        copies are ready."""
        asked, self._asked = self._asked, {}
        self._spares = {key: tokens for key, tokens in self._spares.items() if key in asked}
        with collector.paused():  # as when reading the book
            for key in asked:
                if busy():
                    break
                if key not in self._spares and (hit := self._parsed.get(key)) is not None:
                    self._spares[key] = pickle.loads(hit[0])
        return len(self._spares)

    def examples_after(self, text: str, examples: ExampleState = NO_EXAMPLES) -> ExampleState:
        """The example items numbered once ``text`` (a chapter body) is parsed after ``examples``."""
        if not EXAMPLE_HINT.search(text):  # nothing to parse for: no example item
            return examples
        return self._parse(text, examples, (), tokens=False)[1]

    def parse_body(
        self,
        text: str,
        path: str,
        first_line: int,
        report: Report,
        examples: ExampleState = NO_EXAMPLES,
        references: tuple[tuple[str, int], ...] = (),
    ) -> ParsedText:
        """A chapter body's tokens, checked; its example items numbered on from ``examples``,
        and ``(@label)`` of any of ``references`` (the book's) replaced by its number."""
        tokens = self._tokens(text, examples, references)[0]
        parsed = ParsedText(tokens=tokens, inline=False)
        scan(tokens, parsed, path, first_line, report)
        check_footnotes(text, tokens, path, first_line, report)
        check_heading_levels(parsed.headings, path, report)
        return parsed

    def parse_inline(self, text: str, path: str, line: int, report: Report) -> ParsedText:
        env: dict[str, Any] = {}
        tokens = self.md.parseInline(text, env)
        parsed = ParsedText(tokens=tokens, inline=True)
        scan(tokens, parsed, path, line, report, fixed_line=True)
        return parsed

    def render(self, parsed: ParsedText, doc_id: str, strings: Strings) -> str:
        env = {"docId": doc_id, "strings": strings}
        if parsed.inline:
            return self.md.renderer.render(parsed.tokens[0].children or [], self.md.options, env)
        return self.md.renderer.render(parsed.tokens, self.md.options, env)


@cache
def shared_markdown() -> Markdown:
    """One parser for the process: building it (plugins, rules) costs more than a chapter."""
    return Markdown()
