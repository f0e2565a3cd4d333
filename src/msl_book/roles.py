"""Chapter roles: one enum for the loader, the passes, the renderers and the templates."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a chapter file is in the book; the answer key, the book's list of references and
    the index are the generated roles.

    ``matter`` is what the chapter order enforces (front matter, then the body, then the back
    matter in any order); ``position`` is where ``msl-book new`` puts a new chapter of the role
    by convention (appendices before the glossary).
    """

    PREFACE = "preface"
    CHAPTER = "chapter"
    APPENDIX = "appendix"
    ANSWERS = "answers"
    REFERENCES = "references"
    GLOSSARY = "glossary"
    INDEX = "index"

    @property
    def matter(self) -> int:
        return {Role.PREFACE: 0, Role.CHAPTER: 1}.get(self, 2)

    @property
    def position(self) -> int:
        return list(Role).index(self)

    @property
    def epub_type(self) -> str:
        """The structural semantics of the chapter's section (EPUB SSV)."""
        return {Role.ANSWERS: "appendix", Role.REFERENCES: "bibliography"}.get(self, self.value)

    @property
    def aria_role(self) -> str:
        return f"doc-{self.epub_type}"

    @property
    def division(self) -> str:
        """frontmatter | bodymatter | backmatter, for the EPUB document's body."""
        return ("frontmatter", "bodymatter", "backmatter")[self.matter]

    @property
    def numbered(self) -> bool:
        """Chapters and appendices are numbered and have numbered sections in the contents."""
        return self in (Role.CHAPTER, Role.APPENDIX)


GENERATED_ROLES = (Role.ANSWERS, Role.REFERENCES, Role.INDEX)
AUTHORED_ROLES = tuple(r for r in Role if r not in GENERATED_ROLES)
