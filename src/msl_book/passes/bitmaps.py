"""Pass: bitmaps at a resolution a page can use.

A photo straight from a camera or a scanner (12000 × 12000 pixels) would be embedded at
thousands of ppi, and take gigabytes of memory to lay out. A bitmap wider than the page at
``image_resolution`` (300 ppi unless book.yaml says otherwise) is scaled down to that, with
a warning that says so; the EPUB gets the same image. A file with more pixels than can be
decoded safely (Pillow's decompression-bomb limit) is refused.
"""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image, ImageOps

from ..document import BookModel
from ..errors import Report

BITMAPS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
PAGE_WIDTHS = {"A4": 8.27, "A5": 5.83, "B5": 6.93, "letter": 8.5, "legal": 8.5}  # inches
_LENGTH = re.compile(r"^(\d+(?:\.\d+)?)(mm|cm|in|pt)$")
_PER_INCH = {"in": 1.0, "mm": 25.4, "cm": 2.54, "pt": 72.0}


def page_width_inches(page_size: str) -> float:
    if page_size in PAGE_WIDTHS:
        return PAGE_WIDTHS[page_size]
    m = _LENGTH.match(page_size.split()[0])
    return float(m[1]) / _PER_INCH[m[2]] if m else 8.5


def run(model: BookModel, report: Report) -> None:
    ppi = model.config.image_resolution
    widest = round(page_width_inches(model.config.page_size) * ppi)
    limit = Image.MAX_IMAGE_PIXELS * 2 if Image.MAX_IMAGE_PIXELS else None
    for rel, path in sorted(model.images.items()):
        kind = BITMAPS.get(path.suffix.lower())
        if kind is None:
            continue
        shown, line = model.image_uses.get(rel, ("", 0))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path) as image:
                    width, height = image.size
                    if limit and width * height > limit:
                        raise Image.DecompressionBombError
                    if width <= widest:
                        continue
                    data = _scaled(image, kind, widest)
        except Image.DecompressionBombError:
            report.error(
                f"image {rel} has more pixels than can be read safely (a decompression bomb?): "
                f"save it at most {widest} pixels wide",
                shown,
                line,
            )
            continue
        except (OSError, SyntaxError, ValueError) as exc:
            report.error(f"image {rel} cannot be read: {exc}", shown, line)
            continue
        model.image_data[rel] = data
        inches = page_width_inches(model.config.page_size)
        report.warning(
            f"image {rel} is {width}×{height} pixels, {round(width / inches):,} ppi across the page: "
            f"scaled down to {widest} pixels wide ({ppi} ppi; book.yaml image_resolution sets it)",
            shown,
            line,
        )


def _scaled(image: Image.Image, kind: str, widest: int) -> bytes:
    """The image ``widest`` pixels wide, in its own format; memory stays near one decoded copy
    (JPEG decodes at a reduced size, others are first reduced by a whole factor)."""
    if kind == "JPEG":
        image.draft("RGB", (widest, image.height * widest // image.width))
    factor = image.width // widest
    reduced = image.reduce(factor) if factor >= 2 else image
    if image.getexif().get(0x0112, 1) != 1:  # EXIF rotation: the re-encoded file would lose it
        reduced = ImageOps.exif_transpose(reduced)
    height = max(1, round(reduced.height * widest / reduced.width))
    scaled = reduced.resize((widest, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    options: dict[str, object] = {}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc
    if kind == "JPEG":
        options.update(quality=90, optimize=False)
        scaled = scaled.convert("RGB") if scaled.mode not in ("RGB", "L", "CMYK") else scaled
    scaled.save(out, format=kind, **options)
    return out.getvalue()
