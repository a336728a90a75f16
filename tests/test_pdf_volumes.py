"""The PDF edition in volumes (`[pdf] volume_pages`; builder/volumes.py, builder/writers/pdf_volumes.py,
builder/check/volumes.py; docs/pdf.md, "Volumes"). The default archive with volume_pages = 17
(estimated pages: 6.2, 9.6 | 7.7, 6.9 | 10.8) and tiny parts: three volumes of two, two and one
sources, each a complete PDF read back with pikepdf, qpdf and poppler; the EPUB's page-list; `archive
check`; the deposit."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from builder import validators, volumes
from builder.build import build
from builder.check import check as run_check
from builder.cli import main
from builder.corpus import load
from builder.errors import CorpusError
from builder.verify import expected_text
from builder.verify_pdf import outline
from builder.writers import pdf_parts

from conftest import CORPUS, all_ran, epubcheck_problems, need, tool

EXPECTED = [["butler-berger-report", "butler-letter-to-jlm"],
            ["ealing-southall-clp-letter", "jlm-duty-of-care-report"],
            ["joint-statement-jlm-training"]]


def with_volumes(corpus: Path, value: str) -> Path:
    toml = corpus / "archive.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(re.sub(r'(?m)^page_size = "a5"$', f'page_size = "a5"\nvolume_pages = {value}', text),
                    encoding="utf-8")
    assert f"volume_pages = {value}" in toml.read_text(encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("volumes") / "corpus"
    shutil.copytree(CORPUS, dest)
    return with_volumes(dest, "17")


@pytest.fixture(scope="module")
def made(corpus, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setattr(pdf_parts, "PART_PAGES", 8)  # volume 1's two sources in two parts: a volume joins several
    mp.setattr(pdf_parts, "WORKERS", 2)
    try:
        built = build(corpus, tmp_path_factory.mktemp("out"))
    finally:
        mp.undo()
    return built


def vols(made) -> list[Path]:
    return [made.editions[f"pdf-vol{k}"] for k in range(1, len(EXPECTED) + 1)]


def attached(path: Path) -> dict[str, bytes]:
    with pikepdf.open(path) as pdf:
        return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}


def texts(path: Path) -> str:
    return subprocess.run([tool("pdftotext"), "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")


def test_the_plan_and_the_files(made, corpus):
    archive = load(corpus)
    assert volumes.plan(archive) == EXPECTED
    names = sorted(p.name for p in made.editions.values())
    slug = archive.slug
    assert names == sorted([f"{slug}-vol1.pdf", f"{slug}-vol2.pdf", f"{slug}-vol3.pdf", f"{slug}.epub"])
    out = vols(made)[0].parent
    assert not (out / f"{slug}.pdf").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".staging") or p.suffix == ".part"]


def test_each_volume_is_a_whole_pdf_a_and_ua(made):
    for k, path in enumerate(vols(made), start=1):
        assert need(validators.qpdf_check, path) == [], path.name
        with pikepdf.open(path) as pdf:
            meta = pdf.open_metadata()
            assert meta.pdfa_status == "3A"
            assert str(meta.get("pdfuaid:part")) == "1"
            assert str(meta.get("dc:title")).endswith(f", volume {k} of 3")
            assert "/Lang" in pdf.Root and "/MarkInfo" in pdf.Root and "/OutputIntents" in pdf.Root
            st = pdf.Root.StructTreeRoot
            kids = st.K if isinstance(st.K, pikepdf.Array) else [st.K]
            assert len(kids) == 1 and kids[0].S == "/Document"
            parent = dict(pikepdf.NumberTree(st.ParentTree).items())
            own = {p.objgen for p in pdf.pages}
            named = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items()) if "/Dests" in pdf.Root.get("/Names", {}) else {}
            for page in pdf.pages:
                assert "/StructParents" not in page or int(page.StructParents) in parent
                for annot in page.get("/Annots", []):
                    if "/StructParent" in annot:
                        assert int(annot.StructParent) in parent
                    action = annot.get("/A")
                    # a link is a page of this file, or the web; never a placeholder or another file
                    if action is not None:
                        assert str(action.S) == "/URI", annot
                        assert not bytes(action.URI).startswith(b"https://part.invalid/")
                    else:
                        dest = annot.Dest
                        if not isinstance(dest, pikepdf.Array):  # a named destination of this file
                            dest = named[str(dest)]
                            dest = dest.D if isinstance(dest, pikepdf.Dictionary) else dest
                        assert dest[0].objgen in own
            assert int(meta.get("{http://ns.adobe.com/xap/1.0/t/pg/}NPages", len(pdf.pages))) == len(pdf.pages)


def test_each_volume_holds_its_sources_and_only_their_originals(made, corpus):
    archive = load(corpus)
    by_id = {s.id: s for s in archive.sources}
    for k, (path, ids) in enumerate(zip(vols(made), EXPECTED), start=1):
        files = attached(path)
        extra = {"annotations.jsonld"} if k == 3 else set()  # the notes: with the back matter
        assert set(files) == {by_id[i].file_name for i in ids} | extra
        for i in ids:
            assert files[by_id[i].file_name] == by_id[i].path.read_bytes()
        with pikepdf.open(path) as pdf:
            titles = [e.title for e in outline(pdf)]
        text = texts(path)
        for s in archive.sources:
            title_in = any(s.provenance.title in t for t in titles)
            assert title_in == (s.id in ids), (path.name, s.id)
        for i in ids:  # the source's own words, read back by poppler
            first = next(line for line in expected_text(by_id[i]).splitlines() if len(line.split()) > 4)
            assert " ".join(first.split()[:5]) in " ".join(text.split())
    # the front matter in volume 1, the back matter in the last
    with pikepdf.open(vols(made)[0]) as pdf:
        assert "Introduction" in {e.title for e in outline(pdf)} and "Colophon" not in {e.title for e in outline(pdf)}
    with pikepdf.open(vols(made)[2]) as pdf:
        assert {"Glossary", "Colophon"} <= {e.title for e in outline(pdf)}


def test_page_numbers_continue_and_labels_name_the_volume(made):
    last = 0
    for k, path in enumerate(vols(made), start=1):
        with pikepdf.open(path) as pdf:
            labels = [str(p.label) for p in pdf.pages]
        assert all(label.startswith(f"{k}:") for label in labels), labels
        numbers = [int(label.split(":")[1]) for label in labels if label.split(":")[1].isdigit()]
        assert numbers == list(range(last + 1, last + 1 + len(numbers))), (k, numbers)
        assert labels[0] == f"{k}:i"  # a title page first
        last = numbers[-1]
    # each volume's title page names it and its pages
    two = texts(vols(made)[1])
    assert "Volume 2 of 3" in two
    with pikepdf.open(vols(made)[1]) as pdf:
        numbered = [str(p.label).split(":")[1] for p in pdf.pages if str(p.label).split(":")[1].isdigit()]
    assert f"Pages {numbered[0]}–{numbered[-1]}" in two


def test_a_link_to_another_volume_is_a_reference_naming_it(made, corpus):
    archive = load(corpus)
    one = " ".join(texts(vols(made)[0]).split())
    three = " ".join(texts(vols(made)[2]).split())
    with pikepdf.open(vols(made)[1]) as pdf:
        first_of_two = str(pdf.pages[2].label).split(":")[1]  # after the title part's two pages
    # the contents of volume 1 lists the other volumes' sources with their volume and page
    assert f"vol. 2, p. {first_of_two}" in one
    # the colophon (volume 3) names the volume and page of a source of volume 1
    with pikepdf.open(vols(made)[0]) as pdf:
        start = {e.title: str(pdf.pages[e.page].label).split(":")[1] for e in outline(pdf)}
    title = next(t for t in start if archive.sources[0].provenance.title in t)
    assert f"(vol. 1, p. {start[title]})" in three
    # the notes' references to sources of other volumes: volume and page, the page where it begins
    pages = {}
    for k, path in enumerate(vols(made), start=1):
        with pikepdf.open(path) as pdf:
            for e in outline(pdf):
                pages[e.title] = (k, str(pdf.pages[e.page].label).split(":")[1])
    found = 0
    for k, path in enumerate(vols(made), start=1):
        text = " ".join(texts(path).split())
        assert not re.search(r"\(vol\. [0-9]+\)", text), path.name  # never the volume without its page
        for v, page in re.findall(r"\(vol\. ([0-9]+), p\. ([0-9]+)\)", text):
            assert int(v) != k, (path.name, v)  # a reference to this volume is a link, not this
            assert (int(v), page) in pages.values(), (path.name, v, page)
            found += 1
    assert found >= 5


def test_the_epub_page_list_names_the_volume(made, corpus):
    epub = made.editions["epub"]
    assert need(epubcheck_problems, epub) == []
    with zipfile.ZipFile(epub) as z:
        nav = z.read("EPUB/nav.xhtml").decode("utf-8")
        opf = z.read("EPUB/content.opf").decode("utf-8") if "EPUB/content.opf" in z.namelist() else \
            z.read(next(n for n in z.namelist() if n.endswith(".opf"))).decode("utf-8")
    page_list = nav[nav.index('epub:type="page-list"'):]
    entries = [(Path(f).stem, label) for f, label in re.findall(r'<a href="([^"#]+)#[^"]+">([^<]+)</a>', page_list)]
    labels = []
    for k, path in enumerate(vols(made), start=1):
        with pikepdf.open(path) as pdf:
            labels += [str(p.label) for p in pdf.pages]
    assert [label for _, label in entries] == labels  # every page of every volume, in order
    where = {sid: k for k, ids in enumerate(EXPECTED, start=1) for sid in ids}
    for chapter, label in entries:
        sid = chapter.removesuffix("-provenance")
        if sid in where:  # a source's chapter: its pages are in its volume
            assert label.startswith(f"{where[sid]}:"), (chapter, label)
    assert "3 volumes" in opf and "vol1.pdf" in opf


def test_archive_check_accepts_the_set(made, corpus):
    out = vols(made)[0].parent
    for corpus_dir in (None, corpus):
        report = all_ran(run_check([out], corpus_dir, epubcheck=False))
        assert report.exit_code == 0, report.text()
        assert any("in 3 volumes, none missing" in p for p in report.passed)
    # one volume alone, against the corpus: judged by what its plan puts in it
    report = all_ran(run_check([vols(made)[1]], corpus, epubcheck=False))
    assert report.exit_code == 0, report.text()


def test_volumes_made_before_volume_pages_changed_are_out_of_date_not_damaged(made, corpus, tmp_path):
    """volume_pages 17 -> 10 after the build (the corpus now makes five volumes): each volume of the
    set of three is whole, so `archive check --corpus` says OUT OF DATE for each, finds no damage,
    and exits 1; each volume still checked against what it carries."""
    changed = tmp_path / "corpus"
    shutil.copytree(corpus, changed)
    toml = changed / "archive.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("volume_pages = 17", "volume_pages = 10"),
                    encoding="utf-8")
    assert len(volumes.plan(load(changed))) == 5
    report = all_ran(run_check([vols(made)[0].parent], changed, epubcheck=False))
    assert report.findings == [], report.text()
    assert sorted(f.file.rsplit("/", 1)[-1] for f in report.stale) == sorted(p.name for p in vols(made))
    assert all("another division into volumes" in f.what for f in report.stale), report.text()
    assert report.exit_code == 1
    assert any("in 3 volumes, none missing, each source in one of them" in p for p in report.passed), report.text()


def test_archive_check_catches_a_missing_or_damaged_volume(made, corpus, tmp_path):
    src = vols(made)[0].parent
    missing = tmp_path / "missing"
    shutil.copytree(src, missing, ignore=shutil.ignore_patterns(".*"))
    (missing / vols(made)[1].name).unlink()
    result = CliRunner().invoke(main, ["check", str(missing), "--corpus", str(corpus)])
    assert result.exit_code == 1, result.output
    assert "volume 2 of 3 is missing from the set" in result.output
    result = CliRunner().invoke(main, ["check", str(missing)])  # without the corpus: the titles say 3
    assert result.exit_code == 1 and "volume 2 of 3 is missing" in result.output
    last = tmp_path / "last"
    shutil.copytree(src, last, ignore=shutil.ignore_patterns(".*"))
    (last / vols(made)[2].name).unlink()
    result = CliRunner().invoke(main, ["check", str(last)])
    assert result.exit_code == 1 and "volume 3 of 3 is missing" in result.output

    damaged = tmp_path / "damaged"
    shutil.copytree(src, damaged, ignore=shutil.ignore_patterns(".*"))
    target = damaged / vols(made)[1].name
    with pikepdf.open(target, allow_overwriting_input=True) as pdf:  # an original taken out of volume 2
        name = "jlm-duty-of-care-report.txt"
        spec = pdf.attachments[name].obj
        pdf.Root.AF = pikepdf.Array([s for s in pdf.Root.AF if s.objgen != spec.objgen])
        del pdf.attachments[name]
        pdf.save(target)
    result = CliRunner().invoke(main, ["check", str(damaged), "--corpus", str(corpus)])
    assert result.exit_code == 1, result.output
    assert "no volume carries the original of source 'jlm-duty-of-care-report'" in result.output
    assert "no attached original for source 'jlm-duty-of-care-report'" in result.output


@pytest.mark.parametrize("value, code, words", [
    ('"400"', "C196", 'volume_pages is "400", not a whole number'),
    ("2.5", "C196", "volume_pages is 2.5, not a whole number"),
    ("true", "C196", "volume_pages is true, not a whole number"),
    ("0", "C197", "volume_pages is 0: a volume needs at least 1 page"),
    ("-12", "C197", "volume_pages is -12"),
    ("1000000", "C198", "more than 100,000 pages"),
])
def test_bad_volume_pages_exit_2(corpus_copy, tmp_path, value, code, words):
    with_volumes(corpus_copy, value)
    result = CliRunner().invoke(main, ["build", str(corpus_copy), "--out", str(tmp_path / "out"), "--format", "pdf"])
    assert result.exit_code == 2, result.output
    line = next(n for n, text in enumerate((corpus_copy / "archive.toml").read_text().splitlines(), 1)
                if text.startswith("volume_pages"))
    assert f"archive.toml:{line}: error {code}:" in result.output
    assert words in result.output and "fix:" in result.output
    assert not (tmp_path / "out").exists()


def test_too_many_volumes_is_refused(corpus_copy, monkeypatch):
    monkeypatch.setattr(volumes, "MAX_VOLUMES", 2)  # the default archive in 5 volumes of 1 page each
    with_volumes(corpus_copy, "1")
    monkeypatch.setattr(volumes, "MAX_VOLUMES", 999)
    archive = load(corpus_copy)  # every source longer than a volume: a volume of its own, never split
    assert volumes.plan(archive) == [[s.id] for s in archive.sources]
    monkeypatch.setattr(volumes, "MAX_VOLUMES", 2)
    with pytest.raises(CorpusError) as e:
        load(corpus_copy)
    assert "C199" in str(e.value) and "would make 5 volumes" in str(e.value)


def test_a_corpus_that_fits_in_one_volume_gets_one_pdf(corpus_copy, tmp_path, monkeypatch):
    with_volumes(corpus_copy, "1000")
    archive = load(corpus_copy)
    assert volumes.plan(archive) is None
    out = tmp_path / "out"
    out.mkdir()
    for k in (1, 2):  # an earlier set of volumes in the output folder is replaced, not left beside
        (out / volumes.file_name(archive.slug, k)).write_bytes(b"%PDF-1.7 old")
    monkeypatch.setattr(pdf_parts, "WORKERS", 2)
    built = build(corpus_copy, out, ("pdf",))
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [f"{archive.slug}.pdf"]
    assert built.editions["pdf"].name == f"{archive.slug}.pdf"


def test_the_deposit_holds_every_volume(corpus, tmp_path, monkeypatch):
    from builder.deposit import deposit
    monkeypatch.setattr(pdf_parts, "WORKERS", 2)
    made = need(deposit, corpus, tmp_path / "out")
    slug = load(corpus).slug
    names = [volumes.file_name(slug, k) for k in (1, 2, 3)]
    data = made.bag / "data"
    for name in names:
        assert (data / "editions" / name).read_bytes() == (tmp_path / "out" / name).read_bytes()
    manifest = (made.bag / "manifest-sha256.txt").read_text()
    assert all(f"data/editions/{name}" in manifest for name in names)
    mets = (data / "metadata" / "mets.xml").read_text()
    for k in (1, 2, 3):
        assert f"built-pdf-vol{k}" in mets and f"validated-pdf-vol{k}" in mets
        checks = json.loads((data / "reports" / f"pdf-checks-vol{k}.json").read_text())
        assert checks["findings"] == [] and checks["claims"]["pdfa"] == "3A"
    report = all_ran(run_check([made.bag], None, epubcheck=False))
    assert report.exit_code == 0, report.text()
    assert any("in 3 volumes, none missing" in p for p in report.passed)
    with zipfile.ZipFile(made.zip) as z:
        assert all(any(n.endswith(f"data/editions/{name}") for n in z.namelist()) for name in names)


def test_the_same_volumes_again_in_one_process(made, corpus, tmp_path, monkeypatch):
    """A second build, with no cache and one process instead of two, gives the same bytes (its EPUB
    too: the same bytes as the one EPUBCheck passed in test_the_epub_page_list_names_the_volume)."""
    monkeypatch.setattr(pdf_parts, "PART_PAGES", 8)
    monkeypatch.setattr(pdf_parts, "WORKERS", 1)
    again = build(corpus, tmp_path / "again")
    assert sorted(again.editions) == sorted(made.editions)
    for kind, path in made.editions.items():
        assert again.editions[kind].read_bytes() == path.read_bytes(), kind


def test_no_volume_is_written_when_one_fails_its_read_back(corpus, tmp_path, monkeypatch):
    """Volume 2 found damaged at build: exit 1, and no volume (nor the EPUB) reaches the output folder."""
    from builder import verify_pdf
    from builder.errors import DamageFound
    from builder.verify import Finding

    real = verify_pdf.read_back

    def damaged(path, archive, *args, **kw):
        back = real(path, archive, *args, **kw)
        if path.name.endswith("-vol2.pdf"):
            return verify_pdf.ReadBack(back.findings + [Finding(path.name, "a page went missing")], back.pages,
                                       back.page_starts)
        return back

    monkeypatch.setattr(verify_pdf, "read_back", damaged)
    monkeypatch.setattr(pdf_parts, "WORKERS", 2)
    out = tmp_path / "out"
    with pytest.raises(DamageFound, match="a page went missing"):
        build(corpus, out)
    assert not out.exists() or not [p for p in out.iterdir() if p.suffix in (".pdf", ".epub", ".part")]


def test_after_a_note_edit_the_cache_gives_the_volumes_of_a_full_build(made, corpus, tmp_path, monkeypatch):
    """A note of volume 2 edited: the build with the cache (OUT/.cache) equals a build without it."""
    edited = tmp_path / "corpus"
    shutil.copytree(corpus, edited)
    notes = edited / "sources" / "jlm-duty-of-care-report.notes.toml"
    notes.chmod(0o644)
    text = notes.read_text(encoding="utf-8")
    assert "Not part of the report." in text
    notes.write_text(text.replace("Not part of the report.", "Not part of the report at all.", 1), encoding="utf-8")
    monkeypatch.setattr(pdf_parts, "PART_PAGES", 8)
    monkeypatch.setattr(pdf_parts, "WORKERS", 2)
    cached = tmp_path / "cached"
    shutil.copytree(vols(made)[0].parent, cached)  # the earlier build's editions and cache
    assert (cached / ".cache").is_dir()
    again = build(edited, cached)
    full = build(edited, tmp_path / "full")
    for kind, path in full.editions.items():
        assert again.editions[kind].read_bytes() == path.read_bytes(), kind
    assert vols(made)[1].read_bytes() != full.editions["pdf-vol2"].read_bytes()  # the edit is in volume 2


def first_numbered_page(k: int, path: Path) -> tuple[int, int, list[str]]:
    """Volume k's first page with an arabic number: (its index, its number, every page's label),
    the file checked with qpdf and that page on the leaf of its side (an odd number on a recto)."""
    assert need(validators.qpdf_check, path) == []
    with pikepdf.open(path) as pdf:
        labels = [str(p.label) for p in pdf.pages]
    first = next(i for i, label in enumerate(labels) if label.split(":")[1].isdigit())
    number = int(labels[first].split(":")[1])
    assert (first + 1) % 2 == number % 2, (k, labels[:first + 1])
    return first, number, labels


def test_a_volume_starting_on_an_even_page_starts_on_a_verso(corpus_copy, tmp_path, monkeypatch):
    """volume_pages = 10: every source a volume of its own (5), some starting on an even page number.
    Each volume's first numbered page falls on a leaf of its side (an even number on an even
    physical page: a verso), the blank page before it numbered with the title pages."""
    with_volumes(corpus_copy, "10")
    monkeypatch.setattr(pdf_parts, "WORKERS", 2)
    built = build(corpus_copy, tmp_path / "out", ("pdf",))
    paths = [built.editions[f"pdf-vol{k}"] for k in range(1, 6)]
    evens = 0
    for k, path in enumerate(paths, start=1):
        first, number, labels = first_numbered_page(k, path)
        assert all(re.fullmatch(rf"{k}:[ivx]+", label) for label in labels[:first]), labels[:first + 1]
        evens += k > 1 and number % 2 == 0
    assert evens >= 1  # the case this test is for did occur
    report = all_ran(run_check([tmp_path / "out"], corpus_copy, epubcheck=False))
    assert report.exit_code == 0, report.text()


def test_a_volume_whose_title_pages_run_to_an_odd_number_keeps_its_sides(tmp_path, monkeypatch):
    """Ninety one-page sources in volumes of 68 pages: volume 2's contents run to two pages, so
    its title page and contents make three, and its sources begin on page 41, a right-hand page.
    A blank page ends its title matter (numbered with it), so that page 41 falls on a recto;
    without it, the sources of volume 2 were set on the wrong side of the leaf."""
    import random
    rng = random.Random(3)
    words = "the party members letter committee statement report meeting conference policy".split()
    corpus = tmp_path / "corpus"
    (corpus / "sources").mkdir(parents=True)
    ids = [f"s{i:03d}" for i in range(90)]
    for sid in ids:
        text = " ".join(rng.choice(words) for _ in range(50)).capitalize() + ".\n"
        (corpus / "sources" / f"{sid}.txt").write_text(text, encoding="utf-8")
    (corpus / "introduction.md").write_text("## About\n\nNinety short sources.\n", encoding="utf-8")
    (corpus / "archive.toml").write_text(
        'title = "Volumes"\nidentifier = "urn:uuid:00000000-0000-4000-8002-000000000001"\nlanguage = "en"\n'
        'date = 2026-01-01\npublisher = "tests"\nrights = "Public domain."\ndescription = "Test corpus."\n'
        f'sources = {ids!r}\n\n[[editors]]\nname = "tests"\n\n[pdf]\nvolume_pages = 68\n', encoding="utf-8")
    monkeypatch.setattr(pdf_parts, "WORKERS", 2)
    built = build(corpus, tmp_path / "out", ("pdf",))
    paths = [path for kind, path in sorted(built.editions.items())]
    assert len(paths) == 3
    odd_titles = 0
    for k, path in enumerate(paths, start=1):
        first, number, _ = first_numbered_page(k, path)
        blank = subprocess.run([tool("pdftotext"), "-f", str(first), "-l", str(first), str(path), "-"],
                               capture_output=True, check=True).stdout.strip() == b""
        odd_titles += k > 1 and number % 2 == 1 and blank  # the case: a blank page ends the title matter
    assert odd_titles >= 1, "no volume had title matter of an odd number of pages before a right-hand start"
    report = all_ran(run_check([tmp_path / "out"], corpus, epubcheck=False))
    assert report.exit_code == 0, report.text()
