"""pandoc's latex_macros: ``\\newcommand``, ``\\renewcommand``, ``\\providecommand`` and
``\\DeclareMathOperator`` define macros that the chapter's later math is written with.

As pandoc does for HTML and EPUB, a definition is read where it stands (in the text, a
paragraph of its own, or inside ``$…$``/``$$…$$`` as MathJax authors write it), printed
nowhere, and every formula after it in the chapter gets the macros expanded before it
becomes MathML: latex2mathml knows no macros. A chapter's macros are its own (each chapter
is read on its own and kept by its own digest); one that the next chapter uses again must be
defined there too, or the formula is reported as an unknown command at its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

_DEFINE = re.compile(r"\\(newcommand|renewcommand|providecommand|DeclareMathOperator)(\*?)\s*")
_NAME = re.compile(r"\\([A-Za-z]+)")
_ARGS = re.compile(r"\s*\[\s*([1-9])\s*\]")
MAX_EXPANSIONS = 1000  # a macro that uses itself would expand for ever


@dataclass(frozen=True)
class Macro:
    args: int
    default: str | None  # the first argument's, when it is optional
    body: str


class MacroError(ValueError):
    pass


def _group(src: str, pos: int, opening: str = "{", closing: str = "}") -> tuple[str, int] | None:
    """The text of the balanced group that starts at ``pos`` and the position after it."""
    if pos >= len(src) or src[pos] != opening:
        return None
    depth, i = 0, pos
    while i < len(src):
        char = src[i]
        if char == "\\":
            i += 2
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return src[pos + 1 : i], i + 1
        i += 1
    return None


def definition(src: str, pos: int) -> tuple[str, Macro, int] | None:
    """The macro defined at ``pos`` (its name, the macro, the position after it), if any."""
    m = _DEFINE.match(src, pos)
    if not m:
        return None
    kind, star, pos = m[1], m[2], m.end()
    if braced := _group(src, pos):
        name_m = _NAME.fullmatch(braced[0].strip())
        pos = braced[1]
    else:
        name_m = _NAME.match(src, pos)
        pos = name_m.end() if name_m else pos
    if not name_m:
        return None
    args, default = 0, None
    if kind != "DeclareMathOperator" and (count := _ARGS.match(src, pos)):
        args, pos = int(count[1]), count.end()
        while pos < len(src) and src[pos] in " \t\n":
            pos += 1
        if optional := _group(src, pos, "[", "]"):
            default, pos = optional
    while pos < len(src) and src[pos] in " \t\n":
        pos += 1
    body = _group(src, pos)
    if body is None:
        return None
    text = body[0]
    if kind == "DeclareMathOperator":
        text = f"\\operatorname{star}{{{text}}}"
    return name_m[1], Macro(args, default, text), body[1]


def expand(tex: str, macros: dict[str, Macro]) -> str:
    """``tex`` with ``macros`` expanded, as TeX expands them; raises MacroError on one that
    never ends or that lacks an argument."""
    if not macros or "\\" not in tex:
        return tex
    out: list[str] = []
    pending, count = tex, 0
    while True:
        i = 0
        changed = False
        while i < len(pending):
            char = pending[i]
            if char != "\\":
                out.append(char)
                i += 1
                continue
            name = _NAME.match(pending, i)
            if name is None:  # \\, \{, \, …: a control symbol
                out.append(pending[i : i + 2])
                i += 2
                continue
            macro = macros.get(name[1])
            if macro is None:
                out.append(name[0])
                i = name.end()
                continue
            count += 1
            if count > MAX_EXPANSIONS:
                raise MacroError(f"\\{name[1]} expands without end")
            replacement, i = _apply(name[1], macro, pending, name.end())
            out.append(replacement)  # the space after \e in \e x stays: \epsilon x
            out.append(pending[i:])
            changed = True
            break
        if not changed:
            return "".join(out)
        # expand again from the replacement on: what comes before it is done
        done = "".join(out[:-2])
        pending = out[-2] + out[-1]
        out = [done]


def _apply(name: str, macro: Macro, src: str, pos: int) -> tuple[str, int]:
    values: list[str] = []
    for number in range(1, macro.args + 1):
        while pos < len(src) and src[pos] in " \t\n":
            pos += 1
        if number == 1 and macro.default is not None:
            if optional := _group(src, pos, "[", "]"):
                values.append(optional[0])
                pos = optional[1]
            else:
                values.append(macro.default)
            continue
        if (group := _group(src, pos)) is not None:
            values.append(group[0])
            pos = group[1]
        elif (word := _NAME.match(src, pos)) is not None:
            values.append(word[0])
            pos = word.end()
        elif pos < len(src) and src[pos] != "}":
            values.append(src[pos])
            pos += 1
        else:
            raise MacroError(f"\\{name} needs {macro.args} argument{'s' if macro.args > 1 else ''}")

    def value(m: re.Match[str]) -> str:
        return values[int(m[1]) - 1] if int(m[1]) <= len(values) else m[0]

    body = re.sub(r"#([1-9])", value, macro.body)
    return body, pos


def take_definitions(tex: str, macros: dict[str, Macro]) -> str:
    """``tex`` without the definitions in it, which go into ``macros``."""
    if "command" not in tex and "DeclareMathOperator" not in tex:
        return tex
    out, i = [], 0
    while i < len(tex):
        if tex[i] == "\\" and (found := definition(tex, i)):
            name, macro, i = found
            macros[name] = macro
            continue
        out.append(tex[i : i + 2] if tex[i] == "\\" else tex[i])
        i += 2 if tex[i] == "\\" else 1
    return "".join(out)


def _inline_definition(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "\\":
        return False
    found = definition(state.src[: state.posMax], state.pos)
    if not found:
        return False
    if not silent:
        name, macro, _ = found
        token = state.push("tex_macro", "", 0)
        token.content = state.src[state.pos : found[2]]
        token.meta["name"], token.meta["macro"] = name, macro
    state.pos = found[2]
    return True


_MATH = ("math_inline", "math_inline_double", "math_block", "math_block_eqno")


def _apply_macros(state: StateCore) -> None:
    """Record each definition and expand the macros in each formula after it, in reading
    order; a paragraph of definitions only is left out."""
    macros: dict[str, Macro] = {}
    kept: list[Token] = []
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type in _MATH:
            _expand_token(tok, macros)
        elif tok.type == "inline" and tok.children:
            for child in tok.children:
                if child.type == "tex_macro":
                    macros[child.meta["name"]] = child.meta["macro"]
                elif child.type in _MATH:
                    _expand_token(child, macros)
            if _only_definitions(tok.children) and i and tokens[i - 1].type == "paragraph_open":
                kept.pop()  # the paragraph_open
                tokens[i + 1].meta["msl_dropped"] = True
                continue
        elif tok.type == "paragraph_close" and tok.meta.get("msl_dropped"):
            continue
        kept.append(tok)
    if len(kept) != len(tokens):
        state.tokens = kept


def _only_definitions(children: list[Token]) -> bool:
    kinds = {c.type for c in children if not (c.type == "text" and not c.content.strip())}
    return bool(kinds) and kinds <= {"tex_macro", "softbreak", "hardbreak"} and "tex_macro" in kinds


def _expand_token(tok: Token, macros: dict[str, Macro]) -> None:
    content = take_definitions(tok.content, macros)
    try:
        tok.content = expand(content, macros)
    except MacroError as exc:
        tok.content = content
        tok.meta["macro_error"] = str(exc)
    if not tok.content.strip():  # nothing but definitions: printed nowhere
        tok.meta["definitions_only"] = True


def texmacros_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("raw_tex", "tex_macro", _inline_definition)
    md.core.ruler.after("equations", "tex_macros", _apply_macros)
    md.add_render_rule("tex_macro", lambda *a: "")
