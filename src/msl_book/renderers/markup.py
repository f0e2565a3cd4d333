"""How a renderer writes the book model's content: its links, images and footnotes.

The model's fragments are format-free; a ``Writer`` is one renderer's choice of where links
point (``links.Links``), what an image's URL is, and whether a footnote stands at its call
(print, where WeasyPrint floats it to the foot of the page) or in a list at the end of the
chapter (EPUB pop-up notes). Templates reach it as ``out``: ``out.markup(fragment)``,
``out.notes(chapter)``, ``out.href(target id, current chapter id)``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree
from markupsafe import Markup

from ..document import Fragment, IndexData, Note, Section
from ..links import Links
from ..xhtml import element, has_class, local, parse_fragment, q, serialize
from .index_markup import index_tree


class Writer:
    def __init__(
        self,
        links: Links,
        image_url: Callable[[str], str | None],
        inline_notes: bool,
        finish: Callable[[etree._Element], None] | None = None,
    ):
        self.links = links
        self.image_url = image_url  # project path of an image -> its URL in this output
        self.inline_notes = inline_notes
        self.finish = finish  # what else the output does to content (print draws math)
        # the index's locators: the page of each mark (when a layout is known), and whether
        # consecutive pages merge into ranges (print) or stay one link each (EPUB)
        self.page_of: Callable[[str], tuple[int, str] | None] | None = None
        self.index_ranges = False

    def href(self, target: str, current: str | None = None) -> str:
        return self.links.href(target, current)

    def markup(self, fragment: Fragment, current: str | None = None) -> Markup:
        """The fragment as written into the document of section ``current`` (by default the
        section that owns it; the answer key shows other chapters' questions)."""
        here = current or fragment.chapter
        tree = self._prepared(fragment.root, here)
        if self.inline_notes:
            _inline_notes(tree, fragment.notes, lambda root: self._prepared(root, here))
        return Markup(serialize(tree))

    def index(self, index: IndexData, current: str) -> Markup:
        """The back-of-book index, its locators linking to the marks."""
        tree = index_tree(
            index,
            lambda target: self.links.href(target, current),
            self.page_of,
            self.index_ranges,
            self.links.model.strings,
        )
        wrapper = parse_fragment("")
        wrapper.append(tree)
        return Markup(serialize(wrapper))

    def notes(self, section: Section) -> Markup:
        """The chapter's notes as a list, when they do not stand at their calls."""
        if self.inline_notes or not section.notes:
            return Markup("")
        wrapper = parse_fragment("")
        t = self.links.model.strings
        block = element("section", {"class": "footnotes", "epub:type": "footnotes", "aria-label": t("notes")})
        block.text = "\n"
        block.tail = "\n"
        for note in section.notes:
            content = self._prepared(note.body.root, section.id)
            label = t("note-label", number=note.number)
            block.append(_aside(note, content, lambda ref: self.links.href(ref, section.id), label))
        wrapper.append(block)
        return Markup(serialize(wrapper))

    def _prepared(self, root: etree._Element, chapter: str) -> etree._Element:
        tree = copy.deepcopy(root)
        for a in tree.iter(q("a")):
            href = a.get("href", "")
            if href.startswith("#"):
                a.set("href", self.links.href(href[1:], chapter))
        targets = self.links.model.targets
        for el in tree.iter(q("span"), q("sup")):
            # a citation shown twice (a review question, again in the answer key) keeps its id
            # only where the references link back to
            ident = el.get("id")
            if ident and has_class(el, "citation") and (t := targets.get(ident)) and t.chapter != chapter:
                del el.attrib["id"]
        for img in tree.iter(q("img")):
            rel = img.attrib.pop("data-src", None)
            if rel is not None and (url := self.image_url(rel)) is not None:
                img.set("src", url)
        if self.finish is not None:
            self.finish(tree)
        return tree


def _aside(note: Note, content: etree._Element, href: Callable[[str], str], label: str) -> etree._Element:
    """A pop-up note: its number links back to the call."""
    number = str(note.number)
    aside = element(
        "aside",
        {
            "class": "footnote",
            "id": note.id,
            "epub:type": "footnote",
            "role": "doc-footnote",
            "aria-label": label,
        },
    )
    aside.text = content.text
    for child in list(content):
        aside.append(child)
    aside.tail = "\n"
    first = aside[0] if len(aside) else None
    back = element("a", {"href": href(note.ref_id), "role": "doc-backlink", "class": "backlink"}, number)
    back.tail = " " + ((first.text or "") if first is not None and local(first) == "p" else "")
    if first is not None and local(first) == "p":
        first.text = None
        first.insert(0, back)
    else:
        p = element("p")
        p.append(back)
        aside.insert(0, p)
    return aside


def _inline_notes(
    tree: etree._Element, notes: list[Note], prepared: Callable[[etree._Element], etree._Element]
) -> None:
    """Each note's text takes the place of its first call (a second call keeps pointing at it)."""
    by_id = {note.id: note for note in notes}
    for ref in list(tree.iter(q("a"))):
        if not has_class(ref, "noteref"):
            continue
        note = by_id.get(ref.get("href", "")[1:])
        if note is None or ref.get("id") != note.ref_id:
            continue
        content = prepared(note.body.root)
        span = element("span", {"class": "footnote", "id": note.id})
        blocks = [c for c in content if isinstance(c.tag, str)]
        first = blocks[0] if blocks and local(blocks[0]) == "p" else None
        if first is not None or not blocks:  # its first paragraph is the note's first line
            paragraph = first if first is not None else content
            _append_text(span, paragraph.text or "")
            for child in list(paragraph):
                span.append(child)
        for block in blocks[1:] if first is not None else blocks:
            # a quotation, a list, code, another paragraph: kept as blocks made of spans, as
            # a note stands inside its call's paragraph (a <ul> there would end the <p>)
            span.append(_spans(block))
        for el in span.iter():  # a note written over several lines is one run of text
            if has_class(el, "fn-pre") or any(has_class(a, "fn-pre") for a in el.iterancestors()):
                continue  # code keeps its lines
            el.text = el.text.replace("\n", " ") if el.text else el.text
            if el is not span and el.tail:
                el.tail = el.tail.replace("\n", " ")
        span.tail = ref.tail
        ref.getparent().replace(ref, span)


# what may stand inside a paragraph; every other element of a note (a quotation, a list,
# code, a rule, <details>...) becomes a span of class fn-NAME (print.css: span.footnote .fn-*)
PHRASING = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "br",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "i",
        "img",
        "ins",
        "kbd",
        "mark",
        "q",
        "rp",
        "rt",
        "ruby",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "wbr",
        "math",
        "svg",
    ]
)


def _spans(block: etree._Element) -> etree._Element:
    """``block`` with every block element in it a span of class ``fn-block fn-NAME``."""
    for el in block.iter():
        if isinstance(el.tag, str) and local(el) not in PHRASING and not _inside_foreign(el):
            name = local(el)
            classes = " ".join(filter(None, ["fn-block", f"fn-{name}", el.get("class")]))
            el.tag = q("span")
            el.set("class", classes)
            if name == "pre" and len(el) and (el[-1].text or "").endswith("\n"):
                el[-1].text = el[-1].text[:-1]  # its closing line break would be a blank line
    return block


def _inside_foreign(el: etree._Element) -> bool:
    """MathML and SVG keep their own elements."""
    return any(local(a) in ("math", "svg") for a in el.iterancestors())


def _append_text(el: etree._Element, text: str) -> None:
    if len(el):
        el[-1].tail = (el[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text
