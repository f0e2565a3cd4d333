"""The PDF's spaced capital labels and box titles, as readers and extractors meet them.

Labels (box titles, callout labels, chapter labels, running heads, the cover's kicker) are
letter-spaced capitals: they must extract as their words with poppler's pdftotext (which
honours /ActualText), pdfminer.six (which measures the gaps) and pypdf. A box's or a
callout's title is never the last line of a page.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LTTextContainer, LTTextLine

from msl_book.build import BuildOptions, build

from conftest import make_book

LABELS = [
    "MEDICAL AFFAIRS TRAINING",  # the cover's kicker
    "CHAPTER 1",
    "LEARNING OBJECTIVES",
    "KEY TAKEAWAYS",
    "REVIEW QUESTIONS",
    "THE MEDICAL SCIENCE LIAISON HANDBOOK",  # running heads
    "THE MSL ROLE AT A GLANCE",
    "COMPLIANCE Scientific exchange is not promotion",  # a callout's label and title
]


def _lines(text: str) -> set[str]:
    return {" ".join(line.split()) for line in text.splitlines() if line.strip()}


def _pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; .ci/run installs it")
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("extractor", ["pdftotext", "pdfminer", "pypdf"])
def test_spaced_labels_extract_as_their_words(handbook, extractor: str):
    if extractor == "pdftotext":
        text = _pdftotext(handbook.pdf)
    elif extractor == "pdfminer":
        text = extract_text(handbook.pdf)
    else:
        text = "\n".join(handbook.page_texts)
    lines = _lines(text)
    assert [label for label in LABELS if label not in lines] == []
    for broken in ("L EAR NING", "OBJECT IVES", "K EY", "TAKEAWAY S", "GL ANCE", "M E D I C A L"):
        assert broken not in text, (extractor, broken)


BOX = "\n\n".join(f"Paragraph {i} of a box, with enough words to fill most of a line." for i in range(3))


def _chapter(n: int) -> str:
    """n lines of filler, a callout, and a box with a title (a fenced div)."""
    filler = "\n\n".join(f"Filler line {i}." for i in range(n))
    return (
        f"---\ntitle: Boxes after {n} lines\n---\n{filler}\n\n"
        f'::: {{.callout-warning title="Callout title {n}"}}\n{BOX}\n:::\n\n'
        f'::: {{.exercise title="Exercise title {n}"}}\n{BOX}\n:::\n\nAfter.\n'
    )


FILLERS = range(40, 58)


def test_a_box_title_is_never_the_last_line_of_a_page(tmp_path: Path):
    """Boxes after 40 to 57 lines of filler (a chapter each), so that some of them start at a
    page's foot (with the theme's earlier rules, the exercise title after 49 lines was left
    there alone): the last line of every page (above the folio) is never a box's title."""
    chapters = {f"chapters/{n:02d}-boxes-{n}.md": _chapter(n) for n in FILLERS}
    config = "title: Boxes\nauthors: [Test Author]\nlanguage: en\nchapters:\n"
    config += "".join(f"  - {path}\n" for path in chapters)
    project = make_book(tmp_path, {**chapters, "book.yaml": config})
    result = build(project, BuildOptions(output=project / "out", formats=("pdf",)))
    last_lines = []
    for page in extract_pages(result.outputs[0].path):
        lines = [
            line
            for box in page
            if isinstance(box, LTTextContainer)
            for line in box
            if isinstance(line, LTTextLine) and line.y0 > 80  # above the folio (26 mm margin)
        ]
        if lines:
            last_lines.append(" ".join(min(lines, key=lambda line: line.y0).get_text().split()))
    titles = [line for line in _lines(extract_text(result.outputs[0].path)) if " title " in line]
    assert len(titles) == 2 * len(FILLERS)
    assert [line for line in last_lines if " title " in line] == []
