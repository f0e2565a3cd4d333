"""msl-book distribute: one stamped copy per roster row, checked on the real files.

The tiny fixture book is built once for the module and a 25-row roster (accents, Greek and
Cyrillic names, commas and quotes in cells, a slash in a name) distributed from it; the
tests read the copies back with pypdf, pikepdf, pdfcheck, EPUBCheck and Ace.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree
from pypdf import PdfReader

from conftest import FIXTURES, ROOT, make_book, run_cli, run_epubcheck
from pdf_structure import marked_texts, structure

ROSTERS = FIXTURES / "rosters"
DATE = "2026-02-01"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


TRAINEES = _rows(ROSTERS / "trainees.csv")


def _stamp(row: dict[str, str]) -> str:
    parts = [f"Issued to {row['name']} ({row['id']})", row["cohort"], DATE]
    return " · ".join(p for p in parts if p)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The fixture book built and distributed to the 25 trainees."""
    tmp = tmp_path_factory.mktemp("distribute")
    project = make_book(tmp)
    out = tmp / "out"
    result = run_cli(
        "distribute", str(ROSTERS / "trainees.csv"), str(project), "-o", str(out), "--date", DATE
    )
    assert result.code == 0, result.err
    return {"project": project, "out": out, "copies": out / "copies", "result": result}


def _manifest(copies: Path) -> list[dict]:
    return json.loads((copies / "manifest.json").read_text(encoding="utf-8"))["copies"]


def test_a_pdf_and_an_epub_for_every_row(dist):
    copies = dist["copies"]
    manifest = _manifest(copies)
    assert [(m["id"], m["format"]) for m in manifest] == [
        (row["id"], fmt) for row in TRAINEES for fmt in ("pdf", "epub")
    ]
    files = sorted(p.name for p in copies.iterdir())
    assert files == sorted([m["file"] for m in manifest] + ["manifest.csv", "manifest.json"])
    names = {m["id"]: m["file"] for m in manifest if m["format"] == "pdf"}
    assert names["MSL-001"] == "tiny-MSL-001-Ana-Souza.pdf"
    assert names["MSL-002"] == "tiny-MSL-002-O-Brien-Seán.pdf"
    assert names["MSL-006"] == "tiny-MSL-006-Grace-Gigi-Adeyemi.pdf"
    assert names["MSL-008"] == "tiny-MSL-008-Иван-Петров.pdf"
    assert names["MSL-016"] == "tiny-MSL-016-Smith-Jones-Pat.pdf"  # the slash makes no folder
    assert dist["result"].out.splitlines()[0] == f"{copies}  (25 copies, 50 files)"
    for m in manifest:
        data = (copies / m["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == m["sha256"]
    # the build's own outputs are there too, unstamped; no staging directory is left
    assert sorted(p.name for p in dist["out"].iterdir()) == [
        ".msl-book-cache.json",
        "copies",
        "tiny.epub",
        "tiny.pdf",
    ]


def test_every_page_carries_the_stamp(dist):
    copies = dist["copies"]
    manifest = {m["id"]: m for m in _manifest(copies) if m["format"] == "pdf"}
    for row in TRAINEES:
        pages = [p.extract_text() or "" for p in PdfReader(copies / manifest[row["id"]]["file"]).pages]
        assert len(pages) == 11
        for number, text in enumerate(pages, 1):
            assert _stamp(row) in text, (row["id"], number)
        # the copyright page (iv) also names the copy
        assert f"Controlled copy {manifest[row['id']]['copy_id']}" in pages[3]
        assert sum("Controlled copy" in t for t in pages) == 1


def test_cohort_left_out_when_empty(dist):
    zoe = next(m for m in _manifest(dist["copies"]) if m["id"] == "MSL-003" and m["format"] == "pdf")
    text = PdfReader(dist["copies"] / zoe["file"]).pages[6].extract_text()
    assert f"Issued to Zoë Müller (MSL-003) · {DATE}" in text


def test_the_stamp_is_an_artifact_and_the_structure_is_unchanged(dist):
    copy = next(m for m in _manifest(dist["copies"]) if m["format"] == "pdf")
    with (
        pikepdf.open(dist["out"] / "tiny.pdf") as book,
        pikepdf.open(dist["copies"] / copy["file"]) as stamped,
    ):
        before = [(e.role, e.text) for e in structure(book).walk()]
        after = [(e.role, e.text) for e in structure(stamped).walk()]
        assert after == before
        assert not any("Issued to" in t for t in marked_texts(stamped).values())
        for page in stamped.pages:
            ours = page.obj.Contents[-1].read_bytes()
            assert ours.startswith(b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n")
            assert ours.rstrip().endswith(b"EMC")
        assert stamped.Root.MarkInfo.Marked
        assert str(stamped.open_metadata().get("pdfuaid:part")) == "1"


def test_pdfcheck_reports_no_problems(dist):
    tool = Path("/work/shared/tools/pdfcheck.py")
    tool = next((p for p in (ROOT.parent / "shared" / "tools" / "pdfcheck.py", tool) if p.is_file()), None)
    if tool is None:
        pytest.skip("pdfcheck.py (shared/tools) is not here")
    copy = next(m for m in _manifest(dist["copies"]) if m["id"] == "MSL-009" and m["format"] == "pdf")
    proc = subprocess.run(
        [sys.executable, str(tool), str(dist["copies"] / copy["file"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "pdfcheck: 0 problems" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_copy_id_in_xmp_and_document_id(dist):
    ids = set()
    for m in _manifest(dist["copies"]):
        if m["format"] != "pdf":
            continue
        with pikepdf.open(dist["copies"] / m["file"]) as pdf:
            meta = pdf.open_metadata()
            assert meta["xmpMM:DocumentID"] == f"urn:uuid:{m['copy_id']}"
            assert bytes(pdf.trailer.ID[0]) == uuid.UUID(m["copy_id"]).bytes
            ids.add(m["copy_id"])
    assert len(ids) == 25


def test_copies_are_reproducible(dist, tmp_path):
    """The same roster, book and date give the same bytes (the build is reused: no layout)."""
    before = {m["file"]: m["sha256"] for m in _manifest(dist["copies"])}
    result = run_cli(
        "distribute",
        str(ROSTERS / "trainees.csv"),
        str(dist["project"]),
        "-o",
        str(dist["out"]),
        "--date",
        DATE,
    )
    assert result.code == 0, result.err
    assert {m["file"]: m["sha256"] for m in _manifest(dist["copies"])} == before


def test_epub_copy_stamp_and_metadata(dist):
    m = next(m for m in _manifest(dist["copies"]) if m["id"] == "MSL-002" and m["format"] == "epub")
    with (
        zipfile.ZipFile(dist["copies"] / m["file"]) as copy,
        zipfile.ZipFile(dist["out"] / "tiny.epub") as book,
    ):
        assert copy.infolist()[0].filename == "mimetype"
        assert copy.infolist()[0].compress_type == zipfile.ZIP_STORED
        assert [i.filename for i in copy.infolist()] == [i.filename for i in book.infolist()]
        changed = [i.filename for i in copy.infolist() if copy.read(i) != book.read(i.filename)]
        assert changed == ["EPUB/content.opf", "EPUB/text/titlepage.xhtml"]
        assert {i.date_time for i in copy.infolist()} == {i.date_time for i in book.infolist()}
        page = etree.fromstring(copy.read("EPUB/text/titlepage.xhtml"))
        ns = {"h": "http://www.w3.org/1999/xhtml"}
        section = page.find(".//h:section[@id='copyright']", ns)
        stamp = section.find("h:p[@class='copy-stamp']", ns)
        assert "".join(stamp.itertext()) == (
            f"Issued to O'Brien, Seán (MSL-002) · 2026-A · {DATE}Controlled copy {m['copy_id']}"
        )
        opf = etree.fromstring(copy.read("EPUB/content.opf"))
        ns = {"o": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
        assert opf.findtext(".//dc:identifier[@id='copy-id']", namespaces=ns) == f"urn:uuid:{m['copy_id']}"
        assert opf.findtext(".//o:meta[@property='dcterms:provenance']", namespaces=ns) == (
            f"Issued to O'Brien, Seán (MSL-002) · 2026-A · {DATE}"
        )
        assert opf.get("unique-identifier") == "id"  # the book's own identifier stays the package's


def test_epub_copy_passes_epubcheck(dist):
    m = next(m for m in _manifest(dist["copies"]) if m["id"] == "MSL-006" and m["format"] == "epub")
    report = run_epubcheck(dist["copies"] / m["file"])
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_epub_copy_passes_ace(dist, tmp_path):
    from test_accessibility import IMPACTS, _run_ace, _violations

    m = next(m for m in _manifest(dist["copies"]) if m["id"] == "MSL-009" and m["format"] == "epub")
    data = _run_ace(dist["copies"] / m["file"], tmp_path)
    assert _violations(data) == {impact: [] for impact in IMPACTS}


def test_a_bad_row_fails_before_anything_is_written(tmp_path, monkeypatch):
    project = make_book(tmp_path)
    shutil.copy(ROSTERS / "one-bad-row.csv", tmp_path / "roster.csv")
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "roster.csv", str(project), "--date", DATE)
    assert result.code == 1
    assert result.err == "roster.csv:11: the id is missing\nmsl-book: distribute failed: 1 error\n"
    assert not (project / "dist").exists()  # not even the build


def test_every_roster_problem_at_once(tmp_path, monkeypatch):
    project = make_book(tmp_path)
    (tmp_path / "r.csv").write_text(
        "Name,ID,Cohort\n"
        "Ana Souza,E1,A\n"
        ",E2,A\n"
        '"Multi\nline",,B\n'
        "Ana Sousa,E1,B\n"
        "Extra,E5,B,surplus\n"
        "\n"
        "Fine,E6,\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "r.csv", str(project))
    assert result.code == 1
    assert result.err.splitlines() == [
        "r.csv:3: the name is missing",
        "r.csv:4: the id is missing",
        "r.csv:6: the id 'E1' is also on line 2: Ana Souza and Ana Sousa need ids of their own",
        "r.csv:7: the row has 4 cells but the header 3 columns",
        "msl-book: distribute failed: 4 errors",
    ]


def test_header_without_id_and_unknown_placeholder(tmp_path, monkeypatch):
    yaml = (FIXTURES / "minimal" / "book.yaml").read_text(encoding="utf-8")
    project = make_book(tmp_path, {"book.yaml": yaml + "stamp: 'For {name} · {cohrt} · {date}'\n"})
    (tmp_path / "r.csv").write_text("name,employee\nAna,E1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "r.csv", str(project))
    assert result.code == 1
    line = yaml.count("\n") + 1
    assert result.err.splitlines() == [
        f"book.yaml:{line}: stamp: unknown placeholder {{cohrt}} (did you mean 'cohort'?); "
        "it can name the roster's columns "
        "(name, employee) and date, copy_id, title, version, document_code",
        "r.csv:1: the header has no 'id' column (its columns: name, employee)",
        "msl-book: distribute failed: 2 errors",
    ]


def test_not_utf8_says_how_to_save_it(tmp_path, monkeypatch):
    project = make_book(tmp_path)
    (tmp_path / "r.csv").write_bytes("name,id\nAna,E1\nZoë Müller,E2\n".encode("cp1252"))
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "r.csv", str(project))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "r.csv:3: the roster is not UTF-8 (byte 0xeb); save it as UTF-8 (CSV UTF-8 in Excel)"
    )


def test_bom_custom_stamp_formula_cells_and_unsafe_names(tmp_path):
    yaml = (FIXTURES / "minimal" / "book.yaml").read_text(encoding="utf-8")
    project = make_book(tmp_path, {"book.yaml": yaml + "stamp: '{name} · {site} · {document_code}'\n"})
    roster = tmp_path / "r.csv"
    roster.write_bytes(
        "\ufeffname,id,site,email\n"
        '=HYPERLINK("http://x"),E1,@SUM(A1),-x@example.com\n'
        "../../etc/passwd,../E2,+44 Leeds,ok@example.com\n"
        "CON,E3,,\n"
        "Tab\tname,E4,,\n".encode()
    )
    out = tmp_path / "out"
    result = run_cli("distribute", str(roster), str(project), "-o", str(out), "--formats", "pdf")
    assert result.code == 0, result.err
    copies = out / "copies"
    names = sorted(p.name for p in copies.iterdir())
    assert names == [
        "manifest.csv",
        "manifest.json",
        "tiny-E1-HYPERLINK-http-x.pdf",
        "tiny-E2-etc-passwd.pdf",
        "tiny-E3-CON.pdf",
        "tiny-E4-Tab-name.pdf",
    ]
    assert all(p.parent == copies for p in copies.iterdir())
    texts = {p.name: PdfReader(p).pages[6].extract_text() for p in copies.glob("*.pdf")}
    assert '=HYPERLINK("http://x") · @SUM(A1) · TEST-001' in texts["tiny-E1-HYPERLINK-http-x.pdf"]
    assert "../../etc/passwd · +44 Leeds · TEST-001" in texts["tiny-E2-etc-passwd.pdf"]
    assert "Tab name · TEST-001" in texts["tiny-E4-Tab-name.pdf"]
    # the CSV manifest: formula cells escaped with a leading quote; the JSON keeps the values
    lines = (copies / "manifest.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith(
        'tiny-E1-HYPERLINK-http-x.pdf,pdf,"\'=HYPERLINK(""http://x"")",E1,,\'-x@example.com,'
    )
    assert _manifest(copies)[0]["name"] == '=HYPERLINK("http://x")'


def test_encrypted_copies_open_with_their_password_only(tmp_path):
    project = make_book(tmp_path)
    roster = tmp_path / "r.csv"
    roster.write_text(
        "name,id,password\nAna Souza,E1,correct horse\nSeán O'Brien,E2,battery staple\n", "utf-8"
    )
    out = tmp_path / "out"
    result = run_cli(
        "distribute",
        str(roster),
        str(project),
        "-o",
        str(out),
        "--password-column",
        "password",
        "--formats",
        "pdf",
    )
    assert result.code == 0, result.err
    ana, sean = out / "copies" / "tiny-E1-Ana-Souza.pdf", out / "copies" / "tiny-E2-Seán-O-Brien.pdf"
    for path, wrong in ((ana, "battery staple"), (sean, "correct horse"), (ana, "")):
        with pytest.raises(pikepdf.PasswordError):
            pikepdf.open(path, password=wrong)
    with pikepdf.open(ana, password="correct horse") as pdf:
        assert pdf.is_encrypted
        assert pdf.encryption.R == 6 and str(pdf.encryption.stream_method).endswith("aesv3")
        allow = pdf.allow
        assert allow.accessibility and allow.print_highres and not allow.extract and not allow.modify_other
    reader = PdfReader(sean)
    assert reader.decrypt("battery staple")
    assert "Issued to Seán O'Brien (E2)" in reader.pages[6].extract_text()
    assert [m["encrypted"] for m in _manifest(out / "copies")] == [True, True]
    csv_lines = (out / "copies" / "manifest.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[-2] for line in csv_lines] == ["encrypted", "yes", "yes"]
    assert "correct horse" not in (out / "copies" / "manifest.csv").read_text(encoding="utf-8-sig")


def test_shared_password_and_permissions(tmp_path):
    project = make_book(tmp_path)
    roster = tmp_path / "r.csv"
    roster.write_text("name,id\nAna Souza,E1\n", "utf-8")
    out = tmp_path / "out"
    args = ["distribute", str(roster), str(project), "-o", str(out), "--formats", "pdf"]
    result = run_cli(*args, "--password", "s3cret", "--no-print", "--allow-copy")
    assert result.code == 0, result.err
    with pikepdf.open(out / "copies" / "tiny-E1-Ana-Souza.pdf", password="s3cret") as pdf:
        assert not pdf.allow.print_highres and pdf.allow.extract and pdf.allow.accessibility
    result = run_cli(*args, "--no-print")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "--print permissions need encryption: add --password or --password-column"
    )


def test_fonts_that_cannot_draw_a_name(tmp_path, monkeypatch):
    project = make_book(tmp_path)
    (tmp_path / "r.csv").write_text("name,id\n王小明,E1\nمحمد علي,E2\nAna,E3\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "r.csv", str(project))
    assert result.code == 1
    assert result.err.splitlines() == [
        "r.csv:2: 王小明: no font of the book can draw 小 (U+5C0F), 明 (U+660E), 王 (U+738B); "
        "add one that can to fonts: fallback in book.yaml",
        "r.csv:3: محمد علي: the PDF stamp cannot set right-to-left text yet "
        "(ح (U+062D), د (U+062F), ع (U+0639), ل (U+0644), م (U+0645) …)",
        "msl-book: distribute failed: 2 errors",
    ]


def test_an_interrupted_run_leaves_the_earlier_copies(dist, tmp_path, monkeypatch):
    """A crash (here Ctrl-C) at the fifth copy: copies/ as it was, no temporary file anywhere."""
    from msl_book import distribute
    from msl_book.distribute.epubcopy import EpubStamper

    before = {p.name: p.read_bytes() for p in dist["copies"].iterdir()}
    calls = {"n": 0}
    original = EpubStamper.copy

    def copy(self, target, *args):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return original(self, target, *args)

    monkeypatch.setattr(EpubStamper, "copy", copy)
    roster = tmp_path / "r.csv"
    roster.write_text("name,id\n" + "".join(f"New {i},N{i}\n" for i in range(8)), encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        distribute.distribute(dist["project"], roster, distribute.DistributeOptions(output=dist["out"]))
    assert {p.name: p.read_bytes() for p in dist["copies"].iterdir()} == before
    assert sorted(p.name for p in dist["out"].iterdir()) == [
        ".msl-book-cache.json",
        "copies",
        "tiny.epub",
        "tiny.pdf",
    ]


def test_distribution_asks_document_control(tmp_path, monkeypatch):
    """A book whose book.yaml status is not 'approved' is not distributed unless
    --allow-draft; an approved one is."""
    project = make_book(tmp_path)
    config = project / "book.yaml"
    base = config.read_text(encoding="utf-8").rstrip("\n") + "\n"
    line = base.count("\n") + 1
    config.write_text(base + "status: draft\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text("name,id\nAna,E1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "r.csv", str(project), "--formats", "pdf")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"book.yaml:{line}: the book's status is 'draft', not 'approved': distribute it with --allow-draft"
    )
    assert not (project / "dist" / "copies").exists()
    assert run_cli("distribute", "r.csv", str(project), "--formats", "pdf", "--allow-draft").code == 0
    approved = "status: approved\napproved_by: Dr Jane Roe\napproval_date: 2026-01-10\n"
    config.write_text(base + approved, encoding="utf-8")
    assert run_cli("distribute", "r.csv", str(project), "--formats", "pdf").code == 0


def test_handbook_copy(handbook, tmp_path):
    """The real book: distribute reuses its build (the cache), stamps all its pages."""
    roster = tmp_path / "r.csv"
    roster.write_text('name,id,cohort\n"Papadopoulou, Eleni",H1,2026-A\n', encoding="utf-8")
    from msl_book.distribute import DistributeOptions, distribute

    before = os.stat(handbook.pdf).st_mtime_ns
    result = distribute(ROOT, roster, DistributeOptions(output=handbook.out))
    assert os.stat(handbook.pdf).st_mtime_ns == before  # not built again
    copy = next(c for c in result.copies if c.format == "pdf")
    reader = PdfReader(copy.file)
    assert len(reader.pages) == len(handbook.page_texts)
    for page in reader.pages:
        assert "Issued to Papadopoulou, Eleni (H1) · 2026-A · " in (page.extract_text() or "")


def test_many_encrypted_copies_in_two_processes(tmp_path):
    """25 rows: encrypted copies are saved by worker processes; each still gets its own stamp."""
    project = make_book(tmp_path)
    out = tmp_path / "out"
    args = ["distribute", str(ROSTERS / "trainees.csv"), str(project), "-o", str(out), "--formats", "pdf"]
    result = run_cli(*args, "--password", "shared secret", "--date", DATE)
    assert result.code == 0, result.err
    manifest = _manifest(out / "copies")
    assert len(manifest) == 25
    for row, m in zip(TRAINEES, manifest, strict=True):
        reader = PdfReader(out / "copies" / m["file"])
        assert reader.is_encrypted and reader.decrypt("shared secret")
        assert _stamp(row) in reader.pages[10].extract_text()
        data = (out / "copies" / m["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == m["sha256"]
    assert sorted(p.name for p in out.iterdir()) == [".msl-book-cache.json", "copies", "tiny.pdf"]


def test_readme_options_match_the_help():
    """Every option's help text, as `distribute --help` gives it, is in the README's table."""
    import typer.main

    from msl_book.cli import app

    command = typer.main.get_command(app).commands["distribute"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| argument or option | `msl-book distribute --help` |") :]
    table = table[: table.index("\n\n")]
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            names = "/".join(param.opts + param.secondary_opts)
            assert f"| {param.help} |" in table, names
            assert f"`{param.opts[0]}" in table, names
    assert command.help.splitlines()[0] in readme


def test_a_name_in_the_fallback_font(tmp_path, monkeypatch):
    """A Chinese name is set in the book's fallback font (a CFF OpenType font, embedded as
    FontFile3) while the others keep the body font; every glyph extracts as its character."""
    from test_languages import japanese_fonts

    (cjk, _bold) = japanese_fonts(tmp_path)
    yaml = (FIXTURES / "minimal" / "book.yaml").read_text(encoding="utf-8")
    project = make_book(tmp_path, {"book.yaml": yaml + f"fonts:\n  fallback: [fonts/{cjk.name}]\n"})
    (project / "fonts").mkdir()
    shutil.copy(cjk, project / "fonts" / cjk.name)
    (tmp_path / "r.csv").write_text("name,id\n王小明,C1\nZoë Müller,C2\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "r.csv", str(project), "--formats", "pdf", "--date", DATE)
    assert result.code == 0, result.err
    copies = project / "dist" / "copies"
    wang, zoe = copies / "tiny-C1-王小明.pdf", copies / "tiny-C2-Zoë-Müller.pdf"
    assert f"Issued to 王小明 (C1) · {DATE}" in PdfReader(wang).pages[6].extract_text()
    assert f"Issued to Zoë Müller (C2) · {DATE}" in PdfReader(zoe).pages[6].extract_text()
    with pikepdf.open(wang) as pdf:
        fonts = pdf.pages[6].obj.Resources.XObject.MslStampFoot.Resources.Font
        kinds = sorted(str(f.DescendantFonts[0].Subtype) for f in fonts.values())
        assert kinds == ["/CIDFontType0", "/CIDFontType2"]
    proc = subprocess.run(
        [sys.executable, "/work/shared/tools/pdfcheck.py", str(wang)],
        capture_output=True,
        text=True,
        check=False,
    )
    if Path("/work/shared/tools/pdfcheck.py").is_file():
        assert "pdfcheck: 0 problems" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_ctrl_c_says_what_was_kept(dist, tmp_path, monkeypatch):
    from msl_book.distribute.pdfstamp import PdfStamper

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(PdfStamper, "copy", interrupted)
    before = sorted(p.name for p in dist["copies"].iterdir())
    result = run_cli(
        "distribute", str(ROSTERS / "trainees.csv"), str(dist["project"]), "-o", str(dist["out"])
    )
    assert result.code == 130
    assert result.err == "msl-book: distribute interrupted; earlier copies were left as they were\n"
    assert sorted(p.name for p in dist["copies"].iterdir()) == before


def test_roster_cells_lose_what_could_spoof_or_break_a_copy(tmp_path, monkeypatch):
    """Bidi overrides, XML's forbidden characters and control characters are dropped from the
    cells (stamp, EPUB and manifest alike); a spreadsheet's empty trailing columns are no
    columns; a password column is not a placeholder of the stamp."""
    from msl_book.distribute.roster import read_roster
    from msl_book.errors import Report

    roster = tmp_path / "r.csv"
    roster.write_text("name,id,pw,,\nAna\u202eX\uffff\x01 B,A1,s3cret,,\n", encoding="utf-8")
    report = Report()
    read = read_roster(roster, "r.csv", report, "pw")
    assert report.items == []
    assert read.columns == ["name", "id", "pw"]
    assert read.rows[0].name == "AnaX B"
    project = make_book(tmp_path)
    with (project / "book.yaml").open("a", encoding="utf-8") as f:
        f.write('stamp: "{name} {pw}"\n')
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "r.csv", str(project), "--formats", "pdf", "--password-column", "pw")
    assert result.code == 1
    assert "pw" in result.err and "book.yaml:" in result.err


def test_a_withdrawn_book_is_never_distributed(tmp_path, monkeypatch):
    project = make_book(tmp_path)
    config = project / "book.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").rstrip("\n") + "\nstatus: withdrawn\n", encoding="utf-8"
    )
    (tmp_path / "r.csv").write_text("name,id\nAna,E1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("distribute", "r.csv", str(project), "--formats", "pdf", "--allow-draft")
    assert result.code == 1
    assert "it is not distributed, not even with --allow-draft" in result.err
