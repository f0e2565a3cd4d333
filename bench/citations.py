"""What citations cost: the benchmark book with and without them, in one run.

    python bench/citations.py [--pages 300] [--citations 2000] [--entries 500] [--repeat 2]
                              [--references book|chapter|both] [--json PATH] [--keep DIR]

It generates the benchmark book (bench/generate.py), then a copy with ``--citations``
citations spread over its paragraphs (one in four cites two or three entries, one in five a
page; four in five cite one of the chapter's own share of the entries, as real chapters
do) and a CSL-JSON bibliography of ``--entries`` generated entries, AMA style. Both are
built cold (PDF + EPUB, fresh process, empty cache), best of ``--repeat`` runs taken in
turn. The target: the
book with citations takes at most 10 % more time. The entries are made up for timing only
(authors "Author0001"…, titles from the benchmark's word lists); the fixture with real
sources is tests/fixtures/citations.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from generate import OBJECTS, generate  # noqa: E402
from run import MSL_BOOK, pdf_pages  # noqa: E402

TARGET = 0.10
_SENTENCE_END = re.compile(r"(?<=[a-z])\.(?= [A-Z])")
JOURNALS = [
    "J Clin Res",
    "Drug Saf",
    "Clin Pharmacol Ther",
    "Br J Clin Pharmacol",
    "Pharmacoepidemiol Drug Saf",
]


def entries(count: int, rng: random.Random) -> list[dict[str, object]]:
    out = []
    for i in range(count):
        authors = [
            {"family": f"Author{i:04d}{chr(97 + j)}", "given": "A. B."}
            for j in range(rng.choice([1, 2, 3, 6, 8]))
        ]
        start = rng.randint(1, 900)
        out.append(
            {
                "id": f"ref{i:04d}",
                "type": "article-journal",
                "author": authors,
                "title": f"A study of {rng.choice(OBJECTS)} in {rng.randint(20, 4000)} patients",
                "container-title": rng.choice(JOURNALS),
                "volume": str(rng.randint(1, 60)),
                "issue": str(rng.randint(1, 12)),
                "page": f"{start}-{start + rng.randint(3, 14)}",
                "issued": {"date-parts": [[rng.randint(1980, 2025)]]},
                "DOI": f"10.5555/bench.{i:04d}",
            }
        )
    return out


def add_citations(project: Path, citations: int, count: int, references: str, seed: int = 7) -> None:
    """Put ``citations`` citations at sentence ends of the book's paragraphs, and the
    bibliography of ``count`` entries."""
    rng = random.Random(seed)
    chapters = sorted((project / "chapters").glob("[0-9][0-9][0-9]-*.md"))
    chapters = [c for c in chapters if not c.name.startswith(("000-", "900-"))]
    places: list[tuple[Path, int, int]] = []  # (file, line index, sentence end offset)
    texts = {}
    for path in chapters:
        lines = path.read_text("utf-8").split("\n")
        texts[path] = lines
        body = lines.index("---", 1) + 1
        for n, line in enumerate(lines[body:], start=body):
            if line[:1].isalpha() and not line.startswith(("Table:", "[^")):
                places += [(path, n, m.start()) for m in _SENTENCE_END.finditer(line)]
    chosen = sorted(rng.sample(places, min(citations, len(places))), key=lambda p: (p[0], p[1], -p[2]))
    # as in real books, a chapter cites mostly its own sources: the entries are shared out
    # among the chapters, and four citations in five cite the chapter's own
    own = {
        path: range(i * count // len(chapters), (i + 1) * count // len(chapters))
        for i, path in enumerate(chapters)
    }

    def key(path: Path) -> str:
        return f"@ref{rng.choice(own[path]) if rng.random() < 0.8 else rng.randrange(count):04d}"

    for path, n, at in chosen:
        keys = list(dict.fromkeys(key(path) for _ in range(rng.choice([1, 1, 1, 1, 1, 2, 3]))))
        cite = "; ".join(keys) + (f", p. {rng.randint(2, 400)}" if rng.random() < 0.2 else "")
        line = texts[path][n]
        texts[path][n] = f"{line[:at]} [{cite}]{line[at:]}"
    for path, lines in texts.items():
        path.write_text("\n".join(lines), "utf-8")
    (project / "references.json").write_text(json.dumps(entries(count, rng), indent=1), "utf-8")
    extra = "nocite: '@*'\n" if references == "book" else ""  # nocite is the book list's
    with (project / "book.yaml").open("a", encoding="utf-8") as f:
        f.write(f"bibliography: references.json\nreferences: {references}\n{extra}")


def cold_build(project: Path, work: Path, run: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, of every process of the build: on a shared
    machine the steadier figure) and PDF pages of a cold build."""
    out = work / f"out-{project.name}-{run}"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / f"cache-{project.name}-{run}")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [MSL_BOOK, "build", str(project), "--output", str(out)], env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"msl-book build {project} failed")
    return wall, usage.ru_utime + usage.ru_stime, pdf_pages(next(out.glob("*.pdf")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--citations", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--references", choices=["book", "chapter", "both"], default="both")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="msl-bench-cite-"))
    work.mkdir(parents=True, exist_ok=True)
    plain = generate(work / "plain", args.pages)
    modes = ["book", "chapter"] if args.references == "both" else [args.references]
    books = {"without": plain}
    for mode in modes:
        cited = work / f"cited-{mode}"
        shutil.rmtree(cited, ignore_errors=True)
        shutil.copytree(plain, cited)
        add_citations(cited, args.citations, args.entries, mode)
        books[mode] = cited
    best: dict[str, tuple[float, float, int]] = {}
    for run in range(args.repeat):  # interleaved, so that a busy moment hurts every variant alike
        for name, project in books.items():
            wall, cpu, pages = cold_build(project, work, run)
            previous = best.get(name)
            best[name] = (
                (min(wall, previous[0]), min(cpu, previous[1]), pages) if previous else (wall, cpu, pages)
            )
    results: dict[str, object] = {"pages": args.pages, "citations": args.citations, "entries": args.entries}
    base_wall, base_cpu, base_pages = best["without"]
    results["without"] = {
        "seconds": round(base_wall, 2),
        "cpu_seconds": round(base_cpu, 2),
        "pdf_pages": base_pages,
    }
    print(f"without citations: {base_wall:.1f} s ({base_cpu:.1f} s CPU), {base_pages} pages")
    for mode in modes:
        wall, cpu, pages = best[mode]
        extra, extra_cpu = wall / base_wall - 1, cpu / base_cpu - 1
        verdict = "PASS" if extra <= TARGET else "FAIL"
        results[mode] = {
            "seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 2),
            "pdf_pages": pages,
            "extra": round(extra, 3),
            "extra_cpu": round(extra_cpu, 3),
            "extra_pages": round(pages / base_pages - 1, 3),
        }
        print(
            f"references: {mode}: {wall:.1f} s ({cpu:.1f} s CPU), {pages} pages: {extra:+.1%} "
            f"({extra_cpu:+.1%} CPU, {pages / base_pages - 1:+.1%} pages) ({verdict}, target ≤ +10 %)"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), "utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
