"""The tagged PDF's tables as a screen reader meets them: every header cell has its /Scope,
every data cell names its headers through IDs that resolve, in the handbook, in a book with
raw HTML tables, and in that book laid out in parts; and PyPI's pdfua finds nothing.

Texts are those the real files mark (tests/pdf_structure.py reads them from the content).
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from weasyprint import HTML

from msl_book.build import BuildOptions, build
from msl_book.errors import Report
from msl_book.model import isbn
from msl_book.pipeline import prepare
from msl_book.renderers.pdf import parts
from msl_book.renderers.pdf.html import print_html, print_meta
from msl_book.renderers.pdf.merge import merge
from msl_book.weasyprint_compat import patched

from conftest import ROOT, make_book
from pdf_structure import id_tree, structure

TABLES = """---
title: Tables
---
Visits per region, as raw HTML with `scope` on its header cells.

```{=html}
<table id="tbl-visits">
<caption>Visits per region</caption>
<thead><tr><td></td><th scope="col">Q1</th><th scope="col">Q2</th></tr></thead>
<tbody>
<tr><th scope="row">North</th><td>12</td><td>15</td></tr>
<tr><th>South</th><td>9</td><td>11</td></tr>
</tbody>
</table>
```

A table whose first row is its header row, without a `thead`:

```{=html}
<table id="tbl-roles"><tr><th>Name</th><th>Role</th></tr><tr><td>Ada</td><td>Lead</td></tr></table>
```

Headers spanning rows and columns:

```{=html}
<table id="tbl-spans">
<thead>
<tr><th rowspan="2">Region</th><th colspan="2" scope="colgroup">2026</th></tr>
<tr><th>H1</th><th>H2</th></tr>
</thead>
<tbody><tr><th>Europe</th><td>E1</td><td>E2</td></tr></tbody>
</table>
```

A header row whose first cell heads the row of headers, and a row group's header:

```{=html}
<table id="tbl-quarters">
<thead><tr><th scope="row">Quarter</th><th>Q1</th><th>Q2</th></tr></thead>
<tbody><tr><th scope="rowgroup">Visits</th><td>21</td><td>26</td></tr></tbody>
</table>
```

| Skill | Use |
|-------|-----|
| Listening | Every day |

Table: Skills in use
"""


def _headers(pdf: pikepdf.Pdf) -> tuple[list[list[tuple[str, str]]], dict[str, list[str]]]:
    """[(text, scope) of every TH] per /Table, and each data cell's text → its headers' texts
    (looked up through the /IDTree, and checked to be header cells of the same table)."""
    root = structure(pdf)
    by_obj = {e.obj.objgen: e for e in root.walk()}
    ids = id_tree(pdf)
    tables, cells = [], {}
    for table in root.find("/Table"):
        ths = table.find("/TH")
        tables.append([(th.text.strip(), str(th.attributes.get("Scope"))) for th in ths])
        mine = {th.obj.objgen for th in ths}
        for td in table.find("/TD"):
            keys = [str(key) for key in td.attributes.get("Headers", [])]
            assert all(ids[key].objgen in mine for key in keys), (td.text, keys)
            cells[td.text.strip()] = [by_obj[ids[key].objgen].text.strip() for key in keys]
    return tables, cells


SCOPES = [
    [("Q1", "/Column"), ("Q2", "/Column"), ("North", "/Row"), ("South", "/Row")],
    [("Name", "/Column"), ("Role", "/Column")],
    [("Region", "/Column"), ("2026", "/Column"), ("H1", "/Column"), ("H2", "/Column"), ("Europe", "/Row")],
    [("Quarter", "/Row"), ("Q1", "/Column"), ("Q2", "/Column"), ("Visits", "/Row")],
    [("Skill", "/Column"), ("Use", "/Column")],
]
HEADER_CELLS = sum(len(table) for table in SCOPES)  # (the top-left cell of the visits table is a <td>)
CELLS = {
    "12": ["North", "Q1"],
    "15": ["North", "Q2"],
    "9": ["South", "Q1"],
    "11": ["South", "Q2"],
    "Ada": ["Name"],
    "Lead": ["Role"],
    "E1": ["Europe", "2026", "H1"],
    "E2": ["Europe", "2026", "H2"],
    "21": ["Visits", "Q1"],
    "26": ["Visits", "Q2"],
    "Listening": ["Skill"],
    "Every day": ["Use"],
}


@pytest.fixture(scope="module")
def tables_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_book(tmp_path_factory.mktemp("tables"), {"chapters/02-second.md": TABLES})


def test_every_header_cell_of_the_handbook_has_its_scope(handbook):
    with pikepdf.open(handbook.pdf) as pdf:
        tables, cells = _headers(pdf)
    # a table that runs onto the next page is a /Table on each, both with the header row
    distinct = [t for i, t in enumerate(tables) if i == 0 or t != tables[i - 1]]
    assert distinct == [
        [
            ("Skill", "/Column"),
            ("What it looks like in practice", "/Column"),
            ("Example situation", "/Column"),
        ],
        [
            ("Previous background", "/Column"),
            ("What it brings to the MSL role", "/Column"),
            ("What you may need to build", "/Column"),
        ],
        [("Trend", "/Column"), ("What it means for you", "/Column")],
    ]
    assert cells["More complex therapies"] == ["Trend"]
    assert cells["Clinical research"] == ["Previous background"]


def test_scope_from_the_table_and_from_scope_attributes(tables_book: Path):
    result = build(tables_book, BuildOptions(output=tables_book / "out"))
    by_format = {o.format: o.path for o in result.outputs}
    with pikepdf.open(by_format["pdf"]) as pdf:
        tables, cells = _headers(pdf)
        assert len(id_tree(pdf)) == HEADER_CELLS  # every header cell, once
    assert tables == SCOPES
    assert {text: cells[text] for text in CELLS} == CELLS
    with zipfile.ZipFile(by_format["epub"]) as epub:
        texts = [epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml")]
    xhtml = next(text for text in texts if "tbl-quarters" in text)
    for th in ('<th scope="row">Quarter</th>', '<th scope="rowgroup">Visits</th>', '<th scope="col">Q1</th>'):
        assert th in xhtml  # the EPUB keeps them too


def test_scope_and_headers_survive_the_join_of_parts(tables_book: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "150")  # a part per chapter
    p = prepare(tables_book, Report())
    source = print_html(p.model, p.env, print_meta(p.book, p.modified, "screen", isbn(p.identifier)))
    pieces = parts.split(source, parts.part_chars())
    assert pieces is not None and any("Visits per region" in piece.html for piece in pieces[2:])
    result = build(tables_book, BuildOptions(output=tables_book / "parts", formats=("pdf",), force=True))
    with pikepdf.open(result.outputs[0].path) as pdf:
        tables, cells = _headers(pdf)
        ids = id_tree(pdf)
    assert tables == SCOPES
    assert {text: cells[text] for text in CELLS} == CELLS
    assert len(ids) == HEADER_CELLS


TABLE = """<html lang="en"><style>@page { size: A6 }</style><body>
<table><thead><tr><th>Dose</th><th>Effect</th></tr></thead>
<tbody><tr><td>5 mg</td><td>Mild</td></tr></tbody></table></body></html>"""


def test_parts_with_the_same_header_ids_are_joined_with_unique_ones(tmp_path: Path):
    """Two parts made alike give their header cells the same IDs: the join renames the
    second part's and points its data cells at the new ones."""
    files = []
    for name in ("a.pdf", "b.pdf"):
        with patched():
            HTML(string=TABLE).write_pdf(tmp_path / name, pdf_tags=True, pdf_variant="pdf/ua-1")
        files.append(tmp_path / name)
    with pikepdf.open(files[0]) as a, pikepdf.open(files[1]) as b:
        assert set(id_tree(a)) == set(id_tree(b))  # the clash the join has to resolve
    merge(files, [set(), set()], [(0, "D", 1)], tmp_path / "book.pdf")
    with pikepdf.open(tmp_path / "book.pdf") as pdf:
        tables, cells = _headers(pdf)
        ids = id_tree(pdf)
        assert len(ids) == 4
        headers = Counter(str(key) for td in structure(pdf).find("/TD") for key in td.attributes["Headers"])
    assert tables == [[("Dose", "/Column"), ("Effect", "/Column")]] * 2
    assert cells == {"5 mg": ["Dose"], "Mild": ["Effect"]}
    assert set(headers) == set(ids) and set(headers.values()) == {1}


# -- pdfua: PyPI's checker of the machine-checkable part of PDF/UA-1 --------------------------

# pdfua 0.1.3 cannot evaluate its empty-heading rule on any PDF whose headings' /K is an array
# (every WeasyPrint PDF): pikepdf raises for getattr(Array, "is_integer").
PDFUA_BROKEN = {"UA-14-001": "pikepdf.Object is not a Dictionary or Stream"}


def _pdfua(path: Path) -> tuple[list[str], dict[str, str]]:
    from pdfua import validate

    report = validate(str(path))
    findings = [f"{f.rule_id} page {f.location.page}: {f.message}" for f in report.findings]
    skipped = {o.rule_id: o.skipped_reason for o in report.outcomes if o.skipped_reason}
    return findings, skipped


def _headings_are_not_empty(path: Path) -> list[str]:
    """What pdfua's skipped rule would check: every heading marks some text."""
    with pikepdf.open(path) as pdf:
        root = structure(pdf)
    return [
        e.role
        for e in root.walk()
        if e.role in ("/H1", "/H2", "/H3", "/H4", "/H5", "/H6") and not e.text.strip()
    ]


@pytest.fixture(scope="module")
def print_edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("print")
    result = build(ROOT, BuildOptions(output=out, formats=("pdf",), editions=("print",)))
    return result.outputs[0].path


@pytest.mark.parametrize("edition", ["screen", "print"])
def test_pdfua_finds_nothing_in_the_handbook(handbook, print_edition: Path, edition: str):
    path = handbook.pdf if edition == "screen" else print_edition
    findings, skipped = _pdfua(path)
    assert findings == []
    assert set(skipped) <= set(PDFUA_BROKEN)
    for rule, reason in skipped.items():
        assert PDFUA_BROKEN[rule] in reason
    assert _headings_are_not_empty(path) == []


def test_pdfua_finds_nothing_in_raw_html_tables(tables_book: Path):
    result = build(tables_book, BuildOptions(output=tables_book / "pdfua", formats=("pdf",)))
    findings, _ = _pdfua(result.outputs[0].path)
    assert findings == []
