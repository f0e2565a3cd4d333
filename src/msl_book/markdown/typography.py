"""Smart quotes and dashes in image descriptions, as in the rest of the text.

markdown-it's ``replacements`` and ``smartquotes`` rules visit the children of inline tokens
but not the children of an image inside them, so a figure caption written as the image's
description (``![Cases -- by "region"](x.svg)``, pandoc's way) kept ``--`` and straight
quotes. This rule runs both on every image's description.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore, replace, smartquotes
from markdown_it.token import Token


def typography_plugin(md: MarkdownIt) -> None:
    md.core.ruler.after("smartquotes", "image_typography", _image_typography)


def _image_typography(state: StateCore) -> None:
    for token in state.tokens:
        for child in token.children or []:
            if child.type == "image" and child.children:
                inline = Token("inline", "", 0, content=child.content, children=child.children)
                sub = StateCore("", state.md, state.env, [inline])
                replace(sub)  # it looks at the content first, then changes the children
                smartquotes(sub)
