"""Document control: a book's approval status, its review and expiry dates, its version history.

Training material in regulated industries is reviewed and approved before use, reviewed
again on a schedule, and expires. book.yaml says where a book stands (``status: draft |
in-review | approved | withdrawn``, ``approved_by``, ``approval_date``, ``review_date``,
``expiry_date``, ``history:``); the copyright page shows it as a table in both formats
(templates/partials/copyright.html.j2), a book that is not approved says so on every page
(a diagonal watermark behind the PDF's pages, a banner in the EPUB's documents), ``check``
warns when a date has passed, and ``distribute`` asks ``may_distribute`` first.

A book without ``status:`` is not under document control: no table, no watermark, and
``distribute`` lets it go, as it claims no status to check (the handbook and every book
written before these keys build as they did). The other keys need a status.

The outputs never depend on the clock: only the warnings and ``may_distribute`` compare
with today, which ``SOURCE_DATE_EPOCH`` sets (for tests and reproducible runs).
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Callable
from functools import cache
from urllib.parse import quote as url_quote
from xml.sax.saxutils import escape

from .errors import Report
from .l10n import Strings
from .schema import BookConfig

CONFIG_NAME = "book.yaml"
CONTROL_KEYS = ("approved_by", "approval_date", "review_date", "expiry_date", "history")
WATERMARK_GREY = "#d9d9d9"  # light enough for black text over it, dark enough to be seen on paper

Lines = Callable[[tuple], int | None]


def today() -> dt.date:
    """The day dates are compared with: SOURCE_DATE_EPOCH's, else the clock's."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


def check_config(config: BookConfig, line: Lines, report: Report) -> None:
    """What the schema cannot see key by key: the keys agree with each other."""
    if config.status is None:
        for key in CONTROL_KEYS:
            if getattr(config, key):
                report.error(
                    f"'{key}' is document control, which needs 'status:' "
                    "(draft, in-review, approved or withdrawn)",
                    CONFIG_NAME,
                    line((key,)),
                )
        return
    if config.status == "approved":
        missing = [key for key in ("approved_by", "approval_date") if getattr(config, key) is None]
        if missing:
            names = " and ".join(f"'{key}'" for key in missing)
            verb = "is" if len(missing) == 1 else "are"
            report.error(
                f"'status' is 'approved' but {names} {verb} missing: "
                "an approved book says who approved it and when",
                CONFIG_NAME,
                line(("status",)),
            )
    approval, review, expiry = config.approval_date, config.review_date, config.expiry_date
    for key, day in (("review_date", review), ("expiry_date", expiry)):
        if day is not None and approval is not None and day < approval:
            report.error(
                f"'{key}' {day.isoformat()} is before 'approval_date' {approval.isoformat()}",
                CONFIG_NAME,
                line((key,)),
            )
    if review is not None and expiry is not None and expiry < review:
        report.error(
            f"'expiry_date' {expiry.isoformat()} is before 'review_date' {review.isoformat()}: "
            "the book would expire before its review",
            CONFIG_NAME,
            line(("expiry_date",)),
        )
    seen: dict[str, int] = {}
    for i, entry in enumerate(config.history):
        if entry.version in seen:
            report.error(
                f"'history[{i}].version' {entry.version!r} is listed twice "
                f"(also history[{seen[entry.version]}])",
                CONFIG_NAME,
                line(("history", i, "version")),
            )
        seen.setdefault(entry.version, i)


def date_warnings(config: BookConfig, line: Lines, report: Report, on: dt.date | None = None) -> None:
    """``check``: the review or expiry date of a book in use has passed (``on``: today)."""
    if config.status in (None, "withdrawn"):
        return
    on = on or today()
    if config.review_date is not None and config.review_date < on:
        report.warning(
            f"review_date {config.review_date.isoformat()} has passed (today is {on.isoformat()}): "
            "review the book and set the next review_date",
            CONFIG_NAME,
            line(("review_date",)),
        )
    if config.expiry_date is not None and config.expiry_date < on:
        report.warning(
            f"expiry_date {config.expiry_date.isoformat()} has passed (today is {on.isoformat()}): "
            "the book has expired; renew its approval or set status: withdrawn",
            CONFIG_NAME,
            line(("expiry_date",)),
        )


def may_distribute(config: BookConfig, on: dt.date | None = None) -> str | None:
    """None when copies of the book may go out; else why not, for ``distribute`` to print.
    A book without a status is not under document control, and may."""
    if config.status is None:
        return None
    if config.status == "withdrawn":
        return "the book's status is 'withdrawn': it is not distributed, not even with --allow-draft"
    if config.status != "approved":
        return f"the book's status is '{config.status}', not 'approved': distribute it with --allow-draft"
    on = on or today()
    if config.expiry_date is not None and config.expiry_date < on:
        return (
            f"the book expired on {config.expiry_date.isoformat()} (expiry_date): renew its approval, "
            "or distribute it with --allow-draft"
        )
    return None


def watermark_word(config: BookConfig, strings: Strings) -> str | None:
    """The word across every page of a book that is not approved: 'DRAFT', 'ENTWURF'…"""
    if config.status in (None, "approved"):
        return None
    return {
        "draft": strings("watermark-draft"),
        "in-review": strings("watermark-in-review"),
        "withdrawn": strings("watermark-withdrawn"),
    }[config.status]


def _width_in_ems(text: str) -> float:
    """About how wide ``text`` is set in capitals, in ems: CJK characters are one em."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.68 for c in text) or 1.0


LAM_ALEF = {"\u0622": 0xFEF5, "\u0623": 0xFEF7, "\u0625": 0xFEF9, "\u0627": 0xFEFB}  # isolated; +1 final


@cache
def _arabic_forms() -> dict[tuple[str, str], str]:
    """(letter, 'isolated' | 'final' | 'initial' | 'medial') -> its presentation form; the
    lam-alef ligatures under private-use stand-ins (U+E000…) for lam followed by alef."""
    forms = {}
    for code in range(0xFE70, 0xFF00):
        kind, _, base = unicodedata.decomposition(chr(code)).partition(" ")
        if kind.strip("<>") in ("isolated", "final", "initial", "medial") and " " not in base:
            forms[(chr(int(base, 16)), kind.strip("<>"))] = chr(code)
    for i, ligature in enumerate(LAM_ALEF.values()):
        forms[(chr(0xE000 + i), "isolated")] = chr(ligature)
        forms[(chr(0xE000 + i), "final")] = chr(ligature + 1)
    return forms


def visual_order(text: str) -> str:
    """Right-to-left text as WeasyPrint's SVG text needs it: that draws one character after
    the other, left to right, each shaped on its own. So Arabic letters get the forms
    their neighbours give them (presentation forms), and the line is reversed."""
    forms = _arabic_forms()
    for i, alef in enumerate(LAM_ALEF):
        text = text.replace("\u0644" + alef, chr(0xE000 + i))
    out = []
    for i, char in enumerate(text):
        before = i > 0 and (text[i - 1], "initial") in forms  # the letter before joins this one
        after = i + 1 < len(text) and (text[i + 1], "final") in forms
        wanted = ["medial" if after else "final"] if before else ["initial"] if after else []
        wanted.append("final" if before else "isolated")
        out.append(next((forms[(char, w)] for w in wanted if (char, w) in forms), char))
    return "".join(reversed(out))


def watermark_svg(word: str, families: list[str], rtl: bool = False) -> str:
    """The status word from corner to corner of a square, for the page's background
    (``rtl``: the book's language is written from right to left)."""
    size = min(260.0, 1250.0 / _width_in_ems(word))  # fits the square's diagonal (1414)
    family = ", ".join(f"'{f}'" for f in families)
    if rtl:
        word = visual_order(word)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000" viewBox="0 0 1000 1000">'
        f'<text x="500" y="{500 + size * 0.36:.0f}" transform="rotate(-45 500 500)" text-anchor="middle"'
        f' font-family="{escape(family)}" font-weight="700" font-size="{size:.0f}" '
        f'fill="{WATERMARK_GREY}">{escape(word)}</text></svg>'
    )


def watermark_css(config: BookConfig, strings: Strings, families: list[str]) -> str:
    """Print CSS: the watermark as the background image of every page.

    WeasyPrint draws backgrounds as marked artifacts (``/Artifact BMC … EMC``), so the word
    is on every page (blank versos, the cover, each part of a long book: every layout gets
    this CSS) and in no structure element: the tags and PDF/UA conformance stay as they
    were. ``!important`` wins over the theme's named pages that set a background (the
    cover's colour stays: only the image is set)."""
    word = watermark_word(config, strings)
    if word is None:
        return ""
    svg = watermark_svg(word, families, strings.direction == "rtl")
    url = "data:image/svg+xml," + url_quote(svg, safe="")
    return (
        "@page {\n"
        f'  background-image: url("{url}") !important;\n'
        "  background-repeat: no-repeat !important;\n"
        "  background-position: center !important;\n"
        "  background-size: contain !important;\n"
        "}\n"
    )
