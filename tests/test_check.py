"""`archive check` catches real damage, on standalone files and inside a bag, and says where.

Damage tests call the library with epubcheck=False (EPUBCheck takes seconds a run); the CLI
tests run it once on a clean EPUB and once with Java hidden.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from conftest import CORPUS, IN_CI, REPO, all_ran, rewrite_zip

from builder.check import check
from builder.cli import main
from builder.corpus import load


def damaged(report, *words) -> list[str]:
    texts = [str(f) for f in report.findings]
    assert report.exit_code == 1, report.text()
    hits = [t for t in texts if all(w in t for w in words)]
    assert hits, f"no finding naming {words}: {texts}"
    return hits


def first_source(epub: Path) -> str:
    with zipfile.ZipFile(epub) as z:
        return sorted(n for n in z.namelist() if n.startswith("EPUB/originals/"))[0].rsplit("/", 1)[1]


# -- EPUB, standalone ---------------------------------------------------------------------------

def test_clean_editions_pass(default_build):
    report = check(list(default_build.editions.values()), epubcheck=False)
    assert report.exit_code == 0, report.text()


def test_epub_original_with_one_changed_byte(default_epub, tmp_path):
    name = first_source(default_epub)
    bad = rewrite_zip(default_epub, tmp_path / "x.epub",
                      lambda n, d: d[:10] + bytes([d[10] ^ 1]) + d[11:] if n == f"EPUB/originals/{name}" else d)
    damaged(check([bad], epubcheck=False), "x.epub", f"EPUB/originals/{name}", "SHA-256")


def test_epub_original_missing(default_epub, tmp_path):
    name = first_source(default_epub)
    bad = rewrite_zip(default_epub, tmp_path / "x.epub", lambda n, d: None if n == f"EPUB/originals/{name}" else d)
    damaged(check([bad], epubcheck=False), f"EPUB/originals/{name}", "missing")


def cut_word(n: str, d: bytes, chapter: str) -> bytes:
    """Cut the first «the» from the source's text block of a chapter."""
    if n != chapter:
        return d
    text = d.decode()
    start = text.index('-text">')
    end = text.index("</div>", start)
    at = text.index(" the ", start, end)
    return (text[:at] + text[at + 4:]).encode()


def test_epub_word_cut_from_a_chapter(default_epub, tmp_path):
    sid = first_source(default_epub).rsplit(".", 1)[0]
    chapter = f"EPUB/text/{sid}.xhtml"
    bad = rewrite_zip(default_epub, tmp_path / "x.epub", lambda n, d: cut_word(n, d, chapter))
    damaged(check([bad], epubcheck=False), chapter, "differs from the source")


def drop(pattern: str, chapter: str):
    def change(n: str, d: bytes) -> bytes:
        return re.sub(pattern, "", d.decode(), count=1, flags=re.S).encode() if n == chapter else d
    return change


def test_epub_footnote_deleted(default_epub, tmp_path):
    sid = first_source(default_epub).rsplit(".", 1)[0]
    chapter = f"EPUB/text/{sid}.xhtml"
    bad = rewrite_zip(default_epub, tmp_path / "x.epub", drop(r'<li [^>]*id="[^"]*-note-2".*?</li>', chapter))
    damaged(check([bad], epubcheck=False), chapter, "leads to no footnote")


def test_epub_noteref_deleted(default_epub, tmp_path):
    sid = first_source(default_epub).rsplit(".", 1)[0]
    chapter = f"EPUB/text/{sid}.xhtml"
    bad = rewrite_zip(default_epub, tmp_path / "x.epub", drop(r'<a class="noteref"[^>]*-ref-2"[^>]*></a>', chapter))
    damaged(check([bad], epubcheck=False), chapter, "has no note marker")


def without_last_note(epub: Path, dest: Path) -> tuple[Path, str]:
    """A copy of epub whose first source has lost its last note and that note's marker."""
    sid = first_source(epub).rsplit(".", 1)[0]
    chapter = f"EPUB/text/{sid}.xhtml"
    with zipfile.ZipFile(epub) as z:
        last = max(int(n) for n in re.findall(r'-note-(\d+)"', z.read(chapter).decode()))

    def both(n, d):
        d = drop(rf'<li [^>]*id="[^"]*-note-{last}".*?</li>', chapter)(n, d)
        return drop(rf'<a class="noteref"[^>]*-ref-{last}"[^>]*></a>', chapter)(n, d)

    return rewrite_zip(epub, dest, both), chapter


def test_epub_note_and_marker_deleted_caught_against_the_corpus(default_epub, tmp_path):
    bad, chapter = without_last_note(default_epub, tmp_path / "x.epub")
    damaged(check([bad], corpus_dir=CORPUS, epubcheck=False), chapter, "notes, but the corpus")
    # standalone, the notes the EPUB carries as W3C Web Annotations say one is missing
    damaged(check([bad], epubcheck=False), chapter, "notes, but the records the EPUB carries")


def test_epub_with_epubcheck_reports_what_epubcheck_finds(default_epub, tmp_path):
    bad = rewrite_zip(default_epub, tmp_path / "x.epub",
                      lambda n, d: d.replace(b"</h1>", b"", 1) if n == "EPUB/text/introduction.xhtml" else d)
    damaged(all_ran(check([bad])), "x.epub", "EPUBCheck", "introduction.xhtml")


def test_epub_chapters_out_of_order(default_epub, tmp_path):
    archive = load(CORPUS)
    first, second = (f'idref="s-{s.id}"'.encode() for s in archive.sources[:2])

    def swap(n: str, d: bytes) -> bytes:
        if n != "EPUB/package.opf":
            return d
        assert first in d and second in d
        return d.replace(first, b"\0").replace(second, first).replace(b"\0", second)

    bad = rewrite_zip(default_epub, tmp_path / "x.epub", swap)
    damaged(check([bad], epubcheck=False), "not in the order of the sources")


def test_epub_chapter_left_out_of_the_spine(default_epub, tmp_path):
    sid = load(CORPUS).sources[-1].id
    bad = rewrite_zip(default_epub, tmp_path / "x.epub",
                      drop(rf'<itemref idref="s-{sid}"[^>]*/>', "EPUB/package.opf"))
    damaged(check([bad], epubcheck=False), "not in the reading order (spine)")


def test_epub_colophon_without_its_fixity_table(default_epub, tmp_path):
    bad = rewrite_zip(default_epub, tmp_path / "x.epub", drop(r"<table.*?</table>", "EPUB/text/colophon.xhtml"))
    damaged(check([bad], epubcheck=False), "colophon.xhtml", "fixity table")


def test_epub_provenance_page_recording_another_sha256(default_epub, tmp_path):
    source = load(CORPUS).sources[0]
    page = f"EPUB/text/{source.id}-provenance.xhtml"
    other = "0" * 64
    bad = rewrite_zip(default_epub, tmp_path / "x.epub",
                      lambda n, d: d.replace(source.sha256.encode(), other.encode()) if n == page else d)
    damaged(check([bad], epubcheck=False), page, f"records SHA-256 {other}")


# -- PDF, standalone ---------------------------------------------------------------------------

def test_pdf_attachment_with_one_changed_byte(default_build, tmp_path):
    bad = tmp_path / "x.pdf"
    with pikepdf.open(default_build.editions["pdf"]) as pdf:
        spec = next(s for s in pdf.Root.AF if s.AFRelationship == pikepdf.Name.Source)  # an original
        name = str(spec.UF)
        stream = spec.EF.F
        data = stream.read_bytes()
        stream.write(data[:5] + bytes([data[5] ^ 1]) + data[6:])
        pdf.save(bad)
    damaged(check([bad], epubcheck=False), "x.pdf", name, "SHA-256")


def test_pdf_page_text_changed(default_build, tmp_path):
    from builder.check import pdf_pages_text
    src = default_build.editions["pdf"]
    sample = CORPUS / "sources" / "butler-letter-to-jlm.txt"
    phrase = "invaluable advice"
    assert phrase in sample.read_text()
    page_no = next(i for i, t in enumerate(pdf_pages_text(src)) if phrase in " ".join(t.split()))
    bad = tmp_path / "x.pdf"
    with pikepdf.open(src) as pdf:
        page = pdf.pages[page_no]
        ops = pikepdf.parse_content_stream(page)
        changed = 0
        for operands, op in ops:  # swap two glyphs in every string shown on the page
            if str(op) == "TJ":
                arr = operands[0]
                for idx, item in enumerate(arr):
                    b = bytes(item) if isinstance(item, pikepdf.String) else b""
                    if len(b) >= 8 and b[0:2] != b[2:4]:
                        arr[idx] = pikepdf.String(b[2:4] + b[0:2] + b[4:])
                        changed += 1
        assert changed
        page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(ops))
        pdf.save(bad)
    damaged(check([bad], epubcheck=False), "x.pdf", "the pages' text differs from the source")


def test_pdf_without_claims_language_structure_or_embedded_fonts(default_build, tmp_path):
    bad = tmp_path / "x.pdf"
    with pikepdf.open(default_build.editions["pdf"]) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key in ("{http://www.aiim.org/pdfa/ns/id/}part", "{http://www.aiim.org/pdfa/ns/id/}conformance",
                        "{http://www.aiim.org/pdfua/ns/id/}part"):
                del meta[key]
        del pdf.Root.Lang
        del pdf.Root.StructTreeRoot
        stripped = 0
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                holder = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if "/FontDescriptor" in holder and key in holder.FontDescriptor:
                        del holder.FontDescriptor[key]
                        stripped += 1
        assert stripped
        pdf.save(bad)
    report = check([bad], epubcheck=False)
    for words in (("no PDF/A claim",), ("no PDF/UA claim",), ("no structure tree",), ("no document language",),
                  ("font", "is not embedded")):
        damaged(report, "x.pdf", *words)


def test_pdf_without_associated_files(default_build, tmp_path):
    bad = tmp_path / "x.pdf"
    with pikepdf.open(default_build.editions["pdf"]) as pdf:
        del pdf.Root.AF
        pdf.save(bad)
    damaged(check([bad], epubcheck=False), "x.pdf", "no associated files (/AF)")


def test_pdf_missing_an_original_the_corpus_has(default_build, tmp_path):
    archive = load(CORPUS)
    gone = archive.sources[-1].file_name
    bad = tmp_path / "x.pdf"
    with pikepdf.open(default_build.editions["pdf"]) as pdf:
        pdf.Root.AF = pikepdf.Array([spec for spec in pdf.Root.AF if str(spec.UF) != gone])
        pdf.save(bad)
    damaged(check([bad], corpus_dir=CORPUS, epubcheck=False), "x.pdf", gone, "no attached original")


# -- output folders -------------------------------------------------------------------------------

def test_output_folder_checks_every_edition_in_it(default_epub, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    chapter = f"EPUB/text/{first_source(default_epub).rsplit('.', 1)[0]}.xhtml"
    rewrite_zip(default_epub, folder / "x.epub", lambda n, d: cut_word(n, d, chapter))
    damaged(check([folder], epubcheck=False), "out/x.epub", "differs from the source")


def test_output_folder_with_nothing_to_check_is_unreadable(tmp_path):
    (tmp_path / "notes.txt").write_text("not an edition")
    report = check([tmp_path], epubcheck=False)
    assert report.exit_code == 2 and any("holds no EPUB, PDF or deposit" in u for u in report.unreadable), report.text()


# -- bags, as folders and as zips ------------------------------------------------------------------

@pytest.fixture
def bag_copy(default_deposit, tmp_path) -> Path:
    dest = tmp_path / default_deposit.bag.name
    shutil.copytree(default_deposit.bag, dest)
    return dest


def test_clean_bag_and_zip_pass(default_deposit):
    report = check([default_deposit.bag, default_deposit.zip], epubcheck=False)
    assert report.exit_code == 0, report.text()


def test_bag_file_missing(bag_copy):
    victim = sorted((bag_copy / "data" / "sources").iterdir())[0]
    victim.unlink()
    damaged(check([bag_copy], epubcheck=False), f"data/sources/{victim.name}", "missing")


def test_bag_source_with_one_changed_byte(bag_copy):
    victim = sorted((bag_copy / "data" / "sources").iterdir())[0]
    data = victim.read_bytes()
    victim.write_bytes(data[:3] + bytes([data[3] ^ 1]) + data[4:])
    report = check([bag_copy], epubcheck=False)
    damaged(report, f"data/sources/{victim.name}", "checksum differs")
    damaged(report, "data/editions/", "differs")  # the editions no longer hold the bag's source


def test_bag_epub_with_a_word_cut(bag_copy, tmp_path):
    epub = next((bag_copy / "data" / "editions").glob("*.epub"))
    sid = first_source(epub).rsplit(".", 1)[0]
    chapter = f"EPUB/text/{sid}.xhtml"
    rewrite_zip(epub, tmp_path / "x.epub", lambda n, d: cut_word(n, d, chapter))
    shutil.copyfile(tmp_path / "x.epub", epub)
    report = check([bag_copy], epubcheck=False)
    damaged(report, f"data/editions/{epub.name}", "differs")  # the manifest and METS catch it ...
    damaged(report, epub.name, chapter, "differs from the source")  # ... and so does reading the chapter


def test_bag_epub_with_a_note_deleted(bag_copy, tmp_path):
    epub = next((bag_copy / "data" / "editions").glob("*.epub"))
    _, chapter = without_last_note(epub, tmp_path / "x.epub")
    shutil.copyfile(tmp_path / "x.epub", epub)
    damaged(check([bag_copy], epubcheck=False), chapter, "notes, but the bag's sources and notes")


def test_bag_zip_with_one_changed_byte(default_deposit, tmp_path):
    top = default_deposit.bag.name
    bad = tmp_path / "x-deposit.zip"
    target = f"{top}/data/metadata/citations.json"
    rewrite_zip(default_deposit.zip, bad, lambda n, d: d.replace(b'"id"', b'"Id"', 1) if n == target else d)
    damaged(check([bad], epubcheck=False), "x-deposit.zip", "data/metadata/citations.json")


def test_bag_with_a_file_not_in_the_manifest(bag_copy):
    (bag_copy / "data" / "sources" / "stowaway.txt").write_text("not deposited")
    damaged(check([bag_copy], epubcheck=False), "data/sources/stowaway.txt", "not listed in the manifest")


def test_bag_file_mets_lists_missing_and_changed(bag_copy):
    citations = bag_copy / "data" / "metadata" / "citations.json"
    citations.write_bytes(citations.read_bytes() + b" ")
    dc = bag_copy / "data" / "metadata" / "dc.xml"
    dc.unlink()
    report = check([bag_copy], epubcheck=False)
    damaged(report, "data/metadata/citations.json", "SHA-256 differs from the one METS records")
    damaged(report, "data/metadata/dc.xml", "METS lists is missing")


def test_bag_zip_with_two_top_folders_or_no_bag(default_deposit, tmp_path):
    two = tmp_path / "two-deposit.zip"
    with zipfile.ZipFile(default_deposit.zip) as zin, zipfile.ZipFile(two, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr("stray/file.txt", b"x")
    damaged(check([two], epubcheck=False), "two-deposit.zip", "exactly one top folder")
    top = default_deposit.bag.name
    bagless = rewrite_zip(default_deposit.zip, tmp_path / "bagless-deposit.zip",
                          lambda n, d: None if n == f"{top}/bagit.txt" else d)
    damaged(check([bagless], epubcheck=False), "bagless-deposit.zip", "not a bag")


def test_bag_declaring_an_old_bagit_version(bag_copy):
    (bag_copy / "bagit.txt").write_text("BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n")
    damaged(check([bag_copy], epubcheck=False), "BagIt-Version: 1.0")


# -- the command: exit codes and output ------------------------------------------------------------

def test_cli_clean_epub_exits_0_with_json(default_epub):
    result = CliRunner().invoke(main, ["check", str(default_epub), "--json"])
    if result.exit_code == 3 and not IN_CI:
        pytest.skip(result.output)
    assert result.exit_code == 0, result.output
    import json
    report = json.loads(result.output)
    assert report["ok"] and report["findings"] == [] and any("EPUBCheck" in p for p in report["passed"])


def test_cli_damage_exits_1_naming_it(default_build, tmp_path):
    bad = tmp_path / "x.pdf"
    with pikepdf.open(default_build.editions["pdf"]) as pdf:
        stream = next(s for s in pdf.Root.AF if s.AFRelationship == pikepdf.Name.Source).EF.F
        data = stream.read_bytes()
        stream.write(data[:-1] + bytes([data[-1] ^ 1]))
        pdf.save(bad)
    result = CliRunner().invoke(main, ["check", str(bad)])
    assert result.exit_code == 1, result.output
    assert "DAMAGED" in result.output and "x.pdf" in result.output


def test_cli_unreadable_or_missing_input_exits_2(tmp_path):
    missing = CliRunner().invoke(main, ["check", str(tmp_path / "nothing.epub")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    (tmp_path / "broken.epub").write_bytes(b"not a zip")
    broken = CliRunner().invoke(main, ["check", str(tmp_path / "broken.epub")])
    assert broken.exit_code == 2 and "not a zip" in broken.output
    usage = CliRunner().invoke(main, ["check"])
    assert usage.exit_code == 2


def test_cli_without_java_exits_3(default_epub, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("qpdf", "pdftotext"):  # everything but java
        if shutil.which(tool):
            os.symlink(shutil.which(tool), bin_dir / tool)
    env = {**os.environ, "PATH": str(bin_dir), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "builder.cli", "check", str(default_epub)],
                          env=env, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "EPUBCheck" in proc.stdout


def test_cli_check_has_help_with_an_example():
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0 and "Example" in result.output and "Exit codes" in result.output


# -- out of date is not damaged -------------------------------------------------------------------

def add_a_note(corpus_dir: Path) -> str:
    """A note on a whole source, added to the corpus after the editions were made: its source id."""
    archive = load(corpus_dir)
    source = archive.sources[0]
    with source.notes_path.open("a", encoding="utf-8") as f:
        f.write('\n[[notes]]\nid = "added-later"\nkind = "gloss"\nbody = "A note added after the build."\n')
    return source.id


def test_editions_made_before_a_note_was_added_are_out_of_date_not_damaged(default_build, corpus_copy):
    sid = add_a_note(corpus_copy)
    for kind in ("epub", "pdf"):  # both editions judged the same way
        report = check([default_build.editions[kind]], corpus_dir=corpus_copy, epubcheck=False)
        assert report.exit_code == 1 and report.findings == [], report.text()
        [stale] = report.stale
        assert "out of date: made before a change to the corpus" in stale.what and sid in stale.what
        assert "OUT OF DATE" in report.text() and "DAMAGED" not in report.text()


def test_out_of_date_and_damaged_together_are_both_named(default_epub, corpus_copy, tmp_path):
    add_a_note(corpus_copy)
    bad, chapter = without_last_note(default_epub, tmp_path / "x.epub")
    report = check([bad], corpus_dir=corpus_copy, epubcheck=False)
    assert report.stale  # made before the note was added
    damaged(report, chapter, "notes, but the records the EPUB carries")  # and damaged against its own record


def test_current_editions_against_the_corpus_hold(default_build):
    report = check(list(default_build.editions.values()), corpus_dir=CORPUS, epubcheck=False)
    assert report.exit_code == 0 and not report.stale, report.text()
