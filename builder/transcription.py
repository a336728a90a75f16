"""Machine transcription of a scan (OCR, by Tesseract), made once and stored in the corpus.

`transcribe(data, media_type, language, progress)` runs the `tesseract` command on each page
image (builder.facsimile) and gives a `Transcription`: the text of each page and the mean word
confidence. It is stored beside the original as `sources/<id>.transcription.txt` (UTF-8; pages
separated by a line holding only a form feed, "\\f"), and how it was made goes in the source's
provenance as a `[transcription]` table (builder.transcribe). Builds never run OCR: they read the
stored file, so they stay fast and reproducible.

The reading text of a scan is the stored file's text with each form feed read as a line end:
the same length, so a note's position in the file is its position in the reading text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import EXIT_VALIDATOR, ArchiveError

ENGINE = "tesseract"
PAGE_SEPARATOR = "\n\f\n"
SUFFIX = ".transcription.txt"
PAGE_TIMEOUT = 300  # seconds for one page: a pathological image cannot hang `archive add`
LANGUAGE = re.compile(r"[a-z]{3}(_[a-z]+)?(\+[a-z]{3}(_[a-z]+)?)*\Z")


class OcrUnavailable(ArchiveError):
    """Tesseract, or its data for the language asked for, is not installed, or it failed: like a
    validator that cannot run, exit status 3."""

    exit_code = EXIT_VALIDATOR


@dataclass(frozen=True)
class Transcription:
    pages: tuple[str, ...]
    mean_confidence: float  # 0-100, mean of Tesseract's word confidences; 0.0 when no word was read
    engine_version: str
    language: str

    @property
    def file_text(self) -> str:
        """What is stored in <id>.transcription.txt."""
        return PAGE_SEPARATOR.join(self.pages) + "\n"


def reading_text(file_text: str) -> tuple[str, tuple[int, ...]]:
    """The reading text of a stored transcription and where each page begins in it."""
    text = file_text.replace("\f", "\n")
    starts = [0] + [m.end() for m in re.finditer("\n?\f\n?", file_text)]
    return text, tuple(starts)


def engine_version() -> str:
    """Tesseract's version ("5.3.0"); OcrUnavailable when it is not installed."""
    exe = shutil.which(ENGINE)
    if exe is None:
        raise OcrUnavailable("the `tesseract` command is not installed (Debian: apt-get install tesseract-ocr "
                             "tesseract-ocr-eng; ./run setup installs them)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    first = (out.stdout or out.stderr).strip().splitlines()[:1]
    found = re.search(r"(\d+\.\d+(\.\d+)?)", first[0]) if first else None
    return found.group(1) if found else "unknown"


def languages() -> tuple[str, ...]:
    exe = shutil.which(ENGINE)
    if exe is None:
        return ()
    out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
    return tuple(line.strip() for line in out.stdout.splitlines()[1:] if line.strip())


def transcribe(data: bytes, media_type: str, language: str = "eng",
               progress: Callable[[int, int], None] | None = None) -> Transcription:
    """OCR every page of a scan (an image, or a PDF without a text layer)."""
    from . import facsimile

    version = engine_version()
    missing = [lang for lang in language.split("+") if lang not in languages()]
    if missing:
        raise OcrUnavailable(f"Tesseract has no data for {', '.join(missing)} (Debian: apt-get install "
                             + " ".join(f"tesseract-ocr-{m.replace('_', '-').lower()}" for m in missing) + ")")
    total = facsimile.count(data, media_type)
    pages, confidences = [], []
    with tempfile.TemporaryDirectory(prefix="archive-ocr-") as tmp:
        for n, image in enumerate(facsimile.page_images(data, media_type), 1):
            if progress:
                progress(n, total)
            text, words = ocr_page(image, language, Path(tmp))
            pages.append(text)
            confidences += words
    mean = round(sum(confidences) / len(confidences), 1) if confidences else 0.0
    return Transcription(tuple(pages), mean, version, language)


def ocr_page(image, language: str, folder: Path) -> tuple[str, list[float]]:
    """One page: its text (Tesseract's layout, trailing spaces and blank edges removed) and the
    confidence of each word read."""
    png = folder / "page.png"
    image.save(png, format="PNG")
    base = folder / "page"
    try:
        subprocess.run([ENGINE, str(png), str(base), "-l", language, "--psm", "3", "-c", "page_separator=",
                        "txt", "tsv"], capture_output=True, check=True, timeout=PAGE_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        raise OcrUnavailable(f"Tesseract took more than {PAGE_TIMEOUT} s on one page: stopped") from e
    except subprocess.CalledProcessError as e:
        raise OcrUnavailable(f"Tesseract failed: {e.stderr.decode('utf-8', 'replace').strip()}") from e
    text = (folder / "page.txt").read_text(encoding="utf-8")
    text = "\n".join(line.rstrip() for line in text.replace("\f", "").split("\n")).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)  # a form feed can then only be a page separator
    return text, _word_confidences((folder / "page.tsv").read_text(encoding="utf-8"))


def _word_confidences(tsv: str) -> list[float]:
    found = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) >= 12 and cells[0] == "5" and cells[11].strip():
            try:
                conf = float(cells[10])
            except ValueError:
                continue
            if conf >= 0:
                found.append(conf)
    return found


def character_accuracy(reference: str, transcribed: str) -> float:
    """1 - (edit distance / length of reference), on texts with runs of white space made one space."""
    a, b = " ".join(reference.split()), " ".join(transcribed.split())
    if not a:
        return 1.0 if not b else 0.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return max(0.0, 1 - previous[-1] / len(a))
