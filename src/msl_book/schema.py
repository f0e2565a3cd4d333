"""The two input schemas, book.yaml and chapter front matter, and their error messages.

Both forbid unknown keys so a typo is an error, and every problem is reported with the
line it comes from (see yamlsource.YamlDoc).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import Report, did_you_mean
from .roles import AUTHORED_ROLES, Role
from .yamlsource import YamlDoc

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]*$"
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"  # BCP 47, as EPUB and PDF need it
PAGE_SIZES = {"A4": "A4", "A5": "A5", "B5": "B5", "LETTER": "letter", "LEGAL": "legal"}
_LENGTH = r"\d+(?:\.\d+)?(?:mm|cm|in|pt)"
_TRIM = re.compile(rf"^({_LENGTH})\s*(?:x|×|\s)\s*({_LENGTH})$", re.IGNORECASE)
_TRIM_SHORT = re.compile(r"^(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(in|mm|cm)$", re.IGNORECASE)

NonEmpty = Annotated[str, Field(min_length=1)]
M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Author(Strict):
    name: NonEmpty
    file_as: str | None = None
    role: str = "aut"


class IndexConfig(Strict):
    glossary: bool = False  # every use of a glossary term is indexed under the term


class FontsConfig(Strict):
    """book.yaml ``fonts:``: font files of the project for each role, and the fallback list
    tried, in order, for what a role's fonts cannot draw (fontfiles.py reads them)."""

    body: list[NonEmpty] = []
    headings: list[NonEmpty] = []
    code: list[NonEmpty] = []
    fallback: list[NonEmpty] = []

    @field_validator("body", "headings", "code", "fallback", mode="before")
    @classmethod
    def _files(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Translation(Strict):
    """One language of ``translations:``: what differs from the source language's book.yaml."""

    title: NonEmpty | None = None
    subtitle: str | None = None
    description: str | None = None
    identifier: str | None = None  # its own ISBN; else one derived from the book's and the language
    strings: dict[str, str] = {}

    @field_validator("strings")
    @classmethod
    def _strings(cls, value: dict[str, str]) -> dict[str, str]:
        return _checked_strings(value)


def _checked_strings(value: dict[str, str]) -> dict[str, str]:
    from .l10n import check_overrides

    if problems := check_overrides(value):
        raise ValueError("; ".join(f"{key}: {problem}" for key, problem in problems))
    return value


LanguageTag = Annotated[str, Field(pattern=LANGUAGE_TAG)]

Status = Literal["draft", "in-review", "approved", "withdrawn"]


class HistoryEntry(Strict):
    """One row of book.yaml ``history:``, the book's version history (doccontrol.py)."""

    version: NonEmpty  # as written: book.yaml's scalars are read as text, so 1.10 stays 1.10
    date: dt.date
    changes: NonEmpty


class BookConfig(Strict):
    """book.yaml."""

    title: NonEmpty
    subtitle: str | None = None
    authors: list[Author] = Field(min_length=1)
    language: Annotated[str, Field(pattern=LANGUAGE_TAG)]
    identifier: str | None = None
    publisher: str | None = None
    date: dt.date | None = None
    version: str | None = None
    document_code: str | None = None
    rights: str | None = None
    description: str | None = None
    subjects: list[NonEmpty] = []
    cover: str | None = None
    chapters: list[NonEmpty] | None = None
    output: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")] | None = None
    page_size: str = "A4"
    pdf_standard: Literal["ua-1", "a-3u", "none"] = "ua-1"
    toc_depth: Annotated[int, Field(ge=1, le=3)] = 2
    image_resolution: Annotated[int, Field(ge=72, le=2400)] = 300  # ppi at most, across the page
    openers: Literal["recto", "any"] = "any"  # where chapters start: a right-hand page, or the next page
    bibliography: list[NonEmpty] = []  # CSL-JSON, CSL-YAML, BibTeX/BibLaTeX or RIS files
    csl: NonEmpty = "ama"  # ama | vancouver | apa | chicago-author-date | a .csl file of the project
    references: Literal["chapter", "book"] = "chapter"  # a list after each chapter, or one at the back
    index: IndexConfig = IndexConfig()  # the back-of-book index (built when anything is marked)
    nocite: list[NonEmpty] = []  # keys listed without being cited; "*": every entry
    fonts: FontsConfig | None = None  # the book's own font files (default: the theme's fonts)
    strings: dict[str, str] = {}  # built-in strings by key (l10n/messages.pot), instead of the language's
    stamp: NonEmpty | None = None  # distribute: the line on each copy (default: the "copy-stamp" string)

    # document control (doccontrol.py): absent status = the book is not under document control
    status: Status | None = None
    approved_by: NonEmpty | None = None
    approval_date: dt.date | None = None
    review_date: dt.date | None = None  # the next periodic review is due
    expiry_date: dt.date | None = None  # the book must not be used after this day
    history: list[HistoryEntry] = []

    # languages whose chapters are in chapters/<language>/, with the same file names
    translations: dict[LanguageTag, Translation] = {}

    @field_validator("strings")
    @classmethod
    def _strings(cls, value: dict[str, str]) -> dict[str, str]:
        return _checked_strings(value)

    @field_validator("translations", mode="before")
    @classmethod
    def _translations(cls, value: Any) -> Any:
        if isinstance(value, list):  # translations: [de, fr]
            return {lang: {} for lang in value}
        if isinstance(value, dict):
            return {lang: {} if v is None else v for lang, v in value.items()}
        return value

    @field_validator("translations")
    @classmethod
    def _not_itself(cls, value: dict[str, Translation], info: ValidationInfo) -> dict[str, Translation]:
        if info.data.get("language") in value:
            raise ValueError(f"{info.data['language']!r} is the book's own language (language:)")
        return value

    def base_name(self) -> str:
        """The outputs' file name without extension: ``output``, else the title's words, else
        (a title without Latin letters) the document code, else "book"."""
        from .model import slugify

        if self.output:
            return self.output
        name = slugify(self.title)
        if name == "section":  # what slugify makes of a title with no Latin letter
            name = slugify(self.document_code) if self.document_code else "book"
        return name

    def edition(self, language: str) -> BookConfig:
        """The book.yaml of the ``language`` translation."""
        tr = self.translations[language]
        seed = f"{self.identifier}|{language}"
        identifier = tr.identifier or (self.identifier and f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}")
        return self.model_copy(
            update={
                "language": language,
                "title": tr.title or self.title,
                "subtitle": tr.subtitle if tr.title or tr.subtitle else self.subtitle,
                "description": tr.description or self.description,
                "identifier": identifier,
                "strings": dict(tr.strings),  # the source's overrides are in the source's language
                "output": self.base_name(),  # every edition: the same name
            }
        )

    @field_validator("authors", mode="before")
    @classmethod
    def _authors(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("subjects", "bibliography", mode="before")
    @classmethod
    def _subjects(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("nocite", mode="before")
    @classmethod
    def _nocite(cls, value: Any) -> Any:
        return nocite_keys(value)

    @field_validator("page_size")
    @classmethod
    def _page_size(cls, value: str) -> str:
        return css_page_size(value)


def css_page_size(value: str) -> str:
    """'A4', 'Letter', '6x9in', '6in 9in', '148mm x 210mm' -> a CSS ``size`` value."""
    text = value.strip()
    if text.upper() in PAGE_SIZES:
        return PAGE_SIZES[text.upper()]
    if m := _TRIM_SHORT.match(text):
        return f"{m[1]}{m[3].lower()} {m[2]}{m[3].lower()}"
    if m := _TRIM.match(text):
        return f"{m[1].lower()} {m[2].lower()}"
    raise ValueError("must be A4, A5, B5, Letter, Legal or a trim size such as 6x9in or 170mm 240mm")


def nocite_keys(value: Any) -> Any:
    """pandoc's ways of writing nocite: '@a, @b', '@*', or a list of keys with or without '@'."""
    if isinstance(value, str):
        value = [k for k in re.split(r"[\s,;]+", value) if k]
    if isinstance(value, list):
        return [k.removeprefix("@") if isinstance(k, str) else k for k in value]
    return value


class Question(Strict):
    question: NonEmpty
    answer: NonEmpty


class Term(Strict):
    term: NonEmpty
    id: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    abbr: str | None = None
    match: list[NonEmpty] | None = None
    definition: NonEmpty


class FrontMatter(Strict):
    """The YAML block at the top of a chapter file (the title may come from the first
    heading instead, see loader.implicit_title). pandoc's author, date, subtitle, abstract,
    keywords and lang are accepted, so that pandoc files load as they are."""

    title: NonEmpty | None = None
    author: str | list[str] | None = None
    date: str | None = None
    subtitle: str | None = None
    abstract: str | None = None
    keywords: list[str] | str | None = None
    lang: Annotated[str, Field(pattern=LANGUAGE_TAG)] | None = None
    id: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    role: Role = Role.CHAPTER
    objectives: list[NonEmpty] = []
    takeaways: list[NonEmpty] = []
    questions: list[Question] = []
    terms: list[Term] = []
    nocite: list[NonEmpty] = []  # keys for this chapter's list of references without a citation

    @field_validator("nocite", mode="before")
    @classmethod
    def _nocite(cls, value: Any) -> Any:
        return nocite_keys(value)

    @field_validator("author", mode="before")
    @classmethod
    def _author(cls, value: Any) -> Any:
        """pandoc's authors may be mappings with a ``name`` (and an affiliation...)."""
        if isinstance(value, dict) and "name" in value:
            return value["name"]
        if isinstance(value, list):
            return [v["name"] if isinstance(v, dict) and "name" in v else v for v in value]
        return value

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Any:
        if value not in AUTHORED_ROLES:
            names = [f"'{r.value}'" for r in AUTHORED_ROLES]
            raise ValueError(f"must be {', '.join(names[:-1])} or {names[-1]}")
        return value


def validate(model: type[M], doc: YamlDoc, path: str, report: Report) -> M | None:
    """Validate ``doc`` against ``model``; on failure add one diagnostic per problem."""
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        report.error("expected a mapping of keys to values", path, doc.first_line)
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            report.error(_message(model, err), path, _line(doc, err))
        return None


def _line(doc: YamlDoc, err: Any) -> int | None:
    loc = tuple(err["loc"])
    if err["type"] == "missing" and len(loc) == 1:
        return None  # a missing top-level key has no line of its own
    return doc.line_of(loc)


def _message(model: type[BaseModel], err: Any) -> str:
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p in ("str", "list[str]"))]
    name = _dotted(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        return f"unknown key '{name}'{did_you_mean(str(loc[-1]), known)}"
    if kind == "missing":
        return f"missing required key '{name}'"
    if kind == "literal_error":
        return f"'{name}' {err['msg'].lower().replace('input should be', 'must be')}"
    if kind == "string_pattern_mismatch":
        is_language = err["ctx"]["pattern"] == LANGUAGE_TAG
        hint = ": use a language tag such as 'en', 'fr' or 'pt-BR'" if is_language else ""
        return f"'{name}' has an invalid value {err['input']!r}{hint}"
    if kind in ("too_short",) and isinstance(err.get("input"), (list, str)):
        return f"'{name}' must not be empty"
    if kind == "value_error":
        return f"'{name}' {err['ctx']['error']}"
    msg = err["msg"][0].lower() + err["msg"][1:]
    return f"'{name}': {msg.replace('input should be', 'must be')}"


def _dotted(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _known_keys(model: type[BaseModel], loc: list[Any]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if field is None:
            return []
        current = _inner_model(field.annotation)
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
