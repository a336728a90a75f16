"""The PDF edition in volumes (`[pdf] volume_pages`; docs/pdf.md, "Volumes"; the plan: builder/volumes.py).

A volume is a join of some parts of the book (builder/writers/pdf_parts.py): the whole book is
laid out in parts as for one PDF, with every part inside one volume (a volume's sources in runs
of about PART_PAGES), so that page numbers continue across the set exactly as in one book; then
each volume is joined on its own (builder/pdf_stream_join.py) into a complete PDF/A-3a + PDF/UA-1
file:

- volume 1: the front matter (title page, imprint, contents of the whole set naming each entry's
  volume, introduction), its sources' parts;
- volume k > 1: its own title part (a title page naming the volume and its pages, the contents
  of the volume, the list of the set's volumes), its sources' parts;
- the last volume also ends with the back matter (glossary, index, colophon, the notes attached).

Each volume carries its own outline, structure tree and the originals of its own sources. A link
to a label in another volume is never made (a PDF link into another file would be a /GoToR
action, which the edition refuses: docs/security.md): the template sets a reference naming the
volume instead, and its page where the part knows it (builder.volumes; edition.typ `goto`).
Page labels carry the volume's number ("2:123"), so that the EPUB's page-list, taken from them,
says which volume a page is in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import pdf_reading, progress, volumes
from ..output import atomic_path
from . import pdf_parts
from .pdf_parts import Book, Part


@dataclass
class Volume:
    number: int
    sources: list[str]
    path: Path
    blocks: list[tuple] = field(default_factory=list)  # page-map blocks, in the volume's pages


def runs_of(archive, plan: list[list[str]]) -> list[list[str]]:
    """Each volume's sources in runs of about PART_PAGES estimated pages: a part never crosses a volume."""
    out = []
    by_id = {s.id: s for s in archive.sources}
    for vol in plan:
        run, size = [], 0.0
        for sid in vol:
            pages = pdf_parts.estimated_pages(archive, by_id[sid])
            if run and size + pages > pdf_parts.PART_PAGES:
                out.append(run)
                run, size = [], 0.0
            run.append(sid)
            size += pages
        out.append(run)
    return out


def volume_of_labels(archive, plan: list[list[str]]) -> dict[str, int]:
    """The volume of every label a link may name (edition.typ `goto`, `elsewhere`)."""
    last = len(plan)
    where = {"introduction": 1, "contents": 1, "glossary": last, "register-index": last, "colophon": last}
    for k, vol in enumerate(plan, start=1):
        for sid in vol:
            where[f"src-{sid}"] = where[f"prov-{sid}"] = k
    for e in archive.register:
        where[f"reg-{e.id}"] = last
    return where


class VolumeBook(Book):
    """The book's parts, each told its volume (and, for the back matter, the contents' pages)."""

    reads_parts = False  # each volume is read back whole (read_back), not part by part
    joins_ahead = False  # each volume joined of its own parts (numbered otherwise)

    def __init__(self, archive, folder: Path, plan: list[list[str]], fonts, standards, store=None, staged=None):
        self.plan = plan
        self.of_source = {sid: k for k, vol in enumerate(plan, start=1) for sid in vol}
        self.titles = {s["id"]: s["title"] for s in json.loads((folder / "archive.json").read_text("utf-8"))["sources"]}
        super().__init__(archive, folder, runs_of(archive, plan), fonts, standards, store, staged)

    def lay_out(self) -> None:
        super().lay_out()
        try:
            self.fill_pages()
        finally:
            self.sessions.close()  # those fill_pages compiled in: waited for

    def fill_pages(self) -> None:
        """The pages of references to other volumes in the sources' parts. A part is laid out before
        the pages of the parts after it are known, so its references to another volume first name
        the volume alone ("(vol. 3)"); each part that has one is made again with every label's page
        (P.toc), and the new make is kept only if nothing it reports moved (its length and where
        each of its labels landed), so that no other part's data changes; else it keeps the first."""
        toc = {t[0]: t[4] for p in self.parts for t in p.info.get("targets", [])}
        todo = [p for p in self.bodies() if _names_a_volume(p.path)]
        if not todo:
            return
        kept = {p.number: (p.path.read_bytes(), p.info, p.blocks, p.pages, p.span, p.key, p.cached) for p in todo}
        self.make(todo, [self.data(p, {"toc": toc}) for p in todo])
        for p in todo:
            data, info, blocks, pages, span, key, cached = kept[p.number]
            if p.span != span or _landed(p.info) != _landed(info) or p.info.get("reg") != info.get("reg"):
                p.path.write_bytes(data)
                p.info, p.blocks, p.pages, p.span, p.key, p.cached = info, blocks, pages, span, key, cached

    def volume(self, part: Part) -> int:
        if part.kind == "front":
            return 1
        if part.kind == "back":
            return len(self.plan)
        if part.kind == "volume":
            return self._volume_part[part.number]
        return self.of_source[part.sources[0]]

    def data(self, part: Part, extra: dict) -> dict:
        data = {**super().data(part, extra), "volume": self.volume(part)}
        if part.kind == "back":  # the colophon names each source's volume and page
            data["toc"] = self.toc()
        if part.kind in ("front", "volume"):
            data["set"] = self.set_lines()
        return data

    def bodies(self) -> list[Part]:
        return [p for p in self.parts if p.kind == "body"]

    def settled(self) -> bool:
        return all(p.made_at is not None and p.made_at == p.start for p in self.bodies())

    def toc(self) -> dict[str, str]:
        return {t[0]: t[4] for p in self.bodies() if p.info for t in p.info["targets"]}

    def pages_of(self, k: int) -> str:
        """A volume's numbered pages, "121–250" (its roman front pages aside); "" before they are known."""
        if not self.settled():
            return ""
        mine = [p for p in self.bodies() if self.of_source[p.sources[0]] == k]
        first = 1 if k == 1 else mine[0].start
        last_part = self.parts[-1] if k == len(self.plan) and self.parts[-1].span else mine[-1]
        last = last_part.start + (last_part.span or 1) - 1
        return f"{first}–{last}"

    def set_lines(self) -> list[str]:
        lines = []
        for k, vol in enumerate(self.plan, start=1):
            pages = self.pages_of(k)
            holds = ("the introduction and " if k == 1 else "") + (
                f"source {self.index(vol[0])}" if len(vol) == 1 else
                f"sources {self.index(vol[0])}–{self.index(vol[-1])}")
            end = ", the glossary, the index and the colophon" if k == len(self.plan) else ""
            lines.append(f"Volume {k}{', pages ' + pages if pages else ''}: {holds}{end}"
                         f" (“{self.titles[vol[0]]}”{'' if len(vol) == 1 else ' to “' + self.titles[vol[-1]] + '”'}).")
        return lines

    def index(self, sid: str) -> int:
        """A source's number in the archive's order (1-based)."""
        if not hasattr(self, "_order"):
            self._order = {s.id: n for n, s in enumerate(self.archive.sources, start=1)}
        return self._order[sid]

    def volume_parts(self) -> list[Part]:
        """The title parts of volumes 2.., made once every other part is laid out."""
        parts, datas = [], []
        self._volume_part = {}
        toc = {t[0]: t[4] for p in self.bodies() for t in p.info["targets"]}
        for k in range(2, len(self.plan) + 1):
            part = Part("volume", len(self.parts) + k - 2)
            self._volume_part[part.number] = k
            parts.append(part)
            holds = [{"id": sid, "title": self.titles[sid], "page": toc.get(f"src-{sid}", "")} for sid in self.plan[k - 1]]
            datas.append(self.data(part, {"holds": holds, "pages": self.pages_of(k)}))
        if parts:
            self.make(parts, datas)
        return parts


def render(archive, folder: Path, plan: list[list[str]], out_dir: Path, fonts: list[str], standards: list[str],
           store=None, attach: tuple = (), staged=None) -> list[Volume]:
    """Lay out the book in parts, join each volume's parts into out_dir/<slug>-vol<k>.pdf; attach:
    files the join attaches to the book (builder/pdf_join.py Attached, where the join takes them),
    given to the last volume, which holds the back matter."""
    from .. import pdf_stream_join
    from ..pdf_join import Piece

    data = json.loads((folder / "archive.json").read_text("utf-8"))
    data.update(volumes=len(plan), volume_of=volume_of_labels(archive, plan))
    (folder / "archive.json").write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    book = VolumeBook(archive, folder, plan, fonts, standards, store, staged)
    with progress.step(f"PDF parts laid out ({len(book.parts)}, {len(plan)} volumes)"):
        book.lay_out()
        titles = book.volume_parts()
    if progress.verbose and not progress.quiet:
        progress._write(f"archive: {book.said()}\n")
    made = []
    bodies = book.bodies()
    with progress.step(f"PDF volumes joined ({len(plan)})"):
        for k, vol in enumerate(plan, start=1):
            parts = [book.parts[0] if k == 1 else titles[k - 2]]
            parts += [p for p in bodies if book.of_source[p.sources[0]] == k]
            if k == len(plan):
                parts.append(book.parts[-1])
            path = Path(out_dir) / volumes.file_name(archive.slug, k)
            # a volume's first page with an even number is a left-hand page: after an even number of
            # title pages, the blank page its part begins with is kept, so that it falls on a verso
            keep = {parts[1].number} if k > 1 and parts[1].pad and parts[0].pages % 2 == 0 else set()
            pieces = [Piece(p.path, p.pad and p.number not in keep,
                            {t[0]: (t[1], t[2], t[3], t[4]) for t in p.info["targets"]}) for p in parts]
            with atomic_path(path) as tmp:
                pdf_stream_join.join(pieces, tmp, archive.license, *((attach,) if attach and k == len(plan) else ()))
                label_pages(tmp, k)
            made.append(Volume(k, list(vol), path, placed(parts, keep)))
    return made


def label_pages(path: Path, number: int) -> None:
    """Every page label of a joined volume prefixed with its number ("2:" + "123"), written as an
    incremental update of the file's catalogue (PDF 1.7, 7.5.6: the catalogue again, an xref
    section for it, a trailer with /Prev): nothing the join wrote is rewritten or held in memory."""
    import re

    import pikepdf

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        labels = root.get("/PageLabels")
        nums = list(labels.Nums) if labels is not None and "/Nums" in labels else \
            [0, pikepdf.Dictionary(Type=pikepdf.Name.PageLabel, S=pikepdf.Name.D)]
        for k in range(1, len(nums), 2):
            nums[k].P = pikepdf.String(f"{number}:" + str(nums[k].get("/P", "")))
            before = nums[k - 2] if k >= 3 else None
            if "/S" not in nums[k] and before is not None and str(before.get("/S", "")) == "/r":
                # a blank page kept after the title pages (render): it goes on with their numbers
                nums[k].S = pikepdf.Name.r
                nums[k].St = int(before.get("/St", 1)) + int(nums[k - 1]) - int(nums[k - 3])
        root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(nums))
        number_of_root, body = root.objgen[0], root.unparse(resolved=True)
        trailer = pdf.trailer
        size = int(trailer.Size)
        info = b"/Info %d 0 R" % trailer.Info.objgen[0] if "/Info" in trailer else b""
        ids = b"/ID" + trailer.ID.unparse() if "/ID" in trailer else b""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 1024))
        prev = int(re.findall(rb"startxref\s+([0-9]+)", f.read())[-1])
    with open(path, "ab") as f:
        at = f.tell()
        f.write(b"%d 0 obj\n" % number_of_root + body + b"\nendobj\n")
        xref = f.tell()
        f.write(b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (number_of_root, at))
        f.write(b"trailer\n<</Size %d/Root %d 0 R%s%s/Prev %d>>\nstartxref\n%d\n%%%%EOF\n"
                % (size, number_of_root, info, ids, prev, xref))


def _landed(info: dict) -> list:
    """Where a part's labels landed, as other parts use it: (label, page, printed page)."""
    return [(t[0], t[1], t[4]) for t in info.get("targets", [])]


def _names_a_volume(path: Path) -> bool:
    """Whether a part's text holds a reference to another volume without its page ("(vol. 3)")."""
    import re
    import shutil

    tool = shutil.which("pdftotext")
    if tool is None:
        return True  # made again with the pages; kept only if nothing moved
    out = pdf_reading.finished(pdf_reading.pdftotext(tool, path)) or b""
    return re.search(r"\(vol\.\s*[0-9]+\)", out.decode("utf-8", "replace")) is not None


def placed(parts: list[Part], keep: set[int] = frozenset()) -> list[tuple]:
    """The page-map blocks of a volume's parts, with pages counted in the volume (keep: the parts
    whose leading blank page the volume keeps)."""
    out, offset = [], 0
    for part in parts:
        skip = 1 if part.pad and part.number not in keep else 0
        out += [(block, page + offset - skip, top) for block, page, top in part.blocks]
        offset += part.pages - skip
    return out


def read_back(made: list[Volume], archive, paginate: bool):
    """Each volume read back against its own sources (builder/verify_pdf.py), and the page map of
    the set (builder/pagemap.py), its pages in order across the volumes, labelled "volume:page".
    ({"pdf-vol<k>": path}, findings, PageMap or None), as the read-back of one PDF gives them (builder/build.py paginated_pdf)."""
    from dataclasses import replace

    from .. import inert, pagemap, verify_pdf

    editions, findings, pages = {}, [], []
    for vol in made:
        held = set(vol.sources)
        part = replace(archive, sources=tuple(s for s in archive.sources if s.id in held))
        inert.refuse_pdf(vol.path, part)
        with progress.step(f"PDF volume {vol.number} read back"):
            back = verify_pdf.read_back(vol.path, part)
        editions[f"pdf-vol{vol.number}"] = vol.path
        findings += back.findings
        if paginate and not back.findings:
            mapped = pagemap.compute(vol.path, part, vol.blocks, back.pages, back.page_starts)
            pages += [replace(p, index=len(pages) + i) for i, p in enumerate(mapped.pages)]
    if not paginate or findings:
        return editions, findings, None
    first, last = volumes.file_name(archive.slug, 1), volumes.file_name(archive.slug, len(made))
    source = (f"{archive.identifier} (PDF edition in {len(made)} volumes, {first} to {last}; "
              "pages labelled volume:page)")
    return editions, findings, pagemap.PageMap(tuple(pages), source)
