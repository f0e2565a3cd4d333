"""Raw HTML and attributes in a book: kept when they are safe, refused with a reason when not.

Authors write ``<kbd>``, ``<sup>``, ``<br>``, ``<details>`` and tables in their Markdown, as
pandoc lets them. Every raw HTML chunk is read with Python's HTML tokenizer and written again
as well-formed XHTML, keeping only the elements and attributes on the lists below.
Everything that could run or fetch (script, iframe, object, embed, forms, event handlers,
``javascript:`` URLs) is an error at its line, as is inline ``style`` (with the class to use
instead); an attribute that is merely unknown is dropped with a warning. The same rules
apply to ``{key=value}`` attributes written in Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The event-handler content attributes of HTML, SVG and common engines: the real names, not
# every name that starts with "on" (Inkscape's only_selected is not a handler).
EVENT_HANDLERS = frozenset(
    "on" + name
    for name in _words("""
    abort activate afterprint animationcancel animationend animationiteration animationstart
    auxclick beforecopy beforecut beforeinput beforematch beforepaste beforeprint beforetoggle
    beforeunload begin blur cancel canplay canplaythrough change click close contextlost
    contextmenu contextrestored copy cuechange cut dblclick drag dragend dragenter dragexit
    dragleave dragover dragstart drop durationchange emptied end ended error focus focusin
    focusout formdata fullscreenchange fullscreenerror gotpointercapture hashchange input
    invalid keydown keypress keyup languagechange load loadeddata loadedmetadata loadend
    loadstart lostpointercapture message messageerror mousedown mouseenter mouseleave
    mousemove mouseout mouseover mouseup mousewheel offline online pagehide pagereveal
    pageshow pageswap paste pause play playing pointercancel pointerdown pointerenter
    pointerleave pointermove pointerout pointerover pointerrawupdate pointerup popstate
    progress ratechange rejectionhandled repeat reset resize scroll scrollend search
    securitypolicyviolation seeked seeking select selectionchange selectstart slotchange
    stalled storage submit suspend timeupdate toggle touchcancel touchend touchmove
    touchstart transitioncancel transitionend transitionrun transitionstart
    unhandledrejection unload visibilitychange volumechange waiting webkitanimationend
    webkitanimationiteration webkitanimationstart webkittransitionend wheel zoom
    """)
)

VOID = _words("br wbr img hr col")
ALLOWED = VOID | _words("""
    a abbr b bdi bdo blockquote caption cite code colgroup data dd del details dfn div dl dt em
    figcaption figure h1 h2 h3 h4 h5 h6 i ins kbd li mark ol p pre q rp rt ruby s samp section
    small span strong sub summary sup table tbody td tfoot th thead time tr u ul var
""")
# Elements that run code, fetch something, or take input.
REFUSED = _words("""
    script noscript iframe frame frameset object embed applet param form input button select
    option optgroup textarea datalist output link meta base style audio video source track
    picture canvas svg math portal template slot dialog map area
""")
GLOBAL_ATTRS = {"id", "class", "title", "lang", "dir", "role", "translate", "hidden"}
ELEMENT_ATTRS = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"},
    "data": {"value"},
    "del": {"datetime", "cite"},
    "ins": {"datetime", "cite"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "details": {"open"},
    "col": {"span"},
    "colgroup": {"span"},
}
URL_ATTRS = {"href", "src", "cite"}
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
_KEY = re.compile(r"^[a-z_:][a-z0-9_.:-]*$")


@dataclass
class Problem:
    line: int  # 1-based, within the chunk
    message: str
    warning: bool = False


@dataclass
class Clean:
    """A chunk of raw HTML as XHTML, with what was wrong in it and what it refers to."""

    xhtml: str
    problems: list[Problem] = field(default_factory=list)
    opened: list[tuple[str, int]] = field(default_factory=list)  # (tag, line) still open at its end
    closed: list[tuple[str, int]] = field(default_factory=list)  # end tags without their start here
    refs: list[tuple[str, str, str, int]] = field(default_factory=list)  # (kind, url, alt, line)
    ids: list[tuple[str, int]] = field(default_factory=list)


def check_attribute(tag: str, name: str, value: str) -> Problem | None:
    """Why an attribute may not be used (None: it may)."""
    if name in EVENT_HANDLERS:
        return Problem(0, f"event handler '{name}' is not allowed on <{tag}>: a book runs no scripts")
    if name == "style":
        shown = value if len(value) <= 40 else value[:37] + "..."
        return Problem(
            0,
            f'inline style is not allowed (style="{shown}"): give the element a class '
            '(class="…" in HTML, {.name} in Markdown) and style it in styles/custom.css',
        )
    if name in URL_ATTRS and (problem := _url_problem(name, value)):
        return Problem(0, f'<{tag} {name}="{value}">: {problem}')
    return None


def _url_problem(name: str, value: str) -> str | None:
    scheme = urlsplit(re.sub(r"[\s\x00-\x20]", "", value)).scheme.lower()
    if scheme in ("javascript", "vbscript", "data", "file") or (scheme and scheme not in LINK_SCHEMES):
        return f"'{scheme}:' URLs are not allowed"
    if name == "src" and (scheme or value.startswith("//")):
        return "only files inside the project can be used (no URLs)"
    return None


def allowed_attribute(tag: str, name: str) -> bool:
    return (
        name in GLOBAL_ATTRS
        or name.startswith(("aria-", "data-"))
        or name in ELEMENT_ATTRS.get(tag, ())
        or name == "epub:type"
    )


class _Writer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.clean = Clean("")
        self.stack: list[tuple[str, int]] = []
        self.skipping: str | None = None  # inside a refused element: its content goes too

    def _problem(self, message: str, warning: bool = False) -> None:
        self.clean.problems.append(Problem(self.getpos()[0], message, warning))

    def _element(self, tag: str, attrs: list[tuple[str, str | None]], empty: bool) -> None:
        line = self.getpos()[0]
        if self.skipping:
            return
        if tag in REFUSED:
            self._problem(f"<{tag}> is not allowed in a book: it could run code or load something")
            if tag not in VOID and not empty:
                self.skipping = tag
            return
        if tag not in ALLOWED:
            self._problem(f"<{tag}> is not supported; use Markdown or a ::: {{.class}} div")
            return
        written = []
        for name, value in attrs:
            value = value or ""
            if (problem := check_attribute(tag, name, value)) is not None:
                self._problem(problem.message)
                continue
            if not allowed_attribute(tag, name) or not _KEY.match(name):
                self._problem(f"attribute '{name}' on <{tag}> is ignored", warning=True)
                continue
            written.append((name, value))
            if name == "id":
                self.clean.ids.append((value, line))
        attributes = dict(written)
        if tag == "img":
            self.clean.refs.append(("image", attributes.get("src", ""), attributes.get("alt", ""), line))
        elif tag == "a" and "href" in attributes:
            self.clean.refs.append(("link", attributes["href"], "", line))
        text = "".join(f" {name}={quoteattr(value)}" for name, value in written)
        if tag in VOID:
            self.out.append(f"<{tag}{text} />")
        else:
            self.out.append(f"<{tag}{text}>")
            if empty:
                self.out.append(f"</{tag}>")
            else:
                self.stack.append((tag, line))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs, empty=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs, empty=True)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping:
                self.skipping = None
            return
        if tag in VOID or tag not in ALLOWED:
            return
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()
        elif any(t == tag for t, _ in self.stack):
            while self.stack and self.stack[-1][0] != tag:  # close what was left open inside
                self.out.append(f"</{self.stack.pop()[0]}>")
            self.stack.pop()
        else:
            self.clean.closed.append((tag, self.getpos()[0]))
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data))


def sanitize(chunk: str) -> Clean:
    """``chunk`` of raw HTML as XHTML (tags it leaves open stay open: the Markdown around it
    may close them), with its problems."""
    writer = _Writer()
    writer.feed(chunk)
    writer.close()
    clean = writer.clean
    clean.xhtml = "".join(writer.out)
    clean.opened = list(writer.stack)
    return clean
