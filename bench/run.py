"""Time msl-book against pandoc -> WeasyPrint and against WeasyPrint alone, in one run.

    python bench/run.py --pages 300 [--pages 1000] [--repeat 1] [--json results.json]

For each size it generates a book (bench/generate.py) and measures, each in a fresh process:

  A      msl-book build, cold (PDF + EPUB)          A_pdf  msl-book build --format pdf, cold
  B      msl-book build again, nothing changed      C      pandoc -> HTML, then weasyprint -> PDF
  D      WeasyPrint alone on msl-book's own print HTML, stylesheets, fonts and fetcher

Peak memory is the largest sum, over a step's whole process tree (msl-book lays long books
out in worker processes), of each process's proportional set size (PSS: pages shared between
forked processes count once in all), sampled from /proc every 100 ms, in runs of A and C of
their own: sampling slows what it samples (reading smaps_rollup walks the process's page
tables), by 1.5-2 s of A's 11 s and 0.7-0.9 s of C's 12.5 s at 300 pages, so the timed runs
are not sampled.

With --repeat N every time is the best of N runs, and A/C the median of the runs' own
ratios: A and C are measured one after the other, in turn first, so each ratio compares
them at the same speed of the machine (which drifts by 10-25 % within minutes). See
README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
MSL_BOOK = str(BIN / "msl-book")
TARGET_REBUILD_S = 0.5
TARGET_OVERHEAD = 0.10
TARGET_PEAK_MB = 600
TARGET_A_OVER_C = 0.75  # issue 17: cold builds at most 0.75x pandoc -> WeasyPrint


@dataclass
class Proc:
    seconds: float
    peak_mb: float
    stdout: str
    cpu: float = 0.0  # user + system seconds of the process and every descendant it waited for


def _tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                todo += [int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, memory: bool = True
) -> Proc:
    """Run cmd; its wall time, its processor time and (``memory``) the peak of its process
    tree's summed PSS. Sampling the memory slows the process: a timed run is not sampled."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        peak_kb = 0
        if not memory:
            _, status, usage = os.wait4(proc.pid, 0)
        while memory:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, sum(_pss_kb(p) for p in _tree(proc.pid)))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read()[-3000:]}")
        return Proc(seconds, peak_kb / 1024, out.read(), usage.ru_utime + usage.ru_stime)


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


# -- pandoc input: the same chapters in pandoc's Markdown ----------------------------------------

_ID_LINE = re.compile(r"^\{#([A-Za-z][\w.-]*)\}$")
_CALLOUT = re.compile(r"^::: (\w+)(?: (.*))?$")
_NOTE = re.compile(r"\[\^(\w+)\]")


def pandoc_markdown(project: Path) -> str:
    """One pandoc Markdown file: front matter becomes ordinary text (objectives, takeaways,
    questions and answers, glossary terms) so both tools typeset the same words; `{#id}` lines
    move onto their heading or image; callouts become fenced divs; footnote labels get the
    chapter number so they stay unique in one document."""
    config = YAML(typ="safe", pure=True).load((project / "book.yaml").read_text("utf-8"))
    out: list[str] = []
    for n, rel in enumerate(config["chapters"]):
        _, front, body = (project / rel).read_text("utf-8").split("---\n", 2)
        meta = YAML(typ="safe", pure=True).load(front)
        out += ["", f"# {meta['title']} {{#{meta.get('id', f'chapter-{n}')}}}", ""]
        if meta.get("objectives"):
            out += ["**Objectives**", "", *(f"- {o}" for o in meta["objectives"]), ""]
        lines = body.splitlines()
        for i, line in enumerate(lines):
            if m := _ID_LINE.match(line):
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                if nxt.startswith("#") or nxt.startswith("!["):
                    lines[i + 1] = f"{nxt} {{#{m[1]}}}" if nxt.startswith("#") else f"{nxt}{{#{m[1]}}}"
                continue
            if m := _CALLOUT.match(line):
                out += [f"::: {{.callout .{m[1]}}}", f"**{m[2] or m[1].title()}**", ""]
                continue
            out.append(_NOTE.sub(rf"[^c{n}-\1]", line))
        for term in meta.get("terms", []):
            out += ["", term["term"], f": {term['definition']}"]
        if meta.get("takeaways"):
            out += ["", "**Key takeaways**", "", *(f"- {t}" for t in meta["takeaways"])]
        for q in meta.get("questions", []):
            out += ["", f"**Q.** {q['question']}", "", f"**A.** {q['answer']}"]
    return "\n".join(out) + "\n"


def pandoc_css(fonts: Path) -> str:
    face = "@font-face {{ font-family: '{}'; font-style: {}; font-weight: {}; src: url({}); }}"
    faces = [
        face.format("Charis SIL", "normal", 400, (fonts / "CharisSIL-Regular.ttf").as_uri()),
        face.format("Charis SIL", "italic", 400, (fonts / "CharisSIL-Italic.ttf").as_uri()),
        face.format("Charis SIL", "normal", 700, (fonts / "CharisSIL-Bold.ttf").as_uri()),
        face.format("Inter", "normal", 400, (fonts / "Inter-Regular.otf").as_uri()),
        face.format("Inter", "normal", 700, (fonts / "Inter-Bold.otf").as_uri()),
    ]
    return "\n".join(faces) + (
        "\n@page { size: A4; margin: 25mm 22mm;"
        " @bottom-center { content: counter(page); font: 9pt Inter; } }\n"
        "html { font: 10.5pt/1.45 'Charis SIL', serif; hyphens: auto; }\n"
        "h1, h2, h3, .callout p:first-child { font-family: Inter; break-after: avoid; }\n"
        "h1 { break-before: page; font-size: 22pt; }\n"
        "#TOC a::after { content: leader('.') target-counter(attr(href), page); }\n"
        "table { border-collapse: collapse; width: 100%; margin: 1em 0; }\n"
        "th, td { border-bottom: 0.5pt solid #999; padding: 3pt 4pt; text-align: left; }\n"
        "figure { margin: 1em 0; text-align: center; break-inside: avoid; }\n"
        "img { max-width: 100%; }\n"
        ".callout { border-left: 3pt solid #0f5e6b; background: #e6f2f3; padding: 4pt 10pt; }\n"
    )


# -- workers: run as `python bench/run.py WORKER ...` in a fresh interpreter ------------------------


def print_html_worker(project: str, html_out: str) -> None:
    """Write msl-book's print HTML (what build() hands to WeasyPrint) and its PDF settings."""
    from msl_book.errors import Report
    from msl_book.model import isbn
    from msl_book.pipeline import prepare
    from msl_book.renderers.pdf.html import print_html, print_meta

    prepared = prepare(Path(project).resolve(), Report())
    book = prepared.book
    meta = print_meta(book, prepared.modified, "screen", isbn(prepared.identifier))
    Path(html_out).write_text(print_html(prepared.model, prepared.env, meta), "utf-8")
    settings = {"page_size": book.config.page_size, "standard": book.config.pdf_standard}
    print(json.dumps({**settings, "identifier": prepared.identifier}))


def weasyprint_worker(project: str, html_file: str, pdf_out: str, settings_json: str) -> None:
    """WeasyPrint alone, set up exactly as msl_book.renderers.pdf.layout's lay_out/write_pdf
    set it up (same stylesheets in the same order, fonts, fetcher, tagging and PDF variant),
    minus msl-book's own work: no page map, no page labels, no log capture. It runs inside
    msl-book's WeasyPrint fixes (weasyprint_compat.patched): without them the same HTML lays
    out into a different document (far more pages), so their cost stays in D; the JSON lists
    them under "patched"."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from msl_book.renderers.pdf import layout
    from msl_book.renderers.pdf.fetcher import ProjectFetcher
    from msl_book.theme import Theme
    from msl_book.weasyprint_compat import FIXES, patched

    settings = json.loads(settings_json)
    root = Path(project).resolve()
    theme = Theme(root)
    html = Path(html_file).read_text("utf-8")
    start = time.perf_counter()
    fetcher = ProjectFetcher([root, theme.default], theme)
    fonts = FontConfiguration()
    sheets = [
        CSS(filename=str(p), font_config=fonts, url_fetcher=fetcher) for _, p in theme.stylesheets("pdf")
    ]
    geometry = layout.page_geometry_css(settings["page_size"])
    sheets.insert(2, CSS(string=geometry, font_config=fonts))
    with patched():
        document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=fonts
        )
    rendered = time.perf_counter()
    options: dict[str, object] = {
        "pdf_identifier": hashlib.md5(settings["identifier"].encode()).hexdigest().encode(),
        "pdf_tags": True,
    }
    if variant := layout.VARIANTS[settings["standard"]]:
        options["pdf_variant"] = variant
    with patched():
        document.write_pdf(target=pdf_out, **options)
    written = time.perf_counter()
    fixes = [fix.name for fix in FIXES]
    print(json.dumps({"render": rendered - start, "write": written - rendered, "patched": fixes}))


WORKERS = {"print-html": print_html_worker, "weasyprint": weasyprint_worker}


# -- one size ---------------------------------------------------------------------------------------


@dataclass
class Result:
    pages: int
    runs: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)
    pdf_pages: dict[str, int] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    d_patches: list[str] = field(default_factory=list)  # msl-book's WeasyPrint fixes active in D


def bench_size(pages: int, repeat: int, work: Path) -> Result:
    source = work / f"book-{pages}"
    measure([sys.executable, str(BENCH / "generate.py"), str(source), "--pages", str(pages)])
    pandoc_dir = source / "pandoc"  # inside the project, so ../images/ resolves as in chapters/
    pandoc_dir.mkdir()
    from msl_book.theme import theme_dir

    (pandoc_dir / "book.md").write_text(pandoc_markdown(source), "utf-8")
    (pandoc_dir / "book.css").write_text(pandoc_css(theme_dir() / "styles" / "fonts"), "utf-8")
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    result = Result(pages)
    html, pdf_c = pandoc_dir / "book.html", pandoc_dir / "book.pdf"

    def msl_book(
        run: dict[str, float], cold: Path, key: str, formats: list[str], memory: bool = False
    ) -> None:
        project = cold / key
        shutil.copytree(source, project, ignore=shutil.ignore_patterns("pandoc"))
        env = {**os.environ, "XDG_CACHE_HOME": str(cold / f"cache-{key}")}  # no shared cache
        build = [MSL_BOOK, "build", str(project), *formats]
        a = measure(build, env, memory=memory)
        if memory:
            run[f"{key}_peak_mb"] = a.peak_mb
            return
        run[key], run[f"{key}_cpu"] = a.seconds, a.cpu
        if key == "A":
            run["B"] = measure(build, env, memory=False).seconds

    def pandoc_weasyprint(run: dict[str, float], memory: bool = False) -> None:
        p = measure(
            [pandoc, "book.md", "--from", "markdown+footnotes+pipe_tables+fenced_divs+table_captions",
             "--to", "html5", "--standalone", "--toc", "--toc-depth=2", "--css", "book.css",
             "--metadata", f"title=The Benchmark Handbook ({pages} pages)", "--metadata", "lang=en",
             "--output", html.name],
            cwd=pandoc_dir,
            memory=memory,
        )  # fmt: skip
        w = measure([sys.executable, "-m", "weasyprint", str(html), str(pdf_c)], memory=memory)
        if memory:
            run["C_peak_mb"] = max(p.peak_mb, w.peak_mb)
            return
        run.update(C_pandoc=p.seconds, C_weasyprint=w.seconds, C=p.seconds + w.seconds, C_cpu=p.cpu + w.cpu)

    for i in range(repeat):
        run: dict[str, float] = {}
        cold = work / f"run-{pages}-{i}"
        # A and C one after the other, in turn first: the machine's speed drifts by 10-25 %
        # within minutes, and each run's ratio compares the two at the same speed
        if i % 2 == 0:
            msl_book(run, cold, "A", [])
            pandoc_weasyprint(run)
        else:
            pandoc_weasyprint(run)
            msl_book(run, cold, "A", [])
        run["A_over_C"] = run["A"] / run["C"]
        run["A_over_C_cpu"] = run["A_cpu"] / run["C_cpu"]  # the work, whatever the cores available
        msl_book(run, cold, "A_pdf", ["--format", "pdf"])

        ours, pdf_d = cold / "print.html", cold / "weasyprint-only.pdf"
        settings = measure(
            [sys.executable, __file__, "print-html", str(source), str(ours)], memory=False
        ).stdout
        d = measure(
            [sys.executable, __file__, "weasyprint", str(source), str(ours), str(pdf_d), settings],
            memory=False,
        )
        parts = json.loads(d.stdout)
        result.d_patches = parts["patched"]
        run.update(D=d.seconds, D_render=parts["render"], D_write=parts["write"])
        result.runs.append(run)
        print(
            f"  {pages} pages, run {i + 1}: " + ", ".join(f"{k}={v:.2f}" for k, v in run.items()), flush=True
        )
        if i == repeat - 1:
            result.pdf_pages = {
                "A": pdf_pages(cold / "A" / "dist" / "bench-book.pdf"),
                "C": pdf_pages(pdf_c),
                "D": pdf_pages(pdf_d),
            }
        else:
            shutil.rmtree(cold)

    # the peaks, in runs of their own (sampling would slow the timed ones)
    peaks: dict[str, float] = {}
    cold = work / f"run-{pages}-memory"
    msl_book(peaks, cold, "A", [], memory=True)
    pandoc_weasyprint(peaks, memory=True)
    shutil.rmtree(cold)
    print(f"  {pages} pages, memory: " + ", ".join(f"{k}={v:.1f}" for k, v in peaks.items()), flush=True)
    best = {k: min(r[k] for r in result.runs) for k in result.runs[0]}
    best.update(peaks)
    best["A_over_C"] = statistics.median(r["A_over_C"] for r in result.runs)  # of each run's pair
    best["A_over_C_cpu"] = statistics.median(r["A_over_C_cpu"] for r in result.runs)
    best["overhead"] = best["A_pdf"] / best["D"] - 1
    result.best = best
    result.checks = {
        "A/C <= 0.75": best["A_over_C"] <= TARGET_A_OVER_C,
        "overhead <= 10 %": best["overhead"] <= TARGET_OVERHEAD,
        "B < 0.5 s": best["B"] < TARGET_REBUILD_S,
        "peak A < 600 MB": best["A_peak_mb"] < TARGET_PEAK_MB,
    }
    return result


def table(results: list[Result]) -> str:
    columns = [
        "size", "pages A/C/D", "A (s)", "A_pdf (s)", "B (s)", "C (s) [pandoc + weasyprint]",
        "D (s) [render + write]", "A/C", "A/C CPU time", "A_pdf/D − 1", "peak A (MB)", "peak C (MB)",
        "A/C ≤ 0.75", "overhead ≤ 10 %", "B < 0.5 s", "peak < 600 MB",
    ]  # fmt: skip
    rows = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in results:
        b, pages = r.best, r.pdf_pages
        verdict = ["PASS" if ok else "FAIL" for ok in r.checks.values()]
        rows.append(
            f"| {r.pages} | {pages['A']}/{pages['C']}/{pages['D']} | {b['A']:.1f} | {b['A_pdf']:.1f} "
            f"| {b['B']:.2f} | {b['C']:.1f} [{b['C_pandoc']:.1f} + {b['C_weasyprint']:.1f}] "
            f"| {b['D']:.1f} [{b['D_render']:.1f} + {b['D_write']:.1f}] "
            f"| {b['A_over_C']:.2f} | {b['A_over_C_cpu']:.2f} "
            f"| {b['overhead']:+.0%} | {b['A_peak_mb']:.0f} | {b['C_peak_mb']:.0f} | "
            + " | ".join(verdict)
            + " |"
        )
    return "\n".join(rows)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in WORKERS:
        WORKERS[sys.argv[1]](*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, action="append", help="book size; repeat for several")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; best times, median A/C")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (default: a temp dir)")
    args = parser.parse_args()
    sizes = args.pages or [300]
    with tempfile.TemporaryDirectory(prefix="msl-bench-") as tmp:
        work = args.keep or Path(tmp)
        if args.keep:
            shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        results = [bench_size(pages, args.repeat, work) for pages in sizes]
    print()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
