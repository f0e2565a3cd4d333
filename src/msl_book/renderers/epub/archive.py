"""The EPUB file as a reproducible zip: the same input gives the same bytes."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from lxml import etree

from . import ncx

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Apple Books shows a book's own fonts only when the book asks for it.
APPLE_OPTIONS = "META-INF/com.apple.ibooks.display-options.xml"
APPLE_OPTIONS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<display_options>
  <platform name="*">
    <option name="specified-fonts">true</option>
  </platform>
</display_options>
"""


def normalize_zip(path: Path, when: dt.datetime, language: str, pages: list[dict[str, str]]) -> None:
    """Rewrite the EPUB so equal inputs give equal bytes: mimetype first and stored, then
    entries in a fixed order with a fixed time and mode. Adds xml:lang to the package, the
    page list to the NCX and Apple Books' display options."""
    stamp = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    entries = [(n, ncx.with_pages(d, pages) if n.endswith(".ncx") else d) for n, d in entries]
    entries.append((APPLE_OPTIONS, APPLE_OPTIONS_XML))
    order = {"mimetype": 0, "META-INF/container.xml": 1, "EPUB/content.opf": 2}
    entries.sort(key=lambda e: (order.get(e[0], 3), e[0]))
    tmp = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(tmp, "w") as dst:
        for name, data in entries:
            if name.endswith("content.opf"):
                data = _package_lang(data, language)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(info, data, compresslevel=9 if name != "mimetype" else None)
    tmp.replace(path)


def _package_lang(opf: bytes, language: str) -> bytes:
    root = etree.fromstring(opf)
    root.set(XML_LANG, language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
