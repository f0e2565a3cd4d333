"""Pass: link the first use of each glossary term in every chapter to its definition, and
warn about terms no chapter uses.

A term's forms (``match``, else the term and its abbreviation) are found as whole words;
all-capital forms (abbreviations) match case-sensitively. Headings, code, captions, links,
callout titles and citations are left alone.
"""

from __future__ import annotations

import functools
import re

from lxml import etree

from ..document import BookModel, GlossaryTerm
from ..errors import Report
from ..roles import Role
from ..xhtml import element, has_class, local, text_segments, wrap_match

NO_GLOSSARY_LINKS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "figcaption", "caption", "dt"}


def run(model: BookModel, report: Report) -> None:
    glossary = model.glossary
    if glossary is None:
        return
    patterns = _patterns(glossary.terms)
    used: set[str] = set()
    for section in model.sections:
        if section.body is not None and section.role is not Role.GLOSSARY:
            done: set[str] = set()
            for fragment in section.flow():
                _link_terms(fragment.root, patterns, done)
            used |= done
    chapter = glossary.source.chapter
    for i, term in enumerate(glossary.terms):
        if term.id not in used:
            forms = ", ".join(term.forms)
            report.warning(
                f"glossary term '{term.term}' is never used in a chapter (looked for: {forms})",
                chapter.path,
                chapter.meta_lines.get(("terms", i)),
            )


def _patterns(terms: list[GlossaryTerm]) -> list[tuple[re.Pattern[str], GlossaryTerm]]:
    patterns = []
    for term in terms:
        for form in sorted(term.forms, key=len, reverse=True):
            flags = 0 if form.isupper() else re.IGNORECASE
            # a word of a script written without spaces (Chinese, Japanese, Thai) has no
            # word boundary to look for: it is found inside the run of text
            # and a Latin word ends where Japanese text begins ("社内ではKOLと")
            patterns.append((_pattern(form, flags), term))
    return patterns


@functools.lru_cache(maxsize=4096)
def _pattern(form: str, flags: int) -> re.Pattern[str]:
    """The word boundaries are matched case-sensitively (``(?-i:…)``): the same matches, and
    a third of the time to compile, as case-folding the large script ranges is what costs."""
    lead = rf"(?-i:(?<!(?!{_UNSPACED.pattern})[\w-]))" if not _unspaced(form[0]) else ""
    trail = rf"(?-i:(?!(?!{_UNSPACED.pattern})[\w-]))" if not _unspaced(form[-1]) else ""
    return re.compile(rf"{lead}{re.escape(form)}{trail}", flags)


_UNSPACED = re.compile(
    "[\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
)


def _unspaced(char: str) -> bool:
    """Thai, Lao, Myanmar, Khmer, kana and CJK ideographs."""
    return bool(_UNSPACED.match(char))


def _skip(el: etree._Element) -> bool:
    return local(el) in NO_GLOSSARY_LINKS or has_class(el, "callout-title") or has_class(el, "citation")


def _link_terms(
    root: etree._Element, patterns: list[tuple[re.Pattern[str], GlossaryTerm]], done: set[str]
) -> None:
    """Link the first match of each term not in ``done`` yet; add the terms linked to it."""
    for owner, where in text_segments(root, _skip):
        text = getattr(owner, where) or ""
        best: tuple[int, int, GlossaryTerm] | None = None
        for pattern, term in patterns:
            if term.id in done:
                continue
            m = pattern.search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), m.end(), term)
        if best is None:
            continue
        start, end, term = best
        done.add(term.id)
        link = element(
            "a", {"class": "glossref", "href": f"#{term.id}", "epub:type": "glossref", "role": "doc-glossref"}
        )
        wrap_match(owner, where, start, end, link)
        # the rest of this run is now the link's tail, which text_segments visits next
