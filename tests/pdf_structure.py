"""Reading a tagged PDF's structure tree with the text each element marks (pikepdf).

The text of an element is the text of its marked-content sequences (``/MCID``), decoded with
the fonts' ``/ToUnicode`` maps, so a test can say "the header cell 'Skill' heads the data
cell 'Listening'" of the real file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name


def _to_unicode(font: pikepdf.Object) -> dict[bytes, str]:
    """Code (2 bytes, Identity-H as WeasyPrint writes) → text, from the font's /ToUnicode."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    found: dict[bytes, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            found[bytes.fromhex(code)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for start, end, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            first, base = int(start, 16), bytes.fromhex(text).decode("utf-16-be")
            for code in range(first, int(end, 16) + 1):
                found[code.to_bytes(len(start) // 2, "big")] = base[:-1] + chr(ord(base[-1]) + code - first)
    return found


def marked_texts(pdf: pikepdf.Pdf) -> dict[tuple[tuple[int, int], int], str]:
    """(page objgen, MCID) → the text shown inside that marked-content sequence."""
    texts: dict[tuple[tuple[int, int], int], str] = {}
    maps: dict[tuple[int, int], dict[bytes, str]] = {}
    for page in pdf.pages:
        fonts = page.obj.Resources.get("/Font", Dictionary())
        stack: list[int | None] = []
        cmap: dict[bytes, str] = {}
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "BDC":
                props = operands[1] if len(operands) > 1 else None
                stack.append(int(props.MCID) if isinstance(props, Dictionary) and "/MCID" in props else None)
            elif op == "BMC":
                stack.append(None)
            elif op == "EMC" and stack:
                stack.pop()
            elif op == "Tf":
                font = fonts[str(operands[0])]
                if font.objgen not in maps:
                    maps[font.objgen] = _to_unicode(font) if "/ToUnicode" in font else {}
                cmap = maps[font.objgen]
            elif op in ("TJ", "Tj") and stack and stack[-1] is not None:
                strings = operands[0] if op == "TJ" else [operands[0]]
                data = b"".join(bytes(s) for s in strings if isinstance(s, pikepdf.String))
                text = "".join(cmap.get(data[i : i + 2], "") for i in range(0, len(data), 2))
                key = (page.objgen, stack[-1])
                texts[key] = texts.get(key, "") + text
    return texts


def texts_by_marking(pdf: pikepdf.Pdf) -> list[dict[str, str]]:
    """Per page, the text shown inside marked content that is an ``artifact``, that is
    ``tagged`` (has an MCID) or neither (``untagged``), form XObjects followed (a background
    image is drawn in one)."""
    maps: dict[tuple[int, int], dict[bytes, str]] = {}

    def walk(
        stream: pikepdf.Object, resources: pikepdf.Object, stack: list[str], out: dict[str, str]
    ) -> None:
        fonts = resources.get("/Font", Dictionary())
        xobjects = resources.get("/XObject", Dictionary())
        cmap: dict[bytes, str] = {}
        for operands, operator in pikepdf.parse_content_stream(stream):
            op = str(operator)
            if op in ("BDC", "BMC"):
                props = operands[1] if op == "BDC" and len(operands) > 1 else None
                if str(operands[0]) == "/Artifact":
                    stack.append("artifact")
                elif isinstance(props, Dictionary) and "/MCID" in props:
                    stack.append("tagged")
                else:
                    stack.append(stack[-1] if stack else "untagged")
            elif op == "EMC" and stack:
                stack.pop()
            elif op == "Tf":
                font = fonts[str(operands[0])]
                if font.objgen not in maps:
                    maps[font.objgen] = _to_unicode(font) if "/ToUnicode" in font else {}
                cmap = maps[font.objgen]
            elif op in ("TJ", "Tj"):
                strings = operands[0] if op == "TJ" else [operands[0]]
                data = b"".join(bytes(s) for s in strings if isinstance(s, pikepdf.String))
                kind = stack[-1] if stack else "untagged"
                out[kind] += "".join(cmap.get(data[i : i + 2], "") for i in range(0, len(data), 2))
            elif op == "Do":
                form = xobjects.get(str(operands[0]))
                if form is not None and form.get("/Subtype") == Name.Form:
                    walk(form, form.get("/Resources", resources), list(stack), out)

    found = []
    for page in pdf.pages:
        out = {"artifact": "", "tagged": "", "untagged": ""}
        walk(page.obj, page.obj.Resources, [], out)
        found.append(out)
    return found


@dataclass
class Element:
    obj: pikepdf.Object
    role: str
    text: str
    kids: list[Element] = field(default_factory=list)

    @property
    def attributes(self) -> dict[str, object]:
        found: dict[str, object] = {}
        a = self.obj.get("/A")
        for d in a if isinstance(a, Array) else [a]:
            if isinstance(d, Dictionary):
                found.update({str(k)[1:]: v for k, v in d.items()})
        return found

    def walk(self) -> Iterator[Element]:
        yield self
        for kid in self.kids:
            yield from kid.walk()

    def find(self, role: str) -> list[Element]:
        return [e for e in self.walk() if e.role == role]


def structure(pdf: pikepdf.Pdf) -> Element:
    """The structure tree (from the document element), each element with its text."""
    texts = marked_texts(pdf)

    def build(obj: pikepdf.Object, page: object) -> Element:
        page = obj.get("/Pg", page)
        kids = obj.get("/K")
        element = Element(obj, str(obj.S), "")
        parts = []
        for kid in kids if isinstance(kids, Array) else [] if kids is None else [kids]:
            if isinstance(kid, int) or (
                isinstance(kid, pikepdf.Object) and kid._type_code == pikepdf.ObjectType.integer
            ):
                parts.append(texts.get((page.objgen, int(kid)), ""))
            elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
                parts.append(texts.get((kid.get("/Pg", page).objgen, int(kid.MCID)), ""))
            elif isinstance(kid, Dictionary) and "/S" in kid:
                child = build(kid, page)
                element.kids.append(child)
                parts.append(child.text)
        element.text = "".join(parts)
        return element

    return build(pdf.Root.StructTreeRoot.K[0], None)


def id_tree(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.StructTreeRoot.get("/IDTree", Dictionary()).get("/Names", Array())
    return {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
