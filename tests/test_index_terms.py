"""The index's order, groups and locators, as a reader of an English or a German book
expects them (ICU's collation for the book's language, not code points)."""

from __future__ import annotations

from msl_book.index_terms import Mark, Xref, build, locators


def _terms(groups) -> list[tuple[str, list[str]]]:
    return [(g.letter, [e.term for e in g.entries]) for g in groups]


def test_english_terms_sort_by_letters_not_by_case_or_accents():
    words = [
        "MRI",
        "mRNA",
        "éclair",
        "Eclampsia",
        "eclair",
        "Zoster",
        "adverse event",
        "Adverse drug reaction",
    ]
    groups = build([Mark((w,), f"m{i}") for i, w in enumerate(words)], [], "en")
    assert _terms(groups) == [
        ("A", ["Adverse drug reaction", "adverse event"]),
        ("E", ["eclair", "éclair", "Eclampsia"]),
        ("M", ["MRI", "mRNA"]),
        ("Z", ["Zoster"]),
    ]
    # code-point order would have put every capital first and "éclair" after "Zoster"
    assert sorted(words) != [t for _, terms in _terms(groups) for t in terms]


def test_german_umlauts_and_sharp_s_file_with_their_base_letters():
    words = [
        "Zulassung",
        "Ärztin",
        "Arzneimittel",
        "Öffentlichkeit",
        "Ober",
        "Überwachung",
        "Ufer",
        "Straße",
        "Strahl",
    ]
    groups = build([Mark((w,), f"m{i}") for i, w in enumerate(words)], [], "de")
    assert _terms(groups) == [
        ("A", ["Arzneimittel", "Ärztin"]),
        ("O", ["Ober", "Öffentlichkeit"]),
        ("S", ["Strahl", "Straße"]),
        ("U", ["Überwachung", "Ufer"]),  # b before f: the umlaut does not count first
        ("Z", ["Zulassung"]),
    ]


def test_subentries_nest_and_sort_and_cross_references_attach_to_their_term():
    marks = [
        Mark(("Pharmacovigilance", "signal detection"), "a"),
        Mark(("Pharmacovigilance", "case processing"), "b"),
        Mark(("Pharmacovigilance",), "c"),
        Mark(("Pharmacovigilance", "signal detection"), "d"),
        Mark(("3-D printing",), "e"),
    ]
    xrefs = [
        Xref(("Drug safety",), "see", ("Pharmacovigilance",)),
        Xref(("Pharmacovigilance",), "also", ("Adverse event", "reporting")),
    ]
    groups = build(marks, xrefs, "en")
    assert _terms(groups) == [("#", ["3-D printing"]), ("D", ["Drug safety"]), ("P", ["Pharmacovigilance"])]
    pv = groups[2].entries[0]
    assert [m.target for m in pv.marks] == ["c"] and pv.also == ["Adverse event, reporting"]
    assert [(c.term, [m.target for m in c.marks]) for c in pv.children] == [
        ("case processing", ["b"]),
        ("signal detection", ["a", "d"]),
    ]
    assert groups[1].entries[0].see == ["Pharmacovigilance"] and groups[1].entries[0].marks == []


def test_sort_as_files_a_term_where_the_author_says():
    marks = [Mark(("β-blockers",), "a", ("beta-blockers",)), Mark(("Bayes",), "b"), Mark(("Bile",), "c")]
    assert _terms(build(marks, [], "en")) == [("B", ["Bayes", "β-blockers", "Bile"])]


def test_locators_merge_consecutive_pages_and_drop_duplicates():
    pages = {
        "m1": (10, "3"),
        "m2": (11, "4"),
        "m3": (11, "4"),
        "m4": (12, "5"),
        "m5": (20, "13"),
        "m6": (2, "iv"),
    }
    pages |= {"m7": (3, "v"), "m8": (4, "1")}
    found = locators(
        [Mark(("x",), m) for m in ["m5", "m1", "m2", "m3", "m4", "m6", "m7", "m8", "lost"]], pages.get
    )
    assert [(loc.text, loc.target) for loc in found] == [
        ("iv–v", "m6"),
        ("1", "m8"),
        ("3–5", "m1"),
        ("13", "m5"),
    ]
