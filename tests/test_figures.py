"""Figures a trainee can read on a phone and in a night theme: the handbook's SVGs keep their
text at 9 CSS px or more in a 360 px column and read on a white page and on a black one; the
generated cover's text is as large; and ``check`` warns about a figure whose text is not."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image, ImageDraw

from msl_book import cover
from msl_book.errors import Report
from msl_book.loader import load_book
from msl_book.theme import Theme

from conftest import ROOT, make_book, run_cli

SVG = "{http://www.w3.org/2000/svg}"
SECOND = "chapters/02-second.md"
PHONE, LEGIBLE = 360, 9.0
FIGURES = sorted((ROOT / "images").glob("*.svg"))


def _figure_uses() -> dict[str, str]:
    """Each SVG the handbook's chapters show -> the chapter that shows it."""
    uses = {}
    for chapter in sorted((ROOT / "chapters").glob("*.md")):
        for src in re.findall(r"!\[[^\]]+\]\(\.\./(images/[^ )]+\.svg)", chapter.read_text("utf-8")):
            uses[src] = chapter.name
    return uses


def test_the_handbook_shows_both_figures_with_alt_text():
    assert _figure_uses() == {
        "images/msl-bridge.svg": "02-msl-role.md",
        "images/msl-career-path.svg": "05-career-path.md",
    }
    assert [p.name for p in FIGURES] == ["msl-bridge.svg", "msl-career-path.svg"]


# -- the handbook's figures: measured from the files --------------------------------------


def _texts(path: Path) -> list[tuple[float, str, etree._Element]]:
    """(font size in user units, text, element) of every text in the SVG. The handbook's
    figures size text with font-size attributes only (asserted), so inheritance is the
    nearest ancestor's attribute."""
    root = etree.parse(str(path)).getroot()
    assert not root.findall(f".//{SVG}style"), "a style sheet: measure it another way"
    found = []
    for el in root.iter(f"{SVG}text", f"{SVG}tspan"):
        chain = [el, *el.iterancestors()]
        assert all("font-size" not in (a.get("style") or "") for a in chain)
        assert all(a.get("transform") is None for a in chain), "a transform: measure it another way"
        size = next((float(a.get("font-size")) for a in chain if a.get("font-size")), 16.0)
        if (el.text or "").strip():
            found.append((size, el.text.strip(), el))
    return found


def _view(path: Path) -> tuple[float, float, float]:
    """viewBox width and height, and the width attribute (px)."""
    root = etree.parse(str(path)).getroot()
    _, _, width, height = (float(n) for n in root.get("viewBox").split())
    return width, height, float(root.get("width"))


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_every_text_of_the_handbooks_figures_is_9px_or_more_on_a_phone(path):
    view_width, view_height, width = _view(path)
    shown = min(PHONE, width)  # figure img { max-width: 100% } in a 360 px column
    sizes = {text: size * shown / view_width for size, text, _ in _texts(path)}
    assert len(sizes) >= 10
    assert min(sizes.values()) >= LEGIBLE, {t: round(px, 1) for t, px in sizes.items() if px < LEGIBLE}
    # a narrow, tall drawing: at a phone's width it is not shrunk below 0.9
    assert view_width <= 400 and view_height > view_width


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


WHITE, BLACK = "#ffffff", "#000000"


def test_contrast_is_computed_as_wcag_does():
    assert round(contrast(WHITE, BLACK), 1) == 21.0
    assert round(contrast("#767676", WHITE), 2) == 4.54  # the usual mid grey
    assert round(contrast("#767676", BLACK), 2) == 4.62


def _paint(el: etree._Element, name: str) -> str | None:
    """The fill or stroke an element is painted with (inherited; fill defaults to black)."""
    for a in [el, *el.iterancestors()]:
        if (value := a.get(name)) is not None:
            return None if value == "none" else value.lower()
    return BLACK if name == "fill" else None


def _box(el: etree._Element) -> tuple[float, float, float, float] | None:
    """The bounding box of a filled shape, (x0, y0, x1, y1)."""
    tag = el.tag.removeprefix(SVG)
    if tag == "rect":
        x, y, w, h = (float(el.get(k, 0)) for k in ("x", "y", "width", "height"))
        return x, y, x + w, y + h
    if tag == "circle":
        cx, cy, r = (float(el.get(k)) for k in ("cx", "cy", "r"))
        return cx - r, cy - r, cx + r, cy + r
    if tag == "path":
        points = []
        for command, args in re.findall(r"([MLHVAZz])([^MLHVAZz]*)", el.get("d")):
            n = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", args)]
            if command in "ML":
                points += list(zip(n[0::2], n[1::2], strict=True))
            elif command == "A":
                points += [(n[i + 5], n[i + 6]) for i in range(0, len(n), 7)]
            else:
                assert command in "Zz", f"path command {command}: extend the test"
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return min(xs), min(ys), max(xs), max(ys)
    return None


def _inside(box, x: float, y: float) -> bool:
    x0, y0, x1, y1 = box
    return x0 <= x <= x1 and y0 <= y <= y1


def _backdrop(root: etree._Element, text: etree._Element, size: float) -> str | None:
    """The fill under the text (None: the page itself), checked at the corners and centre of
    the box the text takes (its width estimated at 0.6 em a character): all must agree."""
    x, y = float(text.get("x")), float(text.get("y"))
    width = 0.6 * size * len("".join(text.itertext()).strip())
    x0 = {"middle": x - width / 2, "end": x - width}.get(text.get("text-anchor", "start"), x)
    points = [(px, py) for px in (x0, x0 + width / 2, x0 + width) for py in (y - 0.7 * size, y)]
    shapes = []
    for el in root.iter(f"{SVG}rect", f"{SVG}circle", f"{SVG}path"):
        if el is text:
            break
        if any(a.tag == f"{SVG}defs" for a in el.iterancestors()):
            continue
        if (fill := _paint(el, "fill")) is not None and (box := _box(el)) is not None:
            shapes.append((fill, box))
    under = set()
    for px, py in points:
        covering = [fill for fill, box in shapes if _inside(box, px, py)]
        under.add(covering[-1] if covering else None)
    assert len(under) == 1, f'text "{text.text}" straddles {under}'
    return under.pop()


def _text_contrasts(path: Path) -> list[tuple[str, str, str | None, float]]:
    """(text, its colour, what it is drawn on, the contrast that counts) for every text."""
    root = etree.parse(str(path)).getroot()
    out = []
    for size, words, el in _texts(path):
        colour = _paint(el, "fill")
        backdrop = _backdrop(root, el, size)
        if backdrop is None:  # on the page: white in a day theme, black in a night theme
            out.append((words, colour, None, min(contrast(colour, WHITE), contrast(colour, BLACK))))
        else:
            out.append((words, colour, backdrop, contrast(colour, backdrop)))
    return out


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_the_handbooks_figures_read_on_a_white_page_and_on_a_black_one(path):
    root = etree.parse(str(path)).getroot()
    view_width, view_height, _ = _view(path)
    # no background panel: nothing painted covers the drawing
    for el in root.iter(f"{SVG}rect", f"{SVG}circle", f"{SVG}path"):
        if _paint(el, "fill") and (box := _box(el)):
            area = (box[2] - box[0]) * (box[3] - box[1])
            assert area < 0.5 * view_width * view_height, etree.tostring(el)
    assert root.get("style") is None and root.get("fill") is None
    # every text: 4.5:1 against its panel, or against both pages
    texts = _text_contrasts(path)
    low = [(words, colour, on, round(c, 2)) for words, colour, on, c in texts if c < 4.5]
    assert low == []
    assert any(on is None for *_, on, _ in texts)  # some text is on the page itself…
    assert any(on is not None for *_, on, _ in texts)  # …and some on a panel
    # every line, outline, arrowhead and panel: 3:1 against both pages
    for el in root.iter(f"{SVG}line", f"{SVG}path", f"{SVG}rect", f"{SVG}circle"):
        for name in ("stroke",) if el.tag == f"{SVG}line" else ("stroke", "fill"):  # a line has no inside
            if (colour := _paint(el, name)) is not None:
                on_white, on_black = contrast(colour, WHITE), contrast(colour, BLACK)
                assert min(on_white, on_black) >= 3, (etree.tostring(el), name, on_white, on_black)


def test_the_handbook_checks_without_a_warning_about_its_figures():
    result = run_cli("check", str(ROOT))
    assert result.code == 0, result.err
    assert "phone screen" not in result.err


# -- the generated cover --------------------------------------------------------------------


@pytest.fixture(scope="module")
def handbook_config():
    return load_book(ROOT, Report()).config


def test_every_text_of_the_generated_cover_is_9px_or_more_on_a_phone(handbook_config, monkeypatch):
    drawn: list[tuple[str, object]] = []
    original = ImageDraw.ImageDraw.text

    def record(self, xy, text, *args, font=None, **kwargs):
        drawn.append((text, font))
        return original(self, xy, text, *args, font=font, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    png = cover.cover_png(handbook_config, Theme(ROOT))
    image = Image.open(io.BytesIO(png))
    scale = PHONE / image.width
    texts = [text for text, _ in drawn]
    assert "MEDICAL AFFAIRS TRAINING" in texts and "Version 1.0  ·  MA-TRN-MSL-001" in texts
    assert "Medical Affairs Training Team" in texts and len(texts) == 8  # 3 title, 2 subtitle lines
    for text, font in drawn:
        _, top, _, bottom = font.getbbox("H")  # the capitals' height, in the font drawn
        assert font.size * scale >= LEGIBLE and (bottom - top) * scale >= LEGIBLE, (text, font.size)
    assert min(font.size for _, font in drawn) * scale == pytest.approx(12.6)


def _ink_rows(image: Image.Image, colour: tuple[int, int, int], top: int, bottom: int) -> tuple[int, int]:
    """The first and last row between top and bottom with a pixel of ``colour``."""
    rows = [
        y
        for y in range(top, bottom)
        if any(image.getpixel((x, y)) == colour for x in range(0, image.width, 2))
    ]
    return rows[0], rows[-1]


def test_the_covers_smallest_lines_measure_9px_or_more_in_the_png(handbook_config):
    """Measured on the pixels: the publisher's line (capitals only) and the version line
    (capitals and figures) are as tall as their capitals."""
    image = Image.open(io.BytesIO(cover.cover_png(handbook_config, Theme(ROOT)))).convert("RGB")
    scale = PHONE / image.width
    band = int(image.height * 0.36)
    first, last = _ink_rows(image, cover.TINT, 0, band)  # the publisher, above the amber band
    assert (last - first + 1) * scale >= LEGIBLE
    first, last = _ink_rows(image, cover.TINT, image.height - 300, image.height)  # the version
    assert (last - first + 1) * scale >= LEGIBLE


def test_the_generated_cover_is_reproducible(handbook_config):
    assert cover.cover_png(handbook_config, Theme(ROOT)) == cover.cover_png(handbook_config, Theme(ROOT))


# -- check: figures whose text a phone would shrink too far ------------------------------------

WIDE = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760 200" width="760" height="200">
<title>Flow</title>
<text x="380" y="40" text-anchor="middle" font-size="20">Report flow</text>
<text x="40" y="120" font-size="12">Approval</text><text x="300" y="120" font-size="13">Review</text>
<text x="600" y="120" font-size="12.5"><tspan>Archive</tspan></text>
</svg>"""

NARROW = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" width="400" height="300">
<title>Flow</title><text x="20" y="40" font-size="11">Approval</text></svg>"""


def _warnings(tmp_path: Path, svg: str, markdown: str) -> list[str]:
    body = f"---\ntitle: Second\n---\n\n{markdown}\n"
    project = make_book(tmp_path, {"images/flow.svg": svg, SECOND: body})
    result = run_cli("check", str(project))
    assert result.code == 0, result.err
    return [line for line in result.err.splitlines() if "phone screen" in line]


def test_check_warns_once_about_a_wide_figure_naming_its_smallest_text(tmp_path):
    assert _warnings(tmp_path, WIDE, "![A flow chart](../images/flow.svg)") == [
        f'{SECOND}:5: warning: images/flow.svg: text "Approval" would be 5.7 px on a 360 px phone '
        "screen (under 9 px): enlarge it or draw a narrower figure"
    ]


def test_check_says_nothing_about_a_figure_drawn_for_a_phone(tmp_path):
    assert _warnings(tmp_path, NARROW, "![A flow chart](../images/flow.svg)") == []  # 9.9 px


@pytest.mark.parametrize(
    ("svg", "markdown", "said"),
    [
        # shown at half the column: 11 × 180 / 400
        (NARROW, "![A flow chart](../images/flow.svg){width=50%}", "5 px"),
        # shown 300 px wide: 11 × 300 / 400
        (NARROW, "![A flow chart](../images/flow.svg){width=300}", "8.2 px"),
        # its own width (200 px) is less than the column's: 16 × 200 / 400
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 100" width="200" height="50">'
            "<text>Approval</text></svg>",
            "![A flow chart](../images/flow.svg)",
            "8 px",
        ),
        # inherited from a group, in em, under a scale: 20 × 0.5 × 0.75 × 360 / 400
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 100"><g font-size="20" '
            'transform="translate(5 5) scale(0.5)"><text font-size="0.75em">Approval</text></g></svg>',
            "![A flow chart](../images/flow.svg)",
            "6.8 px",
        ),
        # a style sheet's class, and a style attribute over it: the attribute wins
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 100"><style>.small { font-size: 8px }'
            '</style><text class="small">Approval</text><text class="small" style="font-size: 30px">Big'
            "</text></svg>",
            "![A flow chart](../images/flow.svg)",
            "7.2 px",
        ),
        # a matrix scaling by 2 makes 6-unit text 10.8 px: no warning
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 100"><text transform="matrix(2 0 0 2 0 0)"'
            ' font-size="6">Approval</text></svg>',
            "![A flow chart](../images/flow.svg)",
            None,
        ),
    ],
    ids=["width-percent", "width-pixels", "own-width", "inherited-em-scaled", "style-sheet", "matrix"],
)
def test_how_check_measures_a_figures_text(tmp_path, svg, markdown, said):
    warnings = _warnings(tmp_path, svg, markdown)
    if said is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and f'text "Approval" would be {said} on a 360 px' in warnings[0], warnings


def test_a_figure_shown_twice_is_one_warning_at_its_narrower_use(tmp_path):
    markdown = "![Flow](../images/flow.svg)\n\nText.\n\n![Flow, small](../images/flow.svg){width=40%}"
    assert _warnings(tmp_path, NARROW, markdown) == [
        f'{SECOND}:9: warning: images/flow.svg: text "Approval" would be 4 px on a 360 px phone '
        "screen (under 9 px): enlarge it or draw a narrower figure"
    ]
