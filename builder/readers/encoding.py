"""Which encoding a received text is in, and its reading text.

`detect(data)` names the encoding of a text file as received: a byte-order mark decides
(UTF-8, UTF-16, UTF-32); text that is valid UTF-8 is UTF-8; anything else is asked of
charset-normalizer, a maintained detector. Of the encodings that decode the bytes to the
same text, the narrowest common one is named (Latin-1 before Windows-1252, Shift_JIS before
its Microsoft superset cp932): the text is the same, the name is the one an archivist knows.
The detection, its confidence and the alternatives that would read differently are recorded
in the source's provenance (`[received] encoding`), where an editor may correct it.

`reading_text(data, encoding)` is the text a reader sees: the bytes decoded, a byte-order
mark dropped. Line ends stay as received (CRLF, CR or LF: every reader takes each as a line
end), so that offsets into the reading text are code points of the decoded text. The bytes
as received are what is hashed, carried and deposited; this text is only read.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

BOMS = (  # longest first: a UTF-32-LE mark begins with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# Among encodings that give the same text, the first of these is named.
PREFERRED = ("utf-8", "iso-8859-1", "windows-1252", "big5", "shift_jis", "euc-kr", "gb2312", "euc-jp",
             "iso-8859-2", "windows-1250", "iso-8859-15", "koi8-r", "windows-1251", "gbk", "cp932",
             "cp949", "gb18030", "big5hkscs")
# Python's codec names -> the labels archivists (and the WHATWG Encoding Standard) use
LABELS = {codecs.lookup(name).name: name for name in (*PREFERRED, "utf-16", "utf-32", "us-ascii")}
TIE = (0.01, 0.02)  # detector results this close in chaos and coherence cannot be told apart


@dataclass(frozen=True)
class Detected:
    """An encoding named for received bytes, how it was found, and how sure."""

    encoding: str  # a label Python knows (codecs.lookup)
    how: str  # "byte-order mark" | "valid UTF-8" | "charset-normalizer 3.5.2"
    confidence: float  # 0..1
    alternatives: tuple[str, ...] = ()  # other encodings the detector considered that read differently


class NotText(ValueError):
    """The bytes are not text in any encoding the detector knows."""


def label(encoding: str) -> str:
    """The usual label of an encoding Python knows ('cp1252' -> 'windows-1252'); ValueError if unknown."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as e:
        raise ValueError(f"unknown encoding '{encoding}'") from e
    return LABELS.get(name, name)


def bom_of(data: bytes) -> str:
    """The encoding a byte-order mark at the start of data names; "" if none."""
    return next((enc for bom, enc in BOMS if data.startswith(bom)), "")


def reading_text(data: bytes, encoding: str) -> str:
    """The decoded text, byte-order mark dropped, line ends as received. UnicodeDecodeError if it does not decode."""
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


CONTROLS = frozenset(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1A, 0x1B}  # never in a text file


def source_text(data: bytes, source=None) -> str:
    """A text source's reading text, in the encoding its provenance records (UTF-8 when none)."""
    provenance = getattr(source, "provenance", None)
    return reading_text(data, getattr(provenance, "received_encoding", "") or "utf-8")


def detect(data: bytes) -> Detected:
    """Name the encoding of data (see the module's docstring). Raises NotText when nothing fits."""
    found = _detect(data)
    # the first 64 KiB (a character cut at its end is replaced, not an error)
    head = data[:65536].decode(found.encoding, "replace") if found.how != "byte-order mark" else ""
    if any(ord(c) in CONTROLS for c in head):
        raise NotText("it holds control characters no text file has: it is a binary file")
    return found


def _detect(data: bytes) -> Detected:
    bom = bom_of(data)
    if bom:
        try:
            data.decode(bom)
        except UnicodeDecodeError as e:
            raise NotText(f"it starts with a {bom.upper()} byte-order mark but is not {bom.upper()} "
                          f"(byte {e.start})") from e
        return Detected(bom, "byte-order mark", 1.0)
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
            return Detected("utf-8", "valid UTF-8", 1.0)
        except UnicodeDecodeError:
            pass
    return _detector(data)


def _detector(data: bytes) -> Detected:
    import charset_normalizer

    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise NotText("no text encoding reads it: it may be a binary file")
    # the detector cannot tell apart results this close: the most common encoding of them is named
    tied = [m for m in matches if m.chaos <= best.chaos + TIE[0] and m.coherence >= best.coherence - TIE[1]]
    best = min(tied, key=lambda m: _rank(label(m.encoding)))
    text = str(best)
    chosen = _narrowest(data, text, best.encoding)
    others = []
    for m in matches:
        name = label(m.encoding)
        if name != chosen and name not in others and _decodes_to(data, m.encoding) != text:
            others.append(name)
    version = getattr(charset_normalizer, "__version__", "")
    return Detected(chosen, f"charset-normalizer {version}".strip(), round(max(0.0, 1.0 - best.chaos), 2),
                    tuple(others))


def _rank(name: str) -> int:
    return PREFERRED.index(name) if name in PREFERRED else len(PREFERRED)


def _narrowest(data: bytes, text: str, found: str) -> str:
    for name in PREFERRED:
        if _decodes_to(data, name) == text:
            return name
    return label(found)


def _decodes_to(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
