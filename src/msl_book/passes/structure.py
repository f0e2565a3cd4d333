"""Pass: number chapters (1, 2, …) and appendices (A, B, …), and add the answer key.

The answer key comes before the glossary, or last when there is none, as soon as any
chapter has review questions.
"""

from __future__ import annotations

from string import ascii_uppercase

from ..document import ANSWERS_ID, BookModel, Section
from ..errors import Report
from ..roles import Role

ANSWERS_TITLE = "Answers to the Review Questions"


def run(model: BookModel, report: Report) -> None:
    chapters = appendices = 0
    for section in model.sections:
        if section.role is Role.CHAPTER:
            chapters += 1
            section.number, section.label = str(chapters), f"Chapter {chapters}"
            section.body_start = chapters == 1
        elif section.role is Role.APPENDIX:
            section.number = ascii_uppercase[appendices % 26]
            section.label = f"Appendix {section.number}"
            appendices += 1
    if any(s.source is not None and s.source.chapter.meta.questions for s in model.sections):
        answers = Section(
            id=ANSWERS_ID, role=Role.ANSWERS, title=ANSWERS_TITLE, number=None, label="", source=None
        )
        at = next((i for i, s in enumerate(model.sections) if s.role is Role.GLOSSARY), len(model.sections))
        model.sections.insert(at, answers)
