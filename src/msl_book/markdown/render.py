"""How msl-book writes the tokens it adds or changes: callouts and other fenced divs, spans,
footnote calls and notes, and raw HTML (already made safe by ``safety.sanitize``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from .safety import sanitize

# the callout kinds; each label is the built-in string "callout-<kind>" (l10n)
CALLOUTS = ("note", "tip", "important", "warning", "caution", "compliance")
# Quarto's callout classes, with the kind each is in msl-book.
QUARTO_CALLOUTS = {f"callout-{kind}": kind for kind in ("note", "tip", "important", "warning", "caution")}
# pandoc's span classes that are HTML elements of their own
SPAN_ELEMENTS = {"mark": "mark", "underline": "u"}


def callout_kind(classes: list[str]) -> str | None:
    for name in classes:
        if name in CALLOUTS:
            return name
        if name in QUARTO_CALLOUTS:
            return QUARTO_CALLOUTS[name]
    return None


def add_rules(md: MarkdownIt) -> None:
    md.add_render_rule("div_open", _div_open)
    md.add_render_rule("div_close", lambda *a: "</div>\n")
    md.add_render_rule("span_open", _span_open)
    md.add_render_rule("span_close", _span_close)
    md.add_render_rule("footnote_ref", _footnote_ref)
    md.add_render_rule("footnote_block_open", lambda *a: '<div class="footnotes">\n')
    md.add_render_rule("footnote_block_close", lambda *a: "</div>\n")
    md.add_render_rule("footnote_open", _footnote_open)
    md.add_render_rule("footnote_close", lambda *a: "</aside>\n")
    md.add_render_rule("footnote_anchor", lambda *a: "")
    md.add_render_rule("image", _image)
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("html_block", _raw)
    md.add_render_rule("html_inline", _raw)


def _attrs(attrs: dict[str, Any], skip: Sequence[str] = ()) -> str:
    return "".join(f' {k}="{escapeHtml(str(v))}"' for k, v in attrs.items() if k not in skip)


def _div_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    classes = tok.attrs.get("class", "").split()
    title = str(tok.attrs.get("title", "") or tok.info).strip()
    ident = f' id="{escapeHtml(str(tok.attrs["id"]))}"' if tok.attrs.get("id") else ""
    rest = _attrs(tok.attrs, ("class", "id", "title"))
    kind = callout_kind(classes)
    if kind is not None:
        extra = [c for c in classes if c != kind and QUARTO_CALLOUTS.get(c) != kind]
        shown = f" {' '.join(extra)}" if extra else ""
        label = escapeHtml(env["strings"](f"callout-{kind}"))
        heading = f'<span class="callout-label">{label}</span>'
        if title:
            heading += f' <span class="callout-heading">{escapeHtml(title)}</span>'
        return (
            f'<div class="callout callout-{kind}{escapeHtml(shown)}"{ident} role="note"{rest}>\n'
            f'<p class="callout-title">{heading}</p>\n'
        )
    klass = f' class="{escapeHtml(" ".join(["fenced", *classes]))}"' if classes else ""
    head = f'<p class="fenced-title">{escapeHtml(title)}</p>\n' if title else ""
    return f"<div{klass}{ident}{rest}>\n{head}"


def _span_element(tok: Token) -> str:
    classes = tok.attrs.get("class", "").split()
    return next((SPAN_ELEMENTS[c] for c in classes if c in SPAN_ELEMENTS), "span")


def _span_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    tag = _span_element(tok)
    attrs = dict(tok.attrs)
    if tag != "span":
        kept = [c for c in attrs.get("class", "").split() if SPAN_ELEMENTS.get(c) != tag]
        attrs["class"] = " ".join(kept)
        if not kept:
            del attrs["class"]
    # the matching close tag is written by _span_close: remember the element on the close token
    depth = 0
    for close in tokens[idx + 1 :]:
        if close.type == "span_open":
            depth += 1
        elif close.type == "span_close":
            if depth == 0:
                close.meta["tag"] = tag
                break
            depth -= 1
    return f"<{tag}{_attrs(attrs)}>"


def _span_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return f"</{tokens[idx].meta.get('tag', 'span')}>"


def _image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """The description is the alt text unless ``{alt=…}`` gives one; an image alone in a
    paragraph is a figure whose caption is its title or, as in pandoc, its description."""
    tok = tokens[idx]
    description = self.renderInlineAsText(tok.children or [], options, env)
    tok.attrSet("alt", tok.meta.get("alt", description))
    if description and not tok.attrGet("title"):
        tok.attrSet("data-caption", description)
        rich = self.renderInline(tok.children or [], options, env)
        if rich != escapeHtml(description):  # links, emphasis, citations: the caption keeps them
            tok.attrSet("data-caption-html", rich)
    return self.renderToken(tokens, idx, options, env)


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """An autolink (``<https://…>``) shows its URL: class ``url``, which is not hyphenated."""
    tok = tokens[idx]
    if tok.markup == "autolink":
        tok.attrJoin("class", "url")
    return self.renderToken(tokens, idx, options, env)


def _raw(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    if "xhtml" not in tok.meta:
        tok.meta["xhtml"] = sanitize(tok.content).xhtml
    return tok.meta["xhtml"]


def _note_ids(tok: Token, env: dict[str, Any]) -> tuple[str, str]:
    doc = env.get("docId", "doc")
    n = tok.meta["id"] + 1
    ref = f"fnref-{doc}-{n}" + (f"-{tok.meta['subId'] + 1}" if tok.meta.get("subId") else "")
    return f"fn-{doc}-{n}", ref


def _footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    note, ref = _note_ids(tokens[idx], env)
    n = tokens[idx].meta["id"] + 1
    return f'<a class="noteref" href="#{note}" id="{ref}" epub:type="noteref" role="doc-noteref">{n}</a>'


def _footnote_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    note, _ = _note_ids(tokens[idx], env)
    return f'<aside class="footnote" id="{note}" epub:type="footnote" role="doc-footnote">\n'
