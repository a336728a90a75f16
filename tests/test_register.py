"""The register (corpus/register.toml, builder/register.py) and the EPUB's apparatus built on it:
glossary, index of people and organisations, How to cite lines, endnotes, the originals one tap away
(issue 14)."""

from __future__ import annotations

import re
import shutil
import tomllib
import zipfile
from pathlib import PurePosixPath

import pytest
from lxml import etree

from builder import citation, corpus, register
from builder.build import build
from builder.errors import CorpusError

from conftest import CORPUS, epubcheck_problems

NS = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf"}


def built_default(tmp_path_factory, kind: str):
    """The default archive, copied and built as one edition: (archive, the edition's path)."""
    root = tmp_path_factory.mktemp(f"reg-{kind}") / "corpus"
    shutil.copytree(CORPUS, root)
    built = build(root, tmp_path_factory.mktemp(f"reg-{kind}-out"), (kind,))
    return built.archive, built.editions[kind]


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return built_default(tmp_path_factory, "epub")


def xhtml(epub, name: str):
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read(f"EPUB/{name}"))


def ids_in(epub) -> dict[str, set[str]]:
    with zipfile.ZipFile(epub) as z:
        return {n[len("EPUB/text/"):]: {el.get("id") for el in etree.fromstring(z.read(n)).iter() if el.get("id")}
                for n in z.namelist() if n.startswith("EPUB/text/") and n.endswith(".xhtml")}


# ------------------------------------------------------------------ the register as corpus data

def test_default_register_loads_and_glosses_are_not_repeated():
    archive = corpus.load(CORPUS)
    ids = {e.id for e in archive.register}
    assert {"jlm", "nec", "ehrc", "clp", "ihra"} <= ids
    assert all(e.description and e.evidence for e in archive.register)
    # the JLM's history and the NEC's and CLP's descriptions are said once, in the register
    for phrase in ("traces its origins to Poale Zion", "governing body between annual conferences; ",
                   "Its members are elected by party members", "local organisation for one parliamentary"):
        in_notes = [s.id for s in archive.sources for n in s.notes if phrase in n.body]
        assert not in_notes, (phrase, in_notes)
        assert any(phrase in e.description for e in archive.register) or phrase.endswith("; ")
    # every note that glossed the JLM still stands at its passage, and now refers to the entry
    jlm_notes = [n for s in archive.sources for n in s.notes if "#register:jlm" in n.body]
    assert len(jlm_notes) >= 4 and all(n.selector.exact for n in jlm_notes)


def write_register(tmp_path, text: str):
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    (root / "register.toml").write_text(text, encoding="utf-8")
    return root


def problems_of(root) -> list:
    with pytest.raises(CorpusError) as e:
        corpus.load(root)
    return e.value.problems


def test_bad_register_entries_each_reported_with_file_and_line(tmp_path):
    text = (tomllib_dump_ok := (CORPUS / "register.toml").read_text(encoding="utf-8")) + """
[[entry]]
id = "Bad Id"
kind = "place"
name = "Somewhere"
description = ""
evidence = 3
colour = "red"

[[entry]]
id = "jlm"
kind = "organisation"
name = "Again"
description = "A second JLM."
evidence = "None."
"""
    assert tomllib.loads(tomllib_dump_ok)  # the default register itself is valid TOML
    found = problems_of(write_register(tmp_path, text))
    codes = sorted(p.code for p in found)
    assert codes == ["R101", "R102", "R103", "R104", "R105", "R107"], [str(p) for p in found]
    lines = text.splitlines()
    for p in found:
        assert p.path.name == "register.toml" and p.line and p.fix
        assert lines[p.line - 1].split("=")[0].strip() in {
            "R101": {"colour"}, "R102": {"description"}, "R103": {"id"}, "R104": {"id"},
            "R105": {"kind"}, "R107": {"evidence"}}[p.code], (p.code, lines[p.line - 1])


def test_malformed_register_is_r100(tmp_path):
    found = problems_of(write_register(tmp_path, "[[entry]\nid = 'x'\n"))
    assert [p.code for p in found] == ["R100"] and found[0].line == 1


def test_reference_to_no_entry_is_refused_with_the_note_and_line(tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    notes = root / "sources" / "ealing-southall-clp-letter.notes.toml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("(#register:nec)", "(#register:nek)"),
                     encoding="utf-8")
    found = problems_of(root)
    assert [p.code for p in found] == ["R106"]
    p = found[0]
    assert p.path == notes and "nek" in p.message and "nec" in p.fix
    assert "[[notes]]" in notes.read_text(encoding="utf-8").splitlines()[p.line - 1]
    # and without a register at all, a reference is refused too
    (root / "register.toml").unlink()
    notes.write_text(notes.read_text(encoding="utf-8").replace("nek", "nec"), encoding="utf-8")
    assert {p.code for p in problems_of(root)} == {"R106"}


def test_references_are_found_in_markdown():
    assert register.references("See [JLM](#register:jlm) and [NEC](#register:nec), [JLM](#register:jlm).") \
        == ["jlm", "nec"]


# ------------------------------------------------------------------ the EPUB's apparatus

def test_default_epub_passes_epubcheck(default):
    assert epubcheck_problems(default[1]) == []


def test_glossary_and_index(default):
    archive, epub = default
    glossary = xhtml(epub, "text/glossary.xhtml")
    section = glossary.xpath("//h:section[@role='doc-glossary']", namespaces=NS)
    assert len(section) == 1
    terms = glossary.xpath("//h:dt[@epub:type='glossterm']", namespaces=NS)
    assert sorted(t.get("id") for t in terms) == sorted(e.id for e in archive.register)
    jlm = next(e for e in archive.register if e.id == "jlm")
    assert jlm.description in "".join(glossary.xpath("//h:dt[@id='jlm']/following-sibling::h:dd[1]//text()",
                                                     namespaces=NS))
    index = xhtml(epub, "text/index.xhtml")
    assert index.xpath("//h:section[@role='doc-index' and @epub:type='index']", namespaces=NS)
    entries = index.xpath("//h:li[starts-with(@id, 'index-')]", namespaces=NS)
    indexed = {e.id for e in archive.register if e.kind in ("person", "organisation")}
    assert {li.get("id")[len("index-"):] for li in entries} == indexed
    # every link back leads to an element that exists, and that element links to the entry
    ids = ids_in(epub)
    jlm_links = index.xpath("//h:li[@id='index-jlm']/h:a/@href", namespaces=NS)[1:]
    referring = sum("#register:jlm" in n.body for s in archive.sources for n in s.notes) + \
        ("#register:jlm" in archive.introduction)
    assert len(jlm_links) == referring
    for li in entries:
        for href in li.xpath("h:a/@href", namespaces=NS)[1:]:
            file, _, anchor = href.partition("#")
            assert anchor in ids[file], href
            target = xhtml(epub, f"text/{file}").xpath("//*[@id=$a]", namespaces=NS, a=anchor)[0]
            assert target.get("href") == f"glossary.xhtml#{li.get('id')[len('index-'):]}"
    # the nav lists both; the spine reads them
    nav = xhtml(epub, "nav.xhtml")
    assert nav.xpath("//h:nav[@epub:type='toc']//h:a[@href='text/glossary.xhtml']", namespaces=NS)
    assert nav.xpath("//h:nav[@epub:type='landmarks']//h:a[@epub:type='index']", namespaces=NS)


def test_how_to_cite_from_the_citation_data(default):
    archive, epub = default
    colophon = "".join(xhtml(epub, "text/colophon.xhtml").xpath("//h:p[@class='cite']//text()", namespaces=NS))
    assert colophon == citation.text(citation.edition_item(archive)).strip()
    assert archive.identifier in colophon
    for source in archive.sources:
        page = xhtml(epub, f"text/{source.id}-provenance.xhtml")
        line = "".join(page.xpath("//h:p[@class='cite']//text()", namespaces=NS))
        assert line == citation.text(citation.source_item(archive, source)).strip()
        assert f"#{source.id}" in line
        # the anchor a citation names exists in the EPUB
        assert source.id in ids_in(epub)[f"{source.id}.xhtml"]


def test_an_undated_source_is_cited_with_one_full_stop_after_n_d(default):
    """A source with no date is cited "…”, n.d. In …", not "n.d.. In" (as it was, 2026-12-06)."""
    archive, _ = default
    item = citation.source_item(archive, archive.sources[0])
    item.pop("issued", None)
    line = citation.text(item)
    assert ", n.d. In " in line and ".." not in line, line
    book = citation.edition_item(archive)
    book.pop("issued", None)
    assert ", n.d. " in citation.text(book) and ".." not in citation.text(book)


def test_originals_one_tap_away_and_inert(default):
    archive, epub = default
    opf = xhtml(epub, "package.opf")
    spine = opf.xpath("//opf:itemref/@idref", namespaces=NS)
    items = {i.get("id"): i for i in opf.xpath("//opf:item", namespaces=NS)}
    for source in archive.sources:
        page = xhtml(epub, f"text/{source.id}.xhtml")
        link = page.xpath("//h:p[contains(@class, 'original')]", namespaces=NS)[0]
        text = "".join(link.itertext())
        assert source.media_type in text and f"{source.size:,} bytes" in text
        href = link.xpath("h:a/@href", namespaces=NS)[0]
        assert href == f"{source.id}-original.xhtml"
        wrapper = xhtml(epub, f"text/{href}")
        obj = wrapper.xpath("//h:object", namespaces=NS)[0]
        assert obj.get("data") == f"../originals/{source.file_name}" and obj.get("type") == source.media_type
        original = next(i for i in items.values() if i.get("href") == f"originals/{source.file_name}")
        assert original.get("id") not in spine  # inert: never read as content
        page_item = next(k for k, i in items.items() if i.get("href") == f"text/{href}")
        assert opf.xpath("//opf:itemref[@idref=$i]/@linear", namespaces=NS, i=page_item) == ["no"]
        with zipfile.ZipFile(epub) as z:
            assert z.read(f"EPUB/originals/{source.file_name}") == source.read_bytes()


def test_notes_are_visible_endnotes_and_say_what_a_blank_passage_is(default):
    archive, epub = default
    for source in archive.sources:
        page = xhtml(epub, f"text/{source.id}.xhtml")
        assert not page.xpath("//h:aside", namespaces=NS)  # nothing a reading system hides
        notes = page.xpath("//h:section[@role='doc-endnotes']/h:ol/h:li", namespaces=NS)
        assert len(notes) == len(source.notes)
        for li in notes:
            assert "".join(li.itertext()).strip()
            assert len(li.xpath(".//h:a[@role='doc-backlink']", namespaces=NS)) == 1
    # the note on a line holding only a no-break space says what it marks, and its passage is boxed
    page = xhtml(epub, "text/jlm-duty-of-care-report.xhtml")
    head = "".join(page.xpath("//h:li[.//h:a]/h:p[@class='note-head'][contains(., 'U+00A0 NO-BREAK SPACE')]"
                              "//text()", namespaces=NS))
    assert "on the whole source" not in head and "shows as blank" in head
    slight = page.xpath("//h:span[contains(@class, 'slight')]", namespaces=NS)
    assert slight and all(s.text and not s.text.strip(" \t") or len(s.text.strip()) <= 2 for s in slight)


def test_wide_tables_are_labelled_to_reflow(default):
    archive, epub = default
    for name in ("text/introduction.xhtml", "text/colophon.xhtml"):
        page = xhtml(epub, name)
        tables = page.xpath("//h:table", namespaces=NS)
        assert tables
        for t in tables:
            assert "reflow" in t.get("class", "").split()
            heads = ["".join(th.itertext()).strip() for th in t.xpath(".//h:th", namespaces=NS)]
            for row in t.xpath(".//h:tbody/h:tr", namespaces=NS):
                assert [td.get("data-label") for td in row.xpath("h:td", namespaces=NS)] == heads
    with zipfile.ZipFile(epub) as z:
        css = z.read("EPUB/css/edition.css").decode()
    assert re.search(r"@media \(max-width: [0-9.]+em\)", css) and "min-width: 24px" in css


def test_an_edition_without_a_register_has_no_glossary(tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    (root / "register.toml").unlink()
    for p in [root / "introduction.md", *sorted((root / "sources").glob("*.notes.toml"))]:
        p.write_text(re.sub(r"\]\(#register:[a-z-]+\)", "](#glossary-gone)", p.read_text(encoding="utf-8")),
                     encoding="utf-8")
    epub = build(root, tmp_path / "out", ("epub",)).editions["epub"]
    with zipfile.ZipFile(epub) as z:
        names = set(z.namelist())
    assert "EPUB/text/glossary.xhtml" not in names and "EPUB/text/index.xhtml" not in names
    assert PurePosixPath("EPUB/text/colophon.xhtml").as_posix() in names


# ------------------------------------------------------------------ the PDF's glossary, index, citations

@pytest.fixture(scope="module")
def default_pdf(tmp_path_factory):
    return built_default(tmp_path_factory, "pdf")


def pdf_pages(path) -> list[str]:
    import subprocess
    from conftest import tool
    text = subprocess.run([tool("pdftotext"), "-raw", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.split("\f")


def test_pdf_glossary_index_and_citations(default_pdf):
    archive, pdf = default_pdf
    pages = pdf_pages(pdf)
    flat = " ".join(" ".join(pages).replace("\u00ad\n", "").split())
    glossary = next(i for i, p in enumerate(pages) if p.lstrip().startswith("Glossary") or "\nGlossary\n" in p[:200])
    for e in archive.register:
        assert e.name in flat and " ".join(e.description.split())[:50] in flat, e.id
    index_page = next(i for i, p in enumerate(pages) if i >= glossary and "Index of people and organisations\n" in p)
    lines = pages[index_page].splitlines()
    for e in archive.register:
        if not e.indexed:
            continue
        line = next(ln for ln in lines if ln.startswith((e.name + ",", f"{e.name} ({e.short}),")))
        assert re.findall(r", (\d+)", line), line  # every entry of the default register is referred to
    # each page the index names for the JLM holds the reference's words (a page's folio is its last line)
    by_folio = {}
    for p in pages:  # the folio: a page's last line, or the first or last word of its running head
        lines_ = p.strip().splitlines()
        for candidate in (lines_[-1].strip(), lines_[0].split()[0], lines_[0].split()[-1]) if lines_ else ():
            if candidate.isdigit():
                by_folio.setdefault(candidate, p)
    jlm = next(ln for ln in lines if ln.startswith("Jewish Labour Movement"))
    for n in re.findall(r", (\d+)", jlm):
        assert "Jewish Labour" in " ".join(by_folio[n].split()), n
    # How to cite, as in the EPUB and `archive cite`
    assert " ".join(citation.text(citation.edition_item(archive)).split()) in flat
    for source in archive.sources:
        assert " ".join(citation.text(citation.source_item(archive, source)).split())[:80] in flat
