"""Joining the parts' tagged PDFs (renderers/pdf/merge.py), on two small PDFs made here."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from weasyprint import HTML

from msl_book.renderers.pdf.merge import merge

STYLE = "<style>@page { size: A6 } h1 { break-before: page }</style>"
FRONT = f"""<html lang="en">{STYLE}<body>
<h1 id="a-top">Front</h1><p>To the <a href="#b-target">second part</a>.</p>
</body></html>"""
BODY = f"""<html lang="en">{STYLE}<body>
<h1 id="b-start">Body</h1><p>Back to <a href="#a-top">the front</a>.</p>
<h1 id="b-target">Target</h1><p>Here.</p>
</body></html>"""


def _part(path: Path, html: str, outside: list[str]) -> Path:
    document = HTML(string=html).render()
    for name in outside:  # as the parts do: a stand-in destination the merge replaces
        document.pages[0].anchors.setdefault(name, (0, 0, 0, 0))
    document.write_pdf(target=str(path), pdf_tags=True, pdf_variant="pdf/ua-1")
    return path


@pytest.fixture(scope="module")
def joined(tmp_path_factory: pytest.TempPathFactory) -> pikepdf.Pdf:
    tmp = tmp_path_factory.mktemp("merge")
    files = [_part(tmp / "a.pdf", FRONT, ["b-target"]), _part(tmp / "b.pdf", BODY, ["a-top"])]
    merge(files, [{"a-top"}, {"b-start", "b-target"}], [(0, "r", 1), (1, "D", 1)], tmp / "book.pdf")
    with pikepdf.open(tmp / "book.pdf") as pdf:
        yield pdf


def _page(pdf: pikepdf.Pdf, obj: pikepdf.Object) -> int:
    return next(i for i, page in enumerate(pdf.pages) if page.objgen == obj.objgen)


def test_pages_of_every_part_in_order(joined):
    assert len(joined.pages) == 3
    texts = [page.Contents.read_bytes() if "/Contents" in page else b"" for page in joined.pages]
    assert all(texts)


def test_named_destinations_are_those_of_the_part_that_owns_the_anchor(joined):
    names = joined.Root.Names.Dests.Names
    dests = {str(names[i]): _page(joined, names[i + 1][0]) for i in range(0, len(names), 2)}
    assert dests == {"a-top": 0, "b-start": 1, "b-target": 2}


def test_links_across_parts_reach_their_pages(joined):
    names = joined.Root.Names.Dests.Names
    dests = {str(names[i]): _page(joined, names[i + 1][0]) for i in range(0, len(names), 2)}
    links = [
        (index, dests[str(annot.Dest)])
        for index, page in enumerate(joined.pages)
        for annot in page.obj.get("/Annots", [])
        if "/Dest" in annot
    ]
    assert links == [(0, 2), (1, 0)]


def test_outlines_are_joined_with_their_pages(joined):
    with joined.open_outline() as outline:
        items = [(item.title, _page(joined, item.destination[0])) for item in outline.root]
    assert items == [("Front", 0), ("Body", 1), ("Target", 2)]


def test_structure_tree_and_parent_tree_stay_consistent(joined):
    tree = joined.Root.StructTreeRoot
    nums = list(tree.ParentTree.Nums)
    keys = [int(k) for k in nums[::2]]
    assert len(keys) == len(set(keys))
    assert int(tree.ParentTreeNextKey) == max(keys) + 1
    parent = dict(zip(keys, nums[1::2], strict=True))
    for page in joined.pages:
        assert int(page.obj.StructParents) in parent
        for annot in page.obj.get("/Annots", []):
            element = parent[int(annot.StructParent)]
            objs = [k.Obj for k in element.K if isinstance(k, pikepdf.Dictionary) and "/Obj" in k]
            assert any(obj.objgen == annot.objgen for obj in objs)
    document = tree.K[0] if isinstance(tree.K, pikepdf.Array) else tree.K
    headings = [kid for kid in document.K if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == "/H1"]
    assert len(headings) == 3
    assert all(h.P.objgen == document.objgen for h in headings)


def test_catalog_language_identification_and_labels(joined):
    assert str(joined.Root.Lang) == "en"
    assert joined.open_metadata().get("pdfuaid:part") == "1"
    labels = joined.Root.PageLabels.Nums
    assert [int(labels[0]), str(labels[1].S), int(labels[2]), str(labels[3].S)] == [0, "/r", 1, "/D"]
