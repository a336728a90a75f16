"""Characters no edition can show as they are (builder/characters.py): shown as [U+XXXX] markers
in both editions, counted in the condition record, expected by both read-backs; the reading
text (and so the notes' offsets) keeps every character; the original is carried byte for byte.
A Hypothesis property test sends random Unicode text through both editions and back."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import epubcheck_problems, tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from builder import characters, verify, verify_pdf
from builder.build import build
from builder.corpus import load

NS = {"h": "http://www.w3.org/1999/xhtml"}

# ---------------------------------------------------------------- the rule

MARKED = {
    "\x00": "control", "\x07": "control", "\x1b": "control", "\x7f": "control", "\x85": "control",
    "\x9f": "control", "\ud800": "lone surrogate", "\udfff": "lone surrogate", "\ufdd0": "noncharacter",
    "\ufffe": "noncharacter", "\uffff": "noncharacter", "\U0001fffe": "noncharacter",
    "\U0010ffff": "noncharacter", "\ufeff": "byte-order mark inside the text", "\ue000": "private use",
    "\uf8ff": "private use", "\U000f0000": "private use", "\U0010fffd": "private use", "\u200e": "bidi control",
    "\u200f": "bidi control", "\u202a": "bidi control", "\u202e": "bidi control", "\u2066": "bidi control",
    "\u2069": "bidi control",
}
NOT_MARKED = "\t\n\r aé\u0301\u00a0\u00ad\u200b\u200d\u2028\u05d0\u0627\U0001f600\ufdcf\ufdf0\ufffd"


def test_each_kind_of_character_is_marked_and_named_in_the_condition_record():
    for ch, group in MARKED.items():
        text = f"a{ch}b"
        assert characters.shown(text) == f"a[U+{ord(ch):04X}]b", repr(ch)
        assert characters.condition(text) == [f"1 {group} character shown as [U+XXXX] markers (U+{ord(ch):04X} ×1)"]
    assert characters.shown(NOT_MARKED) == NOT_MARKED and characters.condition(NOT_MARKED) == []


def test_a_byte_order_mark_at_the_start_is_left_as_it_is():
    assert characters.shown("\ufeffText\ufeff") == "\ufeffText[U+FEFF]"
    assert characters.shown("\ufeff", at=3) == "[U+FEFF]"  # a piece further on in its reading text
    assert characters.condition("\ufeffa") == []


def test_offsets_lead_from_the_shown_text_back_to_the_reading_text():
    text = "ab\x00c\u202ed"
    shown = characters.shown(text)
    back = characters.offsets(text)
    assert len(back) == len(shown)
    for k, ch in enumerate(shown):
        if ch in "abcd":
            assert text[back[k]] == ch
    assert back[shown.index("[")] == 2 and back[shown.rindex("[")] == 4
    assert characters.offsets("plain") is None


def test_counts_add_up_per_group():
    lines = characters.condition("\x00\x00\x01 \u202e\u2066")
    assert lines == ["3 control characters shown as [U+XXXX] markers (U+0000 ×2, U+0001 ×1)",
                     "2 bidi control characters shown as [U+XXXX] markers (U+202E ×1, U+2066 ×1)"]


# ---------------------------------------------------------------- both editions

ARCHIVE_TOML = '''title = "Characters"
identifier = "urn:uuid:00000000-1111-4222-8333-444455556677"
language = "en"
date = 2024-05-01
publisher = "Test Press"
rights = "CC BY 4.0"
description = "Characters no edition shows as they are."
sources = [{ids}]
[[editors]]
name = "Ada Editor"
'''


def corpus_of(root: Path, sources: dict[str, tuple[str, str]], notes: dict[str, str] | None = None) -> Path:
    (root / "sources").mkdir(parents=True)
    (root / "archive.toml").write_text(ARCHIVE_TOML.format(ids=", ".join(f'"{i}"' for i in sources)), "utf-8")
    (root / "introduction.md").write_text("An introduction.\n", "utf-8")
    for sid, (suffix, text) in sources.items():
        (root / "sources" / f"{sid}{suffix}").write_bytes(text.encode("utf-8"))
    for sid, toml in (notes or {}).items():
        (root / "sources" / f"{sid}.notes.toml").write_text(toml, "utf-8")
    return root


HOSTILE = ("Before\x00NUL, a bell\x07, escape\x1b[31m, C1\x85 and\x9f, nonchar\ufffe\uffff, "
           "inner\ufeffBOM, private\ue000use.\n"
           "An override: \u202eevil\u202c and isolates \u2066x\u2069, marks \u200ea\u200f.\n\n"
           "The noted passage after them all.\n")
HOSTILE_MD = "# Heading\u0007\n\nMarkdown with a \x01 control and `co\x02de`.\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("chars")
    corpus = corpus_of(root / "corpus", {"hostile": (".txt", HOSTILE), "hostilemd": (".md", HOSTILE_MD)},
                       {"hostile": '[[notes]]\nid = "n"\nkind = "gloss"\nexact = "noted passage"\nbody = "b"\n'
                                   '\n[[notes]]\nid = "o"\nkind = "sic"\nexact = "\\u202Eevil"\nbody = "c"\n'})
    return build(corpus, root / "out")


def test_markers_show_in_the_epub_and_it_is_valid(built):
    epub = built.editions["epub"]
    assert epubcheck_problems(epub) == []
    with zipfile.ZipFile(epub) as z:
        chapter = etree.fromstring(z.read("EPUB/text/hostile.xhtml"))
        shown = verify.chapter_text(z.read("EPUB/text/hostile.xhtml"), "hostile-text")
        for mark in ("[U+0000]", "[U+0007]", "[U+001B]", "[U+0085]", "[U+009F]", "[U+FFFE]", "[U+FFFF]",
                     "[U+FEFF]", "[U+E000]", "[U+202E]", "[U+202C]", "[U+2066]", "[U+2069]", "[U+200E]", "[U+200F]"):
            assert mark in shown
        assert not characters.any_marked(shown)
        assert len(chapter.findall(".//h:span[@class='character']", NS)) == 15
        passages = ["".join(s.itertext()) for s in chapter.iterfind(".//h:span[@class='passage']", NS)]
        assert passages == ["[U+202E]evil", "noted passage"]  # the offsets in the reading text stay right
        md = verify.chapter_text(z.read("EPUB/text/hostilemd.xhtml"), "hostilemd-text")
        assert "[U+0007]" in md and "[U+0001]" in md and "[U+0002]" in md
        provenance = "".join(etree.fromstring(z.read("EPUB/text/hostile-provenance.xhtml")).itertext())
        assert "5 control characters shown as [U+XXXX] markers" in provenance
        assert "6 bidi control characters shown as [U+XXXX] markers" in provenance
        assert z.read("EPUB/originals/hostile.txt") == HOSTILE.encode()


def test_markers_show_in_the_pdf_and_its_read_back_expects_them(built):
    pdf = built.editions["pdf"]
    text = subprocess.run([tool("pdftotext"), "-raw", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    for mark in ("[U+0000]", "[U+001B]", "[U+FFFF]", "[U+E000]", "[U+202E]", "[U+2069]", "[U+0007]", "[U+0002]"):
        assert mark in text
    assert "5 control characters shown as [U+XXXX] markers" in " ".join(text.split())
    assert verify_pdf.findings(pdf, built.archive) == []


def test_archive_check_accepts_the_editions_the_build_verified(built):
    """`archive check` reads the same markers back (the one expectation: verify.expected_text)."""
    from builder.check import check

    report = check(list(built.editions.values()), epubcheck=False)
    assert report.exit_code == 0, report.text()


def test_a_read_back_that_finds_the_raw_character_instead_of_its_marker_fails(built):
    """The read-backs expect the markers: text showing the character itself is damage."""
    archive = built.archive
    source = next(s for s in archive.sources if s.id == "hostile")
    expected = verify.expected_text(source)
    assert "[U+0000]" in expected and "\x00" not in expected
    problem = verify_pdf.match(expected, [(0, line) for line in HOSTILE.replace("\x00", "").splitlines()])
    assert problem and "not whole" in problem


# ---------------------------------------------------------------- any text at all: a property

# Scripts the shipped fonts cover (Libertinus Serif, DejaVu Sans Mono, Noto Naskh Arabic), combining
# marks, white space, and every kind of marked character.
ALPHABET = st.one_of(
    st.characters(codec="utf-8", categories=("Lu", "Ll", "Nd", "Po", "Zs"), max_codepoint=0x24F),
    st.characters(min_codepoint=0x300, max_codepoint=0x36F),  # combining marks
    st.characters(min_codepoint=0x391, max_codepoint=0x3C9),  # Greek
    st.characters(min_codepoint=0x410, max_codepoint=0x44F),  # Cyrillic
    st.characters(min_codepoint=0x621, max_codepoint=0x64A),  # Arabic letters
    # every marked character a UTF-8 file can hold (a lone surrogate cannot: see the tests above)
    st.sampled_from(sorted(c for c in MARKED if not 0xD800 <= ord(c) <= 0xDFFF) + ["\n", "\t", "\r"]),
)


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.text(ALPHABET, min_size=1, max_size=120))
def test_any_text_builds_into_both_editions_and_reads_back_whole(tmp_path_factory, text):
    if not text.strip() or not any(ch.isalnum() for ch in text):
        text = "Text " + text
    root = tmp_path_factory.mktemp("prop")
    corpus = corpus_of(root / "corpus", {"random": (".txt", text)})
    built = build(corpus, root / "out")  # verifies both editions: raises DamageFound if text is lost
    archive = load(corpus)
    assert verify.epub_findings(built.editions["epub"], archive) == []
    assert verify_pdf.findings(built.editions["pdf"], archive) == []
    with zipfile.ZipFile(built.editions["epub"]) as z:
        assert z.read("EPUB/originals/random.txt") == text.encode("utf-8")


def test_a_cluster_the_pdf_gives_once_per_glyph_is_read_once_and_nothing_else_is_forgiven():
    """pdftotext gives a letter with a combining mark of no precomposed form once per glyph."""
    assert verify_pdf.match("A\u034a b", [(0, "A\u034aA\u034a b")]) is None
    assert verify_pdf.match("e\u0301\u0302", [(0, "e\u0301\u0302e\u0301\u0302")]) is None
    assert verify_pdf.match("créé", [(0, "créé")]) is None  # a real repeat is text
    assert verify_pdf.match("A\u034a b", [(0, "A\u034aA\u034a")])  # "b" missing: still damage
    assert verify_pdf.match("AA b", [(0, "AAA b")])  # a repeat without a mark: damage


def test_writers_carry_a_lone_surrogate_as_its_marker():
    import json

    from builder.writers import epub, layout, pdf

    assert epub.shown_xhtml("a\ud800<b", 5) == 'a<span class="character">[U+D800]</span>&lt;b'
    data = pdf._segment(layout.Segment("a\udfffb", at=3))
    assert json.dumps(data, ensure_ascii=False).encode("utf-8") == b'"a[U+DFFF]b"'
