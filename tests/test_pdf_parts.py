"""The PDF edition in parts (builder/writers/pdf_parts.py, builder/pdf_join.py): a book made of
several Typst compiles joined with pikepdf is the same book as one compile of the same corpus
(issue 10). Corpora small enough for both: the default archive forced into several parts (a
tiny part size), and a synthetic one of 30 sources. Checked with pikepdf, qpdf, poppler
(pdftotext per page, pdftoppm) and `archive check`."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from builder import cache, validators
from builder.build import build
from builder.check import check as run_check
from builder.verify_pdf import outline
from builder.writers import pdf_parts

from conftest import CORPUS, all_ran, need, tool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import synthetic  # noqa: E402


def make(corpus: Path, out: Path, part_pages: float, monkeypatch, workers: int = 1) -> Path:
    monkeypatch.setattr(pdf_parts, "PART_PAGES", part_pages)
    monkeypatch.setattr(pdf_parts, "WORKERS", workers)
    built = build(corpus, out, ("pdf",))
    return built.editions["pdf"]


@pytest.fixture(scope="module")
def default_pair(tmp_path_factory):
    """The default archive as one compile and in parts (5 sources: 3 runs of sources)."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("pair")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    try:
        one = make(corpus, tmp / "one", 100000, mp)
        runs = []
        mp.setattr(pdf_parts, "plan", _spy(pdf_parts.plan, runs))
        parts = make(corpus, tmp / "parts", 12, mp)
    finally:
        mp.undo()
    return one, parts, corpus, runs


def _spy(plan, seen):
    def spied(archive, **kw):
        runs = plan(archive, **kw)
        seen.append(runs)
        return runs
    return spied


@pytest.fixture(scope="module")
def synthetic_pair(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("synthetic")
    corpus = synthetic.make(tmp / "corpus", 30)
    try:
        one = make(corpus, tmp / "one", 100000, mp)
        parts = make(corpus, tmp / "parts", 40, mp)
    finally:
        mp.undo()
    return one, parts, corpus


def page_texts(path: Path) -> list[str]:
    out = subprocess.run([tool("pdftotext"), "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    return out.split("\f")[:-1]


def facts(path: Path) -> dict:
    """What a reader gets from a PDF, whatever made it."""
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        with pdf.open_outline() as o:
            def walk(items, depth=0):
                out = []
                for item in items:
                    dest = item.destination
                    page = None
                    if isinstance(dest, pikepdf.Array):
                        page = next((i for i, p in enumerate(pdf.pages) if p.obj.objgen == dest[0].objgen), None)
                    out.append((depth, str(item.title), page))
                    out += walk(item.children, depth + 1)
                return out
            bookmarks = walk(o.root)
        return {
            "pages": len(pdf.pages),
            "labels": [str(p.label) for p in pdf.pages],
            "outline": bookmarks,
            "attachments": {name: hashlib.sha256(spec.get_file().read_bytes()).hexdigest()
                            for name, spec in pdf.attachments.items()},
            "attached_as": {name: (str(spec.obj.get("/Desc")), str(spec.obj.UF),
                                   str(spec.obj.EF.F.get("/Subtype")), str(spec.obj.EF.F.get("/Type")),
                                   str(spec.obj.EF.F.Params.get("/ModDate")), int(spec.obj.EF.F.Params.Size))
                            for name, spec in pdf.attachments.items()},  # the join's as Typst's (the notes)
            "relationships": sorted((str(spec.get("/F")), str(spec.get("/AFRelationship"))) for spec in pdf.Root.AF),
            "claims": (meta.get("{http://www.aiim.org/pdfa/ns/id/}part"),
                       meta.get("{http://www.aiim.org/pdfa/ns/id/}conformance"),
                       meta.get("{http://www.aiim.org/pdfua/ns/id/}part")),
            "npages_xmp": meta.get("{http://ns.adobe.com/xap/1.0/t/pg/}NPages"),
            "lang": str(pdf.Root.Lang),
            "marked": bool(pdf.Root.MarkInfo.Marked),
            "intents": len(pdf.Root.OutputIntents),
        }


def links(path: Path) -> list[tuple[int, int, str]]:
    """Every internal link: (page it is on, page it leads to, its description), in page order."""
    with pikepdf.open(path) as pdf:
        index = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
        names = {}
        if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
            names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
        found = []
        for i, page in enumerate(pdf.pages):
            for annot in page.obj.get("/Annots", []):
                dest = annot.get("/Dest")
                if dest is None:
                    action = annot.get("/A")
                    assert action is None or str(action.get("/S")) == "/URI", annot
                    if action is not None:
                        assert "part.invalid" not in str(action.URI)  # every placeholder resolved
                    continue
                if not isinstance(dest, pikepdf.Array):
                    dest = names[str(dest)]
                    dest = dest.get("/D", dest) if isinstance(dest, pikepdf.Dictionary) else dest
                found.append((i, index[dest[0].objgen], str(annot.get("/Contents", ""))))
        return found


def structure_holds(path: Path) -> None:
    """One Document element; every page's /StructParents and every annotation's /StructParent
    in the /ParentTree; every element that names a page names a page of the book; ids unique."""
    with pikepdf.open(path) as pdf:
        tree = pdf.Root.StructTreeRoot
        k = tree.K
        docs = list(k) if isinstance(k, pikepdf.Array) else [k]
        assert [str(d.S) for d in docs] == ["/Document"]
        parents = dict(pikepdf.NumberTree(tree.ParentTree).items())
        assert int(tree.ParentTreeNextKey) == max(parents) + 1
        pages = {p.obj.objgen for p in pdf.pages}
        seen = set()
        for p in pdf.pages:
            if "/StructParents" in p.obj:
                key = int(p.obj.StructParents)
                assert key in parents and key not in seen
                seen.add(key)
                for element in parents[key]:
                    if isinstance(element, pikepdf.Dictionary):
                        assert element.get("/Pg") is None or element.Pg.objgen in pages
            for annot in p.obj.get("/Annots", []):
                key = int(annot.StructParent)
                assert key in parents and key not in seen
                seen.add(key)
        assert seen == set(parents)  # nothing dangles
        stack, ids, headers, count = list(docs), [], [], 0
        while stack:
            e = stack.pop()
            if not isinstance(e, pikepdf.Dictionary) or e.get("/Type") not in ("/StructElem", None):
                continue
            count += 1
            if "/Pg" in e:
                assert e.Pg.objgen in pages
            if "/ID" in e:
                ids.append(str(e.ID))
            attrs = e.get("/A")
            for a in list(attrs) if isinstance(attrs, pikepdf.Array) else [attrs] if attrs is not None else []:
                if isinstance(a, pikepdf.Dictionary) and "/Headers" in a:
                    headers.extend(str(h) for h in a.Headers)
            kids = e.get("/K")
            stack += list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        assert len(ids) == len(set(ids))
        assert set(headers) <= set(ids) and set(ids) == set(pikepdf.NameTree(tree.IDTree).keys())  # cells name their headers
        return count


def test_the_default_archive_is_laid_out_in_several_parts(default_pair):
    *_, runs = default_pair
    assert runs and runs[-1] is not None and len(runs[-1]) >= 3


def test_parts_and_one_compile_give_the_same_book(default_pair, synthetic_pair):
    for one, parts, *_ in (default_pair, synthetic_pair):
        assert page_texts(parts) == page_texts(one)  # every page's text, page by page
        assert facts(parts) == facts(one)


def test_parts_look_the_same_page_by_page(default_pair, tmp_path):
    one, parts, *_ = default_pair
    for name, path in (("one", one), ("parts", parts)):
        (tmp_path / name).mkdir()
        subprocess.run([tool("pdftoppm"), "-r", "30", "-gray", str(path), str(tmp_path / name / "p")], check=True,
                       capture_output=True)
    a, b = sorted((tmp_path / "one").iterdir()), sorted((tmp_path / "parts").iterdir())
    assert len(a) == len(b) > 40
    assert [x.read_bytes() for x in a] == [y.read_bytes() for y in b]


def test_links_lead_to_the_same_pages(default_pair, synthetic_pair):
    for one, parts, *_ in (default_pair, synthetic_pair):
        a, b = links(one), links(parts)
        assert [(x, y) for x, y, _ in a] == [(x, y) for x, y, _ in b]
        assert len(a) > 20


def test_one_structure_tree_with_every_page_tagged(default_pair, synthetic_pair):
    for one, parts, *_ in (default_pair, synthetic_pair):
        assert structure_holds(parts) == structure_holds(one)


def test_the_joined_book_is_clean_and_passes_archive_check(default_pair):
    one, parts, corpus, _ = default_pair
    assert need(validators.qpdf_check, parts) == []
    report = all_ran(run_check([parts], corpus))
    assert report.exit_code == 0, report.text()


def test_the_check_sees_a_link_left_as_a_placeholder(default_pair, tmp_path):
    """The link test is not vacuous: a placeholder left in the book is caught."""
    _, parts, *_ = default_pair
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(parts) as pdf:
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                if "/Dest" in annot:
                    del annot["/Dest"]
                    annot.A = pikepdf.Dictionary(S=pikepdf.Name.URI, URI="https://part.invalid/src-x")
                    break
            else:
                continue
            break
        pdf.save(broken)
    with pytest.raises(AssertionError):
        links(broken)


def test_the_structure_check_sees_a_dangling_page(default_pair, tmp_path):
    _, parts, *_ = default_pair
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(parts) as pdf:
        page = next(p for p in pdf.pages if "/StructParents" in p.obj)
        page.obj.StructParents = 999999
        pdf.save(broken)
    with pytest.raises(AssertionError):
        structure_holds(broken)


def test_one_process_and_two_give_the_same_bytes(tmp_path, monkeypatch):
    corpus = synthetic.make(tmp_path / "corpus", 12)
    cache.configure(use=False)
    try:
        serial = make(corpus, tmp_path / "serial", 12, monkeypatch, workers=1).read_bytes()
        parallel = make(corpus, tmp_path / "parallel", 12, monkeypatch, workers=2).read_bytes()
    finally:
        cache.configure(use=True)
    assert serial == parallel


def test_the_join_writes_parts_in_worker_processes_and_the_same_bytes(tmp_path, monkeypatch):
    """The join writes the parts' objects in worker processes (builder/parallel.py Map), each part
    at the numbers the parts before it give: the bytes of a join done in the build's process."""
    import os

    from builder import parallel, pdf_stream_join
    from builder.writers import pdf_ahead
    monkeypatch.setattr(pdf_ahead.Ahead, "wanted", staticmethod(lambda: False))  # every part at the join
    corpus = synthetic.make(tmp_path / "corpus", 12)
    where = tmp_path / "pids"
    real = pdf_stream_join._part

    def spied(piece, k, *rest):
        with open(where, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real(piece, k, *rest)
    monkeypatch.setattr(pdf_stream_join, "_part", spied)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    cache.configure(use=False)
    try:
        apart = make(corpus, tmp_path / "apart", 12, monkeypatch).read_bytes()
        pids = where.read_text().split()
        where.unlink()
        monkeypatch.setattr(parallel, "enabled", False)
        here = make(corpus, tmp_path / "here", 12, monkeypatch).read_bytes()
    finally:
        cache.configure(use=True)
    assert len(pids) >= 4 and str(os.getpid()) not in pids  # every part written by a worker
    assert set(where.read_text().split()) == {str(os.getpid())}
    assert apart == here


def test_source_parts_are_written_for_the_join_while_the_next_are_laid_out(tmp_path, monkeypatch):
    """Each source part's objects are written by a worker while the parts after it are laid out
    (builder/writers/pdf_ahead.py), and the join takes them: the bytes of a join that writes every
    part itself. One written from other bytes, or with other values of the book, is written again."""
    from builder import parallel
    from builder.writers import pdf_ahead
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    monkeypatch.setattr(pdf_ahead, "WAIT", 600.0)  # (a build takes what is written when the join begins)
    corpus = synthetic.make(tmp_path / "corpus", 12)
    taken = []
    real = pdf_ahead.Taken.take

    def take(self, k, sha, off, next_key, book):
        made, log = real(self, k, sha, off, next_key, book)
        taken.append((k, made is not None))
        return made, log
    monkeypatch.setattr(pdf_ahead.Taken, "take", take)
    cache.configure(use=False)
    try:
        ahead = make(corpus, tmp_path / "ahead", 12, monkeypatch).read_bytes()
        bodies = len(taken)
        assert bodies >= 3 and all(ok for _, ok in taken)  # every source part taken as written ahead
        assert sorted(k for k, _ in taken) == list(range(1, bodies + 1))  # not the front or back matter
        taken.clear()
        real_write = pdf_ahead._write  # a part written from other bytes than the join's: written again
        monkeypatch.setattr(pdf_ahead.Taken, "usable", lambda self, *a: False)
        monkeypatch.setattr(pdf_ahead.Taken, "take", lambda self, *a: (None, None))
        again = make(corpus, tmp_path / "again", 12, monkeypatch).read_bytes()
        monkeypatch.setattr(pdf_ahead.Ahead, "wanted", staticmethod(lambda: False))
        at_join = make(corpus, tmp_path / "join", 12, monkeypatch).read_bytes()
    finally:
        cache.configure(use=True)
    assert real_write is pdf_ahead._write
    assert ahead == again == at_join
    with pikepdf.open(tmp_path / "ahead" / next((tmp_path / "ahead").glob("*.pdf")).name) as pdf:
        with pdf.open_outline() as outline:
            assert len(outline.root) > bodies  # one outline across the parts: /Prev and /Next joined
            titles = [item.title for item in outline.root]
    chain = subprocess.run([tool("qpdf"), "--check", str(next((tmp_path / "ahead").glob("*.pdf")))],
                           capture_output=True, text=True)
    assert chain.returncode == 0, chain.stdout + chain.stderr
    assert len(set(titles)) == len(titles)


def test_a_failure_after_the_lay_out_ends_the_worker_writing_ahead(tmp_path, monkeypatch):
    """A build that fails between the lay-out and the join leaves no worker of pdf_ahead running."""
    from builder import parallel
    from builder.writers import pdf_ahead
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    corpus = synthetic.make(tmp_path / "corpus", 12)
    pools = []
    real_pool = pdf_ahead.Ahead._pool

    def pool(self):
        made = real_pool(self)
        pools.append(self)
        return made
    monkeypatch.setattr(pdf_ahead.Ahead, "_pool", pool)

    def fails(*a, **kw):
        raise RuntimeError("a failure after the lay-out")
    monkeypatch.setattr(pdf_parts, "begin_match", fails)
    cache.configure(use=False)
    try:
        with pytest.raises(Exception, match="a failure after the lay-out"):
            make(corpus, tmp_path / "out", 12, monkeypatch)
    finally:
        cache.configure(use=True)
    assert pools and all(ahead.pool is None for ahead in pools)  # started, and ended


def test_a_part_written_ahead_is_taken_only_as_it_was_written(tmp_path):
    """pdf_ahead.Taken: a part is taken only from the same bytes, at the same numbers, with the
    same values of the book it looked up; its file is removed once looked at."""
    from builder.pdf_stream_join import _Made, pack
    from builder.writers import pdf_ahead
    blob = tmp_path / "part-1.blob"

    def taken():
        log = [["where", "reg-x", [12, 1.0, 2.0, "3"]]]
        blob.write_bytes(pack(_Made(b"1 0 obj\nnull\nendobj\n", [(8, 0)], {"next_key": 0}), log))
        return pdf_ahead.Taken({1: pdf_ahead.Written("abc", 7, 0, log, str(blob))})
    book = {"where": {"reg-x": (12, 1.0, 2.0, "3")}, "prev": {}, "next": {}, "npages": 9, "licence": None}
    assert taken().usable(1, "abc", 7, 0, book)
    made, log = taken().take(1, "abc", 7, 0, book)
    assert isinstance(made, _Made) and made.blob == b"1 0 obj\nnull\nendobj\n" and not blob.exists()
    assert made.at == [(8, 0)] and made.joins == {"next_key": 0}
    for args in [(1, "abd", 7, 0, book), (1, "abc", 8, 0, book), (1, "abc", 7, 1, book), (2, "abc", 7, 0, book),
                 (1, "abc", 7, 0, {**book, "where": {"reg-x": (13, 1.0, 2.0, "3")}})]:
        t = taken()
        assert not t.usable(*args) and t.take(*args) == (None, None)


def test_sources_are_written_ahead_in_order_and_each_once(tmp_path, monkeypatch):
    """The sources of the parts to be compiled are written by a thread while parts are laid out
    (pdf_parts.SourceFiles.write_ahead), a part's sources in one file (run_file); write() gives each
    source whole, whoever writes it, and each run once; beyond HELD bytes the sources wait in one
    spill file, and come out of it whole."""
    monkeypatch.setattr(pdf_parts.SourceFiles, "HELD", 150_000)  # the last runs' sources spilled
    files = pdf_parts.SourceFiles(tmp_path)
    (tmp_path / "sources").mkdir()
    (tmp_path / "originals").mkdir()
    runs = [[f"s{k}{j}" for j in range(3)] for k in range(4)]
    staged = {}
    for run in runs:
        for sid in run:
            original = tmp_path / f"{sid}.txt"
            original.write_text(sid)
            staged[sid] = json.dumps({"id": sid, "text": sid * 10000}).encode()
            files.add(sid, staged[sid], (original, tmp_path / "originals" / f"{sid}.txt"))
    assert files.spilled and files.pending  # some held, some spilled
    files.write_ahead(runs[1:])
    files.write(runs[0])
    files.write(runs[3])
    for run in (runs[0], runs[3]):
        written = json.loads((tmp_path / files.run_file(run)).read_bytes())
        assert list(written) == run and all(json.dumps(written[sid]).encode() == staged[sid] for sid in run)
        for sid in run:
            assert (tmp_path / "originals" / f"{sid}.txt").read_text() == sid
    files.ahead.join()  # (stop() would stop it where it is: what is not written stays pending)
    files.stop()
    assert files.ahead is None and not files.pending and not files.spilled and not files.originals and files.held == 0
    assert sorted(p.name for p in (tmp_path / "sources").glob("*.run.json")) == sorted(
        Path(files.run_file(run)).name for run in runs)
    files.write(runs[2])  # written once
    assert files.digest("s21") == hashlib.sha256(staged["s21"]).hexdigest()


def test_a_part_whose_pages_are_not_what_its_numbers_give_stops_the_build(tmp_path, monkeypatch):
    """A source part's page count is taken from its page numbers so that the next part is laid out at
    once; its PDF, read meanwhile (Book._read_facts), must have that many pages, else the build stops."""
    corpus = synthetic.make(tmp_path / "corpus", 12)
    real = pdf_parts.Book._read_facts
    told = []

    def miscounted(self, part, key, meta, out, pages=None):
        told.append(pages)
        return real(self, part, key, meta, out, pages + 1 if pages is not None and len(told) == 2 else pages)
    monkeypatch.setattr(pdf_parts.Book, "_read_facts", miscounted)
    cache.configure(use=False)
    try:
        with pytest.raises(Exception, match=r"part \d+ of the PDF edition has \d+ pages, not the \d+ its page numbers give"):
            make(corpus, tmp_path / "out", 12, monkeypatch)
    finally:
        cache.configure(use=True)
    assert sum(1 for pages in told if pages is not None) >= 2  # several source parts, each checked
    assert not list((tmp_path / "out").glob("*.pdf"))


# ---------------------------------------------------------------- incremental: parts from the cache

def edits(corpus: Path):
    """Each kind of input changed in turn (name, how)."""
    def note():
        path = corpus / "sources" / "butler-letter-to-jlm.notes.toml"
        path.write_text(path.read_text(encoding="utf-8").replace("The letter also calls it", "The letter also names it"),
                        encoding="utf-8")

    def introduction():
        path = corpus / "introduction.md"
        path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence of the introduction.\n", encoding="utf-8")

    def register():
        path = corpus / "register.toml"
        path.write_text(path.read_text(encoding="utf-8").replace("founded in 1760.", "founded in 1760 in London."),
                        encoding="utf-8")

    def source():
        synthetic.make(tmp := corpus.parent / "more", 1)
        sid = "s00000"
        for suffix in (".txt", ".toml"):
            shutil.copyfile(tmp / "sources" / f"{sid}{suffix}", corpus / "sources" / f"added{suffix}")
        toml = corpus / "sources" / "added.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace(f"{sid}.txt", "added.txt"), encoding="utf-8")
        path = corpus / "archive.toml"
        path.write_text(path.read_text(encoding="utf-8").replace('  "joint-statement-jlm-training",\n',
                                                                 '  "joint-statement-jlm-training",\n  "added",\n'),
                        encoding="utf-8")
    return [("a note", note), ("the introduction", introduction), ("a register entry", register),
            ("a source added", source)]


def _count_compiles(monkeypatch) -> list[str]:
    """The parts compiled from now on (their part files' names), in order."""
    made: list[str] = []
    real = pdf_parts.run_jobs

    def counted(jobs, *rest, **kw):
        made.extend(Path(job["part_file"]).stem for job in jobs if job["output"])
        return real(jobs, *rest, **kw)
    monkeypatch.setattr(pdf_parts, "run_jobs", counted)
    return made


def test_parts_from_the_cache_give_the_bytes_of_a_full_build(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    made = _count_compiles(monkeypatch)
    cached = tmp_path / "cached"
    make(corpus, cached, 12, monkeypatch)
    first = list(made)
    assert len(first) >= 5  # front, three runs of sources, back
    made.clear()
    make(corpus, cached, 12, monkeypatch)  # nothing changed: nothing made again
    assert made == []
    for k, (what, edit) in enumerate(edits(corpus)):
        edit()
        made.clear()
        again = make(corpus, cached, 12, monkeypatch).read_bytes()
        remade = list(made)
        cache.configure(use=False)
        try:
            full = make(corpus, tmp_path / f"full-{k}", 12, monkeypatch).read_bytes()
        finally:
            cache.configure(use=True)
        assert again == full, what
        assert remade and len(remade) < len(made) + len(first), what
        if what == "a note":  # its source's part alone: the notes' JSON-LD is attached at the join
            back = max(first, key=lambda name: int(name.split("-")[1]))
            assert len(remade) == 1 and remade[0] not in ("part-0", back), remade
            with pikepdf.open(io.BytesIO(again)) as pdf:
                assert b"The letter also names it" in pdf.attachments["annotations.jsonld"].get_file().read_bytes()


def test_an_editorial_image_changed_under_its_name_is_laid_out_again(tmp_path, monkeypatch):
    """An editorial image is read by every part's compile: its bytes are in every part's key."""
    from test_hostile_content import png
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "images").mkdir()
    (corpus / "images" / "plan.png").write_bytes(png(2, 2))
    intro = corpus / "introduction.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "\n![A plan of the archive](images/plan.png)\n",
                     encoding="utf-8")
    cached = tmp_path / "cached"
    first = make(corpus, cached, 12, monkeypatch).read_bytes()
    (corpus / "images" / "plan.png").write_bytes(png(3, 3))
    again = make(corpus, cached, 12, monkeypatch).read_bytes()
    cache.configure(use=False)
    try:
        full = make(corpus, tmp_path / "full", 12, monkeypatch).read_bytes()
    finally:
        cache.configure(use=True)
    assert again == full and again != first


@pytest.mark.parametrize("target", ["javascript:app.alert(1)", "file:///etc/passwd"])
def test_an_unsafe_link_in_a_part_is_refused(tmp_path, monkeypatch, target):
    """In parts, the active-content scan reads each part (builder/inert.py pdf_active, parts) and the
    book's catalog: a corpus template's unsafe link is refused as it is in one compile (T108)."""
    from builder.errors import CorpusError
    from test_hostile_content import EDITION_TYP, base_corpus, with_template
    root = base_corpus(tmp_path / "corpus")
    with_template(root, "pdf/edition.typ", EDITION_TYP + f'\n#link("{target}")[click]\n')
    runs = []
    monkeypatch.setattr(pdf_parts, "plan", _spy(pdf_parts.plan, runs))
    with pytest.raises(CorpusError) as e:
        make(root, tmp_path / "out", 0.1, monkeypatch)
    assert runs and runs[0] and len(runs[0]) > 1  # made in parts
    [problem] = e.value.problems
    assert (problem.code, problem.path) == ("T108", root / "templates" / "pdf") and target in problem.message


def test_a_corpus_template_that_reads_each_source_file_builds_in_parts(tmp_path, monkeypatch):
    """A corpus's own edition.typ written before a part's sources were one file (it reads
    sources/<id>.json, not P.run) still builds in parts: each source is staged in its own file as well."""
    from test_hostile_content import EDITION_TYP, base_corpus, with_template
    old = EDITION_TYP.replace('if RUN != none { RUN.at(entry.id) } else { json("sources/" + entry.id + ".json") }',
                              'json("sources/" + entry.id + ".json")')
    assert old != EDITION_TYP and "RUN.at" not in old
    root = base_corpus(tmp_path / "corpus")
    with_template(root, "pdf/edition.typ", old)
    runs = []
    monkeypatch.setattr(pdf_parts, "plan", _spy(pdf_parts.plan, runs))
    pdf = make(root, tmp_path / "out", 0.1, monkeypatch)
    assert runs and runs[0] and len(runs[0]) > 1  # made in parts
    with pikepdf.open(pdf) as book:
        assert len(book.attachments) >= len(runs[0])  # every original attached: every source shown


def _join_entries(out: Path) -> dict[str, tuple[Path, int, int]]:
    return cache.entries(out, "pdf-join-part")


def _replace_entry(out: Path, kind: str, k: str, data: bytes) -> None:
    """The entry of key k made another, whole (its SHA-256 right): appended to its pack, and the
    kind's index (a line an entry: key, pack, offset, length) pointed at it."""
    pack, _, _ = cache.entries(out, kind)[k]
    offset = pack.stat().st_size
    with pack.open("ab") as f:
        f.write(hashlib.sha256(data).digest() + data)
    index = pack.parent / "index"
    lines = [f"{k} {pack.name} {offset} {len(data)}" if line.split(" ")[0] == k else line
             for line in index.read_text(encoding="ascii").splitlines()]
    index.write_text("\n".join(lines) + "\n", encoding="ascii")


def test_a_part_whose_cache_entry_is_damaged_is_laid_out_again(tmp_path, monkeypatch):
    """The parts found in the cache are taken from it while the others are laid out (Book.make);
    one whose entry turns out damaged when it is read is laid out after all: the bytes of a full build."""
    corpus = synthetic.make(tmp_path / "corpus", 12)
    made = _count_compiles(monkeypatch)
    cached = tmp_path / "cached"
    first = make(corpus, cached, 12, monkeypatch).read_bytes()
    entries = cache.entries(cached, "pdf-part")
    assert len(entries) >= 5
    for pack, offset, length in entries.values():  # every part's PDF damaged in the cache
        data = bytearray(pack.read_bytes())
        data[offset + 32 + length // 2] ^= 0xFF
        pack.write_bytes(bytes(data))
    made.clear()
    assert make(corpus, cached, 12, monkeypatch).read_bytes() == first
    assert len(made) >= len(entries) - 1  # laid out again (the front matter's first lay-out is kept apart)


def test_the_join_writes_again_only_the_parts_that_changed(tmp_path, monkeypatch, capsys):
    """The join keeps each part's objects as written (builder/pdf_stream_join.py): after a note is
    edited, only its part's objects are written again, and the book is the bytes of a full build;
    a damaged entry is written again; so is one written with other values of the book than now
    (where a link leads, the outline's neighbours): its log of them is checked before it is used."""
    from builder import pdf_stream_join
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    cached = tmp_path / "cached"
    first = make(corpus, cached, 12, monkeypatch).read_bytes()
    entries = _join_entries(cached)
    assert len(entries) >= 5  # front, three runs of sources, back
    written: list[int] = []
    real = pdf_stream_join._part
    monkeypatch.setattr(pdf_stream_join, "_part", lambda piece, k, *rest: written.append(k) or real(piece, k, *rest))
    notes = corpus / "sources" / "butler-letter-to-jlm.notes.toml"
    before = notes.read_text(encoding="utf-8")
    edits(corpus)[0][1]()  # a note edited
    from builder import progress
    monkeypatch.setattr(progress, "verbose", True)
    edited = make(corpus, cached, 12, monkeypatch).read_bytes()
    monkeypatch.setattr(progress, "verbose", False)
    assert len(written) == 1 and edited != first
    assert f"PDF join: 1 of {len(entries)} parts' objects written again; {len(entries) - 1} from the cache" \
        in capsys.readouterr().err
    cache.configure(use=False)
    try:
        assert edited == make(corpus, tmp_path / "full", 12, monkeypatch).read_bytes()
    finally:
        cache.configure(use=True)

    for pack, offset, length in _join_entries(cached).values():  # damaged: its own SHA-256 no longer matches
        data = bytearray(pack.read_bytes())
        data[offset + 32 + length - 1] ^= 0xFF
        pack.write_bytes(bytes(data))
    notes.write_text(before, encoding="utf-8")  # the edit undone: the first book again
    written.clear()
    assert make(corpus, cached, 12, monkeypatch).read_bytes() == first
    assert sorted(written) == list(range(len(entries)))

    tampered = 0
    for k, (pack, offset, length) in _join_entries(cached).items():  # written, as far as its log says,
        raw = pack.read_bytes()[offset + 32:offset + 32 + length]   # with other values of the book
        size = int.from_bytes(raw[:8], "big")
        head = json.loads(raw[8:8 + size])
        if not head["log"]:
            continue
        head["log"] = [[what, name, "another value"] for what, name, _ in head["log"]]
        data = json.dumps(head).encode()
        _replace_entry(cached, "pdf-join-part", k, len(data).to_bytes(8, "big") + data + b"not what the join writes")
        tampered += 1
    assert tampered >= 3
    edits(corpus)[0][1]()
    written.clear()
    assert make(corpus, cached, 12, monkeypatch).read_bytes() == edited
    assert len(written) >= tampered


def test_a_book_in_parts_is_refused_only_when_the_disk_is_short(tmp_path, monkeypatch):
    from builder.errors import UsageError
    from builder.writers import pdf
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    monkeypatch.setattr(pdf, "free_disk", lambda path: 0)  # MiB
    with pytest.raises(UsageError) as e:
        make(corpus, tmp_path / "out", 12, monkeypatch)
    assert "P303" in str(e.value) and "disk" in str(e.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))
    monkeypatch.setattr(pdf, "free_disk", lambda path: 10**6)
    assert make(corpus, tmp_path / "out", 12, monkeypatch).is_file()


def test_memory_too_short_for_one_compile_makes_parts(tmp_path, monkeypatch):
    """Not a refusal any more (P302 was): the book is made in parts that fit."""
    from builder.writers import pdf
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    monkeypatch.setattr(pdf, "memory_needed", lambda archive: 10**6)  # MiB: one compile would not fit
    seen = []
    monkeypatch.setattr(pdf_parts, "plan", _spy(pdf_parts.plan, seen))
    assert make(corpus, tmp_path / "out", 100000, monkeypatch).is_file()
    assert seen[-1] is not None and len(seen[-1]) >= 2


def test_the_epub_follows_the_pages_of_a_book_in_parts(tmp_path, monkeypatch):
    """The EPUB's page-break markers and page-list come from the PDF's pages: a book in parts
    gives the same page map as one compile, so the same EPUB, byte for byte."""
    from conftest import epubcheck_problems
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    monkeypatch.setattr(pdf_parts, "WORKERS", 1)
    epubs = {}
    for name, size in (("one", 100000), ("parts", 12)):
        monkeypatch.setattr(pdf_parts, "PART_PAGES", size)
        epubs[name] = build(corpus, tmp_path / name).editions["epub"]
    assert epubs["parts"].read_bytes() == epubs["one"].read_bytes()
    assert b"page-list" in __import__("zipfile").ZipFile(epubs["parts"]).read("EPUB/nav.xhtml")
    assert need(epubcheck_problems, epubs["parts"]) == []


def test_the_pikepdf_join_gives_the_same_book(default_pair, tmp_path, monkeypatch):
    """The other join (builder/pdf_join.py: the book held in memory, object streams) reads the same."""
    one, parts, corpus, _ = default_pair
    monkeypatch.setattr(pdf_parts, "JOIN", "pikepdf")
    held = make(corpus, tmp_path / "held", 12, monkeypatch)
    assert held.read_bytes() != parts.read_bytes()
    assert page_texts(held) == page_texts(one) and facts(held) == facts(one)
    assert [(x, y) for x, y, _ in links(held)] == [(x, y) for x, y, _ in links(one)]
    assert structure_holds(held) == structure_holds(one)
    assert need(validators.qpdf_check, held) == []


def test_parts_are_counted_on_a_terminal_and_named_under_verbose(tmp_path, monkeypatch, capsys):
    from builder import progress
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    monkeypatch.setattr(progress, "shown", lambda: True)  # as on a terminal
    monkeypatch.setattr(progress, "verbose", True)
    make(corpus, tmp_path / "out", 12, monkeypatch)
    said = capsys.readouterr().err
    assert "archive: PDF parts laid out: 1/" in said and "PDF parts joined" in said
    assert "PDF: part 1 of" in said and "made again" in said and "from the cache" in said
    monkeypatch.setattr(progress, "shown", lambda: False)  # in a pipe: no counter
    monkeypatch.setattr(progress, "verbose", False)
    make(corpus, tmp_path / "out2", 12, monkeypatch)
    assert "parts laid out" not in capsys.readouterr().err


from test_every_kind import every_kind  # noqa: E402,F401  (the corpus of every kind of source, built once)


@pytest.mark.slow
def test_every_kind_of_source_one_part_each(every_kind, tmp_path, monkeypatch):
    """Emails and their attachments (links across parts), PDFs and scans (images), Markdown and
    HTML (trees), Big5 (CJK font): each source its own part, two processes: the same book."""
    root, _archive, built, _files = every_kind
    monkeypatch.setattr(pdf_parts, "PART_PAGES", 0.5)
    monkeypatch.setattr(pdf_parts, "WORKERS", 2)
    parts = build(root / "corpus", tmp_path / "parts").editions
    one = built.editions
    assert page_texts(parts["pdf"]) == page_texts(one["pdf"]) and facts(parts["pdf"]) == facts(one["pdf"])
    assert [(x, y) for x, y, _ in links(parts["pdf"])] == [(x, y) for x, y, _ in links(one["pdf"])]
    assert structure_holds(parts["pdf"]) == structure_holds(one["pdf"])
    assert parts["epub"].read_bytes() == one["epub"].read_bytes()
    assert all_ran(run_check([tmp_path / "parts"], root / "corpus")).exit_code == 0


def test_a_book_in_parts_is_the_same_bytes_whatever_the_process(tmp_path):
    """Two processes with other hash seeds join the same parts into the same bytes (the join
    wrote a dictionary's keys in the order of a Python set, so that a rebuild in another process
    differed from the full build: found by `./run bench incremental`)."""
    corpus = synthetic.make(tmp_path / "corpus", 12)
    script = ("import sys; from pathlib import Path; from builder import cache; from builder.build import build; "
              "from builder.writers import pdf_parts; pdf_parts.PART_PAGES = 12; cache.configure(use=False); "
              "build(Path(sys.argv[1]), Path(sys.argv[2]), ('pdf',))")
    made = []
    for seed in ("1", "977"):
        out = tmp_path / f"out-{seed}"
        env = {**__import__("os").environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", script, str(corpus), str(out)], check=True, env=env,
                       cwd=Path(__file__).resolve().parent.parent, timeout=600)
        made.append(next(out.glob("*.pdf")).read_bytes())
    with pikepdf.open(tmp_path / "out-1" / next((tmp_path / "out-1").glob("*.pdf")).name) as pdf:
        assert len(pdf.pages) > 24  # several parts were joined
    assert made[0] == made[1]


def test_an_object_written_as_qpdf_unparses_it_has_its_references_renumbered_and_its_strings_kept():
    """The join's quick way (pdf_stream_join._renumbered): every reference made the book's, the
    part's Document element by its alias; nothing inside a string, however it reads, is touched."""
    import pikepdf

    from builder.pdf_stream_join import _renumbered
    pdf = pikepdf.new()
    target, doc = pdf.make_indirect(pikepdf.Dictionary(A=1)), pdf.make_indirect(pikepdf.Dictionary(B=2))
    obj = pdf.make_indirect(pikepdf.Dictionary(
        K=pikepdf.Array([target, 7, pikepdf.Dictionary(P=doc)]), P=doc, Alt=pikepdf.String("see (12 0 R) \\ 3 0 R"),
        ActualText=pikepdf.String("x) 4 0 R ("), T=pikepdf.String("\u00e9 5 0 R")))
    body = _renumbered(obj.unparse(resolved=True), 100, {doc.objgen[0]: 4})
    t = target.objgen[0]
    for text in ("see (12 0 R) \\ 3 0 R", "x) 4 0 R (", "\u00e9 5 0 R"):  # each string as it was
        assert pikepdf.String(text).unparse() in body
    outside = re.sub(rb"\((?:[^()\\]|\\.)*\)|<[0-9a-fA-F]*>", b"", body)  # the strings taken out
    assert re.findall(rb"(\d+) 0 R", outside) == [b"%d" % (100 + t), b"4", b"4"]  # /K [target .. <</P doc>>], /P doc


def _matchings(monkeypatch) -> list:
    """Every verify_pdf.Matching made (the read-back's match of the sources), in order."""
    from builder import verify_pdf
    made = []
    real = verify_pdf.Matching.__init__

    def counted(self, *a, **kw):
        made.append(self)
        real(self, *a, **kw)
    monkeypatch.setattr(verify_pdf.Matching, "__init__", counted)
    return made


def test_the_match_begun_while_the_parts_are_joined_is_the_read_backs(tmp_path, monkeypatch):
    """A book in parts: the sources' match is begun before the join, in worker processes, from the
    parts' texts and outlines (pdf_parts.begin_match), and the read-back uses it: one match a
    build, the same findings and page starts (so the same EPUB page-list) as a match made after
    the join, the same bytes."""
    from builder import parallel, verify_pdf
    monkeypatch.setattr(parallel, "LEAST", 1)  # workers, even for five sources
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    cache.configure(use=False)
    backs = []
    real_read_back = verify_pdf.read_back
    monkeypatch.setattr(verify_pdf, "read_back", lambda *a, **kw: backs.append(real_read_back(*a, **kw)) or backs[-1])
    try:
        made = _matchings(monkeypatch)
        early = make(CORPUS, tmp_path / "early", 1.5, monkeypatch).read_bytes()
        assert len(made) == 1 and not verify_pdf.BEGUN
        monkeypatch.setattr(pdf_parts, "begin_match", lambda *a: None)  # matched after the join, as before
        made.clear()
        late = make(CORPUS, tmp_path / "late", 1.5, monkeypatch).read_bytes()
        assert len(made) == 1
    finally:
        cache.configure(use=True)
    assert early == late
    assert backs[0].findings == backs[1].findings == []
    assert backs[0].page_starts == backs[1].page_starts and backs[0].page_starts
    assert backs[0].pages == backs[1].pages


def test_a_match_begun_on_other_spans_than_the_joined_books_is_not_used(tmp_path, monkeypatch):
    """The read-back checks the joined book's own outline: a match begun from spans it does not give
    (here each source's outline entry moved a page on) is dropped and the match made again."""
    from builder import verify_pdf
    real_begin = verify_pdf.begin

    def moved(path, archive, pages, entries, store=None):
        real_begin(path, archive, pages, [verify_pdf.Entry(e.title, e.page + 1 if e.page is not None else None)
                                          for e in entries], store)
    monkeypatch.setattr(verify_pdf, "begin", moved)
    made = _matchings(monkeypatch)
    make(CORPUS, tmp_path / "out", 1.5, monkeypatch)
    assert len(made) == 2 and made[0].starts != made[1].starts
