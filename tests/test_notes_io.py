"""`archive notes import` and `archive notes export`: Hypothesis and W3C Web Annotation JSON-LD."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, DATA, REPO

from builder import anchor, corpus, notes_io
from builder.cli import main
from builder.errors import UsageError

EXAMPLE = DATA / "hypothesis-api.json"  # copied from the shared examples: tests/data/README.md
JLM = "jlm-duty-of-care-report"
URL = "https://example.org/news/jlm-alarm"

EXISTING_NOTES = """# Notes on the JLM report: this comment must survive an import.

[[notes]] # written by hand
id = "katz"
kind = "gloss"
exact = "Mike Katz"
body = "Chair of the JLM."  # and this one
"""


def make_corpus(root: Path, with_provenance: bool = True) -> Path:
    """A one-source corpus holding the report the Hypothesis example annotates."""
    (root / "sources").mkdir(parents=True)
    (root / "archive.toml").write_text(
        'title = "Import test"\nidentifier = "urn:uuid:5d0f3c1e-2b7a-4c8e-9f1d-3a6b8c0e2f41"\nlanguage = "en-GB"\n'
        'date = 2024-05-01\npublisher = "Tests"\nrights = "CC0"\ndescription = "D."\n[[editors]]\nname = "E"\n',
        encoding="utf-8")
    (root / "introduction.md").write_text("Intro.\n", encoding="utf-8")
    text = CORPUS / "sources" / f"{JLM}.txt"
    shutil.copyfile(text, root / "sources" / f"{JLM}.txt")
    (root / "sources" / f"{JLM}.txt").chmod(0o644)
    if with_provenance:
        sha = hashlib.sha256(text.read_bytes()).hexdigest()
        (root / "sources" / f"{JLM}.toml").write_text(f"""title = "JLM alarm"
kind = "news report"
summary = "S."
rights = "R."
[date]
certainty = "unknown"
[origin]
description = "A news site."
url = "{URL}"
identifiers = ["urn:x-archive:jlm-harassment-report"]
[received]
file_name = "002.txt"
how = "by e-mail"
sha256 = "{sha}"
[condition]
summary = "As saved."
""", encoding="utf-8")
    (root / "sources" / f"{JLM}.notes.toml").write_text(EXISTING_NOTES, encoding="utf-8")
    return root


def default_corpus_ready() -> bool:
    return all((CORPUS / name).is_file() for name in ("archive.toml", "introduction.md", f"sources/{JLM}.txt"))


@pytest.fixture(params=["small", "default"])
def jlm_corpus(request, tmp_path) -> Path:
    """The Hypothesis example's source in a small corpus, and in a copy of the default corpus."""
    if request.param == "small":
        return make_corpus(tmp_path / "small")
    assert default_corpus_ready(), "the default corpus is incomplete"
    return request.getfixturevalue("corpus_copy")


def notes_of(root: Path, sid: str = JLM) -> list[dict]:
    path = root / "sources" / f"{sid}.notes.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")).get("notes", []) if path.exists() else []


def run(*args: str):
    return CliRunner().invoke(main, ["notes", *map(str, args)])


def hypothesis_rows() -> list[dict]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))["rows"]


# -- the Hypothesis example ------------------------------------------------------------------

def test_import_hypothesis_example(jlm_corpus):
    path = jlm_corpus / "sources" / f"{JLM}.notes.toml"
    before_text = path.read_text(encoding="utf-8") if path.exists() else ""
    before = notes_of(jlm_corpus)
    result = run("import", EXAMPLE, jlm_corpus, "--source", JLM)
    assert result.exit_code == 1, result.output
    assert "skipped   Ex4mpleAnn0006: a reply (to Ex4mpleAnn0005)" in result.stdout
    assert "orphan    Ex4mpleAnn0007: in jlm-duty-of-care-report, its quote is not in the source" in result.stderr
    assert "«the chair resigned»" in result.stderr and "Nearest passages: «" in result.stderr
    assert "5 added, 0 replaced, 0 unchanged, 1 skipped, 1 not placed." in result.stdout
    after = notes_of(jlm_corpus)
    assert after[:len(before)] == before  # existing notes kept, first and unchanged
    new = {n["id"]: n for n in after[len(before):]}
    assert list(new) == [f"h-ex4mpleann000{i}" for i in range(1, 6)]
    assert {k: n["kind"] for k, n in new.items()} == {
        "h-ex4mpleann0001": "condition", "h-ex4mpleann0002": "gloss", "h-ex4mpleann0003": "gloss",
        "h-ex4mpleann0004": "sic", "h-ex4mpleann0005": "gloss"}  # no tag: gloss
    # each quote lands where it is in the source (each occurs once there), as code points
    text = (jlm_corpus / "sources" / f"{JLM}.txt").read_text(encoding="utf-8")
    quotes = {f"h-{r['id'].lower()}": [s["exact"] for t in r["target"] for s in t.get("selector", [])
                                       if s["type"] == "TextQuoteSelector"] for r in hypothesis_rows()}
    spans = [(n.get("start"), n.get("end")) for n in new.values()]
    expected = []
    for nid in new:
        if quotes[nid]:
            (exact,) = quotes[nid]
            assert text.count(exact) == 1, exact
            expected.append((text.index(exact), text.index(exact) + len(exact)))
        else:
            expected.append((None, None))
    assert spans == expected and expected.count((None, None)) == 1
    assert "exact" not in new["h-ex4mpleann0005"]  # a page note: a note on the whole source
    assert new["h-ex4mpleann0004"]["exact"] == "This weeks' events"
    written = path.read_text(encoding="utf-8")
    comments = [line.split("#", 1)[1] for line in before_text.splitlines() if "#" in line]
    assert all(c in written for c in comments)  # every comment kept
    assert "[[notes]] # from Hypothesis annotation Ex4mpleAnn0001" in written
    # and the corpus still loads, and its notes anchor
    archive, anchors = anchor.anchor(corpus.load(jlm_corpus))
    assert {a.note.id for a in anchors[JLM]} >= set(new)


def test_import_twice_does_not_duplicate(jlm_corpus):
    assert run("import", EXAMPLE, jlm_corpus, "--source", JLM).exit_code == 1
    path = jlm_corpus / "sources" / f"{JLM}.notes.toml"
    first = path.read_bytes()
    again = run("import", EXAMPLE, jlm_corpus, "--source", JLM)
    assert again.exit_code == 1
    assert "0 added, 0 replaced, 5 unchanged" in again.stdout
    assert path.read_bytes() == first  # nothing changed, nothing rewritten
    ids = [n.get("id") for n in notes_of(jlm_corpus)]
    assert len(ids) == len(set(ids))


def test_reimport_of_an_edited_annotation_replaces_the_note_in_place(tmp_path):
    root = make_corpus(tmp_path / "c")
    assert run("import", EXAMPLE, root, "--source", JLM).exit_code == 1
    rows = hypothesis_rows()
    rows[1]["text"] = "National chair of the JLM (corrected)."
    rows[1]["tags"] = ["xref"]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({"rows": rows[:2]}), encoding="utf-8")
    result = run("import", edited, root, "--source", JLM)
    assert result.exit_code == 0, result.output
    assert "replaced  Ex4mpleAnn0002 -> jlm-duty-of-care-report/h-ex4mpleann0002" in result.stdout
    notes = notes_of(root)
    katz = [n for n in notes if n["id"] == "h-ex4mpleann0002"]
    assert len(katz) == 1 and katz[0]["kind"] == "cross-reference" and "(corrected)" in katz[0]["body"]
    assert [n["id"] for n in notes][:3] == ["katz", "h-ex4mpleann0001", "h-ex4mpleann0002"]  # same place


def test_targets_map_to_sources_by_provenance_identifiers(tmp_path):
    root = make_corpus(tmp_path / "c")  # its provenance lists urn:x-archive:jlm-harassment-report
    result = run("import", EXAMPLE, root)
    assert result.exit_code == 1
    assert "5 added" in result.stdout


def test_unmapped_target_is_an_orphan_naming_the_fix(tmp_path):
    root = make_corpus(tmp_path / "c", with_provenance=False)
    result = run("import", EXAMPLE, root)
    assert result.exit_code == 1
    assert result.stderr.count("is no source's origin.url or origin.identifiers") == 6
    assert "--source" in result.stderr
    assert notes_of(root) == tomllib.loads(EXISTING_NOTES)["notes"]


# -- other shapes of input -------------------------------------------------------------------

def test_plain_list_of_hypothesis_annotations(tmp_path):
    root = make_corpus(tmp_path / "c")
    rows = hypothesis_rows()[:4]
    rows[0]["tags"] = ["Sic"]
    rows[1]["tags"] = ["private", "xref"]
    rows[2]["tags"] = ["unrelated"]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    result = run("import", path, root, "--source", JLM)
    assert result.exit_code == 0, result.output
    kinds = {n["id"]: n["kind"] for n in notes_of(root)}
    assert kinds == {"katz": "gloss", "h-ex4mpleann0001": "sic", "h-ex4mpleann0002": "cross-reference",
                     "h-ex4mpleann0003": "gloss", "h-ex4mpleann0004": "sic"}


def w3c_annotation(aid: str, exact: str, **quote) -> dict:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld", "id": aid, "type": "Annotation",
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "purpose": "tagging", "value": "condition"},
                 {"type": "TextualBody", "value": f"On *{exact}*.", "format": "text/markdown"}],
        "target": {"source": URL, "selector": {"type": "TextQuoteSelector", "exact": exact, **quote}},
    }


def test_w3c_single_annotation(tmp_path):
    root = make_corpus(tmp_path / "c")
    path = tmp_path / "one.jsonld"
    path.write_text(json.dumps(w3c_annotation("https://notes.example/anno/1", "incompetent business")))
    result = run("import", path, root)  # mapped by origin.url
    assert result.exit_code == 0, result.output
    note = notes_of(root)[-1]
    assert note["id"].startswith("w-1-") and note["kind"] == "condition"
    text = (root / "sources" / f"{JLM}.txt").read_text(encoding="utf-8")
    at = text.index("incompetent business")
    assert text.count("incompetent business") == 1
    assert (note["exact"], note["start"], note["end"], note["body"]) == (
        "incompetent business", at, at + 20, "On *incompetent business*.")


@pytest.mark.parametrize("shape", ["collection-first", "collection-items", "page"])
def test_w3c_collection_and_page(tmp_path, shape):
    root = make_corpus(tmp_path / "c")
    items = [w3c_annotation("urn:x-notes:a", "Mike Katz"),
             {**w3c_annotation("urn:x-notes:b", "closeicon"), "body": {"type": "TextualBody", "value": "Furniture."}},
             {"@context": "http://www.w3.org/ns/anno.jsonld", "id": "urn:x-notes:c", "type": "Annotation",
              "bodyValue": "On the whole report.", "target": URL},
             {"@context": "http://www.w3.org/ns/anno.jsonld", "id": "urn:x-notes:d", "type": "Annotation",
              "motivation": "replying", "bodyValue": "Agreed.", "target": "urn:x-notes:a"}]
    data = {"collection-first": {"type": "AnnotationCollection", "first": {"type": "AnnotationPage", "items": items}},
            "collection-items": {"type": "AnnotationCollection", "items": items},
            "page": {"type": "AnnotationPage", "items": items}}[shape]
    path = tmp_path / "many.jsonld"
    path.write_text(json.dumps(data))
    result = run("import", path, root)
    assert result.exit_code == 0, result.output
    assert "skipped   urn:x-notes:d: a reply" in result.stdout
    new = notes_of(root)[1:]
    assert [(n["kind"], n.get("exact"), n["body"]) for n in new] == [
        ("condition", "Mike Katz", "On *Mike Katz*."), ("gloss", "closeicon", "Furniture."),
        ("gloss", None, "On the whole report.")]


def test_repeated_quote_gets_the_context_that_settles_it(tmp_path):
    root = make_corpus(tmp_path / "c")
    text = (root / "sources" / f"{JLM}.txt").read_text(encoding="utf-8")
    word = "JLM"
    hits = [i for i in range(len(text)) if text.startswith(word, i)]
    assert len(hits) > 2
    at = hits[2]
    prefix, suffix = text[at - 32:at], text[at + 3:at + 35]
    path = tmp_path / "one.jsonld"
    path.write_text(json.dumps(w3c_annotation("urn:x-notes:jlm", word, prefix=prefix, suffix=suffix)))
    assert run("import", path, root).exit_code == 0
    note = notes_of(root)[-1]
    assert (note["start"], note["end"]) == (at, at + 3)
    assert note["prefix"] and len(note["prefix"]) <= 32 and text[:at].endswith(note["prefix"])
    assert anchor.locate(text, anchor.Selector(word, note["prefix"], note["suffix"])) == (at, at + 3)


def test_position_only_target_is_an_orphan(tmp_path):
    root = make_corpus(tmp_path / "c")
    row = copy.deepcopy(hypothesis_rows()[1])
    row["target"][0]["selector"] = [s for s in row["target"][0]["selector"] if s["type"] != "TextQuoteSelector"]
    path = tmp_path / "pos.json"
    path.write_text(json.dumps([row]))
    result = run("import", path, root)
    assert result.exit_code == 1
    assert "no TextQuoteSelector (only RangeSelector, TextPositionSelector)" in result.stderr


# -- usage errors: exit 2, nothing written -----------------------------------------------------

@pytest.mark.parametrize("content, args, message", [
    ('{"rows": [', ("--source", JLM), "malformed JSON"),
    ('{"hello": "world"}', ("--source", JLM), "not Hypothesis or W3C"),
    ('[1, 2]', ("--source", JLM), "not Hypothesis or W3C"),
    (None, ("--source", "no-such-source"), "--source no-such-source: the corpus has no such source"),
])
def test_bad_usage_exits_2(tmp_path, content, args, message):
    root = make_corpus(tmp_path / "c")
    path = EXAMPLE
    if content is not None:
        path = tmp_path / "bad.json"
        path.write_text(content)
    before = (root / "sources" / f"{JLM}.notes.toml").read_bytes()
    result = run("import", path, root, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert (root / "sources" / f"{JLM}.notes.toml").read_bytes() == before


def test_missing_file_exits_2(tmp_path):
    result = run("import", tmp_path / "nope.json", make_corpus(tmp_path / "c"))
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_read_annotations_raises_usage_error(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"type": "AnnotationCollection", "first": "https://example.org/page1"}')
    with pytest.raises(UsageError, match="only a link"):
        notes_io.read_annotations(path)


# -- export, and round trip --------------------------------------------------------------------

def test_export_is_w3c_and_deterministic(tmp_path):
    root = make_corpus(tmp_path / "c")
    assert run("import", EXAMPLE, root, "--source", JLM).exit_code == 1
    out = tmp_path / "notes.jsonld"
    result = run("export", root, "-o", out)
    assert result.exit_code == 0, result.output
    first = out.read_bytes()
    assert run("export", root, "-o", "-").stdout.encode() == first
    data = json.loads(first)
    assert data["type"] == "AnnotationCollection" and data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    items = data["first"]["items"]
    assert data["total"] == len(items) == 6
    text = (root / "sources" / f"{JLM}.txt").read_text(encoding="utf-8")
    # the note on the whole source targets the source's IRI itself; the five on passages have both selectors
    assert [item["target"] for item in items if isinstance(item["target"], str)] == [URL]
    motivations = {"sic": "commenting", "gloss": "commenting", "condition": "describing", "cross-reference": "linking"}
    for item in items:
        tag, comment = item["body"]
        assert item["type"] == "Annotation" and item["motivation"] == motivations[tag["value"]]
        assert item["id"].startswith("urn:uuid:5d0f3c1e-2b7a-4c8e-9f1d-3a6b8c0e2f41#jlm-duty-of-care-report/")
        assert tag["purpose"] == "tagging"
        assert comment["purpose"] == item["motivation"] and comment["format"] == "text/markdown"
        if isinstance(item["target"], dict):
            assert item["target"]["source"] == URL  # the source's URL, when its provenance gives one
            quote, position = item["target"]["selector"]
            assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
            s, e = position["start"], position["end"]
            assert quote["exact"] == text[s:e]
            assert quote["prefix"] == text[max(0, s - 32):s] and quote["suffix"] == text[e:e + 32]


def test_export_default_output_path(tmp_path, monkeypatch):
    root = make_corpus(tmp_path / "c")
    monkeypatch.chdir(tmp_path)
    result = run("export", root)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "output" / "import-test-notes.jsonld").is_file()


def test_export_then_import_gives_the_same_notes_back(tmp_path):
    root = make_corpus(tmp_path / "c")
    assert run("import", EXAMPLE, root, "--source", JLM).exit_code == 1
    exported = tmp_path / "notes.jsonld"
    assert run("export", root, "-o", exported).exit_code == 0
    fresh = make_corpus(tmp_path / "fresh")
    (fresh / "sources" / f"{JLM}.notes.toml").unlink()
    result = run("import", exported, fresh)
    assert result.exit_code == 0, result.output

    def placed(r: Path) -> dict:
        archive, anchors = anchor.anchor(corpus.load(r))
        return {a.note.id: (a.note.kind, a.note.selector.exact, a.start, a.end, a.note.body) for a in anchors[JLM]}

    assert placed(fresh) == placed(root)
    again = tmp_path / "again.jsonld"
    assert run("export", fresh, "-o", again).exit_code == 0
    assert again.read_bytes() == exported.read_bytes()
    # and importing our own export into the corpus it came from changes nothing
    result = run("import", exported, root)
    assert result.exit_code == 0 and "0 added, 0 replaced, 6 unchanged" in result.stdout


def test_default_corpus_round_trip(tmp_path, corpus_copy):
    assert default_corpus_ready(), "the default corpus is incomplete"
    out = tmp_path / "notes.jsonld"
    assert run("export", corpus_copy, "-o", out).exit_code == 0
    archive = corpus.load(corpus_copy)
    assert len(notes_io.read_annotations(out)) == sum(len(s.notes) for s in archive.sources)
    for path in (corpus_copy / "sources").glob("*.notes.toml"):
        path.unlink()
    result = run("import", out, corpus_copy)
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.jsonld"
    assert run("export", corpus_copy, "-o", again).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_notes_commands_have_help_with_an_example():
    for args in (["notes", "--help"], ["notes", "import", "--help"], ["notes", "export", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and "Example:" in result.output


def test_quote_across_a_paragraph_break_and_a_body_of_paragraphs(tmp_path):
    root = make_corpus(tmp_path / "c")
    text = (root / "sources" / f"{JLM}.txt").read_text(encoding="utf-8")
    at = text.index("\n\nIt added:")
    exact = text[at - 10:at + 12]
    body = 'First paragraph, with "quotes" and a back\\slash.\n\nSecond paragraph.'
    path = tmp_path / "one.jsonld"
    path.write_text(json.dumps({**w3c_annotation("urn:x-notes:para", exact),
                                "body": {"type": "TextualBody", "value": body}}))
    assert run("import", path, root).exit_code == 0
    note = notes_of(root)[-1]
    assert (note["exact"], note["start"], note["end"], note["body"]) == (exact, at - 10, at + 12, body)
    assert '"""' in (root / "sources" / f"{JLM}.notes.toml").read_text(encoding="utf-8")  # readable body
    again = run("import", path, root)
    assert "1 unchanged" in again.stdout
