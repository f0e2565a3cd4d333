"""The resolved book: what the passes produce and every renderer reads.

It is format-free. Content is kept as trees of semantic XHTML elements (both outputs are
HTML, so this is the one representation either needs), with every book-wide decision made
once: ids, numbers and labels, cross-reference text, glossary links, the answer key and the
footnotes. What differs between outputs is left to the renderers: internal links say only
``#id`` (which document holds the id is the EPUB's business), images name their project
path (``data-src``), and footnotes are data (``Note``) instead of markup at a place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from lxml import etree

from .index_terms import Group, Mark
from .l10n import Strings
from .markdown import ParsedText
from .model import Book, Chapter
from .roles import Role
from .schema import BookConfig

ANSWERS_ID = "answers"
REFERENCES_ID = "references"
INDEX_ID = "book-index"  # not "index": a chapter file index.md is common (mdBook, Quarto)


class Kind(StrEnum):
    """What a link target is; it decides how a reference to it reads."""

    CHAPTER = "chapter"
    SECTION = "section"
    FIGURE = "figure"
    TABLE = "table"
    EQUATION = "equation"
    TERM = "term"
    QUESTION = "question"
    ANSWER = "answer"
    REFERENCE = "reference"  # an entry of a list of references
    CITATION = "citation"  # a citation in the text, where an entry links back to
    OTHER = "other"

    @property
    def paged(self) -> bool:
        """A reference to it reads as a cross-reference to a place in the book (which print
        follows with the page it is on); terms, questions and answers are links of their own."""
        return self in (Kind.CHAPTER, Kind.SECTION, Kind.FIGURE, Kind.TABLE, Kind.EQUATION, Kind.OTHER)


@dataclass
class Target:
    """Something a link can point at."""

    id: str
    chapter: str  # id of the chapter (or generated section) that holds it
    kind: Kind
    label: str  # text used for a link written as [](#id)


@dataclass
class Note:
    """A footnote: called from the text by ``<a class="noteref" href="#{id}">``."""

    id: str
    ref_id: str  # the id of its first call
    number: int
    body: Fragment  # the note's paragraphs


@dataclass
class Fragment:
    """A piece of content (a chapter body, a front-matter string, a note) owned by one
    chapter: XHTML elements under a wrapper element, and the notes they call."""

    root: etree._Element
    chapter: str
    notes: list[Note] = field(default_factory=list)


@dataclass
class Heading:
    level: int
    id: str
    text: str


@dataclass
class QA:
    number: int
    question_id: str
    answer_id: str
    question: Fragment
    answer: Fragment


@dataclass
class GlossaryTerm:
    id: str
    term: str
    abbr: str | None
    definition: Fragment
    forms: list[str]


@dataclass
class Sources:
    """One chapter file's Markdown, parsed: the body and each front-matter string."""

    chapter: Chapter
    body: ParsedText
    objectives: list[ParsedText]
    takeaways: list[ParsedText]
    questions: list[tuple[ParsedText, ParsedText]]
    definitions: list[ParsedText]

    def texts(self) -> list[ParsedText]:
        texts = [self.body, *self.objectives, *self.takeaways, *self.definitions]
        for question, answer in self.questions:
            texts += [question, answer]
        return texts


@dataclass
class BibEntry:
    """One entry of a list of references, as the CSL style writes it."""

    key: str
    id: str
    label: str  # the style's number ("1."), or "" for author-date styles
    content: Fragment  # the entry, then links back to each place it is cited
    citations: list[str] = field(default_factory=list)  # ids of the citations of it, in order


@dataclass
class References:
    """A list of references: a chapter's (``references: chapter``) or the book's."""

    id: str
    entries: list[BibEntry]
    numbered: bool  # the style numbers its entries (AMA, Vancouver)
    hanging: bool  # the style asks for a hanging indent (APA, Chicago)


@dataclass
class Section:
    """A chapter of the book as it is printed: an author's chapter file or the answer key."""

    id: str
    role: Role
    title: str
    number: str | None  # "3" for chapters, "A" for appendices
    label: str  # "Chapter 3", "Appendix A" or ""
    source: Sources | None  # None for generated sections
    body_start: bool = False  # the first chapter: where the body matter starts
    subtitle: str | None = None  # the chapter file's own subtitle (pandoc metadata)
    byline: str = ""  # the chapter's authors, when they are not the book's
    lang: str | None = None  # the chapter's language, when it is not the book's
    body: Fragment | None = None
    headings: list[Heading] = field(default_factory=list)
    objectives: list[Fragment] = field(default_factory=list)
    takeaways: list[Fragment] = field(default_factory=list)
    questions: list[QA] = field(default_factory=list)
    terms: list[GlossaryTerm] = field(default_factory=list)
    references: References | None = None  # the chapter's list of references, or the book's

    @property
    def path(self) -> str:
        """The chapter file, project-relative ("" for generated sections)."""
        return self.source.chapter.path if self.source else ""

    @property
    def full_title(self) -> str:
        return f"{self.label}: {self.title}" if self.label else self.title

    @property
    def notes(self) -> list[Note]:
        return self.body.notes if self.body is not None else []

    def flow(self) -> list[Fragment]:
        """The running text: the body, then its notes."""
        return ([self.body] if self.body is not None else []) + [note.body for note in self.notes]

    def fragments(self) -> Iterator[Fragment]:
        """Every piece of content the chapter owns, in reading order."""
        yield from self.flow()
        yield from self.objectives
        yield from self.takeaways
        for qa in self.questions:
            yield qa.question
            yield qa.answer
        for term in self.terms:
            yield term.definition


@dataclass
class IndexData:
    """The back-of-book index (passes/index.py): its letter groups, sorted, and every mark."""

    groups: list[Group]
    marks: list[Mark]


@dataclass
class BookModel:
    book: Book
    strings: Strings
    sections: list[Section] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)
    # the id pandoc would give a heading (or chapter title) whose id here differs -> that id,
    # so that links written for pandoc resolve (passes/ids.py, passes/references.py)
    id_aliases: dict[str, str] = field(default_factory=dict)
    images: dict[str, Path] = field(default_factory=dict)  # project-relative path -> file
    images_without_alt: set[str] = field(default_factory=set)  # project-relative paths
    image_uses: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> its first use
    image_data: dict[str, bytes] = field(default_factory=dict)  # path -> bytes to use instead
    print_images: dict[str, bytes] = field(default_factory=dict)  # path -> bytes for the PDF only
    citation_files: list[Path] = field(default_factory=list)  # bibliography files and the CSL style read
    index: IndexData | None = None  # when anything is marked for the index

    @property
    def config(self) -> BookConfig:
        return self.book.config

    @property
    def chapters(self) -> list[Section]:
        """The sections in reading order (templates say ``book.chapters``)."""
        return self.sections

    @property
    def authored(self) -> list[Section]:
        """The sections that come from chapter files, in the order of the files."""
        return [s for s in self.sections if s.source is not None]

    @property
    def answer_sets(self) -> list[Section]:
        return [s for s in self.sections if s.questions]

    def counts(self) -> dict[str, int]:
        """How much there is: chapters, words of running text, figures, tables."""
        flow = [f.root for s in self.sections for f in s.flow()]
        return {
            "chapter": len(self.sections),
            "word": sum(len(root.xpath("string()").split()) for root in flow),
            "figure": sum(int(root.xpath("count(.//*[local-name()='figure'])")) for root in flow),
            "table": sum(int(root.xpath("count(.//*[local-name()='table'])")) for root in flow),
        }

    @property
    def glossary(self) -> Section | None:
        return next((s for s in self.sections if s.role is Role.GLOSSARY), None)
