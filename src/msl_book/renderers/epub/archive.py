"""The EPUB file as a reproducible zip: the same input gives the same bytes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
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


def normalize_zip(
    written: bytes,
    path: Path,
    when: dt.datetime,
    language: str,
    pages: list[dict[str, str]],
    pages_title: str,
) -> None:
    """Write the EPUB ebooklib ``written`` to ``path`` so equal inputs give equal bytes:
    mimetype first and stored, then entries in a fixed order with a fixed time and mode.
    Adds xml:lang to the package, the page list to the NCX and Apple Books' display options."""
    stamp = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    with zipfile.ZipFile(io.BytesIO(written)) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    order = _reading_order(dict(entries))
    entries = [
        (n, ncx.with_pages(d, pages, order, pages_title) if n.endswith(".ncx") else d) for n, d in entries
    ]
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
            dst.writestr(info, data, compresslevel=6 if name != "mimetype" else None)
    tmp.replace(path)


def _reading_order(files: dict[str, bytes]) -> Callable[[str], tuple[int, int]]:
    """A target's place in the book: (its document's place in the spine, its id's place in
    the document; -1 for the document's start)."""
    opf = etree.fromstring(files["EPUB/content.opf"])
    ns = {"o": "http://www.idpf.org/2007/opf"}
    hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//o:manifest/o:item", ns)}
    spine = [hrefs[r.get("idref")] for r in opf.iterfind(".//o:spine/o:itemref", ns)]
    ids: dict[str, dict[str, int]] = {}

    def place(src: str) -> tuple[int, int]:
        doc, _, fragment = src.partition("#")
        if doc not in spine:
            return (len(spine), 0)
        if doc not in ids:
            tree = etree.fromstring(files[f"EPUB/{doc}"])
            ids[doc] = {}
            for el in tree.iter():
                if isinstance(el.tag, str) and el.get("id"):
                    ids[doc].setdefault(el.get("id"), len(ids[doc]))
        return (spine.index(doc), ids[doc].get(fragment, -1) if fragment else -1)

    return place


def _package_lang(opf: bytes, language: str) -> bytes:
    root = etree.fromstring(opf)
    root.set(XML_LANG, language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
