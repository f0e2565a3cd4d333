"""The built-in strings: the catalogues are complete and used, a language tag finds its
catalogue, book.yaml strings: overrides them, and a book's outputs carry its language's words."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from msl_book.l10n import HERE, TEMPLATE, Strings, catalogue_for, english, placeholders, shipped
from msl_book.markdown.render import CALLOUTS

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"de", "fr", "es", "it", "pt", "nl", "pl", "ja", "zh_Hans", "ar"}
# a key written out in code or templates: t("key"…), strings("key"…)
USE = re.compile(r"""(?:\bt|strings)\(\s*["']([a-z0-9-]+)["']""")


def _entries(path: Path) -> dict[tuple[str, str], str]:
    with path.open("rb") as f:
        return {(m.context, m.id): m.string for m in read_po(f) if m.id}


def test_every_required_language_has_a_complete_catalogue() -> None:
    assert set(shipped()) >= REQUIRED
    template = set(_entries(TEMPLATE))
    for name in shipped():
        entries = _entries(HERE / f"{name}.po")
        assert set(entries) == template, f"{name}.po: {sorted(template ^ set(entries))}"
        for (key, source), text in entries.items():
            assert text, f"{name}.po: {key} is not translated"
            assert placeholders(text) == placeholders(source), f"{name}.po: {key}: {text!r}"


def test_every_string_is_used_and_every_use_has_a_string() -> None:
    used: set[str] = {f"callout-{kind}" for kind in CALLOUTS}
    sources = [*(ROOT / "src/msl_book").rglob("*.py"), *(ROOT / "templates").rglob("*.j2")]
    for path in sources:
        used |= set(USE.findall(path.read_text("utf-8")))
    used |= {"task-done", "task-not-done"}  # chosen by the box's state in markdown/blocks.py
    css = Strings("en").css()  # the print stylesheet's page references
    used |= {key for key in ("xref-page", "link-page") if english()[key].split("{")[0].rstrip() in css}
    assert used - set(english()) == set(), "used but not in messages.pot"
    assert set(english()) - used == set(), "in messages.pot but never used"


@pytest.mark.parametrize(
    ("tag", "catalogue"),
    [
        ("de", "de"),
        ("de-CH", "de"),
        ("pt-BR", "pt"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-TW", None),  # Traditional Chinese: no catalogue, English words
        ("en-GB", None),
        ("ar-EG", "ar"),
        ("ja", "ja"),
        ("tlh", None),
    ],
)
def test_a_language_tag_finds_its_catalogue(tag: str, catalogue: str | None) -> None:
    assert catalogue_for(tag) == catalogue


def test_strings_in_a_language_with_their_placeholders_filled() -> None:
    de, ja = Strings("de"), Strings("ja")
    assert de("chapter-label", number=3) == "Kapitel 3"
    assert de("contents") == "Inhalt"
    assert ja("chapter-label", number=3) == "第3章"
    assert Strings("en")("chapter-label", number=3) == "Chapter 3"
    override = Strings("de", {"chapter-label": "Lektion {number}"})
    assert override("chapter-label", number=2) == "Lektion 2"
    assert override("contents") == "Inhalt"


def test_dates_follow_the_locale() -> None:
    day = dt.date(2026, 3, 4)
    assert Strings("de").date(day) == "4. März 2026"
    assert Strings("en-GB").date(day) == "4 March 2026"
    assert Strings("ja").date(day) == "2026年3月4日"
    assert Strings("fr").date(day) == "4 mars 2026"


def test_page_reference_words_become_print_css() -> None:
    import tinycss2

    def strings(language: str) -> list[list[str]]:
        rules = [r for r in tinycss2.parse_stylesheet(Strings(language).css()) if r.type == "qualified-rule"]
        return [[t.value for t in r.content if t.type == "string"] for r in rules]

    # the space before the number is a no-break space; the words are the language's
    assert strings("de") == [[" (Seite\u00a0", ")"], [", S.\u00a0"]]
    assert strings("ar") == [[" (صفحة\u00a0", ")"], ["، ص\u00a0"]]  # the space after '،' is kept
    assert strings("ja") == [["（", "ページ）"], ["、", "ページ"]]
    quoted = Strings("en", {"xref-page": ' ("p\\" {page})'}).css()
    assert strings_of(quoted) == [[' ("p\\"\u00a0', ")"]]


def strings_of(css: str) -> list[list[str]]:
    import tinycss2

    rules = [r for r in tinycss2.parse_stylesheet(css) if r.type == "qualified-rule"]
    return [[t.value for t in r.content if t.type == "string"] for r in rules][:1]


def test_overrides_are_checked_at_their_book_yaml_line(tmp_path):
    from conftest import make_book, run_cli

    project = make_book(tmp_path, {})
    with (project / "book.yaml").open("a", encoding="utf-8") as f:
        start = sum(1 for _ in (project / "book.yaml").open(encoding="utf-8")) + 1
        f.write('strings:\n  chapter-label: "Lesson"\n  contnets: "Inhalt"\n')
    result = run_cli("check", str(project))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"book.yaml:{start}: 'strings' chapter-label: must use the same placeholders as "
        "'Chapter {number}' ({number}); contnets: no built-in string is called 'contnets' "
        "(did you mean 'contents'?)"
    )


def test_a_bad_book_yaml_in_a_book_with_an_index_is_reported_not_a_traceback(tmp_path):
    from conftest import make_book, run_cli

    project = make_book(tmp_path, {"chapters/02-second.md": "---\ntitle: Second\n---\nA [term]{.index}.\n"})
    with (project / "book.yaml").open("a", encoding="utf-8") as f:
        f.write('strings:\n  chapter-label: "Kap"\n')
    result = run_cli("check", str(project))
    assert result.code == 1
    assert "'strings' chapter-label: must use the same placeholders" in result.err
    assert "Traceback" not in result.err
