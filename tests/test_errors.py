"""Bad input: one `path:line: message` per problem, exit status 1, no traceback, and the
previous outputs left as they were."""

from __future__ import annotations

import pytest

from msl_book.fonts import system_font

from conftest import make_book, run_cli

SECOND = "chapters/02-second.md"

CASES = {
    "malformed YAML in book.yaml": (
        {"book.yaml": "title: [unclosed\nauthors: [A]\nlanguage: en\n"},
        "book.yaml:2: invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence started on line 1)",
    ),
    "malformed YAML in front matter": (
        {SECOND: "---\ntitle: Second\nobjectives: [a, b\n---\nText.\n"},
        f"{SECOND}:3: invalid YAML: expected ',' or ']', but got '<stream end>'",
    ),
    "missing required field in book.yaml": (
        {"book.yaml": "authors: [A]\nlanguage: en\n"},
        "book.yaml: missing required key 'title'",
    ),
    "no title in front matter or body": (
        {SECOND: "---\nid: second\n---\nText.\n"},
        f"{SECOND}:1: the chapter has no title: start the file with '# Title' (or front matter: "
        "'---', a 'title:' line and '---')",
    ),
    "unknown key in book.yaml": (
        {"book.yaml": "title: T\ntittle: T\nauthors: [A]\nlanguage: en\n"},
        "book.yaml:2: unknown key 'tittle' (did you mean 'title'?)",
    ),
    "unknown key in front matter": (
        {SECOND: "---\ntitle: Second\nobjective:\n  - Learn\n---\nText.\n"},
        f"{SECOND}:3: unknown key 'objective' (did you mean 'objectives'?)",
    ),
    "missing chapter file": (
        {
            "book.yaml": "title: T\nauthors: [A]\nlanguage: en\nchapters:\n"
            "  - chapters/01-first.md\n  - chapters/02-second.md\n  - chapters/03-missing.md\n"
        },
        "book.yaml:7: chapter file not found: chapters/03-missing.md",
    ),
    "file that is not UTF-8": (
        {SECOND: "---\ntitle: Second\n---\nCaf\xe9 au lait.\n".encode("latin-1")},
        f"{SECOND}:4: file is not valid UTF-8 (byte 0xe9)",
    ),
    "missing image": (
        {SECOND: "---\ntitle: Second Chapter\n---\nText.\n\n![Alt](../images/nope.png)\n"},
        f"{SECOND}:6: image ../images/nope.png: file not found",
    ),
    "broken internal link": (
        {SECOND: "---\ntitle: Second Chapter\n---\nSee [nowhere](#nowhere).\n"},
        f"{SECOND}:4: broken link: no chapter, heading or element has id 'nowhere'",
    ),
    "duplicate id": (
        {SECOND: "---\ntitle: Second Chapter\n---\n{#sec-alpha}\n## Again\n"},
        f"{SECOND}:5: duplicate id 'sec-alpha' (already used at chapters/01-first.md:14)",
    ),
    "duplicate chapter id": (
        {
            "book.yaml": "title: T\nauthors: [A]\nlanguage: en\n",  # every chapters/*.md, sorted
            "chapters/03-third.md": "---\ntitle: Third\nid: second\n---\nText.\n",
        },
        "chapters/03-third.md:3: duplicate id 'second' (already used at chapters/02-second.md:2)",
    ),
    "heading id that is the chapter's own": (
        {SECOND: "---\ntitle: Second Chapter\n---\n## Second {#second}\n"},
        f"{SECOND}:4: duplicate id 'second' (already used at {SECOND}:2): that is the id chapter "
        f"{SECOND}:2 takes from its file name; choose another id here, or give the chapter an 'id:' "
        "in its front matter",
    ),
    "no title": (
        {SECOND: "Just text.\n"},
        f"{SECOND}:1: the chapter has no title: start the file with '# Title' (or front matter: "
        "'---', a 'title:' line and '---')",
    ),
    "raw HTML that could run": (
        {SECOND: "---\ntitle: Second Chapter\n---\nText <b>bold</b>.\n\n<script>alert(1)</script>\n"},
        f"{SECOND}:6: <script> is not allowed in a book: it could run code or load something",
    ),
    "unclosed div": (
        {SECOND: "---\ntitle: Second Chapter\n---\nText.\n\n::: danger\nBody.\n"},
        f"{SECOND}:6: this ::: div is never closed: add a line ':::' where it ends",
    ),
    "footnote without definition": (
        {SECOND: "---\ntitle: Second Chapter\n---\nA claim.[^src]\n"},
        f"{SECOND}:4: footnote [^src] has no definition",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_gives_one_line_and_status_1(tmp_path, case):
    changes, expected = CASES[case]
    project = make_book(tmp_path, changes)
    result = run_cli("build", str(project), "--output", str(tmp_path / "out"))
    assert result.code == 1
    assert result.err.splitlines() == [expected, "msl-book: build failed: 1 error"]
    assert "Traceback" not in result.err
    assert result.out == ""


def test_all_errors_of_a_run_are_reported_together(tmp_path):
    project = make_book(
        tmp_path,
        {
            "book.yaml": "title: T\nauthors: [A]\nlanguage: en\nsubtitel: x\n"
            "chapters: [chapters/01-first.md, chapters/02-second.md]\n",
            SECOND: "---\ntitle: Second Chapter\n---\nSee [x](#missing).\n\n![](../images/gone.png)\n",
        },
    )
    result = run_cli("build", str(project))
    assert result.code == 1
    assert result.err.splitlines() == [
        "book.yaml:4: unknown key 'subtitel' (did you mean 'subtitle'?)",
        f"{SECOND}:4: broken link: no chapter, heading or element has id 'missing'",
        f"{SECOND}:6: image ../images/gone.png: file not found",
        "msl-book: build failed: 3 errors",
    ]


def test_a_front_matter_error_does_not_hide_the_chapters_other_errors(tmp_path):
    """The chapter with a bad key is still read without it: its broken link, and the other
    chapter's (which could have pointed into it), are reported in the same run."""
    first = "chapters/01-first.md"
    project = make_book(
        tmp_path,
        {
            first: "---\ntitle: First Chapter\nobjective: x\nrole: glosary\nterms: []\n---\nSee [x](#nowhere).\n",
            SECOND: "---\ntitle: Second Chapter\n---\nSee [y](#missing).\n",
        },
    )
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{first}:3: unknown key 'objective' (did you mean 'objectives'?)",
        f"{first}:4: 'role' must be 'preface', 'chapter', 'appendix' or 'glossary'",
        f"{first}:7: broken link: no chapter, heading or element has id 'nowhere'",
        f"{SECOND}:4: broken link: no chapter, heading or element has id 'missing'",
        "msl-book: check failed: 4 errors",
    ]


def test_a_failed_build_leaves_the_previous_outputs_untouched(tmp_path):
    project = make_book(tmp_path)
    out = tmp_path / "out"
    assert run_cli("build", str(project), "--output", str(out)).code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"tiny.pdf", "tiny.epub", ".msl-book-cache.json"}
    (project / SECOND).write_text("---\ntitle: Second\n---\n[broken](#nope)\n", encoding="utf-8")
    assert run_cli("build", str(project), "--output", str(out)).code == 1
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # same files, same bytes (the cache too), no temporary files left


def test_a_warning_is_fatal_with_strict(tmp_path):
    project = make_book(tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\n![](../images/dot.svg)\n"})
    result = run_cli("build", str(project), "--format", "epub", "--strict", "--output", str(tmp_path / "o"))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"{SECOND}:4: warning: image ../images/dot.svg has no alt text: describe it for readers who cannot see it"
    )
    relaxed = run_cli("build", str(project), "--format", "epub", "--output", str(tmp_path / "o"))
    assert relaxed.code == 0
    assert "warning: image ../images/dot.svg has no alt text" in relaxed.err


def test_a_chapter_file_the_book_does_not_list_is_a_warning(tmp_path):
    """A new author adds a file under chapters/ and forgets book.yaml's list: the book builds
    without it, and says so (a file under chapters/<language>/ is a translation's)."""
    project = make_book(
        tmp_path, {"chapters/03-draft.md": "# Draft\n\nNot yet.\n", "chapters/de/01-first.md": "# Erstes\n"}
    )
    result = run_cli("check", str(project))
    assert result.code == 0
    assert result.err.splitlines() == [
        "chapters/03-draft.md: warning: not part of the book: book.yaml's 'chapters' does not list "
        "this file (add it there, or `msl-book new` adds a chapter for you)"
    ]
    assert run_cli("check", str(project), "--strict").code == 1


def test_a_character_missing_from_the_fonts_fails_the_build_and_is_located(tmp_path):
    project = make_book(tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\nA zigzag ↯ arrow.\n"})
    result = run_cli("build", str(project), "--format", "pdf", "--output", str(tmp_path / "out"))
    assert result.code == 1
    # found before any layout, with the book's other problems, at its line
    assert result.err.splitlines() == [
        f"{SECOND}:4: no font of the book can draw '↯' (U+21AF DOWNWARDS ZIGZAG ARROW): "
        + (
            f"'{found.family}' ({found.file}) could; "
            if (found := system_font("↯"))
            else "nor can any installed font; "
        )
        + "copy a font that can into the project and add it to book.yaml's fonts: fallback",
        "msl-book: build failed: 1 error",
    ]
    assert not (tmp_path / "out").exists()


def test_a_font_family_without_font_face_fails_the_build(tmp_path):
    project = make_book(tmp_path, {"styles/custom.css": 'p { font-family: "Helvetica Neue", sans-serif; }\n'})
    result = run_cli("build", str(project), "--format", "pdf", "--output", str(tmp_path / "out"))
    assert result.code == 1
    assert result.err.splitlines() == [
        "styles/custom.css:1: font-family names 'Helvetica Neue', which no @font-face of the stylesheets "
        "provides: add its file to book.yaml's fonts: (the book uses no installed fonts)",
        "msl-book: build failed: 1 error",
    ]


def test_css_that_weasyprint_ignores_is_a_warning_and_fatal_with_strict(tmp_path):
    project = make_book(tmp_path, {"styles/custom.css": "h1 { colour: red; }\n"})
    relaxed = run_cli("build", str(project), "--format", "pdf", "--output", str(tmp_path / "a"))
    assert relaxed.code == 0
    assert relaxed.err.splitlines() == [
        "styles/custom.css:1: warning: WeasyPrint: Ignored `colour: red`, unknown property."
    ]
    strict = run_cli("build", str(project), "--format", "pdf", "--strict", "--output", str(tmp_path / "b"))
    assert strict.code == 1


def test_a_chapter_id_that_the_epub_uses_for_its_own_documents_is_refused(tmp_path):
    third = "chapters/03-third.md"
    project = make_book(
        tmp_path,
        {
            "book.yaml": "title: T\nauthors: [A]\nlanguage: en\n",  # every chapters/*.md, sorted
            third: "---\ntitle: Third\nid: nav\n---\nText.\n",
        },
    )
    result = run_cli("build", str(project), "--output", str(tmp_path / "out"))
    assert result.err.splitlines() == [
        f"{third}:3: id 'nav' is reserved for generated content; choose another",
        "msl-book: build failed: 1 error",
    ]


def test_front_matter_that_is_not_yaml_does_not_hide_the_chapters_other_errors(tmp_path):
    """The chapter's body is still checked, as the chapter it would be without its front
    matter; the id its front matter gives plainly is kept, so a link to it is not broken."""
    first = "chapters/01-first.md"
    project = make_book(
        tmp_path,
        {
            first: "---\ntitle: First: the basics\nid: basics\n---\nSee [x](#nowhere).\n",
            SECOND: "---\ntitle: Second Chapter\n---\nBack to [the basics](#basics), or [y](#missing).\n",
        },
    )
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{first}:2: invalid YAML: mapping values are not allowed here",
        f"{first}:5: broken link: no chapter, heading or element has id 'nowhere'",
        f"{SECOND}:4: broken link: no chapter, heading or element has id 'missing'",
        "msl-book: check failed: 3 errors",
    ]


def test_front_matter_that_is_not_yaml_leaves_the_first_heading_the_chapters_title(tmp_path):
    """Read without its front matter, the chapter takes its title and id from its first
    heading, as a chapter without front matter does: no false duplicate id, no warning of a
    level-1 heading in the body, and a link to that id is not broken."""
    project = make_book(
        tmp_path,
        {
            "chapters/01-first.md": "---\ntitle: First\n---\nSee [the methods](#methods).\n",
            SECOND: "---\ntitle: Second: the rest\n---\n\n# Second {#second}\n\n## Methods {#methods}\n",
        },
    )
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{SECOND}:2: invalid YAML: mapping values are not allowed here",
        "msl-book: check failed: 1 error",
    ]
