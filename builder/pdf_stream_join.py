"""Join the parts of the PDF edition by streaming their objects into the book (docs/pdf.md,
"A book in parts"): the same book as builder/pdf_join.py in what a reader gets, in memory bounded
by one part, not the book.

Each part's objects are written out one by one with their numbers shifted after the parts
before it (part k's object n is the book's object offset_k + n); only what joins the parts is
made new at the end: the catalogue, the page tree, the structure tree's root and its Document
element, the /ParentTree, the outline's root, the name trees (destinations, attached files),
/AF, /PageLabels and the XMP. What the join changes in a part's objects is changed as they are
written: a page's /Parent and /StructParents, an annotation's /StructParent (and a placeholder
link made an internal link, as in pdf_join), the Document's children's /P, structure ids, the
outline's top-level items' /Parent, /Prev and /Next. Nothing of a part is kept once it is
written but its ParentTree entries, names and page references (a few bytes a page). The objects
that join the parts are numbered 1-7 and part k's begin after the parts before it, so that a
part's bytes as written depend on the parts before it and on the few values of the book it looks
up (_Seen), not on the size of the whole book: with a cache (store), a part written before is
copied as it was (pdf-join-part), and a rebuild writes again only the parts that changed or moved.

No object streams (the file is about twice the size pdf_join writes); a classic xref table;
/ID from the parts' bytes: the same parts give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from . import parallel
from .pdf_join import PLACEHOLDER, Attached, Piece, deflated


def numbering(sizes: list[int], keys: list[int]) -> tuple[list[int], list[int]]:
    """Each part's first object number less one (offset) and first structure key in the book:
    the parts numbered in the book's order, the first part (the front matter) last."""
    offsets, starts = [0] * len(sizes), [0] * len(sizes)
    at, key = 7, 0  # after the objects that join the parts (1-7)
    for k in [*range(1, len(sizes)), 0][:len(sizes)]:
        offsets[k], starts[k] = at, key
        at, key = at + sizes[k], key + keys[k]
    return offsets, starts


def book_values(pieces, offsets, pages_of, outline_ends, npages, licence) -> dict:
    """What a part's objects look up of the book (_Seen): where each label landed (its page's
    object, position, printed number), each part's first top-level outline item's /Prev (the
    last of the part before it that has an outline) and each last one's /Next, the book's pages,
    the licence. A part not known yet (None in pages_of) is left out."""
    where = {}
    for k, piece in enumerate(pieces):
        if pages_of[k] is not None:
            for name, value in part_where(piece, offsets[k], pages_of[k]).items():
                where.setdefault(name, value)
    chain = [(k, e) for k, e in enumerate(outline_ends) if e is not None and pages_of[k] is not None]
    prev_of, next_of = {}, {}
    for (k1, e1), (k2, e2) in zip(chain, chain[1:]):
        next_of[offsets[k1] + e1[1]] = offsets[k2] + e2[0]
        prev_of[offsets[k2] + e2[0]] = offsets[k1] + e1[1]
    return {"where": where, "prev": prev_of, "next": next_of, "npages": npages, "licence": licence}


def part_where(piece: Piece, off: int, pages: list[int]) -> dict:
    """Where the labels a part holds landed in the book: (its page's object, x, y, printed page)."""
    return {name: (off + pages[page - 1 - (1 if piece.pad else 0)], x, y, printed)
            for name, (page, x, y, printed) in piece.targets.items()}


def join(pieces: list[Piece], out: Path, licence: str | None = None, attach: tuple[Attached, ...] = (),
         store=None, written: list | None = None, ahead=None) -> int:
    """Write the book made of pieces to out; the number of its pages. store (builder/cache.py):
    each part's objects as written, found again when the part and everything they were written
    with are the same (_Seen), so that a rebuild writes only the parts that changed again
    (their numbers added to written)."""
    import pikepdf

    # pass 0: each part's size, pages, outline ends (a part read before: from the cache, by its bytes)
    sizes, pages_of, outline_ends, shas, keys = [], [], [], [], []
    for piece in pieces:
        sha = hashlib.sha256(Path(piece.path).read_bytes()).hexdigest()
        known = ahead.facts.get(sha) if ahead is not None else None
        size, nums, ends, next_key = known if known is not None else _facts(piece.path, sha, store)
        shas.append(sha)
        sizes.append(size)
        pages_of.append(nums[1:] if piece.pad else nums)
        outline_ends.append(ends)
        keys.append(next_key)
    # the objects that join the parts come first (1-7), then the parts' objects, the first part's
    # (the front matter, made last) after the others', so that a part's numbers depend only on the
    # parts numbered before it (builder/writers/pdf_ahead.py writes them while later parts are made)
    ROOT, PAGES, STRUCT, DOC, OUTLINES, INFO, META = range(1, 8)
    offsets, starts = numbering(sizes, keys)
    total = META + sum(sizes)
    new = iter(range(total, total + 10**9))
    book_pages = [offsets[k] + n for k, nums in enumerate(pages_of) for n in nums]
    book = book_values(pieces, offsets, pages_of, outline_ends, len(book_pages), licence)
    chain = [(k, e) for k, e in enumerate(outline_ends) if e is not None]

    w = _Writer(out)
    parent_nums, doc_kids, labels, dests, files, af, ids = [], [], [], {}, {}, [], {}
    role_map, class_map = {}, {}
    catalog_extra, doc_extra, info_bytes, xmp = {}, {}, None, b""
    digest = hashlib.md5()
    job = (pieces, offsets, starts, book)
    order = sorted(range(len(pieces)), key=lambda k: offsets[k])  # as numbered (and written)
    todo = [k for k in order if (piece := pieces[k]) is not None
            and (store is None or not store.has("pdf-join-part", _entry_key(shas[k], k, piece, offsets[k], starts[k])))
            and (ahead is None or not ahead.usable(k, shas[k], offsets[k], starts[k], book))]
    # the parts not kept, written in worker processes as the book is written (each part on its own:
    # its numbers are known); the same bytes as written here (tests/test_pdf_parts.py)
    todo_set = set(todo)
    joins: dict[int, dict] = {}
    late = []  # objects written once every part is: [book number, bytes before its /Next]
    with parallel.Map(_part_seen, job, todo, least=2, chunk=1) as done:
        for k in order:
            piece = pieces[k]
            data = Path(piece.path).read_bytes()
            digest.update(data)
            if hashlib.sha256(data).hexdigest() != shas[k]:
                raise RuntimeError(f"{piece.path}: a part of the PDF edition changed while it was joined")
            fresh = k in todo_set
            made = None if fresh else _part_written(store, shas[k], k, piece, offsets[k], starts[k], book)
            if made is None and not fresh and ahead is not None:  # written while the next parts were made
                made, log = ahead.take(k, shas[k], offsets[k], starts[k], book)
                if made is not None:
                    if written is not None:
                        written.append(k)
                    _keep(store, shas[k], k, piece, offsets[k], starts[k], made, log)
            if made is None:
                made, log = (done.result(k) if fresh else None) or _part_seen(job, k)
                if written is not None:
                    written.append(k)
                _keep(store, shas[k], k, piece, offsets[k], starts[k], made, log)
            w.block(made.blob, made.at)
            if made.joins["next_key"] != keys[k]:
                raise RuntimeError(f"{piece.path}: the part's structure keys changed while it was joined")
            late += made.joins.get("late", [])
            joins[k] = {key: v for key, v in made.joins.items() if key != "late"}
    for num, before in late:  # each part's first and last top-level outline items: their neighbours in other parts
        prev, after = book["prev"].get(num), book["next"].get(num)
        w.raw(num, before.encode("latin-1") + (b"/Prev %d 0 R" % prev if prev is not None else b"")
              + (b"/Next %d 0 R" % after if after is not None else b"") + b">>")
    for k in range(len(pieces)):  # what joins the parts, in the book's order
        c = joins.pop(k)
        parent_nums += [(key, v.encode("latin-1")) for key, v in c["parent"]]
        doc_kids += [v.encode("latin-1") for v in c["kids"]]
        for src, into in ((c["role"], role_map), (c["class"], class_map), (c["dests"], dests), (c["files"], files)):
            for key, value in src:
                into.setdefault(key, value.encode("latin-1"))
        for name, value in c["ids"]:
            ids[name] = value.encode("latin-1")
        af += [v.encode("latin-1") for v in c["af"]]
        at = sum(len(p) for p in pages_of[:k])
        labels += [(at + i, tuple(v)) for i, v in c["labels"]]
        if k == 0:
            xmp = c["xmp"].encode("latin-1")
            catalog_extra = {key: v.encode("latin-1") for key, v in c["catalog"]}
            doc_extra = {key: v.encode("latin-1") for key, v in c["doc"]}
            info_bytes = c["info"].encode("latin-1") if c["info"] is not None else None
    # the new objects
    w.raw(PAGES, b"<</Type/Pages/Count %d/Kids[%s]>>" % (len(book_pages), b" ".join(b"%d 0 R" % n for n in book_pages)))
    w.raw(DOC, b"<<%s/K[%s]/P %d 0 R>>" % (b"".join(k.encode() + b" " + v for k, v in doc_extra.items()),
                                           b" ".join(doc_kids), STRUCT))
    parent_tree = _number_tree(w, new, parent_nums)
    struct = [b"/Type/StructTreeRoot", b"/K[%d 0 R]" % DOC, b"/ParentTree %d 0 R" % parent_tree,
              b"/ParentTreeNextKey %d" % sum(keys)]
    if role_map:
        struct.append(b"/RoleMap<<%s>>" % b"".join(k.encode() + b" " + v for k, v in role_map.items()))
    if class_map:
        struct.append(b"/ClassMap<<%s>>" % b"".join(k.encode() + b" " + v for k, v in class_map.items()))
    if ids:
        struct.append(b"/IDTree %d 0 R" % _name_tree(w, new, ids))
    w.raw(STRUCT, b"<<%s>>" % b"".join(struct))
    count = sum(e[2] for e in outline_ends if e is not None)
    if chain:
        w.raw(OUTLINES, b"<</Type/Outlines/First %d 0 R/Last %d 0 R/Count %d>>"
              % (offsets[chain[0][0]] + chain[0][1][0], offsets[chain[-1][0]] + chain[-1][1][1], count))
    else:
        w.raw(OUTLINES, b"<</Type/Outlines/Count 0>>")
    w.stream(META, b"<</Type/Metadata/Subtype/XML", xmp)
    for a in attach:  # files of the book itself (builder/pdf_join.py Attached), after every part's
        data, ef, spec = deflated(a.data), next(new), next(new)
        w.stream(ef, b"<</Type/EmbeddedFile/Subtype%s/Filter/FlateDecode/Params<</Size %d/ModDate %s>>"
                 % (pikepdf.Name("/" + a.mime).unparse(), len(a.data), pikepdf.String(a.modified).unparse()), data)
        w.raw(spec, b"<</Type/Filespec/F %s/UF %s/Desc %s/AFRelationship/%s/EF<</F %d 0 R/UF %d 0 R>>>>"
              % (pikepdf.String(a.name).unparse(), pikepdf.String(a.name).unparse(),
                 pikepdf.String(a.description).unparse(), a.relationship.encode(), ef, ef))
        files[a.name] = b"%d 0 R" % spec
        af.append(b"%d 0 R" % spec)
    names = b"<</Dests %d 0 R/EmbeddedFiles %d 0 R>>" % (_name_tree(w, new, dests), _name_tree(w, new, files))
    catalog = [b"/Type/Catalog", b"/Pages %d 0 R" % PAGES, b"/StructTreeRoot %d 0 R" % STRUCT,
               b"/Outlines %d 0 R" % OUTLINES, b"/Names " + names, b"/AF[%s]" % b" ".join(af),
               b"/Metadata %d 0 R" % META, b"/PageLabels<</Nums[%s]>>" % _page_labels(labels)]
    catalog += [k.encode() + b" " + v for k, v in catalog_extra.items()]
    w.raw(ROOT, b"<<%s>>" % b"".join(catalog))
    if info_bytes is not None:
        w.raw(INFO, info_bytes)
    w.finish(ROOT, INFO if info_bytes is not None else None, digest.hexdigest())
    return len(book_pages)


# ---------------------------------------------------------------- one part's objects

@dataclass
class _Made:
    """A part's objects as written (blob; at: [(book number, offset in blob)]) and what it gives
    to the objects that join the parts (joins: JSON, PDF fragments as latin-1 strings)."""
    blob: bytes
    at: list
    joins: dict


class _Seen:
    """What a part's objects were written with besides the part itself, its place (offset, the
    structure keys before it) and its number: the book's values looked up, each logged, so that
    a part written before is used again only if every value it looked up is the same now."""

    def __init__(self, book: dict):
        self.book, self.log = book, []

    def get(self, what: str, name=None):
        value = self.book[what] if name is None else self.book[what].get(name)
        self.log.append([what, name, value])
        return value

    @staticmethod
    def same(book: dict, log: list) -> bool:
        for what, name, value in log:
            now = book[what] if name is None else book[what].get(name)
            if json.loads(json.dumps(now)) != value:
                return False
        return True


def _facts(path, sha: str, store) -> tuple[int, list[int], tuple[int, int, int] | None, int]:
    """A part's /Size, its pages' object numbers (its leading blank page's too), its outline's
    first and last top-level items and /Count (None: no outline), and its structure tree's
    /ParentTreeNextKey: kept in the cache by the SHA-256 of the part's bytes (pdf-join-facts),
    else read with pikepdf (which reads lazily)."""
    import pikepdf

    from . import cache
    k = cache.key("pdf-join-facts", sha, 2)
    kept = store.get("pdf-join-facts", k) if store is not None else None
    if kept is not None:
        size, nums, ends, next_key = json.loads(kept)
        return size, nums, tuple(ends) if ends is not None else None, next_key
    with pikepdf.open(path) as pdf:
        size, nums, ends, next_key = facts_of(pdf)
    keep_facts(store, (sha, size, nums, ends, next_key))
    return size, nums, ends, next_key


def facts_of(pdf) -> tuple[int, list[int], tuple[int, int, int] | None, int]:
    """_facts of a part open in pikepdf."""
    size = int(pdf.trailer.Size)
    nums = [p.obj.objgen[0] for p in pdf.pages]
    o = pdf.Root.get("/Outlines")
    ends = (o.First.objgen[0], o.Last.objgen[0], int(o.get("/Count", 0))) if o is not None and "/First" in o else None
    return size, nums, ends, int(pdf.Root.StructTreeRoot.get("/ParentTreeNextKey", 0))


def keep_facts(store, joined: tuple) -> None:
    """joined: (the part's SHA-256, and its _facts), kept in the cache for the join."""
    from . import cache
    if store is not None:
        sha, *facts = joined
        store.put("pdf-join-facts", cache.key("pdf-join-facts", sha, 2), json.dumps(facts).encode())


def _entry_key(sha: str, k: int, piece: Piece, off: int, next_key: int) -> str:
    """sha: the SHA-256 (hex) of the part's bytes."""
    from . import cache
    return cache.key("pdf-join-part", sha, k, piece.pad, off, next_key)


def _part_written(store, sha: str, k: int, piece: Piece, off: int, next_key: int, book: dict) -> _Made | None:
    if store is None:
        return None
    kept = store.get("pdf-join-part", _entry_key(sha, k, piece, off, next_key))
    if kept is None:
        return None
    try:
        made, log = unpack(kept)
    except (ValueError, struct.error, KeyError):
        return None
    return made if _Seen.same(book, log) else None


def pack(made: _Made, log: list) -> bytes:
    """A part's objects as written and what it looked up of the book, in one run of bytes (the
    cache's pdf-join-part, builder/writers/pdf_ahead.py's files): the objects' offsets packed
    (about 6,000 pairs a part: as JSON, most of the time to read an entry back)."""
    head = json.dumps({"log": log, "joins": made.joins}, ensure_ascii=True, sort_keys=True).encode()
    at = struct.pack(f"<{2 * len(made.at)}q", *(x for pair in made.at for x in pair))
    return len(head).to_bytes(8, "big") + head + len(made.at).to_bytes(8, "big") + at + made.blob


def unpack(kept: bytes) -> tuple[_Made, list]:
    size = int.from_bytes(kept[:8], "big")
    head = json.loads(kept[8:8 + size])
    n = int.from_bytes(kept[8 + size:16 + size], "big")
    at = struct.unpack_from(f"<{2 * n}q", kept, 16 + size)
    return _Made(kept[16 + size + 16 * n:], list(zip(at[::2], at[1::2])), head["joins"]), head["log"]


def _part_seen(job: tuple, k: int) -> tuple[_Made, list]:
    """Part k's objects as written (_part), and what it looked up of the book (_Seen's log); job:
    (pieces, offsets, first structure keys, book). Done in a worker process (builder/parallel.py
    Map) or here: the same bytes."""
    pieces, offsets, starts, book = job
    seen = _Seen(book)
    made = _part(pieces[k], k, offsets[k], starts[k], seen)
    return made, json.loads(json.dumps(seen.log))


def _keep(store, sha: str, k: int, piece: Piece, off: int, next_key: int, made: _Made, log: list) -> None:
    if store is None or getattr(store, "folder", None) is None:
        return
    store.put("pdf-join-part", _entry_key(sha, k, piece, off, next_key), pack(made, log))


def _part(piece: Piece, k: int, off: int, next_key: int, seen: _Seen) -> _Made:
    """Part k's objects, renumbered from off, written as the book holds them."""
    import pikepdf

    PAGES, DOC, OUTLINES = 2, 4, 5  # join()'s numbers
    w = _PartWriter()
    j = {"parent": [], "kids": [], "role": [], "class": [], "ids": [], "dests": [], "files": [], "af": [],
         "labels": [], "xmp": "", "catalog": [], "doc": [], "info": None, "late": []}
    text = lambda b: b.decode("latin-1")  # noqa: E731
    with pikepdf.open(piece.path) as pdf:
        root = pdf.Root
        st = root.StructTreeRoot
        doc = st.K[0] if isinstance(st.K, pikepdf.Array) else st.K
        skip = {root.objgen[0], doc.objgen[0]}
        skip |= _tree_nodes(root.Pages, "/Kids")
        if st.is_indirect:
            skip.add(st.objgen[0])
        for key in ("/ParentTree", "/IDTree"):
            if key in st:
                skip |= _tree_nodes(st[key], "/Kids")
        if "/Outlines" in root and root.Outlines.is_indirect:
            skip.add(root.Outlines.objgen[0])
        names = root.get("/Names")
        if names is not None:
            if names.is_indirect:
                skip.add(names.objgen[0])
            for key in ("/Dests", "/EmbeddedFiles"):
                if key in names:
                    skip |= _tree_nodes(names[key], "/Kids")
        if piece.pad:
            skip.add(pdf.pages[0].obj.objgen[0])
        if "/Metadata" in root:
            skip.add(root.Metadata.objgen[0])
        if k == 0:
            j["xmp"] = text(_xmp(pdf, seen.get("npages"), seen.get("licence")))
            for key, value in root.items():
                if key not in ("/Pages", "/StructTreeRoot", "/Outlines", "/Names", "/PageLabels", "/AF",
                               "/Metadata", "/Type"):
                    j["catalog"].append([key, text(_ser(value, off))])
            for key, value in doc.items():
                if key not in ("/K", "/P"):
                    j["doc"].append([key, text(_ser(value, off))])
            if "/Info" in pdf.trailer:
                skip.add(pdf.trailer.Info.objgen[0])
                j["info"] = text(_ser_dict(pdf.trailer.Info, off, {}))
        elif "/Info" in pdf.trailer and pdf.trailer.Info.is_indirect:
            skip.add(pdf.trailer.Info.objgen[0])
        doc_num = doc.objgen[0]
        w.alias = {doc_num: DOC}
        prefix = f"p{k}." if k else ""
        top_outline, first_top, last_top = set(), None, None
        o = root.get("/Outlines")
        if o is not None and "/First" in o:
            item = o.First
            first_top = item.objgen[0]
            while True:
                top_outline.add(item.objgen[0])
                if "/Next" not in item:
                    last_top = item.objgen[0]
                    break
                item = item.Next
        for obj in pdf.objects:
            if not obj.is_indirect:
                continue
            num = obj.objgen[0]
            if num in skip or num == 0:
                continue
            if isinstance(obj, pikepdf.Stream) and str(obj.get("/Type", "")) in ("/ObjStm", "/XRef"):
                continue
            over = {}
            if isinstance(obj, pikepdf.Dictionary) or isinstance(obj, pikepdf.Stream):
                t = str(obj.get("/Type", ""))
                if t == "/Page":
                    over["/Parent"] = b"%d 0 R" % PAGES
                    if "/StructParents" in obj:
                        over["/StructParents"] = b"%d" % (int(obj.StructParents) + next_key)
                elif t == "/Annot" or "/Subtype" in obj and "/Rect" in obj:
                    if "/StructParent" in obj:
                        over["/StructParent"] = b"%d" % (int(obj.StructParent) + next_key)
                    action = obj.get("/A")
                    if action is not None and str(action.get("/S", "")) == "/URI":
                        uri = bytes(action.URI).decode("utf-8", "replace")
                        if uri.startswith(PLACEHOLDER):
                            name = uri[len(PLACEHOLDER):]
                            found = seen.get("where", name)
                            if found is None:
                                raise ValueError(f"a link of the PDF edition names '{name}', which no part holds")
                            page, x, y, printed = found
                            height = float(pdf.pages[0].mediabox[3])
                            over["/A"] = None
                            over["/Dest"] = b"[%d 0 R /XYZ %s %s 0]" % (page, _num(x), _num(round(height - y, 4)))
                            contents = str(obj.get("/Contents", ""))
                            if not contents or "part.invalid" in contents:
                                over["/Contents"] = pikepdf.String(f"page {printed}").unparse()
                elif t == "/StructElem" or "/S" in obj and "/P" in obj:
                    p = obj.get("/P")
                    if p is not None and p.is_indirect and p.objgen[0] == doc_num:
                        over["/P"] = b"%d 0 R" % DOC
                    if prefix and "/ID" in obj:
                        over["/ID"] = pikepdf.String(prefix + str(obj.ID)).unparse()
                    if prefix and "/A" in obj:
                        over["/A"] = _headers(obj.A, prefix, off)
                if num in top_outline:
                    over["/Parent"] = b"%d 0 R" % OUTLINES
                    if num in (first_top, last_top):  # its /Prev or /Next, in another part: added by the join
                        j["late"].append([off + num, text(_ser_dict(obj, off, over)[:-2])])
                        continue
            w.write(off + num, obj, off, over)
        # what joins the parts, kept small
        j["parent"] = [[key + next_key, text(_ser(v, off))] for key, v in _numbers(st.get("/ParentTree"))]
        j["next_key"] = int(st.get("/ParentTreeNextKey", 0))
        j["kids"] = [text(_ser(kid, off)) for kid in (doc.K if isinstance(doc.K, pikepdf.Array) else [doc.K])]
        for src, into in ((st.get("/RoleMap"), j["role"]), (st.get("/ClassMap"), j["class"])):
            for key, value in (src.items() if src is not None else []):
                into.append([key, text(_ser(value, off))])
        if "/IDTree" in st:
            for name, value in pikepdf.NameTree(st.IDTree).items():
                j["ids"].append([prefix + name, text(_ser(value, off))])
        if names is not None:
            for key, into in (("/Dests", j["dests"]), ("/EmbeddedFiles", j["files"])):
                if key in names:
                    for name, value in pikepdf.NameTree(names[key]).items():
                        into.append([name, text(_ser(value, off))])
        j["af"] = [text(_ser(spec, off)) for spec in root.get("/AF", [])]
        first = 1 if piece.pad else 0
        if "/PageLabels" in root:
            j["labels"] = [[i - first, v] for i, v in
                           ((key, [str(d.get("/S", "")), str(d.get("/P", "")), int(d.get("/St", 1))])
                            for key, d in _numbers(root.PageLabels)) if i >= first]
    return _Made(b"".join(w.chunks), w.at, j)


# ---------------------------------------------------------------- serialising with new numbers

def _num(x) -> bytes:
    if isinstance(x, bool):
        return b"true" if x else b"false"
    if isinstance(x, int):
        return b"%d" % x
    d = Decimal(str(x)).normalize()
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return (text or "0").encode()


def _ser(o, off: int) -> bytes:
    import pikepdf
    if isinstance(o, pikepdf.Object) and o.is_indirect:
        return b"%d 0 R" % (off + o.objgen[0])
    if isinstance(o, (pikepdf.Dictionary, pikepdf.Stream)):
        return _ser_dict(o, off, {})
    if isinstance(o, pikepdf.Array):
        return b"[" + b" ".join(_ser(x, off) for x in o) + b"]"
    if o is None:
        return b"null"
    if isinstance(o, (bool, int, float, Decimal)):
        return _num(o)
    if isinstance(o, pikepdf.Object):
        return o.unparse()
    if isinstance(o, str):
        return pikepdf.String(o).unparse()
    raise TypeError(f"cannot write {type(o).__name__}")


def _ser_dict(o, off: int, over: dict) -> bytes:
    parts = []
    for key in sorted(o.keys()):  # pikepdf gives a set: its order would follow the process's hash seed
        if key in over:
            continue
        parts.append(key.encode() + b" " + _ser(o.get(key), off))
    for key, value in over.items():
        if value is not None:
            parts.append(key.encode() + b" " + value)
    return b"<<" + b"".join(parts) + b">>"


def _headers(attrs, prefix: str, off: int) -> bytes:
    import pikepdf
    items = list(attrs) if isinstance(attrs, pikepdf.Array) else [attrs]
    out = []
    for a in items:
        if isinstance(a, pikepdf.Dictionary) and not a.is_indirect and "/Headers" in a:
            heads = b"[" + b" ".join(pikepdf.String(prefix + str(h)).unparse() for h in a.Headers) + b"]"
            out.append(_ser_dict(a, off, {"/Headers": heads}))
        else:
            out.append(_ser(a, off))
    return b"[" + b" ".join(out) + b"]" if isinstance(attrs, pikepdf.Array) else out[0]


def _tree_nodes(node, kids: str) -> set[int]:
    """Object numbers of a tree's indirect nodes (pages tree, number and name trees)."""
    found, stack = set(), [node]
    while stack:
        n = stack.pop()
        if str(n.get("/Type", "")) == "/Page":
            continue
        if n.is_indirect:
            found.add(n.objgen[0])
        stack += list(n.get(kids, []))
    return found


def _numbers(tree):
    import pikepdf
    if tree is None:
        return []
    return [(int(k), v) for k, v in pikepdf.NumberTree(tree).items()]


def _number_tree(w, new, pairs, leaf: int = 512) -> int:
    pairs = sorted(pairs, key=lambda kv: kv[0])
    root = next(new)
    if len(pairs) <= leaf:
        w.raw(root, b"<</Nums[%s]>>" % b" ".join(b"%d %s" % (k, v) for k, v in pairs))
        return root
    kids = []
    for i in range(0, len(pairs), leaf):
        chunk = pairs[i:i + leaf]
        n = next(new)
        w.raw(n, b"<</Limits[%d %d]/Nums[%s]>>" % (chunk[0][0], chunk[-1][0],
                                                   b" ".join(b"%d %s" % (k, v) for k, v in chunk)))
        kids.append(n)
    w.raw(root, b"<</Kids[%s]>>" % b" ".join(b"%d 0 R" % n for n in kids))
    return root


def _name_tree(w, new, names: dict, leaf: int = 512) -> int:
    import pikepdf
    items = sorted(names.items(), key=lambda kv: kv[0].encode("utf-8"))
    root = next(new)

    def leaf_bytes(chunk):
        return b" ".join(pikepdf.String(k).unparse() + b" " + v for k, v in chunk)
    if len(items) <= leaf:
        w.raw(root, b"<</Names[%s]>>" % leaf_bytes(items))
        return root
    kids = []
    for i in range(0, len(items), leaf):
        chunk = items[i:i + leaf]
        n = next(new)
        w.raw(n, b"<</Limits[%s %s]/Names[%s]>>" % (pikepdf.String(chunk[0][0]).unparse(),
                                                     pikepdf.String(chunk[-1][0]).unparse(), leaf_bytes(chunk)))
        kids.append(n)
    w.raw(root, b"<</Kids[%s]>>" % b" ".join(b"%d 0 R" % n for n in kids))
    return root


def _page_labels(labels) -> bytes:
    out, last = [], None
    for page, (style, prefix, start) in sorted(labels):
        if last == (style, prefix, start, page):
            last = (style, prefix, start + 1, page + 1)
            continue
        entry = b"<</Type/PageLabel/St %d%s%s>>" % (start, (b"/S/" + style[1:].encode()) if style else b"",
                                                     (b"/P" + __import__("pikepdf").String(prefix).unparse()) if prefix else b"")
        out.append(b"%d %s" % (page, entry))
        last = (style, prefix, start + 1, page + 1)
    return b" ".join(out)


def _xmp(pdf, npages: int, licence: str | None) -> bytes:
    """The first part's XMP with the book's page count and the licence."""
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["{http://ns.adobe.com/xap/1.0/t/pg/}NPages"] = str(npages)
        if licence:
            meta["xmpRights:WebStatement"] = licence
            meta["xmpRights:Marked"] = "True"
    return pdf.Root.Metadata.read_bytes()


class _PartWriter:
    """A part's objects written into memory: chunks, and each object's offset in them."""

    def __init__(self):
        self.alias: dict[int, int] = {}  # a part's object -> the book's that stands for it (its Document)
        self.chunks: list[bytes] = []
        self.size = 0
        self.at: list[list[int]] = []  # [number, offset]

    def _put(self, num: int, data: bytes) -> None:
        self.at.append([num, self.size])
        self.chunks.append(data)
        self.size += len(data)

    def raw(self, num: int, body: bytes) -> None:
        self._put(num, b"%d 0 obj\n" % num + body + b"\nendobj\n")

    def stream(self, num: int, head: bytes, data: bytes) -> None:
        self._put(num, b"%d 0 obj\n%s/Length %d>>\nstream\n" % (num, head, len(data)) + data + b"\nendstream\nendobj\n")

    def write(self, num: int, obj, off: int, over: dict) -> None:
        import pikepdf
        if obj._type_code in _plain() and over.keys() <= {"/P"}:  # as qpdf writes it, renumbered (a /P
            self.raw(num, _renumbered(obj.unparse(resolved=True), off, self.alias))  # changed: by alias)
        elif isinstance(obj, pikepdf.Stream):
            data = obj.read_raw_bytes()
            over = {**over, "/Length": b"%d" % len(data)}
            self._put(num, b"%d 0 obj\n" % num + _ser_dict(obj, off, over) + b"\nstream\n" + data + b"\nendstream\nendobj\n")
        elif isinstance(obj, pikepdf.Dictionary):
            self.raw(num, _ser_dict(obj, off, over))
        else:
            self.raw(num, _ser(obj.obj if hasattr(obj, "obj") else obj, off) if not obj.is_indirect else
                     _ser_direct(obj, off))


class _Writer(_PartWriter):
    def __init__(self, path: Path):
        self.alias: dict[int, int] = {}
        self.f = open(path, "wb")
        self.f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.at: dict[int, int] = {}

    def _put(self, num: int, data: bytes) -> None:
        self.at[num] = self.f.tell()
        self.f.write(data)

    def block(self, blob: bytes, at: list) -> None:
        """A part's objects written before (_PartWriter): at its place in the file."""
        base = self.f.tell()
        for num, rel in at:
            self.at[num] = base + rel
        self.f.write(blob)

    def finish(self, root: int, info: int | None, digest: str) -> None:
        size = max(self.at) + 1
        xref = self.f.tell()
        lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        for n in range(1, size):
            lines.append(b"%010d 00000 n \n" % self.at[n] if n in self.at else b"0000000000 65535 f \n")
        self.f.write(b"".join(lines))
        info_ref = b"/Info %d 0 R" % info if info is not None else b""
        self.f.write(b"trailer\n<</Size %d/Root %d 0 R%s/ID[<%s><%s>]>>\nstartxref\n%d\n%%%%EOF\n"
                     % (size, root, info_ref, digest.encode(), digest.encode(), xref))
        self.f.close()


@lru_cache(maxsize=1)
def _plain() -> frozenset:
    """The kinds of object written as qpdf unparses them (not a stream: its dictionary's /Length)."""
    from pikepdf import ObjectType as T
    return frozenset((T.dictionary, T.array, T.integer, T.real, T.string, T.name_, T.boolean, T.null))


def _renumbered(body: bytes, off: int, alias: dict[int, int]) -> bytes:
    """An object as qpdf unparses it (tokens apart by spaces, its literal strings' parentheses and
    backslashes escaped), each reference N G R made the book's: alias[N] 0 R (the part's Document
    element: the book's), else (off + N) 0 R; nothing inside a string is touched."""
    def ref(m: re.Match) -> bytes:
        if m[1] is None:
            return m[0]
        n = int(m[1])
        return b"%d 0 R" % (alias[n] if n in alias else off + n)
    return _TOKENS.sub(ref, body)


_TOKENS = re.compile(rb"\((?:[^()\\]|\\.)*\)|(?<= )(\d+) \d+ R(?=[\s\]>])", re.DOTALL)


def _ser_direct(obj, off: int) -> bytes:
    """An indirect object's own value (not a reference to it)."""
    import pikepdf
    if isinstance(obj, pikepdf.Array):
        return b"[" + b" ".join(_ser(x, off) for x in obj) + b"]"
    return obj.unparse()
