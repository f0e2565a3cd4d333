"""Figures a trainee can read on a phone and in any reading theme: the handbook's SVGs keep
their text at 9 CSS px or more in a 360 px column and, having no background, read on every page
colour a reader may choose (white, sepia, night, the book's dark mode, black): each text on its
own panel at 4.5:1, each line, outline and panel at 3:1 on every page; the generated cover's
text is as large; and ``check`` warns about a figure whose text is not."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image, ImageDraw, ImageFont

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
# The page colours a figure with no background is shown on: a day theme, a sepia theme,
# a night theme, the book's own dark mode (styles/epub.css) and a black night theme.
PAGES = {"white": WHITE, "sepia": "#f4ecd8", "night": "#121212", "dark": "#15191c", "black": BLACK}


def test_contrast_is_computed_as_wcag_does():
    assert round(contrast(WHITE, BLACK), 1) == 21.0
    assert round(contrast("#767676", WHITE), 2) == 4.54  # the usual mid grey
    assert round(contrast("#767676", BLACK), 2) == 4.62
    # no colour reads at 4.5:1 on both sepia and the dark mode: text needs its own panel
    greys = [f"#{v:02x}{v:02x}{v:02x}" for v in range(256)]
    assert not [g for g in greys if min(contrast(g, PAGES["sepia"]), contrast(g, PAGES["dark"])) >= 4.5]


def test_the_page_colours_are_the_books_own():
    assert "background-color: #15191c" in (ROOT / "styles" / "epub.css").read_text("utf-8")


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


def _inside(el: etree._Element, x: float, y: float) -> bool:
    """Whether (x, y) lies on the shape: a circle and a rounded rect exactly, a path (the
    figures' are a panel's rounded top) by its bounding box."""
    x0, y0, x1, y1 = _box(el)
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    tag = el.tag.removeprefix(SVG)
    if tag == "circle":
        cx, cy, r = (float(el.get(k)) for k in ("cx", "cy", "r"))
        return (x - cx) ** 2 + (y - cy) ** 2 <= r**2
    if tag == "rect" and (rx := float(el.get("rx", el.get("ry", 0)))):
        ry = float(el.get("ry", rx))
        dx = max(x0 + rx - x, 0, x - (x1 - rx))  # how far into a corner's square
        dy = max(y0 + ry - y, 0, y - (y1 - ry))
        return (dx / rx) ** 2 + (dy / ry) ** 2 <= 1
    return True


def _fonts(weight: int) -> list[ImageFont.FreeTypeFont]:
    """The faces the figures name, at the weight: Inter (the book's, which the PDF embeds)
    and Liberation Sans, which has the metrics of Helvetica and Arial, when it is installed."""
    inter = {400: "Inter-Regular.otf", 600: "Inter-SemiBold.otf", 700: "Inter-Bold.otf"}[weight]
    paths = [Theme(ROOT).style(f"fonts/{inter}")]
    liberation = Path("/usr/share/fonts/truetype/liberation")
    paths.append(liberation / ("LiberationSans-Bold.ttf" if weight >= 600 else "LiberationSans-Regular.ttf"))
    return [ImageFont.truetype(str(p), 100) for p in paths if p is not None and p.is_file()]


PADDING = 2.0  # units of panel around a text's ink, at least


def _text_box(text: etree._Element, size: float) -> tuple[float, float, float, float]:
    """The box the text's ink takes in the widest and tallest of the fonts it may be set in
    (measured at 100 units and scaled), grown by PADDING."""
    chain = [text, *text.iterancestors()]
    weight = int(next((a.get("font-weight") for a in chain if a.get("font-weight")), "400"))
    words = "".join(text.itertext()).strip()
    boxes = [font.getbbox(words, anchor="ls") for font in _fonts(weight)]
    assert boxes, "no font to measure the text with"
    width = max(b[2] for b in boxes) * size / 100
    top, bottom = min(b[1] for b in boxes) * size / 100, max(b[3] for b in boxes) * size / 100
    x, y = float(text.get("x")), float(text.get("y"))
    x0 = {"middle": x - width / 2, "end": x - width}.get(text.get("text-anchor", "start"), x)
    return x0 - PADDING, y + top - PADDING, x0 + width + PADDING, y + bottom + PADDING


def _backdrop(root: etree._Element, text: etree._Element, size: float) -> str | None:
    """The fill of the shape the text is drawn on (None: the page itself). The text's box,
    at its corners, the middles of its sides and its centre, must lie on one shape painted
    before it: text that runs off its panel, or across two, fails."""
    x0, y0, x1, y1 = _text_box(text, size)
    points = [(px, py) for px in (x0, (x0 + x1) / 2, x1) for py in (y0, (y0 + y1) / 2, y1)]
    shapes = []
    for el in root.iter():
        if el is text:
            break
        if el.tag not in (f"{SVG}rect", f"{SVG}circle", f"{SVG}path"):
            continue
        if any(a.tag == f"{SVG}defs" for a in el.iterancestors()):
            continue
        if _paint(el, "fill") is not None:
            shapes.append(el)
    under = set()
    for px, py in points:
        covering = [el for el in shapes if _inside(el, px, py)]
        under.add(covering[-1] if covering else None)
    assert len(under) == 1, f'text "{text.text}" straddles {[None if u is None else u.tag for u in under]}'
    shape = under.pop()
    return None if shape is None else _paint(shape, "fill")


def _text_contrasts(path: Path) -> list[tuple[str, str, str, float]]:
    """(text, its colour, what it is drawn on, the contrast) for every text and each of its
    backdrops: its panel, or each page colour when it is drawn on the page itself."""
    root = etree.parse(str(path)).getroot()
    out = []
    for size, words, el in _texts(path):
        colour = _paint(el, "fill")
        backdrop = _backdrop(root, el, size)
        for on in PAGES.values() if backdrop is None else (backdrop,):
            out.append((words, colour, on, contrast(colour, on)))
    return out


def _edge_contrasts(path: Path) -> list[tuple[str, str, str, str, float]]:
    """(element, stroke or fill, its colour, page, contrast) for every line, outline,
    arrowhead and panel against every page colour. A shape's edge is its stroke if it has
    one (its fill is then only a backdrop for text, measured against the text); a filled
    shape with no stroke is seen by its fill. A line has no inside."""
    root = etree.parse(str(path)).getroot()
    out = []
    for el in root.iter(f"{SVG}line", f"{SVG}path", f"{SVG}rect", f"{SVG}circle", f"{SVG}polyline"):
        stroke, fill = _paint(el, "stroke"), _paint(el, "fill")
        seen = [("stroke", stroke)] if stroke is not None or el.tag == f"{SVG}line" else [("fill", fill)]
        for name, colour in seen:
            assert colour is not None, etree.tostring(el)
            label = etree.tostring(el, encoding="unicode").split(">")[0][:90]
            out += [(label, name, colour, page, contrast(colour, on)) for page, on in PAGES.items()]
    return out


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_the_handbooks_figures_have_no_background_and_only_opaque_colours(path):
    root = etree.parse(str(path)).getroot()
    view_width, view_height, _ = _view(path)
    # no background panel: nothing painted covers the drawing
    for el in root.iter(f"{SVG}rect", f"{SVG}circle", f"{SVG}path"):
        if _paint(el, "fill") and (box := _box(el)):
            area = (box[2] - box[0]) * (box[3] - box[1])
            assert area < 0.5 * view_width * view_height, etree.tostring(el)
    assert root.get("style") is None and root.get("fill") is None
    # contrast is measured on solid colours: no opacity, no gradients, no images, no filters
    for el in root.iter():
        assert not {"opacity", "fill-opacity", "stroke-opacity", "filter", "mask"} & set(el.attrib)
    assert not root.findall(f".//{SVG}image") and not root.findall(f".//{SVG}linearGradient")
    assert not root.findall(f".//{SVG}radialGradient")
    for el in root.iter():
        for name in ("fill", "stroke"):
            assert el.get(name) in (None, "none") or re.fullmatch(r"#[0-9a-fA-F]{6}", el.get(name)), (
                etree.tostring(el)
            )


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_every_text_of_the_handbooks_figures_reads_on_every_page_colour(path):
    """4.5:1 against the panel it sits on, or against all five page colours if it is drawn
    on the page (no colour manages that, so in practice every text has its panel)."""
    texts = _text_contrasts(path)
    assert len({words for words, *_ in texts}) >= 10
    low = [(words, colour, on, round(c, 2)) for words, colour, on, c in texts if c < 4.5]
    assert low == []


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_every_line_outline_and_panel_of_the_handbooks_figures_reads_on_every_page_colour(path):
    edges = _edge_contrasts(path)
    assert {page for *_, page, _ in edges} == set(PAGES)
    low = [(el, name, colour, page, round(c, 2)) for el, name, colour, page, c in edges if c < 3]
    assert low == []


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
