"""Stamp the built EPUB for each trainee, rewriting only the two entries that change.

The copyright section (``epub:type="copyright-page"``) gets a paragraph with the stamp and
the package metadata the copy's id (a second ``dc:identifier``) and the stamp as
``dcterms:provenance`` (a reserved prefix: EPUBCheck needs no declaration). Every other
entry is copied as it is, compressed bytes and all, so a copy costs a file write, and the
archive stays reproducible: mimetype first and stored, the build's times and order.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from html import escape
from pathlib import Path

from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
OPF = "http://www.idpf.org/2007/opf"
MARK = "msl-book-copy-stamp"


class EpubStampError(Exception):
    """The EPUB has no copyright section to stamp (a theme that removed it)."""


@dataclass
class _Entry:
    info: zipfile.ZipInfo
    raw: bytes  # the local header and compressed data, as in the built file
    halves: tuple[bytes, bytes] | None = None  # a document that changes: before and after the stamp


class EpubStamper:
    def __init__(self, source: Path):
        data = source.read_bytes()
        self.entries: list[_Entry] = []
        found = opf = False
        with zipfile.ZipFile(source) as zf:
            for info in zf.infolist():
                start = info.header_offset
                name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
                end = start + 30 + name_len + extra_len + info.compress_size
                if info.flag_bits & 0x08:
                    end += 16 if data[end : end + 4] == b"PK\x07\x08" else 12
                entry = _Entry(info, data[start:end])
                if info.filename.endswith(".opf"):
                    entry.halves = _split(zf.read(info), _opf_marker)
                    opf = True
                elif info.filename.endswith(".xhtml") and not found:
                    content = zf.read(info)
                    if b"copyright-page" in content and (halves := _split(content, _copyright_marker)):
                        entry.halves = halves
                        found = True
                self.entries.append(entry)
        if not found or not opf:
            raise EpubStampError(
                f"{source.name} has no copyright section (epub:type copyright-page) to stamp"
            )

    def copy(self, target: Path, stamp: str, notice: str, copy_id: str) -> bytes:
        """The copy for one trainee, written to ``target``; returns its bytes' SHA-256."""
        text = escape(stamp, quote=False)
        html = f'<p class="copy-stamp">{text}<br/>{escape(notice, quote=False)}</p>'.encode()
        meta = (
            f'<dc:identifier id="copy-id">urn:uuid:{copy_id}</dc:identifier>\n    '
            f'<meta property="dcterms:provenance">{text}</meta>\n  '
        ).encode()
        out = io.BytesIO()
        central = []
        for entry in self.entries:
            offset = out.tell()
            info = entry.info
            if entry.halves is None:
                out.write(entry.raw)
                central.append((info, info.CRC, info.compress_size, info.file_size, offset))
                continue
            insert = meta if info.filename.endswith(".opf") else html
            content = entry.halves[0] + insert + entry.halves[1]
            if info.compress_type == zipfile.ZIP_STORED:
                packed = content
            else:
                compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
                packed = compressor.compress(content) + compressor.flush()
            crc = zlib.crc32(content)
            name = info.filename.encode("utf-8")
            flags = info.flag_bits & ~0x08
            out.write(
                struct.pack(
                    "<4s2B4HL2L2H",
                    b"PK\x03\x04",
                    20,
                    0,
                    flags,
                    info.compress_type,
                    *_dos_time(info),
                    crc,
                    len(packed),
                    len(content),
                    len(name),
                    0,
                )
            )
            out.write(name)
            out.write(packed)
            central.append((info, crc, len(packed), len(content), offset))
        start = out.tell()
        for info, crc, csize, size, offset in central:
            name = info.filename.encode("utf-8")
            out.write(
                struct.pack(
                    "<4s4B4HL2L5H2L",
                    b"PK\x01\x02",
                    info.create_version,
                    info.create_system,
                    20,
                    0,
                    info.flag_bits & ~0x08,
                    info.compress_type,
                    *_dos_time(info),
                    crc,
                    csize,
                    size,
                    len(name),
                    0,
                    0,
                    0,
                    info.internal_attr,
                    info.external_attr,
                    offset,
                )
            )
            out.write(name)
        size = out.tell() - start
        n = len(central)
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, size, start, 0))
        data = out.getvalue()
        with open(target, "wb") as f:
            f.write(data)
        return hashlib.sha256(data).digest()


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    y, mo, d, h, mi, s = info.date_time
    return (h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d)


def _split(content: bytes, place) -> tuple[bytes, bytes] | None:
    """The document serialised once with a marker where the stamp goes, cut there."""
    root = etree.fromstring(content)
    if not place(root):
        return None
    doctype = b"<!DOCTYPE html>\n" if b"<!DOCTYPE html>" in content[:300] else b""
    body = etree.tostring(root, encoding="utf-8")
    text = b"<?xml version='1.0' encoding='utf-8'?>\n" + doctype + body
    marker = f"<!--{MARK}-->".encode()
    before, _, after = text.partition(marker)
    return before, after


def _copyright_marker(root: etree._Element) -> bool:
    for el in root.iter(f"{{{XHTML}}}section"):
        if "copyright-page" in (el.get(f"{{{OPS}}}type") or "").split():
            marker = etree.Comment(MARK)
            marker.tail = "\n"
            el.append(marker)
            return True
    return False


def _opf_marker(root: etree._Element) -> bool:
    metadata = root.find(f"{{{OPF}}}metadata")
    if metadata is None:
        return False
    last = metadata[-1] if len(metadata) else None
    marker = etree.Comment(MARK)
    if last is not None:
        marker.tail, last.tail = last.tail, (last.tail or "\n") + "  "
    metadata.append(marker)
    return True
