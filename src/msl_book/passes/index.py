"""Pass: the back-of-book index.

Marks in the text: ``[text]{.index}`` files the span under its own text,
``[text]{index="Term"}`` under another term, ``index="Term!Subterm"`` as a subentry (two
levels or more), ``sort-as="…"`` sorts a term by other letters; ``index-see="Other"`` makes
the term a cross-reference (no page of its own), ``index-also="Other"`` adds "see also" to a
term that has its pages. Headings and figures take the same attributes (``## Title
{index="…"}``, ``![…](x.svg){index="…"}``); with ``index: {glossary: true}`` in book.yaml
every use of a glossary term is a mark too. Each mark gets an id to link to; the Index
section goes last in the back matter when anything is marked.

A see or see-also naming no indexed term and an empty index attribute are errors at their
line; ``check`` reports them without layout.
"""

from __future__ import annotations

from lxml import etree

from ..document import INDEX_ID, BookModel, IndexData, Kind, Section, Target
from ..errors import Report, did_you_mean
from ..index_terms import Mark, Xref, build
from ..roles import Role
from ..xhtml import has_class, local, q, text_content, text_segments, wrap_match
from .glossary import _patterns, _skip

ATTRS = ("data-index", "data-index-see", "data-index-also", "data-sort-as")


def run(model: BookModel, report: Report) -> None:
    marks: list[Mark] = []
    xrefs: list[tuple[Xref, str, int | None]] = []
    counter = 0
    if _glossary_marks(model):
        _mark_glossary_uses(model)
    for section in model.sections:
        repeated = {id(qa.question) for qa in section.questions}  # the answer key shows them again
        for fragment in section.fragments():
            for el in list(fragment.root.iter()):
                if not isinstance(el.tag, str):
                    continue
                written = {name: el.attrib.pop(name) for name in ATTRS if name in el.attrib}
                if not written and not has_class(el, "index"):
                    continue
                line_text = el.attrib.pop("data-line", "")
                line = int(line_text) if line_text.isdigit() else None
                path = section.path
                if id(fragment) in repeated:
                    report.warning(
                        "an index mark in a review question is not indexed: the answer key repeats "
                        "the question (mark the place in the chapter's text instead)",
                        path,
                        line,
                    )
                    continue
                term = _term(el, written.get("data-index"))
                if not term or any(not part for part in term):
                    name = "index" if "data-index" in written else ".index"
                    report.error(
                        f"an index mark needs a term: {name} "
                        + ("is empty" if name == "index" else "is on an element without text")
                        + ' (write [text]{.index} or index="Term")',
                        path,
                        line,
                    )
                    continue
                sort = tuple(s.strip() for s in written.get("data-sort-as", "").split("!"))
                for kind, name in (("see", "data-index-see"), ("also", "data-index-also")):
                    if name in written:
                        to = tuple(p.strip() for p in written[name].split("!"))
                        if not all(to):
                            report.error(f"{name[5:]}= is empty: name the term to refer to", path, line)
                            continue
                        xrefs.append((Xref(term, kind, to), path, line))
                if "data-index-see" in written:
                    continue  # "see": the term's pages are the other term's
                target = _target(el)
                if not target:
                    counter += 1
                    target = f"ix-{counter}"
                    el.set("id", target)
                if target not in model.targets:
                    model.targets[target] = Target(target, section.id, Kind.OTHER, "")
                marks.append(Mark(term, target, sort if any(sort) else ()))
    if not marks and not xrefs:
        return
    indexed = {m.path[:n] for m in marks for n in range(1, len(m.path) + 1)}
    for xref, path, line in xrefs:
        if xref.to not in indexed:
            name = "!".join(xref.to)
            hint = did_you_mean(name, ["!".join(p) for p in sorted(indexed)])
            report.error(f'index-{xref.kind}="{name}" names no indexed term{hint}', path, line)
    model.index = IndexData(build(marks, [x for x, _, _ in xrefs], model.strings.language), marks)
    model.sections.append(
        Section(
            id=INDEX_ID, role=Role.INDEX, title=model.strings("index"), number=None, label="", source=None
        )
    )
    model.targets[INDEX_ID] = Target(INDEX_ID, INDEX_ID, Kind.CHAPTER, model.strings("index"))


def _term(el: etree._Element, written: str | None) -> tuple[str, ...]:
    if written is not None:
        return tuple(part.strip() for part in written.split("!"))
    if local(el) == "img":
        return (" ".join((el.get("alt") or "").split()),)
    return (text_content(el),)


def _target(el: etree._Element) -> str | None:
    """What a locator links to: the element's id, or its figure's."""
    if local(el) == "img":
        parent = el.getparent()
        if parent is not None and local(parent) == "figure" and parent.get("id"):
            return parent.get("id")
    return el.get("id")


def _glossary_marks(model: BookModel) -> bool:
    index = getattr(model.config, "index", None)
    return bool(index and index.glossary and model.glossary is not None)


def _mark_glossary_uses(model: BookModel) -> None:
    """Every use of a glossary term in the running text becomes a mark filed under the term
    (the first use, which the glossary pass made a link, included)."""
    glossary = model.glossary
    assert glossary is not None
    patterns = _patterns(glossary.terms)
    by_id = {term.id: term for term in glossary.terms}

    def skip(el: etree._Element) -> bool:
        return _skip(el) or has_class(el, "index-use")

    for section in model.sections:
        if section.body is None or section.role is Role.GLOSSARY:
            continue
        for fragment in section.flow():
            for link in fragment.root.iter(q("a")):
                term = by_id.get(link.get("href", "")[1:]) if has_class(link, "glossref") else None
                if term is not None:
                    link.set("data-index", term.term)
            for owner, where in text_segments(fragment.root, skip):
                text = getattr(owner, where) or ""
                found = [(m.start(), m.end(), t) for p, t in patterns if (m := p.search(text))]
                if found:
                    start, end, term = min(found, key=lambda f: f[0])
                    span = etree.Element(q("span"), {"class": "index-use", "data-index": term.term})
                    wrap_match(owner, where, start, end, span)
