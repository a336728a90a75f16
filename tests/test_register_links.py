"""Register links: a passage linked to a register entry without a note (`kind = "register"` in a
notes file, docs/notes.md). The EPUB makes the passage a link to the glossary and the index links
back to it; the PDF links it to the glossary entry and its index gives the page; no note number,
no marker, the source's text exact; `archive check` does not count it as a note (issue 14)."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from builder import corpus
from builder.build import build
from builder.cli import main
from builder.errors import CorpusError

from conftest import epubcheck_problems, tool

NS = {"h": "http://www.w3.org/1999/xhtml"}
TEXT = ("Minutes of the meeting.\n\nThe Jewish Labour Movement wrote to the NEC about the rule.\n"
        "The NEC replied in March.\n")
LINKS = '''[[notes]]
id = "rule"
kind = "gloss"
exact = "the rule"
body = "The rule on membership."

[[notes]]
id = "jlm-link"
kind = "register"
exact = "Jewish Labour Movement"
entry = "jlm"

[[notes]]
id = "nec-link"
kind = "register"
exact = "NEC"
prefix = "The "
suffix = " replied"
entry = "nec"
'''
REGISTER = '''[[entry]]
id = "jlm"
kind = "organisation"
name = "Jewish Labour Movement"
short = "JLM"
description = "An affiliate of the Labour Party."
evidence = "Its own website."

[[entry]]
id = "nec"
kind = "organisation"
name = "National Executive Committee"
short = "NEC"
description = "The Labour Party's governing body."
evidence = "The party's rule book."
'''


def make_corpus(root: Path, links: str = LINKS) -> Path:
    (root / "sources").mkdir(parents=True)
    (root / "archive.toml").write_text(
        'title = "Register links test"\nidentifier = "urn:uuid:5b1f0c52-53b4-4f7e-9a43-0c6f4f9b1d77"\n'
        'language = "en-GB"\ndate = 2024-05-01\npublisher = "Tests"\nrights = "CC0"\n'
        'description = "Passages linked to the register."\nsources = ["minutes"]\n[[editors]]\nname = "E. Ditor"\n',
        encoding="utf-8")
    (root / "introduction.md").write_text("## About\n\nA test corpus.\n", encoding="utf-8")
    (root / "sources" / "minutes.txt").write_bytes(TEXT.encode("utf-8"))
    (root / "sources" / "minutes.notes.toml").write_text(links, encoding="utf-8")
    (root / "register.toml").write_text(REGISTER, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = make_corpus(tmp_path_factory.mktemp("reglinks") / "corpus")
    return root, build(root, tmp_path_factory.mktemp("reglinks-out"), ("epub", "pdf"))


def test_loaded_apart_from_the_notes(tmp_path):
    archive = corpus.load(make_corpus(tmp_path / "c"))
    (source,) = archive.sources
    assert [n.id for n in source.notes] == ["rule"]
    assert [(n.id, n.entry) for n in source.links] == [("jlm-link", "jlm"), ("nec-link", "nec")]


def test_epub_passage_links_to_the_glossary_and_index_links_back(built):
    _, result = built
    epub = result.editions["epub"]
    assert epubcheck_problems(epub) == []
    with zipfile.ZipFile(epub) as z:
        chapter = etree.fromstring(z.read("EPUB/text/minutes.xhtml"))
        index = etree.fromstring(z.read("EPUB/text/index.xhtml"))
        glossary = etree.fromstring(z.read("EPUB/text/glossary.xhtml"))
    links = chapter.findall(".//h:a[@class='register-link']", NS)
    assert [("".join(a.itertext()), a.get("href")) for a in links] == [
        ("Jewish Labour Movement", "glossary.xhtml#jlm"), ("NEC", "glossary.xhtml#nec")]
    assert (links[1].tail or "").startswith(" replied")  # the second NEC, not the first
    assert {el.get("id") for el in glossary.iter() if el.get("id")} >= {"jlm", "nec"}
    # one note, one marker: the links have none
    assert len(chapter.findall(".//h:a[@class='noteref']", NS)) == 1
    ids = {el.get("id") for el in chapter.iter() if el.get("id")}
    for entry, link in (("jlm", links[0]), ("nec", links[1])):
        back = [a.get("href") for a in index.find(f".//h:li[@id='index-{entry}']", NS).findall("h:a", NS)][1:]
        assert back == [f"minutes.xhtml#{link.get('id')}"] and link.get("id") in ids


def test_pdf_text_exact_and_index_gives_the_page(built):
    _, result = built
    pdf = result.editions["pdf"]
    text = subprocess.run([tool("pdftotext"), "-raw", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = text.split("\f")
    lines = text.splitlines()
    for line in TEXT.split("\n\n")[1].splitlines():  # the source's lines exact: no marker, no note number
        assert line in lines, line
    by_folio = {p.rstrip().splitlines()[-1].strip(): p for p in pages if p.strip()}
    index = next(p for p in pages if "\nIndex of people and organisations\n" in "\n" + p)
    for name in ("Jewish Labour Movement", "National Executive Committee"):
        line = next(ln for ln in index.splitlines() if ln.startswith(name))
        folios = re.findall(r", (\w+)$", line)
        assert folios, line
        assert "The NEC replied in March." in by_folio[folios[0]]  # the page the index names holds the passage
    import pikepdf
    with pikepdf.open(pdf) as p:  # the passage is a link inside the document
        annots = [a for page in p.pages for a in page.get("/Annots", []) if a.get("/Subtype") == "/Link"]
    assert annots


def test_archive_check_with_corpus_exits_0(built):
    root, result = built
    run = CliRunner().invoke(main, ["check", str(result.editions["epub"]), str(result.editions["pdf"]),
                                    "--corpus", str(root)])
    assert run.exit_code == 0, run.output


def test_unknown_entry_is_refused_with_file_and_line(tmp_path):
    root = make_corpus(tmp_path / "c", LINKS.replace('entry = "nec"', 'entry = "nobody"'))
    with pytest.raises(CorpusError) as e:
        corpus.load(root)
    (p,) = [p for p in e.value.problems if p.code == "R109"]
    assert p.path.name == "minutes.notes.toml" and p.line == 13 and "nobody" in p.message


def test_link_with_a_body_or_no_entry_is_refused(tmp_path):
    root = make_corpus(tmp_path / "c", LINKS.replace('entry = "jlm"', 'body = "words"'))
    with pytest.raises(CorpusError) as e:
        corpus.load(root)
    assert sorted(p.code for p in e.value.problems) == ["R108", "R108"]


def test_export_carries_the_link(built):
    _, result = built
    with zipfile.ZipFile(result.editions["epub"]) as z:
        items = json.loads(z.read("EPUB/notes/annotations.jsonld"))["first"]["items"]
    links = [i for i in items if i["motivation"] == "identifying"]
    assert [(i["body"]["id"], i["target"]["selector"][0]["exact"]) for i in links] == [
        ("urn:uuid:5b1f0c52-53b4-4f7e-9a43-0c6f4f9b1d77#register/jlm", "Jewish Labour Movement"),
        ("urn:uuid:5b1f0c52-53b4-4f7e-9a43-0c6f4f9b1d77#register/nec", "NEC")]
    assert len(items) == 3


def test_link_that_does_not_anchor_is_n201_with_its_line(tmp_path):
    from builder.anchor import anchor
    root = make_corpus(tmp_path / "c", LINKS.replace('exact = "NEC"\nprefix = "The "', 'exact = "NEC"\nprefix = "No "'))
    with pytest.raises(CorpusError) as e:
        anchor(corpus.load(root))
    (p,) = e.value.problems
    assert p.code == "N201" and "nec-link" in p.message and p.line == 13


def test_web_passage_links_to_the_glossary_and_index_links_back(tmp_path):
    """The web edition, like the EPUB: each linked passage is a link to its entry on the glossary
    page, and the index links back to the passage (the site read back whole, every link resolved)."""
    from lxml import html as lxml_html

    from builder import verify_web
    from builder.web import build_site
    root = make_corpus(tmp_path / "corpus")
    site = build_site(root, tmp_path / "out")
    assert verify_web.findings(corpus.load(root), site.folder) == []
    page = lxml_html.parse(str(site.folder / "minutes.html"))
    links = page.xpath("//a[@class='register-link']")
    assert [(a.text_content(), a.get("href")) for a in links] == [
        ("Jewish Labour Movement", "glossary.html#jlm"), ("NEC", "glossary.html#nec")]
    names = lxml_html.parse(str(site.folder / "names.html"))
    for entry, link in (("jlm", links[0]), ("nec", links[1])):
        back = [a.get("href") for a in names.xpath(f"//li[@id='index-{entry}']/a")][1:]
        assert back == [f"minutes.html#{link.get('id')}"]
    glossary = lxml_html.parse(str(site.folder / "glossary.html"))
    assert {"jlm", "nec"} <= set(glossary.xpath("//dt/@id"))
