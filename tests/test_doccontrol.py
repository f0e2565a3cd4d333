"""Document control (book.yaml status:, approved_by, the dates, history:): the table on the
copyright page in both formats, the watermark on every PDF page as an artifact (tags
unchanged), the EPUB's banner, check's warnings for dates that have passed, distribute's
verdict, and the schema's errors at their lines."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pikepdf
import pytest
from pypdf import PdfReader

from msl_book.build import BuildOptions, build
from msl_book.check import check
from msl_book.doccontrol import may_distribute, watermark_css
from msl_book.errors import BookError, Report
from msl_book.l10n import Strings
from msl_book.loader import load_book
from msl_book.schema import BookConfig

from conftest import make_book, run_cli, run_epubcheck
from pdf_structure import structure, texts_by_marking

CONTROL = """status: {status}
approved_by: Dr Jane Roe, Medical Director
approval_date: 2026-01-20
review_date: 2027-01-20
expiry_date: 2028-01-20
history:
  - version: "0.1"
    date: 2026-01-15
    changes: First draft for medical review
  - version: "0.2"
    date: 2026-02-01
    changes: Legal comments addressed
"""
MINIMAL = (Path(__file__).parent / "fixtures" / "minimal" / "book.yaml").read_text("utf-8")


def _project(tmp_path: Path, control: str, extra: str = "") -> Path:
    return make_book(tmp_path, {"book.yaml": MINIMAL + extra + control})


@dataclass
class Outputs:
    pdf: Path
    epub: Path


def _build(project: Path, formats: tuple[str, ...] = ("pdf", "epub")) -> Outputs:
    result = build(project, BuildOptions(output=project / "dist", formats=formats))
    paths = {o.format: o.path for o in result.outputs}
    return Outputs(paths.get("pdf"), paths.get("epub"))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def draft(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    return _build(_project(tmp_path_factory.mktemp("draft"), CONTROL.format(status="draft")))


@pytest.fixture(scope="module")
def approved(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    return _build(_project(tmp_path_factory.mktemp("approved"), CONTROL.format(status="approved")), ("pdf",))


def _epub_docs(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml")}


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# The table ---------------------------------------------------------------------------------


def test_the_pdf_copyright_page_has_the_document_control_table(draft: Outputs) -> None:
    texts = [p.extract_text() for p in PdfReader(draft.pdf).pages]
    page = next(t for t in texts if "Document control" in t)
    for line in (
        "Status Draft",
        "Approved by Dr Jane Roe, Medical Director",
        "Approval date January 20, 2026",
        "Review date January 20, 2027",
        "Expiry date January 20, 2028",
        "Version history",
        "Version Date Changes",
        "0.1 January 15, 2026 First draft for medical review",
        "0.2 February 1, 2026 Legal comments addressed",
    ):
        assert line in page


def test_the_tables_are_tagged_tables_with_headers(draft: Outputs) -> None:
    with pikepdf.open(draft.pdf) as pdf:
        tables = structure(pdf).find("/Table")
    captions = {t.kids[0].text: t for t in tables if t.kids and t.kids[0].role == "/Caption"}
    assert {"Document control", "Version history"} <= set(captions)  # and the chapter's own table
    row_headers = [th.text for th in captions["Document control"].find("/TH")]
    assert row_headers == ["Status", "Approved by", "Approval date", "Review date", "Expiry date"]
    history = [th.text for th in captions["Version history"].find("/TH")]
    assert history == ["Version", "Date", "Changes", "0.1", "0.2"]


def test_the_epub_copyright_page_has_the_same_table(draft: Outputs) -> None:
    title = _epub_docs(draft.epub)["EPUB/text/titlepage.xhtml"]
    assert '<table class="document-control">' in title
    assert "<caption>Document control</caption>" in title
    assert '<th scope="row">Status</th><td>Draft</td>' in title
    assert '<time datetime="2028-01-20">January 20, 2028</time>' in title
    assert '<th scope="col">Changes</th>' in title
    assert '<th scope="row">0.2</th>' in title


def test_a_german_book_has_german_labels_and_watermark(tmp_path: Path) -> None:
    from msl_book.pipeline import prepare
    from msl_book.renderers.pdf.html import print_html, print_meta

    project = make_book(
        tmp_path,
        {"book.yaml": MINIMAL.replace("language: en", "language: de") + CONTROL.format(status="draft")},
    )
    prepared = prepare(project, Report())
    html = print_html(
        prepared.model, prepared.env, print_meta(prepared.book, prepared.modified, "screen", None)
    )
    text = _plain(html)
    for words in (
        "Dokumentenlenkung",
        "Status Entwurf",
        "Freigegeben von Dr Jane Roe",
        "Freigabedatum 20. Januar 2026",
        "Überprüfungsdatum 20. Januar 2027",
        "Ablaufdatum 20. Januar 2028",
        "Versionshistorie",
        "Version Datum Änderungen",
        "0.2 1. Februar 2026 Legal comments addressed",
    ):
        assert words in text
    css = unquote(watermark_css(prepared.book.config, prepared.model.strings, ["Inter"]))
    assert ">ENTWURF</text>" in css


# The watermark -----------------------------------------------------------------------------


def test_every_pdf_page_has_the_watermark_as_an_artifact(draft: Outputs) -> None:
    with pikepdf.open(draft.pdf) as pdf:
        pages = texts_by_marking(pdf)
        tree = structure(pdf)
    assert len(pages) > 5
    for page in pages:
        assert page["artifact"] == "DRAFT"
        assert "DRAFT" not in page["tagged"]
        assert page["untagged"] == ""
    assert not [e for e in tree.walk() if "DRAFT" in e.text]


def test_an_approved_book_has_no_watermark_and_the_same_tags(draft: Outputs, approved: Outputs) -> None:
    with pikepdf.open(approved.pdf) as pdf:
        pages = texts_by_marking(pdf)
        roles = [e.role for e in structure(pdf).walk()]
    assert all(page["artifact"] == "" for page in pages)
    assert "Status Approved" in "".join(p.extract_text() for p in PdfReader(approved.pdf).pages)
    with pikepdf.open(draft.pdf) as pdf:
        assert [e.role for e in structure(pdf).walk()] == roles  # the watermark adds no tag
        assert len(pdf.pages) == len(pages)


def test_a_book_without_status_has_no_table_and_no_watermark(tmp_path: Path) -> None:
    config = BookConfig(title="T", authors=["A"], language="en")
    assert watermark_css(config, Strings("en"), ["Inter"]) == ""
    assert may_distribute(config) is None


def test_a_book_in_parts_has_the_watermark_on_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSL_BOOK_PART_CHARS", "150")  # laid out in parts, joined with pikepdf
    outputs = _build(_project(tmp_path, CONTROL.format(status="in-review")), ("pdf",))
    with pikepdf.open(outputs.pdf) as pdf:
        pages = texts_by_marking(pdf)
    assert len(pages) > 5
    # the space is a gap between glyphs, not a glyph: text extraction puts it back
    assert all(page["artifact"] == "INREVIEW" and page["untagged"] == "" for page in pages)
    assert all("IN REVIEW" in page.extract_text() for page in PdfReader(outputs.pdf).pages)


def test_the_watermark_word_follows_the_status_and_the_language() -> None:
    def word(status: str, language: str = "en") -> str:
        config = BookConfig(title="T", authors=["A"], language=language, status=status)
        css = unquote(watermark_css(config, Strings(language), ["Inter"]))
        found = re.search(r">([^<]*)</text>", css)
        return found[1] if found else ""

    assert word("draft") == "DRAFT"
    assert word("withdrawn") == "WITHDRAWN"
    assert word("withdrawn", "fr") == "RETIRÉ"
    assert word("draft", "ja") == "草案"
    assert word("approved") == ""
    # drawn left to right one character at a time: Arabic in its joined forms, reversed
    assert word("withdrawn", "ar") == "\ufe8f\ufeee\ufea4\ufeb4\ufee3"  # مسحوب


@pytest.mark.parametrize(
    ("logical", "visual"),
    [
        ("قيد المراجعة", "\ufe94\ufecc\ufe9f\ufe8d\ufeae\ufee4\ufedf\ufe8d \ufeaa\ufef4\ufed7"),
        ("سلام", "\ufee1\ufefc\ufeb3"),  # lam-alef is one letter
        ("שלום", "םולש"),  # Hebrew: reversed only
    ],
)
def test_right_to_left_words_in_visual_order(logical: str, visual: str) -> None:
    from msl_book.doccontrol import visual_order

    assert visual_order(logical) == visual


# The EPUB banner ---------------------------------------------------------------------------


def test_the_epub_title_page_and_chapters_carry_the_banner(draft: Outputs) -> None:
    docs = _epub_docs(draft.epub)
    banner = (
        '<p class="status-banner status-draft" role="note">'
        "Draft: this version has not been approved and must not be used for training.</p>"
    )
    with_banner = sorted(name for name, text in docs.items() if banner in text)
    chapters = sorted(name for name, text in docs.items() if 'role="doc-chapter"' in text)
    assert "EPUB/text/titlepage.xhtml" in with_banner
    assert chapters and set(chapters) <= set(with_banner)
    assert "EPUB/text/nav.xhtml" not in with_banner


def test_the_draft_epub_passes_epubcheck(draft: Outputs) -> None:
    report = run_epubcheck(draft.epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_ace_reports_no_violations_in_the_draft_epub(draft: Outputs, tmp_path: Path) -> None:
    from test_accessibility import IMPACTS, _run_ace, _violations

    assert _violations(_run_ace(draft.epub, tmp_path)) == {impact: [] for impact in IMPACTS}


# check: dates that have passed -------------------------------------------------------------


def _epoch(day: str) -> str:
    return str(int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()))


def test_check_warns_when_the_review_and_expiry_dates_have_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, CONTROL.format(status="approved"))
    line = MINIMAL.count("\n")  # status: is the first line after the minimal book.yaml
    monkeypatch.setenv("SOURCE_DATE_EPOCH", _epoch("2027-06-01"))
    assert [str(w) for w in check(project).warnings] == [
        f"book.yaml:{line + 4}: warning: review_date 2027-01-20 has passed (today is 2027-06-01): "
        "review the book and set the next review_date"
    ]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", _epoch("2028-02-01"))
    assert [str(w) for w in check(project).warnings][1] == (
        f"book.yaml:{line + 5}: warning: expiry_date 2028-01-20 has passed (today is 2028-02-01): "
        "the book has expired; renew its approval or set status: withdrawn"
    )
    with pytest.raises(BookError):
        check(project, strict=True)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", _epoch("2027-01-20"))  # due today: not passed yet
    assert check(project).warnings == []


def test_check_on_the_command_line_and_a_withdrawn_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", _epoch("2030-01-01"))
    project = _project(tmp_path, CONTROL.format(status="approved"))
    result = run_cli("check", str(project), "--strict")
    assert result.code == 1
    assert "warning: expiry_date 2028-01-20 has passed (today is 2030-01-01)" in result.out + result.err
    (project / "book.yaml").write_text(MINIMAL + CONTROL.format(status="withdrawn"), "utf-8")
    assert check(project).warnings == []  # withdrawn: no longer in use, nothing is due


# distribute's verdict ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "verdict"),
    [
        ({}, None),
        ({"status": "approved", "approved_by": "R", "approval_date": "2026-01-20"}, None),
        (
            {"status": "draft"},
            "the book's status is 'draft', not 'approved': distribute it with --allow-draft",
        ),
        (
            {"status": "in-review"},
            "the book's status is 'in-review', not 'approved': distribute it with --allow-draft",
        ),
        (
            {"status": "withdrawn"},
            "the book's status is 'withdrawn': it is not distributed, not even with --allow-draft",
        ),
        (
            {
                "status": "approved",
                "approved_by": "R",
                "approval_date": "2026-01-20",
                "expiry_date": "2026-05-31",
            },
            "the book expired on 2026-05-31 (expiry_date): renew its approval, or distribute it with --allow-draft",
        ),
        (
            {
                "status": "approved",
                "approved_by": "R",
                "approval_date": "2026-01-20",
                "expiry_date": "2026-06-01",
            },
            None,  # the last day it may be used
        ),
    ],
)
def test_may_distribute(keys: dict[str, str], verdict: str | None) -> None:
    config = BookConfig(title="T", authors=["A"], language="en", **keys)
    assert may_distribute(config, dt.date(2026, 6, 1)) == verdict


def test_may_distribute_compares_with_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    config = BookConfig(
        title="T", authors=["A"], language="en", status="approved", approved_by="R",
        approval_date="2026-01-20", expiry_date="2026-05-31",
    )  # fmt: skip
    monkeypatch.setenv("SOURCE_DATE_EPOCH", _epoch("2026-05-31"))
    assert may_distribute(config) is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", _epoch("2026-06-01"))
    assert may_distribute(config) is not None


# Schema errors at their lines --------------------------------------------------------------


def _errors(tmp_path: Path, control: str) -> list[str]:
    project = make_book(tmp_path, {"book.yaml": MINIMAL + control})
    report = Report()
    load_book(project, report)
    return [str(d) for d in report.errors]


L = MINIMAL.count("\n") + 1  # the first line of the keys added to the minimal book.yaml


@pytest.mark.parametrize(
    ("control", "errors"),
    [
        (
            "status: approved\n",
            [
                f"book.yaml:{L}: 'status' is 'approved' but 'approved_by' and 'approval_date' are missing: "
                "an approved book says who approved it and when"
            ],
        ),
        (
            "status: approved\napproval_date: 2026-01-20\n",
            [
                f"book.yaml:{L}: 'status' is 'approved' but 'approved_by' is missing: "
                "an approved book says who approved it and when"
            ],
        ),
        (
            "status: final\n",
            [f"book.yaml:{L}: 'status' must be 'draft', 'in-review', 'approved' or 'withdrawn'"],
        ),
        (
            "status: draft\napproval_date: 2026-01-20\nexpiry_date: 2025-12-31\n",
            [f"book.yaml:{L + 2}: 'expiry_date' 2025-12-31 is before 'approval_date' 2026-01-20"],
        ),
        (
            "status: draft\nreview_date: 2027-06-01\nexpiry_date: 2027-01-01\n",
            [
                f"book.yaml:{L + 2}: 'expiry_date' 2027-01-01 is before 'review_date' 2027-06-01: "
                "the book would expire before its review"
            ],
        ),
        (
            "review_date: 2027-06-01\n",
            [
                f"book.yaml:{L}: 'review_date' is document control, which needs 'status:' "
                "(draft, in-review, approved or withdrawn)"
            ],
        ),
        (
            "status: draft\nexpiry_date: 2027-02-30\n",
            [
                f"book.yaml:{L + 1}: 'expiry_date': must be a valid date or datetime, day value is outside expected range"
            ],
        ),
        (
            "status: draft\nhistory:\n  - version: 1.10\n    date: 2026-01-01\n    changes: First\n"
            "  - version: '2'\n    date: 2026-02-01\n",
            [f"book.yaml:{L + 5}: missing required key 'history[1].changes'"],
        ),
        (
            "status: draft\nhistory:\n  - {version: '1', date: 2026-01-01, changes: a}\n"
            "  - {version: '1', date: 2026-02-01, changes: b}\n",
            [f"book.yaml:{L + 3}: 'history[1].version' '1' is listed twice (also history[0])"],
        ),
        (
            "status: draft\nhistory:\n  - {version: '1', date: 2026-01-01, summary: a}\n",
            [
                f"book.yaml:{L + 2}: missing required key 'history[0].changes'",
                f"book.yaml:{L + 2}: unknown key 'history[0].summary'",
            ],
        ),
    ],
)
def test_schema_errors_at_their_lines(tmp_path: Path, control: str, errors: list[str]) -> None:
    assert sorted(_errors(tmp_path, control)) == sorted(errors)
