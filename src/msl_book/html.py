"""Book -> RenderedBook: every chapter's XHTML with book-wide ids, numbering and links.

This is the one place that knows the whole book: it assigns unique ids, numbers
chapters, figures and tables, checks every link and image, links glossary terms and builds
the answer key. The result is shared by both renderers; ``Fragment.markup`` gives the
format-specific markup (footnotes, link targets and image URLs differ between PDF and EPUB).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from string import ascii_uppercase
from urllib.parse import unquote, urlsplit

from lxml import etree
from markupsafe import Markup

from .errors import Report
from .markdown import Markdown, ParsedText, slugify
from .model import Book, Chapter
from .paths import IMAGE_TYPES, is_remote, relative, resolve_reference
from .xhtml import (
    EPUB_TYPE,
    add_class,
    element,
    has_class,
    local,
    parse_fragment,
    q,
    serialize,
    text_content,
    text_segments,
    wrap_match,
)

PDF = "pdf"
EPUB = "epub"
EXTERNAL_SCHEMES = {"http", "https", "mailto", "tel"}
ANSWERS_ID = "answers"
NO_GLOSSARY_LINKS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "figcaption", "caption", "dt"}
# Generated ids: authors may not reuse these prefixes.
GENERATED = re.compile(r"^(fn|fnref|q|ans|term|toc|page)-")


@dataclass
class Target:
    """Something a link can point at."""

    id: str
    chapter: str  # id of the chapter (or generated page) that holds it
    kind: str  # chapter | section | figure | table | term | question | answer | note | other
    label: str  # text used for a link written as [](#id)


@dataclass
class Fragment:
    """A piece of XHTML (a chapter body or a front-matter string) owned by one chapter."""

    root: etree._Element
    chapter: str
    book: RenderedBook

    def _prepared(self, fmt: str) -> etree._Element:
        tree = copy.deepcopy(self.root)
        if fmt == EPUB:
            _epub_links(tree, self.chapter, self.book)
            _epub_footnotes(tree)
        else:
            _print_footnotes(tree)
        _image_sources(tree, fmt, self.book)
        return tree

    def markup(self, fmt: str) -> Markup:
        """The fragment for one output; in the EPUB without its notes (see ``notes``)."""
        tree = self._prepared(fmt)
        for notes in _note_sections(tree):
            notes.getparent().remove(notes)
        return Markup(serialize(tree))

    def notes(self, fmt: str) -> Markup:
        """EPUB only: the chapter's notes, placed by the template after everything else."""
        if fmt != EPUB:
            return Markup("")
        tree = self._prepared(fmt)
        wrapper = parse_fragment("")
        for notes in _note_sections(tree):
            wrapper.append(notes)
        return Markup(serialize(wrapper))

    def __html__(self) -> str:  # pragma: no cover - templates must choose a format
        raise TypeError("use fragment.markup(fmt) in templates")


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
class RenderedChapter:
    id: str
    role: str  # preface | chapter | appendix | glossary | answers
    title: str
    number: str | None  # "3" for chapters, "A" for appendices
    label: str  # "Chapter 3", "Appendix A" or ""
    file_name: str  # the chapter's XHTML document inside the EPUB
    source: str  # project-relative path, "" for generated pages
    body: Fragment | None
    body_start: bool = False  # the first chapter: arabic page numbers start here
    headings: list[Heading] = field(default_factory=list)
    objectives: list[Fragment] = field(default_factory=list)
    takeaways: list[Fragment] = field(default_factory=list)
    questions: list[QA] = field(default_factory=list)
    terms: list[GlossaryTerm] = field(default_factory=list)

    @property
    def full_title(self) -> str:
        return f"{self.label}: {self.title}" if self.label else self.title


@dataclass
class RenderedBook:
    book: Book
    chapters: list[RenderedChapter] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)
    images: dict[str, Path] = field(default_factory=dict)  # project-relative path -> file
    images_without_alt: set[str] = field(default_factory=set)  # project-relative paths
    image_refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (chapter, src) -> path

    @property
    def config(self):
        return self.book.config

    def chapter(self, chapter_id: str) -> RenderedChapter:
        return next(c for c in self.chapters if c.id == chapter_id)

    @property
    def answer_sets(self) -> list[RenderedChapter]:
        return [c for c in self.chapters if c.questions]

    @property
    def glossary(self) -> RenderedChapter | None:
        return next((c for c in self.chapters if c.role == "glossary"), None)


# -- assembly ------------------------------------------------------------------------------


@dataclass
class _Source:
    chapter: Chapter
    body: ParsedText
    objectives: list[ParsedText]
    takeaways: list[ParsedText]
    questions: list[tuple[ParsedText, ParsedText]]
    definitions: list[ParsedText]


def render_book(book: Book, report: Report) -> RenderedBook:
    """Turn the loaded book into XHTML fragments; all problems go to ``report``."""
    md = Markdown()
    sources = [_parse(md, ch, report) for ch in book.chapters]
    out = RenderedBook(book=book)
    _number_chapters(out, sources)
    _register_ids(out, sources, report)
    for src, rch in zip(sources, (c for c in out.chapters if c.role != "answers"), strict=True):
        _build_chapter(md, out, src, rch, report)
    _check_refs(out, sources, report)
    terms = out.glossary.terms if out.glossary else []
    used: set[str] = set()
    for rch in out.chapters:
        if rch.body is not None and rch.role != "glossary":
            _number_floats(rch, out)
            used |= _link_terms(rch.body.root, terms)
            _fill_empty_links(rch, out)
    _report_unused_terms(out, sources, used, report)
    for rch in out.chapters:
        for frag in _fragments(rch):
            _mark_xrefs(frag.root, out)
    return out


def _fragments(rch: RenderedChapter) -> list[Fragment]:
    frags = [rch.body] if rch.body is not None else []
    frags += rch.objectives + rch.takeaways
    for qa in rch.questions:
        frags += [qa.question, qa.answer]
    frags += [t.definition for t in rch.terms]
    return frags


def _parse(md: Markdown, ch: Chapter, report: Report) -> _Source:
    def inline(value: str, *loc: object) -> ParsedText:
        return md.parse_inline(value, ch.path, ch.meta_lines.get(tuple(loc), 1), report)

    meta = ch.meta
    return _Source(
        chapter=ch,
        body=md.parse_body(ch.body, ch.path, ch.body_line, report),
        objectives=[inline(v, "objectives", i) for i, v in enumerate(meta.objectives)],
        takeaways=[inline(v, "takeaways", i) for i, v in enumerate(meta.takeaways)],
        questions=[
            (inline(qa.question, "questions", i, "question"), inline(qa.answer, "questions", i, "answer"))
            for i, qa in enumerate(meta.questions)
        ],
        definitions=[inline(t.definition, "terms", i, "definition") for i, t in enumerate(meta.terms)],
    )


def _number_chapters(out: RenderedBook, sources: list[_Source]) -> None:
    chapter_no = 0
    appendix_no = 0
    answers_added = False
    has_questions = any(s.chapter.meta.questions for s in sources)
    for src in sources:
        ch = src.chapter
        if ch.role == "glossary" and has_questions and not answers_added:
            out.chapters.append(_answers_chapter())
            answers_added = True
        number, label = None, ""
        if ch.role == "chapter":
            chapter_no += 1
            number, label = str(chapter_no), f"Chapter {chapter_no}"
        elif ch.role == "appendix":
            number = ascii_uppercase[appendix_no % 26]
            appendix_no += 1
            label = f"Appendix {number}"
        out.chapters.append(
            RenderedChapter(
                id=ch.id,
                role=ch.role,
                title=ch.title,
                number=number,
                label=label,
                file_name=f"text/{ch.id}.xhtml",
                source=ch.path,
                body=None,
                body_start=ch.role == "chapter" and chapter_no == 1,
            )
        )
    if has_questions and not answers_added:
        out.chapters.append(_answers_chapter())


def _answers_chapter() -> RenderedChapter:
    return RenderedChapter(
        id=ANSWERS_ID,
        role="answers",
        title="Answers to the Review Questions",
        number=None,
        label="",
        file_name=f"text/{ANSWERS_ID}.xhtml",
        source="",
        body=None,
    )


def _register_ids(out: RenderedBook, sources: list[_Source], report: Report) -> None:
    """Give every heading an id and make sure no id is used twice in the whole book."""
    where: dict[str, str] = {}

    def claim(ident: str, target: Target, path: str, line: int | None, explicit: bool = True) -> None:
        if ident in out.targets:
            first = where.get(ident, "")
            report.error(f"duplicate id '{ident}' (already used at {first})", path, line)
            return
        if explicit and GENERATED.match(ident):
            report.error(f"id '{ident}' is reserved for generated content; choose another", path, line)
            return
        out.targets[ident] = target
        where[ident] = f"{path}:{line}" if line else path

    for rch in out.chapters:
        if rch.role == "answers":
            claim(rch.id, Target(rch.id, rch.id, "chapter", rch.title), "(answer key)", None, False)
    for src in sources:
        ch = src.chapter
        line = ch.meta_lines.get(("id",)) or ch.meta_lines.get(("title",))
        claim(ch.id, Target(ch.id, ch.id, "chapter", ch.title), ch.path, line)
        for parsed in _parsed_texts(src):
            for ident, id_line in parsed.ids:
                claim(ident, Target(ident, ch.id, "other", ""), ch.path, id_line)
        for i, term in enumerate(ch.meta.terms):
            tid = f"term-{term.id or slugify(term.term)}"
            claim(tid, Target(tid, ch.id, "term", term.term), ch.path, ch.meta_lines.get(("terms", i)), False)
    for src in sources:
        for tok in src.body.headings:
            if tok.attrs.get("id"):
                continue
            text = text_of_heading(src.body, tok)
            base = slugify(text)
            ident, n = base, 1
            while ident in out.targets:
                ident, n = f"{base}-{n}", n + 1
            tok.attrs["id"] = ident
            claim(
                ident,
                Target(ident, src.chapter.id, "section", text),
                src.chapter.path,
                tok.meta.get("line"),
                False,
            )
        for tok in src.body.headings:
            ident = str(tok.attrs["id"])
            if ident in out.targets and out.targets[ident].chapter == src.chapter.id:
                out.targets[ident].kind = "section"
                out.targets[ident].label = text_of_heading(src.body, tok)


def _parsed_texts(src: _Source) -> list[ParsedText]:
    texts = [src.body, *src.objectives, *src.takeaways, *src.definitions]
    for qtext, atext in src.questions:
        texts += [qtext, atext]
    return texts


def text_of_heading(parsed: ParsedText, heading_open) -> str:
    idx = parsed.tokens.index(heading_open)
    inline = parsed.tokens[idx + 1]
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")).strip()


def _build_chapter(
    md: Markdown, out: RenderedBook, src: _Source, rch: RenderedChapter, report: Report
) -> None:
    ch = src.chapter

    def frag(parsed: ParsedText) -> Fragment:
        return Fragment(parse_fragment(md.render(parsed, ch.id)), ch.id, out)

    rch.body = frag(src.body)
    _demote_h1(rch.body.root, ch, report)
    rch.headings = [
        Heading(int(local(h)[1]), h.get("id", ""), text_content(h))
        for h in rch.body.root.iter(q("h2"), q("h3"))
    ]
    rch.objectives = [frag(p) for p in src.objectives]
    rch.takeaways = [frag(p) for p in src.takeaways]
    for i, (qtext, atext) in enumerate(src.questions, start=1):
        qid, aid = f"q-{ch.id}-{i}", f"ans-{ch.id}-{i}"
        out.targets[qid] = Target(
            qid, ch.id, "question", f"Question {rch.number or ''}.{i}".replace(" .", " ")
        )
        out.targets[aid] = Target(aid, ANSWERS_ID, "answer", f"Answer {i}")
        rch.questions.append(QA(i, qid, aid, frag(qtext), frag(atext)))
    for term, definition in zip(ch.meta.terms, src.definitions, strict=True):
        forms = term.match or [term.term, *([term.abbr] if term.abbr else [])]
        rch.terms.append(
            GlossaryTerm(
                f"term-{term.id or slugify(term.term)}", term.term, term.abbr, frag(definition), forms
            )
        )


def _demote_h1(root: etree._Element, ch: Chapter, report: Report) -> None:
    for h in root.iter(q("h1")):
        h.tag = q("h2")
        report.warning(
            "level-1 heading in the body: the chapter title comes from front matter; use ##", ch.path
        )


# -- links, images and cross-references ------------------------------------------------------


def _check_refs(out: RenderedBook, sources: list[_Source], report: Report) -> None:
    by_file = {src.chapter.file.resolve(): src.chapter.id for src in sources}
    for src in sources:
        ch = src.chapter
        for parsed in _parsed_texts(src):
            for ref in parsed.refs:
                if ref.kind == "image":
                    _check_image(out, ch, ref.target, ref.text, ref.line, report)
                else:
                    _check_link(out, ch, ref.target, ref.line, by_file, report)
    rewrites = _chapter_file_links(out, sources, by_file)
    for rch in out.chapters:
        for frag in _fragments(rch):
            for a in frag.root.iter(q("a")):
                href = a.get("href", "")
                if href in rewrites.get(rch.id, {}):
                    a.set("href", rewrites[rch.id][href])


def _check_link(out: RenderedBook, ch: Chapter, href: str, line: int, by_file, report: Report) -> None:
    parts = urlsplit(href)
    if parts.scheme:
        if parts.scheme.lower() not in EXTERNAL_SCHEMES:
            report.error(f"link scheme '{parts.scheme}:' is not allowed: {href}", ch.path, line)
        return
    if href.startswith("//"):
        report.error(f"link needs a scheme (https://): {href}", ch.path, line)
        return
    if not parts.path:
        if parts.fragment not in out.targets and out.book.complete:
            report.error(
                f"broken link: no chapter, heading or element has id '{parts.fragment}'", ch.path, line
            )
        return
    target = (ch.file.parent / unquote(parts.path)).resolve()
    if target not in by_file:
        report.error(f"broken link: {parts.path} is not a chapter of this book", ch.path, line)
    elif parts.fragment and parts.fragment not in out.targets:
        report.error(f"broken link: no element has id '{parts.fragment}'", ch.path, line)


def _chapter_file_links(out: RenderedBook, sources: list[_Source], by_file) -> dict[str, dict[str, str]]:
    """'02-role.md#x' -> '#x' and '02-role.md' -> '#msl-role', per chapter."""
    rewrites: dict[str, dict[str, str]] = {}
    for src in sources:
        for parsed in _parsed_texts(src):
            for ref in parsed.refs:
                parts = urlsplit(ref.target)
                if ref.kind != "link" or parts.scheme or not parts.path:
                    continue
                target = (src.chapter.file.parent / unquote(parts.path)).resolve()
                if target in by_file:
                    rewrites.setdefault(src.chapter.id, {})[ref.target] = (
                        f"#{parts.fragment or by_file[target]}"
                    )
    return rewrites


def _check_image(out: RenderedBook, ch: Chapter, src: str, alt: str, line: int, report: Report) -> None:
    root = out.book.root
    if is_remote(src):
        report.error(f"image {src}: only files inside the project can be used (no URLs)", ch.path, line)
        return
    path, problem = resolve_reference(src, ch.file.parent, root)
    if problem or path is None:
        report.error(f"image {src}: {problem}", ch.path, line)
        return
    if path.suffix.lower() not in IMAGE_TYPES:
        report.error(f"image {src}: use PNG, JPEG, GIF, WebP or SVG", ch.path, line)
        return
    if not alt.strip():
        out.images_without_alt.add(relative(path, root))
        report.warning(
            f"image {src} has no alt text: describe it for readers who cannot see it", ch.path, line
        )
    if path.suffix.lower() == ".svg":
        for problem in svg_problems(path):
            report.error(f"image {src}: {problem}", ch.path, line)
    out.images[relative(path, root)] = path
    out.image_refs[(ch.id, src)] = relative(path, root)


def svg_problems(path: Path) -> list[str]:
    """An SVG may not pull in other files or run scripts: it is copied into the EPUB as-is."""
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed SVG ({exc.msg})"]
    problems = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.endswith("}script") or el.tag.endswith("}foreignObject"):
            problems.append(f"<{el.tag.rsplit('}', 1)[-1]}> is not allowed in images")
        for name, value in el.attrib.items():
            if name.endswith("href") and not value.startswith("#"):
                problems.append(f"references another file ({value}); embed it or draw it in the SVG")
            if name.startswith("on"):
                problems.append(f"event handler '{name}' is not allowed")
    return sorted(set(problems))


def _image_sources(tree: etree._Element, fmt: str, book: RenderedBook) -> None:
    for img in tree.iter(q("img")):
        rel = img.get("data-src")
        if rel is None:
            continue
        del img.attrib["data-src"]
        path = book.images.get(rel)
        if path is None:
            continue
        img.set("src", path.as_uri() if fmt == PDF else f"../assets/{rel}")


def _number_floats(rch: RenderedChapter, out: RenderedBook) -> None:
    """Paragraphs holding only an image become numbered figures; tables get numbered captions."""
    assert rch.body is not None
    root = rch.body.root
    prefix = f"{rch.number}." if rch.number else ""
    figures = 0
    for p in list(root.iter(q("p"))):
        imgs = p.findall(q("img"))
        if len(imgs) != 1 or len(p) != 1 or (p.text or "").strip() or (imgs[0].tail or "").strip():
            continue
        figures += 1
        img = imgs[0]
        caption = img.attrib.pop("title", "")
        fig = element("figure", {"class": "figure"})
        if p.get("id"):
            fig.set("id", p.get("id"))
        for cls in p.get("class", "").split():
            add_class(fig, cls)
        label = f"Figure {prefix}{figures}"
        fig.append(img)
        img.tail = None
        cap = element("figcaption")
        num = element("span", {"class": "label"}, label)
        cap.append(num)
        if caption:
            num.tail = " " + caption
        fig.append(cap)
        p.getparent().replace(p, fig)
        _label_target(out, fig, "figure", label)
    for tables, table in enumerate(list(root.iter(q("table"))), start=1):
        label = f"Table {prefix}{tables}"
        caption_p = _caption_paragraph(table)
        cap = element("caption")
        num = element("span", {"class": "label"}, label)
        cap.append(num)
        if caption_p is not None:
            first = caption_p.text or ""
            caption_p.text = first.split(":", 1)[1].lstrip() if ":" in first else first
            num.tail = " " + (caption_p.text or "")
            for child in list(caption_p):
                cap.append(child)
            caption_p.getparent().remove(caption_p)
        table.insert(0, cap)
        for cell in table.iter(q("th"), q("td")):
            style = cell.attrib.pop("style", "")
            if m := re.match(r"text-align:\s*(left|right|center)", style):
                add_class(cell, f"align-{m[1]}")
        _label_target(out, table, "table", label)
    for img in root.iter(q("img")):
        rel = out.image_refs.get((rch.id, img.get("src", "")))
        if rel:
            img.set("data-src", rel)


def _caption_paragraph(table: etree._Element) -> etree._Element | None:
    for sibling in (table.getnext(), table.getprevious()):
        if sibling is not None and local(sibling) == "p" and (sibling.text or "").startswith("Table:"):
            return sibling
    return None


def _label_target(out: RenderedBook, el: etree._Element, kind: str, label: str) -> None:
    ident = el.get("id")
    if ident and ident in out.targets:
        out.targets[ident].kind = kind
        out.targets[ident].label = label


def _report_unused_terms(out: RenderedBook, sources: list[_Source], used: set[str], report: Report) -> None:
    glossary = next((s.chapter for s in sources if s.chapter.role == "glossary"), None)
    if glossary is None or out.glossary is None:
        return
    for i, term in enumerate(out.glossary.terms):
        if term.id not in used:
            forms = ", ".join(term.forms)
            report.warning(
                f"glossary term '{term.term}' is never used in a chapter (looked for: {forms})",
                glossary.path,
                glossary.meta_lines.get(("terms", i)),
            )


def _link_terms(root: etree._Element, terms: list[GlossaryTerm]) -> set[str]:
    """Link the first use of each glossary term in a chapter to its definition; return the
    ids of the terms linked."""
    if not terms:
        return set()
    patterns: list[tuple[re.Pattern[str], GlossaryTerm]] = []
    for term in terms:
        for form in sorted(term.forms, key=len, reverse=True):
            flags = 0 if form.isupper() else re.IGNORECASE
            patterns.append((re.compile(rf"(?<![\w-]){re.escape(form)}(?![\w-])", flags), term))
    done: set[str] = set()

    def skip(el: etree._Element) -> bool:
        return local(el) in NO_GLOSSARY_LINKS or has_class(el, "callout-title")

    for owner, where in text_segments(root, skip):
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
    return done


def _fill_empty_links(rch: RenderedChapter, out: RenderedBook) -> None:
    assert rch.body is not None
    for a in rch.body.root.iter(q("a")):
        href = a.get("href", "")
        if href.startswith("#") and not text_content(a) and len(a) == 0:
            target = out.targets.get(href[1:])
            if target is not None:
                a.text = target.label or target.id


def _mark_xrefs(root: etree._Element, out: RenderedBook) -> None:
    """Links to chapters, sections, figures and tables get page numbers in print."""
    for a in root.iter(q("a")):
        href = a.get("href", "")
        target = out.targets.get(href[1:]) if href.startswith("#") else None
        if (
            target is not None
            and target.kind in ("chapter", "section", "figure", "table", "other")
            and not has_class(a, "glossref")
            and not has_class(a, "noteref")
        ):
            add_class(a, "xref")


# -- format-specific rewriting ---------------------------------------------------------------


def _epub_links(tree: etree._Element, chapter: str, book: RenderedBook) -> None:
    files = {c.id: c.file_name.removeprefix("text/") for c in book.chapters}
    for a in tree.iter(q("a")):
        href = a.get("href", "")
        if not href.startswith("#"):
            continue
        target = book.targets.get(href[1:])
        if target is None or target.chapter == chapter:
            continue
        name = files.get(target.chapter)
        if name is None:
            continue
        a.set("href", name if target.id == target.chapter else f"{name}{href}")


def _note_sections(tree: etree._Element) -> list[etree._Element]:
    return [el for el in tree.iter(q("section"), q("div")) if has_class(el, "footnotes")]


def _footnote_asides(tree: etree._Element) -> list[etree._Element]:
    return [el for el in tree.iter(q("aside")) if has_class(el, "footnote")]


def _epub_footnotes(tree: etree._Element) -> None:
    """Pop-up notes: the aside keeps its place at the end, a back link comes first."""
    for aside in _footnote_asides(tree):
        note_id = aside.get("id", "")
        number = note_id.rsplit("-", 1)[-1]
        ref_id = "fnref-" + note_id.removeprefix("fn-")
        first = aside[0] if len(aside) else None
        back = element("a", {"href": f"#{ref_id}", "role": "doc-backlink", "class": "backlink"}, number)
        back.tail = " " + ((first.text or "") if first is not None and local(first) == "p" else "")
        if first is not None and local(first) == "p":
            first.text = None
            first.insert(0, back)
        else:
            p = element("p")
            p.append(back)
            aside.insert(0, p)
        aside.set("aria-label", f"Note {number}")
    for wrapper in tree.iter(q("div")):
        if has_class(wrapper, "footnotes"):
            wrapper.tag = q("section")
            wrapper.set(EPUB_TYPE, "footnotes")
            wrapper.set("aria-label", "Notes")


def _print_footnotes(tree: etree._Element) -> None:
    """Bottom-of-page notes: the note's text moves to where it is called (float: footnote)."""
    notes = {a.get("id"): a for a in _footnote_asides(tree)}
    for ref in list(tree.iter(q("a"))):
        if not has_class(ref, "noteref"):
            continue
        note_id = ref.get("href", "")[1:]
        aside = notes.get(note_id)
        if aside is None or ref.get("id") != "fnref-" + note_id.removeprefix("fn-"):
            continue  # a second call of the same note keeps pointing at it
        span = element("span", {"class": "footnote", "id": note_id})
        for i, p in enumerate([c for c in aside if local(c) == "p"] or [aside]):
            if i:
                _append_text(span, " ")
            _append_text(span, p.text or "")
            for child in list(p):
                span.append(child)
        span.tail = ref.tail
        ref.getparent().replace(ref, span)
    for wrapper in list(tree.iter(q("div"))):
        if has_class(wrapper, "footnotes"):
            wrapper.getparent().remove(wrapper)


def _append_text(el: etree._Element, text: str) -> None:
    if len(el):
        el[-1].tail = (el[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text
