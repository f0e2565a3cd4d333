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

import io
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, String


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


def _join_ids(ids: dict[str, object], part: int, found: list[tuple[str, pikepdf.Object]]) -> None:
    """Add a part's (ID, copied element) pairs to ``ids``, renaming those taken already."""
    renamed: dict[str, str] = {}
    for key, element in found:
        if key in ids:
            new, n = f"{key}.{part}", 1
            while new in ids:
                n += 1
                new = f"{key}.{part}.{n}"
            renamed[key] = new
            element.ID = String(new)
            key = new
        ids[key] = element
    tables = {t.objgen: t for key, e in found if key in renamed and (t := _table_of(e)) is not None}
    for table in tables.values():
        _rename_headers(table, renamed)


def merge(
    files: list[Path],
    owned: list[set[str]],
    label_ranges: list[tuple[int, str, object]],
    target: Path,
    direction: str = "ltr",
    changes: list | None = None,
) -> None:
    """Join ``files`` in order; ``owned[i]`` are the anchors laid out in ``files[i]``;
    ``changes[i]``, the page numbers to change in it (parts/renumber.py)."""
    from .parts import renumber

    changes = changes or [None] * len(files)
    out = pikepdf.open(files[0])
    if changes[0]:
        renumber.apply(out, 0, changes[0])
    tree = out.Root.StructTreeRoot
    document = _kids(tree)[0]
    nums = list(tree.ParentTree.Nums)
    next_key = max((int(key) for key, _ in _pairs(nums)), default=-1) + 1
    dests = {name: dest for name, dest in _dests(out).items() if name in owned[0]}
    outline = [(_outline(out), 0)]
    ids: dict[str, object] = dict(_ids(tree))
    for file, anchors, found in zip(files[1:], owned[1:], changes[1:], strict=True):
        with pikepdf.open(file) as src:
            if found:
                renumber.apply(src, 0, found)
            first = len(out.pages)
            offset = next_key
            outline.append((_outline(src), first))
            with warnings.catch_warnings():  # named destinations are joined below
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                out.pages.extend(src.pages)
            for page in out.pages[first:]:
                if "/StructParents" in page.obj:
                    page.obj.StructParents = int(page.obj.StructParents) + offset
                for annot in page.obj.get("/Annots", []):
                    if "/StructParent" in annot:
                        annot.StructParent = int(annot.StructParent) + offset
            src_tree = src.Root.StructTreeRoot
            # the parent tree copied whole, in one call: its arrays hold an element per mark
            for key, value in _pairs(_copy(out, src_tree.ParentTree).Nums):
                nums += [int(key) + offset, value]
                next_key = max(next_key, int(key) + offset + 1)
            kids = _kids(document)
            for kid in _kids(_kids(src_tree)[0]):
                copied = _copy(out, kid)
                copied.P = document
                kids.append(copied)
            _join_ids(ids, len(outline) - 1, [(key, _copy(out, e)) for key, e in _ids(src_tree)])
            for name, dest in _dests(src).items():
                if name in anchors:
                    dests[name] = _copy(out, dest)
    tree.ParentTree = out.make_indirect(Dictionary(Nums=Array(nums)))
    tree.ParentTreeNextKey = next_key
    if ids:
        flat_ids: list[object] = []
        for key in sorted(ids):
            flat_ids += [String(key), ids[key]]
        tree.IDTree = out.make_indirect(Dictionary(Names=Array(flat_ids)))
    names = out.Root.get("/Names")
    if names is None:
        out.Root.Names = names = Dictionary()
    flat: list[object] = []
    for name in sorted(dests):
        flat += [String(name), dests[name]]
    names.Dests = out.make_indirect(Dictionary(Names=Array(flat)))
    with out.open_outline() as new_outline:
        new_outline.root.clear()
        for items, offset in outline:
            _add_outline(out, new_outline.root, items, offset)
    nums_labels: list[object] = []
    for index, style, value in label_ranges:
        label = Dictionary(P=String(value)) if style == "P" else Dictionary(S=Name("/" + style), St=value)
        nums_labels += [index, label]
    out.Root.PageLabels = Dictionary(Nums=Array(nums_labels))
    if direction == "rtl":  # viewers show the spreads right to left
        if "/ViewerPreferences" not in out.Root:
            out.Root.ViewerPreferences = Dictionary()
        out.Root.ViewerPreferences.Direction = Name.R2L
    # Saved to memory first: when QPDF itself meets a full disk, it can abort the process
    # instead of raising; Python's own write raises an OSError that says so.
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    out.close()
    target.write_bytes(buffer.getvalue())
