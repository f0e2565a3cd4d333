"""Citations and bibliographies: pandoc's syntax, rendered by pandoc's citeproc in AMA (the
default), Vancouver and APA, per chapter and per book, linked both ways in the EPUB and the
PDF, and every mistake reported at its line.

The fixture (tests/fixtures/citations) is a short pharmacovigilance course citing 24 real
sources from a CSL-JSON, a BibTeX and a RIS file. The expected strings were checked by hand
against the AMA Manual of Style (11th ed.) rules: up to six authors listed, seven or more as
the first three and "et al."; superscript numbers in order of first citation, ranges
collapsed (1–3,5); journal abbreviations as given; "doi:" without a URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from msl_book.build import BuildOptions, build
from msl_book.citations import pandoc, styles
from msl_book.errors import Report
from msl_book.markdown import shared_markdown

from conftest import FIXTURES, ROOT, make_book, run_cli, run_epubcheck

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
CH1 = "chapters/01-adverse-reactions.md"
CH2 = "chapters/02-causality.md"


def _items(text: str) -> list[list[tuple[str, str, str, str]]]:
    parsed = shared_markdown().parse_body(text, "x.md", 1, Report())
    return [
        [(i["key"], i["mode"], i["prefix"], i["suffix"]) for i in tok.meta["items"]]
        for tok in parsed.citations
    ]


SYNTAX = [
    "One [@naranjo1981]. Two [@evans2001; @edwards2000, p. 33].",
    "[see @a, pp. 33-35; also @b, chap. 1]",
    "@smith2020 says [-@smith2020] and @a [p. 3] too.",
    "Mail me@example.org, see `@code` and \\@escaped.",
    "Link [@a](https://example.org) and span [@b]{.c}.",
    "@Foo_bar.baz. ends a sentence; @a--b; @{a.b.} braced; @a:b/c and @1abc and @_x",
    "[@a; x] is no citation list, [foo] no citation",
    'x-@a after a hyphen, *@a* in emphasis, "@a" in quotes',
]


@pytest.mark.parametrize("text", SYNTAX)
def test_citation_syntax_reads_as_pandoc_reads_it(text):
    """Our parser finds the same citations, with the same keys, modes, prefixes and
    suffixes, as pandoc's own Markdown reader."""
    proc = subprocess.run(
        [str(pandoc.pandoc_path()), "-f", "markdown-example_lists", "-t", "json"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    theirs: list[list[tuple[str, str, str, str]]] = []

    def plain(inlines):
        out = []
        for node in inlines:
            if node["t"] == "Str":
                out.append(node["c"].replace("\u00a0", " "))
            elif node["t"] == "Space":
                out.append(" ")
            elif node["t"] in ("Emph", "Strong"):
                out.append(plain(node["c"]))
        return "".join(out)

    def walk(node):
        if isinstance(node, dict):
            if node.get("t") == "Cite":
                theirs.append(
                    [
                        (
                            c["citationId"],
                            c["citationMode"]["t"],
                            plain(c["citationPrefix"]),
                            plain(c["citationSuffix"]),
                        )
                        for c in node["c"][0]
                    ]
                )
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(proc.stdout)["blocks"])
    assert _items(text) == theirs


def test_citation_lines_are_the_lines_they_are_written_on():
    parsed = shared_markdown().parse_body("Text\n[see\n@a] after\n@b and `@c`\n", "x.md", 10, Report())
    assert [(t.meta["items"][0]["key"], t.meta["line"]) for t in parsed.citations] == [("a", 11), ("b", 13)]


def _texts(epub: Path) -> dict[str, dict[str, list]]:
    """Per EPUB document: the citations' texts and the entries' texts, in order."""
    out: dict[str, dict[str, list]] = {}
    with zipfile.ZipFile(epub) as z:
        for name in sorted(n for n in z.namelist() if n.endswith(".xhtml")):
            root = etree.fromstring(z.read(name))
            cites = root.xpath("//x:*[contains(concat(' ', @class, ' '), ' citation ')]", namespaces=NS)
            entries = root.xpath("//x:li[contains(@class, 'csl-entry')]", namespaces=NS)
            if cites or entries:
                out[name.rsplit("/", 1)[-1]] = {
                    "cites": ["".join(c.itertext()) for c in cites],
                    "entries": [" ".join("".join(e.itertext()).split()) for e in entries],
                }
    return out


def _built(tmp_path_factory, name: str, extra: str = "", formats=("pdf", "epub")):
    project = tmp_path_factory.mktemp(name) / "book"
    shutil.copytree(FIXTURES / "citations", project)
    if extra:
        with (project / "book.yaml").open("a", encoding="utf-8") as f:
            f.write(extra)
    result = build(project, BuildOptions(output=project / "out", formats=formats))
    return {o.format: o.path for o in result.outputs} | {"warnings": result.warnings}


@pytest.fixture(scope="module")
def ama(tmp_path_factory):
    return _built(tmp_path_factory, "ama")


@pytest.fixture(scope="module")
def ama_book(tmp_path_factory):
    return _built(tmp_path_factory, "ama-book", "references: book\n")


AMA_CH1_CITES = ["1(p1255)", "2", "3", "1", "2", "3", "2", "4,5", "1–3,5", "1–3", "3", "1(pp1256-1257)"]
AMA_CH1_ENTRIES = [
    "1. Edwards IR, Aronson JK. Adverse drug reactions: definitions, diagnosis, and management. "
    "Lancet. 2000;356(9237):1255-1259. doi:10.1016/S0140-6736(00)02799-9 ↑ a b c d e",
    "2. Lazarou J, Pomeranz BH, Corey PN. Incidence of adverse drug reactions in hospitalized patients: "
    "a meta-analysis of prospective studies. JAMA. 1998;279(15):1200-1205. doi:10.1001/jama.279.15.1200 "
    "↑ a b c d e",
    "3. Pirmohamed M, James S, Meakin S, et al. Adverse drug reactions as cause of admission to hospital: "
    "prospective analysis of 18 820 patients. BMJ. 2004;329(7456):15-19. doi:10.1136/bmj.329.7456.15 "
    "↑ a b c d e f",
    "4. Onakpoya IJ, Heneghan CJ, Aronson JK. Post-marketing withdrawal of 462 medicinal products because "
    "of adverse drug reactions: a systematic review of the world literature. BMC Med. 2016;14:10. "
    "doi:10.1186/s12916-016-0553-2 ↑",
    "5. Wysowski DK, Swartz L. Adverse drug event surveillance and drug withdrawals in the United States, "
    "1969–2002: The importance of reporting suspected reactions. Arch Intern Med. 2005;165(12):1363-1369. "
    "doi:10.1001/archinte.165.12.1363 ↑ a b",
]
AMA_CAUSALITY_ENTRIES = [
    "1. Naranjo CA, Busto U, Sellers EM, et al. A method for estimating the probability of adverse drug "
    "reactions. Clin Pharmacol Ther. 1981;30(2):239-245. doi:10.1038/clpt.1981.154 ↑ a b c d",
    "2. Hill AB. The environment and disease: association or causation? Proc R Soc Med. "
    "1965;58(5):295-300. doi:10.1177/003591576505800503 ↑ a b c",
    "3. Strom BL. What is pharmacoepidemiology? In: Strom BL, Kimmel SE, Hennessy S, eds. "
    "Pharmacoepidemiology. 6th ed. Wiley-Blackwell; 2019. ↑",
    "4. Strom BL, Kimmel SE, Hennessy S, eds. Pharmacoepidemiology. 6th ed. Wiley-Blackwell; 2019. ↑",
]
AMA_FIELD_ENTRIES = [
    "1. KEYTRUDA (Pembrolizumab) Injection, for Intravenous Use. Merck Sharp & Dohme LLC; 2024. Accessed "
    "March 2, 2026. https://www.merck.com/product/usa/pi_circulars/k/keytruda/keytruda_pi.pdf ↑",
    "2. Merck Sharp & Dohme LLC. Study of pembrolizumab (MK-3475) compared to platinum-based "
    "chemotherapies in participants with metastatic non-small cell lung cancer "
    "(MK-3475-024/KEYNOTE-024). ClinicalTrials.gov. 2014. Accessed March 2, 2026. "
    "https://clinicaltrials.gov/study/NCT02142738 ↑",
    "3. Northwind Therapeutics. Data on File. 2025. ↑",
    "4. Strom BL, Kimmel SE, Hennessy S, eds. Pharmacoepidemiology. 6th ed. Wiley-Blackwell; 2019. ↑",
    "5. DuMouchel W, Pregibon D. Empirical Bayes screening for multi-item associations. In: Proceedings "
    "of the Seventh ACM SIGKDD International Conference on Knowledge Discovery and Data Mining. ACM; "
    "2001:67-76. doi:10.1145/502512.502526 ↑",
]


def test_ama_per_chapter_citations_and_entries_in_the_epub(ama):
    texts = _texts(ama["epub"])
    ch1 = texts["adverse-reactions.xhtml"]
    # the EPUB lists the notes after the text: the note's citation (numbered where the note
    # is called, after the fourth) comes last
    assert ch1["cites"] == AMA_CH1_CITES
    assert ch1["entries"] == AMA_CH1_ENTRIES
    assert texts["causality.xhtml"]["cites"] == [
        "1",
        "1",
        "1(p240)",
        "1",
        "2",
        "2(pp297-299)",
        "see 3,4(chap1)",
    ]
    assert texts["causality.xhtml"]["entries"] == AMA_CAUSALITY_ENTRIES
    assert texts["field-evidence.xhtml"]["entries"] == AMA_FIELD_ENTRIES
    # numbering restarts in every chapter; answers cite from their chapter's list
    assert texts["signals.xhtml"]["cites"][:5] == ["1", "2", "3", "4", "5,6"]
    assert texts["answers.xhtml"]["cites"] == ["3(p15)", "see 2(p298)"]
    signals = texts["signals.xhtml"]["entries"]
    assert len(signals) == 12
    # 6 authors: all of them; particles as CSL-JSON and BibLaTeX (useprefix=true) give them
    assert signals[7].startswith(
        "8. van Puijenbroek EP, Bate A, Leufkens HGM, Lindquist M, Orre R, Egberts ACG."
    )
    assert signals[9].startswith("10. Härmark L, van Grootheest AC. Pharmacovigilance:")
    # the RIS file's entries
    assert (
        signals[1]
        == "2. Hazell L, Shakir SAW. Under-reporting of adverse drug reactions: a systematic review. Drug Saf. 2006;29(5):385-396. ↑"
    )
    # BibTeX, 7 authors: the first three and et al.
    assert signals[3].startswith(
        "4. Bate A, Lindquist M, Edwards IR, et al. A Bayesian neural network method"
    )
    assert not ama["warnings"]


def _doc(epub: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read(f"EPUB/text/{name}"))


def test_superscript_numbers_follow_the_word_and_link_to_their_entry(ama):
    root = _doc(ama["epub"], "adverse-reactions.xhtml")
    first = root.xpath("//*[@id='cite-adverse-reactions-1']", namespaces=NS)[0]
    assert etree.tostring(first, encoding="unicode", with_tail=False).replace(
        f' xmlns:epub="{NS["epub"]}"', ""
    ) == (
        '<sup xmlns="http://www.w3.org/1999/xhtml" class="citation" id="cite-adverse-reactions-1" '
        'data-cites="edwards2000"><a href="#ref-adverse-reactions-edwards2000" role="doc-biblioref" '
        'epub:type="biblioref">1(p1255)</a></sup>'
    )
    assert first.getprevious().tail.endswith("medicinal product\u201d")  # the space before it went
    refs = root.xpath("//x:section[@role='doc-bibliography']", namespaces=NS)[0]
    assert refs.get(f"{{{NS['epub']}}}type") == "bibliography"
    assert refs.xpath("x:h2", namespaces=NS)[0].text == "References"
    assert refs.xpath("x:ol/x:li", namespaces=NS)  # entries are items of an ordered list
    # the list comes after the key takeaways and before the review questions
    sections = [s.get("class") for s in root.xpath("//x:section[x:h2]", namespaces=NS)]
    assert sections.index("references") == sections.index("box takeaways") + 1
    assert sections.index("box questions") == sections.index("references") + 1


def _hrefs_resolve(epub: Path) -> tuple[int, int]:
    """Every citation link goes to an entry, every backlink to a citation, in the right
    document; returns the numbers of each."""
    docs: dict[str, etree._Element] = {}
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            if name.startswith("EPUB/text/") and name.endswith(".xhtml"):
                docs[name.rsplit("/", 1)[-1]] = etree.fromstring(z.read(name))
    cites = backs = 0
    for name, root in docs.items():
        for a in root.xpath("//x:a[@role='doc-biblioref' or @role='doc-backlink']", namespaces=NS):
            file, _, frag = a.get("href").partition("#")
            target = docs[file or name].xpath(f"//*[@id='{frag}']")
            assert len(target) == 1, (name, a.get("href"))
            if a.get("role") == "doc-biblioref":
                cites += 1
                assert "csl-entry" in target[0].get("class", "")
            elif "noteref" not in a.get("class", "") and "backlink" not in a.get("class", ""):
                backs += 1
                assert "citation" in target[0].get("class", "").split(), (name, a.get("href"))
    return cites, backs


def test_epub_links_resolve_both_ways_across_documents(ama, ama_book):
    cites, backs = _hrefs_resolve(ama["epub"])
    assert cites > 40 and backs > 40
    cites, backs = _hrefs_resolve(ama_book["epub"])
    assert cites > 40 and backs > 40
    root = _doc(ama["epub"], "adverse-reactions.xhtml")
    back = root.xpath(
        "//x:li[@id='ref-adverse-reactions-pirmohamed2004']//x:a[@role='doc-backlink']", namespaces=NS
    )
    # the citation in the answer key is in another document
    assert [a.get("href") for a in back][-1] == "answers.xhtml#cite-answers-13"
    assert back[-1].get("aria-label") == "Back to citation 6 of 6 in Answers to the Review Questions"
    assert back[0].get("aria-label") == "Back to citation 1 of 6"


def test_references_book_one_list_in_the_back_matter(ama_book):
    texts = _texts(ama_book["epub"])
    entries = texts["references.xhtml"]["entries"]
    assert len(entries) == 24  # every entry of the three files, once
    assert entries[0] == AMA_CH1_ENTRIES[0]
    assert entries[5].startswith("6. Naranjo CA, Busto U, Sellers EM, et al.")
    assert texts["causality.xhtml"]["cites"][:3] == ["6", "6", "6(p240)"]  # numbering goes on
    assert texts["field-evidence.xhtml"]["cites"][3] == "9"  # Strom's textbook, first cited in chapter 2
    with zipfile.ZipFile(ama_book["epub"]) as z:
        opf = z.read("EPUB/content.opf").decode()
        nav = etree.fromstring(z.read("EPUB/text/nav.xhtml"))
    spine = re.findall(r'<itemref idref="([^"]+)"', opf)
    assert spine.index("doc-references") == spine.index("doc-answers") + 1
    landmark = nav.xpath("//x:nav[@id='landmarks']//x:a[@epub:type='bibliography']", namespaces=NS)
    assert [a.get("href") for a in landmark] == ["references.xhtml"]
    toc = [a.text for a in nav.xpath("//x:nav[@id='toc']/x:ol/x:li/x:a", namespaces=NS)]
    assert toc[-1] == "References"
    section = _doc(ama_book["epub"], "references.xhtml").xpath("//x:section", namespaces=NS)[0]
    assert (section.get("role"), section.get(f"{{{NS['epub']}}}type")) == ("doc-bibliography", "bibliography")


def test_epubcheck_reports_nothing(ama, ama_book):
    for built in (ama, ama_book):
        report = run_epubcheck(built["epub"])
        assert (report.errors, report.warnings) == (0, 0), report.messages


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_text_has_the_entries_and_citations(ama):
    from pypdf import PdfReader

    pages = [p.extract_text() or "" for p in PdfReader(ama["pdf"]).pages]
    text = _squash("\n".join(pages))
    for entry in [*AMA_CH1_ENTRIES, *AMA_CAUSALITY_ENTRIES]:
        printed = entry.split(" ↑")[0]  # print leaves out the links back (citations/printed.py)
        assert _squash(printed) in text, entry
        assert _squash(entry) not in text
    assert _squash("medicinal product”1(p1255).") in text
    assert _squash("the first three studies agree on which patients are most at risk1–3.") in text


def _destinations(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Named destination -> page index."""
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
    found: dict[str, int] = {}
    stack = [pdf.Root.Names.Dests]
    while stack:
        node = stack.pop()
        if "/Names" in node:
            for i in range(0, len(node.Names), 2):
                dest = node.Names[i + 1]
                dest = dest.D if isinstance(dest, pikepdf.Dictionary) else dest
                found[str(node.Names[i])] = pages[dest[0].objgen]
        stack.extend(node.get("/Kids", []))
    return found


def test_pdf_citation_links_point_at_their_entries(ama):
    from pypdf import PdfReader

    texts = [p.extract_text() or "" for p in PdfReader(ama["pdf"]).pages]
    with pikepdf.open(ama["pdf"]) as pdf:
        names = _destinations(pdf)
        to_entries = 0
        for page in pdf.pages:
            for annot in page.get("/Annots", []):
                dest = annot.get("/Dest") or annot.get("/A", {}).get("/D")
                if isinstance(dest, pikepdf.String) and str(dest).startswith("ref-"):
                    to_entries += 1
                    assert str(dest) in names
        assert to_entries > 40
    # the entry a link points at is on the page its destination names
    page = texts[names["ref-causality-naranjo1981"]]
    assert "Naranjo CA, Busto U, Sellers EM, et al." in " ".join(page.split())


def test_pdf_passes_pdfcheck(ama):
    tool = next(
        (
            p
            for p in (
                ROOT.parent / "shared" / "tools" / "pdfcheck.py",
                Path("/work/shared/tools/pdfcheck.py"),
            )
            if p.is_file()
        ),
        None,
    )
    if tool is None:
        pytest.skip("pdfcheck.py (shared/tools) is not here")
    proc = subprocess.run(
        [sys.executable, str(tool), str(ama["pdf"])], capture_output=True, text=True, check=False
    )
    assert "pdfcheck: 0 problems" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_ace_reports_no_violations(ama, tmp_path):
    from test_accessibility import IMPACTS, _run_ace, _violations

    data = _run_ace(ama["epub"], tmp_path)
    assert _violations(data) == {impact: [] for impact in IMPACTS}


VANCOUVER_CH1_ENTRIES = [
    "1. Edwards IR, Aronson JK. Adverse drug reactions: definitions, diagnosis, and management. Lancet. "
    "2000 Oct 7;356(9237):1255–9. doi:10.1016/S0140-6736(00)02799-9 PubMed PMID: 11072960. ↑ a b c d e",
    "2. Lazarou J, Pomeranz BH, Corey PN. Incidence of adverse drug reactions in hospitalized patients: a "
    "meta-analysis of prospective studies. JAMA. 1998 Apr 15;279(15):1200–5. doi:10.1001/jama.279.15.1200 "
    "PubMed PMID: 9555760. ↑ a b c d e",
    "3. Pirmohamed M, James S, Meakin S, Green C, Scott AK, Walley TJ, et al. Adverse drug reactions as "
    "cause of admission to hospital: prospective analysis of 18 820 patients. BMJ. 2004 Jul "
    "3;329(7456):15–9. doi:10.1136/bmj.329.7456.15 PubMed PMID: 15231615. ↑ a b c d e f",
]
APA_CH1_CITES = [
    "(Edwards & Aronson, 2000, p. 1255)",
    "(Lazarou et al., 1998)",
    "(Pirmohamed et al., 2004)",
    "(2000)",
    "(Lazarou et al., 1998)",
    "(Pirmohamed et al., 2004)",
    "Lazarou et al. (1998)",
    "(Onakpoya et al., 2016; Wysowski & Swartz, 2005)",
    "(Edwards & Aronson, 2000; Lazarou et al., 1998; Pirmohamed et al., 2004; Wysowski & Swartz, 2005)",
    "(Edwards & Aronson, 2000; Lazarou et al., 1998; Pirmohamed et al., 2004)",
    "(Pirmohamed et al., 2004)",
    "(Edwards & Aronson, 2000, pp. 1256–1257)",
]


def test_vancouver_and_apa(tmp_path_factory):
    vancouver = _texts(_built(tmp_path_factory, "vancouver", "csl: vancouver\n", ("epub",))["epub"])
    ch1 = vancouver["adverse-reactions.xhtml"]
    assert ch1["cites"][:10] == ["(1)", "(2)", "(3)", "(1)", "(2)", "(3)", "(2)", "(4,5)", "(1–3,5)", "(1–3)"]
    assert ch1["entries"][:3] == VANCOUVER_CH1_ENTRIES  # six authors, then et al.; PMIDs
    apa = _texts(_built(tmp_path_factory, "apa", "csl: apa\nreferences: book\n", ("epub",))["epub"])
    assert apa["adverse-reactions.xhtml"]["cites"] == APA_CH1_CITES
    assert apa["causality.xhtml"]["cites"][:4] == [
        "(Naranjo et al., 1981)",
        "Naranjo et al. (1981)",
        "(Naranjo et al., 1981, p. 240)",
        "(1981)",
    ]
    entries = apa["references.xhtml"]["entries"]
    assert len(entries) == 24  # alphabetical, no numbers
    assert entries[0].startswith("Alomar, M. J. (2014). Factors affecting the development")
    assert next(e for e in entries if e.startswith("Naranjo")) == (
        "Naranjo, C. A., Busto, U., Sellers, E. M., Sandor, P., Ruiz, I., Roberts, E. A., Janecek, E., "
        "Domecq, C., & Greenblatt, D. J. (1981). A method for estimating the probability of adverse drug "
        "reactions. Clin Pharmacol Ther, 30(2), 239–245. https://doi.org/10.1038/clpt.1981.154 ↑ a b c d"
    )


def test_a_project_csl_file_and_nocite(tmp_path):
    style = (styles.STYLES_DIR / "american-medical-association.csl").read_text(encoding="utf-8")
    project = make_book(
        tmp_path,
        {
            "styles/house.csl": style,
            "chapters/02-causality.md": (FIXTURES / "citations" / CH2)
            .read_text(encoding="utf-8")
            .replace("id: causality\n", "id: causality\nnocite: ['@cioms2010']\n"),
        },
        base="citations",
    )
    with (project / "book.yaml").open("a", encoding="utf-8") as f:
        f.write("csl: styles/house.csl\n")
    epub = build(project, BuildOptions(output=project / "out", formats=("epub",))).outputs[0].path
    entries = _texts(epub)["causality.xhtml"]["entries"]
    assert entries[-1] == (
        "5. CIOMS Working Group VIII. Practical Aspects of Signal Detection in Pharmacovigilance. Council for "
        "International Organizations of Medical Sciences; 2010."
    )  # listed, never cited: no backlink


@pytest.mark.upstream_bug
def test_pandoc_puts_a_label_before_names_without_a_name_element(tmp_path):
    """pandoc 3.9's citeproc writes ', eds.Strom BL' for AMA's editors when <names> has a
    <label> and no <name>: styles.for_pandoc adds the <name/> the specification implies."""
    ref = tmp_path / "r.json"
    ref.write_text(
        json.dumps(
            [{"id": "s", "type": "book", "title": "P", "editor": [{"family": "Strom", "given": "B. L."}]}]
        ),
        encoding="utf-8",
    )
    raw = styles.STYLES_DIR / "american-medical-association.csl"
    fixed = tmp_path / "fixed.csl"
    fixed.write_bytes(styles.for_pandoc(raw))

    def entry(csl: Path) -> str:
        result = pandoc.run(
            [ref],
            csl,
            [pandoc.Group("g", "en", [[{"key": "s", "prefix": "", "suffix": "", "mode": "NormalCitation"}]])],
            tmp_path,
        )
        blocks = result.groups["g"].entries[0].blocks
        from msl_book.citations.inlines import text_of

        return text_of(blocks[0]["c"])

    assert entry(fixed) == "1. Strom BL, ed. P."
    # pandoc.run always applies the fix; run pandoc on the raw style by hand
    doc = pandoc.document(
        [ref],
        raw,
        [pandoc.Group("g", "en", [[{"key": "s", "prefix": "", "suffix": "", "mode": "NormalCitation"}]])],
    )
    proc = subprocess.run(
        [str(pandoc.pandoc_path()), "-f", "json", "-t", "plain", "--lua-filter", str(pandoc.FILTER)],
        input=json.dumps(doc),
        capture_output=True,
        text=True,
        check=True,
    )
    assert ", ed.Strom BL" in proc.stdout


# Errors ---------------------------------------------------------------------------------


def _check(project: Path, *args: str) -> tuple[int, list[str]]:
    result = run_cli("check", str(project), *args)
    assert "Traceback" not in result.err
    return result.code, result.err.splitlines()


def _with(tmp_path: Path, changes: dict[str, str | None], yaml_extra: str = "") -> Path:
    project = make_book(tmp_path, changes, base="citations")
    if yaml_extra:
        text = (project / "book.yaml").read_text(encoding="utf-8")
        (project / "book.yaml").write_text(text + yaml_extra, encoding="utf-8")
    return project


def _chapter(rel: str, old: str, new: str) -> dict[str, str]:
    text = (FIXTURES / "citations" / rel).read_text(encoding="utf-8")
    assert old in text
    return {rel: text.replace(old, new, 1)}


def test_unknown_key_names_the_nearest_one(tmp_path):
    project = _with(tmp_path, _chapter(CH2, "[@naranjo1981, p. 240]", "[@naranjo1918, p. 240]"))
    assert _check(project) == (
        1,
        [
            f"{CH2}:24: unknown citation key 'naranjo1918' (did you mean 'naranjo1981'?)",
            "msl-book: check failed: 1 error",
        ],
    )


def test_a_cross_reference_written_as_a_citation_says_how_to_write_it(tmp_path):
    project = _with(tmp_path, _chapter(CH1, "quote; Edwards", "quote (@tbl-burden); Edwards"))
    assert (
        _check(project)[1][0]
        == f"{CH1}:28: unknown citation key 'tbl-burden' (for a cross-reference write [](#tbl-burden))"
    )


def test_citations_without_a_bibliography(tmp_path):
    project = make_book(
        tmp_path, {"chapters/02-second.md": "---\ntitle: Second\n---\nAs shown [@smith2020].\n"}
    )
    code, err = _check(project)
    assert code == 1
    assert err[0] == (
        "chapters/02-second.md:4: unknown citation key 'smith2020': the book has no bibliography; add "
        "'bibliography:' to book.yaml (or write \\@ for an @ that is not a citation)"
    )


BROKEN_FILES = {
    "bib": (
        "references/signals.bib",
        "@article{broken,\n  title = {x},\n  year = 2001\n\n@article{next,\n title={y}\n}\n",
        "references/signals.bib:5: cannot read this BibLaTeX file: unexpected '@' (is an entry above it not closed?)",
    ),
    "json": (
        "references/core.json",
        '[\n {"id": "a", "type": "book",\n  "title": "x",\n }\n]\n',
        "references/core.json:4: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ),
    "ris": (
        "references/reviews.ris",
        "TY  - JOUR\nAU  - Smith, J\nXX\nER  - \n",
        "references/reviews.ris:3: cannot read this RIS file: unexpected end of line",
    ),
}


@pytest.mark.parametrize("kind", BROKEN_FILES)
def test_a_malformed_bibliography_file_is_reported_at_its_line(tmp_path, kind):
    rel, text, expected = BROKEN_FILES[kind]
    project = _with(tmp_path, {rel: text})
    code, err = _check(project)
    assert code == 1
    assert err[0] == expected


def test_a_key_defined_twice(tmp_path):
    ris = (FIXTURES / "citations" / "references" / "reviews.ris").read_text(encoding="utf-8")
    again = "TY  - JOUR\nID  - naranjo1981\nAU  - Naranjo, C. A.\nTI  - Again\nPY  - 1981\nER  - \n"
    project = _with(tmp_path, {"references/reviews.ris": ris + "\n" + again})
    assert _check(project)[1][0] == (
        "references/reviews.ris:44: citation key 'naranjo1981' is also defined in references/core.json:3: keep one of them"
    )
    bib = (FIXTURES / "citations" / "references" / "signals.bib").read_text(encoding="utf-8")
    project = _with(
        tmp_path / "b", {"references/signals.bib": bib + "\n@book{bate1998, title={Again}, year=1998}\n"}
    )
    assert _check(project)[1][0] == (
        "references/signals.bib:87: citation key 'bate1998' is defined twice in this file (first at line 14): keep one"
    )


def test_an_entry_never_cited_is_a_warning_and_an_error_with_strict(tmp_path):
    project = _with(tmp_path, _chapter(CH1, "[@onakpoya2016; @wysowski2005]. The", "[@wysowski2005]. The"))
    result = run_cli("check", str(project))
    assert result.code == 0
    warning = (
        "references/core.json:207: warning: bibliography entry 'onakpoya2016' is never cited (cite it, list "
        "it under 'nocite:', or remove it)"
    )
    assert warning in result.err.splitlines()
    code, err = _check(project, "--strict")
    assert code == 1 and warning in err


CSL_CASES = {
    "not XML": ("<style", "styles/house.csl:1: not a CSL style: the XML does not parse"),
    "not CSL": (
        "<html/>\n",
        "styles/house.csl:1: not a CSL style: its root element must be <style> in the CSL namespace",
    ),
    "dependent": (
        '<?xml version="1.0"?>\n<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0">\n<info>\n'
        '<link href="http://www.zotero.org/styles/nlm-citation-sequence" rel="independent-parent"/>\n</info>\n</style>\n',
        "styles/house.csl:4: a dependent CSL style (it only names its parent, "
        "http://www.zotero.org/styles/nlm-citation-sequence): use the parent style's file instead",
    ),
    "note": (
        '<?xml version="1.0"?>\n<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0">\n'
        "<citation><layout/></citation>\n</style>\n",
        "styles/house.csl:2: a note style (citations in footnotes) is not supported yet: use an in-text style",
    ),
}


@pytest.mark.parametrize("case", CSL_CASES)
def test_a_csl_file_that_is_not_an_in_text_style_is_an_error(tmp_path, case):
    text, expected = CSL_CASES[case]
    project = _with(tmp_path, {"styles/house.csl": text}, "csl: styles/house.csl\n")
    code, err = _check(project)
    assert code == 1
    assert err[0].startswith(expected), err


def test_book_yaml_mistakes(tmp_path):
    project = _with(tmp_path, {}, "csl: harvard\n")
    assert _check(project)[1][0] == (
        "book.yaml:21: 'csl' must be 'ama', 'vancouver', 'apa', 'chicago-author-date' or the path of a .csl "
        "file, not 'harvard'"
    )
    text = (FIXTURES / "citations" / "book.yaml").read_text(encoding="utf-8")
    project = _with(
        tmp_path / "b", {"book.yaml": text.replace("references/reviews.ris", "references/missing.ris")}
    )
    assert _check(project)[1][0] == "book.yaml:15: bibliography file not found: references/missing.ris"
    project = _with(tmp_path / "c", {}, "nocite: ['@cioms2010']\n")
    assert _check(project)[1][0].startswith(
        "book.yaml:21: 'nocite' in book.yaml is for the book's list of references"
    )
    project = _with(tmp_path / "d", {}, "references: both\n")
    assert _check(project)[1][0] == "book.yaml:21: 'references' must be 'chapter' or 'book'"


def test_all_problems_of_a_run_together(tmp_path):
    changes = {
        **_chapter(CH1, "[@lazarou1998];\n", "[@lazarou1989];\n"),
        **_chapter(CH2, "[@naranjo1981, p. 240]", "[@naranjo, p. 240]"),
    }
    code, err = _check(_with(tmp_path, changes))
    assert code == 1
    assert err == [
        f"{CH1}:23: unknown citation key 'lazarou1989' (did you mean 'lazarou1998'?)",
        f"{CH2}:24: unknown citation key 'naranjo' (did you mean 'naranjo1981'?)",
        "msl-book: check failed: 2 errors",
    ]


def test_a_changed_bibliography_rebuilds(tmp_path):
    project = make_book(tmp_path, base="citations")
    options = BuildOptions(output=tmp_path / "out", formats=("epub",))
    assert not build(project, options).cached
    assert build(project, options).cached
    bib = project / "references" / "signals.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("Am Stat", "Am Statistician"), encoding="utf-8")
    rebuilt = build(project, options)
    assert not rebuilt.cached
    assert any("Am Statistician" in e for e in _texts(rebuilt.outputs[0].path)["signals.xhtml"]["entries"])


# The CSL reference processor -----------------------------------------------------------

CITEPROC_JS = Path(os.environ.get("MSL_BOOK_CITEPROC_JS", ROOT / ".tools" / "citeproc" / "node_modules"))
_LOCATOR = re.compile(r"^,?\s*(p|pp|chap|sec)\.\s*(.+)$")
_LABELS = {"p": "page", "pp": "page", "chap": "chapter", "sec": "section"}


def _citeproc_js(style: Path, items: list[dict], clusters: list[list[dict]], tmp: Path) -> dict:
    if shutil.which("node") is None or not (CITEPROC_JS / "citeproc").is_dir():
        if os.environ.get("MSL_BOOK_REQUIRE_CITEPROC_JS") == "1":
            pytest.fail("MSL_BOOK_REQUIRE_CITEPROC_JS=1 but citeproc-js was not found (MSL_BOOK_CITEPROC_JS)")
        pytest.skip(
            "citeproc-js is not installed (npm citeproc, @citation-js/plugin-csl); .ci/run installs it"
        )
    (tmp / "items.json").write_text(json.dumps(items), encoding="utf-8")
    (tmp / "clusters.json").write_text(json.dumps(clusters), encoding="utf-8")
    proc = subprocess.run(
        [
            "node",
            str(ROOT / "tests" / "data" / "citeproc_js.js"),
            str(style),
            str(tmp / "items.json"),
            str(tmp / "clusters.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NODE_PATH": str(CITEPROC_JS)},
    )
    return json.loads(proc.stdout)


def _cluster(items: list[dict[str, str]]) -> list[dict]:
    out = []
    for item in items:
        cite = {"id": item["key"]}
        if m := _LOCATOR.match(item["suffix"]):
            cite |= {"locator": m[2], "label": _LABELS[m[1]]}
        if item["prefix"]:
            cite["prefix"] = item["prefix"] + " "
        if item["mode"] == "SuppressAuthor":
            cite["suppress-author"] = True
        out.append(cite)
    return out


def _comparable(items: list[dict[str, str]], numeric: bool) -> bool:
    """citeproc-js has no narrative citations (CSL 1.0 has none: pandoc composes them), and
    drops the prefix of a collapsed number."""
    return all(i["mode"] != "AuthorInText" and not (numeric and i["prefix"]) for i in items)


def _known(entry: str) -> str:
    """citeproc-js's text with its markup gone, and the one place it differs from pandoc on
    the fixture: its title case capitalizes a domain name (APA's website name
    "ClinicalTrials.Gov"); pandoc keeps "ClinicalTrials.gov"."""
    return entry.replace("&amp;", "&").replace(" .", ".").replace("ClinicalTrials.Gov", "ClinicalTrials.gov")


def _dashes(text: str) -> str:
    # citeproc-js leaves a locator's range as written; pandoc formats it as the style's
    # page ranges (CSL 1.0.2: page-range-format applies to page locators too)
    return text.replace("\u2013", "-")


@pytest.mark.parametrize("csl", ["ama", "vancouver", "apa"])
def test_pandoc_renders_as_the_csl_reference_processor_does(tmp_path, monkeypatch, csl):
    """citeproc-js (Zotero's CSL processor) on the same entries and the same citations, chapter
    by chapter, gives the same citations and the same entries, character for character."""
    from msl_book.citations.inlines import text_of

    seen = []
    run = pandoc.run

    def recording(files, style, groups, cwd):
        result = run(files, style, groups, cwd)
        seen.append((files, style, groups, result))
        return result

    monkeypatch.setattr(pandoc, "run", recording)
    project = make_book(tmp_path, base="citations")
    with (project / "book.yaml").open("a", encoding="utf-8") as f:
        f.write(f"csl: {csl}\n")
    from msl_book.pipeline import prepare

    prepare(project, Report())
    files, _style, groups, result = seen[0]
    items = []
    for file in files:
        if file.suffix == ".json":
            items += json.loads(file.read_text(encoding="utf-8"))
        else:
            fmt = {".bib": "biblatex", ".ris": "ris"}[file.suffix]
            out = subprocess.run(
                [str(pandoc.pandoc_path()), "-f", fmt, "-t", "csljson", str(file)],
                capture_output=True,
                text=True,
                check=True,
            )
            items += json.loads(out.stdout)
    compared = cited = 0
    for group in groups:
        ours = result.groups[group.id]
        theirs = _citeproc_js(
            styles.STYLES_DIR / styles.STYLES[csl], items, [_cluster(c) for c in group.citations], tmp_path
        )
        numeric = csl != "apa"
        pairs = [
            (_dashes(text_of(c.inlines)), _dashes(t))
            for items, c, t in zip(group.citations, ours.citations, theirs["citations"], strict=True)
            if _comparable(items, numeric)
        ]
        assert [a for a, _ in pairs] == [b for _, b in pairs], group.id
        cited += len(pairs)
        entries = [
            " ".join(text_of(b["c"]) for b in e.blocks if b["t"] in ("Para", "Plain")) for e in ours.entries
        ]
        assert [" ".join(e.split()) for e in entries] == [
            " ".join(_known(re.sub(r"<[^>]+>", " ", e)).split()) for e in theirs["entries"]
        ], group.id
        compared += len(entries)
    assert compared >= 24 and cited >= 25


def test_a_quarto_book_keeps_its_bibliography(tmp_path):
    from msl_book.importer import import_project

    quarto = tmp_path / "q"
    files = {
        "_quarto.yml": "project:\n  type: book\nbook:\n  title: Signals\n  author: A. Author\n"
        "  chapters:\n    - index.qmd\n    - intro.qmd\n    - references.qmd\nbibliography: refs.bib\n",
        "index.qmd": "# Preface {.unnumbered}\n\nA short course.\n",
        "intro.qmd": "# Introduction\n\nProportional reporting ratios [@evans2001] are the oldest measure.\n",
        "references.qmd": "# References {.unnumbered}\n\n::: {#refs}\n:::\n",
        "refs.bib": (FIXTURES / "citations" / "references" / "signals.bib").read_text(encoding="utf-8"),
    }
    for name, text in files.items():
        (quarto / name).parent.mkdir(parents=True, exist_ok=True)
        (quarto / name).write_text(text, encoding="utf-8")
    imported = import_project(quarto, tmp_path / "book")
    config = (tmp_path / "book" / "book.yaml").read_text(encoding="utf-8")
    assert 'bibliography:\n  - "refs.bib"\nreferences: book\n' in config
    assert "references.qmd" not in config
    assert [str(w) for w in imported.warnings] == [
        "_quarto.yml: warning: 'references.qmd' is Quarto's page for the references: left out, msl-book "
        "makes the book's References chapter itself (references: book)"
    ]
    epub = build(tmp_path / "book", BuildOptions(output=tmp_path / "out", formats=("epub",))).outputs[0].path
    texts = _texts(epub)
    assert texts["intro.xhtml"]["cites"] == ["1"]
    assert texts["references.xhtml"]["entries"][0].startswith(
        "1. Evans SJW, Waller PC, Davis S. Use of proportional"
    )


def test_a_doi_with_brackets_is_a_valid_link(tmp_path):
    """A real DOI may hold "[" and "]", which a URL's path may not: EPUBCheck refused the link
    (RSC-020) until they were percent-encoded; the entry still prints the DOI as written."""
    doi = "10.1130/0016-7606(1945)56[275:EDOSAT]2.0.CO;2"
    bib = (FIXTURES / "citations/references/signals.bib").read_text(encoding="utf-8")
    chapter = (FIXTURES / "citations" / CH2).read_text(encoding="utf-8")
    project = make_book(
        tmp_path,
        {
            "references/signals.bib": bib + "\n@article{horton1945,\n  author = {Horton, Robert E.},\n"
            "  title = {Erosional development of streams and their drainage basins},\n"
            f"  journal = {{GSA Bulletin}},\n  year = {{1945}},\n  doi = {{{doi}}}\n}}\n",
            CH2: chapter.replace("id: causality\n", "id: causality\nnocite: ['@horton1945']\n"),
        },
        base="citations",
    )
    with (project / "book.yaml").open("a", encoding="utf-8") as f:
        f.write("csl: apa\n")
    epub = build(project, BuildOptions(output=project / "out", formats=("epub",))).outputs[0].path
    links = _doc(epub, "causality.xhtml").xpath("//x:a[contains(@href, 'EDOSAT')]", namespaces=NS)
    assert [(a.get("href"), a.text) for a in links] == [
        ("https://doi.org/10.1130/0016-7606(1945)56%5B275:EDOSAT%5D2.0.CO;2", f"https://doi.org/{doi}")
    ]
    report = run_epubcheck(epub)
    assert (report.errors, report.warnings) == (0, 0), report.messages
