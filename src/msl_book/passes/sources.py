"""Pass: one section per chapter file, its Markdown parsed (body and front-matter strings)."""

from __future__ import annotations

from ..document import BookModel, Section, Sources
from ..errors import Report
from ..markdown import ParsedText, shared_markdown
from ..model import Chapter


def run(model: BookModel, report: Report) -> None:
    for chapter in model.book.chapters:
        model.sections.append(
            Section(
                id=chapter.id,
                role=chapter.role,
                title=chapter.title,
                number=None,
                label="",
                source=parse(chapter, report),
            )
        )


def parse(chapter: Chapter, report: Report) -> Sources:
    md = shared_markdown()

    def inline(value: str, *loc: object) -> ParsedText:
        return md.parse_inline(value, chapter.path, chapter.meta_lines.get(tuple(loc), 1), report)

    meta = chapter.meta
    return Sources(
        chapter=chapter,
        body=md.parse_body(chapter.body, chapter.path, chapter.body_line, report),
        objectives=[inline(v, "objectives", i) for i, v in enumerate(meta.objectives)],
        takeaways=[inline(v, "takeaways", i) for i, v in enumerate(meta.takeaways)],
        questions=[
            (inline(qa.question, "questions", i, "question"), inline(qa.answer, "questions", i, "answer"))
            for i, qa in enumerate(meta.questions)
        ],
        definitions=[inline(t.definition, "terms", i, "definition") for i, t in enumerate(meta.terms)],
    )
