"""What an edit costs: msl-book's rebuild after a one-paragraph edit, beside pandoc -> Typst.

    python bench/edit.py [--pages 300] [--json PATH] [--keep DIR]

Issue 17's figures, measured in one run on the benchmark book (bench/generate.py):

  cold       msl-book build of a fresh copy (no cache): PDF + EPUB
  edit       the same project and output after a one-paragraph edit mid-book that keeps the
             chapter's page count (a few words changed)
  edit+page  after an edit that adds pages mid-book (every later folio moves): 900 words, two
             pages of prose, so that the chapter grows whatever its last page held; the
             PDF's page count is checked to have grown
  watch      the same one-paragraph edit, rebuilt in a live process (what build --watch and
             serve's paged view do: imports and fingerprints already made, the joined PDF
             kept, and between saves the next build's copies of the chapters' tokens
             unpickled, untimed, as --watch does while it waits); the median of three edits
  watch+page the page-adding edit in that live process
  typst      pandoc -> Typst of the same chapters: pandoc, then typst compile, cold, in a
             fresh process
  typst-inc  Typst's incremental compile in a live process (typst.Compiler) after the same
             one-paragraph edit in the Typst source

Every msl-book step is a fresh process (wall seconds); targets from issue 17: edit <= 1.5 s
and edit+page <= 4 s at 300 pages, edit <= 3 s at 1,000 pages. The Typst side uses pandoc's
Typst writer on the pandoc Markdown bench/run.py makes (pypandoc-binary) and PyPI ``typst``
(bench/requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from generate import generate  # noqa: E402
from run import MSL_BOOK, pandoc_markdown, pdf_pages  # noqa: E402

# issue 17: a one-paragraph edit <= 1.5 s at 300 pages and <= 3 s at 1,000; a page added
# <= 4 s at 300 pages (no target at 1,000)
TARGETS = {
    300: {"edit": 1.5, "edit+page": 4.0, "watch": 1.5, "watch+page": 4.0},
    1000: {"edit": 3.0, "watch": 3.0},
}

LIVE = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from edit import edit_paragraph
from msl_book.build import BuildOptions, build, make_ahead
project, out = Path(sys.argv[1]), Path(sys.argv[2])
edit_paragraph(Path(sys.argv[4]), swap=(2, 6))
build(project, BuildOptions(output=out))  # a rebuild first, as --watch has done one
times = []
for swap in ((4, 8), (3, 7), (5, 9)):  # this machine varies by a second: the median of three
    make_ahead(lambda: False)  # what --watch does while it waits for a save
    edit_paragraph(Path(sys.argv[4]), swap=swap)
    start = time.perf_counter()
    build(project, BuildOptions(output=out), lambda m: "unchanged" in m and print(m, file=sys.stderr))
    times.append(time.perf_counter() - start)
print(sorted(times)[1], flush=True)
make_ahead(lambda: False)
edit_paragraph(Path(sys.argv[4]), extra_words=int(sys.argv[5]), swap=(6, 10))
start = time.perf_counter()
build(project, BuildOptions(output=out), lambda m: "unchanged" in m and print(m, file=sys.stderr))
print(time.perf_counter() - start, flush=True)
"""


def live_edits(project: Path, out: Path, cache: Path, chapter: Path) -> tuple[float, float]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-c", LIVE, str(project), str(out), str(BENCH), str(chapter), str(PAGE_WORDS)]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    print(proc.stderr, end="")  # how many parts each live rebuild took from the store
    edit, page = (float(line) for line in proc.stdout.split())
    return edit, page


# words added by the page-adding edit: two pages of prose (about 450 words a page), as 450
# alone can fill the slack of the chapter's last page and add none
PAGE_WORDS = 900


def grew(before: int, out: Path, step: str) -> int:
    """The PDF's page count after ``step``, which must have added pages."""
    after = pdf_pages(next(out.glob("*.pdf")))
    if after <= before:
        raise SystemExit(f"{step}: the PDF still has {after} pages ({before} before): no page was added")
    print(f"{step}: {before} -> {after} pages")
    return after


def timed_build(project: Path, out: Path, cache: Path) -> float:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    start = time.perf_counter()
    subprocess.run([MSL_BOOK, "build", str(project), "--output", str(out)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def middle_chapter(project: Path) -> Path:
    chapters = sorted((project / "chapters").glob("[0-9][0-9][0-9]-*.md"))
    return chapters[len(chapters) // 2]


def edit_paragraph(path: Path, extra_words: int = 0, swap: tuple[int, int] = (3, 7)) -> None:
    """Swap two words of the first long paragraph after the front matter; with
    ``extra_words``, add that many words to it."""
    text = path.read_text("utf-8")
    body_at = text.index("\n---\n", 4) + 5
    lines = text[body_at:].split("\n")
    n = next(i for i, line in enumerate(lines) if len(line) > 200 and line[:1].isalpha())
    words = lines[n].split(" ")
    i, j = swap
    while words[i] == words[j]:  # swapping a word with itself would change nothing
        j += 1
    words[i], words[j] = words[j], words[i]  # the same length: the page count stays
    if extra_words:
        words += ["further"] * extra_words
    lines[n] = " ".join(words)
    path.write_text(text[:body_at] + "\n".join(lines), "utf-8")


def typst_source(project: Path, work: Path) -> Path:
    import pypandoc

    md = work / "book.md"
    md.write_text(pandoc_markdown(project), "utf-8")
    out = work / "book.typ"
    subprocess.run(
        [pypandoc.get_pandoc_path(), str(md), "--from",
         "markdown+footnotes+pipe_tables+fenced_divs+table_captions", "--to", "typst", "--standalone",
         "--toc", "--wrap=none", "-o", str(out)],
        check=True, cwd=project,
    )  # fmt: skip
    # pandoc's Typst writer labels no table: a link to one would stop the compile. Such links
    # keep their text, as the HTML baseline (bench/run.py) keeps them.
    text = out.read_text("utf-8")
    defined = set(re.findall(r"(?<!\()<([\w:.-]+)>", text))
    text = re.sub(r"#link\(<([\w:.-]+)>\)\[([^\]]*)\]", lambda m: m[0] if m[1] in defined else m[2], text)
    out.write_text(text, "utf-8")
    return out


def typst_cold(source: Path, root: Path) -> float:
    code = (
        "import sys, typst, time; t = time.perf_counter(); "
        "typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3]); "
        "print(time.perf_counter() - t)"
    )
    start = time.perf_counter()
    command = [sys.executable, "-c", code, str(source), str(source.with_suffix(".pdf")), str(root)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"typst compile failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - start


def typst_incremental(source: Path, root: Path) -> float:
    import typst

    compiler = typst.Compiler(str(source), root=str(root))
    compiler.compile()
    text = source.read_text("utf-8")
    m = re.search(r"\n([A-Z][^\n]{200,})\n", text)
    assert m is not None
    words = m[1].split(" ")
    words[3], words[7] = words[7], words[3]
    source.write_text(text[: m.start(1)] + " ".join(words) + text[m.end(1) :], "utf-8")
    start = time.perf_counter()
    compiler.compile()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="msl-bench-edit-"))
    work.mkdir(parents=True, exist_ok=True)
    project = generate(work / "book", args.pages)
    out, cache = work / "out", work / "cache"
    shutil.rmtree(out, ignore_errors=True)
    results: dict[str, float] = {"cold": timed_build(project, out, cache)}
    chapter = middle_chapter(project)
    edit_paragraph(chapter)
    results["edit"] = timed_build(project, out, cache)
    pages = pdf_pages(next(out.glob("*.pdf")))
    edit_paragraph(chapter, extra_words=PAGE_WORDS)
    results["edit+page"] = timed_build(project, out, cache)
    pages = grew(pages, out, "edit+page")
    results["watch"], results["watch+page"] = live_edits(project, out, cache, chapter)
    grew(pages, out, "watch+page")
    typ_dir = project / "typst"
    typ_dir.mkdir(exist_ok=True)
    source = typst_source(project, typ_dir)
    results["typst"] = typst_cold(source, project)
    results["typst-inc"] = typst_incremental(source, project)
    for name, seconds in results.items():
        target = TARGETS.get(args.pages, {}).get(name)
        verdict = f" (target <= {target} s: {'PASS' if seconds <= target else 'FAIL'})" if target else ""
        print(f"{name:10} {seconds:7.2f} s{verdict}")
    print(f"edit / typst-inc: {results['edit'] / results['typst-inc']:.0f}x")
    if args.json:
        args.json.write_text(json.dumps({"pages": args.pages, **results}, indent=1), "utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
