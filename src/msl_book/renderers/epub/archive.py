"""The EPUB file as a reproducible zip: the same input gives the same bytes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
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


MIMETYPE = ("mimetype", b"application/epub+zip")


def _stamp(when: dt.datetime) -> tuple[int, ...]:
    return max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]


def _add(dst: zipfile.ZipFile, name: str, data: bytes, stamp: tuple[int, ...]) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.external_attr = 0o644 << 16
    info.create_system = 3
    info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
    dst.writestr(info, data, compresslevel=6 if name != "mimetype" else None)


@dataclass
class Head:
    """The start of the EPUB's zip, compressed while the PDF is laid out: the mimetype, then
    the files that do not depend on the PDF's pages (stylesheets, fonts, images)."""

    data: bytes
    files: dict[str, bytes]


def head(files: dict[str, bytes], when: dt.datetime) -> Head:
    stamp, buffer = _stamp(when), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for name, data in [MIMETYPE, *sorted(files.items())]:
            _add(dst, name, data, stamp)
    return Head(buffer.getvalue(), files)


def normalize_zip(
    written: bytes,
    path: Path,
    when: dt.datetime,
    language: str,
    pages: list[dict[str, str]],
    pages_title: str,
    start: Head | None = None,
) -> None:
    """Write the EPUB ebooklib ``written`` to ``path`` so equal inputs give equal bytes:
    mimetype first and stored, then entries in a fixed order with a fixed time and mode.
    Adds xml:lang to the package, the page list to the NCX and Apple Books' display options.
    With ``start``, the zip begins with it and its files are not compressed again (ebooklib
    wrote exactly those bytes for them; if not, the whole zip is written here)."""
    stamp = _stamp(when)
    with zipfile.ZipFile(io.BytesIO(written)) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    order = _reading_order(dict(entries))
    entries = [
        (n, ncx.with_pages(d, pages, order, pages_title) if n.endswith(".ncx") else d) for n, d in entries
    ]
    entries.append((APPLE_OPTIONS, APPLE_OPTIONS_XML))
    order = {"mimetype": 0, "META-INF/container.xml": 1, "EPUB/content.opf": 2}
    entries.sort(key=lambda e: (order.get(e[0], 3), e[0]))
    buffer = io.BytesIO()
    if start is not None and {n: d for n, d in entries if n in start.files or n == "mimetype"} == {
        **start.files,
        MIMETYPE[0]: MIMETYPE[1],
    }:
        buffer.write(start.data)
        entries = [(n, d) for n, d in entries if n not in start.files and n != "mimetype"]
        mode = "a"
    else:
        mode = "w"
    with zipfile.ZipFile(buffer, mode) as dst:
        for name, data in entries:
            if name.endswith("content.opf"):
                data = _package_lang(data, language)
            _add(dst, name, data, stamp)
    tmp = path.with_name(path.name + ".zip")
    tmp.write_bytes(buffer.getvalue())
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
