"""The CSL style: one of the four that msl-book ships, by name, or a project's own file."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from ..errors import Report
from ..paths import is_inside

CSL_NS = "http://purl.org/net/xbiblio/csl"
STYLES_DIR = Path(__file__).parent / "styles"
STYLES = {
    "ama": "american-medical-association.csl",
    "vancouver": "nlm-citation-sequence.csl",
    "apa": "apa.csl",
    "chicago-author-date": "chicago-author-date.csl",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def resolve(root: Path, name: str, report: Report, line: int | None) -> Path | None:
    """The style file for book.yaml's ``csl:``; None (reported) when it cannot be used."""
    if name in STYLES:
        return STYLES_DIR / STYLES[name]
    if not name.endswith(".csl"):
        names = ", ".join(f"'{n}'" for n in STYLES)
        report.error(f"'csl' must be {names} or the path of a .csl file, not '{name}'", "book.yaml", line)
        return None
    path = (root / name).resolve()
    if not is_inside(path, root):
        report.error(f"csl style is outside the project directory: {name}", "book.yaml", line)
        return None
    if not path.is_file():
        report.error(f"csl style not found: {name}", "book.yaml", line)
        return None
    problem = style_problem(path)
    if problem is not None:
        report.error(problem[1], name, problem[0])
        return None
    return path


def style_problem(path: Path) -> tuple[int, str] | None:
    """(line, message) if ``path`` is not an independent, in-text CSL style."""
    try:
        root = etree.parse(str(path), _PARSER).getroot()
    except etree.XMLSyntaxError as exc:
        return exc.lineno or 0, f"not a CSL style: the XML does not parse ({exc.msg})"
    if root.tag != f"{{{CSL_NS}}}style":
        return root.sourceline or 0, "not a CSL style: its root element must be <style> in the CSL namespace"
    if root.find(f"{{{CSL_NS}}}citation") is None:
        parent = root.find(f"{{{CSL_NS}}}info/{{{CSL_NS}}}link[@rel='independent-parent']")
        if parent is not None:
            return parent.sourceline or 0, (
                f"a dependent CSL style (it only names its parent, {parent.get('href')}): "
                "use the parent style's file instead"
            )
        return root.sourceline or 0, "not a CSL style: it has no <citation> element"
    if root.get("class") == "note":
        return root.sourceline or 0, (
            "a note style (citations in footnotes) is not supported yet: use an in-text style"
        )
    return None


def for_pandoc(path: Path) -> bytes:
    """The style as pandoc should read it.

    pandoc 3.9's citeproc puts a ``<label>`` before the names when ``<names>`` has no
    ``<name>`` child (AMA's editors came out as ", eds.Strom BL, Kimmel SE"); the CSL
    specification says the names then take their default form, before the label. An
    explicit ``<name/>`` says the same, and pandoc renders it right
    (docs/upstream/citeproc-label-without-name.md).
    """
    tree = etree.parse(str(path), _PARSER)
    for names in tree.getroot().iter(f"{{{CSL_NS}}}names"):
        label = names.find(f"{{{CSL_NS}}}label")
        if label is not None and names.find(f"{{{CSL_NS}}}name") is None:
            name = etree.Element(f"{{{CSL_NS}}}name")
            name.tail = label.tail
            label.addprevious(name)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")
