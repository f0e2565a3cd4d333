"""The real handbook's EPUB: EPUBCheck's verdict, package metadata, navigation, languages,
notes and links."""

from __future__ import annotations

import posixpath
import zipfile

import pytest
from lxml import etree

from conftest import run_epubcheck

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@pytest.fixture(scope="module")
def epub(handbook):
    with zipfile.ZipFile(handbook.epub) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture(scope="module")
def opf(epub):
    return etree.fromstring(epub["EPUB/content.opf"])


@pytest.fixture(scope="module")
def docs(epub, opf):
    """Every XHTML document in the manifest, parsed, by its path inside the zip."""
    out = {}
    for item in opf.iterfind(".//opf:manifest/opf:item", NS):
        if item.get("media-type") == "application/xhtml+xml":
            name = posixpath.join("EPUB", item.get("href"))
            out[name] = etree.fromstring(epub[name])
    return out


def test_epubcheck_reports_no_errors_and_no_warnings(handbook):
    report = run_epubcheck(handbook.epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages


def test_zip_starts_with_stored_mimetype(handbook):
    with zipfile.ZipFile(handbook.epub) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"


def test_package_metadata(opf):
    meta = opf.find("opf:metadata", NS)
    assert opf.get(XML_LANG) == "en"
    assert meta.findtext("dc:title", namespaces=NS) == "The Medical Science Liaison Handbook"
    assert meta.findtext("dc:language", namespaces=NS) == "en"
    assert meta.findtext("dc:creator", namespaces=NS) == "Medical Affairs Training Team"
    assert meta.findtext("dc:date", namespaces=NS) == "2026-11-25"
    identifier = meta.find("dc:identifier", NS)
    assert identifier.get("id") == opf.get("unique-identifier")
    assert identifier.text.startswith("urn:uuid:")
    modified = meta.find("opf:meta[@property='dcterms:modified']", NS)
    assert modified.text == "2026-11-25T00:00:00Z"


def test_manifest_has_nav_ncx_cover_and_embedded_fonts(opf):
    items = {i.get("href"): i for i in opf.iterfind(".//opf:manifest/opf:item", NS)}
    assert items["text/nav.xhtml"].get("properties") == "nav"
    assert items["toc.ncx"].get("media-type") == "application/x-dtbncx+xml"
    assert "cover-image" in [i.get("properties") for i in items.values()]
    fonts = {h for h, i in items.items() if i.get("media-type", "").startswith("font/")}
    assert "styles/fonts/CharisSIL-Regular.ttf" in fonts and "styles/fonts/Inter-SemiBold.otf" in fonts
    assert opf.find("opf:spine", NS).get("toc") == items["toc.ncx"].get("id")


def test_nav_lists_every_chapter_and_landmarks(docs, opf):
    nav = docs["EPUB/text/nav.xhtml"]
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    entries = [a.text for a in toc.iterfind("x:ol/x:li/x:a", NS)]
    assert entries[0] == "Preface"
    assert "Chapter 3: Core Responsibilities and Skills" in entries
    assert entries[-3:] == ["Answers to the Review Questions", "Glossary", "Index"]
    landmarks = {a.get(EPUB_TYPE) for a in nav.iterfind(".//x:nav[@epub:type='landmarks']//x:a", NS)}
    assert {"cover", "toc", "bodymatter", "glossary", "index"} <= landmarks


def test_ncx_mirrors_the_chapters(epub):
    ncx = etree.fromstring(epub["EPUB/toc.ncx"])
    labels = [t.text for t in ncx.iterfind("ncx:navMap/ncx:navPoint/ncx:navLabel/ncx:text", NS)]
    assert labels[1] == "Chapter 1: Why the MSL Role Matters Now"
    assert len(labels) == 10 and labels[-1] == "Index"


def test_every_document_declares_its_language(docs):
    for name, root in docs.items():
        assert root.get("lang") == "en" and root.get(XML_LANG) == "en", name


def test_footnotes_are_asides_linked_both_ways(docs):
    notes = 0
    for root in docs.values():
        for ref in root.iterfind(".//x:a[@epub:type='noteref']", NS):
            target = ref.get("href").lstrip("#")
            aside = root.find(f".//x:aside[@id='{target}']", NS)
            assert aside is not None and aside.get(EPUB_TYPE) == "footnote"
            assert aside.get("role") == "doc-footnote"
            back = aside.find(".//x:a[@role='doc-backlink']", NS)
            assert back.get("href") == f"#{ref.get('id')}"
            first_text = aside.find("x:p", NS)
            assert first_text[0] is back  # the back link comes first
            notes += 1
    assert notes >= 2


def test_every_link_resolves_to_a_document_and_id(docs):
    ids = {name: {el.get("id") for el in root.iter() if el.get("id")} for name, root in docs.items()}
    checked = 0
    for name, root in docs.items():
        for a in root.iter("{http://www.w3.org/1999/xhtml}a"):
            href = a.get("href")
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            path, _, frag = href.partition("#")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) if path else name
            assert target in docs, (name, href)
            if frag:
                assert frag in ids[target], (name, href)
            checked += 1
    assert checked > 100


def test_cross_chapter_link_points_into_the_other_document(docs):
    intro = docs["EPUB/text/introduction.xhtml"]
    hrefs = [a.get("href") for a in intro.iter("{http://www.w3.org/1999/xhtml}a")]
    assert "msl-role.xhtml#fig-msl-bridge" in hrefs


def test_no_inline_styles(docs):
    for name, root in docs.items():
        assert not [el for el in root.iter() if el.get("style")], name


def test_accessibility_metadata_is_honest_about_images_without_alt_text(tmp_path):
    from msl_book.build import BuildOptions, build

    from conftest import make_book

    project = make_book(
        tmp_path, {"chapters/02-second.md": "---\ntitle: Second Chapter\n---\n![](../images/dot.svg)\n"}
    )
    result = build(project, BuildOptions(formats=("epub",), output=tmp_path / "out"))
    with zipfile.ZipFile(result.outputs[0].path) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    metas = [(m.get("property"), m.text) for m in opf.iterfind(".//opf:meta", NS)]
    assert ("schema:accessModeSufficient", "textual") not in metas
    assert ("schema:accessibilityFeature", "alternativeText") not in metas
    assert not [m for m in metas if m[0] == "dcterms:conformsTo"]


def test_accessibility_metadata_of_the_handbook(opf):
    metas = [(m.get("property"), m.text) for m in opf.iterfind(".//opf:meta", NS)]
    assert ("schema:accessMode", "textual") in metas and ("schema:accessMode", "visual") in metas
    assert ("schema:accessModeSufficient", "textual") in metas
    assert ("schema:accessibilityFeature", "alternativeText") in metas
    assert ("schema:accessibilityHazard", "none") in metas
    assert ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA") in metas


def test_links_in_questions_shown_in_the_answer_key_point_into_their_chapter(tmp_path):
    """The answer key repeats each question in its own document: a link in a question leads
    back into the question's chapter, not to an id the answer key does not have."""
    from msl_book.build import BuildOptions, build

    from conftest import make_book

    chapter = (
        "---\ntitle: Second Chapter\nquestions:\n"
        "  - question: What does [the alpha section](#sec-alpha) say?\n    answer: See [it](#sec-alpha).\n"
        "---\nText.\n"
    )
    project = make_book(tmp_path, {"chapters/02-second.md": chapter})
    result = build(project, BuildOptions(formats=("epub",), output=tmp_path / "out"))
    with zipfile.ZipFile(result.outputs[0].path) as z:
        answers = etree.fromstring(z.read("EPUB/text/answers.xhtml"))
        second = etree.fromstring(z.read("EPUB/text/second.xhtml"))
    hrefs = [a.get("href") for a in answers.iter(f"{{{NS['x']}}}a") if "alpha" in "".join(a.itertext())]
    assert hrefs == ["first.xhtml#sec-alpha"]
    links = [a.get("href") for a in second.iter(f"{{{NS['x']}}}a") if "alpha" in "".join(a.itertext())]
    assert links == ["first.xhtml#sec-alpha"]
    assert [a.get("href") for a in answers.iter(f"{{{NS['x']}}}a") if a.text == "it"] == [
        "first.xhtml#sec-alpha"
    ]
