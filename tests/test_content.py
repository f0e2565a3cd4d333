"""The handbook's content: every fact of the source article in the chapter for its section,
in our own words (no 8-word run of the article), structured for learning."""

from __future__ import annotations

import hashlib
import re
import zipfile

import pytest
from lxml import etree

from msl_book.errors import Report
from msl_book.loader import load_book

from conftest import ROOT

SHINGLES = ROOT / "tests" / "data" / "source-8word-shingles.txt"


def _words(text: str) -> list[str]:
    text = text.replace("\u2019", "'").lower()
    text = re.sub(r"[^a-z0-9']+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


@pytest.fixture(scope="module")
def book():
    return load_book(ROOT, Report())


@pytest.fixture(scope="module")
def chapters(book):
    """Chapter id -> everything the reader sees of it, as plain lower-case text."""
    out = {}
    for ch in book.chapters:
        meta = ch.meta
        parts = [ch.body, *meta.objectives, *meta.takeaways]
        parts += [f"{q.question} {q.answer}" for q in meta.questions]
        parts += [f"{t.term} {t.definition}" for t in meta.terms]
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", "\n".join(parts))  # link text only
        out[ch.id] = " ".join(_words(text))
    return out


def test_no_run_of_eight_words_is_copied_from_the_source_article(book):
    hashes = {line for line in SHINGLES.read_text().split() if not line.startswith("#")}
    hashes = {h for h in hashes if re.fullmatch(r"[0-9a-f]{16}", h)}
    assert len(hashes) > 800
    copied = []
    for path in [ROOT / "book.yaml", *(ch.file for ch in book.chapters)]:
        text = re.sub(r"\{#[^}]*\}|\]\([^)]*\)", " ", path.read_text(encoding="utf-8"))
        words = _words(text)
        for i in range(len(words) - 7):
            run = " ".join(words[i : i + 8])
            if hashlib.sha256(run.encode()).hexdigest()[:16] in hashes:
                copied.append(f"{path.name}: {run}")
    assert copied == []


# Each fact of the article, as the words that must appear (all of them; "|" = either form)
# in the chapter for the article's section.
FACTS = {
    "introduction": [
        "changing|ever-evolving|never stands still",
        "innovative therapies|innovative",
        "link between|bridge",
        "pharmaceutical|biotechnology",
        "healthcare community",
        "complex scientific information|complex science",
        "scientific expertise|scientific knowledge",
        "interpersonal",
        "healthcare professionals|clinicians",
        "researchers",
        "thought leaders",
        "clinical insights",
        "collaborative relationships",
        "direction of new treatments|how new treatments develop",
        "patient outcomes|outcomes for patients",
        "medical affairs",
    ],
    "msl-role": [
        "pharmaceutical and biotechnology",
        "medical community",
        "ongoing research",
        "scientific support",
        "newest developments|latest developments",
        "scientific background",
        "communication and interpersonal skills",
        "scientific resource",
        "internal teams",
        "external stakeholders",
        "clinical trials|clinical research",
        "field insights",
        "product development",
        "marketing strategy",
        "educating|education",
        "accurate",
        "regulatory",
        "therapeutic area",
        "key opinion leaders",
        "continuous learning|continuous education",
        "collaborative",
        "patients do better|patient outcomes",
    ],
    "responsibilities-skills": [
        "presentations",
        "scientific meetings",
        "one-on-one",
        "key opinion leaders",
        "analytical",
        "clinical studies|clinical study",
        "competitive landscape",
        "new research",
        "therapeutic areas",
        "strategic decision",
        "up to date|up-to-date",
        "critical thinking",
        "project management",
        "organization",
        "time management|manage time|managing time",
        "prioritiz",
        "collaborat",
        "scientific knowledge",
    ],
    "professional-development": [
        "pharmd",
        "phd",
        "md",
        "continuous learning|continuing education",
        "staying current|keeping current|up to date",
        "training",
        "professional development",
        "certification",
    ],
    "career-path": [
        "life science",
        "pharmd",
        "phd",
        "md",
        "clinical research",
        "pharmaceutical",
        "medical affairs",
        "mentor",
        "cross-functional",
        "senior",
        "manag",
    ],
    "industry-trends": [
        "demand",
        "complex",
        "specialized",
        "therapeutic area",
        "invest",
        "research with clinical application|research and clinical",
        "personalized medicine",
        "targeted therapies",
        "biotechnology",
        "diagnostics",
        "digital health",
        "strategic",
        "business acumen",
        "ongoing training|training",
        "professional development",
    ],
}


@pytest.mark.parametrize("chapter_id", list(FACTS))
def test_every_fact_of_the_article_is_in_its_chapter(chapters, chapter_id):
    text = chapters[chapter_id]
    missing = [
        fact for fact in FACTS[chapter_id] if not any(" ".join(_words(f)) in text for f in fact.split("|"))
    ]
    assert missing == []


def test_chapters_follow_the_articles_order(book):
    ids = [ch.id for ch in book.chapters if ch.role == "chapter"]
    assert ids == list(FACTS)


def test_every_chapter_is_built_for_learning(book):
    for ch in book.chapters:
        if ch.role != "chapter":
            continue
        assert len(ch.meta.objectives) >= 3, ch.path
        assert len(ch.meta.takeaways) >= 3, ch.path
        assert len(ch.meta.questions) >= 3, ch.path


def test_glossary_defines_the_terms_a_trainee_meets(book):
    glossary = next(ch for ch in book.chapters if ch.role == "glossary")
    terms = {t.abbr or t.term for t in glossary.meta.terms} | {t.term for t in glossary.meta.terms}
    for needed in ("MSL", "KOL", "HCP", "Medical Affairs", "Therapeutic area", "PharmD", "PhD", "MD"):
        assert any(needed.lower() == t.lower() for t in terms), needed


def test_the_epub_shows_the_learning_apparatus(handbook):
    with zipfile.ZipFile(handbook.epub) as z:
        docs = {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}
    intro = docs["EPUB/text/introduction.xhtml"]
    classes = {c for el in intro.iter() for c in (el.get("class") or "").split()}
    assert {"objectives", "takeaways", "questions", "callout", "glossref"} <= classes
    everything = " ".join(" ".join(el.get("class", "") for el in d.iter()) for d in docs.values())
    assert "callout-compliance" in everything and "figure" in everything
    assert "<table" in z_text(handbook.epub, "EPUB/text/responsibilities-skills.xhtml")
    answers = docs["EPUB/text/answers.xhtml"]
    back_links = [a.get("href") for a in answers.iter("{http://www.w3.org/1999/xhtml}a")]
    assert "introduction.xhtml#q-introduction-1" in back_links


def z_text(path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")
