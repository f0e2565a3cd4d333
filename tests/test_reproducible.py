"""Same inputs, same bytes: by default (dates from book.yaml) and with SOURCE_DATE_EPOCH."""

from __future__ import annotations

import zipfile

import pikepdf

from msl_book.build import BuildOptions, build

from conftest import ROOT, make_book


def _build(project, out, **env):
    result = build(project, BuildOptions(output=out))
    return {o.path.name: o.path.read_bytes() for o in result.outputs}


def test_two_builds_are_byte_identical(tmp_path):
    project = make_book(tmp_path)
    first = _build(project, tmp_path / "a")
    second = _build(project, tmp_path / "b")
    assert set(first) == {"tiny.pdf", "tiny.epub"}
    assert first == second


def test_source_date_epoch_builds_are_identical_and_use_that_date(tmp_path, monkeypatch):
    project = make_book(tmp_path)
    default = _build(project, tmp_path / "default")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    first = _build(project, tmp_path / "a")
    second = _build(project, tmp_path / "b")
    assert first == second
    assert first["tiny.pdf"] != default["tiny.pdf"]
    with pikepdf.open(tmp_path / "a" / "tiny.pdf") as pdf:
        assert str(pdf.docinfo["/ModDate"]).startswith("D:20260101000000")
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20260115")  # book.yaml's date
    with zipfile.ZipFile(tmp_path / "a" / "tiny.epub") as z:
        assert b'<meta property="dcterms:modified">2026-01-01T00:00:00Z</meta>' in z.read("EPUB/content.opf")
        assert {info.date_time for info in z.infolist()} == {(2026, 1, 1, 0, 0, 0)}


def test_the_handbook_rebuilds_byte_identical(handbook, tmp_path):
    again = _build(ROOT, tmp_path)
    assert again[handbook.pdf.name] == handbook.pdf.read_bytes()
    assert again[handbook.epub.name] == handbook.epub.read_bytes()
