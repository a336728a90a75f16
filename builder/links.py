"""Links and images in what the editions show: only safe links, and no remote load.

A link becomes a link only if it is `http:`/`https:` (with a host), `mailto:`, or a fragment
(`#id`) inside the edition; anything else (`javascript:`, `data:`, `file:`, `vbscript:`, a
relative path that would leave the book) is shown as its text, with a warning naming the file
and line (L101 in provenance, L102 in editorial Markdown). An image in editorial Markdown (the
introduction, a note) must be a file of the corpus's `images/` folder, named `images/<name>`,
a PNG, JPEG or GIF (checked by its bytes) of at most IMAGE_BYTES, with a text alternative;
it is copied into the editions. Anything else is an error naming the file and line (L103-L107).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from .errors import Problem

SAFE_SCHEMES = ("http", "https", "mailto")
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
FRAGMENT = re.compile(r"#[A-Za-z][A-Za-z0-9_.:-]*\Z")
IMAGE_NAME = re.compile(r"images/([A-Za-z0-9][A-Za-z0-9_.-]*)\Z")
IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {  # magic bytes -> media type; the name's extension must agree
    b"\x89PNG\r\n\x1a\n": ("image/png", (".png",)),
    b"\xff\xd8\xff": ("image/jpeg", (".jpg", ".jpeg")),
    b"GIF87a": ("image/gif", (".gif",)),
    b"GIF89a": ("image/gif", (".gif",)),
}
# white space (\s is str.isspace), a control character (C0, DEL, C1) or a backslash: no link holds one
UNSAFE_CHARACTER = re.compile(r"[\s\x00-\x1f\x7f-\x9f\\]")
EDITORIAL_IMAGES = "images"  # the corpus folder editorial images come from; in the EPUB, EPUB/text/images/


def safe_href(href: str) -> str | None:
    """href if it may be a link in an edition, else None (the link is shown as text)."""
    if not isinstance(href, str) or not href or UNSAFE_CHARACTER.search(href):
        return None
    if href.startswith("#"):
        return href if FRAGMENT.match(href) else None
    m = SCHEME.match(href)
    if not m:
        return None  # a relative or absolute path: it would leave the book, or reach a file of the reader's
    scheme = m.group(1).lower()
    if scheme not in SAFE_SCHEMES:
        return None
    if scheme in ("http", "https"):
        try:
            parts = urlsplit(href)
        except ValueError:
            return None
        if not parts.netloc or not href[len(scheme) + 1:].startswith("//"):
            return None
    elif len(href) <= len("mailto:"):
        return None
    return href


def source_href(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute_filter for sources: an href stays only if it is an absolute safe link
    (a fragment or path in a received page points at nothing in the edition)."""
    if attribute == "href":
        return value if safe_href(value) and not value.startswith("#") else None
    return value


def markdown_rule(state) -> None:
    """markdown-it core rule: a link whose href is not safe becomes a span (its text kept)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        inert = False
        for token in block.children:
            if token.type == "link_open":
                inert = safe_href(str(token.attrGet("href") or "")) is None
                if inert:
                    token.tag, token.attrs = "span", {}
            elif token.type == "link_close" and inert:
                token.tag, inert = "span", False


# ---------------------------------------------------------------- checking, at load

@dataclass(frozen=True)
class Image:
    name: str  # as it is in the EPUB (EPUB/text/images/<name>) and in the PDF's build folder
    path: Path
    media_type: str


@dataclass(frozen=True)
class Place:
    """Where a piece of editorial Markdown is: its file, and the line its first line is on (or,
    for a note, the note's line, from which the body's line is found only when it is needed)."""

    path: Path
    first_line: int = 1
    what: str = ""
    note_line: int | None = None

    def line(self, offset: int) -> int:
        first = _body_line(self.path, self.note_line) if self.note_line is not None else self.first_line
        return first + offset


def check_markdown(text: str, place: Place, root: Path, problems: list[Problem], warnings: list[str],
                   images: dict[str, Image]) -> None:
    """Every link and image of editorial Markdown: unsafe links warned of, bad images refused."""
    if "[" not in text and "<" not in text:  # CommonMark has no link or image without one (not parsed:
        return                               # most notes have none, and 20,000 parses were 0.1 s a build)
    lines = text.splitlines()
    where = f" ({place.what})" if place.what else ""
    for block in _every_target().parse(text):
        for token in block.children or []:
            if token.type == "link_open":
                target = str(token.attrGet("href") or "")
                if safe_href(target) is None:
                    line = place.line(_line_of(lines, block.map, target))
                    warnings.append(str(Problem(
                        "L102", place.path, f"the link to «{_short(target)}»{where} is not a link the edition may "
                        "carry; it is shown as text", "link only to http:, https: or mailto: addresses, or to "
                        "#<source-id>", line)).replace("error L102", "warning L102"))
            elif token.type == "image":
                src = str(token.attrGet("src") or "")
                _check_image(src, token.content, place, lambda: place.line(_line_of(lines, block.map, src)), where, root,
                             problems, images)


@lru_cache(maxsize=1)
def _every_target() -> MarkdownIt:
    """The editorial parser, but keeping every link and image target (markdown-it drops some
    schemes silently; here they are seen, to be reported)."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.validateLink = lambda url: True
    return md


def _line_of(lines: list[str], span, target: str) -> int:
    """The line (0-based, within the text) that holds target in the block spanning span."""
    if not span:
        return 0
    a, b = span
    for i in range(a, min(b, len(lines))):
        if target and target in lines[i]:
            return i
    return a


def _check_image(src: str, alt: str, place: Place, line_of, where: str, root: Path,
                 problems: list[Problem], images: dict[str, Image]) -> None:
    """Append a problem if the image is not sound; line_of() gives its line (read only if needed)."""
    if (name := _sound_image(src, alt, root, images)) is None:
        return
    code, message, fix = name
    problems.append(Problem(code, place.path, message.format(src=src, where=where), fix, line_of()))


def _sound_image(src: str, alt: str, root: Path, images: dict[str, Image]) -> tuple[str, str, str] | None:
    """None if the image is sound (it is added to images); else (code, message, fix), the message
    with {src} and {where} to fill in."""
    m = IMAGE_NAME.match(src)
    if not m or ".." in src:
        return ("L103", f"the image «{_short(src).replace('{', '{{').replace('}', '}}')}»{{where}} is not a file "
                "of the corpus's images/ folder; an edition never loads anything from elsewhere",
                "copy the image into images/ in the corpus and write ![text](images/NAME)")
    name = m.group(1)
    path = root / EDITORIAL_IMAGES / name
    if path.is_symlink() or not path.is_file():
        return ("L104", "the image {src}{where} is not a file in " + str(root / EDITORIAL_IMAGES).replace("{", "{{")
                .replace("}", "}}"), "put the image there (a regular file, not a link), or correct the name")
    size = path.stat().st_size
    if size > IMAGE_BYTES:
        return ("L106", f"the image {{src}}{{where}} is {size:,} bytes; at most {IMAGE_BYTES:,} are carried",
                "reduce the image's size")
    with path.open("rb") as f:
        head = f.read(16)
    kind = next((v for magic, v in IMAGE_TYPES.items() if head.startswith(magic)), None)
    if kind is None or path.suffix.lower() not in kind[1]:
        found = f"a {kind[0]} named {path.suffix}" if kind else "not a PNG, JPEG or GIF"
        return ("L105", f"the image {{src}}{{where}} is {found} (read from its bytes)",
                "use a PNG, JPEG or GIF whose name ends as its type (.png, .jpg, .gif)")
    if not alt.strip():
        return ("L107", "the image {src}{where} has no text alternative",
                "describe the image between the brackets: ![what it shows](images/NAME)")
    images[name] = Image(name, path, kind[0])
    return None


def check_url(url: str, path: Path, line_of, warnings: list[str]) -> None:
    """Warn (L101) of an origin.url that is not a safe link; line_of() gives its line."""
    if url and safe_href(url) is None:
        warnings.append(str(Problem("L101", path, f"origin.url «{_short(url)}» is not an http:, https: or mailto: "
                                    "address; the editions show it as text, not as a link",
                                    "give the address the document was found at (http:// or https://)",
                                    line_of())).replace("error L101", "warning L101"))


def _short(s: str, width: int = 60) -> str:
    s = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)
    return s if len(s) <= width else s[: width - 1] + "…"


def check_archive(archive, problems: list[Problem], warnings: list[str]) -> tuple[Image, ...]:
    """The editorial matter of a loaded archive: its introduction, notes and provenance URLs.
    Returns the images the editions carry, in name order."""
    images: dict[str, Image] = {}
    root = archive.root
    check_markdown(archive.introduction, Place(root / "introduction.md"), root, problems, warnings, images)
    for source in archive.sources:
        if source.provenance.url:
            sidecar = source.path.with_suffix(".toml")
            check_url(source.provenance.url, sidecar, lambda: _line_in(sidecar, r"url\s*="), warnings)
        for note in source.notes:
            place = Place(source.notes_path or source.path, what=f"note {note.id}", note_line=note.line)
            check_markdown(note.body, place, root, problems, warnings, images)
    return tuple(images[k] for k in sorted(images))


def _line_in(path: Path, pattern: str, after: int = 0) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    rx = re.compile(rf"^\s*{pattern}")
    return next((i for i, t in enumerate(lines[after:], start=after + 1) if rx.match(t)), None)


def _body_line(path: Path, note_line: int) -> int:
    """The line a note's body text starts on in its notes file (the next one when `body` opens a multi-line string)."""
    at = _line_in(path, r"body\s*=", max(note_line - 1, 0))
    if at is None:
        return note_line or 1
    line = path.read_text(encoding="utf-8").splitlines()[at - 1]
    return at + 1 if re.search(r"=\s*(\"\"\"|''')\s*$", line) else at


def images_of(archive) -> tuple[Image, ...]:
    """The images the editions carry (the archive was checked at load: these are sound)."""
    if archive.images is not None:  # found by the check at load (builder/corpus.py)
        return archive.images
    return check_archive(archive, [], [])


PDF_FOLDER = "editorial-images"  # in the PDF's build folder (images/ there holds the sources' images)


def stage_images(archive, folder: Path) -> None:
    """Copy the editorial images into the PDF's build folder (editorial-images/NAME), where Typst reads them."""
    images = images_of(archive)
    if images:
        (Path(folder) / PDF_FOLDER).mkdir(exist_ok=True)
    for image in images:
        (Path(folder) / PDF_FOLDER / image.name).write_bytes(image.path.read_bytes())


def pdf_image(src: str, alt: list) -> dict:
    """The PDF node of an editorial image (checked at load: images/NAME, with a text alternative)."""
    text = "".join(a for a in alt if isinstance(a, str))
    if (m := IMAGE_NAME.match(src)) and ".." not in src:
        return {"t": "img", "src": f"{PDF_FOLDER}/{m.group(1)}", "alt": text}
    return {"t": "span", "c": alt}
