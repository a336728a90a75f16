"""The EPUB edition of the default archive: valid, complete, faithful, reproducible."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from conftest import CORPUS, epubcheck_problems, rewrite_zip
from lxml import etree

from builder import verify
from builder.corpus import load

OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def test_default_archive_passes_epubcheck_without_a_message(default_epub):
    assert epubcheck_problems(default_epub) == []


def test_epubcheck_catches_a_broken_epub(default_epub, tmp_path):
    """Proof that the validator really runs: a chapter with an unclosed element must fail."""
    broken = rewrite_zip(default_epub, tmp_path / "broken.epub",
                     lambda n, d: d.replace(b"</h1>", b"", 1) if n.endswith("introduction.xhtml") else d)
    assert any("RSC-005" in p or "FATAL" in p or "ERROR" in p for p in epubcheck_problems(broken))


def test_epubcheck_catches_a_missing_manifest_file(default_epub, tmp_path):
    broken = rewrite_zip(default_epub, tmp_path / "missing.epub",
                     lambda n, d: None if n.endswith("colophon.xhtml") else d)
    assert epubcheck_problems(broken)


def test_mimetype_first_and_stored(default_epub, tmp_path):
    with zipfile.ZipFile(default_epub) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read(first) == b"application/epub+zip"
    assert verify.container_findings(default_epub) == []
    # EPUBCheck 5.3 does not flag a compressed mimetype: our own check must
    compressed = tmp_path / "compressed.epub"
    with zipfile.ZipFile(default_epub) as src, zipfile.ZipFile(compressed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
    assert any("compressed" in str(f) for f in verify.container_findings(compressed))


def _repacked(default_epub: Path, dest: Path, first: zipfile.ZipInfo, data: bytes) -> Path:
    """The EPUB with its first entry replaced by (first, data)."""
    with zipfile.ZipFile(default_epub) as src, zipfile.ZipFile(dest, "w") as out:
        out.writestr(first, data)
        for info in src.infolist()[1:]:
            out.writestr(info, src.read(info))
    return dest


def test_container_check_catches_each_mimetype_fault(default_epub, tmp_path):
    def stored(name: str = "mimetype") -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        return info

    extra = stored()
    extra.extra = b"\xca\xfe\x00\x00"  # the extra field a JAR writer adds
    cases = {
        "the first zip entry is not `mimetype`": _repacked(default_epub, tmp_path / "first.epub",
                                                          stored("README"), b"application/epub+zip"),
        "`mimetype` has an extra field": _repacked(default_epub, tmp_path / "extra.epub", extra,
                                                   b"application/epub+zip"),
        "`mimetype` is not exactly application/epub+zip": _repacked(default_epub, tmp_path / "text.epub", stored(),
                                                                    b"application/epub+zip\n"),
    }
    for message, epub in cases.items():
        assert [f.message for f in verify.container_findings(epub)] == [message], epub.name


def test_fidelity_check_catches_a_missing_chapter_or_text_block(default_epub, tmp_path):
    archive = load(CORPUS)
    gone, blank = archive.sources[0].id, archive.sources[1].id
    missing = rewrite_zip(default_epub, tmp_path / "missing.epub",
                      lambda n, d: None if n == f"EPUB/text/{gone}.xhtml" else d)
    assert any(f"{gone}.xhtml" in f.where and "the chapter is missing" in f.message
               for f in verify.epub_findings(missing, archive))
    old = f'id="{blank}-text"'.encode()

    def unblock(n: str, d: bytes) -> bytes:
        if n != f"EPUB/text/{blank}.xhtml":
            return d
        assert old in d
        return d.replace(old, b'id="renamed"')

    unblocked = rewrite_zip(default_epub, tmp_path / "unblocked.epub", unblock)
    assert any(f"{blank}.xhtml" in f.where and f.message == "no source text block"
               for f in verify.epub_findings(unblocked, archive))


def test_a_build_whose_epub_drops_a_word_fails_and_writes_nothing(tmp_path, monkeypatch):
    """The build's own read-back (verify.editions) stops a writer that loses text."""
    from builder.writers import epub as epub_mod
    from builder.build import build
    from builder.errors import DamageFound

    archive = load(CORPUS)
    victim = archive.sources[0]
    word = next(w for w in victim.read_text().split() if w.isalpha() and len(w) > 6)
    original = epub_mod.source_xhtml

    def drop_a_word(source, notes, marks=None, doc=None, **kw):
        xhtml = original(source, notes, marks, doc, **kw)
        if source.id == victim.id:
            assert word in xhtml
            xhtml = xhtml.replace(word, "", 1)
        return xhtml

    monkeypatch.setattr(epub_mod, "source_xhtml", drop_a_word)
    out = tmp_path / "out"
    with pytest.raises(DamageFound) as e:
        build(CORPUS, out, ("epub",))
    assert victim.id in str(e.value) and "differs from the source" in str(e.value)
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())  # a failed build leaves nothing


def test_every_source_text_is_reproduced_whole(default_epub):
    archive = load(CORPUS)
    with zipfile.ZipFile(default_epub) as z:
        for source in archive.sources:
            shown = verify.chapter_text(z.read(f"EPUB/text/{source.id}.xhtml"), f"{source.id}-text")
            assert verify.normalise(shown) == verify.normalise(source.read_text()), source.id
    assert verify.epub_findings(default_epub, archive) == []


def test_line_structure_follows_the_source(default_epub):
    """A blank line starts a paragraph, a single newline is a line break."""
    archive = load(CORPUS)
    with zipfile.ZipFile(default_epub) as z:
        for source in archive.sources:
            shown = verify.chapter_text(z.read(f"EPUB/text/{source.id}.xhtml"), f"{source.id}-text")
            text = source.read_text()
            paragraphs = [p for p in re.split(r"\n[ \t]*\n", text) if p.strip(" \t\n")]
            shown_paragraphs = [p for p in shown.split("\n\n") if p.strip(" \t\n")]
            assert len(shown_paragraphs) == len(paragraphs), source.id
            for mine, theirs in zip(shown_paragraphs, paragraphs):
                assert mine.strip("\n").count("\n") == theirs.strip("\n").count("\n")


def _first_word_swap(text: str) -> str:
    words = text.split(" ")
    i = next(k for k, w in enumerate(words) if len(w) > 4 and w.isalpha())
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


@pytest.mark.parametrize("damage", ["changed", "deleted", "moved"])
def test_fidelity_check_catches_one_word(default_epub, tmp_path, damage):
    archive = load(CORPUS)
    source = archive.sources[1]
    chapter = f"EPUB/text/{source.id}.xhtml"

    def harm(name: str, data: bytes) -> bytes:
        if name != chapter:
            return data
        root = etree.fromstring(data)
        block = root.xpath("//*[@id=$id]", id=f"{source.id}-text")[0]
        p = next(p for p in block.iter("{http://www.w3.org/1999/xhtml}p") if p.text and len(p.text.split()) > 5)
        if damage == "changed":
            p.text = p.text.replace(p.text.split()[2], p.text.split()[2] + "x", 1)
        elif damage == "deleted":
            word = p.text.split()[2]
            p.text = p.text.replace(" " + word, "", 1)
        else:
            p.text = _first_word_swap(p.text)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    damaged = rewrite_zip(default_epub, tmp_path / "damaged.epub", harm)
    findings = verify.epub_findings(damaged, archive)
    assert findings and source.id in str(findings[0]) and "differs" in str(findings[0])


def test_originals_travel_inside_the_epub(default_epub):
    archive = load(CORPUS)
    with zipfile.ZipFile(default_epub) as z:
        opf = etree.fromstring(z.read("EPUB/package.opf"))
        for source in archive.sources:
            data = z.read(f"EPUB/originals/{source.file_name}")
            assert hashlib.sha256(data).hexdigest() == source.provenance.received_sha256
            item = opf.xpath("//opf:item[@href=$h]", namespaces=OPF, h=f"originals/{source.file_name}")
            assert item and item[0].get("media-type") == "text/plain"
            spine = opf.xpath("//opf:itemref/@idref", namespaces=OPF)
            assert item[0].get("id") not in spine


def test_package_metadata(default_epub):
    archive = load(CORPUS)
    with zipfile.ZipFile(default_epub) as z:
        opf = etree.fromstring(z.read("EPUB/package.opf"))
        names = z.namelist()
        nav = z.read("EPUB/nav.xhtml").decode()
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == archive.language
    assert opf.xpath("//dc:identifier/text()", namespaces=OPF) == [archive.identifier]
    assert opf.xpath("//dc:language/text()", namespaces=OPF) == [archive.language]
    for field in ("title", "creator", "publisher", "date", "rights", "description", "subject", "source"):
        assert opf.xpath(f"//dc:{field}", namespaces=OPF), field
    props = opf.xpath("//opf:meta/@property", namespaces=OPF)
    for prop in ("dcterms:modified", "schema:accessMode", "schema:accessModeSufficient",
                 "schema:accessibilityFeature", "schema:accessibilityHazard", "schema:accessibilitySummary"):
        assert prop in props, prop
    assert "EPUB/toc.ncx" in names
    assert 'epub:type="landmarks"' in nav and 'epub:type="toc"' in nav
    for source in archive.sources:
        assert f"text/{source.id}.xhtml" in nav


def test_provenance_linked_both_ways(default_epub):
    archive = load(CORPUS)
    with zipfile.ZipFile(default_epub) as z:
        for source in archive.sources:
            chapter = z.read(f"EPUB/text/{source.id}.xhtml").decode()
            provenance = z.read(f"EPUB/text/{source.id}-provenance.xhtml").decode()
            assert f'href="{source.id}-provenance.xhtml"' in chapter
            assert f'href="{source.id}.xhtml#{source.id}"' in provenance
            assert source.sha256 in provenance


def test_css_respects_reader_settings(default_epub):
    with zipfile.ZipFile(default_epub) as z:
        css = z.read("EPUB/css/edition.css").decode()
    assert not re.search(r"font-size:\s*[\d.]+px", css), "fixed pixel font sizes"
    assert not re.search(r"(?<![-\w])(color|background(-color)?)\s*:", css), "text or background colours"


def test_colophon_lists_every_checksum(default_epub):
    archive = load(CORPUS)
    with zipfile.ZipFile(default_epub) as z:
        colophon = z.read("EPUB/text/colophon.xhtml").decode()
    for source in archive.sources:
        assert source.sha256 in colophon
    assert "validated" not in colophon.replace("not validated", "")


def test_default_archive_passes_daisy_ace(default_epub, tmp_path):
    from conftest import need

    from builder import validators
    assert [str(m) for m in need(validators.ace, default_epub, tmp_path)] == []


def test_daisy_ace_catches_missing_language_and_alt_text(default_epub, tmp_path):
    from conftest import need

    from builder import validators

    def harm(name: str, data: bytes) -> bytes:
        if name.endswith("cover.xhtml"):
            return re_sub_bytes(rb' alt="[^"]*"', b"", re_sub_bytes(rb' (xml:)?lang="[^"]*"', b"", data))
        return data

    broken = rewrite_zip(default_epub, tmp_path / "inaccessible.epub", harm)
    found = {m.id for m in need(validators.ace, broken, tmp_path)}
    assert found & {"image-alt", "html-has-lang", "epub-lang"}, found


def re_sub_bytes(pattern: bytes, repl: bytes, data: bytes) -> bytes:
    return re.sub(pattern, repl, data)


@pytest.fixture(scope="module")
def mixed_epub(tmp_path_factory):
    """A corpus with Markdown and HTML sources, Arabic, markup-like text and notes."""
    from corpora import write_corpus

    from builder.build import build
    root = write_corpus(tmp_path_factory.mktemp("mixed") / "corpus")
    return root, build(root, tmp_path_factory.mktemp("mixed-out"), ("epub",)).editions["epub"]


def test_test_corpus_with_markdown_html_and_arabic_passes_epubcheck_and_ace(mixed_epub, tmp_path):
    from conftest import need

    from builder import validators
    _, epub = mixed_epub
    assert epubcheck_problems(epub) == []
    assert [str(m) for m in need(validators.ace, epub, tmp_path)] == []


def test_markdown_and_html_sources_rendered_with_text_whole_and_scripts_removed(mixed_epub):
    _, epub = mixed_epub
    with zipfile.ZipFile(epub) as z:
        md = z.read("EPUB/text/mdsource.xhtml").decode()
        html = z.read("EPUB/text/htmlsource.xhtml").decode()
        letter = z.read("EPUB/text/letter.xhtml").decode()
    assert "<h2>A heading</h2>" in md and "<em>text</em>" in md
    assert "<em>em</em>" in html and "<script" not in html and "x()" not in html
    # text that looks like markup is shown as text, never interpreted
    assert "#set page(paper: &quot;a4&quot;)" in letter or '#set page(paper: "a4")' in letter
    shown = verify.chapter_text(letter.encode(), "letter-text")
    assert "I write about the   meeting" in shown and "no\u00a0break\u00a0spaces" in shown  # kept as received


@pytest.mark.parametrize("sid", ["mdsource", "htmlsource"])
def test_markdown_and_html_text_is_checked_whole(mixed_epub, tmp_path, sid):
    root, epub = mixed_epub
    archive = load(root)
    assert verify.epub_findings(epub, archive) == []
    chapter = f"EPUB/text/{sid}.xhtml"
    word = {"mdsource": b"text", "htmlsource": b"em"}[sid]
    damaged = rewrite_zip(epub, tmp_path / "damaged.epub",
                          lambda n, d: d.replace(b">" + word + b"<", b"><", 1) if n == chapter else d)
    findings = [str(f) for f in verify.epub_findings(damaged, archive)]
    assert any(chapter in f and "differs" in f for f in findings), findings


def test_the_editors_quotes_and_dashes_are_typographic_and_quotations_exact(default_epub):
    """The editor's own words get curly quotes, apostrophes and dashes as in the PDF
    (builder/typography.py); a quotation between them stays exactly as the source has it."""
    corpus_text = (CORPUS / "introduction.md").read_text(encoding="utf-8")
    assert '"one antisemite is one too many"' in corpus_text and "the party's opponents" in corpus_text
    notes = "".join(p.read_text(encoding="utf-8") for p in (CORPUS / "sources").glob("*.notes.toml"))
    assert "the EHRC's report in full" in notes and "report's first sentence" in notes
    with zipfile.ZipFile(default_epub) as z:
        intro = z.read("EPUB/text/introduction.xhtml").decode()
        chapters = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert "\u201cone antisemite is one too many\u201d" in intro
    assert "the party\u2019s opponents" in intro and "party's opponents" not in intro
    assert "\u201cto implement the recommendations of the EHRC's report in full\u201d" in chapters
    assert "report\u2019s first sentence" in chapters and "report's first sentence" not in chapters
