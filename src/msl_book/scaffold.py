"""msl-book init and msl-book new: start a book, add a chapter.

book.yaml is edited with ruamel.yaml's round-trip mode so that the author's comments, key
order and quoting survive; the file is replaced atomically.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from .errors import BookError, Diagnostic
from .loader import CONFIG_NAME, split_front_matter
from .model import slugify
from .roles import AUTHORED_ROLES, Role
from .theme import theme_dir
from .yamlsource import YamlProblem, parse_yaml

BOOK_YAML = """\
# {title}: the book's metadata and the order of its chapters.
# Required: title, authors, language. Unknown keys are errors. See msl-book's README.
title: {title_yaml}
# subtitle: A subtitle
authors:
  - {author_yaml}
language: en
# date: 2026-01-31          # date of preparation (also the outputs' date)
# version: "1.0"
# document_code: ABC-123     # printed on the copyright page
# publisher: Your organisation
# rights: For internal training use.
# cover: images/cover.png    # without it, a cover is generated
page_size: A4                # A4, A5, Letter, or a trim size such as 6x9in
# openers: recto             # chapters on right-hand pages, as printed books do (default: any)
chapters:
  - chapters/01-introduction.md
"""

SAMPLE_CHAPTER = """\
---
title: Introduction
objectives:
  - Describe what this book covers
  - Find your way around a chapter
takeaways:
  - Every chapter has objectives, takeaways and review questions.
questions:
  - question: Where do the answers to the review questions appear?
    answer: In the answer key at the end of the book, linked from each question.
---
This is the first chapter. Write in Markdown: *emphasis*, **strong**, lists, tables and
footnotes.[^first]

{{#what-next}}
## What comes next

::: tip Add a chapter
Run `msl-book new "Chapter title"`; it creates the file and adds it to book.yaml.
:::

| Command | What it does |
|---------|--------------|
| `msl-book check` | Finds mistakes without building |
| `msl-book build` | Writes the PDF and the EPUB to dist/ |
| `msl-book serve` | Previews the book in a browser |

Table: The commands you will use most

See [What comes next](#what-next) for a cross-reference to a heading.

[^first]: Footnotes sit at the foot of the page in the PDF and pop up in the EPUB.
"""

CHAPTER = """\
---
title: {title_yaml}
{id_line}{role_line}# objectives: [What the reader will be able to do]
# takeaways: [The points to remember]
# questions:
#   - question: A review question?
#     answer: Its model answer.
---
Write the chapter here.
"""


@dataclass(frozen=True)
class NewChapter:
    path: Path
    listed: bool  # added to book.yaml's chapter list (False: book.yaml lists no chapters)


def _fail(message: str, path: str = "", line: int | None = None) -> BookError:
    return BookError([Diagnostic(path, line or 0, message)])


def _yaml_scalar(value: str) -> str:
    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = True
    dumper.allow_unicode = True
    dumper.width = 1000
    out = io.StringIO()
    dumper.dump(value, out)
    return out.getvalue().strip().removesuffix("\n...")


def init_project(
    target: Path, title: str | None = None, author: str = "Author Name", theme: bool = False
) -> list[Path]:
    """Create a new book project that builds as it is; return the files written."""
    target = target.resolve()
    if (target / CONFIG_NAME).exists():
        raise _fail(f"{target} is already a book project (it has a {CONFIG_NAME})")
    title = title or target.name.replace("-", " ").replace("_", " ").strip().title() or "Untitled Book"
    files = {
        CONFIG_NAME: BOOK_YAML.format(
            title=title, title_yaml=_yaml_scalar(title), author_yaml=_yaml_scalar(author)
        ),
        "chapters/01-introduction.md": SAMPLE_CHAPTER.format(),
        ".gitignore": "dist/\n",
    }
    written = []
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if theme:
        for name in ("templates", "styles"):
            shutil.copytree(theme_dir() / name, target / name, dirs_exist_ok=False)
            written.append(target / name)
    return written


def new_chapter(
    project: Path, title: str, chapter_id: str | None = None, role: Role = Role.CHAPTER
) -> NewChapter:
    """Create chapters/NN-slug.md and list it in book.yaml after the last chapter of its kind."""
    project = project.resolve()
    config = project / CONFIG_NAME
    if not config.is_file():
        raise _fail(f"no {CONFIG_NAME} found in {project}", CONFIG_NAME)
    chapters_dir = project / "chapters"
    existing = sorted(chapters_dir.glob("*.md")) if chapters_dir.is_dir() else []
    number = 1 + max(
        (
            int(m[1])
            for p in existing
            if (m := re.match(r"(\d+)", p.name)) and _role(p).matter < Role.APPENDIX.matter
        ),
        default=0,
    )
    slug = slugify(title)
    for other in existing:
        if re.fullmatch(rf"\d*-?{re.escape(slug)}\.md", other.name):
            raise _fail(
                f"a chapter file for '{title}' already exists: {other.relative_to(project).as_posix()}"
            )
    path = chapters_dir / f"{number:02d}-{slug}.md"
    text = CHAPTER.format(
        title_yaml=_yaml_scalar(title),
        id_line=f"id: {chapter_id}\n" if chapter_id else "",
        role_line=f"role: {role}\n" if role is not Role.CHAPTER else "",
    )
    listed = _add_to_book_yaml(config, path.relative_to(project).as_posix(), role, project)
    chapters_dir.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return NewChapter(path, listed)


def _role(path: Path) -> Role:
    """The role a chapter file declares; a file that cannot be read counts as a chapter."""
    try:
        front, _, _ = split_front_matter(path.read_text(encoding="utf-8"))
        data = parse_yaml(front or "").data
    except (OSError, UnicodeDecodeError, YamlProblem):
        return Role.CHAPTER
    value = data.get("role") if isinstance(data, dict) else None
    return Role(value) if value in AUTHORED_ROLES else Role.CHAPTER


def _add_to_book_yaml(config: Path, entry: str, role: Role, project: Path) -> bool:
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap the author's long lines
    text = config.read_text(encoding="utf-8")
    if m := re.search(r"^( *)- ", text, re.MULTILINE):  # keep the file's list indentation
        rt.indent(mapping=2, sequence=len(m[1]) + 2, offset=len(m[1]))
    try:
        data = rt.load(text)
    except Exception as exc:  # ruamel raises several unrelated error classes
        raise _fail(f"cannot edit {CONFIG_NAME}: {exc}".split("\n")[0], CONFIG_NAME) from None
    if not isinstance(data, dict) or data.get("chapters") is None:
        return False
    chapters = data["chapters"]
    position = len(chapters)
    for i, listed in enumerate(chapters):
        if _role(project / str(listed)).position > role.position:
            position = i
            break
    chapters.insert(position, entry)
    out = io.StringIO()
    rt.dump(data, out)
    fd, tmp = tempfile.mkstemp(dir=config.parent, prefix=".book.yaml.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(out.getvalue())
    os.replace(tmp, config)
    return True
