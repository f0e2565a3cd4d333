"""Pass: number chapters (1, 2, …) and appendices (A, B, …), and add the generated sections.

The answer key comes before the glossary, or last when there is none, as soon as any
chapter has review questions; with ``references: book``, the book's list of references
follows it (still before the glossary) as soon as anything is cited.
"""

from __future__ import annotations

from string import ascii_uppercase

from ..document import ANSWERS_ID, REFERENCES_ID, BookModel, Section
from ..errors import Report
from ..roles import Role


def run(model: BookModel, report: Report) -> None:
    chapters = appendices = 0
    t = model.strings
    for section in model.sections:
        if section.role is Role.CHAPTER:
            chapters += 1
            section.number = str(chapters)
            section.label = t("chapter-label", number=chapters)
            section.body_start = chapters == 1
        elif section.role is Role.APPENDIX:
            section.number = ascii_uppercase[appendices % 26]
            section.label = t("appendix-label", number=section.number)
            appendices += 1
    if any(s.source is not None and s.source.chapter.meta.questions for s in model.sections):
        answers = Section(
            id=ANSWERS_ID, role=Role.ANSWERS, title=t("answers-title"), number=None, label="", source=None
        )
        _insert_before_glossary(model, answers)
    if getattr(model.config, "references", "chapter") == "book" and _cites(model):
        references = Section(
            id=REFERENCES_ID, role=Role.REFERENCES, title=t("references"), number=None, label="", source=None
        )
        _insert_before_glossary(model, references)


def _insert_before_glossary(model: BookModel, section: Section) -> None:
    at = next((i for i, s in enumerate(model.sections) if s.role is Role.GLOSSARY), len(model.sections))
    model.sections.insert(at, section)


def _cites(model: BookModel) -> bool:
    """Whether the book cites anything, or lists entries without citing them (nocite)."""
    if getattr(model.config, "nocite", None):
        return True
    for section in model.authored:
        if section.source.chapter.meta.nocite or any(p.citations for p in section.source.texts()):
            return True
    return False
