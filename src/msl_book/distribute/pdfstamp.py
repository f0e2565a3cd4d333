"""Stamp the built PDF for each trainee without laying anything out again.

The book is opened once. Every page gets two small content streams shared by all pages:
one that saves the graphics state before the page's own content, one that restores it and
draws a form XObject at the foot inside ``/Artifact … BDC … EMC``, so the tagged structure
(and PDF/UA) is unchanged; the copyright page also draws a second XObject at its head. The
stamp's font is embedded once, subset to the characters of every stamp of the run. A copy
then only changes the two XObjects' text, the XMP metadata and the trailer's /ID before
being saved: about 40 ms for the 46-page handbook.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import secrets
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

FOOT_SIZE = 6.5  # pt: the stamp at the foot of every page
HEAD_SIZE = 8.5  # pt: the copyright page's notice
FOOT_Y = 22.0  # baseline, pt above the trim box's bottom (the folio sits higher)
HEAD_DROP = 40.0  # baseline of the copyright page's notice, pt below the trim box's top
GREY = "0.35 g"
FOOT = "MslStampFoot"
HEAD = "MslStampHead"


@dataclass(frozen=True)
class Permissions:
    print: bool = True
    copy: bool = False
    modify: bool = False

    def pikepdf(self) -> pikepdf.Permissions:
        # PDF/UA: assistive technology must always be able to read the text.
        return pikepdf.Permissions(
            accessibility=True,
            extract=self.copy,
            modify_annotation=self.modify,
            modify_assembly=self.modify,
            modify_form=self.modify,
            modify_other=self.modify,
            print_lowres=self.print,
            print_highres=self.print,
        )


class StampFont:
    """One font file, subset to the characters it has to draw, embedded as a Type0 font."""

    def __init__(self, file: Path):
        from fontTools.ttLib import TTFont

        self.file = file
        with TTFont(str(file), lazy=True, fontNumber=0) as font:
            self.cmap = dict(font.getBestCmap() or {})
        self.chars: set[int] = set()

    def has(self, text: str) -> bool:
        """Whether the font can draw ``text``."""
        return all(ord(c) in self.cmap for c in text)

    def embeds(self, text: str) -> bool:
        """Whether the embedded subset has ``text``'s characters (those of use())."""
        return all(ord(c) in self.chars for c in text)

    def use(self, text: str) -> None:
        self.chars.update(ord(c) for c in text)

    @cached_property
    def _subset(self) -> tuple[bytes, dict[int, int], dict[int, int], dict, bool, str]:
        from fontTools import subset
        from fontTools.ttLib import TTFont

        font = TTFont(str(self.file), recalcTimestamp=False, fontNumber=0)
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        options.desubroutinize = True
        options.notdef_outline = True
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.drop_tables += ["Silf", "Silt", "Glat", "Gloc", "Feat", "Sill"]  # Graphite: not for PDF
        sub = subset.Subsetter(options)
        sub.populate(unicodes=sorted(self.chars | {0x20}))
        logger = logging.getLogger("fontTools")
        level = logger.level
        logger.setLevel(logging.ERROR)  # "table NOT subset; dropped" is no news to the user
        try:
            sub.subset(font)
        finally:
            logger.setLevel(level)
        upem = font["head"].unitsPerEm
        cmap = font.getBestCmap() or {}
        gids = {code: font.getGlyphID(name) for code, name in cmap.items()}
        hmtx = font["hmtx"]
        widths = {font.getGlyphID(name): round(hmtx[name][0] * 1000 / upem) for name in font.getGlyphOrder()}
        head, hhea = font["head"], font["hhea"]
        metrics = {
            "bbox": [round(v * 1000 / upem) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
            "ascent": round(hhea.ascent * 1000 / upem),
            "descent": round(hhea.descent * 1000 / upem),
            "cap": round(getattr(font.get("OS/2"), "sCapHeight", 0) * 1000 / upem) or 700,
        }
        cff = "CFF " in font
        ps = re.sub(r"[^A-Za-z0-9-]", "", font["name"].getDebugName(6) or self.file.stem) or "Font"
        out = io.BytesIO()
        font.save(out)
        return out.getvalue(), gids, widths, metrics, cff, ps

    def width(self, text: str, size: float) -> float:
        _, gids, widths, *_ = self._subset
        return sum(widths.get(gids.get(ord(c), 0), 0) for c in text) * size / 1000

    def encode(self, text: str) -> str:
        _, gids, *_ = self._subset
        return "".join(f"{gids.get(ord(c), 0):04X}" for c in text)

    def embed(self, pdf: pikepdf.Pdf) -> pikepdf.Object:
        data, gids, widths, metrics, cff, ps = self._subset
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(data).digest()[:6])
        name = Name(f"/{tag}+{ps}")
        program = Stream(pdf, b"")
        program.write(zlib.compress(data, 9), filter=Name.FlateDecode)  # the copies are saved uncompressed
        if cff:
            program.Subtype = Name.OpenType
        descriptor = Dictionary(
            Type=Name.FontDescriptor,
            FontName=name,
            Flags=32,
            FontBBox=Array(metrics["bbox"]),
            ItalicAngle=0,
            Ascent=metrics["ascent"],
            Descent=metrics["descent"],
            CapHeight=metrics["cap"],
            StemV=80,
        )
        descriptor[Name.FontFile3 if cff else Name.FontFile2] = pdf.make_indirect(program)
        w = Array()
        for gid in sorted(widths):
            w.extend([gid, Array([widths[gid]])])
        cid = Dictionary(
            Type=Name.Font,
            Subtype=Name.CIDFontType0 if cff else Name.CIDFontType2,
            BaseFont=name,
            CIDSystemInfo=Dictionary(Registry=String("Adobe"), Ordering=String("Identity"), Supplement=0),
            FontDescriptor=pdf.make_indirect(descriptor),
            W=w,
            DW=1000,
        )
        if not cff:
            cid.CIDToGIDMap = Name.Identity
        font = Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=name,
            Encoding=Name("/Identity-H"),
            DescendantFonts=Array([pdf.make_indirect(cid)]),
            ToUnicode=pdf.make_indirect(_flate(pdf, _to_unicode(gids))),
        )
        return pdf.make_indirect(font)


def _flate(pdf: pikepdf.Pdf, data: bytes) -> Stream:
    stream = Stream(pdf, b"")
    stream.write(zlib.compress(data, 9), filter=Name.FlateDecode)
    return stream


def _to_unicode(gids: dict[int, int]) -> bytes:
    pairs = sorted((gid, code) for code, gid in gids.items())
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    seen: set[int] = set()
    unique = [(g, c) for g, c in pairs if not (g in seen or seen.add(g))]
    for i in range(0, len(unique), 100):
        chunk = unique[i : i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04X}> <{chr(c).encode('utf-16-be').hex().upper()}>" for g, c in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CIDFont defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


@dataclass(frozen=True)
class Encryption:
    password: str
    permissions: Permissions


class PdfStamper:
    """The built PDF, opened once and prepared for stamping; ``copy()`` writes one copy."""

    def __init__(self, source: Path, fonts: list[StampFont]):
        self.pdf = pikepdf.open(source)
        self.fonts = fonts
        pdf = self.pdf
        resources = Dictionary(Font=Dictionary({f"/F{i}": font.embed(pdf) for i, font in enumerate(fonts)}))
        resources = pdf.make_indirect(resources)

        def form() -> pikepdf.Object:
            xobject = Stream(pdf, b"")
            xobject.Type = Name.XObject
            xobject.Subtype = Name.Form
            xobject.Resources = resources
            return pdf.make_indirect(xobject)

        self.foot, self.head = form(), form()
        self.copyright_page = _copyright_page(pdf)
        save = pdf.make_indirect(Stream(pdf, b"q\n"))
        streams: dict[tuple, pikepdf.Object] = {}
        for index, page in enumerate(pdf.pages):
            box = [float(v) for v in page.obj.get("/TrimBox", page.mediabox)]
            width = box[2] - box[0]
            self.foot.BBox = Array([-width, -FOOT_SIZE, width, FOOT_SIZE * 2])
            self.head.BBox = Array([0, -HEAD_SIZE * 3, width, HEAD_SIZE * 2])
            ops = (
                "Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n"
                f"q 1 0 0 1 {box[0] + width / 2:.3f} {box[1] + FOOT_Y:.3f} cm /{FOOT} Do Q\nEMC\n"
            )
            if index == self.copyright_page:
                left = _left_edge(pdf, box[0] + width * 0.15)
                ops += (
                    "/Artifact <</Type /Pagination /Subtype /Header>> BDC\n"
                    f"q 1 0 0 1 {left:.3f} {box[3] - HEAD_DROP:.3f} cm /{HEAD} Do Q\nEMC\n"
                )
            key = (ops,)
            if key not in streams:
                streams[key] = pdf.make_indirect(Stream(pdf, ops.encode("ascii")))
            contents = page.obj.get("/Contents")
            own = (
                list(contents)
                if isinstance(contents, Array)
                else ([contents] if contents is not None else [])
            )
            page.obj.Contents = Array([save, *own, streams[key]])
            page_resources = page.obj.get("/Resources")
            if page_resources is None:
                page.obj.Resources = page_resources = Dictionary()
            if "/XObject" not in page_resources:
                page_resources.XObject = Dictionary()
            page_resources.XObject[f"/{FOOT}"] = self.foot
            page_resources.XObject[f"/{HEAD}"] = self.head
        metadata = pdf.Root.get("/Metadata")
        xmp = bytes(metadata.read_bytes()) if metadata is not None else _EMPTY_XMP
        if b"</rdf:RDF>" not in xmp:
            xmp = _EMPTY_XMP
        urn = f"urn:uuid:{SENTINEL_ID}"
        ids = (
            '<rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">'
            f"<xmpMM:DocumentID>{urn}</xmpMM:DocumentID><xmpMM:InstanceID>{urn}</xmpMM:InstanceID>"
            "</rdf:Description>"
        ).encode("ascii")
        stream = Stream(pdf, xmp.replace(b"</rdf:RDF>", ids + b"</rdf:RDF>", 1))
        stream.Type, stream.Subtype = Name.Metadata, Name.XML
        self.metadata = pdf.make_indirect(stream)
        pdf.Root.Metadata = self.metadata
        self._template: _Template | None = None

    def prepare(self, stamps: list[tuple[str, str]]) -> None:
        """Save the stamped book once with placeholders as long as the longest stamp's
        drawing needs; a copy is then those bytes with its own text written over them."""
        foot = max((len(self._foot(s)) for s, _ in stamps), default=0) + 32
        head = max((len(self._head(s, n)) for s, n in stamps), default=0) + 32
        # Deflate's stored blocks: qpdf leaves Flate streams as they are, and a stored block's
        # length does not depend on the text, so a copy's text fits where the placeholder was
        # (qpdf never compresses the XMP either).
        self.foot.write(_placeholder(FOOT_MARK, foot), filter=Name.FlateDecode)
        self.head.write(_placeholder(HEAD_MARK, head), filter=Name.FlateDecode)
        raw = bytes.fromhex(SENTINEL_ID.replace("-", ""))
        self.pdf.trailer.ID = Array([String(raw), String(raw)])
        out = io.BytesIO()
        self.pdf.save(
            out,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
            deterministic_id=True,
        )
        self._template = _Template(out.getvalue(), foot, head)

    def _text(self, text: str, size: float, x: str) -> str:
        font_index = next(i for i, f in enumerate(self.fonts) if f.embeds(text) and f.has(text))
        font = self.fonts[font_index]
        width = font.width(text, size)
        dx = -width / 2 if x == "centre" else 0
        # on a white ground, so that it reads on a dark cover too
        ground = f"q 1 g {dx - 3:.3f} {-size * 0.4:.3f} {width + 6:.3f} {size * 1.5:.3f} re f Q\n"
        return ground + f"BT /F{font_index} {size} Tf {GREY} {dx:.3f} 0 Td <{font.encode(text)}> Tj ET\n"

    def _foot(self, stamp: str) -> bytes:
        return self._text(stamp, FOOT_SIZE, "centre").encode("ascii")

    def _head(self, stamp: str, notice: str) -> bytes:
        head = self._text(stamp, HEAD_SIZE, "left") + f"q 1 0 0 1 0 {-HEAD_SIZE * 1.5} cm\n"
        head += self._text(notice, HEAD_SIZE * 0.8, "left") + "Q\n"
        return head.encode("ascii")

    def copy(
        self, target: Path, stamp: str, notice: str, copy_id: str, encryption: Encryption | None
    ) -> bytes:
        """The copy for one trainee, written to ``target``; returns its bytes' SHA-256."""
        foot, head = self._foot(stamp), self._head(stamp, notice)
        if encryption is None and self._template is not None:
            data = self._template.fill(foot, head, copy_id)
            with open(target, "wb") as f:
                f.write(data)
            return hashlib.sha256(data).digest()
        self.foot.write(foot)
        self.head.write(head)
        urn = f"urn:uuid:{copy_id}".encode("ascii")
        self.metadata.write(self.metadata.read_bytes().replace(f"urn:uuid:{SENTINEL_ID}".encode(), urn))
        raw = bytes.fromhex(copy_id.replace("-", ""))
        self.pdf.trailer.ID = Array([String(raw), String(raw)])
        out = io.BytesIO()
        try:
            self.pdf.save(
                out,
                encryption=pikepdf.Encryption(
                    owner=secrets.token_urlsafe(24),  # nobody can lift the restrictions
                    user=encryption.password if encryption else "",
                    R=6,
                    allow=(encryption.permissions if encryption else Permissions()).pikepdf(),
                )
                if encryption
                else False,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,  # 15 % faster to encrypt
            )
        finally:
            self.metadata.write(self.metadata.read_bytes().replace(urn, f"urn:uuid:{SENTINEL_ID}".encode()))
        data = out.getvalue()
        with open(target, "wb") as f:
            f.write(data)
        return hashlib.sha256(data).digest()

    def close(self) -> None:
        self.pdf.close()


SENTINEL_ID = "8a1d6f3e-52c4-5b7e-9f10-6d5e1c0ffee0"  # stands for the copy's id until a copy is made


FOOT_MARK = b"%MSL-FOOT"
HEAD_MARK = b"%MSL-HEAD"


def _placeholder(text: bytes, size: int) -> bytes:
    """``text`` padded with blanks to ``size`` bytes, deflated as one stored block."""
    return zlib.compress(text + b" " * (size - len(text) - 1) + b"\n", 0)


class _Template:
    """The saved book with its placeholders' places: a copy is a few slices."""

    def __init__(self, data: bytes, foot: int, head: int):
        self.data = data
        self.foot = (_only(data, _placeholder(FOOT_MARK, foot)), foot)
        self.head = (_only(data, _placeholder(HEAD_MARK, head)), head)
        text = SENTINEL_ID.encode()
        self.ids = [m.start() for m in re.finditer(re.escape(text), data)]
        # the trailer's /ID [<first><second>]: qpdf keeps our first and makes the second
        self.raw = [m.start() for m in re.finditer(text.replace(b"-", b""), data, re.IGNORECASE)]
        if len(self.raw) == 1 and re.fullmatch(
            rb"><[0-9a-fA-F]{32}>", data[self.raw[0] + 32 : self.raw[0] + 67]
        ):
            self.raw.append(self.raw[0] + 34)
        if len(self.ids) != 2 or len(self.raw) != 2:
            raise RuntimeError(f"the copy id's placeholders were not found ({self.ids}, {self.raw})")

    def fill(self, foot: bytes, head: bytes, copy_id: str) -> bytes:
        data = bytearray(self.data)
        for (at, size), text in ((self.foot, foot), (self.head, head)):
            if len(text) >= size:
                raise ValueError("a stamp is longer than the space prepared for it")
            block = _placeholder(text, size)
            data[at : at + len(block)] = block
        for at in self.ids:
            data[at : at + 36] = copy_id.encode("ascii")
        hexed = copy_id.replace("-", "").encode("ascii")
        for at in self.raw:
            upper = data[at : at + 32].isupper()
            data[at : at + 32] = hexed.upper() if upper else hexed
        return bytes(data)


def _only(data: bytes, marker: bytes) -> int:
    at = data.find(marker)
    if at < 0 or data.find(marker, at + 1) >= 0:
        raise RuntimeError("a stamp's placeholder must be in the prepared PDF once")
    return at


_EMPTY_XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
)


def _copyright_page(pdf: pikepdf.Pdf) -> int | None:
    """The page of the ``copyright`` destination (the copyright section's id)."""
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return None
    tree = pikepdf.NameTree(names.Dests)
    dest = tree.get("copyright")
    if dest is None:
        return None
    if isinstance(dest, Dictionary):
        dest = dest.D
    page = dest[0]
    for index, candidate in enumerate(pdf.pages):
        if candidate.obj.objgen == page.objgen:
            return index
    return None


def _left_edge(pdf: pikepdf.Pdf, default: float) -> float:
    """Where the copyright page's text starts: its destination's x, else a margin."""
    names = pdf.Root.get("/Names")
    dest = pikepdf.NameTree(names.Dests).get("copyright") if names is not None else None
    if isinstance(dest, Dictionary):
        dest = dest.D
    try:
        return float(dest[2])
    except (TypeError, IndexError, ValueError):
        return default
