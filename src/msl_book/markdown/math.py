"""TeX math, as pandoc reads it: ``$…$`` inline, ``$$…$$`` displayed, ``{#eq-…}`` after a
displayed equation to number it (Quarto's syntax).

The model keeps math as MathML (latex2mathml), the standard both outputs start from: the
EPUB shows it as it is, the PDF draws it (renderers/pdf/math.py). The TeX stays with it as
``alttext``, the text alternative. Malformed TeX (unbalanced braces, a command latex2mathml
does not know) is reported at its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from .attributes import add, parse

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_TRAILING_ATTRS = re.compile(r"^\s*(\{[^{}]*\})\s*$")
_UNKNOWN = re.compile(r"<mi>(\\[A-Za-z]+)</mi>")
_ENVIRONMENT = re.compile(r"\\(begin|end)\{([^}]*)\}")
# a row break that ends a formula or an environment: TeX makes no row of it (latex2mathml
# makes an empty line, which ziamath draws 500 em tall)
_LAST_BREAK = re.compile(r"\\\\\s*(?=\\end\{|$)")
_ALIGNED = re.compile(r"\\(begin|end)\{aligned\}")
_BARE_AMPERSAND = re.compile(r"&(?!#?[0-9A-Za-z]+;)")


def _readable(tex: str) -> str:
    """``tex`` as latex2mathml reads it as TeX means it: without a final row break, and
    amsmath's ``aligned`` (which latex2mathml leaves as text, ``&`` and all) as ``align*``,
    the same rows and columns."""
    return _ALIGNED.sub(r"\\\1{align*}", _LAST_BREAK.sub("", tex))


def _well_formed(mathml: str) -> str:
    """latex2mathml's MathML as XML: an ``&`` it leaves in text escaped, no empty
    ``columnspacing`` (EPUBCheck rejects it)."""
    return _BARE_AMPERSAND.sub("&amp;", mathml).replace(' columnspacing=""', "")


def math_plugin(md: MarkdownIt) -> None:
    # pandoc's tex_math_dollars: no space inside the dollars, no digit after the closing one
    md.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=False, double_inline=True)
    # displayed math as a block of its own: $$ lines, and {#eq-…} after the closing $$
    md.block.ruler.disable("math_block")
    md.block.ruler.before("math_block", "display_math", _display_block, {"alt": ["paragraph"]})
    md.core.ruler.after("inline", "equations", _equations)
    md.add_render_rule("math_inline", _inline)
    md.add_render_rule("math_inline_double", _display_inline)
    md.add_render_rule("math_block", _block)
    md.add_render_rule("math_block_eqno", _block)


def _converter() -> Any:
    """latex2mathml, imported for the first formula: 0.1 s a process that a book without
    math does not pay."""
    import latex2mathml.converter

    return latex2mathml.converter


def problem(tex: str) -> str | None:
    """What is wrong with ``tex`` (None: nothing latex2mathml cannot read)."""
    depth = 0
    for i, char in enumerate(tex):
        if char == "\\":
            continue
        if char in "{}" and i and tex[i - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return "a '}' closes no '{'"
    if depth:
        return "a '{' is not closed" if depth == 1 else f"{depth} '{{'s are not closed"
    stack: list[str] = []
    for kind, name in _ENVIRONMENT.findall(tex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            return f"\\end{{{name}}} does not match its \\begin"
    if stack:
        return f"\\begin{{{stack[-1]}}} is not ended"
    try:
        mathml = _converter().convert(_readable(tex))
    except Exception as exc:  # latex2mathml raises many kinds
        return f"cannot be read ({exc})"
    if m := _UNKNOWN.search(mathml):
        return f"unknown command {m[1]}"
    return None


def to_mathml(tex: str, display: bool) -> str:
    """MathML for ``tex``, with the TeX as its text alternative."""
    try:
        mathml = _converter().convert(_readable(tex), display="block" if display else "inline")
    except Exception:  # reported by the scan; written as its source meanwhile
        return f'<code class="math-error">{escape(tex)}</code>'
    alttext = escape(tex.strip(), {chr(34): "&quot;"})
    return _well_formed(mathml).replace("<math ", f'<math alttext="{alttext}" ', 1)


def _inline(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    if tokens[idx].meta.get("definitions_only"):  # \newcommand…: markdown/texmacros.py
        return ""
    return f'<span class="math inline">{to_mathml(tokens[idx].content, False)}</span>'


def _display_inline(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    if tokens[idx].meta.get("definitions_only"):
        return ""
    return f'<span class="math display">{to_mathml(tokens[idx].content, True)}</span>'


def _block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    if tok.meta.get("definitions_only"):
        return ""
    ident = f' id="{escape(str(tok.attrs["id"]))}"' if tok.attrs.get("id") else ""
    return f'<div class="equation"{ident}>{to_mathml(tok.content, True)}</div>\n'


_CLOSING = re.compile(r"^(.*?)\$\$\s*(\{[^{}]*\})?\s*$")


def _display_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """``$$`` … ``$$`` on lines of their own (or on one line), the closing ``$$`` optionally
    followed by attributes: ``$$ {#eq-ror}``."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    if not first.startswith("$$"):
        return False
    rest, line, found = first[2:], start, None
    while True:
        m = _CLOSING.match(rest)
        if m and (line > start or m[1].strip()):
            found = m
            break
        line += 1
        if line >= end:
            return False  # never closed: the $$ is text (and inline math, if any)
        rest = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
        if not rest.strip():
            return False  # a blank line ends the paragraph it would have been
    attrs: dict[str, str] = {}
    if found[2]:
        try:
            length, attrs = parse(found[2])
        except ValueError:
            return False
        if length != len(found[2]) - 1:
            return False
    if silent:
        return True
    inner = [first[2:]] if line > start else []
    inner += [state.src[state.bMarks[n] + state.tShift[n] : state.eMarks[n]] for n in range(start + 1, line)]
    inner.append(found[1])
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = "\n".join(part for part in inner if part.strip()) if line > start else found[1]
    token.map = [start, line + 1]
    add(token, attrs)
    state.line = line + 1
    return True


def _equations(state: StateCore) -> None:
    """A paragraph that holds only ``$$…$$`` (and ``{#eq-…}``) is a displayed equation."""
    tokens = state.tokens
    i = 0
    while i + 2 < len(tokens):
        opening, inline, closing = tokens[i : i + 3]
        if opening.type != "paragraph_open" or inline.type != "inline" or closing.type != "paragraph_close":
            i += 1
            continue
        children = inline.children or []
        if not children or children[0].type != "math_inline_double":
            i += 1
            continue
        rest = "".join(c.content for c in children[1:] if c.type in ("text", "softbreak"))
        if any(c.type not in ("text", "softbreak") for c in children[1:]):
            i += 1
            continue
        attrs: dict[str, str] = {}
        if rest.strip():
            m = _TRAILING_ATTRS.match(rest)
            if not m:
                i += 1
                continue
            try:
                length, attrs = parse(m[1])
            except ValueError:
                length = -1
            if length != len(m[1]) - 1:
                i += 1
                continue
        block = Token("math_block", "math", 0)
        block.content = children[0].content
        block.map = opening.map
        block.block = True
        add(block, attrs)
        tokens[i : i + 3] = [block]
        i += 1
