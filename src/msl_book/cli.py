"""The msl-book command line: parses options, calls the library, prints results.

Commands parse options, call the library and print its results (the long-running preview,
serve.py, prints its own log). Problems in the book (BookError) are printed
as ``path:line: message`` with exit status 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import msl_book

from .errors import BookError, Diagnostic, Failure
from .roles import Role

if TYPE_CHECKING:
    from .build import BuildOptions

app = typer.Typer(
    name="msl-book",
    help="Build a print-quality PDF and an accessible EPUB 3 from structured Markdown chapters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    pdf = "pdf"
    epub = "epub"


class Edition(StrEnum):
    screen = "screen"
    print = "print"
    review = "review"


class Standard(StrEnum):
    ua1 = "ua-1"
    a3u = "a-3u"
    none = "none"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"msl-book {msl_book.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """msl-book: one set of chapters in, a PDF and an EPUB out."""


ProjectArg = Annotated[
    Path,
    typer.Argument(
        help="The book's project directory (the one with book.yaml).", show_default="current directory"
    ),
]


def _fail(diagnostics: list[Diagnostic], what: str = "build") -> None:
    for d in diagnostics:
        typer.echo(str(d), err=True)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    summary = f"{errors} error{'s' if errors != 1 else ''}"
    if warnings:
        summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
    typer.echo(f"msl-book: {what} failed: {summary}", err=True)
    raise typer.Exit(code=1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


@app.command()
def build(
    project: ProjectArg = Path("."),
    fmt: Annotated[
        list[Format] | None,
        typer.Option(
            "--format", "-f", help="Output format; repeat for several.", show_default="pdf and epub"
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output directory.", show_default="PROJECT/dist")
    ] = None,
    edition: Annotated[
        list[Edition] | None,
        typer.Option(
            "--edition",
            "-e",
            help="PDF edition: screen, print (3 mm bleed, crop marks), or review (what changed since "
            "--compare REF, with change bars and line numbers); repeat for several.",
            show_default="screen",
        ),
    ] = None,
    pdf_standard: Annotated[
        Standard | None,
        typer.Option(
            "--pdf-standard",
            help="PDF/UA-1 (tagged, accessible) or PDF/A-3u (archival).",
            show_default="book.yaml, else ua-1",
        ),
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            metavar="REF",
            help="The earlier version the review edition compares with: a git revision of the project "
            "(a tag, a branch, a commit) or the directory of an earlier copy of it.",
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even if nothing changed since the last build.")
    ] = False,
    language: Annotated[
        list[str] | None,
        typer.Option(
            "--language",
            "-l",
            help="Edition of a translated book to build (its language or a translation); repeat for several.",
            show_default="every language",
        ),
    ] = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="Build again after each save of a source, in this process, until Ctrl+C; "
            "only what the edit changed is laid out again.",
        ),
    ] = False,
) -> None:
    """Build the book's PDF and EPUB (one of each per language of a translated book)."""
    from .build import BuildOptions

    editions = tuple(dict.fromkeys(e.value for e in edition)) if edition else ("screen",)
    if "review" in editions and not compare:
        typer.echo("msl-book: build failed: --edition review needs --compare REF", err=True)
        raise typer.Exit(code=1)
    if compare and "review" not in editions:
        typer.echo("msl-book: build failed: --compare is for --edition review", err=True)
        raise typer.Exit(code=1)
    # the review edition is a PDF only: the EPUB, when asked for, follows another edition's pages
    default = ("pdf",) if editions == ("review",) else ("pdf", "epub")
    formats = tuple(dict.fromkeys(f.value for f in fmt)) if fmt else default
    options = BuildOptions(
        formats=formats,
        editions=editions,
        output=output,
        strict=strict,
        pdf_standard=pdf_standard.value if pdf_standard else None,
        force=force,
        languages=tuple(dict.fromkeys(language or ())),
        compare=compare,
    )
    if watch:
        _watch_builds(project, options)
        return
    if not _build_once(project, options):
        raise typer.Exit(code=1)


def _build_once(project: Path, options: BuildOptions) -> bool:
    """Build, print the warnings and outputs or the problems; True if it built."""
    from .build import build as run

    try:
        with _status() as say:
            result = run(project, options, progress=say)
    except BookError as exc:
        try:
            _fail(exc.diagnostics)
        except typer.Exit:
            return False
    except Failure as exc:
        typer.echo(f"msl-book: build failed: {exc}", err=True)
        return False
    for w in result.warnings:
        typer.echo(str(w), err=True)
    for out in result.outputs:
        pages = f", {out.pages} pages" if out.pages else ""
        unchanged = ", unchanged" if result.cached else ""
        typer.echo(f"{out.path}  ({_size(out.size)}{pages}{unchanged})")
    return True


def _watch_builds(project: Path, options: BuildOptions) -> None:
    """build --watch: build now and after each save (a failed build waits for the next one),
    in one process, which keeps its imports, the code's fingerprint and the digests of the
    fonts and images; the parts an edit did not change come from the last build. The watcher
    starts before the first build, so a save made while it runs is built next."""
    import dataclasses
    import queue
    import signal
    import threading
    import time
    import traceback

    from .build import make_ahead
    from .serve import describe_changes
    from .serve.watch import watch

    signal.signal(signal.SIGINT, signal.default_int_handler)  # as serve: even when started in the background
    project = project.resolve()
    out_dir = (options.output or project / "dist").resolve()
    if project.is_relative_to(out_dir):
        typer.echo(f"msl-book: build failed: --watch needs an output directory outside {project}", err=True)
        raise typer.Exit(code=1)
    stop, ready = threading.Event(), threading.Event()
    saves: queue.Queue[list[str]] = queue.Queue()

    def once(opts: BuildOptions) -> None:
        started = time.perf_counter()
        try:
            built = _build_once(project, opts)
        except Exception:  # a bug: its traceback, and the next save is built all the same
            typer.echo(traceback.format_exc().rstrip(), err=True)
            built = False
        typer.echo(f"{'Built' if built else 'Failed'} in {time.perf_counter() - started:.2f} s")

    def err(line: str) -> None:
        typer.echo(line, err=True)

    watcher = threading.Thread(
        target=watch,
        args=(project, stop, ready, lambda paths: saves.put(list(paths)), err),
        kwargs={"ignore": [out_dir, options.output.absolute() if options.output else project / "dist"]},
        daemon=True,
    )
    try:
        watcher.start()
        ready.wait(10)
        once(options)
        make_ahead(lambda: not saves.empty())
        typer.echo(f"Watching {project} for changes (Ctrl+C to stop)")
        incremental = dataclasses.replace(options, force=False)  # --force is for the first build only
        while watcher.is_alive():
            try:
                changed = saves.get(timeout=0.5)
            except queue.Empty:
                continue
            while not saves.empty():  # saves made during a build are built together
                changed += saves.get_nowait()
            typer.echo(describe_changes(changed, project).removesuffix(": "))
            once(incremental)
            make_ahead(lambda: not saves.empty())
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    typer.echo("Stopped.", err=True)


@app.command()
def distribute(
    roster: Annotated[
        Path, typer.Argument(help="The roster: a UTF-8 CSV file with name and id columns, one trainee a row.")
    ],
    project: ProjectArg = Path("."),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Build directory; the copies go into its copies/.",
            show_default="PROJECT/dist",
        ),
    ] = None,
    formats: Annotated[
        str, typer.Option("--formats", help="The copies' formats, comma-separated: pdf, epub.")
    ] = "pdf,epub",
    date: Annotated[
        str | None,
        typer.Option("--date", help="Issue date in the stamps (YYYY-MM-DD).", show_default="today"),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            help="Encrypt every PDF copy (AES-256) with this password (or set MSL_BOOK_COPY_PASSWORD).",
        ),
    ] = None,
    password_column: Annotated[
        str | None,
        typer.Option(
            "--password-column", help="Encrypt each PDF copy with the password in this roster column."
        ),
    ] = None,
    allow_print: Annotated[
        bool | None,
        typer.Option(
            "--allow-print/--no-print", help="Encrypted copies: allow printing.", show_default="allowed"
        ),
    ] = None,
    allow_copy: Annotated[
        bool | None,
        typer.Option(
            "--allow-copy/--no-copy", help="Encrypted copies: allow copying text.", show_default="not allowed"
        ),
    ] = None,
    allow_modify: Annotated[
        bool | None,
        typer.Option(
            "--allow-modify/--no-modify", help="Encrypted copies: allow editing.", show_default="not allowed"
        ),
    ] = None,
    allow_draft: Annotated[
        bool, typer.Option("--allow-draft", help="Distribute a book whose status is not approved.")
    ] = False,
) -> None:
    """Build the book once and write a personalised, stamped copy for each roster row into copies/."""
    import datetime as dt

    from .distribute import DistributeOptions, Permissions
    from .distribute import distribute as run

    problems = []
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in formats.split(",") if f.strip()))
    if not chosen or any(f not in ("pdf", "epub") for f in chosen):
        problems.append(f"--formats {formats}: give pdf, epub or pdf,epub")
    when = None
    if date is not None:
        try:
            when = dt.date.fromisoformat(date)
        except ValueError:
            problems.append(f"--date {date}: not a date; write it as YYYY-MM-DD")
    if password is None and password_column is None and "pdf" in chosen:
        # the variable stands in for --password only: a --password-column run or an EPUB-only
        # run is not made to fail by a password set in the environment
        password = os.environ.get("MSL_BOOK_COPY_PASSWORD") or None
    if password is not None and password_column is not None:
        problems.append("--password and --password-column: give one or the other")
    if password == "":
        problems.append("--password: the password is empty")
    encrypted = password is not None or password_column is not None
    given = [
        n
        for n, v in (("print", allow_print), ("copy", allow_copy), ("modify", allow_modify))
        if v is not None
    ]
    if given and not encrypted:
        problems.append(
            f"--{'/'.join(given)} permissions need encryption: add --password or --password-column"
        )
    if encrypted and "pdf" not in chosen:
        problems.append("--password/--password-column encrypt PDF copies; --formats has no pdf")
    if problems:
        _fail([Diagnostic("", 0, p) for p in problems], "distribute")
    permissions = Permissions(
        print=True if allow_print is None else allow_print,
        copy=bool(allow_copy),
        modify=bool(allow_modify),
    )
    options = DistributeOptions(
        formats=chosen,
        output=output,
        date=when,
        password=password,
        password_column=password_column,
        permissions=permissions,
        allow_draft=allow_draft,
    )
    try:
        with _status() as say:
            result = run(project, roster, options, progress=say)
    except BookError as exc:
        _fail(exc.diagnostics, "distribute")
        return
    except KeyboardInterrupt:
        typer.echo("msl-book: distribute interrupted; earlier copies were left as they were", err=True)
        raise typer.Exit(code=130) from None
    except Failure as exc:
        typer.echo(f"msl-book: distribute failed: {exc}", err=True)
        raise typer.Exit(code=1) from None
    for w in result.warnings:
        typer.echo(str(w), err=True)
    people = len({c.row.id for c in result.copies})
    files = _plural(len(result.copies), "file")
    typer.echo(f"{result.directory}  ({_plural(people, 'copy').replace('copys', 'copies')}, {files})")
    for path in result.manifest:
        typer.echo(f"{path}")


@app.command()
def check(
    project: ProjectArg = Path("."),
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
) -> None:
    """Check the book without laying it out: every problem at once, as path:line: message."""
    from .check import check as run

    try:
        result = run(project, strict=strict)
    except BookError as exc:
        _fail(exc.diagnostics, "check")
        return
    for w in result.warnings:
        typer.echo(str(w), err=True)
    counts = {**result.model.counts(), "warning": len(result.warnings)}
    summary = ", ".join(_plural(n, word) for word, n in counts.items() if n or word != "warning")
    typer.echo(f"{result.model.config.title}: {summary}; no errors")


# The roles `new` can create, as the choices of its option (Typer wants an Enum type).
NewRole = StrEnum("NewRole", {r.name: r.value for r in (Role.PREFACE, Role.CHAPTER, Role.APPENDIX)})


@app.command()
def new(
    title: Annotated[str, typer.Argument(help="The new chapter's title.")],
    project: Annotated[Path, typer.Option("--project", "-p", help="The book's project directory.")] = Path(
        "."
    ),
    chapter_id: Annotated[
        str | None, typer.Option("--id", help="The chapter's id (default: from its file name).")
    ] = None,
    role: Annotated[NewRole, typer.Option(help="preface, chapter or appendix.")] = NewRole.CHAPTER,
) -> None:
    """Add a chapter: create chapters/NN-title.md and add it to the chapter order in book.yaml."""
    from .scaffold import new_chapter

    try:
        created = new_chapter(project, title, chapter_id, Role(role))
    except BookError as exc:
        _fail(exc.diagnostics, "new")
        return
    typer.echo(f"Created {created.path}")
    if created.listed:
        typer.echo(f"Added {created.path.relative_to(project.resolve()).as_posix()} to book.yaml")
    else:
        typer.echo("book.yaml lists no chapters: every chapters/*.md is used, in file-name order")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the book (created if missing).")],
    title: Annotated[
        str | None, typer.Option(help="The book's title (default: from the directory name).")
    ] = None,
    author: Annotated[str, typer.Option(help="The author's name.")] = "Author Name",
    theme: Annotated[
        bool, typer.Option("--theme", help="Also copy the default templates and styles, to customise them.")
    ] = False,
) -> None:
    """Start a new book: book.yaml and a sample chapter that builds as it is."""
    from .scaffold import init_project

    try:
        written = init_project(directory, title, author, theme)
    except BookError as exc:
        _fail(exc.diagnostics, "init")
        return
    for path in written:
        typer.echo(f"Created {path}")
    typer.echo(f"Next: msl-book serve {directory}  (or msl-book build {directory})")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="An mdBook, a Quarto book or a folder of Markdown files.")],
    destination: Annotated[
        Path | None, typer.Argument(help="Where to create the book project.", show_default="PATH-book")
    ] = None,
) -> None:
    """Turn an existing project (mdBook, Quarto, Markdown files) into a book project."""
    from .importer import KIND_NAMES, import_project

    try:
        imported = import_project(path, destination)
    except BookError as exc:
        _fail(exc.diagnostics, "import")
        return
    for w in imported.warnings:
        typer.echo(str(w), err=True)
    for change in imported.converted:
        typer.echo(f"  converted {change}")
    chapters = _plural(imported.chapters, "chapter")
    typer.echo(f"Imported {KIND_NAMES[imported.kind]}: {chapters} in {imported.destination}")
    typer.echo(f"Next: msl-book check {imported.destination}  (then msl-book build {imported.destination})")


@app.command()
def serve(
    project: ProjectArg = Path("."),
    host: Annotated[str, typer.Option(help="Address to listen on (local only by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the preview in a web browser.")] = False,
) -> None:
    """Preview the book in a web browser; the page reloads when a chapter, template or style is saved."""
    from .serve import run

    run(project, host=host, port=port, open_browser=open_browser)


class _status:
    """A one-line progress display on a terminal; silent when stderr is not a terminal."""

    def __enter__(self):
        if not sys.stderr.isatty():
            self._status = None
            return lambda _msg: None
        from rich.console import Console

        self._status = Console(stderr=True).status("Starting")
        self._status.__enter__()
        return lambda msg: self._status.update(msg)

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)
