"""Fenced code, highlighted with Pygments, with optional line numbers (pandoc's syntax).

````
```python                      ```{.python .numberLines startFrom="10"}
```

The tokens become spans with Pygments' short class names (``k`` keyword, ``s`` string…),
styled by the theme in colours that pass WCAG AA on the code background and stay apart
in greyscale (keywords bold, comments italic). Code in a language Pygments does not know is
written as it is. Inline code with a language class (`` `x = 1`{.python} ``) is highlighted too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .attributes import parse

_FORMATTER = HtmlFormatter(nowrap=True)
NUMBERED = {"numberLines", "number-lines", "numberlines"}


# pandoc's raw_attribute: ```{=html} blocks and `…`{=html} spans are raw HTML (made safe like
# any other); those for another of pandoc's outputs (latex, docx…) are left out, with a warning.
HTML_FORMATS = {"html", "html4", "html5", "xhtml", "epub", "epub2", "epub3"}
_RAW_FENCE = re.compile(r"^\{=([A-Za-z0-9_+-]+)\}$")


def code_plugin(md: MarkdownIt) -> None:
    md.add_render_rule("fence", _fence)
    md.add_render_rule("code_inline", _inline)
    md.core.ruler.after("inline", "raw_attribute", _raw_attribute)
    md.add_render_rule("raw_other", lambda *a: "")


def _raw_attribute(state: StateCore) -> None:
    for tok in state.tokens:
        if tok.type == "fence" and (m := _RAW_FENCE.match(tok.info.strip())):
            _as_raw(tok, m[1].lower(), "html_block")
        for child in tok.children or []:
            if child.type == "code_inline" and "data-raw-format" in child.attrs:
                _as_raw(child, str(child.attrs.pop("data-raw-format")).lower(), "html_inline")


def _as_raw(tok: Token, fmt: str, html_type: str) -> None:
    tok.meta["raw_format"] = fmt
    tok.type = html_type if fmt in HTML_FORMATS else "raw_other"
    tok.attrs = {}


def fence_attributes(info: str) -> tuple[str | None, dict[str, str]]:
    """The language and attributes of a fence: ``python``, ``{.python #id}``,
    ``python {.numberLines}``."""
    info = info.strip()
    language, attrs = None, {}
    if info and not info.startswith("{"):
        language, _, info = info.partition(" ")
        info = info.strip()
    if info.startswith("{"):
        try:
            _, attrs = parse(info)
        except ValueError:
            attrs = {}
    classes = attrs.get("class", "").split()
    if language is None:
        language = next((c for c in classes if c not in NUMBERED), None)
    return language, attrs


def lexer_for(language: str | None):
    if not language:
        return None
    try:
        return get_lexer_by_name(language.lower().removeprefix("language-"))
    except ClassNotFound:
        return None


def highlighted(code: str, language: str | None) -> str:
    lexer = lexer_for(language)
    if lexer is None:
        return escape(code)
    return highlight(code, lexer, _FORMATTER)


def _fence(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    language, attrs = fence_attributes(tok.info)
    classes = [c for c in attrs.get("class", "").split() if c != language and c not in NUMBERED]
    numbered = any(c in NUMBERED for c in attrs.get("class", "").split())
    code = tok.content
    body = highlighted(code, language)
    if numbered:
        first = int(attrs["startFrom"]) if attrs.get("startFrom", "").isdigit() else 1
        lines = body.rstrip("\n").split("\n")
        body = "".join(
            f'<span class="line"><span class="ln" aria-hidden="true">{first + i}</span>{line}</span>'
            for i, line in enumerate(lines)
        )
    names = [
        "code",
        *([f"language-{language}"] if language else []),
        *classes,
        *(["numbered"] if numbered else []),
    ]
    ident = f' id="{escape(attrs["id"])}"' if attrs.get("id") else ""
    return f'<pre class="{" ".join(names)}"{ident}><code>{body.rstrip(chr(10))}</code></pre>\n'


def _inline(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    classes = tok.attrs.get("class", "").split()
    language = next((c for c in classes if lexer_for(c) is not None), None)
    attrs = "".join(f' {k}="{escape(str(v), {chr(34): "&quot;"})}"' for k, v in tok.attrs.items())
    return f"<code{attrs}>{highlighted(tok.content, language).rstrip(chr(10))}</code>"
