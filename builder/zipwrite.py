"""A zip written from entries compressed beforehand: the same bytes as `zipfile.ZipFile.writestr`
with `builder.output.zip_entry` and compresslevel LEVEL (tests/test_epub_sources.py), but an entry's
deflating can happen anywhere (in another process, in an earlier build: builder/cache.py) and
only its bytes are written here, in order.

    entry = zipwrite.entry("EPUB/text/a.xhtml", data, compress=True)   # deflated here and now
    with zipwrite.Writer(path, date) as z:
        z.add(entry)

Python's zipfile takes no precompressed data; this writer writes what it would: local header
(CRC and sizes known, no data descriptor), data, central directory, end record; ZIP64 where
zipfile would use it.
"""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
import zlib
from dataclasses import dataclass

from .output import zip_entry

LEVEL = 3  # the EPUB's deflate level (as zipfile.writestr(..., compresslevel=3)): at 10,000 sources, half the
# time of level 9 for 4% more bytes (docs/performance.md)
MODE = 0o644


@dataclass(frozen=True)
class Entry:
    name: str
    compressed: bool  # deflated (True) or stored
    crc: int
    size: int  # uncompressed
    data: bytes  # as written: deflated or stored

    def pack(self) -> bytes:
        head = self.name.encode("utf-8")
        return struct.pack("<IBIQI", len(head), self.compressed, self.crc, self.size, len(self.data)) + head + self.data

    @staticmethod
    def unpack(raw: bytes, at: int = 0) -> tuple["Entry", int]:
        n, compressed, crc, size, length = struct.unpack_from("<IBIQI", raw, at)
        at += struct.calcsize("<IBIQI")
        name = raw[at:at + n].decode("utf-8")
        at += n
        return Entry(name, bool(compressed), crc, size, raw[at:at + length]), at + length


def entry(name: str, data: str | bytes, compress: bool = True) -> Entry:
    """An entry made ready to write: data deflated as zipfile deflates it (raw deflate, LEVEL)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if compress:
        c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        packed = c.compress(raw) + c.flush()
    else:
        packed = raw
    return Entry(name, compress, zlib.crc32(raw), len(raw), packed)


def pack_all(entries: list[Entry]) -> bytes:
    return b"".join(e.pack() for e in entries)


def unpack_all(raw: bytes) -> list[Entry]:
    out, at = [], 0
    while at < len(raw):
        e, at = Entry.unpack(raw, at)
        out.append(e)
    return out


class Writer:
    """Entries written one after another to an open binary file (seekable or not).

    The headers are packed here, field by field, as zipfile packs them (the same bytes: tests/
    test_epub_sources.py): a zipfile.ZipInfo an entry cost about 40 µs, half a second of the
    build's own process at 10,000 sources (40,000 entries). An entry zipfile would write with
    ZIP64 fields, or whose name it would change (a NUL), is written through zipfile.ZipInfo."""

    def __init__(self, fp, date: dt.datetime):
        self.fp, self.date = fp, date
        self.central: list[tuple] = []  # what the central directory says of each entry
        self.names: set[str] = set()
        self.offset = 0
        d = max(date.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # as builder.output.zip_entry
        self.dosdate, self.dostime = (d[0] - 1980) << 9 | d[1] << 5 | d[2], d[3] << 11 | d[4] << 5 | (d[5] // 2)

    def add(self, e: Entry) -> None:
        if e.name in self.names:
            raise ValueError(f"zip entry {e.name} written twice")
        self.names.add(e.name)
        zip64 = e.size * 1.05 > zipfile.ZIP64_LIMIT  # as zipfile decides it
        if zip64 or "\0" in e.name or len(e.data) > zipfile.ZIP64_LIMIT:
            return self._add_as_zipfile(e, zip64)
        try:
            name, flags = e.name.encode("ascii"), 0
        except UnicodeEncodeError:
            name, flags = e.name.encode("utf-8"), 0x800  # zipfile's _MASK_UTF_FILENAME
        method = zipfile.ZIP_DEFLATED if e.compressed else zipfile.ZIP_STORED
        self.central.append((name, b"", flags, method, e.crc, len(e.data), e.size, self.offset,
                             zipfile.DEFAULT_VERSION, zipfile.DEFAULT_VERSION))
        self._write(struct.pack(zipfile.structFileHeader, zipfile.stringFileHeader, zipfile.DEFAULT_VERSION, 0,
                                flags, method, self.dostime, self.dosdate, e.crc, len(e.data), e.size,
                                len(name), 0) + name)
        self._write(e.data)

    def _add_as_zipfile(self, e: Entry, zip64: bool) -> None:
        info = zip_entry(e.name, self.date, MODE, e.compressed)
        info.file_size, info.compress_size, info.CRC, info.flag_bits = e.size, len(e.data), e.crc, 0
        info.header_offset = self.offset
        self._write(info.FileHeader(zip64))
        name, flags = info._encodeFilenameFlags()
        self.central.append((name, info.extra, flags, info.compress_type, info.CRC, info.compress_size,
                             info.file_size, info.header_offset, info.extract_version, info.create_version))
        self._write(e.data)

    def _write(self, data: bytes) -> None:
        self.fp.write(data)
        self.offset += len(data)

    def close(self) -> None:
        """The central directory and end record, as zipfile.ZipFile._write_end_record writes them."""
        start = self.offset
        attr = MODE << 16
        for name, extra_data, flags, method, crc, compress_size, file_size, header_offset, extract, create \
                in self.central:
            extra = []
            if file_size > zipfile.ZIP64_LIMIT or compress_size > zipfile.ZIP64_LIMIT:
                extra += [file_size, compress_size]
                file_size = compress_size = 0xffffffff
            if header_offset > zipfile.ZIP64_LIMIT:
                extra.append(header_offset)
                header_offset = 0xffffffff
            min_version = 0
            if extra:
                extra_data = struct.pack("<HH" + "Q" * len(extra), 1, 8 * len(extra), *extra) + extra_data
                min_version = zipfile.ZIP64_VERSION
            self._write(struct.pack(zipfile.structCentralDir, zipfile.stringCentralDir, max(min_version, create),
                                    3, max(min_version, extract), 0, flags, method,
                                    self.dostime, self.dosdate, crc, compress_size, file_size, len(name),
                                    len(extra_data), 0, 0, 0, attr, header_offset))
            self._write(name + extra_data)
        end = self.offset
        count, size, offset = len(self.central), end - start, start
        if count > zipfile.ZIP_FILECOUNT_LIMIT or offset > zipfile.ZIP64_LIMIT or size > zipfile.ZIP64_LIMIT:
            self._write(struct.pack(zipfile.structEndArchive64, zipfile.stringEndArchive64,
                                    44, 45, 45, 0, 0, count, count, size, offset))
            self._write(struct.pack(zipfile.structEndArchive64Locator, zipfile.stringEndArchive64Locator,
                                    0, end, 1))
            count, size, offset = min(count, 0xFFFF), min(size, 0xFFFFFFFF), min(offset, 0xFFFFFFFF)
        self._write(struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0, count, count,
                                size, offset, 0))
        self.fp.flush()
