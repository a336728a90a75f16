"""The PDF edition: PDF/A-3a + PDF/UA-1 claimed, sources attached, every character kept.

Checked with pikepdf, qpdf and poppler (no PDF/A validator is available: these checks are
structural). Most tests use a small corpus written here (notes, Arabic, Typst-like
characters, Markdown and HTML sources); some use the default archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from conftest import need
from corpora import ARABIC, LETTER, PLAIN, write_corpus  # noqa: E402,F401

from builder import anchor, corpus, validators, verify_pdf
from builder.writers import pdf
from builder.build import build
from builder.errors import ValidatorUnavailable


@pytest.fixture(scope="session")
def test_corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("pdf-corpus") / "corpus")


@pytest.fixture(scope="session")
def test_pdf(test_corpus, tmp_path_factory) -> Path:
    return build(test_corpus, tmp_path_factory.mktemp("pdf-out"), ("pdf",)).editions["pdf"]


@pytest.fixture(scope="session")
def test_archive(test_corpus):
    return corpus.load(test_corpus)


def tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise ValidatorUnavailable(f"{name} is not installed: apt-get install poppler-utils qpdf ghostscript")
    return path


def run(name: str, *args: str) -> str:
    return subprocess.run([tool(name), *args], capture_output=True, text=True, check=True).stdout


def structure_kinds(pdf_: pikepdf.Pdf) -> set[str]:
    kinds, stack = set(), [pdf_.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                kinds.add(str(node.S))
            kids = node.get("/K")
            if isinstance(kids, pikepdf.Array):
                stack.extend(kids)
            elif kids is not None:
                stack.append(kids)
    return kinds


# ---------------------------------------------------------------- claims and structure

def test_claims_pdfa3a_and_pdfua1_in_xmp(test_pdf):
    with pikepdf.open(test_pdf) as p:
        meta = p.open_metadata()
        assert meta.pdfa_status == "3A"
        assert meta.get("{http://www.aiim.org/pdfua/ns/id/}part") == "1"
        assert meta.get("dc:title") == "A Test Archive: Made for the PDF tests"
        assert "Ada Editor" in str(meta.get("dc:creator"))
        assert meta.get("xmp:CreateDate").startswith("2024-05-01")
        assert "urn:uuid:00000000-1111-4222-8333-444455556666" in str(meta.get("pdf:Keywords"))
        assert str(p.Root.Lang) == "en-GB"
        assert p.Root.MarkInfo.Marked


def test_qpdf_check_is_clean(test_pdf):
    assert need(validators.qpdf_check, test_pdf) == []


def test_qpdf_check_catches_a_damaged_pdf(test_pdf, tmp_path):
    data = bytearray(test_pdf.read_bytes())
    xref = data.rindex(b"startxref")
    data[xref + 10:xref + 14] = b"9999"  # the cross-reference table now points nowhere
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(bytes(data))
    assert need(validators.qpdf_check, damaged)


def fonts_not_embedded(path: Path) -> list[str]:
    rows = need(run, "pdffonts", str(path)).splitlines()[2:]
    assert rows, "pdffonts listed no font"
    return [row for row in rows if row.split()[-5] != "yes"]


def test_every_font_is_embedded(test_pdf):
    assert fonts_not_embedded(test_pdf) == []
    rows = need(run, "pdffonts", str(test_pdf))
    assert "NotoNaskhArabic" in rows and "LibertinusSerif" in rows


def test_font_check_catches_a_font_that_is_not_embedded(tmp_path):
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page = pdf.add_blank_page()
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (not embedded) Tj ET")
    pdf.save(tmp_path / "helvetica.pdf")
    assert any("Helvetica" in row for row in fonts_not_embedded(tmp_path / "helvetica.pdf"))


def test_structure_tree_has_headings_and_notes(test_pdf):
    with pikepdf.open(test_pdf) as p:
        kinds = structure_kinds(p)
    assert {"/H1", "/H2", "/P", "/TOC", "/Link", "/Table"} <= kinds
    assert kinds & {"/Note", "/FENote"}


def test_outline_has_introduction_every_source_and_its_provenance(test_pdf, test_archive):
    with pikepdf.open(test_pdf) as p, p.open_outline() as o:
        titles = [str(i.title) for i in o.root]
        children = {str(i.title): [str(c.title) for c in i.children] for i in o.root}
    expected = ["Introduction", *(s.provenance.title for s in test_archive.sources), "Colophon"]
    assert expected[1] == "Letter to the Editor" and expected[2] == "arabic"  # recorded title; id when none is
    assert titles == expected
    for title in expected[1:-1]:
        assert "Provenance and condition" in children[title]


def test_originals_attached_byte_for_byte_as_source(test_pdf, test_archive):
    with pikepdf.open(test_pdf) as p:
        attached = dict(p.attachments.items())
        af = {spec.objgen for spec in p.Root.AF}
        # every source, and the notes as W3C annotations (a supplement, not a source)
        assert sorted(attached) == sorted([s.file_name for s in test_archive.sources] + ["annotations.jsonld"])
        notes = attached["annotations.jsonld"]
        assert notes.obj.AFRelationship == pikepdf.Name.Supplement and notes.obj.objgen in af
        assert json.loads(notes.get_file().read_bytes())["total"] == sum(len(s.notes) for s in test_archive.sources)
        for s in test_archive.sources:
            spec = attached[s.file_name]
            assert hashlib.sha256(spec.get_file().read_bytes()).hexdigest() == s.sha256
            assert spec.obj.AFRelationship == pikepdf.Name.Source
            assert spec.obj.objgen in af
            assert spec.get_file().mime_type == s.media_type
    assert "letter.txt" in need(run, "pdfdetach", "-list", str(test_pdf))


def test_page_sizes(tmp_path):
    root = write_corpus(tmp_path / "c", page_size="us-trade")
    out = build(root, tmp_path / "out", ("pdf",)).editions["pdf"]
    with pikepdf.open(out) as p:
        assert [round(float(x)) for x in p.pages[0].mediabox] == [0, 0, 432, 648]
    assert not (tmp_path / "out" / "a-test-archive.epub").exists()


# ---------------------------------------------------------------- fidelity

def test_verify_finds_nothing_wrong(test_pdf, test_archive):
    assert verify_pdf.findings(test_pdf, test_archive) == []


def test_source_text_is_data_not_markup(test_pdf):
    text = " ".join(need(run, "pdftotext", "-raw", str(test_pdf), "-").split())
    assert '#set page(paper: "a4") and $x^2$ and [link](x) <lbl> @ref * _ \\ were said' in text
    assert "#strong[x]" in text and "*#set* and $x$" not in text and "#set and $x$ print" in text


def test_match_reports_a_dropped_word():
    lines = [(0, "Running head 3"), (0, "I write about the meeting of"), (0, "3 March, at which hyphenation"),
             (1, "was discussed."), (1, "1 A footnote.")]
    source = "I write about the meeting of 3 March, at which hyphenation was discussed."
    assert verify_pdf.match(source, lines) is None
    damaged = [(p, line.replace("meeting ", "")) for p, line in lines]
    problem = verify_pdf.match(source, damaged)
    assert problem and "meeting" in problem


@pytest.mark.parametrize("inserted", [("hyphenation", "hyph-"), ("discussed.", "discussed.1"),
                                      ("3 March", "3 March12")])
def test_match_is_strict_inside_the_source(inserted):
    """Nothing may be inserted inside a source's line: not a hyphen at a line's end (source text is
    not hyphenated), not a note marker's digits (the edition draws markers as shapes)."""
    source = "I write about the meeting of 3 March, at which hyphenation was discussed."
    lines = [(0, "I write about the meeting of"), (0, "3 March, at which hyphenation"), (1, "was discussed.")]
    old, new = inserted
    if old == "hyphenation":
        lines = [(0, "I write about the meeting of"), (0, "3 March, at which hyph-"), (1, "enation was discussed.")]
    else:
        lines = [(p, line.replace(old, new)) for p, line in lines]
    assert verify_pdf.match(source, lines)


def test_a_pdf_missing_a_word_fails_verification(test_archive, tmp_path, monkeypatch):
    archive, anchors = anchor.anchor(test_archive)
    original = pdf.source_data

    def drop_a_word(source, notes, ids, **kw):
        data = original(source, notes, ids, **kw)
        if source.id == "long":  # the real data, one word removed, laid out and compiled by Typst
            line = data["paragraphs"][3][0]
            line[0] = line[0].replace("word3x17 ", "", 1)
        return data

    monkeypatch.setattr(pdf, "source_data", drop_a_word)
    damaged = pdf.write(archive, anchors, tmp_path / "damaged.pdf")
    found = verify_pdf.findings(damaged, archive)
    assert len(found) == 1 and "long" in found[0].where and "word3x17" in found[0].message


def test_missing_claims_language_and_structure_fail_verification(test_pdf, test_archive, tmp_path):
    with pikepdf.open(test_pdf) as p:
        with p.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta[verify_pdf.PDFAID + "part"] = "2"
            del meta[verify_pdf.PDFUAID + "part"]
        del p.Root.Lang
        del p.Root.StructTreeRoot
        p.save(tmp_path / "unclaimed.pdf")
    found = [f.message for f in verify_pdf.findings(tmp_path / "unclaimed.pdf", test_archive)]
    for words in ("PDF/A-3a", "PDF/UA-1", "no /Lang", "no structure tree"):
        assert any(words in f for f in found), (words, found)


def test_an_attachment_changed_or_not_a_source_fails_verification(test_pdf, test_archive, tmp_path):
    with pikepdf.open(test_pdf) as p:
        letter = p.attachments["letter.txt"]
        stream = letter.obj.EF.F
        data = stream.read_bytes()
        stream.write(data[:3] + bytes([data[3] ^ 1]) + data[4:])
        p.attachments["arabic.txt"].obj.AFRelationship = pikepdf.Name.Data
        p.Root.AF = pikepdf.Array([spec for spec in p.Root.AF if str(spec.get("/UF")) != "long.txt"])
        p.save(tmp_path / "changed.pdf")
    found = [str(f) for f in verify_pdf.findings(tmp_path / "changed.pdf", test_archive)]
    assert any("attached letter.txt: SHA-256 does not match" in f for f in found), found
    assert any("attached arabic.txt: AFRelationship is not /Source" in f for f in found), found
    assert any("attached long.txt is not an associated file (/AF)" in f for f in found), found


def test_a_pdf_without_its_outline_fails_verification(test_pdf, test_archive, tmp_path):
    with pikepdf.open(test_pdf) as p:
        del p.Root.Outlines
        p.save(tmp_path / "no-outline.pdf")
    found = [str(f) for f in verify_pdf.findings(tmp_path / "no-outline.pdf", test_archive)]
    for s in test_archive.sources:
        assert any(f"no outline entry leads to source '{s.id}'" in f for f in found), (s.id, found)


def test_a_missing_attachment_fails_verification(test_pdf, test_archive, tmp_path):
    with pikepdf.open(test_pdf) as p:
        del p.attachments["arabic.txt"]
        p.save(tmp_path / "less.pdf")
    found = [str(f) for f in verify_pdf.findings(tmp_path / "less.pdf", test_archive)]
    assert any("arabic.txt is not attached" in f for f in found)


# ---------------------------------------------------------------- reproducible

@pytest.mark.slow
def test_two_builds_in_separate_processes_are_identical(test_corpus, tmp_path):
    outs = []
    for k, (tz, lc, seed) in enumerate((("UTC", "C.UTF-8", "1"), ("Asia/Kolkata", "en_GB.UTF-8", "4242"))):
        cwd = tmp_path / f"cwd{k}"
        cwd.mkdir()
        env = {**os.environ, "TZ": tz, "LC_ALL": lc, "PYTHONHASHSEED": seed}
        env.pop("SOURCE_DATE_EPOCH", None)
        archive_cmd = [sys.executable, "-m", "builder.cli", "build", str(test_corpus), "--out", str(cwd / "out"),
                       "--format", "pdf"]
        subprocess.run(archive_cmd, cwd=cwd, env=env, check=True, capture_output=True)
        outs.append((cwd / "out" / "a-test-archive.pdf").read_bytes())
    assert outs[0] == outs[1]


# ---------------------------------------------------------------- the default archive

@pytest.fixture(scope="session")
def default_pdf(default_build) -> Path:
    return default_build.editions["pdf"]


def test_default_archive_pdf(default_pdf, default_build):
    archive = default_build.archive
    assert verify_pdf.findings(default_pdf, archive) == []
    assert need(validators.qpdf_check, default_pdf) == []
    with pikepdf.open(default_pdf) as p:
        assert p.open_metadata().pdfa_status == "3A"
        assert len(p.attachments) == len(archive.sources) + 1  # the originals and the notes
        assert any(s.notes for s in archive.sources), "the default corpus has notes"
        assert structure_kinds(p) & {"/Note", "/FENote"}


def test_default_archive_pdf_renders_in_ghostscript(default_pdf):
    """A second, independent PDF reader renders every page without an error."""
    proc = subprocess.run([need(tool, "gs"), "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage", str(default_pdf)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "Error" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_ghostscript_catches_a_broken_pdf(default_pdf, tmp_path):
    broken = tmp_path / "broken.pdf"
    data = default_pdf.read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    proc = subprocess.run([need(tool, "gs"), "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage", str(broken)],
                          capture_output=True, text=True)
    assert proc.returncode != 0 or "rror" in proc.stdout + proc.stderr


def test_a_script_without_a_font_is_a_clear_error_naming_the_source(tmp_path):
    root = write_corpus(tmp_path / "corpus")
    # Ethiopic: no shipped font covers it, nor Noto CJK (which ./run installs for Chinese, Japanese, Korean)
    (root / "sources" / "long.txt").write_text(PLAIN + "\nሰላም ለዓለም\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "builder.cli", "build", str(root), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "long.txt" in proc.stderr and "P301" in proc.stderr and "U+1230" in proc.stderr
    assert "templates/pdf/fonts" in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_memory_estimate_follows_the_size_of_the_archive(test_archive):
    small = pdf.memory_needed(test_archive)
    assert pdf.BASE_MIB < small < 1024
    bigger = test_archive.__class__(**{**test_archive.__dict__, "sources": test_archive.sources * 100})
    assert pdf.memory_needed(bigger) > small + 50


def test_an_archive_too_large_for_the_machine_is_refused_before_typst_runs(test_corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "available_memory", lambda: 100)  # MiB: less than any PDF needs
    from builder.errors import UsageError
    with pytest.raises(UsageError) as e:
        build(test_corpus, tmp_path / "out", ("pdf",))
    assert "P302" in str(e.value) and "--format epub" in str(e.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
