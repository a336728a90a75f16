"""Anchoring notes: the quote decides, prefix/suffix settle a repeat, a position is only a hint."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from builder import anchor
from builder.anchor import Unanchored, context, locate, settling_context
from builder.errors import CorpusError
from builder.model import Note, Provenance, Selector, Source

TEXT = ("“Opening” words, with 10\u00a0000 votes.\n"
        "It said again and again and again that it would not.\n"
        "\n"
        "A second paragraph starts here.\n"
        "The last line ends the text.")


def test_unique_quote_wins():
    start, end = locate(TEXT, Selector("second paragraph"))
    assert TEXT[start:end] == "second paragraph"
    assert (start, end) == (TEXT.index("second paragraph"), TEXT.index("second paragraph") + 16)


def test_whole_source_selector_has_no_span():
    assert locate(TEXT, Selector()) is None


@pytest.mark.parametrize("selector, expected_at", [
    (Selector("again", prefix="said "), 0),
    (Selector("again", prefix="and ", suffix=" and"), 1),
    (Selector("again", suffix=" that"), 2),
    (Selector("again", prefix="again and ", suffix=" that"), 2),
])
def test_repeated_quote_settled_by_prefix_and_suffix(selector, expected_at):
    hits = [i for i in range(len(TEXT)) if TEXT.startswith("again", i)]
    assert len(hits) == 3
    assert locate(TEXT, selector) == (hits[expected_at], hits[expected_at] + 5)


def test_repeated_quote_without_context_is_ambiguous():
    with pytest.raises(Unanchored) as e:
        locate(TEXT, Selector("again"))
    assert "occurs 3 times" in e.value.reason
    assert len(e.value.candidates) == 3
    assert all("again" in c and "(at " in c for c in e.value.candidates)


def test_context_that_does_not_settle_is_ambiguous_unless_the_position_names_one():
    text = "one two one two one"
    with pytest.raises(Unanchored, match="do not settle"):
        locate(text, Selector("one", suffix=" two"))
    assert locate(text, Selector("one", suffix=" two", start=8, end=11)) == (8, 11)


def test_context_that_matches_no_occurrence_is_an_error():
    with pytest.raises(Unanchored, match="never with this prefix and suffix"):
        locate(TEXT, Selector("again", prefix="nowhere "))


def test_context_with_white_space_recorded_differently_still_settles():
    # a tool that saw a rendering records the paragraph break as one space
    text = "end.\n\nagain here; end. again there"
    assert locate(text, Selector("again", prefix="end. ", suffix=" here")) == (6, 11)


def test_position_hint_disagreeing_with_a_unique_quote_is_ignored():
    at = TEXT.index("last line")
    assert locate(TEXT, Selector("last line", start=3, end=12)) == (at, at + 9)


def test_at_the_very_start_and_the_very_end():
    assert locate(TEXT, Selector("“Opening”")) == (0, 9)
    assert locate(TEXT, Selector("the text.")) == (len(TEXT) - 9, len(TEXT))


def test_across_a_paragraph_break():
    start, end = locate(TEXT, Selector("would not.\n\nA second"))
    assert TEXT[start:end] == "would not.\n\nA second"


def test_non_ascii_counted_in_code_points():
    assert TEXT[22:28] == "10\u00a0000"  # after “Opening” words, with (curly quotes: 1 each)
    assert locate(TEXT, Selector("10\u00a0000")) == (22, 28)
    with pytest.raises(Unanchored):  # an ordinary space is not a no-break space
        locate(TEXT, Selector("10 000 votes"))
    emoji = "🙂 then “quoted”"
    assert locate(emoji, Selector("“quoted”")) == (7, 15)  # one code point for the emoji, not two


def test_not_found_names_the_nearest_passages():
    with pytest.raises(Unanchored) as e:
        locate(TEXT, Selector("A second paragraf starts"))
    assert e.value.reason == "its quote is not in the source"
    assert any("A second paragraph" in c for c in e.value.candidates)


def test_overlapping_occurrences_of_the_quote_are_all_counted():
    with pytest.raises(Unanchored, match="occurs 2 times"):
        locate("aaa", Selector("aa"))
    assert locate("aaa", Selector("aa", prefix="a")) == (1, 3)


def test_context_and_settling_context():
    at = TEXT.index("again and again that")
    assert context(TEXT, 0, 9, 32) == ("", TEXT[9:41])
    assert context(TEXT, at, at + 5, 4) == (TEXT[at - 4:at], TEXT[at + 5:at + 9])
    assert settling_context(TEXT, 0, 9) == ("", "")  # unique: no context needed
    prefix, suffix = settling_context(TEXT, at, at + 5)
    assert locate(TEXT, Selector("again", prefix, suffix)) == (at, at + 5)
    assert len(prefix) <= 32 and len(suffix) <= 32


# -- anchor_source and anchor: every note placed and numbered, or every problem named ---------

def make_source(tmp_path: Path, notes: list[Note], text: str = TEXT) -> Source:
    path = tmp_path / "x.txt"
    path.write_text(text, encoding="utf-8")
    data = path.read_bytes()
    return Source("x", path, hashlib.sha256(data).hexdigest(), len(data), len(text), Provenance("x"),
                  tuple(notes), tmp_path / "x.notes.toml")


def test_numbering_whole_source_first_then_reading_order_with_overlap_and_nesting(tmp_path):
    notes = [
        Note("late", "gloss", "b", Selector("the text.")),
        Note("outer", "gloss", "b", Selector("A second paragraph starts")),
        Note("inner", "sic", "b", Selector("second")),
        Note("overlap", "condition", "b", Selector("paragraph starts here.")),
        Note("whole", "condition", "b"),
    ]
    source = make_source(tmp_path, notes)
    placed, problems = anchor.anchor_source(source, TEXT)
    assert problems == []
    assert [(a.number, a.note.id) for a in placed] == [
        (1, "whole"), (2, "inner"), (3, "outer"), (4, "overlap"), (5, "late")]
    by_id = {a.note.id: a for a in placed}
    assert by_id["whole"].whole and by_id["whole"].start is None
    outer, inner, overlap = by_id["outer"], by_id["inner"], by_id["overlap"]
    assert outer.start < inner.start < inner.end < outer.end  # nested
    assert outer.start < overlap.start < outer.end < overlap.end  # overlapping


def test_problems_name_the_note_and_the_nearest_passages(tmp_path):
    notes = [Note("ok", "gloss", "b", Selector("votes")),
             Note("typo", "sic", "b", Selector("A second paragraf"), line=7),
             Note("twice", "gloss", "b", Selector("again"), line=12)]
    placed, problems = anchor.anchor_source(make_source(tmp_path, notes), TEXT)
    assert [a.note.id for a in placed] == ["ok"]
    assert [(p.code, p.line) for p in problems] == [("N201", 7), ("N201", 12)]
    assert "note 'typo'" in problems[0].message and "not in the source" in problems[0].message
    at = TEXT.index("A second paragraph")  # the window as long as the quote, where it starts in the text
    assert f"Nearest passages: «{TEXT[at:at + len('A second paragraf')]}» (at {at})" in problems[0].message
    assert "note 'twice'" in problems[1].message and "occurs 3 times" in problems[1].message
    assert "prefix" in problems[1].fix


def test_anchor_raises_listing_every_problem_and_drops_nothing(tmp_path):
    from builder import corpus

    root = tmp_path / "corpus"
    (root / "sources").mkdir(parents=True)
    (root / "archive.toml").write_text(
        'title = "T"\nidentifier = "urn:uuid:1"\nlanguage = "en"\ndate = 2024-01-01\npublisher = "P"\n'
        'rights = "R"\ndescription = "D"\n[[editors]]\nname = "E"\n', encoding="utf-8")
    (root / "introduction.md").write_text("Intro.\n", encoding="utf-8")
    (root / "sources" / "x.txt").write_text(TEXT, encoding="utf-8")
    (root / "sources" / "x.notes.toml").write_text(
        '[[notes]]\nkind = "gloss"\nexact = "nowhere at all"\nbody = "b"\n\n'
        '[[notes]]\nkind = "gloss"\nexact = "again"\nbody = "b"\n', encoding="utf-8")
    archive = corpus.load(root)
    with pytest.raises(CorpusError) as e:
        anchor.anchor(archive)
    messages = [p.message for p in e.value.problems]
    assert len(messages) == 2
    assert "note 'n1'" in messages[0] and "note 'n2'" in messages[1]
    assert [p.line for p in e.value.problems] == [1, 6]
