"""Write a large, realistic msl-book project for the benchmarks.

    python bench/generate.py OUT_DIR --pages 300 [--seed 1]

The book has a preface, chapters of about PAGES_PER_CHAPTER pages and a glossary. Chapters use
everything the real chapters use: front matter with objectives, takeaways and questions,
``##``/``###`` headings with ``{#id}`` lines, bullet and numbered lists, definition lists, GFM
tables with ``Table:`` captions, footnotes, figures (small SVGs written here), callouts and
cross-references. The prose is seeded random text from fixed word lists, so the same arguments
always give byte-identical files. It builds with ``msl-book build --strict``.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

# Calibrated against the default theme (A4) with recto openers: 300 -> 292 PDF pages, 1000 -> 960
# (with the default openers: any, 300 -> 280). Every
# word counts: prose, lists, tables, captions, callouts and footnotes (front matter does not).
WORDS_PER_PAGE = 285
PAGES_PER_CHAPTER = 12
FIGURE_FILES = 12

SUBJECTS = [
    "The field team",
    "A new MSL",
    "An experienced MSL",
    "Each clinician",
    "The medical director",
    "The lead investigator",
    "The regional lead",
    "The study sponsor",
    "Every trainee",
    "The advisory board",
    "A hospital pharmacist",
    "The Medical Affairs team",
    "A thought leader",
    "The clinical development group",
    "A specialist",
    "A research nurse",
]
VERBS = [  # (third person, base form)
    ("reviews", "review"),
    ("questions", "question"),
    ("summarizes", "summarize"),
    ("compares", "compare"),
    ("explains", "explain"),
    ("documents", "document"),
    ("interprets", "interpret"),
    ("shares", "share"),
    ("prioritizes", "prioritize"),
    ("revisits", "revisit"),
    ("challenges", "challenge"),
    ("presents", "present"),
    ("discusses", "discuss"),
    ("appraises", "appraise"),
]
OBJECTS = [
    "the latest clinical trial results",
    "the safety profile of the therapy",
    "real-world evidence from patient registries",
    "the primary endpoint",
    "a subgroup analysis",
    "the current treatment guideline",
    "published case reports",
    "the study protocol",
    "biomarker data from the phase 2 program",
    "the dosing schedule",
    "questions about eligibility criteria",
    "the competitive landscape",
    "field insights from recent meetings",
    "the limitations of an observational study",
    "the mechanism of action",
    "adverse event reports",
    "the statistical analysis plan",
    "a medical information request",
    "the evidence behind a new indication",
    "feedback from the advisory board",
]
TAILS = [
    "before the next congress",
    "with the wider medical team",
    "in plain, careful language",
    "within the approved label",
    "over several visits",
    "when a question comes up",
    "as new data emerge",
    "in line with company procedures",
    "for a busy hospital department",
    "at the start of each quarter",
    "without promotional claims",
    "during scientific exchange",
    "in the territory plan",
    "after every investigator meeting",
]
OPENERS = [
    "In practice,",
    "For this reason,",
    "Over time,",
    "At the same time,",
    "In most territories,",
    "Even so,",
    "As a rule,",
    "In the first year,",
    "Sooner or later,",
    "Where the evidence is thin,",
]
REASONS = [
    "the evidence changes quickly",
    "clinicians value balanced information",
    "trust is earned over many conversations",
    "every answer must stay within the rules",
    "a single insight can change a study design",
    "specialists notice when the data are oversold",
    "the same question often hides a deeper need",
    "compliance teams review every shared document",
]
HEAD_VERBS = [
    "Preparing for",
    "Understanding",
    "Reviewing",
    "Communicating",
    "Documenting",
    "Planning",
    "Evaluating",
    "Supporting",
    "Balancing",
    "Learning from",
]
HEAD_NOUNS = [
    "scientific exchange",
    "investigator meetings",
    "congress coverage",
    "field insights",
    "territory plans",
    "advisory boards",
    "medical information requests",
    "real-world evidence",
    "safety questions",
    "publication plans",
    "internal training",
    "cross-functional work",
    "research collaborations",
    "difficult conversations",
]
TOPICS = [
    "Scientific Exchange",
    "Evidence Generation",
    "Field Insights",
    "Medical Education",
    "Clinical Research",
    "Stakeholder Mapping",
    "Compliance",
    "Data Interpretation",
    "Congress Planning",
    "Territory Management",
    "Health Economics",
    "Digital Engagement",
    "Patient Advocacy",
    "Launch Readiness",
]
CALLOUT_KINDS = ["note", "tip", "important", "warning", "caution", "compliance"]
TERMS = [  # (term, id, abbr, forms that occur in the prose)
    ("Clinical trial", "clinical-trial", None, ["clinical trial"]),
    ("Primary endpoint", "primary-endpoint", None, ["primary endpoint"]),
    ("Subgroup analysis", "subgroup-analysis", None, ["subgroup analysis"]),
    ("Real-world evidence", "real-world-evidence", "RWE", ["real-world evidence", "RWE"]),
    ("Biomarker", "biomarker", None, ["biomarker"]),
    ("Advisory board", "advisory-board", None, ["advisory board"]),
    ("Adverse event", "adverse-event", "AE", ["adverse event", "AE"]),
    ("Mechanism of action", "mechanism-of-action", "MoA", ["mechanism of action"]),
    ("Scientific exchange", "scientific-exchange", None, ["scientific exchange"]),
    ("Competitive landscape", "competitive-landscape", None, ["competitive landscape"]),
    ("Statistical analysis plan", "statistical-analysis-plan", "SAP", ["statistical analysis plan"]),
    ("Medical information", "medical-information", None, ["medical information"]),
]
TABLES = [  # (header, column phrase lists)
    (
        ["Stage", "What happens", "MSL focus"],
        [
            ["Planning", "Preparation", "Follow-up", "Review", "Launch", "Closeout"],
            ["objectives are agreed", "data are collected", "results are shared", "questions are logged"],
            ["listen first", "check the label", "record insights", "involve compliance"],
        ],
    ),
    (
        ["Evidence type", "Strength", "Typical use"],
        [
            ["Randomized trial", "Registry", "Case series", "Meta-analysis", "Cohort study"],
            ["high", "moderate", "low", "varies with design"],
            ["label discussions", "safety questions", "guideline updates", "education"],
        ],
    ),
    (
        ["Stakeholder", "Main interest", "Useful format"],
        [
            ["Oncologist", "Pharmacist", "Research nurse", "Payer", "Patient group"],
            ["efficacy", "practical use", "access", "long-term safety"],
            ["one-to-one meeting", "slide review", "written summary", "journal club"],
        ],
    ),
]


def _lc(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym ('MSL')."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class Chapter:
    number: int
    ident: str
    title: str
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    words: int = 0


class Writer:
    """Seeded prose; every id a link points at is defined somewhere in the book."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.sections: list[tuple[str, str]] = []  # (id, heading) of every ## so far
        self.floats: list[str] = []  # ids of figures and tables so far

    # -- sentences and paragraphs ---------------------------------------------------------

    def sentence(self) -> str:
        r = self.rng
        subj, (verb, base), obj, tail = (
            r.choice(SUBJECTS),
            r.choice(VERBS),
            r.choice(OBJECTS),
            r.choice(TAILS),
        )
        if r.random() < 0.06:
            obj = f"*{obj}*"
        elif r.random() < 0.04:
            obj = f"**{obj}**"
        form = r.randrange(5)
        if form == 0:
            text = f"{subj} {verb} {obj} {tail}"
        elif form == 1:
            text = f"{r.choice(OPENERS)} {_lc(subj)} {verb} {obj}"
        elif form == 2:
            other, (verb2, _) = r.choice(SUBJECTS), r.choice(VERBS)
            text = f"When {_lc(subj)} {verb} {obj}, {_lc(other)} {verb2} {r.choice(OBJECTS)} {tail}"
        elif form == 3:
            text = f"It helps to {base} {obj} {tail}, because {r.choice(REASONS)}"
        else:
            text = f"{subj} {verb} {obj}; {r.choice(REASONS)}"
        return _cap(text) + "."

    def paragraph(self, ch: Chapter, sentences: tuple[int, int] = (3, 7)) -> str:
        r = self.rng
        parts = [self.sentence() for _ in range(r.randint(*sentences))]
        if r.random() < 0.18:
            n = len(ch.notes) + 1
            parts[r.randrange(len(parts))] += f"[^{n}]"
            ch.notes.append(f"[^{n}]: {self.sentence()} {self.sentence()}")
        if r.random() < 0.15 and self.sections:
            ident, heading = r.choice(self.sections)
            parts.append(f"This builds on [{_lc(heading)}](#{ident}).")
        if r.random() < 0.08 and self.floats:
            parts.append(f"See [](#{r.choice(self.floats)}) for a summary.")
        return " ".join(parts)

    # -- blocks -----------------------------------------------------------------------------

    def bullets(self) -> list[str]:
        items = []
        for _ in range(self.rng.randint(3, 6)):
            lead = _cap(self.rng.choice(HEAD_NOUNS))
            items.append(f"- **{lead}.** {self.sentence()}")
        return items

    def numbered(self) -> list[str]:
        return [f"{i}. {self.sentence()}" for i in range(1, self.rng.randint(3, 5) + 1)]

    def definitions(self) -> list[str]:
        lines: list[str] = []
        for noun in self.rng.sample(HEAD_NOUNS, 3):
            lines += [_cap(noun), f": {self.sentence()} {self.sentence()}", ""]
        return lines[:-1]

    def table(self, ch: Chapter) -> list[str]:
        header, columns = self.rng.choice(TABLES)
        ident = f"tbl-{ch.ident}-{sum(f.startswith(f'tbl-{ch.ident}-') for f in self.floats) + 1}"
        self.floats.append(ident)
        rows = [
            "| " + " | ".join(_cap(self.rng.choice(col)) for col in columns) + " |"
            for _ in range(self.rng.randint(4, 8))
        ]
        caption = f"Table: {_cap(self.rng.choice(HEAD_NOUNS))} and {self.rng.choice(OBJECTS)}"
        return [f"{{#{ident}}}", "| " + " | ".join(header) + " |", "|---|---|---|", *rows, "", caption]

    def figure(self, ch: Chapter) -> list[str]:
        n = self.rng.randint(1, FIGURE_FILES)
        ident = f"fig-{ch.ident}-{sum(f.startswith(f'fig-{ch.ident}-') for f in self.floats) + 1}"
        self.floats.append(ident)
        alt = f"Diagram {n}: {_figure_kind(n)} summarizing {self.rng.choice(HEAD_NOUNS)}"
        caption = f"{_cap(self.rng.choice(HEAD_NOUNS))} across a typical year"
        return [f"{{#{ident}}}", f'![{alt}](../images/fig{n:02d}.svg "{caption}")']

    def callout(self, ch: Chapter) -> list[str]:
        kind = self.rng.choice(CALLOUT_KINDS)
        title = f"{self.rng.choice(HEAD_VERBS)} {self.rng.choice(HEAD_NOUNS)}"
        return [f"::: {kind} {title}", self.paragraph(ch, (2, 4)), ":::"]

    # -- chapters ---------------------------------------------------------------------------

    def add(self, ch: Chapter, *lines: str) -> None:
        ch.lines += [*lines, ""]
        ch.words += sum(len(line.split()) for line in lines)

    def chapter(self, number: int, words: int) -> Chapter:
        r = self.rng
        title = f"{r.choice(TOPICS)} and {_cap(r.choice(HEAD_NOUNS))}"
        ch = Chapter(number, f"ch{number:03d}", title)
        self.add(ch, self.paragraph(ch))
        self.add(ch, self.paragraph(ch))
        blocks = [self.bullets, self.figure, self.numbered, self.table, self.callout, self.definitions]
        section = 0
        while ch.words < words:
            section += 1
            ident, heading = f"{ch.ident}-s{section}", f"{r.choice(HEAD_VERBS)} {r.choice(HEAD_NOUNS)}"
            self.add(ch, f"{{#{ident}}}", f"## {heading}")
            for _ in range(r.randint(2, 4)):
                self.add(ch, self.paragraph(ch))
            block = blocks[(section + number) % len(blocks)]
            self.add(ch, *(block(ch) if block in (self.figure, self.table, self.callout) else block()))
            if r.random() < 0.5:
                self.add(ch, f"### {r.choice(HEAD_VERBS)} {r.choice(OBJECTS)}")
                self.add(ch, self.paragraph(ch))
                self.add(ch, self.paragraph(ch))
            self.sections.append((ident, heading))
        for note in ch.notes:
            self.add(ch, note)
        return ch

    def front_matter(self, ch: Chapter) -> dict[str, object]:
        r = self.rng
        return {
            "title": ch.title,
            "id": ch.ident,
            "role": "chapter",
            "objectives": [
                f"{_cap(base)} {r.choice(OBJECTS)} {r.choice(TAILS)}"
                for _, base in r.sample(VERBS, r.randint(3, 4))
            ],
            "takeaways": [self.sentence() for _ in range(r.randint(3, 5))],
            "questions": [
                {
                    "question": f"Why does {_lc(r.choice(SUBJECTS))} {base} {r.choice(OBJECTS)}?",
                    "answer": f"{self.sentence()} {self.sentence()}",
                }
                for _, base in r.sample(VERBS, r.randint(2, 3))
            ],
        }


def _figure_kind(n: int) -> str:
    return ("a bar chart", "a process flow", "a cycle")[n % 3]


def figure_svg(n: int, rng: random.Random) -> str:
    """A small hand-drawn SVG: a bar chart, a process flow or a cycle, with title and desc."""
    kind = _figure_kind(n)
    body: list[str] = []
    if kind == "a bar chart":
        values = [rng.randint(20, 100) for _ in range(6)]
        for i, v in enumerate(values):
            x = 60 + i * 95
            body.append(f'<rect x="{x}" y="{260 - 2 * v}" width="60" height="{2 * v}" fill="#0f5e6b"/>')
            body.append(f'<text x="{x + 30}" y="285" text-anchor="middle" font-size="14">Q{i + 1}</text>')
        body.append('<line x1="40" y1="260" x2="640" y2="260" stroke="#33414e" stroke-width="2"/>')
    elif kind == "a process flow":
        for i, word in enumerate(["Plan", "Meet", "Listen", "Record", "Share"]):
            x = 20 + i * 130
            body.append(
                f'<rect x="{x}" y="120" width="100" height="60" rx="10" fill="#e6f2f3" stroke="#0f5e6b"/>'
            )
            body.append(f'<text x="{x + 50}" y="156" text-anchor="middle" font-size="15">{word}</text>')
            if i:
                body.append(f'<path d="M{x - 28},150 L{x - 4},150" stroke="#c7841a" stroke-width="3"/>')
    else:
        for i, word in enumerate(["Evidence", "Exchange", "Insight", "Strategy"]):
            cx, cy = (340, 480, 340, 200)[i], (60, 160, 260, 160)[i]
            body.append(f'<circle cx="{cx}" cy="{cy}" r="48" fill="#0f5e6b"/>')
            label = f'<text x="{cx}" y="{cy + 5}" text-anchor="middle" font-size="14" fill="#ffffff">'
            body.append(f"{label}{word}</text>")
    title = f"Figure source {n}: {kind}"
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 680 320" width="680" height="320"'
            f' role="img" aria-labelledby="t{n} d{n}">',
            f'  <title id="t{n}">{title}</title>',
            f'  <desc id="d{n}">A simple {kind[2:]} drawn for the benchmark book.</desc>',
            '  <rect x="0" y="0" width="680" height="320" fill="#ffffff"/>',
            '  <g font-family="Inter" fill="#33414e">',
            *(f"    {line}" for line in body),
            "  </g>",
            "</svg>",
            "",
        ]
    )


def _dump(data: object) -> str:
    """Block-style YAML in the keys' own order (ruamel.yaml, msl-book's YAML library)."""
    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = False
    dumper.allow_unicode = True
    dumper.width = 1000
    dumper.sort_base_mapping_type_on_output = False
    out = io.StringIO()
    dumper.dump(data, out)
    return out.getvalue()


def _chapter_file(meta: dict[str, object], lines: list[str]) -> str:
    front = _dump(meta)
    return f"---\n{front}---\n" + "\n".join(lines).rstrip() + "\n"


def generate(out: Path, pages: int, seed: int = 1) -> Path:
    """Write the project into ``out`` (replacing it) and return ``out``."""
    if out.exists():
        shutil.rmtree(out)
    (out / "chapters").mkdir(parents=True)
    (out / "images").mkdir()
    writer = Writer(seed)
    for n in range(1, FIGURE_FILES + 1):
        (out / "images" / f"fig{n:02d}.svg").write_text(figure_svg(n, writer.rng), "utf-8")

    count = max(2, round(pages / PAGES_PER_CHAPTER))
    words = pages * WORDS_PER_PAGE // count
    files = ["chapters/000-preface.md"]
    preface = Chapter(0, "preface", "Preface")
    for _ in range(3):
        writer.add(preface, writer.paragraph(preface))
    preface.lines += [*preface.notes, ""]
    (out / files[0]).write_text(
        _chapter_file({"title": "Preface", "role": "preface"}, preface.lines), "utf-8"
    )
    for number in range(1, count + 1):
        ch = writer.chapter(number, words)
        name = f"chapters/{number:03d}-{ch.ident}.md"
        (out / name).write_text(_chapter_file(writer.front_matter(ch), ch.lines), "utf-8")
        files.append(name)

    terms = [
        {
            "term": term,
            "id": ident,
            **({"abbr": abbr} if abbr else {}),
            "match": forms,
            "definition": f"{writer.sentence()} {writer.sentence()}",
        }
        for term, ident, abbr, forms in TERMS
    ]
    files.append("chapters/900-glossary.md")
    glossary = {"title": "Glossary", "role": "glossary", "terms": terms}
    (out / files[-1]).write_text(_chapter_file(glossary, ["Terms used throughout this book."]), "utf-8")

    config = {
        "title": f"The Benchmark Handbook ({pages} pages)",
        "subtitle": "Generated prose for timing msl-book",
        "authors": [{"name": "Benchmark Team"}],
        "language": "en",
        "publisher": "msl-book benchmarks",
        "date": "2026-01-01",
        "version": "1.0",
        "document_code": f"BENCH-{pages}",
        "page_size": "A4",
        "output": "bench-book",
        "chapters": files,
    }
    (out / "book.yaml").write_text(_dump(config), "utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="project directory to write (replaced if it exists)")
    parser.add_argument("--pages", type=int, default=300, help="approximate number of A4 pages")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.pages, args.seed)
    print(args.out)


if __name__ == "__main__":
    main()
