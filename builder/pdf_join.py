"""Join the parts of the PDF edition into one book (docs/pdf.md, "A book in parts").

Each part is a complete PDF/A-3a + PDF/UA-1 file made by Typst from the same template
(builder/writers/pdf_parts.py). The join keeps the first part's catalogue (its /Lang, /MarkInfo,
/ViewerPreferences, output intent, XMP with the PDF/A and PDF/UA claims) and adds every other
part into it, one part at a time:

- its pages (a leading blank page that only kept the sides of the pages right is left out);
- its structure tree under the one Document element: /ParentTree keys, every page's
  /StructParents and every annotation's /StructParent renumbered after the parts before it;
  /RoleMap and /ClassMap merged; the /IDTree's ids made unique with the part's number (and the
  table cells' /Headers that name them);
- its outline (bookmarks) after the parts before it;
- its named destinations, its attached files (/Names /EmbeddedFiles) and its /AF;
- its page labels, after the parts before it.

A link to a label of another part was made by the template as a placeholder
(`https://part.invalid/<label>`): it becomes an internal link (/Dest) to where the label landed,
as each part reported it (its <part-info>). The XMP's page count is the book's, the licence
is marked (builder.writers.pdf.mark_licence's fields), and the file is saved with a
deterministic /ID: the same parts give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PLACEHOLDER = "https://part.invalid/"


@dataclass
class Piece:
    """A part's PDF and what the join needs from it."""
    path: Path
    pad: bool  # its first page is a blank page that keeps sides right: left out
    targets: dict[str, tuple[int, float, float, str]] = field(default_factory=dict)  # label -> (page 1-based, x, y, printed)


@dataclass(frozen=True)
class Attached:
    """A file the join attaches to the book itself (not made by a part's compile): the notes'
    JSON-LD, so that an edited note lays out again only the part that shows it, never the back
    matter (docs/performance.md, "Incremental builds"). As Typst's pdf.attach writes it: an
    embedded file stream (deflated, /Params /Size and /ModDate), its file specification with
    /AFRelationship, in /Names /EmbeddedFiles and /AF."""
    name: str
    data: bytes
    mime: str
    description: str
    relationship: str  # "Source", "Supplement", ...
    modified: str  # a PDF date, "D:20260101000000Z"


def deflated(data: bytes) -> bytes:
    import zlib
    return zlib.compress(data, 6)


def join(pieces: list[Piece], out: Path, licence: str | None = None, attach: tuple[Attached, ...] = ()) -> int:
    """Write the book made of pieces to out (and the files attach attached); the number of its pages."""
    import pikepdf

    base = pikepdf.open(pieces[0].path)
    opened = [base]
    root = base.Root
    tree = root.StructTreeRoot
    document = _document(tree)
    parent_nums: list[tuple[int, object]] = _numbers(tree.get("/ParentTree"))
    next_key = int(tree.get("/ParentTreeNextKey", 0))
    labels: list = _labels(base, 0)  # (page index in the book, label dict)
    starts = [0]  # each piece's first page in the book
    placeholders = _placeholders(base.pages, 0, 0)
    if "/Names" not in root:
        root.Names = pikepdf.Dictionary()
    dests = _name_tree(base, root.Names, "/Dests")
    files = _name_tree(base, root.Names, "/EmbeddedFiles")
    if "/AF" not in root:
        root.AF = pikepdf.Array()
    outline = root.get("/Outlines")
    for k, piece in enumerate(pieces[1:], start=1):
        src = pikepdf.open(piece.path)
        opened.append(src)
        first = 1 if piece.pad else 0
        at = len(base.pages)
        starts.append(at - first)
        for page in src.pages[first:]:
            base.pages.append(page)
        added = [base.pages[i] for i in range(at, len(base.pages))]
        for page in added:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + next_key
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + next_key
        placeholders += _placeholders(added, k, at)
        labels += [(at + i - first, d) for i, d in _labels(src, 0) if i >= first]
        theirs = base.copy_foreign(src.Root.StructTreeRoot)
        parent_nums += [(key + next_key, value) for key, value in _numbers(theirs.get("/ParentTree"))]
        next_key += int(theirs.get("/ParentTreeNextKey", 0))
        for child in _kids(_document(theirs)):
            if isinstance(child, pikepdf.Dictionary):
                child.P = document
            document.K.append(child)
        for name in ("/RoleMap", "/ClassMap"):
            if name in theirs:
                mine = tree.get(name)
                if mine is None:
                    tree[name] = mine = pikepdf.Dictionary()
                for key, value in theirs[name].items():
                    if key not in mine:
                        mine[key] = value
        if "/IDTree" in theirs:
            _unique_ids(base, tree, theirs.IDTree, f"p{k}.")
        if "/Outlines" in src.Root and "/First" in src.Root.Outlines:
            outline = _append_outline(base, root, base.copy_foreign(src.Root.Outlines))
        names = src.Root.get("/Names", {})
        for tree_name, into in (("/Dests", dests), ("/EmbeddedFiles", files)):
            if tree_name in names:
                for key, value in pikepdf.NameTree(names[tree_name]).items():
                    if key not in into:
                        into[key] = base.copy_foreign(value)
        for spec in src.Root.get("/AF", []):
            root.AF.append(base.copy_foreign(spec))
    for a in attach:
        stream = pikepdf.Stream(base, deflated(a.data))
        stream.stream_dict = pikepdf.Dictionary(Type=pikepdf.Name.EmbeddedFile, Subtype=pikepdf.Name("/" + a.mime),
                                                Filter=pikepdf.Name.FlateDecode,
                                                Params=pikepdf.Dictionary(Size=len(a.data), ModDate=a.modified))
        spec = base.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Filespec, F=a.name, UF=a.name, Desc=a.description,
            AFRelationship=pikepdf.Name("/" + a.relationship), EF=pikepdf.Dictionary(F=stream, UF=stream)))
        files[a.name] = spec
        root.AF.append(spec)
    _resolve(base, pieces, starts, placeholders)
    tree.ParentTree = _number_tree(base, parent_nums)
    tree.ParentTreeNextKey = next_key
    root.PageLabels = _page_labels(labels)
    del outline
    npages = len(base.pages)
    with base.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["{http://ns.adobe.com/xap/1.0/t/pg/}NPages"] = str(npages)
        if licence:
            meta["xmpRights:WebStatement"] = licence
            meta["xmpRights:Marked"] = "True"
    base.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for pdf in reversed(opened):
        pdf.close()
    return npages


def _document(tree):
    """The structure tree's Document element (Typst's K is [Document])."""
    import pikepdf
    k = tree.K
    if isinstance(k, pikepdf.Array):
        k = k[0]
    return k


def _kids(element) -> list:
    import pikepdf
    k = element.get("/K")
    if k is None:
        return []
    if not isinstance(k, pikepdf.Array):
        element.K = pikepdf.Array([k])
        return [k]
    return list(k)


def _numbers(tree) -> list[tuple[int, object]]:
    """A number tree's (key, value) pairs, in order."""
    import pikepdf
    if tree is None:
        return []
    return [(int(key), value) for key, value in pikepdf.NumberTree(tree).items()]


def _number_tree(pdf, pairs: list[tuple[int, object]], leaf: int = 512):
    """A number tree of pairs: leaves of at most `leaf` pairs under one root (/Kids, /Limits)."""
    import pikepdf
    pairs = sorted(pairs, key=lambda kv: kv[0])
    if len(pairs) <= leaf:
        return pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array([x for kv in pairs for x in kv])))
    kids = pikepdf.Array()
    for i in range(0, len(pairs), leaf):
        chunk = pairs[i:i + leaf]
        kids.append(pdf.make_indirect(pikepdf.Dictionary(
            Nums=pikepdf.Array([x for kv in chunk for x in kv]), Limits=pikepdf.Array([chunk[0][0], chunk[-1][0]]))))
    return pdf.make_indirect(pikepdf.Dictionary(Kids=kids))


def _name_tree(pdf, names, key: str):
    import pikepdf
    if key not in names:
        names[key] = pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array()))
    return pikepdf.NameTree(names[key])


def _labels(pdf, offset: int) -> list[tuple[int, object]]:
    """(page index, label dictionary) of each entry of pdf's /PageLabels."""
    if "/PageLabels" not in pdf.Root:
        return []
    return [(offset + key, value) for key, value in _numbers(pdf.Root.PageLabels)]


def _page_labels(labels: list[tuple[int, object]]):
    """One /PageLabels: an entry only where a page does not continue the range before it."""
    import pikepdf
    nums = pikepdf.Array()
    last = None  # (style, prefix, next number, next page)
    for page, d in sorted(labels, key=lambda x: x[0]):
        style, prefix, start = str(d.get("/S", "")), str(d.get("/P", "")), int(d.get("/St", 1))
        if last is not None and last == (style, prefix, start, page):
            last = (style, prefix, start + 1, page + 1)
            continue
        entry = pikepdf.Dictionary(Type=pikepdf.Name.PageLabel, St=start)
        if style:
            entry.S = pikepdf.Name(style)
        if prefix:
            entry.P = pikepdf.String(prefix)
        nums.append(page)
        nums.append(entry)
        last = (style, prefix, start + 1, page + 1)
    return pikepdf.Dictionary(Nums=nums)


def _placeholders(pages, piece: int, at: int) -> list[tuple[object, str]]:
    """The link annotations of pages that name a label of another part."""
    out = []
    for page in pages:
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            if action is not None and str(action.get("/S", "")) == "/URI":
                uri = bytes(action.URI).decode("utf-8", "replace") if "/URI" in action else ""
                if uri.startswith(PLACEHOLDER):
                    out.append((annot, uri[len(PLACEHOLDER):]))
    return out


def _resolve(base, pieces: list[Piece], starts: list[int], placeholders) -> None:
    """Each placeholder link made an internal link to where its label landed."""
    import pikepdf
    where: dict[str, tuple[int, float, float, str]] = {}
    for piece, start in zip(pieces, starts):
        for name, (page, x, y, printed) in piece.targets.items():
            where.setdefault(name, (start + page - 1, x, y, printed))
    for annot, name in placeholders:
        if name not in where:
            raise ValueError(f"a link of the PDF edition names '{name}', which no part holds")
        index, x, y, printed = where[name]
        page = base.pages[index]
        height = float(page.mediabox[3])
        del annot["/A"]
        annot.Dest = pikepdf.Array([page.obj, pikepdf.Name.XYZ, x, round(height - y, 4), 0])
        contents = str(annot.get("/Contents", ""))
        if not contents or contents.startswith(PLACEHOLDER) or "part.invalid" in contents:
            annot.Contents = pikepdf.String(f"page {printed}")


def _append_outline(base, root, theirs):
    """Their top-level outline items after ours."""
    import pikepdf
    if "/Outlines" not in root or "/First" not in root.Outlines:
        root.Outlines = theirs
        return theirs
    ours = root.Outlines
    last, first = ours.Last, theirs.First
    last.Next, first.Prev = first, last
    item = first
    while True:
        item.Parent = ours
        if "/Next" not in item:
            break
        item = item.Next
    ours.Last = theirs.Last
    ours.Count = int(ours.get("/Count", 0)) + int(theirs.get("/Count", 0))
    return ours


def _unique_ids(base, tree, theirs_ids, prefix: str) -> None:
    """Their structure ids prefixed (unique in the book), and the /Headers that name them."""
    import pikepdf
    ours = pikepdf.NameTree(tree.IDTree) if "/IDTree" in tree else None
    if ours is None:
        tree.IDTree = base.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array()))
        ours = pikepdf.NameTree(tree.IDTree)
    tables = {}
    for key, element in pikepdf.NameTree(theirs_ids).items():
        element.ID = pikepdf.String(prefix + key)
        ours[prefix + key] = element
        table, up = element, 0
        while table is not None and str(table.get("/S", "")) != "/Table" and up < 8:
            table, up = table.get("/P"), up + 1
        if table is not None and str(table.get("/S", "")) == "/Table":
            tables[table.objgen if table.is_indirect else id(table)] = table
    for table in tables.values():
        stack = [table]
        while stack:
            element = stack.pop()
            if not isinstance(element, pikepdf.Dictionary):
                continue
            attrs = element.get("/A")
            for a in (attrs if isinstance(attrs, pikepdf.Array) else [attrs] if attrs is not None else []):
                if isinstance(a, pikepdf.Dictionary) and "/Headers" in a:
                    a.Headers = pikepdf.Array([pikepdf.String(prefix + str(h)) for h in a.Headers])
            kids = element.get("/K")
            if isinstance(kids, pikepdf.Array):
                stack.extend(kids)
            elif isinstance(kids, pikepdf.Dictionary):
                stack.append(kids)
