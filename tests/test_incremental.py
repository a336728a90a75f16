"""Incremental builds (builder/cache.py, builder/writers/epub_sources.py): after any change of the
corpus, a rebuild from the cache is the same bytes as a full build of the changed corpus (both
editions); a damaged cache entry is made again; --no-cache keeps nothing; the cache lives in
OUT/.cache and never in the corpus. Every EPUB built is checked with EPUBCheck (each distinct
file once: identical bytes give an identical report).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder import cache, progress
from builder.build import build
from builder.cli import main

from conftest import epubcheck_problems

LAST = "joint-statement-jlm-training"  # the last source of the default archive
CHECKED: set[str] = set()  # EPUBs EPUBCheck has passed in this run, by SHA-256


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def epubcheck_once(path: Path) -> None:
    digest = sha(path)
    if digest not in CHECKED:
        assert epubcheck_problems(path) == []
        CHECKED.add(digest)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def source_bytes(corpus: Path) -> None:
    text = corpus / "sources" / f"{LAST}.txt"
    data = text.read_bytes()
    text.write_bytes(data + b"\nOne more line.\n")
    edit(text.with_suffix(".toml"), hashlib.sha256(data).hexdigest(), hashlib.sha256(text.read_bytes()).hexdigest())


def sidecar_field(corpus: Path) -> None:
    edit(corpus / "sources" / f"{LAST}.toml", 'summary = "', 'summary = "Edited for the test. ')


def note_added(corpus: Path) -> None:
    notes = corpus / "sources" / f"{LAST}.notes.toml"
    notes.write_text(notes.read_text(encoding="utf-8") + '\n[[notes]]\nid = "added-by-the-test"\nkind = "gloss"\n'
                     'exact = "Labour Left Alliance"\nbody = "A note added by the test."\n', encoding="utf-8")


def note_edited(corpus: Path) -> None:
    edit(corpus / "sources" / f"{LAST}.notes.toml", "Labour Left Alliance (LLA), a network",
         "Labour Left Alliance (LLA), a wide network")


def note_removed(corpus: Path) -> None:
    notes = corpus / "sources" / f"{LAST}.notes.toml"
    blocks = notes.read_text(encoding="utf-8").split("[[notes]]")
    kept = [b for b in blocks if 'id = "lla"' not in b]
    assert len(kept) == len(blocks) - 1
    notes.write_text("[[notes]]".join(kept), encoding="utf-8")


def register(corpus: Path) -> None:
    edit(corpus / "register.toml", "founded in 1760.", "founded in 1760 (edited for the test).")


def introduction(corpus: Path) -> None:
    intro = corpus / "introduction.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nA paragraph added by the test.\n", encoding="utf-8")


def title(corpus: Path) -> None:
    edit(corpus / "archive.toml", 'title = "', 'title = "Edited: ')


def date(corpus: Path) -> None:
    edit(corpus / "archive.toml", "date = 2026-11-23", "date = 2026-11-24")


def style_sheet(corpus: Path) -> None:
    from builder.templating import packaged_templates

    css = corpus / "templates" / "epub" / "edition.css"
    css.parent.mkdir(parents=True)
    css.write_text((packaged_templates() / "epub" / "edition.css").read_text(encoding="utf-8")
                   + "\n.meta { font-style: italic; }\n", encoding="utf-8")


def template(corpus: Path) -> None:
    from builder.templating import packaged_templates

    page = corpus / "templates" / "epub" / "original.xhtml"
    page.parent.mkdir(parents=True)
    page.write_text((packaged_templates() / "epub" / "original.xhtml").read_text(encoding="utf-8")
                    .replace("exactly as received;", "exactly as received (as the test says);"), encoding="utf-8")


def source_added_and_removed(corpus: Path) -> None:
    gone = "jlm-duty-of-care-report"
    for path in (corpus / "sources").glob(f"{gone}.*"):
        path.unlink()
    (corpus / "sources" / "added-by-the-test.txt").write_text("A source added by the test.\n", encoding="utf-8")
    edit(corpus / "archive.toml", f'  "{gone}",\n', "")
    edit(corpus / "archive.toml", f'  "{LAST}",\n', f'  "{LAST}",\n  "added-by-the-test",\n')
    for notes in (corpus / "sources").glob("*.notes.toml"):  # a cross-reference to it would point at nothing
        text = notes.read_text(encoding="utf-8")
        notes.write_text(text.replace(f"(#{gone})", "(#joint-statement-jlm-training)"), encoding="utf-8")


def format_option(corpus: Path) -> None:
    edit(corpus / "archive.toml", 'page_size = "a5"', 'page_size = "a4"')


CHANGES = {f.__name__: f for f in (source_bytes, sidecar_field, note_added, note_edited, note_removed, register,
                                     introduction, title, date, style_sheet, template, source_added_and_removed,
                                     format_option)}


@pytest.fixture(autouse=True)
def cache_on():
    """`archive build --no-cache` sets the module's switch for the process: each test starts with
    the cache on, and leaves it on."""
    cache.configure(use=True)
    yield
    cache.configure(use=True)


@pytest.fixture
def corpus(corpus_copy) -> Path:
    """The default archive, copied (conftest's corpus_copy)."""
    return corpus_copy


def fresh(corpus: Path, out: Path, formats=("epub", "pdf")):
    """A full build, nothing taken from or kept in a cache."""
    cache.configure(use=False)
    try:
        return build(corpus, out, formats)
    finally:
        cache.configure(use=True)


@pytest.mark.parametrize("change", CHANGES)
def test_a_rebuild_after_a_change_is_the_full_build_of_the_changed_corpus(change, corpus, tmp_path):
    out = tmp_path / "out"
    before = build(corpus, out)
    before_sha = {k: sha(p) for k, p in before.editions.items()}
    assert (out / ".cache").is_dir()
    CHANGES[change](corpus)
    rebuilt = build(corpus, out)
    full = fresh(corpus, tmp_path / "full")
    for kind in ("epub", "pdf"):
        assert sha(rebuilt.editions[kind]) == sha(full.editions[kind]), f"{change}: the {kind} from the cache is stale"
    assert sha(rebuilt.editions["epub"]) != before_sha["epub"], f"{change}: the EPUB does not show the change"
    epubcheck_once(rebuilt.editions["epub"])


def counting(monkeypatch) -> dict[str, int]:
    """How many of each kind of entry the builds take from their cache."""
    taken: dict[str, int] = {}
    get = cache.Store.get

    def counted(self, kind, k):
        data = get(self, kind, k)
        if data is not None:
            taken[kind] = taken.get(kind, 0) + 1
        return data

    monkeypatch.setattr(cache.Store, "get", counted)
    return taken


def parsing(monkeypatch) -> list[str]:
    """The chapters the EPUB's read-back parses (their text blocks' ids), in order."""
    from builder import verify

    parsed: list[str] = []
    text_of = verify.chapter_text

    def counted(xhtml, container_id):
        parsed.append(container_id)
        return text_of(xhtml, container_id)

    monkeypatch.setattr(verify, "chapter_text", counted)
    return parsed


def test_after_one_note_is_edited_only_its_source_is_made_again(corpus, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    build(corpus, out, ("epub",))
    note_edited(corpus)
    taken = counting(monkeypatch)
    parsed = parsing(monkeypatch)
    progress.configure(verbose_=True)
    try:
        rebuilt = build(corpus, out, ("epub",))
    finally:
        progress.configure()
    assert taken["epub-source"] == 4  # every source but the one whose note changed
    assert taken["epub-read-back"] == 1  # one entry: the chapters the last build found whole
    assert parsed == [f"{LAST}-text"]  # and its chapter alone read back in full
    said = capsys.readouterr().err
    assert "EPUB: 1 of 5 sources made again (its notes changed); 4 from the cache" in said
    assert sha(rebuilt.editions["epub"]) == sha(fresh(corpus, tmp_path / "full", ("epub",)).editions["epub"])


def damage_entries(out: Path, kind: str) -> list[str]:
    """Every cache entry of one kind with its last byte changed: its own SHA-256 no longer matches."""
    entries = cache.entries(out, kind)
    for pack, offset, length in entries.values():
        data = bytearray(pack.read_bytes())
        data[offset + 32 + length - 1] ^= 0xFF
        pack.write_bytes(bytes(data))
    return sorted(entries)


def whole_entries(out: Path, kind: str) -> list[str]:
    """The keys of the entries of a kind whose bytes still match their SHA-256."""
    whole = []
    for k, (pack, offset, length) in cache.entries(out, kind).items():
        raw = pack.read_bytes()[offset:offset + 32 + length]
        if hashlib.sha256(raw[32:]).digest() == raw[:32]:
            whole.append(k)
    return sorted(whole)


@pytest.mark.parametrize("edition, kind", [("epub", "epub-source"), ("pdf", "pdf-source")])
def test_a_damaged_cache_entry_is_made_again(corpus, tmp_path, monkeypatch, edition, kind):
    """Each source's EPUB part (epub-source) and the PDF's staged source data (builder/writers/pdf.py
    Staged, pdf-source): an entry damaged is not used but made again, whole, and the edition is the
    same bytes."""
    out = tmp_path / "out"
    first = sha(build(corpus, out, (edition,)).editions[edition])
    entries = damage_entries(out, kind)
    assert len(entries) == 5
    taken = counting(monkeypatch)
    again = build(corpus, out, (edition,))
    assert taken.get(kind, 0) == 0
    assert sha(again.editions[edition]) == first
    assert whole_entries(out, kind) == entries  # made again, whole, under the same keys
    taken.clear()
    assert sha(build(corpus, out, (edition,)).editions[edition]) == first
    assert taken[kind] == 5  # found again


def test_a_damaged_chapter_is_found_even_when_its_read_back_was_cached(corpus, tmp_path, monkeypatch):
    """The read-back cache is keyed by the chapter's bytes: a chapter the writer gets wrong is read
    back in full, whatever an earlier build found."""
    from builder.errors import DamageFound
    from builder.writers import epub as epub_mod

    out = tmp_path / "out"
    build(corpus, out, ("epub",))
    original = epub_mod.source_xhtml

    def drop_a_word(source, notes, marks=None, doc=None, **kw):
        xhtml = original(source, notes, marks, doc, **kw)
        return xhtml.replace("Witchhunt", "", 1) if source.id == LAST else xhtml

    monkeypatch.setattr(epub_mod, "source_xhtml", drop_a_word)
    shutil.rmtree(out / ".cache" / "epub-source")  # so that the writer runs again
    with pytest.raises(DamageFound) as e:
        build(corpus, out, ("epub",))
    assert LAST in str(e.value)


def test_no_cache_keeps_nothing(corpus, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(corpus), "--out", str(out), "--format", "epub", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not (out / ".cache").exists()
    assert [p.name for p in out.iterdir()] == [next(out.glob("*.epub")).name]
    epubcheck_once(next(out.glob("*.epub")))


def test_the_cache_is_in_the_output_folder_never_in_the_corpus(corpus, tmp_path):
    def tree(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}

    before = tree(corpus)
    out = tmp_path / "out"
    build(corpus, out, ("epub",))
    build(corpus, out, ("epub",))
    assert tree(corpus) == before
    assert sorted(p.name for p in out.iterdir()) == sorted([".cache", next(out.glob("*.epub")).name])
    kinds = {p.name for p in (out / ".cache").iterdir()}
    assert {"epub-source", "epub-read-back"} <= kinds


def test_a_failed_build_keeps_nothing_in_the_cache(corpus, tmp_path, monkeypatch):
    from builder.errors import DamageFound
    from builder.writers import epub as epub_mod

    original = epub_mod.source_xhtml
    monkeypatch.setattr(epub_mod, "source_xhtml",
                        lambda source, notes, *a, **kw: original(source, notes, *a, **kw).replace("Witchhunt", "", 1))
    out = tmp_path / "out"
    with pytest.raises(DamageFound):
        build(corpus, out, ("epub",))
    assert not out.exists()


def test_an_epub_only_build_keeps_the_pdf_entries_and_prunes_its_own(corpus, tmp_path):
    """Store.finish prunes only the kinds of entry the build used: after both editions, an
    EPUB-only build leaves the PDF's entries as they were (a later PDF build finds them), and of
    the EPUB's own entries keeps only what it used."""
    out = tmp_path / "out"
    build(corpus, out, ("epub", "pdf"))

    def entries() -> dict[str, set[str]]:
        return {kind.name: set(cache.entries(out, kind.name)) for kind in (out / ".cache").iterdir()}

    before = entries()
    pdf_kinds = {k for k in before if k.startswith("pdf")}
    assert pdf_kinds, sorted(before)
    notes = next((corpus / "sources").glob("*.notes.toml"))
    notes.write_text(notes.read_text(encoding="utf-8").replace('body = "', 'body = "Edited. ', 1), encoding="utf-8")
    build(corpus, out, ("epub",))
    after = entries()
    assert {k: after.get(k) for k in pdf_kinds} == {k: before[k] for k in pdf_kinds}
    assert after["epub-source"] != before["epub-source"]  # the edited source's old part is gone
    assert len(after["epub-source"]) == len(before["epub-source"])


def test_the_corpus_marker_glyphs_template_is_in_the_markers_key(corpus, tmp_path):
    """The note markers' glyphs are kept in the cache (builder/writers/pdf.py stage_markers) under
    what Typst reads to make them: a corpus's own marker-glyphs.typ makes them again (a key
    without the staged templates gives the earlier markers: a stale PDF)."""
    from builder.templating import packaged_templates

    out = tmp_path / "out"
    before = sha(build(corpus, out, ("pdf",)).editions["pdf"])
    own = corpus / "templates" / "pdf" / "marker-glyphs.typ"
    own.parent.mkdir(parents=True, exist_ok=True)
    packaged = (packaged_templates() / "pdf" / "marker-glyphs.typ").read_text(encoding="utf-8")
    assert 'font: "Libertinus Serif"' in packaged
    own.write_text(packaged.replace('font: "Libertinus Serif"', 'font: "DejaVu Sans Mono"'), encoding="utf-8")
    rebuilt = build(corpus, out, ("pdf",))
    full = fresh(corpus, tmp_path / "full", ("pdf",))
    assert sha(rebuilt.editions["pdf"]) == sha(full.editions["pdf"]), "the markers from the cache are stale"
    assert sha(rebuilt.editions["pdf"]) != before, "the template changed nothing"
