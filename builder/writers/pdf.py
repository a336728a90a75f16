"""The PDF edition: `write(archive, anchors, path)`, PDF/A-3a and PDF/UA-1 claimed, made by Typst.

Every text of the archive (sources, notes, provenance, introduction) reaches Typst as data:
one JSON file per source in a temporary build folder, read there with `json()`. The Typst
source (templates/pdf/edition.typ) is static and never has text spliced into it, so no
character of a source can be taken for Typst syntax. Markdown (the introduction, note
bodies, .md sources) is parsed here into a small JSON tree that the template walks.

The original files are copied into the build folder and attached by Typst, byte for byte,
with AFRelationship /Source. Fonts come from the Typst wheel (Libertinus Serif, DejaVu Sans
Mono) and templates/pdf/fonts/ (Noto Naskh Arabic); system fonts are ignored, so every
machine makes the same PDF.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from markdown_it.tree import SyntaxTreeNode

from .. import __version__, characters, describe, document, notes_io, readers, templating, typography
from .. import bidi, inert, links  # docs/security.md: no action, no package, editorial images
from . import image_name, layout, typst_fonts
from ..anchor import Anchored, links_of
from ..errors import ArchiveError, UsageError
from ..model import Archive, Source
from ..output import atomic_path

PDF_STANDARDS = ["a-3a", "ua-1"]
MAIN = "edition.typ"
NOTES_FILE = "notes/annotations.jsonld"  # in the build folder; attached to the PDF (relationship Supplement)


def write(archive: Archive, anchors: dict[str, list[Anchored]], path: Path) -> Path:
    """Write the PDF edition of archive to path (whole or not at all)."""
    from .. import verify_pdf

    try:
        return render(archive, anchors, path)[0]
    finally:
        verify_pdf.abandon(path)  # the read-back's match, begun for a book in parts: not wanted here


def render(archive: Archive, anchors: dict[str, list[Anchored]], path: Path, store=None,
           meanwhile=None) -> tuple[Path, list[tuple]]:
    """Write the PDF edition, and read back where its blocks landed: [(block id, page (1-based),
    opens the page)] in document order, from the template's page-map markers (builder/pagemap.py).
    A large archive is made in parts joined into one book (builder/writers/pdf_parts.py); store:
    the build's cache (builder/cache.py), where parts made before are found again. With `[pdf]
    volume_pages` asking for more than one volume (builder/volumes.py): the volumes are written
    beside path instead, and (their list, None) is returned (builder/writers/pdf_volumes.py).
    meanwhile(blocks, labels): work done while the parts of one book are joined (pdf_parts.render),
    not called for a book made in one compile or in volumes."""
    from . import pdf_parts, pdf_sessions, pdf_volumes
    from .. import volumes

    vols = volumes.plan(archive)  # [pdf] volume_pages: volumes, each a join of parts (pdf_volumes.py)
    runs = pdf_volumes.runs_of(archive, vols) if vols else pdf_parts.plan(archive)
    have = available_memory()
    if runs is None and have is not None and memory_needed(archive) > have:  # one compile would not fit
        runs = pdf_parts.plan(archive, part_pages=max(1.0, pdf_parts.book_pages(archive) / 2))
    refuse_if_too_large(archive, path, runs)
    fonts = [str(f) for f in fonts_dirs(archive)]
    if runs:  # a book in parts: a process to lay them out starts now, while the build folder is staged
        pdf_sessions.warm(fonts)
    try:
        return _render(archive, anchors, path, store, runs, vols, fonts, meanwhile)
    finally:
        pdf_sessions.finish()


def _render(archive: Archive, anchors: dict[str, list[Anchored]], path: Path, store, runs, vols,
            fonts: list[str], meanwhile=None) -> tuple[Path, list[tuple]]:
    import typst  # loaded only when a PDF is asked for

    from . import pdf_parts, pdf_volumes
    ids = {s.id for s in archive.sources}
    with tempfile.TemporaryDirectory(prefix="archive-pdf-") as tmp:
        folder = Path(tmp)
        stage_templates(archive, folder)
        stage_markers(archive, folder, store)
        (folder / "sources").mkdir()
        (folder / "originals").mkdir()
        (folder / "images").mkdir()
        staged = Staged(archive, ids, store)
        files = pdf_parts.SourceFiles(folder, each=(archive.templates_dir / "pdf" / MAIN).is_file())  # in parts:
        # written when a part that shows them is compiled (and a file each, for a corpus's own template)
        for source in archive.sources:
            data = staged.source(source, anchors.get(source.id, []), folder / "images")
            if runs or vols:  # its JSON and its original, staged when a part that shows it is compiled
                files.add(source.id, data, (source.path, folder / "originals" / source.file_name))
            else:
                (folder / "sources" / f"{source.id}.json").write_bytes(data)
                _copy(source.path, folder / "originals" / source.file_name)
        if runs and not vols:  # attached at the join: made in a thread while the parts are laid out
            notes_later = ThreadPoolExecutor(1, thread_name_prefix="notes-jsonld")
            later = notes_later.submit(lambda: notes_io.jsonld(archive, anchors).encode("utf-8"))
            notes_later.shutdown(wait=False)  # its one task runs on; later.result() waits for it
        else:
            notes = notes_io.jsonld(archive, anchors).encode("utf-8")
        if not runs:  # one compile attaches it; a book in parts has it attached at the join (notes_attached)
            (folder / "notes").mkdir()
            (folder / NOTES_FILE).write_bytes(notes)
        links.stage_images(archive, folder)  # editorial images, checked at load
        _put_json(folder / "archive.json", {**archive_data(archive), "notes_file": None if runs else NOTES_FILE})
        if vols:  # the volumes, beside path; (their list, None)
            with inert.offline():
                try:
                    return pdf_volumes.render(archive, folder, vols, path.parent, fonts,
                                              PDF_STANDARDS, store, attach=(notes_attached(archive, notes),),
                                              staged=files), None
                except (typst.TypstError, pdf_parts.CompileFailed) as e:
                    raise _failed(archive, e) from e
        with atomic_path(path) as out, inert.offline():  # no package fetched (docs/security.md)
            try:
                if runs:
                    blocks = pdf_parts.render(archive, folder, runs, out, fonts,
                                              PDF_STANDARDS, store, final=path,
                                              attach=lambda: (notes_attached(archive, later.result()),),
                                              staged=files, meanwhile=meanwhile)
                    return path, blocks
                # one compiler for both calls: the query reuses the compilation's memoised layout
                compiler = typst.Compiler(str(folder / MAIN), root=str(folder),
                                          font_paths=typst_fonts.fonts(fonts), ignore_system_fonts=True,
                                          **inert.typst_packages(folder))
                compiler.compile(output=str(out), format="pdf", pdf_standards=PDF_STANDARDS,
                                 timestamp=archive.timestamp)
                blocks = _blocks_placed(compiler)
                if archive.license:
                    mark_licence(out, archive.license)
            except (typst.TypstError, pdf_parts.CompileFailed) as e:
                raise _failed(archive, e) from e
    return path, blocks


def _failed(archive: Archive, e) -> Exception:
    """What to raise when Typst could not make the PDF edition."""
    missing = re.search(r'the text `"(.+?)"` could not be displayed', e.message or "")
    if missing:  # the corpus needs a font the edition does not ship: the user can fix it
        return UsageError(_no_font(archive, missing.group(1)))
    if (problem := inert.typst_problem(archive, e)) is not None:
        return problem
    hints = "".join(f"\n  hint: {h}" for h in getattr(e, "hints", []) or [])
    return ArchiveError(f"Typst could not make the PDF edition: {e.message}{hints}")


def notes_attached(archive: Archive, notes: bytes):
    """The notes' JSON-LD as the join attaches it to a book in parts: what the template's
    pdf.attach writes in one compile (templates/pdf/edition.typ, the colophon). Attached at the
    join, a note edited changes no part but the one that shows the note."""
    import datetime as dt

    from ..pdf_join import Attached
    when = dt.datetime.fromtimestamp(archive.timestamp, dt.timezone.utc).strftime("D:%Y%m%d%H%M%SZ")
    return Attached("annotations.jsonld", notes, "application/ld+json",
                    "The editorial notes, as W3C Web Annotation JSON-LD", "Supplement", when)


def parts_scanned(path: Path) -> list[str] | None:
    """For a book made in parts, what the active-content scan found in its parts (builder/inert.py
    pdf_active, each part's scan kept by the SHA-256 of its bytes); None otherwise."""
    from .pdf_part_text import ACTIVE
    return ACTIVE.pop(str(path), None)


def page_texts(path: Path, store=None) -> list[str] | None:
    """The text of a book made in parts, read part by part (builder/writers/pdf_part_text.py); None otherwise."""
    from .pdf_part_text import page_texts as by_part
    return by_part(path, store)


def mark_licence(path: Path, licence: str) -> None:
    """The licence URI in the XMP, where PDF/A allows it without an extension schema:
    xmpRights:WebStatement (and xmpRights:Marked: the document is rights-managed). Saved with a
    deterministic /ID and no pikepdf date, so the same inputs still give the same bytes (object
    streams generated: the file is about half the size Typst writes)."""
    import pikepdf
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["xmpRights:WebStatement"] = licence
            meta["xmpRights:Marked"] = "True"
        pdf.save(path, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def _blocks_placed(compiler) -> list[tuple]:
    """The template's `<pb-pages>` metadata; [] when a corpus's own template has none."""
    import typst

    try:
        found = json.loads(compiler.query("<pb-pages>", field="value", one=True))
    except typst.TypstError:
        return []
    return [(str(i), int(p), bool(top)) for i, p, top in found]


# Typst lays out the whole document in one compile and holds it: measured here (docs/performance.md)
# about 0.65 MiB a page, and about 1,800 characters of text to an A5 page, plus a page or so of
# provenance for each source (1,000 sources of 700 words: 4,077 pages, 2,712 MiB at the peak).
MIB_PER_PAGE = 0.65
CHARS_PER_PAGE = {"a5": 1800, "us-trade": 2300, "a4": 4000}
BASE_MIB = 300


def memory_needed(archive: Archive) -> int:
    """An estimate (MiB) of the memory Typst needs for this archive's PDF."""
    text = sum(s.characters + sum(len(n.body) for n in s.notes) for s in archive.sources) + len(archive.introduction)
    pages = text / CHARS_PER_PAGE.get(archive.page_size, 1800) + len(archive.sources) + 10
    return int(BASE_MIB + MIB_PER_PAGE * pages)


def available_memory() -> int | None:
    """MiB this machine can give now (Linux's MemAvailable), or None where it cannot tell."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def refuse_if_too_large(archive: Archive, path: Path | None = None, runs=None) -> None:
    """Stop before a compile that would run the machine out of memory, and say what to do. In parts
    (runs), memory is bounded by the part size: what can run short is the disk (P303)."""
    if runs:
        need_disk, free = disk_needed(archive), free_disk(path)
        if free is not None and need_disk > free:
            raise UsageError(
                f"{archive.root}: error P303: the PDF of {len(archive.sources):,} sources needs about "
                f"{need_disk / 1024:.1f} GiB of disk while it is made, and {path.parent} has "
                f"{free / 1024:.1f} GiB free.\n    fix: free disk space there, or build into another "
                "output folder (--out), or build the EPUB alone (--format epub)")
        from .pdf_parts import part_memory
        need, have = part_memory(archive, runs), available_memory()
        if have is not None and need > have:  # not even one part fits (a machine with very little memory)
            raise UsageError(
                f"{archive.root}: error P302: the PDF is made in parts, and its largest part needs about "
                f"{need / 1024:.1f} GiB in one Typst compile; this machine has {have / 1024:.1f} GiB available."
                "\n    fix: build the EPUB alone (--format epub: it has no such limit), or build on a machine "
                "with more memory")
        return
    need, have = memory_needed(archive), available_memory()
    if have is not None and need > have:
        raise UsageError(
            f"{archive.root}: error P302: the PDF of {len(archive.sources):,} sources needs about "
            f"{need / 1024:.1f} GiB in one Typst compile, and this machine has {have / 1024:.1f} GiB available."
            "\n    fix: build the EPUB alone (--format epub: it has no such limit), or split the corpus "
            "into volumes, or build on a machine with more memory")


# A page of the edition takes about 5.6 KiB in the joined book (1,000 synthetic sources: 4,079
# pages, 22.7 MB, originals included) and as much in its part; the cache keeps a copy of each part,
# its text and the book: three times twice that size, rounded up (docs/performance.md).
KIB_PER_PAGE = 12


def disk_needed(archive: Archive) -> int:
    """An estimate (MiB) of the disk the PDF edition takes while it is made in parts."""
    text = sum(s.characters + sum(len(n.body) for n in s.notes) for s in archive.sources) + len(archive.introduction)
    pages = text / CHARS_PER_PAGE.get(archive.page_size, 1800) + len(archive.sources) + 10
    originals = sum(s.size for s in archive.sources if hasattr(s, "size")) / 2**20
    return max(1, round(3 * (pages * KIB_PER_PAGE / 1024 + originals) + 0.5))


def free_disk(path: Path | None) -> int | None:
    """MiB free in the folder the edition is written to, or None where it cannot tell."""
    if path is None:
        return None
    try:
        return shutil.disk_usage(path.parent).free // 2**20
    except OSError:
        return None


def stage_templates(archive: Archive, folder: Path) -> None:
    """The packaged Typst templates, then the corpus's own templates/pdf/*.typ over them."""
    for base in (templating.packaged_templates() / "pdf", archive.templates_dir / "pdf"):
        if base.is_dir():
            for typ in sorted(base.glob("*.typ")):
                shutil.copyfile(typ, folder / typ.name)


CJK_FONTS = Path("/usr/share/fonts/opentype/noto")  # Debian's fonts-noto-cjk (./run installs it)


MARKER_GLYPHS = "marker-glyphs.typ"


def stage_markers(archive: Archive, folder: Path, store=None) -> None:
    """The note markers' glyphs (0-9 and a comma) as SVG shapes in markers/, made by Typst from
    marker-glyphs.typ: a marker drawn from them is no text, so no extraction fuses it into a word.
    Kept in the cache (store, builder/cache.py) under what Typst reads to make them: the staged
    templates (a corpus's own may replace marker-glyphs.typ), the fonts and Typst's version."""
    import typst

    from .. import cache
    (folder / "markers").mkdir()
    fonts = fonts_dirs(archive)
    key = None
    if store is not None and store.folder is not None:
        from importlib.metadata import version
        key = cache.key("pdf-markers", [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.typ"))],
                        fonts_digests(fonts), version("typst"))
        kept = store.get("pdf-markers", key)
        svgs = _unpacked(kept) if kept is not None else None
        if svgs is not None and len(svgs) == len(MARKER_NAMES):
            for name, svg in zip(MARKER_NAMES, svgs):
                (folder / "markers" / f"{name}.svg").write_bytes(svg)
            return
    pages = typst.compile(str(folder / MARKER_GLYPHS), root=str(folder), format="svg",
                          font_paths=typst_fonts.fonts([str(f) for f in fonts]), ignore_system_fonts=True)
    svgs = pages if isinstance(pages, list) else [pages]
    for name, svg in zip(MARKER_NAMES, svgs):
        (folder / "markers" / f"{name}.svg").write_bytes(svg)
    if key is not None and len(svgs) == len(MARKER_NAMES):
        store.put("pdf-markers", key, b"".join(len(svg).to_bytes(8, "big") + svg for svg in svgs))


MARKER_NAMES = [*"0123456789", "comma"]


def _unpacked(data: bytes) -> list[bytes] | None:
    """The SVGs of a pdf-markers entry (each length-prefixed); None if it is not one."""
    out, at = [], 0
    while at < len(data):
        n = int.from_bytes(data[at:at + 8], "big")
        if at + 8 + n > len(data):
            return None
        out.append(data[at + 8:at + 8 + n])
        at += 8 + n
    return out


def fonts_digests(dirs: list[Path]) -> list[tuple[str, str]]:
    """The fonts Typst is given (every file of the font folders), by name and SHA-256; Debian's
    (/usr/share/fonts) left out, pinned by their package, as in builder/writers/pdf_parts.py."""
    import hashlib
    return [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for d in dirs for p in sorted(Path(d).rglob("*"))
            if p.is_file() and not str(p).startswith("/usr/share/fonts")]


def fonts_dirs(archive: Archive) -> list[Path]:
    """The corpus's own fonts (templates/pdf/fonts/) first, then the shipped ones, then Noto CJK
    (Chinese, Japanese and Korean: too large to ship; Typst falls back to it for those characters)."""
    own = archive.templates_dir / "pdf" / "fonts"
    return [d for d in (own, templating.packaged_templates() / "pdf" / "fonts", CJK_FONTS) if d.is_dir()]


def _no_font(archive: Archive, text: str) -> str:
    """Which source holds characters no font of the edition can show, and how to fix it."""
    where = next((s.path for s in archive.sources if text in s.read_text()), archive.root / "introduction.md")
    names = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(text))
    return (f"{where}: error P301: no font of the PDF edition can show «{text}» ({names}); "
            "PDF/A forbids a missing glyph.\n    fix: put an OFL font that covers this script "
            f"(e.g. from Debian's fonts-noto-cjk) in {archive.templates_dir / 'pdf' / 'fonts'}/ "
            "and build again, or build with --format epub")


class Staged:
    """Each source's JSON as staged (source_data, in _put_json's bytes), kept in the cache
    (builder/cache.py) under the SHA-256 of everything source_data reads: the source as loaded
    (its bytes' hash, file, format, provenance, notes and register links), a scan's transcription,
    its notes as anchored, the source ids and the register's (for a source with notes or links:
    its notes link to them), and the libraries that shape it. A source whose document has images
    (a PDF, a scan) is staged each time: its images are written beside it."""

    def __init__(self, archive: Archive, ids: set[str], store=None):
        import sys
        from importlib.metadata import version

        from .. import cache
        self.cache, self.store = cache, store or cache.Store(None)
        self.ids, self.register_ids = ids, frozenset(e.id for e in archive.register)
        self.common = cache.key("pdf-source-common", sorted(ids), sorted(self.register_ids),
                                version("markdown-it-py"), sys.version)

    def source(self, source: Source, notes: list[Anchored], images: Path) -> bytes:
        from ..readers import scan
        key = None
        if self.store.folder is not None:
            key = self.cache.key("pdf-source", repr(source), scan.transcription_sha256(source), repr(notes),
                                 self.common if (notes or source.links) else None)
            kept = self.store.get("pdf-source", key)
            if kept is not None:
                return kept
        made: list[str] = []
        data = json.dumps(source_data(source, notes, self.ids, images=images, register_ids=self.register_ids,
                                      made_images=made), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if key is not None and not made:
            self.store.put("pdf-source", key, data)
        return data


def _put_json(path: Path, data: dict) -> None:
    # json.dumps, then one write: json.dump writes each small piece to the file (twice the time)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


# ---------------------------------------------------------------- archive and sources as data

def language(tag: str) -> dict:
    """BCP 47 to Typst's text(lang:, region:)."""
    parts = (tag or "en").split("-")
    region = next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return {"lang": parts[0].lower(), "region": region.upper() if region else None}


def archive_data(archive: Archive) -> dict:
    ctx = describe.archive_context(archive, __version__)
    d = archive.date
    return {
        **{k: ctx[k] for k in ("title", "subtitle", "full_title", "identifier", "publisher", "rights",
                               "description", "subjects", "date_text", "year", "version")},
        **language(archive.language),
        "editors": [e.name for e in archive.editors],
        "date": [d.year, d.month, d.day, d.hour, d.minute, d.second],
        "page_size": archive.page_size,
        "introduction": typography.tree(markdown_tree(archive.introduction, {s.id for s in archive.sources},
                                                      marks="introduction")),
        "sources": [{"id": s.id, "title": describe.title(s.provenance), "file": s.file_name,
                     "sha256": s.sha256} for s in archive.sources],
        **apparatus_data(archive),
    }


def apparatus_data(archive: Archive) -> dict:
    """The register (glossary, index) and the How to cite lines, as the template reads them (issue 14)."""
    from .. import citation, register
    from .epub import cite_line
    return {
        "register": [{"id": e.id, "kind": e.kind, "name": e.name, "short": e.short, "description": e.description,
                      "evidence": e.evidence, "indexed": e.indexed} for e in register.ordered(archive.register)],
        "cite": cite_line(archive, None),
        "cites": {s.id: cite_line(archive, s) for s in archive.sources},
    }


def source_data(source: Source, notes: list[Anchored], ids: set[str], images: Path | None = None,
                register_ids: frozenset = frozenset(), made_images: list | None = None) -> dict:
    """A source as the JSON the template reads; its images (if any) written into the folder images
    (and their names added to made_images)."""
    doc = readers.read(source)
    names = []
    for k, image in enumerate(doc.images):
        names.append(f"images/{image_name(source.id, k, image)}")
        if images is not None:
            (images / image_name(source.id, k, image)).write_bytes(image.data)
    if made_images is not None:
        made_images.extend(names)
    ctx = describe.with_document(describe.source_context(source), doc)
    data = {
        "source": {**editorial_context(ctx), **{"lang_" + k: v for k, v in language(ctx["language"]).items()},
                   "has_language": bool(ctx["language"]), "short_title": typography.short_title(ctx["title"], 46),
                   "author_groups": author_groups(ctx["author_list"])},
        "format": source.format,
        "file": f"originals/{source.file_name}",
        "whole": [a.number for a in notes if a.whole],
        "endnotes": as_endnotes(source, notes),
        "direction": doc.direction,
    }
    data["notes"] = {str(a.number): note_data(a, ids, describe.page_of(doc.pages, a.start)) for a in notes}
    linked = links_of(source) if register_ids else []  # register links: no note, no number
    place = layout.Placement(doc, notes + [a for a in linked if a.note.entry in register_ids])
    data["links"] = {str(a.number): a.note.entry for a in linked}
    if doc.plain:  # paragraphs of lines of segments
        data["paragraphs"] = [[[_segment(seg, place.marked)
                                for seg in refs_at_word_end([seg for run in line for seg in place.segments(run)])]
                               for line in _lines(p)] for p in doc.blocks]
        # each line's direction (builder/bidi.py): only where it is not the document's
        data["line_dirs"] = line_directions(doc)
    else:
        tree = Tree(place, names)
        data["tree"] = headings([{**tree.block(b), "pb": f"{source.id}/b{k}"}
                                 for k, b in enumerate(doc.blocks)], shift=1)
    return data


# A source whose notes run longer than this many times its own text has them as endnotes, after
# its text, rather than footnotes: in footnotes they would leave a few lines of the source on each
# page (docs/pdf.md, "Footnotes or endnotes").
ENDNOTES_ABOVE = 1.0

# The editor's words in the provenance record (typographic quotes and dashes); never the source's.
EDITORIAL_FIELDS = ("summary", "rights", "date", "date_evidence", "origin", "publication", "received_how",
                    "condition", "authors")


def as_endnotes(source: Source, notes: list[Anchored]) -> bool:
    written = sum(len(a.note.body) for a in notes if not a.whole)
    return written > ENDNOTES_ABOVE * max(source.characters, 1)


def editorial_context(ctx: dict) -> dict:
    out = {**ctx, **{k: typography.editorial(ctx[k]) for k in EDITORIAL_FIELDS if isinstance(ctx.get(k), str)}}
    out["flaws"] = [typography.editorial(f) for f in ctx["flaws"]]
    return out


def author_groups(authors: list[dict]) -> list[dict]:
    """Authors in order, those in a row with the same certainty and evidence on one line: the
    provenance page says each fact once (four authors named in one line: one evidence)."""
    groups: list[dict] = []
    for a in authors:
        name = a["name"] if a["role"] == "author" else f"{a['name']} ({a['role']})"
        if groups and groups[-1]["same"] == (a["certainty"], a["evidence"]):
            groups[-1]["names"].append(name)
        else:
            groups.append({"names": [name], "certainty": a["certainty"], "same": (a["certainty"], a["evidence"]),
                           "evidence": typography.editorial(a["evidence"])})
    return [{k: v for k, v in g.items() if k != "same"} for g in groups]


def _lines(p: document.Paragraph) -> list[list[document.Text]]:
    """A plain-text paragraph's lines: its Text runs between hard line breaks."""
    lines: list[list[document.Text]] = [[]]
    for n in p.inlines:
        if isinstance(n, document.LineBreak):
            lines.append([])
        else:
            lines[-1].append(n)
    return lines


def line_directions(doc: document.Document) -> dict[str, str]:
    """For a plain-text document, "paragraph/line" -> "rtl" or "ltr" for every line whose own
    direction (its first strong character, builder/bidi.py) is not the document's."""
    own = "rtl" if doc.direction == "rtl" else "ltr"
    out = {}
    for i, p in enumerate(doc.blocks):
        for k, line in enumerate(_lines(p)):
            d = bidi.line_direction("".join(t.text for t in line), own)
            if d != own:
                out[f"{i}/{k}"] = d
    return out


def refs_at_word_end(line) -> list[layout.Segment]:
    """The line's segments with each note marker moved past the rest of its word (letters and
    punctuation, up to the next white space or the line's end): "Berger's¹", "2016,²", never
    "Berger¹'s". A marker is drawn as shapes, not text (templates/pdf/marker-glyphs.typ), and the gap
    it leaves inside a word would read as a space to every extractor; at a word's end it does not."""
    out = list(line)
    k = 0
    while k < len(out) - 1:
        seg, nxt = out[k], out[k + 1]
        if seg.refs and nxt.text[:1] and not nxt.text[0].isspace():
            cut = next((i for i, ch in enumerate(nxt.text) if ch.isspace()), len(nxt.text))
            out[k] = replace(seg, refs=())
            if cut == len(nxt.text):
                out[k + 1] = replace(nxt, refs=seg.refs + nxt.refs)
            else:
                out[k + 1:k + 2] = [replace(nxt, text=nxt.text[:cut], refs=seg.refs),
                                    replace(nxt, text=nxt.text[cut:], starts=(), breaks=(), at=nxt.at + cut)]
        k += 1
    return out


def _segment(seg: layout.Segment, marked: bool = True) -> str | dict:
    text = characters.shown(seg.text, seg.at) if marked else seg.text  # a character to mark: its marker
    if not seg.marks and not seg.refs:
        return text
    out = {"s": text, "m": [n for n in seg.marks if n > 0], "r": list(seg.refs)}
    if any(n < 0 for n in seg.marks):  # a register link: the passage links to its glossary entry
        n = next(n for n in seg.marks if n < 0)
        out["l"], out["l0"] = str(n), n in seg.starts  # l0: where it begins, the index's page
    return out


class Tree:
    """A document's blocks as the JSON tree the template walks (strings are text; a segment with
    notes is {"s", "m", "r"}; other nodes {"t": kind, "c": [children], ...})."""

    def __init__(self, place: layout.Placement, images=()):
        self.place = place
        self.images = list(images)  # paths of the document's images in the build folder, by index

    def block(self, b) -> dict:
        d = document
        if isinstance(b, d.Paragraph):
            return {"t": "p", "c": self.inlines(b.inlines)}
        if isinstance(b, d.Heading):
            return {"t": "h", "l": b.level, "c": self.inlines(b.inlines)}
        if isinstance(b, d.ListBlock):
            node = {"t": "ol" if b.ordered else "ul", "c": [{"t": "li", "c": self.item(i)} for i in b.items]}
            if b.ordered:
                node["start"] = b.start
            return node
        if isinstance(b, d.Quote):
            return {"t": "quote", "c": [self.block(x) for x in b.blocks]}
        if isinstance(b, d.Preformatted):
            return {"t": "pre", "v": characters.shown(b.text, b.start)}
        if isinstance(b, d.Table):
            if not b.head and not b.body:
                return {"t": "span", "c": []}
            return {"t": "table", "head": [[self.inlines(c) for c in row] for row in b.head],
                    "body": [[self.inlines(c) for c in row] for row in b.body], "align": list(b.align)}
        if isinstance(b, d.ThematicBreak):
            return {"t": "hr"}
        if isinstance(b, d.Fields):
            return {"t": "fields", "c": [{"t": "field", "name": f.name, "c": self.inlines(f.inlines)}
                                         for f in b.fields]}
        if isinstance(b, d.Figure):
            return {"t": "figure", "src": self.images[b.image], "alt": b.alt, "c": self.inlines(b.caption)}
        if isinstance(b, d.PageBoundary):
            return {"t": "page-of-original", "page": b.page, "label": b.label or str(b.page)}
        raise TypeError(f"no PDF node for {type(b).__name__}")

    def item(self, blocks) -> list:
        if len(blocks) == 1 and isinstance(blocks[0], document.Paragraph):  # a tight list
            return self.inlines(blocks[0].inlines)
        return [self.block(x) for x in blocks]

    def inlines(self, nodes) -> list:
        out: list = []
        for n in nodes:
            out.extend(self.inline(n))
        return out

    def inline(self, n) -> list:
        d = document
        if isinstance(n, d.Text):
            return [_segment(seg, self.place.marked) for seg in refs_at_word_end(self.place.segments(n))]
        if isinstance(n, d.LineBreak):
            return [{"t": "br"}] if n.hard else [" "]
        if isinstance(n, d.Code):
            return [{"t": "code", "v": characters.shown(n.text, n.start)}]
        if isinstance(n, d.Emphasis):
            return [{"t": "em", "c": self.inlines(n.children)}]
        if isinstance(n, d.Strong):
            return [{"t": "strong", "c": self.inlines(n.children)}]
        if isinstance(n, d.Link):
            return [{"t": "a", "href": n.href, "c": self.inlines(n.children)}]
        if isinstance(n, d.Span):
            return [{"t": "span", "c": self.inlines(n.children)}]
        raise TypeError(f"no PDF node for {type(n).__name__}")


def note_data(a: Anchored, ids: set[str], page: int | None = None) -> dict:
    data = {"number": a.number, "kind": a.note.kind, "whole": a.whole, "id": a.note.id,
            "lemma": describe.lemma(a.note.selector.exact),
            "body": typography.tree(markdown_tree(a.note.body, ids, shift=None))}
    if page is not None:  # the page of the original the passage stands on (a PDF, a scan)
        data["page"] = page
    return data


# ---------------------------------------------------------------- Markdown and HTML as a JSON tree
# Nodes: a string is text; otherwise {"t": kind, "c": [children], ...}. The template walks it.

def markdown_tree(text: str, ids: set[str], shift: int = 0, marks: str | None = None) -> list:
    """Markdown as a tree; heading levels shifted by shift and made consecutive (PDF/UA asks it).
    With marks, top-level block k carries the page-map id "<marks>/b<k>" (as in the EPUB)."""
    root = SyntaxTreeNode(templating._markdown().parse(text))
    blocks: list = []
    for k, node in enumerate(root.children):
        out = _blocks([node], ids)
        if marks is not None and out and isinstance(out[0], dict):
            out[0] = {**out[0], "pb": f"{marks}/b{k}"}
        blocks += out
    return headings(blocks, shift)


def headings(tree: list, shift: int | None, above: int = 1) -> list:
    """Heading levels under a level-`above` heading, none skipped; shift None: no headings at all."""
    out = []
    for n in tree:
        if isinstance(n, dict) and n["t"] == "h":
            if shift is None:
                n = {"t": "p", "c": [{"t": "strong", "c": n["c"]}]}
            else:
                level = min(n["l"] + shift, above + 1, 6)
                n, above = {**n, "l": level}, level
        out.append(n)
    return out


def _blocks(nodes, ids) -> list:
    out = []
    for n in nodes:
        t = n.type
        if t == "paragraph":
            inline = _inlines(n.children, ids)
            if n.hidden:  # a tight list's paragraph: no paragraph of its own
                out.extend(inline)
            else:
                out.append({"t": "p", "c": inline})
        elif t == "heading":
            out.append({"t": "h", "l": int(n.tag[1]), "c": _inlines(n.children, ids)})
        elif t in ("bullet_list", "ordered_list"):
            item = {"t": "ul" if t == "bullet_list" else "ol",
                    "c": [{"t": "li", "c": _blocks(li.children, ids)} for li in n.children]}
            if t == "ordered_list":
                item["start"] = int(n.attrs.get("start", 1))
            out.append(item)
        elif t == "blockquote":
            out.append({"t": "quote", "c": _blocks(n.children, ids)})
        elif t in ("fence", "code_block"):
            out.append({"t": "pre", "v": n.content.rstrip("\n")})
        elif t == "hr":
            out.append({"t": "hr"})
        elif t == "table":
            out.append(_table(n, ids))
        elif t == "html_block":
            out.append({"t": "p", "c": [n.content]})
        elif n.children:
            out.extend(_blocks(n.children, ids))
    return out


def _table(node, ids) -> dict:
    head, body, align = [], [], []
    for part in node.children:
        for tr in part.children:
            cells = [_inlines(td.children[0].children if td.children else [], ids) for td in tr.children]
            if part.type == "thead":
                head.append(cells)
                align = [_align(td.attrs.get("style", "")) for td in tr.children]
            else:
                body.append(cells)
    return {"t": "table", "head": head, "body": body, "align": align}


def _align(style: str) -> str:
    return {"text-align:right": "right", "text-align:center": "center"}.get(style.replace(" ", ""), "left")


def _inlines(nodes, ids) -> list:
    out: list = []
    for n in nodes:
        t = n.type
        if t == "inline":
            out.extend(_inlines(n.children, ids))
        elif t == "text":
            out.append(n.content)
        elif t == "softbreak":
            out.append(" ")
        elif t == "hardbreak":
            out.append({"t": "br"})
        elif t in ("em", "strong"):
            out.append({"t": t, "c": _inlines(n.children, ids)})
        elif t == "code_inline":
            out.append({"t": "code", "v": n.content})
        elif t == "link":
            out.append(_link(str(n.attrs.get("href", "")), _inlines(n.children, ids), ids))
        elif t == "image":
            alt = _inlines(n.children, ids) or [str(n.attrs.get("alt", ""))]
            out.append(links.pdf_image(str(n.attrs.get("src", "")), alt))
        elif t in ("html_inline", "html_block"):
            out.append(n.content)
        elif n.children:
            out.extend(_inlines(n.children, ids))
        elif n.content:
            out.append(n.content)
    return out


def _link(href: str, children: list, ids: set[str]) -> dict:
    if href.startswith("#register:"):  # a reference to the register: its words, marked for the index
        return {"t": "reg", "id": href[len("#register:"):], "c": children}
    if href.startswith("#") and href[1:] in ids:
        return {"t": "a", "ref": f"src-{href[1:]}", "c": children}
    if href.split(":", 1)[0].lower() in ("http", "https", "mailto"):
        return {"t": "a", "href": href, "c": children}
    return {"t": "span", "c": children}
