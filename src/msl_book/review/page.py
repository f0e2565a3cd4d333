"""The "Changes since version X" page: every changed section, linked, with its page.

A section is a chapter or a heading (h2, h3) of it; its entry links to the first marked
block under it, so its page number (print.css's target-counter, as in the contents) is
where the first change is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from ..xhtml import has_class, local
from .diff import HEADINGS, MARKS, Changes, _first, chapters, element

Strings = Callable[..., str]


@dataclass
class Entry:
    title: str
    target: str  # id of the first change under it
    level: int  # 1 chapter, 2-3 section
    front: bool = False  # in the roman-numbered front matter
    note: str = ""
    pending: bool = False  # a heading no change has been found under yet
    children: list[Entry] = field(default_factory=list)


def _text(el: etree._Element) -> str:
    """An element's text without deleted words and generated notes."""
    parts: list[str] = []

    def walk(e: etree._Element) -> None:
        if local(e) == "del" or has_class(e, "footnote"):
            return
        parts.append(e.text or "")
        for c in e:
            if isinstance(c.tag, str):
                walk(c)
            parts.append(c.tail or "")

    walk(el)
    return " ".join("".join(parts).split())


def _inside(el: etree._Element, container: etree._Element) -> bool:
    while el is not None:
        if el is container:
            return True
        el = el.getparent()
    return False


def _ensure_id(el: etree._Element, counter: list[int]) -> str:
    if not el.get("id"):
        counter[0] += 1
        el.set("id", f"review-change-{counter[0]}")
    return el.get("id", "")


def entries(root: etree._Element, changes: Changes, strings: Strings) -> list[Entry]:
    """The changed sections of the marked book, in reading order."""
    by_id = {c.id: c for c in changes.chapters}
    counter = [0]
    out: list[Entry] = []
    for section in chapters(root):
        info = by_id.get(section.get("id", ""))
        if info is None:
            continue
        front = has_class(section, "role-preface")
        h1 = _first(section, "h1")
        title = (h1.get("data-bookmark") or _text(h1)) if h1 is not None else section.get("id", "")
        chapter = Entry(title, section.get("id", ""), 1, front)
        if info.new:
            chapter.note = strings("review-new-chapter")
        elif info.moved_from:
            chapter.note = strings("review-moved", position=info.moved_from)
        current: Entry = chapter
        scope: etree._Element | None = None  # the element the current heading's section spans
        first_in_chapter = True
        for el in section.iter():
            if not isinstance(el.tag, str):
                continue
            if scope is not None and not _inside(el, scope):
                current, scope = chapter, None  # left the box or part the heading opened
            tag = local(el)
            if tag in HEADINGS - {"h1"} and el.get("id") and not has_class(el, "review-deleted"):
                current = Entry(_text(el), el.get("id", ""), int(tag[1]), front, pending=True)
                scope = el.getparent()
            if any(has_class(el, m) for m in MARKS) or has_class(el, "review-moved"):
                target = _ensure_id(el, counter)  # every marked block: its page is findable
                if current is chapter:
                    if first_in_chapter:
                        chapter.target = target
                        first_in_chapter = False
                elif current.pending:
                    current.target = target
                    current.pending = False
                    chapter.children.append(current)
        if chapter.children or not first_in_chapter or chapter.note:
            out.append(chapter)
    return out


def changes_page(root: etree._Element, changes: Changes, strings: Strings, since: str) -> etree._Element:
    """The page's section, placed after the table of contents (at the front matter's end)."""
    page = element(
        "section",
        {"class": "review-changes", "id": "review-changes", "aria-labelledby": "review-changes-title"},
    )
    title = element(
        "h1",
        {"class": "review-changes-title", "id": "review-changes-title"},
        strings("review-title", version=since),
    )
    page.append(title)
    page.append(element("p", {"class": "review-lead"}, strings("review-lead")))
    found = entries(root, changes, strings)
    if not found and not changes.removed:
        page.append(element("p", {"class": "review-none"}, strings("review-none")))
    if found:
        page.append(_list(found))
    if changes.removed:
        page.append(element("h2", {"class": "review-removed-title"}, strings("review-removed")))
        ul = element("ul", {"class": "review-removed"})
        for name in changes.removed:
            ul.append(element("li", {}, name))
        page.append(ul)
    front = next((el for el in root.iter() if local(el) == "div" and has_class(el, "frontmatter")), None)
    if front is None:
        body = _first(root, "body")
        if body is not None:
            body.insert(0, page)
    else:
        front.append(page)
    return page


def _list(items: list[Entry]) -> etree._Element:
    ol = element("ol", {"class": "review-list"})
    for item in items:
        classes = f"review-entry review-level-{item.level}" + (" review-front" if item.front else "")
        li = element("li", {"class": classes})
        a = element("a", {"href": f"#{item.target}"})
        a.append(element("span", {"class": "review-entry-text"}, item.title))
        if item.note:
            note = element("span", {"class": "review-note"}, item.note)
            a.append(note)
            note.text = f" ({item.note})"
        li.append(a)
        if item.children:
            li.append(_list(item.children))
        ol.append(li)
    return ol
