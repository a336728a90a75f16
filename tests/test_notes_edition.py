"""Notes in the EPUB edition: every anchoring case in one small corpus, built once, checked once.

The build's own fidelity check (builder.verify) runs inside build(): a build that returns
has proved that the note markers leave the source text whole.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import epubcheck_problems
from lxml import etree

from builder.build import build
from builder.errors import CorpusError

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
NS = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}

X_TEXT = ("“Opening” words, with 10\u00a0000 votes.\n"
          "It said again and again and again that it would not.\n"
          "\n"
          "A second paragraph starts here and ends there.\n"
          "The outer passage holds an inner bit inside it.\n"
          "\n"
          "Last words.")

# (id, kind, selector fields): one note per case
X_NOTES = [
    ("start", "sic", {"exact": "“Opening”"}),
    ("nbsp", "gloss", {"exact": "10\u00a0000 votes"}),
    ("again-2", "gloss", {"exact": "again", "prefix": "again and ", "suffix": " and again"}),
    ("again-3", "gloss", {"exact": "again", "suffix": " that"}),
    ("overlap-a", "condition", {"exact": "starts here and ends"}),
    ("overlap-b", "condition", {"exact": "here and ends there."}),
    ("outer", "gloss", {"exact": "outer passage holds an inner bit"}),
    ("inner", "sic", {"exact": "inner bit"}),
    ("across", "cross-reference", {"exact": "would not.\n\nA second"}),
    ("hint", "gloss", {"exact": "The outer", "start": 0, "end": 9}),  # the quote wins
    ("end", "gloss", {"exact": "words."}),
    ("whole", "condition", {}),
]


def notes_toml(notes) -> str:
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment("Every anchoring case."))
    aot = tomlkit.aot()
    for nid, kind, fields in notes:
        t = tomlkit.table()
        t["id"], t["kind"] = nid, kind
        for k, v in fields.items():
            t[k] = v
        t["body"] = f"Note *{nid}*, see [y](#y)."
        aot.append(t)
    doc["notes"] = aot
    return tomlkit.dumps(doc)


def make_corpus(root: Path) -> Path:
    (root / "sources").mkdir(parents=True)
    (root / "archive.toml").write_text(
        'title = "Notes test"\nidentifier = "urn:uuid:8a7c0c52-53b4-4f7e-9a43-0c6f4f9b1d10"\n'
        'language = "en-GB"\ndate = 2024-05-01\npublisher = "Tests"\nrights = "CC0"\n'
        'description = "Every way a note can anchor."\nsources = ["x", "y"]\n[[editors]]\nname = "E. Ditor"\n',
        encoding="utf-8")
    (root / "introduction.md").write_text("## About\n\nA test corpus.\n", encoding="utf-8")
    (root / "sources" / "x.txt").write_bytes(X_TEXT.encode("utf-8"))
    (root / "sources" / "x.notes.toml").write_text(notes_toml(X_NOTES), encoding="utf-8")
    (root / "sources" / "y.txt").write_bytes("Another source, with its own notes.\n".encode("utf-8"))
    (root / "sources" / "y.notes.toml").write_text(
        notes_toml([("own", "gloss", {"exact": "own notes"}), ("first", "gloss", {"exact": "Another"})]),
        encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = make_corpus(tmp_path_factory.mktemp("notes") / "corpus")
    result = build(root, tmp_path_factory.mktemp("out"), ("epub",))  # verify.editions runs inside
    return result


@pytest.fixture(scope="module")
def chapters(built) -> dict[str, etree._Element]:
    with zipfile.ZipFile(built.editions["epub"]) as z:
        return {sid: etree.fromstring(z.read(f"EPUB/text/{sid}.xhtml")) for sid in ("x", "y")}


def number_of(doc, note_id_text: str) -> int:
    """The number the edition gave a note, found from the note's own body text."""
    aside = doc.xpath("//h:li[@epub:type='endnote'][.//h:em[text()=$t]]", namespaces=NS, t=note_id_text)
    assert len(aside) == 1, note_id_text
    return int(aside[0].get("id").rsplit("-", 1)[1])


def test_epubcheck_is_clean(built):
    assert epubcheck_problems(built.editions["epub"]) == []


def test_build_warns_about_the_missing_provenance_and_verifies(built):
    assert sum("W201" in w for w in built.warnings) == 2


def test_every_note_has_a_reference_and_an_endnote_with_a_backlink(chapters):
    """Visible endnotes (issue 14: footnote asides are hidden by some reading systems, which left an
    empty Notes page), each with one back-link."""
    for sid, count in (("x", len(X_NOTES)), ("y", 2)):
        doc = chapters[sid]
        refs = doc.xpath("//h:a[@epub:type='noteref']", namespaces=NS)
        asides = doc.xpath("//h:li[@epub:type='endnote']", namespaces=NS)
        assert not doc.xpath("//h:aside", namespaces=NS)
        assert len(refs) == len(asides) == count
        assert all(r.get("role") == "doc-noteref" for r in refs)
        assert all(a.getparent().getparent().get("role") == "doc-endnotes" for a in asides)
        ids = {el.get("id") for el in doc.iter() if el.get("id")}
        for r in refs:
            assert r.get("href").lstrip("#") in ids
        for a in asides:
            back = a.xpath(".//h:a[@role='doc-backlink']", namespaces=NS)
            assert len(back) == 1 and back[0].get("href").lstrip("#") in ids
        # per-source numbering: 1..n in each chapter
        assert sorted(int(r.get("data-n")) for r in refs) == list(range(1, count + 1))
        assert all(not r.text and r.get("aria-label") == f"Note {r.get('data-n')}" for r in refs)
        assert [a.get("id") for a in asides] == [f"{sid}-note-{n}" for n in range(1, count + 1)]


def test_numbers_follow_reading_order_whole_source_first(chapters):
    doc = chapters["x"]
    numbers = {nid: number_of(doc, nid) for nid, _, _ in X_NOTES}
    assert numbers["whole"] == 1
    assert numbers["start"] == 2 and numbers["end"] == len(X_NOTES)
    refs = [int(r.get("data-n")) for r in doc.xpath("//h:div[@class='source-text']//h:a[@epub:type='noteref']",
                                           namespaces=NS)]
    assert refs == sorted(refs)


def passage_text(doc, sid: str, number: int) -> str:
    spans = doc.xpath("//h:span[@class='passage']", namespaces=NS)
    mine = [s for s in spans if f"{sid}-note-{number}" in s.get("data-notes", "").split()]
    return "".join("".join(s.itertext()) for s in mine)


@pytest.mark.parametrize("nid, kind, fields", [n for n in X_NOTES if n[2]], ids=[n[0] for n in X_NOTES if n[2]])
def test_each_passage_is_marked_exactly(chapters, nid, kind, fields):
    doc = chapters["x"]
    n = number_of(doc, nid)
    # white space aside (a paragraph break becomes </p><p>), the marked text is the quote
    assert "".join(passage_text(doc, "x", n).split()) == "".join(fields["exact"].split())
    aside = doc.xpath("//h:li[@epub:type='endnote'][@id=$id]", namespaces=NS, id=f"x-note-{n}")[0]
    assert f"note-{kind}" in aside.get("class")


def test_repeated_quote_lands_on_the_occurrence_meant(chapters):
    doc = chapters["x"]
    line = "It said again and again and again that it would not."
    p = doc.xpath("//h:div[@class='source-text']/h:p[1]", namespaces=NS)[0]
    marked = [(s.text, s.get("data-notes")) for s in p.iter("{http://www.w3.org/1999/xhtml}span")]
    agains = [d for t, d in marked if t == "again"]
    assert agains == [f"x-note-{number_of(doc, 'again-2')}", f"x-note-{number_of(doc, 'again-3')}"]
    assert line in "".join(t for t in p.itertext() if not t.isdigit())


def test_nested_and_overlapping_passages_carry_both_notes(chapters):
    doc = chapters["x"]
    outer, inner = number_of(doc, "outer"), number_of(doc, "inner")
    a, b = number_of(doc, "overlap-a"), number_of(doc, "overlap-b")
    spans = doc.xpath("//h:span[@class='passage']", namespaces=NS)
    both = [s.text for s in spans if {f"x-note-{outer}", f"x-note-{inner}"} <= set(s.get("data-notes").split())]
    assert "".join(both) == "inner bit"
    assert all(s.get("aria-details") in s.get("data-notes").split() for s in spans)
    shared = [s.text for s in spans if {f"x-note-{a}", f"x-note-{b}"} <= set(s.get("data-notes").split())]
    assert "".join(shared) == "here and ends"


def test_whole_source_note_is_referenced_from_the_headnote(chapters):
    doc = chapters["x"]
    n = number_of(doc, "whole")
    ref = doc.xpath("//h:header//h:a[@epub:type='noteref']", namespaces=NS)
    assert [r.get("data-n") for r in ref] == [str(n)]
    assert doc.xpath("//h:li[@epub:type='endnote'][@id=$id]//h:span[@class='scope']/text()", namespaces=NS,
                     id=f"x-note-{n}") == ["on the whole source"]


def test_note_bodies_are_markdown_with_links_between_sources(chapters):
    doc = chapters["x"]
    links = doc.xpath("//h:li[@epub:type='endnote']//h:a[not(@role)]/@href", namespaces=NS)
    assert links and all(h == "y.xhtml" for h in links)


def test_a_note_that_does_not_anchor_fails_the_build_and_nothing_is_written(tmp_path):
    root = make_corpus(tmp_path / "corpus")
    notes = X_NOTES + [("lost", "gloss", {"exact": "A second paragraf starts"}),
                       ("vague", "gloss", {"exact": "again"})]
    (root / "sources" / "x.notes.toml").write_text(notes_toml(notes), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(CorpusError) as e:
        build(root, out, ("epub",))
    text = str(e.value)
    assert "note 'lost' cannot be anchored: its quote is not in the source" in text
    assert "«A second paragraph st" in text
    assert "note 'vague' cannot be anchored: its quote occurs 3 times" in text
    assert not out.exists() or not list(out.glob("*.epub"))
