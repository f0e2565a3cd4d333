"""What changed between two versions of a book, marked in the newer one's print HTML.

Both versions are rendered to the print document, and their chapters (``section.chapter``,
matched by id) are compared block by block: paragraphs, list items, table cells, headings,
captions, footnotes, callout paragraphs. A block is a leaf: its own text and inline
elements, without the blocks nested in it. The blocks of a chapter are matched in sequence
with difflib's SequenceMatcher on their text; inside a changed block, a word-level diff
(words, spaces and punctuation as tokens) splits the new block's text runs, so inserted
words become ``<ins>`` in place, within the new text's own inline markup (emphasis, links,
code), and deleted words are put back as ``<del>`` with their text only (their old markup
is not kept). Generated text is compared by what it stands for, not its numbers: a
cross-reference by its target (its words with the numbers left out), a caption's or
chapter's label and a note call not at all, so a renumbering is not a change.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from lxml import etree

from ..xhtml import add_class, has_class, local

BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "figcaption", "caption"}
BLOCK_TAGS |= {"td", "th", "pre", "blockquote", "figure"}
HEADINGS = {"h1", "h2", "h3"}  # what the changes page names as sections
STRUCTURE = {"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "figure"}
LABELS = ("label", "chapter-label")
TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
MARKS = ("review-changed", "review-inserted", "review-deleted")


def element(tag: str, attrs: dict[str, str] | None = None, text: str | None = None) -> etree._Element:
    """An element of the print document, which has no namespace."""
    el = etree.Element(tag, attrs or {})
    el.text = text
    return el


def _first(root: etree._Element, tag: str) -> etree._Element | None:
    return next((el for el in root.iter() if local(el) == tag), None)


def is_block(el: etree._Element) -> bool:
    return local(el) in BLOCK_TAGS or has_class(el, "footnote")


def atom_key(el: etree._Element) -> str | None:
    """The comparison key of an element compared as a whole, or None."""
    tag = local(el)
    if tag == "img":
        src = el.get("src", "")
        name = src.rsplit("/", 1)[-1] if not src.startswith("data:") else str(hash(src))
        return f"\0img:{el.get('alt', '')}:{name}"
    if tag in ("svg", "math"):
        return "\0" + tag + ":" + re.sub(r"\s+", " ", "".join(el.itertext()))
    if tag == "a" and (has_class(el, "xref") or has_class(el, "noteref")):
        words = re.sub(r"\d+", "#", "".join(el.itertext()))
        return f"\0xref:{el.get('href', '')}:{words}"
    if tag == "a" and not el.get("href", "#").startswith("#"):
        # a link elsewhere: where it goes is part of the text (print shows the address)
        return f"\0link:{el.get('href', '')}:{''.join(el.itertext())}"
    if tag == "span" and has_class(el, "footnote"):
        return "\0note"  # a note's call; its text is a block of its own
    if tag == "span" and any(has_class(el, c) for c in LABELS):
        return "\0label"
    return None


@dataclass
class Token:
    key: str
    item: int  # index into Block.items
    start: int = 0
    end: int = 0


@dataclass
class Block:
    el: etree._Element
    items: list[tuple[etree._Element, str]]  # (owner, "text" | "tail" | "atom")
    tokens: list[Token]

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.tokens]

    @property
    def signature(self) -> str:
        return local(self.el) + "|" + "".join(self.keys).strip()

    @property
    def words(self) -> list[str]:
        return [k for k in self.keys if not k.isspace()]


def _items(block: etree._Element) -> list[tuple[etree._Element, str]]:
    items: list[tuple[etree._Element, str]] = []

    def visit(el: etree._Element) -> None:
        if el.text:
            items.append((el, "text"))
        for child in el:
            if isinstance(child.tag, str) and local(child) == "span" and has_class(child, "footnote"):
                items.append((child, "atom"))  # the call (print sets the note at it)
            elif isinstance(child.tag, str) and not is_block(child):
                if atom_key(child) is not None:
                    items.append((child, "atom"))
                else:
                    visit(child)
            if child.tail:
                items.append((child, "tail"))

    visit(block)
    return items


def _block(el: etree._Element) -> Block:
    items = _items(el)
    tokens: list[Token] = []
    for i, (owner, where) in enumerate(items):
        if where == "atom":
            tokens.append(Token(atom_key(owner) or "", i))
            continue
        for m in TOKEN.finditer(getattr(owner, where) or ""):
            key = " " if m.group().isspace() else m.group()
            tokens.append(Token(key, i, m.start(), m.end()))
    # leading and trailing spaces are layout, not content
    while tokens and tokens[0].key == " ":
        tokens.pop(0)
    while tokens and tokens[-1].key == " ":
        tokens.pop()
    return Block(el, items, tokens)


GENERATED = ("role-answers", "role-index", "role-references")


def blocks(section: etree._Element) -> list[Block]:
    """The leaf blocks of a chapter with any text or image, in document order. The
    headings of a generated section (the answer key's "Chapter 3: …") are compared by id."""
    found: list[Block] = []
    generated = any(has_class(section, c) for c in GENERATED)

    def walk(el: etree._Element) -> None:
        for child in el:
            if not isinstance(child.tag, str) or atom_key(child) is not None:
                continue
            if is_block(child):
                b = _block(child)
                if generated and local(child) in HEADINGS and child.get("id") and b.tokens:
                    b.tokens = [Token("\0id:" + child.get("id", ""), 0)]
                if b.tokens:
                    found.append(b)
            walk(child)

    walk(section)
    return found


def word_ops(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes on tokens, with the lone spaces and single punctuation that
    SequenceMatcher matches between two changes folded into them (else a rewritten
    sentence reads as alternating one-word insertions and deletions)."""
    ops = [list(o) for o in SequenceMatcher(None, old, new, autojunk=False).get_opcodes()]
    merged: list[list] = []
    for i, op in enumerate(ops):
        tag, i1, i2, j1, j2 = op
        short = tag == "equal" and all(k == " " or len(k) == 1 for k in new[j1:j2]) and j2 - j1 <= 2
        between = 0 < i < len(ops) - 1 and merged and merged[-1][0] != "equal" and ops[i + 1][0] != "equal"
        if short and between:
            tag = "replace"
        if merged and tag != "equal" and merged[-1][0] != "equal":
            merged[-1][0] = "replace"
            merged[-1][2], merged[-1][4] = i2, j2
        else:
            merged.append([tag, i1, i2, j1, j2])
    return [tuple(o) for o in merged]  # type: ignore[misc]


def _mark(tag: str, text: str) -> etree._Element:
    return element(tag, {"class": f"review-{tag}"}, text)


def _plain(tokens: list[Token]) -> str:
    return "".join(t.key if not t.key.startswith("\0") else "" for t in tokens)


def mark_words(old: Block, new: Block) -> None:
    """Rewrite ``new``'s text runs so its inserted words are ``<ins>`` and its deleted words
    ``<del>``; elements compared as a whole (links, images) are wrapped."""
    # per text run of the new block: cut points with what to insert there
    wrap: dict[int, list[tuple[int, int]]] = {}  # item -> [(start, end)] to wrap in <ins>
    before: dict[int, list[tuple[int, str]]] = {}  # item -> [(offset, deleted text)]
    wrap_atoms: set[int] = set()
    after_last: list[str] = []
    for tag, i1, i2, j1, j2 in word_ops(old.keys, new.keys):
        if tag == "equal":
            continue
        if i2 > i1:
            gone = _plain(old.tokens[i1:i2])
            if gone.strip():
                if j1 < len(new.tokens):
                    t = new.tokens[j1]
                    before.setdefault(t.item, []).append(
                        (t.start if new.items[t.item][1] != "atom" else -1, gone)
                    )
                else:
                    after_last.append(gone)
        for t in new.tokens[j1:j2]:
            if new.items[t.item][1] == "atom":
                wrap_atoms.add(t.item)
            elif not t.key.isspace() or j2 - j1 > 1:
                wrap.setdefault(t.item, []).append((t.start, t.end))
    if after_last:
        last = new.tokens[-1]
        before.setdefault(last.item, []).append(
            (
                last.end if new.items[last.item][1] != "atom" else 10**9,
                "".join(after_last),
            )
        )
    atom_dels: list[tuple[etree._Element, str, bool]] = []
    for index, (owner, where) in enumerate(new.items):
        if where == "atom":
            for offset, gone in before.get(index, []):
                atom_dels.append((owner, gone, offset == 10**9))
            continue
        text = getattr(owner, where) or ""
        cuts: list[tuple[int, int, str]] = []  # (start, end, kind) pieces to mark
        for start, end in _spans(wrap.get(index, [])):
            cuts.append((start, end, "ins"))
        for offset, gone in before.get(index, []):
            cuts.append((offset, offset, "del:" + gone))
        if not cuts:
            continue
        cuts.sort(key=lambda c: (c[0], c[2].startswith("ins")))
        _rewrite(owner, where, text, cuts)
    for owner, gone, after in atom_dels:
        d = _mark("del", gone)
        (owner.addnext if after else owner.addprevious)(d)
        if after:  # addnext moved the tail behind the new element; keep it after it
            d.tail, owner.tail = owner.tail, None
    for index in wrap_atoms:
        owner = new.items[index][0]
        ins = element("ins", {"class": "review-ins"})
        ins.tail, owner.tail = owner.tail, None
        owner.addprevious(ins)
        ins.append(owner)


def _spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent spans joined."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def _rewrite(owner: etree._Element, where: str, text: str, cuts: list[tuple[int, int, str]]) -> None:
    """Replace a text run by plain text and ``<ins>``/``<del>`` elements."""
    lead: str | None = None
    made: list[etree._Element] = []
    pos = 0
    for start, end, kind in cuts:
        plain = text[pos:start]
        if made:
            made[-1].tail = (made[-1].tail or "") + plain
        else:
            lead = (lead or "") + plain
        if kind == "ins":
            made.append(_mark("ins", text[start:end]))
        else:
            made.append(_mark("del", kind[4:]))
        pos = max(pos, end)
    rest = text[pos:]
    if made:
        made[-1].tail = (made[-1].tail or "") + rest
    setattr(owner, where, lead or None)
    if where == "text":
        for k, el in enumerate(made):
            owner.insert(k, el)
    else:
        anchor = owner
        for el in made:
            anchor.addnext(el)
            anchor = el
        # addnext keeps the owner's tail with the owner: fix the order of tails
        tails = [el.tail for el in made]
        for el, tail in zip(made, tails, strict=True):
            el.tail = tail
        owner.tail = lead or None


def mark_all(block: Block, tag: str) -> None:
    """Every text run and image of a block inside ``<ins>`` or ``<del>``."""
    for owner, where in reversed(block.items):
        if where == "atom":
            wrapper = element(tag, {"class": f"review-{tag}"})
            wrapper.tail, owner.tail = owner.tail, None
            owner.addprevious(wrapper)
            wrapper.append(owner)
            continue
        text = getattr(owner, where) or ""
        if text.strip():
            _rewrite(owner, where, text, [(0, len(text), "ins")] if tag == "ins" else [(0, 0, "del:" + text)])
            if tag == "del":  # the deleted text is the <del>: drop the copy left as plain text
                made = owner[0] if where == "text" else owner.getnext()
                if made is not None:
                    made.tail = None


# -- blocks of a chapter ------------------------------------------------------------------


@dataclass
class ChapterChanges:
    id: str
    moved_from: int | None = None  # 1-based position in the earlier book
    new: bool = False
    marked: int = 0  # blocks marked


@dataclass
class Changes:
    chapters: list[ChapterChanges] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # titles of chapters no longer there

    @property
    def marked(self) -> int:
        return sum(c.marked for c in self.chapters)


def _similar(a: Block, b: Block) -> float:
    if local(a.el) != local(b.el):
        return 0.0
    return SequenceMatcher(None, a.words, b.words, autojunk=False).ratio()


def _align(old: list[Block], new: list[Block]) -> list[tuple[Block | None, Block | None]]:
    """Pair the blocks of a replaced run that are edits of each other, in order; the rest
    are insertions (None, b) and deletions (a, None). Output follows the new order, each
    deletion before the new block it preceded."""
    out: list[tuple[Block | None, Block | None]] = []
    start = 0
    for b in new:
        best, best_i = 0.5, None
        if local(b.el) in ("td", "th") and start < len(old) and local(old[start].el) == local(b.el):
            best_i = start  # a table cell rewritten in place is still that cell
        for i in range(start, len(old) if best_i is None else 0):
            score = _similar(old[i], b)
            if score > best:
                best, best_i = score, i
        if best_i is None:
            out.append((None, b))
            continue
        out += [(a, None) for a in old[start:best_i]]
        out.append((old[best_i], b))
        start = best_i + 1
    out += [(a, None) for a in old[start:]]
    return out


def pair_blocks(old: list[Block], new: list[Block]) -> list[tuple[Block | None, Block | None]]:
    sm = SequenceMatcher(None, [b.signature for b in old], [b.signature for b in new], autojunk=False)
    out: list[tuple[Block | None, Block | None]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out += list(zip(old[i1:i2], new[j1:j2], strict=True))
        else:
            out += _align(old[i1:i2], new[j1:j2])
    return out


def _deleted_copy(old: Block, anchor_parent: str) -> etree._Element | None:
    """The deleted block, to show where it was: its own content struck through, without its
    ids, nested blocks, notes, links or images (they belong to the earlier project)."""
    el = copy.deepcopy(old.el)
    el.tail = None
    for child in list(el.iter()):
        if child is not el and isinstance(child.tag, str) and is_block(child):
            parent = child.getparent()
            if parent is not None:
                _drop(child)
    for child in list(el.iter()):
        if not isinstance(child.tag, str):
            continue
        for attr in ("id", "data-pb", "href", "aria-labelledby", "aria-describedby", "src"):
            child.attrib.pop(attr, None)
        if local(child) == "img":
            span = element("span", {}, f"[{child.get('alt', '')}]")
            span.tail = child.tail
            child.getparent().replace(child, span)
        elif local(child) == "a":
            child.tag = "span"
    tag = local(el)
    if anchor_parent in ("ul", "ol"):
        el.tag = "li"
    elif anchor_parent in STRUCTURE:
        return None
    elif tag != "pre":
        el.tag = "p"
    el.attrib.pop("class", None)
    add_class(el, "review-deleted")
    mark_all(_block(el), "del")
    return el


def _drop(el: etree._Element) -> None:
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def compare_chapter(old: etree._Element, new: etree._Element) -> int:
    """Mark what changed in chapter ``new`` since ``old``; returns the number of blocks marked."""
    new_blocks = blocks(new)
    pairs = pair_blocks(blocks(old), new_blocks)
    marked = 0
    pending: list[Block] = []  # deletions waiting for the next new block

    def place(anchor: Block | None, before: bool) -> None:
        nonlocal marked
        target = anchor.el if anchor is not None else None
        if target is None:  # an emptied chapter: after its title
            target, before = _first(new, "h1"), False
        for gone in pending:
            if target is None:
                continue
            parent = local(target.getparent()) if target.getparent() is not None else ""
            copy_el = _deleted_copy(gone, parent) if not has_class(target, "footnote") else None
            if copy_el is None:  # no room for a block there: the words go inside the neighbour
                text = " " + "".join(k for k in gone.keys if not k.startswith("\0")).strip() + " "
                d = _mark("del", text)
                if before:
                    d.tail, target.text = target.text, None
                    target.insert(0, d)
                else:
                    target.append(d)
                add_class(target, "review-changed")
            else:
                copy_el.tail = target.tail if not before else None
                if before:
                    target.addprevious(copy_el)
                else:
                    target.tail, copy_el.tail = None, target.tail
                    target.addnext(copy_el)
                    target = copy_el  # the next deletion goes after this one
            marked += 1
        pending.clear()

    last: Block | None = None
    for a, b in pairs:
        if b is None:
            pending.append(a)
            continue
        if a is None:
            mark_all(b, "ins")
            add_class(b.el, "review-inserted")
            marked += 1
        elif a.keys != b.keys:
            mark_words(a, b)
            add_class(b.el, "review-changed")
            marked += 1
        place(b, before=True)  # after marking b: its text runs are read before they change
        last = b
    place(last, before=False)
    return marked


def chapters(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter() if local(el) == "section" and has_class(el, "chapter") and el.get("id")]


def chapter_title(section: etree._Element) -> str:
    h1 = _first(section, "h1")
    return (
        (h1.get("data-bookmark") or h1.get("data-title") or "") if h1 is not None else section.get("id", "")
    )


def compare(old_root: etree._Element, new_root: etree._Element, moved_note) -> Changes:
    """Mark the changes in ``new_root``; ``moved_note(position)``: the words of a moved
    chapter's note."""
    old_chapters = {s.get("id"): s for s in chapters(old_root)}
    old_order = list(old_chapters)
    new_list = chapters(new_root)
    new_order = [s.get("id") for s in new_list]
    common_old = [i for i in old_order if i in new_order]
    common_new = [i for i in new_order if i in old_order]
    kept: set[str] = set()
    for m in SequenceMatcher(None, common_old, common_new, autojunk=False).get_matching_blocks():
        kept |= set(common_old[m.a : m.a + m.size])
    changes = Changes()
    for section in new_list:
        cid = section.get("id")
        entry = ChapterChanges(cid)
        if cid not in old_chapters:
            entry.new = True
            for b in blocks(section):
                mark_all(b, "ins")
                add_class(b.el, "review-inserted")
                entry.marked += 1
        else:
            entry.marked = compare_chapter(old_chapters[cid], section)
            if cid not in kept:
                entry.moved_from = old_order.index(cid) + 1
                h1 = _first(section, "h1")
                if h1 is not None:
                    add_class(h1, "review-moved")
                    note = element("p", {"class": "review-moved-note"}, moved_note(entry.moved_from))
                    h1.addnext(note)
                    note.tail, h1.tail = h1.tail, None
        changes.chapters.append(entry)
    changes.removed = [chapter_title(s) for i, s in old_chapters.items() if i not in new_order]
    return changes
