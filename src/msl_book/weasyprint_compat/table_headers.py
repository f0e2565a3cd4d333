"""Fix: a tagged PDF's table header cells carry no /Scope, and their IDs resolve nowhere.

WeasyPrint tags ``<th>`` as ``/TH`` with ``/A << /O /Table >>`` only. It gives every data
cell ``/Headers`` naming header cells by ``/ID``, but it writes no ``/IDTree`` (which ISO
32000-1 14.7.2 requires once any element has an ``/ID``, and through which a reader finds
them), takes every header cell for a column header unless it says ``scope="row"`` (so the
header at the start of a body row heads nothing), and counts columns without the cells that
span down from the rows above. PDF/UA-1 requires ``/Scope`` on a ``/TH`` when the table's
structure is not given by ``/Headers`` and ``/IDs`` (ISO 14289-1 7.5; Matterhorn 15-003).

The fix gives every header cell its ``/Scope`` in ``/A``: from ``scope`` on the ``<th>``
(``col``/``colgroup`` → ``/Column``, ``row``/``rowgroup`` → ``/Row``); else ``/Column`` in a
header row group (``<thead>``) or in a row of header cells only; else ``/Row`` (the header at
the start of a body row). Each data cell's ``/Headers`` then names the row headers before it
in its rows and the column headers above it in its columns (by grid position, spans
included), and the structure tree root gets the ``/IDTree`` of the header cells' IDs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pydyf
import weasyprint.pdf
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.pdf import tags

from .patch import Patch

_COLUMN = {"col": "Column", "colgroup": "Column", "row": "Row", "rowgroup": "Row"}


def _table(box: object) -> boxes.TableBox | None:
    """The table box a ``/Table`` element was made from (WeasyPrint tags the wrapper)."""
    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    if getattr(box, "is_table_wrapper", False):
        return box.get_wrapped_table()
    return box if isinstance(box, boxes.TableBox) else None


def _rows(table: boxes.TableBox) -> Iterator[tuple[boxes.TableRowGroupBox, boxes.TableRowBox]]:
    for group in table.children:
        if isinstance(group, boxes.TableRowGroupBox):
            for row in group.children:
                if isinstance(row, boxes.TableRowBox):
                    yield group, row


def _is_th(cell: object) -> bool:
    return getattr(cell, "element", None) is not None and cell.element_tag == "th"


def scope(cell: boxes.TableCellBox, group: boxes.TableRowGroupBox, row: boxes.TableRowBox) -> str:
    """``Column`` or ``Row``: what a header cell heads."""
    explicit = _COLUMN.get((cell.element.get("scope") or "").strip().lower())
    if explicit:
        return explicit
    if group.is_header or all(_is_th(other) for other in row.children):
        return "Column"
    return "Row"


def associate(table: boxes.TableBox, element: pydyf.Dictionary, ids: list) -> None:
    """Set the header cells' ``/Scope`` and ``/ID`` and the data cells' ``/Headers`` of one
    ``/Table`` element (a table, or the part of it on one page)."""
    rows = list(_rows(table))
    # (first row, last row, first column, last column, scope, ID, the row's group) per header
    headers = []
    for y, (group, row) in enumerate(rows):
        for cell in row.children:
            struct = getattr(cell, "mark", None)
            if struct is None or not _is_th(cell):
                continue
            what = scope(cell, group, row)
            key = pydyf.String(f"{element.number}-{y}-{cell.grid_x}")
            struct["A"]["Scope"] = f"/{what}"
            struct["ID"] = key
            ids.append((key, struct))
            rowgroup = (cell.element.get("scope") or "").strip().lower() == "rowgroup"
            last_row = y + cell.rowspan - 1
            if rowgroup:
                last_row = max(i for i, (g, _) in enumerate(rows) if g is group)
            headers.append((y, last_row, cell.grid_x, cell.grid_x + cell.colspan - 1, what, key))
    for y, (_group, row) in enumerate(rows):
        for cell in row.children:
            struct = getattr(cell, "mark", None)
            if struct is None or _is_th(cell):
                continue
            rows_of, columns_of = range(y, y + cell.rowspan), range(cell.grid_x, cell.grid_x + cell.colspan)
            by_row = [
                key
                for top, bottom, left, _right, what, key in headers
                if what == "Row" and left < cell.grid_x and any(top <= r <= bottom for r in rows_of)
            ]
            by_column = [
                key
                for top, _bottom, left, right, what, key in headers
                if what == "Column" and top < y and any(left <= c <= right for c in columns_of)
            ]
            if by_row or by_column:
                struct["A"]["Headers"] = pydyf.Array([*by_row, *by_column])
            else:
                struct["A"].pop("Headers", None)


def _make_build(original):
    def build_box_tree(box, parent, pdf, *args, **kwargs) -> Iterator[pydyf.Dictionary]:
        for struct in original(box, parent, pdf, *args, **kwargs):
            # a /Table is also handed up through its ancestors' calls: associate it once,
            # in the call for the table itself
            if struct["S"] == "/Table" and (table := _table(box)) is not None:
                done = pdf.__dict__.setdefault("_msl_tables", set())
                if struct.number not in done:
                    done.add(struct.number)
                    associate(table, struct, pdf.__dict__.setdefault("_msl_header_ids", []))
            yield struct

    return build_box_tree


def _make_add_tags(original):
    def add_tags(pdf, *args, **kwargs) -> None:
        original(pdf, *args, **kwargs)
        ids = pdf.__dict__.pop("_msl_header_ids", [])
        pdf.__dict__.pop("_msl_tables", None)
        if ids:
            root = pdf.objects[int(pdf.catalog["StructTreeRoot"].split()[0])]
            names = pydyf.Array()
            for key, struct in sorted(ids, key=lambda pair: str(pair[0].string)):
                names += [key, struct.reference]
            root["IDTree"] = pydyf.Dictionary({"Names": names})

    return add_tags


PATCH = Patch(
    "table-headers",
    "table header cells in a tagged PDF have no /Scope, and the IDs data cells name them by resolve nowhere",
    "docs/upstream/tagged-pdf-table-headers.md",
    ((tags, "_build_box_tree", _make_build), (weasyprint.pdf, "add_tags", _make_add_tags)),
)
