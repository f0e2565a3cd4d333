"""Authoring workflow: check, new, init, and builds that skip work when nothing changed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from msl_book import cache
from msl_book.build import BuildOptions, build
from msl_book.fonts import system_font
from msl_book.renderers.pdf import layout as pdf_layout

from conftest import make_book, run_cli

SECOND = "chapters/02-second.md"


# -- check -----------------------------------------------------------------------------------


def test_check_summarises_a_good_book(tmp_path):
    project = make_book(tmp_path)
    result = run_cli("check", str(project))
    assert result.code == 0, result.err
    assert result.out == "A Tiny Test Book: 3 chapters, 45 words, 1 figure, 1 table; no errors\n"
    assert not (project / "dist").exists()  # nothing is built


def test_check_reports_everything_at_once_without_layout(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_layout, "lay_out", lambda *a, **k: pytest.fail("check must not lay out pages"))
    project = make_book(
        tmp_path,
        {
            SECOND: "---\ntitle: Second Chapter\n---\n#### Too deep\n\nA stray arrow ↯ and [a link](#nowhere).\n\n"
            "![](../images/dot.svg)\n",
            "templates/partials/titlepage.html.j2": "<section>{% if %}</section>\n",
        },
    )
    result = run_cli("check", str(project))
    assert result.code == 1
    font = system_font("↯")  # the installed font that could draw it, if any
    could = f"'{font.family}' ({font.file}) could" if font else "nor can any installed font"
    assert result.err.splitlines() == [
        f"{SECOND}:4: warning: heading skips a level (#### after #); use ##",
        f"{SECOND}:6: broken link: no chapter, heading or element has id 'nowhere'",
        f"{SECOND}:6: no font of the book can draw '↯' (U+21AF DOWNWARDS ZIGZAG ARROW): {could}; "
        "copy a font that can into the project and add it to book.yaml's fonts: fallback",
        f"{SECOND}:8: warning: image ../images/dot.svg has no alt text: describe it for readers who cannot see it",
        "templates/partials/titlepage.html.j2:1: template error: Expected an expression, got 'end of statement block'",
        "msl-book: check failed: 3 errors, 2 warnings",
    ]


def test_check_strict_fails_on_warnings_only(tmp_path):
    project = make_book(tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\n### Deep\n\nText.\n"})
    assert run_cli("check", str(project)).code == 0
    strict = run_cli("check", str(project), "--strict")
    assert strict.code == 1
    assert strict.err.splitlines()[0] == f"{SECOND}:4: warning: heading skips a level (### after #); use ##"


def test_check_warns_about_glossary_terms_never_used(tmp_path):
    glossary = (
        "---\ntitle: Glossary\nrole: glossary\nterms:\n"
        "  - term: Tiny\n    definition: Small.\n"
        "  - term: Enormous\n    definition: Very big.\n---\n"
    )
    project = make_book(
        tmp_path,
        {
            "book.yaml": "title: T\nauthors: [A]\nlanguage: en\n",
            "chapters/03-glossary.md": glossary,
            SECOND: "---\ntitle: Second Chapter\n---\nA tiny chapter.\n",
        },
    )
    result = run_cli("check", str(project))
    assert result.code == 0
    assert result.err.splitlines() == [
        "chapters/03-glossary.md:7: warning: glossary term 'Enormous' is never used in a chapter (looked for: Enormous)"
    ]


# -- new and init ----------------------------------------------------------------------------


BOOK_WITH_COMMENTS = """\
# The tiny book. Keep this comment.
title: A Tiny Test Book
authors: [Test Author]
language: en
chapters:
    # front matter first
    - chapters/01-first.md
    - chapters/02-second.md   # the second
    - chapters/90-glossary.md
"""


def test_new_creates_a_chapter_and_lists_it_before_the_back_matter(tmp_path):
    glossary = "---\ntitle: Glossary\nrole: glossary\nterms:\n  - term: Dot\n    definition: A small round mark.\n---\n"
    project = make_book(tmp_path, {"book.yaml": BOOK_WITH_COMMENTS, "chapters/90-glossary.md": glossary})
    result = run_cli("new", "Field Insights & Reporting", "--project", str(project))
    assert result.code == 0, result.err
    created = project / "chapters" / "03-field-insights-reporting.md"
    assert result.out.splitlines() == [
        f"Created {created}",
        "Added chapters/03-field-insights-reporting.md to book.yaml",
    ]
    assert created.read_text(encoding="utf-8").startswith("---\ntitle: Field Insights & Reporting\n")
    assert (project / "book.yaml").read_text(encoding="utf-8") == BOOK_WITH_COMMENTS.replace(
        "    - chapters/90-glossary.md\n",
        "    - chapters/03-field-insights-reporting.md\n    - chapters/90-glossary.md\n",
    )
    assert run_cli("check", str(project)).code == 0


def test_new_refuses_an_existing_file(tmp_path):
    project = make_book(tmp_path)
    assert run_cli("new", "Third", "-p", str(project)).code == 0
    again = run_cli("new", "Third", "-p", str(project))
    assert again.code == 1
    assert again.err.splitlines()[0] == "a chapter file for 'Third' already exists: chapters/03-third.md"


def test_init_scaffolds_a_book_that_builds_cleanly(tmp_path):
    target = tmp_path / "onboarding-notes"
    result = run_cli("init", str(target))
    assert result.code == 0, result.err
    assert (target / "book.yaml").read_text(encoding="utf-8").splitlines()[2] == "title: Onboarding Notes"
    assert not (target / "templates").exists()  # no copy of the theme unless asked
    built = run_cli("build", str(target), "--strict")
    assert built.code == 0, built.err
    assert (target / "dist" / "onboarding-notes.pdf").is_file()
    again = run_cli("init", str(target))
    assert again.code == 1
    assert again.err.startswith(f"{target} is already a book project (it has a book.yaml)")


def test_init_with_theme_copies_templates_and_styles(tmp_path):
    target = tmp_path / "themed"
    assert run_cli("init", str(target), "--theme").code == 0
    assert (target / "templates" / "print" / "book.html.j2").is_file()
    assert (target / "styles" / "fonts" / "CharisSIL-Regular.ttf").is_file()


# -- no needless work --------------------------------------------------------------------------


@pytest.fixture
def counted_layouts(monkeypatch):
    calls = []
    real = pdf_layout.lay_out

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf_layout, "lay_out", counting)
    return calls


def test_unchanged_inputs_do_no_layout(tmp_path, counted_layouts):
    project = make_book(tmp_path)
    first = build(project)
    second = build(project)
    assert not first.cached and second.cached
    assert len(counted_layouts) == 1
    assert [o.path for o in second.outputs] == [o.path for o in first.outputs]
    assert build(project, BuildOptions(force=True)).cached is False
    assert len(counted_layouts) == 2


@pytest.mark.parametrize(
    "change",
    ["chapter", "image", "book style", "new template", "output deleted", "other options", "msl-book code"],
)
def test_a_change_to_what_the_build_used_rebuilds(tmp_path, counted_layouts, monkeypatch, change):
    project = make_book(tmp_path)
    options = BuildOptions(formats=("pdf",))  # the record is the same for every format
    build(project, options)
    if change == "chapter":
        (project / SECOND).write_text("---\ntitle: Second Chapter\n---\nChanged.\n", encoding="utf-8")
    elif change == "image":
        (project / "images" / "dot.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><rect width="9" height="9"/></svg>',
            encoding="utf-8",
        )
    elif change == "book style":
        (project / "styles").mkdir()
        (project / "styles" / "custom.css").write_text("h1 { color: black; }\n", encoding="utf-8")
    elif change == "new template":
        (project / "templates" / "partials").mkdir(parents=True)
        (project / "templates" / "partials" / "glossary.html.j2").write_text("<dl></dl>\n", encoding="utf-8")
    elif change == "output deleted":
        (project / "dist" / "tiny.pdf").unlink()
    elif change == "other options":
        options = BuildOptions(formats=("pdf",), editions=("print",))
    elif change == "msl-book code":
        monkeypatch.setattr(cache, "code_fingerprint", lambda: "a newer msl-book")
    result = build(project, options)
    assert not result.cached
    assert len(counted_layouts) == 2


def test_help_does_not_import_the_renderers():
    code = (
        "import sys\nfrom msl_book.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('weasyprint', 'ebooklib', 'lxml', 'pydantic') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "[]"


def test_another_book_built_into_the_same_folder_is_not_taken_from_the_record(tmp_path, counted_layouts):
    first = make_book(tmp_path / "a")
    second = make_book(tmp_path / "b", {"book.yaml": (first / "book.yaml").read_text(encoding="utf-8")})
    out = tmp_path / "out"
    build(first, BuildOptions(output=out, formats=("pdf",)))
    assert build(second, BuildOptions(output=out, formats=("pdf",))).cached is False
    assert len(counted_layouts) == 2


def test_a_new_version_of_any_library_changes_the_record(monkeypatch):
    from importlib import metadata

    before = cache.computed_fingerprint()
    real = metadata.Distribution.version
    monkeypatch.setattr(
        metadata.Distribution,
        "version",
        property(lambda d: "99.0" if d.metadata["Name"] == "pyphen" else real.fget(d)),
    )
    try:
        assert cache.computed_fingerprint() != before  # pyphen: a dependency of a dependency
    finally:
        monkeypatch.undo()
    assert cache.computed_fingerprint() == before


def test_the_fingerprint_is_kept_until_the_installation_changes(tmp_path, monkeypatch):
    """code_fingerprint is read from the user's cache while the installation's stamp is the
    same; installing or removing a distribution (a folder more or less on sys.path) changes
    the stamp, and the fingerprint is computed again."""
    import json

    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache.code_fingerprint.cache_clear()
    try:
        real = cache.code_fingerprint()
        assert real == cache.computed_fingerprint()
        memo = tmp_path / "cache" / "msl-book" / "code-fingerprint.json"
        saved = json.loads(memo.read_text(encoding="utf-8"))
        memo.write_text(json.dumps({**saved, "fingerprint": "kept"}), encoding="utf-8")
        cache.code_fingerprint.cache_clear()
        assert cache.code_fingerprint() == "kept"  # read, not computed
        (site / "newlib-1.0.dist-info").mkdir()
        os.utime(site, ns=(1, site.stat().st_mtime_ns + 1_000_000))
        cache.code_fingerprint.cache_clear()
        assert cache.code_fingerprint() == real
        memo.write_text("not json", encoding="utf-8")
        cache.code_fingerprint.cache_clear()
        assert cache.code_fingerprint() == real
    finally:
        cache.code_fingerprint.cache_clear()
