"""The review edition: a book against an earlier version (a git revision or a directory)
marks exactly the changed blocks, lists the changed sections with their pages, numbers the
lines of every page and stays a tagged PDF/UA file."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from lxml import etree
from pypdf import PdfReader
from typer.testing import CliRunner

from msl_book.cli import app
from msl_book.errors import Report
from msl_book.pipeline import prepare
from msl_book.renderers.pdf.review import marked_document
from msl_book.review.diff import MARKS
from msl_book.xhtml import has_class, local

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PDFCHECK = Path("/work/shared/tools/pdfcheck.py")
VALIDATOR = Path("/tmp/validators/venv/bin/python")
runner = CliRunner()


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def _text(el: etree._Element, drop: str = "del") -> str:
    """A block's text without its deleted (or inserted) words and its notes."""
    parts: list[str] = []

    def walk(e: etree._Element) -> None:
        if local(e) == drop or has_class(e, "footnote"):
            return
        parts.append(e.text or "")
        for c in e:
            if isinstance(c.tag, str):
                walk(c)
            parts.append(c.tail or "")

    walk(el)
    return " ".join("".join(parts).split())


def _marked(root: etree._Element) -> set[tuple[str, str]]:
    """(mark, text) of every marked block; a deleted block by its deleted text."""
    found = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for mark in (*MARKS, "review-moved"):
            if has_class(el, mark):
                text = _text(el, "ins") if mark == "review-deleted" else _text(el)
                found.add((mark, text))
    return found


def _words(root: etree._Element, tag: str) -> list[str]:
    return [" ".join("".join(e.itertext()).split()) for e in root.iter() if local(e) == tag]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The minimal fixture in a subdirectory of a git repository, committed, then edited
    and committed again: (project, review PDF against HEAD~1)."""
    repo = tmp_path_factory.mktemp("repo")
    project = repo / "books" / "tiny"
    shutil.copytree(FIXTURES / "minimal", project)
    first = project / "chapters" / "01-first.md"
    _edit(
        first,
        "## Alpha section\n",
        "## Alpha section\n\nA paragraph that stays as it is.\n\n"
        "This paragraph will be deleted in the next version.\n\n"
        "Reviewers read the second edit here, with *emphasis* kept.\n",
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "v1")
    _edit(first, "Opening paragraph of the first chapter", "Opening paragraph of the revised first chapter")
    _edit(first, "This paragraph will be deleted in the next version.\n\n", "")
    _edit(first, "Reviewers read the second edit here", "Reviewers now read the second edit here")
    _edit(first, "## Alpha section", "## Alpha section, retitled")
    second = project / "chapters" / "02-second.md"
    _edit(second, "Table: Skills in use", "Table: Skills in use\n\nA paragraph added after the table.")
    _edit(
        project / "book.yaml",
        "  - chapters/01-first.md\n  - chapters/02-second.md",
        "  - chapters/02-second.md\n  - chapters/01-first.md",
    )
    _edit(project / "book.yaml", 'version: "0.1"', 'version: "0.2"')
    _git(repo, "commit", "-q", "-am", "v2")
    result = runner.invoke(app, ["build", str(project), "--edition", "review", "--compare", "HEAD~1"])
    assert result.exit_code == 0, result.output
    pdf = project / "dist" / "tiny.review.pdf"
    assert pdf.is_file() and not (project / "dist" / "tiny.epub").exists()  # a PDF only
    return project, pdf


def test_small_book_marks_exactly_what_changed(small: tuple[Path, Path]) -> None:
    project, _ = small
    root, changes = marked_document(prepare(project, Report()), "HEAD~1")
    assert _marked(root) == {
        ("review-changed", "Opening paragraph of the revised first chapter, with a note."),
        ("review-changed", "Reviewers now read the second edit here, with emphasis kept."),
        ("review-changed", "Alpha section, retitled"),
        ("review-deleted", "This paragraph will be deleted in the next version."),
        ("review-inserted", "A paragraph added after the table."),
        ("review-moved", "Chapter 1 Second Chapter"),
    }
    # in the new order: the second chapter comes first now
    assert _words(root, "ins") == ["A paragraph added after the table.", "revised", ", retitled", "now"]
    assert _words(root, "del") == ["This paragraph will be deleted in the next version."]
    # the new text's inline markup is kept around an edit
    edited = next(e for e in root.iter("p") if "Reviewers now" in "".join(e.itertext()))
    assert [local(c) for c in edited] == ["ins", "em"]
    assert [c.moved_from for c in changes.chapters if c.moved_from] == [2]


def _named_pages(reader: PdfReader) -> dict[str, str]:
    """Each id's page label."""
    labels = reader.page_labels
    return {
        name: labels[reader.get_destination_page_number(d)] for name, d in reader.named_destinations.items()
    }


def _overlay_rects(pdf: Path) -> dict[int, int]:
    """Bars (filled rectangles) drawn by the review's artifact overlay, per page index."""
    found: dict[int, int] = {}
    with pikepdf.open(pdf) as doc:
        for i, page in enumerate(doc.pages):
            xobjects = page.Resources.get("/XObject", {})
            for name, xobj in xobjects.items():
                if not name.startswith("/MslReview"):
                    continue
                ops = pikepdf.parse_content_stream(xobj)
                found[i] = found.get(i, 0) + sum(1 for _, op in ops if str(op) == "re")
            tail = page.Contents if isinstance(page.Contents, pikepdf.Stream) else page.Contents[-1]
            if xobjects and any(n.startswith("/MslReview") for n in xobjects):
                assert re.search(rb"/Artifact BMC q /MslReview\S* Do Q EMC", tail.read_bytes())
    return found


def test_small_book_pdf(small: tuple[Path, Path]) -> None:
    project, pdf = small
    reader = PdfReader(pdf)
    texts = [p.extract_text() or "" for p in reader.pages]
    whole = "\n".join(texts)
    for words in ("revised", "Reviewers now read", "This paragraph will be deleted", "A paragraph added"):
        assert words in whole
    # the changes page: every changed section, with the page of its first change
    page = next(t for t in texts if "Changes since version 0.1" in t)
    assert "Second Chapter (moved from position 2)" in page
    labels = _named_pages(reader)
    root, _ = marked_document(prepare(project, Report()), "HEAD~1")
    entries = [e for e in root.iter("li") if has_class(e, "review-entry")]
    assert [" ".join("".join(e[0].itertext()).split()) for e in entries] == [
        "Chapter 1: Second Chapter (moved from position 2)",
        "Chapter 2: First Chapter",
        "Alpha section, retitled",
    ]
    for entry in entries:
        title = "".join(entry[0][0].itertext())
        target = entry[0].get("href", "")[1:]
        assert re.search(re.escape(title) + r".*?\.{3,}\s*" + labels[target] + r"\b", page, re.S), title
    # bars on the pages of the marked blocks, and line numbers on every page with text
    marked = [e.get("id") for e in root.iter() if any(has_class(e, m) for m in (*MARKS, "review-moved"))]
    rects = _overlay_rects(pdf)
    index = {label: i for i, label in enumerate(reader.page_labels)}
    assert {index[labels[m]] for m in marked} <= {i for i, n in rects.items() if n}
    assert sum(rects.values()) >= len(marked)
    body = [t for t in texts[1:] if t.strip()]
    assert all(re.search(r"^1\n2$", t, re.M) for t in body)  # numbers restart on every page
    assert sum(bool(re.search(r"^1\n2\n3\n4\n5$", t, re.M)) for t in body) >= 4


@pytest.mark.skipif(not VALIDATOR.exists(), reason="validators not set up")
def test_small_book_is_pdf_ua(small: tuple[Path, Path]) -> None:
    _, pdf = small
    done = subprocess.run([str(VALIDATOR), str(PDFCHECK), str(pdf)], capture_output=True, text=True)
    assert "pdfcheck: 0 problems" in done.stdout + done.stderr, done.stdout + done.stderr


def test_review_options_and_refs(tmp_path: Path) -> None:
    project = tmp_path / "book"
    shutil.copytree(FIXTURES / "minimal", project)
    cases = [
        (["--edition", "review"], "--edition review needs --compare REF"),
        (["--compare", "HEAD"], "--compare is for --edition review"),
        (["--edition", "review", "--compare", str(tmp_path)], "has no book.yaml"),
        (["--edition", "review", "--compare", "no-such-ref"], "is not in a git repository"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["build", str(project), *args])
        assert result.exit_code == 1 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "v1")
    result = runner.invoke(app, ["build", str(project), "--edition", "review", "--compare", "v9"])
    assert result.exit_code == 1 and "git knows no such revision" in result.output
    assert len(result.output.strip().splitlines()) == 1


HANDBOOK_EDITS = [
    # (file, old words, new words, inserted, deleted): each changes the first paragraph with the words
    ("chapters/01-introduction.md", "specialists", "experts", "experts", "specialists"),
    (
        "chapters/03-responsibilities-skills.md",
        "MSLs",
        "Medical Science Liaisons",
        "Medical Science Liaisons",
        "MSLs",
    ),
    ("chapters/05-career-path.md", "the", "the whole", "whole", None),
]


def test_handbook_against_an_edited_copy(tmp_path: Path) -> None:
    """The handbook copied and edited; the repository's handbook is the earlier version."""
    project = tmp_path / "handbook"
    project.mkdir()
    for name in ("book.yaml", "chapters", "images"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, project / name)
    for rel, old, new, _, _ in HANDBOOK_EDITS:
        path = project / rel
        text = path.read_text("utf-8")
        body = text.split("\n---\n", 1)[1]  # after the front matter
        paragraphs = [p for p in body.split("\n\n") if p and p[0].isalpha() and f" {old} " in p]
        target = paragraphs[0]
        path.write_text(text.replace(target, target.replace(f" {old} ", f" {new} ", 1), 1), "utf-8")
    started = __import__("time").perf_counter()
    result = runner.invoke(app, ["build", str(project), "--edition", "review", "--compare", str(ROOT)])
    elapsed = __import__("time").perf_counter() - started
    assert result.exit_code == 0, result.output
    print(f"handbook review edition: {elapsed:.1f} s", file=sys.stderr)
    root, _ = marked_document(prepare(project, Report()), str(ROOT))
    marked = _marked(root)
    assert len(marked) == len(HANDBOOK_EDITS), marked
    assert {m for m, _ in marked} == {"review-changed"}
    assert sorted(_words(root, "ins")) == sorted(e[3] for e in HANDBOOK_EDITS)
    assert sorted(_words(root, "del")) == sorted(e[4] for e in HANDBOOK_EDITS if e[4])
    pdf = project / "dist" / "msl-handbook.review.pdf"
    reader = PdfReader(pdf)
    texts = [p.extract_text() or "" for p in reader.pages]
    page = next(t for t in texts if "Changes since version 1.0" in t)
    assert len(re.findall(r"\.{3,}\s*\d+", page)) >= len(HANDBOOK_EDITS)
    if VALIDATOR.exists():
        done = subprocess.run([str(VALIDATOR), str(PDFCHECK), str(pdf)], capture_output=True, text=True)
        assert "pdfcheck: 0 problems" in done.stdout + done.stderr, done.stdout


def test_a_new_note_and_a_changed_link_address_are_changes(tmp_path: Path) -> None:
    """Words alone miss them: a note added to a paragraph (print sets its text at the call,
    a block of its own) and a link that now goes elsewhere (print shows the address)."""
    old, new = tmp_path / "old", tmp_path / "new"
    for copy in (old, new):
        shutil.copytree(FIXTURES / "minimal", copy)
    anchor = "See [the second chapter](#second) and the [figure](#fig-dot)."
    _edit(
        old / "chapters/01-first.md", anchor, anchor + "\n\nThe [code](https://example.com/a) here.\n\nPlain."
    )
    _edit(
        new / "chapters/01-first.md",
        anchor,
        anchor + "\n\nThe [code](https://example.com/b) here.\n\nPlain.[^2]",
    )
    chapter = new / "chapters/01-first.md"
    chapter.write_text(chapter.read_text("utf-8") + "\n[^2]: A new note.\n", "utf-8")
    root, _ = marked_document(prepare(new, Report()), str(old))
    changed = {text for mark, text in _marked(root) if mark == "review-changed"}
    assert {"The code here.", "Plain."} <= changed
    assert "Opening paragraph of the first chapter, with a note." not in changed  # its note is unchanged
