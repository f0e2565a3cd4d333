"""What a translation lacks compared with the book in its own language.

A translation (book.yaml ``translations:``) has the same chapter files under
``chapters/<language>/``; a missing file is the loader's error. Here each translated chapter
is compared with its source: the ids of its sections, figures, tables and equations (which
cross-references and links from other chapters use) and how many figures and tables it has.
Differences are warnings (errors with ``--strict``): a translation in progress still builds.
"""

from __future__ import annotations

import re
from collections import Counter

from .document import BookModel, Kind
from .errors import Report

COMPARED = (Kind.SECTION, Kind.FIGURE, Kind.TABLE, Kind.EQUATION)
NOUNS = {Kind.FIGURE: "figure", Kind.TABLE: "table"}


def compare(source: BookModel, translation: BookModel, report: Report) -> None:
    lang = translation.config.language
    root = translation.book.root
    used = {ch.file.resolve() for ch in translation.book.chapters}
    for extra in sorted((root / "chapters" / lang).rglob("*.md")):
        if extra.resolve() not in used:
            report.warning(
                f"not part of the {lang!r} edition: no chapter of book.yaml has this file name",
                extra.relative_to(root).as_posix(),
            )
    theirs = {s.id: s for s in translation.authored}
    for section in source.authored:
        other = theirs.get(section.id)
        if other is None or other.source is None or section.source is None:
            continue  # not found: reported by the loader
        path, source_path = other.source.chapter.path, section.source.chapter.path
        # the ids the author wrote ({#id}); ids made from a heading's words differ by language
        mine_ids = _ids(source, section.id, section.source.chapter.body)
        their_ids = _ids(translation, section.id, other.source.chapter.body)
        for ident in sorted(mine_ids.keys() - their_ids.keys()):
            report.warning(
                f"{mine_ids[ident]} id '{ident}' of {source_path} is missing from the {lang!r} translation",
                path,
            )
        for ident in sorted(their_ids.keys() - mine_ids.keys()):
            report.warning(f"{their_ids[ident]} id '{ident}' is not in {source_path}", path)
        mine_count, their_count = _counts(source, section.id), _counts(translation, section.id)
        for kind, noun in NOUNS.items():
            if mine_count[kind] != their_count[kind]:
                report.warning(
                    f"{_n(their_count[kind], noun)} in the {lang!r} translation, "
                    f"{_n(mine_count[kind], noun)} in {source_path}",
                    path,
                )


def _ids(model: BookModel, chapter: str, text: str) -> dict[str, str]:
    return {
        t.id: t.kind.value
        for t in model.targets.values()
        if t.chapter == chapter and t.kind in COMPARED and re.search(rf"#{re.escape(t.id)}(?![\w:.-])", text)
    }


def _counts(model: BookModel, chapter: str) -> Counter[Kind]:
    return Counter(t.kind for t in model.targets.values() if t.chapter == chapter and t.kind in NOUNS)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
