"""Pass: render each chapter's tokens into content trees; collect headings, review questions,
glossary terms and footnotes as data.

A chapter's notes leave its body here: the body keeps the calls (``a.noteref``), the notes
become ``Note`` records, and each renderer decides where they go (the foot of the page in
print, the end of the chapter in the EPUB).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from lxml import etree

from ..document import ANSWERS_ID, QA, BookModel, Fragment, GlossaryTerm, Heading, Kind, Note, Section, Target
from ..errors import Report
from ..markdown import ParsedText, shared_markdown
from ..xhtml import element, has_class, local, parse_fragment, q, text_content
from .ids import term_id


def run(model: BookModel, report: Report) -> None:
    for section in model.authored:
        build(model, section, report)


def build(model: BookModel, section: Section, report: Report) -> None:
    src = section.source
    ch = src.chapter
    md = shared_markdown()

    def frag(parsed: ParsedText) -> Fragment:
        html = md.render(parsed, ch.id, model.strings)
        try:
            root = parse_fragment(html)
            _caption_markup(root)
            return Fragment(root, ch.id)
        except etree.XMLSyntaxError as exc:
            # raw HTML that does not nest: reported at its line by the scan, when it could be
            if not any(d.path == ch.path for d in report.errors):
                report.error(f"raw HTML does not nest: {exc.msg}", ch.path)
            return Fragment(parse_fragment(f"<pre>{escape(html)}</pre>"), ch.id)

    section.body = frag(src.body)
    _demote_h1(section.body.root)
    section.body.notes = _take_notes(section.body)
    section.headings = [
        Heading(int(local(h)[1]), h.get("id", ""), text_content(h))
        for h in section.body.root.iter(q("h2"), q("h3"))
    ]
    section.objectives = [frag(p) for p in src.objectives]
    section.takeaways = [frag(p) for p in src.takeaways]
    for i, (question, answer) in enumerate(src.questions, start=1):
        qid, aid = f"q-{ch.id}-{i}", f"ans-{ch.id}-{i}"
        label = model.strings("question-label", number=f"{section.number}.{i}" if section.number else i)
        model.targets[qid] = Target(qid, ch.id, Kind.QUESTION, label)
        model.targets[aid] = Target(aid, ANSWERS_ID, Kind.ANSWER, model.strings("answer-label", number=i))
        section.questions.append(QA(i, qid, aid, frag(question), frag(answer)))
    for term, definition in zip(ch.meta.terms, src.definitions, strict=True):
        forms = term.match or [term.term, *([term.abbr] if term.abbr else [])]
        section.terms.append(
            GlossaryTerm(term_id(term.term, term.id), term.term, term.abbr, frag(definition), forms)
        )


def _demote_h1(root: etree._Element) -> None:
    """The chapter title is the only h1 (markdown/checks.py warns about the others)."""
    for h in root.iter(q("h1")):
        h.tag = q("h2")


def _take_notes(body: Fragment) -> list[Note]:
    """Move the notes (markdown-it's end-of-chapter list) out of the body into records."""
    notes: list[Note] = []
    for block in [el for el in body.root.iter(q("div")) if has_class(el, "footnotes")]:
        for aside in block.iter(q("aside")):
            if not has_class(aside, "footnote"):
                continue
            note_id = aside.get("id", "")
            content = element("div")
            content.text = aside.text
            for child in list(aside):
                content.append(child)
            ref_id = "fnref-" + note_id.removeprefix("fn-")
            notes.append(
                Note(note_id, ref_id, int(note_id.rsplit("-", 1)[-1]), Fragment(content, body.chapter))
            )
        block.getparent().remove(block)
    return notes


CAPTION_MARKUP = "caption-markup"


def _caption_markup(root: etree._Element) -> None:
    """An image's description with markup (``![See [](#tbl-x).](x.svg)``) becomes elements
    inside the image, so that the passes after this one check and fill its links and
    citations; the floats pass makes it the figure's caption (or drops it)."""
    for img in root.iter(q("img")):
        rich = img.attrib.pop("data-caption-html", None)
        if rich is None:
            continue
        holder = parse_fragment(rich)
        holder.tag = q("span")
        holder.attrib.clear()
        holder.set("class", CAPTION_MARKUP)
        img.append(holder)
