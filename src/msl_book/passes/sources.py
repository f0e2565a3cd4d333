"""Pass: one section per chapter file, its Markdown parsed (body and front-matter strings)."""

from __future__ import annotations

from ..document import BookModel, Section, Sources
from ..errors import Report
from ..markdown import ExampleState, ParsedText, shared_markdown
from ..markdown.lists import NO_EXAMPLES
from ..model import Chapter


def run(model: BookModel, report: Report) -> None:
    config = model.book.config  # may be partial: book.yaml had errors (config_valid)
    book_authors = [a.name for a in getattr(config, "authors", [])]
    language = str(getattr(config, "language", "")).lower()
    # pandoc numbers example items (@) on across its input files, and (@label) may name one
    # of a later file: each chapter starts from the count of those before it, and knows the
    # labels of the whole book
    md = shared_markdown()
    starts, examples = [], NO_EXAMPLES
    for chapter in model.book.chapters:
        starts.append(examples)
        examples = md.examples_after(chapter.body, examples)
    for chapter, start in zip(model.book.chapters, starts, strict=True):
        meta = chapter.meta
        authors = [meta.author] if isinstance(meta.author, str) else list(meta.author or [])
        model.sections.append(
            Section(
                id=chapter.id,
                role=chapter.role,
                title=chapter.title,
                number=None,
                label="",
                source=parse(chapter, report, start, examples.labels),
                subtitle=meta.subtitle,
                byline=byline(authors) if authors and authors != book_authors else "",
                lang=meta.lang if meta.lang and meta.lang.lower() != language else None,
            )
        )


def byline(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def parse(
    chapter: Chapter,
    report: Report,
    examples: ExampleState = NO_EXAMPLES,
    references: tuple[tuple[str, int], ...] = (),
) -> Sources:
    md = shared_markdown()

    def inline(value: str, *loc: object) -> ParsedText:
        return md.parse_inline(value, chapter.path, chapter.meta_lines.get(tuple(loc), 1), report)

    meta = chapter.meta
    return Sources(
        chapter=chapter,
        body=md.parse_body(chapter.body, chapter.path, chapter.body_line, report, examples, references),
        objectives=[inline(v, "objectives", i) for i, v in enumerate(meta.objectives)],
        takeaways=[inline(v, "takeaways", i) for i, v in enumerate(meta.takeaways)],
        questions=[
            (inline(qa.question, "questions", i, "question"), inline(qa.answer, "questions", i, "answer"))
            for i, qa in enumerate(meta.questions)
        ],
        definitions=[inline(t.definition, "terms", i, "definition") for i, t in enumerate(meta.terms)],
    )
