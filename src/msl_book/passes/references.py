"""Pass: check every link and image against the book and the project; links to another
chapter's file (``02-role.md#x``) become links to the id they name (``#x``), and a link to a
file that is not part of the book (slides, a spreadsheet) keeps its text, with a warning.

Images must be files inside the project in a format both outputs can show; each image
element gets the file's project path (``data-src``), from which each renderer makes its URL.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..document import BookModel, Section
from ..errors import Report
from ..paths import IMAGE_TYPES, is_inside, is_remote, relative, resolve_reference
from ..svg import svg_problems
from ..xhtml import q

EXTERNAL_SCHEMES = {"http", "https", "mailto", "tel"}


def run(model: BookModel, report: Report) -> None:
    by_file = {s.source.chapter.file.resolve(): s.id for s in model.authored}
    for section in model.authored:
        images: dict[str, str] = {}  # src as written -> project path
        for parsed in section.source.texts():
            for ref in parsed.refs:
                if ref.kind == "image":
                    if (
                        rel := _check_image(model, section, ref.target, ref.text, ref.line, report)
                    ) is not None:
                        images[ref.target] = rel
                else:
                    _check_link(model, section, ref.target, ref.line, by_file, report)
        rewrites = _chapter_file_links(model, section, by_file)
        unlinked = {
            ref.target
            for parsed in section.source.texts()
            for ref in parsed.refs
            if ref.kind == "link" and _outside_file(ref.target, section, by_file)
        }
        for fragment in section.fragments():
            for a in list(fragment.root.iter(q("a"))):
                href = a.get("href", "")
                if href in rewrites:
                    a.set("href", rewrites[href])
                elif href in unlinked:
                    a.tag = q("span")  # its text stays; there is nothing in the book to go to
                    a.attrib.clear()
                    a.set("class", "unlinked")
            for img in fragment.root.iter(q("img")):
                if (rel := images.get(img.get("src", ""))) is not None:
                    img.set("data-src", rel)


def _check_link(
    model: BookModel, section: Section, href: str, line: int, by_file: dict[Path, str], report: Report
) -> None:
    path = section.path
    parts = urlsplit(href)
    if parts.scheme:
        if parts.scheme.lower() not in EXTERNAL_SCHEMES:
            report.error(f"link scheme '{parts.scheme}:' is not allowed: {href}", path, line)
        return
    if href.startswith("//"):
        report.error(f"link needs a scheme (https://): {href}", path, line)
        return
    fragment = unquote(parts.fragment)  # as markdown-it wrote it: #qualit%C3%A9
    if not parts.path:
        if not _known(model, fragment) and model.book.complete:
            report.error(f"broken link: no chapter, heading or element has id '{fragment}'", path, line)
        return
    target = (section.source.chapter.file.parent / unquote(parts.path)).resolve()
    if target not in by_file:
        if not model.book.complete and target.suffix.lower() == ".md":
            return  # most likely the chapter that could not be read, which is reported already
        missing = is_inside(target, model.book.root) and not target.exists()
        what = "a file that does not exist" if missing else "a file that is not a chapter of this book"
        report.warning(f"link to {parts.path}, {what}: its text is kept, without the link", path, line)
    elif fragment and not _known(model, fragment):
        report.error(f"broken link: no element has id '{fragment}'", path, line)


def _known(model: BookModel, fragment: str) -> bool:
    return fragment in model.targets or fragment in model.id_aliases


def _resolved(model: BookModel, fragment: str) -> str:
    """The id a link's fragment names: itself, or the heading pandoc would have given it to."""
    fragment = unquote(fragment)
    return fragment if fragment in model.targets else model.id_aliases.get(fragment, fragment)


def _outside_file(href: str, section: Section, by_file: dict[Path, str]) -> bool:
    parts = urlsplit(href)
    if parts.scheme or href.startswith("//") or not parts.path:
        return False
    return (section.source.chapter.file.parent / unquote(parts.path)).resolve() not in by_file


def _chapter_file_links(model: BookModel, section: Section, by_file: dict[Path, str]) -> dict[str, str]:
    """'02-role.md#x' -> '#x' and '02-role.md' -> '#msl-role'; a fragment written as pandoc
    would have named a heading, '#qualité-des-données', -> that heading's id."""
    rewrites: dict[str, str] = {}
    for parsed in section.source.texts():
        for ref in parsed.refs:
            parts = urlsplit(ref.target)
            if ref.kind != "link" or parts.scheme:
                continue
            if not parts.path:
                if parts.fragment and (real := _resolved(model, parts.fragment)) != parts.fragment:
                    rewrites[ref.target] = f"#{real}"
                continue
            target = (section.source.chapter.file.parent / unquote(parts.path)).resolve()
            if target in by_file:
                fragment = _resolved(model, parts.fragment) if parts.fragment else by_file[target]
                rewrites[ref.target] = f"#{fragment}"
    return rewrites


def _check_image(
    model: BookModel, section: Section, src: str, alt: str, line: int, report: Report
) -> str | None:
    """The image's project path, or None when it cannot be used."""
    root, path_shown = model.book.root, section.path
    if is_remote(src):
        scheme = urlsplit(src).scheme.lower()
        why = {"file": "a file: URL", "data": "a data: URL"}.get(scheme, "a URL")
        report.error(
            f"image {src[:60]}: {why} cannot be used; copy the image into the project and give its path",
            path_shown,
            line,
        )
        return None
    path, problem = resolve_reference(src, section.source.chapter.file.parent, root)
    if problem or path is None:
        report.error(f"image {src}: {problem}", path_shown, line)
        return None
    if path.suffix.lower() not in IMAGE_TYPES:
        report.error(f"image {src}: use PNG, JPEG, GIF, WebP or SVG", path_shown, line)
        return None
    rel = relative(path, root)
    if not alt.strip():
        model.images_without_alt.add(rel)
        report.warning(
            f"image {src} has no alt text: describe it for readers who cannot see it", path_shown, line
        )
    if path.suffix.lower() == ".svg":
        for problem in svg_problems(path):
            report.error(f"image {src}: {problem}", path_shown, line)
    model.images[rel] = path
    model.image_uses.setdefault(rel, (path_shown, line))
    return rel
