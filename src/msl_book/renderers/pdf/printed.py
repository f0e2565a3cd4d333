"""The print edition, made from the screen edition's file instead of a second layout.

The two editions differ only outside the page: the print shop's copy has 3 mm of bleed on
every side and crop and registration marks in it. So the screen PDF is copied with pikepdf
and each page's boxes grown: the MediaBox and BleedBox by the bleed (into negative
coordinates, as WeasyPrint's own bleed does, so that nothing on the page moves: links,
destinations, the outline and the tag tree stay as they are), the TrimBox the page as it
was. The marks are drawn in the bleed as an artifact (``/Artifact BMC … EMC``), outside the
tagged content. A page whose colour or image runs to its edges (the cover) is scaled about
its centre until it covers the bleed too.

Laying the book out once is what makes "page 12" the same page in both editions (and the
EPUB's page-list), by construction rather than by two layouts agreeing; and it halves the
time of ``make book``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

BLEED_MM = 3.0
MM = 72 / 25.4
MARK_WIDTH = 0.25  # points: a hairline
GAP = 1.0  # points between a crop mark and the trim box


def derive(screen: Path, target: Path, full_bleed: set[int], bleed_mm: float = BLEED_MM) -> None:
    """Write the print edition of ``screen`` to ``target``; ``full_bleed``: the indexes of
    the pages whose content runs to the page's edges (the cover)."""
    bleed = bleed_mm * MM
    with pikepdf.open(screen) as pdf:
        for index, page in enumerate(pdf.pages):
            x0, y0, x1, y1 = (float(v) for v in page.trimbox)
            media = pikepdf.Array([x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed])
            page.obj.TrimBox = pikepdf.Array([x0, y0, x1, y1])
            page.obj.MediaBox = media
            page.obj.BleedBox = media
            if "/CropBox" in page.obj:
                del page.obj["/CropBox"]
            before = b"q\n"
            if index in full_bleed:
                before += _scale_about_centre(x0, y0, x1, y1, bleed)
            page.contents_add(pikepdf.Stream(pdf, before), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, b"Q\n" + _marks(x0, y0, x1, y1, bleed)))
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    target.write_bytes(buffer.getvalue())


def _scale_about_centre(x0: float, y0: float, x1: float, y1: float, bleed: float) -> bytes:
    width, height = x1 - x0, y1 - y0
    s = max((width + 2 * bleed) / width, (height + 2 * bleed) / height)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return f"{s:.6f} 0 0 {s:.6f} {cx - s * cx:.4f} {cy - s * cy:.4f} cm\n".encode()


def _marks(x0: float, y0: float, x1: float, y1: float, bleed: float) -> bytes:
    """Crop marks at the corners, in line with the trim box's edges, and a registration
    cross at the middle of each side, all inside the bleed."""
    lines: list[tuple[float, float, float, float]] = []
    for x, outward_x in ((x0, -1), (x1, 1)):
        for y, outward_y in ((y0, -1), (y1, 1)):
            # the vertical mark above/below the corner, the horizontal one beside it
            lines.append((x, y + outward_y * GAP, x, y + outward_y * bleed))
            lines.append((x + outward_x * GAP, y, x + outward_x * bleed, y))
    half = bleed / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for mx, my in ((cx, y0 - half), (cx, y1 + half), (x0 - half, cy), (x1 + half, cy)):
        size = half * 0.8
        lines.append((mx - size, my, mx + size, my))
        lines.append((mx, my - size, mx, my + size))
    path = "".join(f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S\n" for a, b, c, d in lines)
    return f"/Artifact BMC\nq\n0 0 0 RG {MARK_WIDTH} w\n{path}Q\nEMC\n".encode()
