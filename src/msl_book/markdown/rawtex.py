"""pandoc's raw_tex: a LaTeX command in the text (``\\vspace{1cm}``, ``\\textbf{x}``) is raw TeX,
which pandoc keeps for LaTeX output and leaves out of HTML and EPUB.

CommonMark prints it as written, backslash and all. Here it is a ``raw_tex`` token, left
out of both editions with a warning at its line (markdown/checks.py), except that a
paragraph of page breaks only (``\\newpage``, ``\\pagebreak``, ``\\clearpage``,
``\\cleardoublepage``: what authors write for the PDF) is a page break in print
(``page_break``, ``<div class="page-break">``; the EPUB ignores it, as reflowed text has no
pages to break).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

# \name, a star, then [options] and {arguments} (one level of braces inside), as pandoc reads them
COMMAND = re.compile(r"\\([A-Za-z]+)\*?((?:[ \t]*\[[^\]\n]*\])*(?:\{(?:[^{}\n]|\{[^{}\n]*\})*\})*)[ \t]*")
PAGE_BREAKS = frozenset({"newpage", "pagebreak", "clearpage", "cleardoublepage"})


def raw_tex(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "\\":
        return False
    m = COMMAND.match(state.src, state.pos, state.posMax)
    if not m:
        return False
    if not silent:
        token = state.push("raw_tex", "", 0)
        token.content = m[0].rstrip()
        token.meta["command"] = m[1]
    state.pos = m.end()
    return True


def page_breaks(state: StateCore) -> None:
    """A paragraph of nothing but page-break commands becomes a page break."""
    tokens = state.tokens
    for i in range(len(tokens) - 2, 0, -1):
        inline = tokens[i]
        if tokens[i - 1].type != "paragraph_open" or inline.type != "inline" or not inline.children:
            continue
        kept = [c for c in inline.children if c.type not in ("softbreak", "hardbreak")]
        if not all(c.type == "raw_tex" and c.meta["command"] in PAGE_BREAKS for c in kept):
            continue
        token = Token("page_break", "div", 0)
        token.map, token.block = tokens[i - 1].map, True
        tokens[i - 1 : i + 2] = [token]


def rawtex_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("escape", "raw_tex", raw_tex)
    md.core.ruler.after("inline", "page_breaks", page_breaks)
    md.add_render_rule("raw_tex", lambda *a: "")
    md.add_render_rule("page_break", lambda *a: '<div class="page-break"></div>\n')
