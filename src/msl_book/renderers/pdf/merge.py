"""Join the tagged PDFs of a book's parts into one tagged PDF (pikepdf).

The first file (the front matter) is the base: its catalog keeps the language, metadata,
viewer preferences and mark info WeasyPrint wrote. Every other part brings its pages; its
structure elements join the base's document element, its parent-tree keys move past the
base's (pages' ``/StructParents`` and annotations' ``/StructParent`` with them), its
element IDs (table header cells) join the base's ``/IDTree`` (renamed when another part has
the same ID), its outline items follow the base's, and the named destinations of the
anchors it owns replace the stand-ins other parts made for links into it.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, String

from .parts import renumber


def _pairs(array: Iterable[object]) -> Iterator[tuple[object, object]]:
    items = list(array)
    return zip(items[::2], items[1::2], strict=True)


def _kids(element: pikepdf.Object) -> pikepdf.Array:
    kids = element.get("/K")
    if kids is None:
        element.K = kids = Array()
    elif not isinstance(kids, Array):
        element.K = kids = Array([kids])
    return kids


def _dests(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {str(name): dest for name, dest in _pairs(names.Dests.Names)}


def _outline(pdf: pikepdf.Pdf) -> list[tuple[str, int, object, bool, list]]:
    """(title, page index, destination tail, closed, children) of every outline item."""
    index = {page.objgen: i for i, page in enumerate(pdf.pages)}

    def walk(items: list[OutlineItem]) -> list[tuple[str, int, object, bool, list]]:
        found = []
        for item in items:
            dest = item.destination
            found.append(
                (item.title, index[dest[0].objgen], list(dest[1:]), item.is_closed, walk(item.children))
            )
        return found

    with pdf.open_outline() as outline:
        return walk(outline.root)


def _add_outline(pdf: pikepdf.Pdf, parent: list[OutlineItem], items: list, offset: int) -> None:
    for title, page, tail, closed, children in items:
        item = OutlineItem(title, Array([pdf.pages[page + offset].obj, *tail]))
        item.is_closed = closed
        parent.append(item)
        _add_outline(pdf, item.children, children, offset)


def _copy(out: pikepdf.Pdf, obj: object) -> object:
    """``obj`` of another PDF in ``out``: indirect objects through pikepdf's foreign copy
    (each copied once, references kept), direct arrays and dictionaries item by item."""
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return out.copy_foreign(obj)
    if isinstance(obj, Array):
        return Array([_copy(out, item) for item in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({key: _copy(out, value) for key, value in obj.items()})
    return obj


def _ids(tree: pikepdf.Object) -> list[tuple[str, pikepdf.Object]]:
    """(ID, element) of a structure tree's ``/IDTree`` (a flat one, as WeasyPrint's is made)."""
    ids = tree.get("/IDTree")
    return [] if ids is None else [(str(key), element) for key, element in _pairs(ids.get("/Names", []))]


def _table_of(element: pikepdf.Object) -> pikepdf.Object | None:
    while element is not None and element.get("/S") != Name.Table:
        element = element.get("/P")
    return element


def _rename_headers(table: pikepdf.Object, renamed: dict[str, str]) -> None:
    """Point the ``/Headers`` of the data cells under ``table`` at the renamed IDs."""
    todo = [table]
    while todo:
        element = todo.pop()
        attributes = element.get("/A")
        for a in attributes if isinstance(attributes, Array) else [attributes]:
            if isinstance(a, Dictionary) and "/Headers" in a:
                a.Headers = Array([String(renamed.get(str(key), str(key))) for key in a.Headers])
        kids = element.get("/K")
        kids = kids if isinstance(kids, Array) else [kids]
        todo += [kid for kid in kids if isinstance(kid, Dictionary) and "/S" in kid]


class Stale(Exception):
    """The parts cannot be joined into what was joined before: join them afresh."""


def _fix(
    container: pikepdf.Object, moves: dict[int, int], get: Callable[[tuple[int, int]], pikepdf.Object]
) -> None:
    """Point the references of ``container`` (and of the direct objects in it) to objects
    moved (``moves``: old number -> new) at their new numbers, in place: nothing else in it
    is touched (a real keeps its digits)."""
    todo = [container]
    while todo:
        item = todo.pop()
        if isinstance(item, pikepdf.Stream):
            item = item.stream_dict
        slots: Iterable = range(len(item)) if isinstance(item, Array) else list(item.keys())
        for slot in slots:
            value = item[slot]
            if not isinstance(value, pikepdf.Object):
                continue
            if value.is_indirect:
                number = value.objgen[0]
                if number in moves:
                    item[slot] = get((moves[number], 0))
            elif isinstance(value, (Array, Dictionary)):
                todo.append(value)


@dataclass
class _Part:
    """What one part brought into the joined PDF, kept so that a join after an edit copies
    only the parts that changed."""

    key: tuple  # the file's digest, the page numbers changed in it, the anchors it owns
    pages: list[pikepdf.Object]  # its pages, as copied
    marks: list[tuple[pikepdf.Object, str, int]]  # page or annotation, key, its own number
    nums: list[tuple[int, object]]  # its parent tree, with its own keys
    kids: list[pikepdf.Object]  # its structure elements, now the document element's
    ids: list[tuple[str, pikepdf.Object]]  # its element IDs, as it named them
    dests: dict[str, pikepdf.Object]
    outline: list
    slots: range  # the object numbers its objects have, and the slack after them
    offset: int = 0  # what its marks carry now: its own numbers plus this
    named: dict[str, str] = field(default_factory=dict)  # its IDs renamed now: as named -> now


def part_key(file: Path, anchors: set[str], found: object) -> tuple:
    digest = hashlib.sha1(file.read_bytes()).hexdigest()
    return digest, repr(found), hashlib.sha1("\0".join(sorted(anchors)).encode()).hexdigest()


class Joined:
    """A book's parts joined: the first file (the front matter) opened as the base, every
    other part's pages and objects copied into it. ``join`` joins a new list of parts: the
    parts the last join had (same bytes, same page numbers changed, same anchors) are kept
    as they were copied, the rest copied anew; what ties the parts together (the parent
    tree, the document element's kids, the IDs, the named destinations, the outline, the
    page labels) is made again from every part's record. QPDF writes only the objects
    reachable from the catalog, but orders the objects of each object stream by their
    numbers in memory: a part copied anew takes the numbers its previous version had
    (``_replace``), and the bytes are those of a join of the same files from scratch
    (tests/test_live_builds.py, tests/test_incremental.py)."""

    def __init__(self, base: Path, anchors: set[str], found: object, key: tuple | None = None) -> None:
        self.key = key or part_key(base, anchors, found)
        self.out = out = pikepdf.open(base)
        if found:
            renumber.apply(out, 0, found)
        tree = out.Root.StructTreeRoot
        self.document = _kids(tree)[0]
        self.base_kids = list(_kids(self.document))
        self.base_nums = list(tree.ParentTree.Nums)
        self.base_next = max((int(key) for key, _ in _pairs(self.base_nums)), default=-1) + 1
        self.base_dests = {name: dest for name, dest in _dests(out).items() if name in anchors}
        self.base_outline = _outline(out)
        self.base_ids = _ids(tree)
        self.base_pages = len(out.pages)
        self.parts: list[_Part] = []
        self.left_over = 0  # objects of parts copied before, no longer joined
        self.copied = 0  # parts the last join copied
        self.direction = "ltr"  # the last join's (rtl: its viewer preferences say so)

    def worn(self) -> bool:
        """More objects left over from earlier joins (parts copied before, what tied them
        together) than joined: better made afresh."""
        return self.left_over > max(sum(len(p.slots) for p in self.parts), 1000)

    def join(
        self,
        files: list[Path],
        owned: list[set[str]],
        label_ranges: list[tuple[int, str, object]],
        direction: str = "ltr",
        changes: list | None = None,
    ) -> bytes:
        """The joined PDF of ``files`` (the first being the base this was made with);
        ``owned[i]``, the anchors laid out in ``files[i]``; ``changes[i]``, the page numbers
        to change in it (parts/renumber.py). Raises Stale when a part changed that cannot
        be copied where it was (more parts, or a part much larger than before)."""
        changes = changes or [None] * len(files)
        todo = list(zip(files[1:], owned[1:], changes[1:], strict=True))
        keys = [part_key(f, a, c) for f, a, c in todo]
        self.copied = 0
        if not self.parts:
            for (file, anchors, found), key in zip(todo, keys, strict=True):
                self.parts.append(self._copy(file, anchors, found, key, len(self.out.pages)))
        elif len(keys) != len(self.parts):
            raise Stale("the book has more or fewer parts")
        else:
            changed = [i for i, key in enumerate(keys) if self.parts[i].key != key]
            if len(changed) > max(1, len(keys) // 4):  # QPDF copies them afresh faster than they move
                raise Stale("most parts changed")
            for index in changed:
                (file, anchors, found), key = todo[index], keys[index]
                self._replace(index, file, anchors, found, key)
        return self._tie(label_ranges, direction)

    def _replace(self, index: int, file: Path, anchors: set[str], found: object, key: tuple) -> None:
        """Copy part ``index`` anew, in the place of the one joined before: its pages where
        its pages were, its objects numbered where that part's objects were numbered (and the
        slack left after them), so QPDF writes them in the order of a join from scratch (it
        orders the objects of each object stream by number)."""
        old = self.parts[index]
        at = self.base_pages + sum(len(p.pages) for p in self.parts[:index])
        for _ in old.pages:
            del self.out.pages[at]
        self.parts[index] = self._copy(file, anchors, found, key, at, into=old.slots)

    def _copy(
        self, file: Path, anchors: set[str], found: object, key: tuple, at: int, into: range | None = None
    ) -> _Part:
        """Copy a part's pages (inserted at page ``at``) and objects; ``into``: the object
        numbers they take (a part joined before had them), else new ones, with slack."""
        out = self.out
        self.copied += 1
        first = out.make_indirect(Dictionary()).objgen[0]  # numbers after this are the part's
        with pikepdf.open(file) as src:
            if found:
                renumber.apply(src, 0, found)
            outline = _outline(src)
            pages = [out.copy_foreign(page.obj) for page in src.pages]
            src_tree = src.Root.StructTreeRoot
            parent_tree = _copy(out, src_tree.ParentTree)
            kids = [_copy(out, kid) for kid in _kids(_kids(src_tree)[0])]
            ids = [(k, _copy(out, e)) for k, e in _ids(src_tree)]
            dests = {name: _copy(out, dest) for name, dest in _dests(src).items() if name in anchors}
        end = out.make_indirect(Dictionary()).objgen[0]
        copied = range(first + 1, end)
        if into is None:
            for _ in range(len(copied) // 2 + 64):  # unreferenced, so never written
                end = out.make_indirect(Dictionary()).objgen[0]
            slots = range(first, end + 1)
        else:
            if len(copied) > len(into):
                raise Stale("a part has many more objects than before")
            slots = into
            moves = dict(zip(copied, into, strict=False))
            get = out.get_object
            for number in copied:
                _fix(get((number, 0)), moves, get)
            loose = [
                o for o in [parent_tree, *kids, *(e for _, e in ids), *dests.values()] if not o.is_indirect
            ]
            for obj in loose:
                _fix(obj, moves, get)
            for number in copied:
                out._swap_objects((number, 0), (moves[number], 0))
            self.left_over += len(copied) + 2

            def moved(obj: pikepdf.Object) -> pikepdf.Object:
                return get((moves[obj.objgen[0]], 0)) if obj.is_indirect and obj.objgen[0] in moves else obj

            pages = [moved(page) for page in pages]
            parent_tree, kids = moved(parent_tree), [moved(kid) for kid in kids]
            ids = [(k, moved(e)) for k, e in ids]
            dests = {name: moved(dest) for name, dest in dests.items()}
        for i, page in enumerate(pages):
            out.pages.insert(at + i, pikepdf.Page(page))
        marks: list[tuple[pikepdf.Object, str, int]] = []
        for page in pages:
            if "/StructParents" in page:
                marks.append((page, "/StructParents", int(page.StructParents)))
            for annot in page.get("/Annots", []):
                if "/StructParent" in annot:
                    marks.append((annot, "/StructParent", int(annot.StructParent)))
        for kid in kids:
            kid.P = self.document
        # the parent tree's arrays hold an element per mark
        nums = [(int(k), v) for k, v in _pairs(parent_tree.Nums)]
        return _Part(key, pages, marks, nums, kids, ids, dests, outline, slots)

    def _tie(self, label_ranges: list[tuple[int, str, object]], direction: str) -> bytes:
        out = self.out
        self.direction = direction
        before = out.make_indirect(Dictionary()).objgen[0]  # what this makes is left over next time
        tree = out.Root.StructTreeRoot
        nums = list(self.base_nums)
        next_key = self.base_next
        kids = list(self.base_kids)
        for part in self.parts:
            offset = next_key
            if part.offset != offset:  # the parts before it have more or fewer marks now
                for obj, name, own in part.marks:
                    obj[name] = own + offset
                part.offset = offset
            for own, value in part.nums:
                nums += [own + offset, value]
                next_key = max(next_key, own + offset + 1)
            kids += part.kids
        if self.document.K.is_indirect:
            while len(self.document.K):
                del self.document.K[len(self.document.K) - 1]
            self.document.K.extend(kids)
        else:
            self.document.K = Array(kids)
        tree.ParentTree = out.make_indirect(Dictionary(Nums=Array(nums)))
        tree.ParentTreeNextKey = next_key
        ids = self._name_ids()
        if ids:
            flat_ids: list[object] = []
            for key in sorted(ids):
                flat_ids += [String(key), ids[key]]
            tree.IDTree = out.make_indirect(Dictionary(Names=Array(flat_ids)))
        dests = dict(self.base_dests)
        for part in self.parts:
            dests.update(part.dests)
        names = out.Root.get("/Names")
        if names is None:
            out.Root.Names = names = Dictionary()
        flat: list[object] = []
        for name in sorted(dests):
            flat += [String(name), dests[name]]
        names.Dests = out.make_indirect(Dictionary(Names=Array(flat)))
        with out.open_outline() as new_outline:
            new_outline.root.clear()
            _add_outline(out, new_outline.root, self.base_outline, 0)
            first = self.base_pages
            for part in self.parts:
                _add_outline(out, new_outline.root, part.outline, first)
                first += len(part.pages)
        nums_labels: list[object] = []
        for index, style, value in label_ranges:
            label = Dictionary(P=String(value)) if style == "P" else Dictionary(S=Name("/" + style), St=value)
            nums_labels += [index, label]
        out.Root.PageLabels = Dictionary(Nums=Array(nums_labels))
        if direction == "rtl":  # viewers show the spreads right to left
            if "/ViewerPreferences" not in out.Root:
                out.Root.ViewerPreferences = Dictionary()
            out.Root.ViewerPreferences.Direction = Name.R2L
        # Saved to memory: when QPDF itself meets a full disk, it can abort the process
        # instead of raising; Python's own write raises an OSError that says so.
        self.left_over += out.make_indirect(Dictionary()).objgen[0] - before + 1
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()

    def _name_ids(self) -> dict[str, pikepdf.Object]:
        """Every part's element IDs joined, each named as a join from scratch names it: an
        ID another part took already gets the part's number (and its table's header cells
        follow)."""
        ids: dict[str, pikepdf.Object] = dict(self.base_ids)
        for number, part in enumerate(self.parts, start=1):
            wanted: dict[str, str] = {}
            for key, element in part.ids:
                name = key
                if key in ids:
                    name, n = f"{key}.{number}", 1
                    while name in ids:
                        n += 1
                        name = f"{key}.{number}.{n}"
                ids[name] = element
                if name != key:
                    wanted[key] = name
            if wanted != part.named:
                # as named now -> as wanted, for the elements whose name changes
                now = {key: part.named.get(key, key) for key, _ in part.ids}
                moves = {now[key]: wanted.get(key, key) for key, _ in part.ids}
                moves = {old: new for old, new in moves.items() if old != new}
                tables = {}
                for key, element in part.ids:
                    if now[key] in moves:
                        element.ID = String(moves[now[key]])
                        if (table := _table_of(element)) is not None:
                            tables[table.objgen] = table
                for table in tables.values():
                    _rename_headers(table, moves)
                part.named = wanted
        return ids


def merge(
    files: list[Path],
    owned: list[set[str]],
    label_ranges: list[tuple[int, str, object]],
    target: Path,
    direction: str = "ltr",
    changes: list | None = None,
) -> None:
    """Join ``files`` in order into ``target`` (``Joined``)."""
    changes = changes or [None] * len(files)
    joined = Joined(files[0], owned[0], changes[0])
    data = joined.join(files, owned, label_ranges, direction, changes)
    joined.out.close()
    target.write_bytes(data)
