"""distribute(): one personalised, traceable copy of the book per roster row.

The book is built once (or its last build reused, through the build cache); the roster,
the stamp template, the fonts and the book's status are all checked before anything is
written. The copies are then stamped from the built files, never laid out again, into a
staging directory next to ``copies/``, which replaces ``copies/`` only once every copy and
the manifest are written: an interrupted or failed run leaves the earlier copies as they were
and no half-written file behind.
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import io
import itertools
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import outputs
from ..doccontrol import may_distribute
from ..errors import BookError, Diagnostic, Failure, Report
from ..l10n import Strings
from ..loader import CONFIG_NAME, load_book
from ..model import Book
from .pdfstamp import Encryption, Permissions, StampFont
from .roster import (
    Roster,
    Row,
    check_template,
    is_reserved,
    read_roster,
    render_stamp,
    safe_file_name,
)

__all__ = ["DistributeOptions", "DistributeResult", "Permissions", "distribute"]

FORMATS = ("pdf", "epub")
COPIES = "copies"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DistributeOptions:
    formats: tuple[str, ...] = FORMATS
    output: Path | None = None  # the build's directory; the copies go into its copies/
    date: dt.date | None = None  # the issue date in the stamps (default: today)
    password: str | None = None  # one password for every PDF copy
    password_column: str | None = None  # or each row's own, from this roster column
    permissions: Permissions = field(default_factory=Permissions)
    allow_draft: bool = False  # distribute a book whose status is not approved


@dataclass(frozen=True)
class Copy:
    file: Path
    format: str
    row: Row
    copy_id: str
    sha256: str
    encrypted: bool


@dataclass
class DistributeResult:
    directory: Path
    copies: list[Copy] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    manifest: list[Path] = field(default_factory=list)


def copy_id(book: Book, row: Row) -> str:
    """The copy's id: the same book, version and trainee always give the same one."""
    seed = f"msl-book-copy|{book.identifier}|{book.config.version or ''}|{row.id}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def distribute(
    project: Path,
    roster_file: Path,
    options: DistributeOptions = DistributeOptions(),
    progress: Progress | None = None,
) -> DistributeResult:
    """Write one copy per roster row; raises BookError (with every problem of the roster
    and book.yaml) before anything is written, Failure when the copies cannot be written."""
    say = progress or (lambda _msg: None)
    project = project.resolve()
    report = Report()
    shown = _shown(roster_file)
    roster = read_roster(roster_file, shown, report, options.password_column)
    book = load_book(project, report)
    if book is None:
        raise BookError(report.items)
    strings = Strings.of(book.config)
    template = getattr(book.config, "stamp", None) or strings("copy-stamp")  # the book's language
    line = book.config_lines.get(("stamp",), 0) if getattr(book.config, "stamp", None) else 0
    secret = (options.password_column or "").strip().lower()
    for problem in check_template(template, [c for c in roster.columns if c != secret]):
        report.error(problem, CONFIG_NAME, line)  # a password column is never printed
    when = options.date or dt.date.today()
    # document control decides: a draft, or an approval that has expired (a back-dated
    # --date does not make an expired book current)
    why = may_distribute(book.config, on=max(when, dt.date.today())) if book.config_valid else None
    if why is not None and (not options.allow_draft or "withdrawn" in why):
        key = "expiry_date" if "expired" in why else "status"
        report.error(why, CONFIG_NAME, book.config_lines.get((key,), 0))
    stamps = {row.line: _stamp(template, row, book, when) for row in roster.rows} if not report.errors else {}
    fonts = _fonts(book, report) if stamps else []
    chosen: dict[int, StampFont] = {}
    for row in roster.rows if fonts else []:
        texts = [stamps[row.line], _notice(book, row)]
        rtl = sorted({c for t in texts for c in t if unicodedata.bidirectional(c) in ("R", "AL")})
        if rtl and "pdf" in options.formats:
            report.error(
                f"{row.name}: the PDF stamp cannot set right-to-left text yet ({_chars(rtl)})",
                shown,
                row.line,
            )
            continue
        font = next((f for f in fonts if all(f.has(t) for t in texts)), None)
        if font is None and "pdf" in options.formats:
            lacking = sorted({c for t in texts for c in t if not any(f.has(c) for f in fonts)})
            report.error(
                f"{row.name}: no font of the book can draw "
                f"{_chars(lacking) if lacking else 'this stamp in one font'}"
                "; add one that can to fonts: fallback in book.yaml",
                shown,
                row.line,
            )
            continue
        if font is not None:
            for t in texts:
                font.use(t)
            chosen[row.line] = font
    report.raise_if_failed()

    from ..build import BuildOptions, build

    say("Building the book")
    built = build(project, BuildOptions(formats=options.formats, output=options.output), progress=say)
    by_format: dict[str, Path] = {}
    for out in built.outputs:
        if out.format not in by_format and (out.format != "pdf" or out.edition in (None, "screen")):
            by_format[out.format] = out.path
    out_dir = (options.output or project / "dist").resolve()
    result = DistributeResult(out_dir / COPIES, warnings=list(built.warnings))
    used_fonts = [f for f in fonts if f in chosen.values()]
    _write_copies(book, roster, stamps, by_format, used_fonts, options, out_dir, result, say)
    return result


def _write_copies(
    book: Book,
    roster: Roster,
    stamps: dict[int, str],
    built: dict[str, Path],
    fonts: list[StampFont],
    options: DistributeOptions,
    out_dir: Path,
    result: DistributeResult,
    say: Progress,
) -> None:
    from .epubcopy import EpubStamper, EpubStampError
    from .pdfstamp import PdfStamper

    try:
        staging = Path(tempfile.mkdtemp(prefix=".msl-book-copies-", dir=out_dir))
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # an ordinary directory once in place, not mkdtemp's 0700
    except OSError as exc:
        raise outputs.failure(exc, out_dir) from None
    stampers: dict[str, object] = {}
    pool = None
    try:
        names = _file_names(book, roster)
        rows = [(row, copy_id(book, row), _notice(book, row), _password(row, options)) for row in roster.rows]
        encryptions = {
            row.line: Encryption(password, options.permissions) if password else None
            for row, _, _, password in rows
        }
        futures = {}
        if "pdf" in built and any(encryptions.values()) and len(rows) >= POOL_MIN and _cores() > 1:
            # Each encrypted copy is a whole save through qpdf: two processes save two at once.
            pool = concurrent.futures.ProcessPoolExecutor(
                _cores(),
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(built["pdf"], [(f.file, sorted(f.chars)) for f in fonts]),
            )
        try:
            if "pdf" in built:
                pdf = PdfStamper(built["pdf"], fonts)
                if not any(encryptions.values()):
                    pdf.prepare([(stamps[r.line], n) for r, _, n, _ in rows])
                stampers["pdf"] = pdf
            if "epub" in built:
                stampers["epub"] = EpubStamper(built["epub"])
        except EpubStampError as exc:
            raise Failure(str(exc)) from None
        ahead = iter(rows if pool is not None else [])

        def submit(count: int) -> None:
            """Keep a few copies queued for the workers, never the whole roster."""
            for row, cid, notice, _ in itertools.islice(ahead, count):
                tmp = staging / f".{names[row.line]}.pdf.tmp"
                args = (tmp, stamps[row.line], notice, cid, encryptions[row.line])
                futures[row.line] = pool.submit(_worker_copy, *args)  # type: ignore[union-attr]

        submit(4 * _cores())
        for n, (row, cid, notice, _) in enumerate(rows, 1):
            say(f"Copy {n} of {len(rows)}: {row.name}")
            submit(1)
            for fmt, stamper in stampers.items():
                target = staging / f"{names[row.line]}.{fmt}"
                tmp = target.with_name(f".{target.name}.tmp")
                encryption = encryptions[row.line] if fmt == "pdf" else None
                if fmt == "pdf" and row.line in futures:
                    digest = futures.pop(row.line).result()
                elif fmt == "pdf":
                    digest = stamper.copy(tmp, stamps[row.line], notice, cid, encryption)  # type: ignore[attr-defined]
                else:
                    digest = stamper.copy(tmp, stamps[row.line], notice, cid)  # type: ignore[attr-defined]
                os.replace(tmp, target)
                result.copies.append(
                    Copy(out_dir / COPIES / target.name, fmt, row, cid, digest.hex(), encryption is not None)
                )
        _write_manifest(staging, result.copies)
        _publish(staging, out_dir / COPIES)
        result.manifest = [out_dir / COPIES / "manifest.csv", out_dir / COPIES / "manifest.json"]
    except OSError as exc:
        if outputs._is_ours(exc, out_dir):
            reason = outputs._REASONS.get(exc.errno or 0, exc.strerror)
            raise Failure(
                f"cannot write the copies to {out_dir / COPIES}: {reason}; "
                "earlier copies were left as they were"
            ) from None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # before the staging directory goes
        for stamper in stampers.values():
            if hasattr(stamper, "close"):
                stamper.close()  # type: ignore[attr-defined]
        shutil.rmtree(staging, ignore_errors=True)


POOL_MIN = 20  # encrypted copies: fewer are not worth starting a second process


def _cores() -> int:
    return min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _password(row: Row, options: DistributeOptions) -> str | None:
    if options.password_column:
        return row.cells[options.password_column.strip().lower()]
    return options.password


_worker_stamper = None


def _start_worker(source: Path, fonts: list[tuple[Path, list[int]]]) -> None:
    """A process that saves encrypted copies: its own stamper, the parent's fonts' subsets.
    Ctrl-C is the parent's to handle: it stops giving work and cleans up."""
    global _worker_stamper
    from .pdfstamp import PdfStamper

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stamp_fonts = []
    for file, chars in fonts:
        font = StampFont(file)
        font.chars = set(chars)
        stamp_fonts.append(font)
    _worker_stamper = PdfStamper(source, stamp_fonts)


def _worker_copy(tmp: Path, stamp: str, notice: str, cid: str, encryption: Encryption | None) -> bytes:
    return _worker_stamper.copy(tmp, stamp, notice, cid, encryption)  # type: ignore[union-attr]


def _publish(staging: Path, copies: Path) -> None:
    """Put the new copies in place of the old: two renames, the old removed afterwards."""
    old = None
    if copies.exists():
        old = Path(tempfile.mkdtemp(prefix=".msl-book-old-copies-", dir=copies.parent))
        os.replace(copies, old / COPIES)
    try:
        os.replace(staging, copies)
    except BaseException:
        if old is not None:
            os.replace(old / COPIES, copies)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _stamp(template: str, row: Row, book: Book, when: dt.date) -> str:
    config = book.config
    values = {
        **row.cells,
        "cohort": row.cohort,
        "email": row.email,
        "date": when.isoformat(),
        "copy_id": copy_id(book, row),
        "title": config.title,
        "version": config.version or "",
        "document_code": config.document_code or "",
    }
    return render_stamp(template, values)


def _notice(book: Book, row: Row) -> str:
    strings = Strings.of(book.config)
    return strings("copy-notice", copy_id=copy_id(book, row))


def _fonts(book: Book, report: Report) -> list[StampFont]:
    """The fonts a stamp may be set in, best first: the book's body font (book.yaml's, else
    the theme's), regular before bold and italic, then its fallback fonts in their order."""
    from ..fonts import font_faces
    from ..theme import Theme

    theme = Theme.of(book, report)
    roles = dict(theme.fonts.roles) if theme.fonts else {}
    body = [f.file for f in roles.get("body", ()) if not f.colour]
    fallback = [f.file for f in theme.fonts.fallback if not f.colour] if theme.fonts else []
    if not body:
        body = [file for _, file in font_faces(theme) if file not in fallback]

    def regular_first(files: list[Path]) -> list[Path]:
        return sorted(files, key=lambda f: any(w in f.stem.lower() for w in ("bold", "italic", "semibold")))

    fonts = []
    for file in dict.fromkeys([*regular_first(body), *fallback]):
        if file.suffix.lower() in (".ttf", ".otf"):
            try:
                fonts.append(StampFont(file))
            except Exception:  # a font fontTools cannot read is simply not a candidate
                continue
    return fonts


def _file_names(book: Book, roster: Roster) -> dict[int, str]:
    """Each row's file name (without extension): book, id and name, made safe; unique even
    on a case-insensitive file system."""
    base = book.output_name
    names: dict[int, str] = {}
    taken: set[str] = set()
    for row in roster.rows:
        name = f"{base}-{safe_file_name(row.id, 40)}-{safe_file_name(row.name)}"
        name = f"{name}_" if is_reserved(name) else name
        unique, n = name, 2
        while unique.casefold() in taken:
            unique, n = f"{name}-{n}", n + 1
        taken.add(unique.casefold())
        names[row.line] = unique
    return names


FORMULA = ("=", "+", "-", "@", "\t", "\r")
MANIFEST_COLUMNS = ["file", "format", "name", "id", "cohort", "email", "copy_id", "encrypted", "sha256"]


def escape_formula(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading single quote (OWASP)."""
    return f"'{value}" if value.startswith(FORMULA) else value


def _write_manifest(staging: Path, copies: list[Copy]) -> None:
    rows = [
        {
            "file": c.file.name,
            "format": c.format,
            "name": c.row.name,
            "id": c.row.id,
            "cohort": c.row.cohort,
            "email": c.row.email,
            "copy_id": c.copy_id,
            "encrypted": c.encrypted,
            "sha256": c.sha256,
        }
        for c in copies
    ]
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, MANIFEST_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(
        {k: ("yes" if v else "no") if isinstance(v, bool) else escape_formula(v) for k, v in r.items()}
        for r in rows
    )
    _atomic_write(staging / "manifest.csv", text.getvalue().encode("utf-8-sig"))
    data = json.dumps({"copies": rows}, ensure_ascii=False, indent=2) + "\n"
    _atomic_write(staging / "manifest.json", data.encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _chars(chars: list[str]) -> str:
    return ", ".join(f"{c} (U+{ord(c):04X})" for c in chars[:5]) + (" …" if len(chars) > 5 else "")


def _shown(path: Path) -> str:
    """The roster as the user named it (a path relative to where they are stays so)."""
    return path.as_posix()
