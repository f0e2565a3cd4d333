"""What an SVG image may contain: it is copied into the EPUB as it is and drawn by WeasyPrint,
so it may not pull in other files or run scripts."""

from __future__ import annotations

from pathlib import Path

from lxml import etree


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
            if name.endswith("href") and not value.startswith("#"):
                problems.append(f"references another file ({value}); embed it or draw it in the SVG")
            if name.startswith("on"):
                problems.append(f"event handler '{name}' is not allowed")
    return sorted(set(problems))
