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


def test_the_epub_zip_starts_with_what_was_compressed_while_the_pdf_was_laid_out(tmp_path):
    """The stylesheets, fonts and images are compressed while the PDF is laid out (the zip's
    start, archive.head); the rest is appended once the pages are known. A start that does not
    hold what ebooklib wrote is not used: the zip is then written whole, with the same files."""
    import datetime as dt
    import io

    from msl_book.renderers.epub import archive

    project = make_book(tmp_path)
    epub = build(project, BuildOptions(output=tmp_path / "out")).outputs[1].path
    with zipfile.ZipFile(epub) as z:
        names = z.namelist()
        files = {n: z.read(n) for n in names}
        assert z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    static = sorted(n for n in names if n.startswith(("EPUB/styles/", "EPUB/assets/")))
    assert len(static) >= 3 and names[: len(static) + 1] == ["mimetype", *static]

    written = io.BytesIO()  # as ebooklib writes it: every file stored, Apple's options not yet there
    with zipfile.ZipFile(written, "w") as z:
        for name, data in files.items():
            if name != archive.APPLE_OPTIONS:
                z.writestr(name, data)
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    start = archive.head({n: files[n] for n in static}, when)
    wrong = archive.head({**{n: files[n] for n in static}, static[0]: b"other bytes"}, when)
    outputs = {}
    for key, given in (("whole", None), ("start", start), ("wrong", wrong)):
        outputs[key] = tmp_path / f"{key}.epub"
        archive.normalize_zip(written.getvalue(), outputs[key], when, "en", [], "Pages", given)
    contents = {}
    for key, path in outputs.items():
        with zipfile.ZipFile(path) as z:
            contents[key] = {n: z.read(n) for n in z.namelist()}
            assert z.namelist()[0] == "mimetype"
    assert contents["whole"] == contents["start"] == contents["wrong"]
    assert outputs["start"].read_bytes().startswith(start.data[: len(start.data) // 2])
    assert outputs["wrong"].read_bytes() == outputs["whole"].read_bytes()
    assert outputs["start"].read_bytes() != outputs["whole"].read_bytes()
