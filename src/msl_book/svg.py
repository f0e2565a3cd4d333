"""What an SVG image may contain: it is copied into the EPUB as it is and drawn by WeasyPrint,
so it may not pull in other files or run scripts. Editors' metadata (Inkscape, Sodipodi,
RDF) and bitmaps embedded as data: URLs are fine; an attribute is an event handler only if
it is one (not because its name starts with "on")."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from .markdown.safety import EVENT_HANDLERS

EMBEDDED = ("data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp")


def svg_problems(path: Path) -> list[str]:
    """Why the SVG at ``path`` cannot be used (none: it can)."""
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed SVG ({exc.msg})"]
    problems = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.endswith("}script") or el.tag.endswith("}foreignObject"):
            problems.append(f"<{el.tag.rsplit('}', 1)[-1]}> is not allowed in images")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if local == "href" and not value.startswith(("#", *EMBEDDED)):
                shown = value if len(value) <= 60 else value[:57] + "..."
                problems.append(f"references another file ({shown}); embed it or draw it in the SVG")
            if local.lower() in EVENT_HANDLERS:
                problems.append(f"event handler '{local}' is not allowed")
    return sorted(set(problems))
