"""What an edition may not contain: script, event handlers, forms, frames, or a reference that
loads or leaves to anything outside the book. `active(data, kind)` lists what it finds.

Every document the EPUB writer renders is scanned (builder/templating.render); a corpus
template that writes active content is refused (T108), naming the template. A page the tool
writes itself (builder/writers/epub_pages.py) is scanned by its parts (active_in_parts). The same scan
reads a written EPUB back in the tests (tests/test_hostile_content.py).
"""

from __future__ import annotations

import re
from contextlib import nullcontext

from lxml import etree

from .errors import ArchiveError, CorpusError, Problem
from .links import safe_href

ACTIVE_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
                   "button", "textarea", "select", "base", "portal", "handler", "listener", "foreignObject",
                   "audio", "video", "source", "track"}
URL_ATTRIBUTES = {"href", "src", "srcset", "poster", "action", "formaction", "data", "background", "cite",
                  "longdesc", "usemap", "manifest", "ping", "lowsrc", "dynsrc", "codebase", "archive", "icon"}
CSS_ACTIVE = re.compile(r"@import|url\s*\(|expression\s*\(|-moz-binding|behavior\s*:|javascript:", re.I)
SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def refuse_own(name: str, found: list[str], made: str = "written") -> None:
    """Active content in a page the tool itself made (its own templates or writers, from sanitised
    text): a fault of the tool, never of the corpus."""
    if found:
        raise ArchiveError(f"{name}: the {made} document holds active content ({'; '.join(dict.fromkeys(found))}); "
                           "this is a fault of the tool, please report it")

def active(data: str | bytes, kind: str) -> list[str]:
    """What is active in a document of the given kind ("xhtml", "svg", "css", other: nothing)."""
    if kind == "css":
        return [f"style sheet: {m.group(0)}" for m in CSS_ACTIVE.finditer(_text(data))]
    if kind not in ("xhtml", "svg"):
        return []  # the package files (OPF, NCX, container) are the tool's own: a corpus cannot replace them
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        root = etree.fromstring(raw, PARSER)
    except etree.XMLSyntaxError as e:
        return [f"not well-formed XML: {e}"]
    found: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            if isinstance(el, etree._ProcessingInstruction) and el.target == "xml-stylesheet":
                found.append("an xml-stylesheet instruction")
            continue
        # its local name (as etree.QName(el).localname)
        found += element_findings(el.tag.rpartition("}")[2], el.attrib, el.text, kind)
    return found


def element_findings(tag: str, attrib, text: str | None, kind: str) -> list[str]:
    """What is active in one element: its local name, its attributes (a mapping, as parsed), its text."""
    found: list[str] = []
    if tag in ACTIVE_ELEMENTS and not _inert_original(tag, attrib):
        found.append(f"<{tag}>")
    if tag == "meta" and (attrib.get("http-equiv") or "").lower() in ("refresh", "set-cookie", "content-security-policy"):
        found.append(f"<meta http-equiv=\"{attrib.get('http-equiv')}\">")
    if tag == "style" and CSS_ACTIVE.search(text or ""):
        found.append("<style> loading or running something")
    if tag in ("set", "animate") and (attrib.get("attributeName") or "").split(":")[-1] in ("href", "src"):
        found.append(f"<{tag}> changing a link")
    for name, value in attrib.items():
        local = name.rpartition("}")[2].lower()
        if local.startswith("on"):
            found.append(f"<{tag} {local}>")
        elif local == "style" and CSS_ACTIVE.search(value):
            found.append(f"<{tag} style=\"{value[:40]}\">")
        elif local in URL_ATTRIBUTES and not _inside_or_safe(tag, local, value, kind):
            found.append(f"<{tag} {local}=\"{value[:60]}\">")
    return found


# ---------------------------------------------------------------- a page written by the tool, by its parts

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
WRAPPER = ('<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">', "</div>")


def active_in_parts(page: str, fragments: list[str], elements: list[tuple[str, dict]], kind: str = "xhtml") -> list[str]:
    """active(page, kind) for a page the tool writes from constant markup, escaped values and markup
    fragments (builder/writers/epub_pages.py), without parsing the whole page: every element of it
    is either the tool's own (none active, tests/test_epub_pages.py) or inside a fragment. So the
    fragments are scanned (each alone: an unbalanced one is refused), and the tool's elements whose
    URL attributes hold a value of the corpus (given as elements: local name and attributes, the
    values unescaped) are judged by the same rules, after the white space a parser would normalise.
    A page with a character XML does not allow is scanned whole (it is not well-formed).
    docs/security.md, "The active-content scan"."""
    if NOT_XML.search(page):
        return active(page, kind)
    found = active(WRAPPER[0] + "".join(f"<div>{f}</div>" for f in fragments) + WRAPPER[1], kind) if fragments else []
    for tag, attributes in elements:
        found += element_findings(tag, {k: _normalised(v) for k, v in attributes.items()}, None, kind)
    return found


def _normalised(value: str) -> str:
    """An attribute's value as an XML parser gives it: line ends as one, then each white-space
    character a space."""
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ").replace("\t", " ")


# media types an <object> may show an original as: none of them runs (an HTML original is carried
# as application/octet-stream: describe.CARRIED_AS)
PASSIVE_TYPES = {"text/plain", "text/markdown", "message/rfc822", "application/pdf", "application/octet-stream",
                 "image/png", "image/jpeg", "image/gif", "image/tiff", "image/webp"}


def _inert_original(tag: str, el) -> bool:
    """The original-file page's <object>: an original inside the book (../originals/NAME), of a
    media type that does not run, with its fallback text inside (templates/epub/original.xhtml)."""
    data, kind = el.get("data") or "", (el.get("type") or "").lower()
    name = data[len("../originals/"):] if data.startswith("../originals/") else ""
    return (tag == "object" and bool(name) and "/" not in name and not name.startswith(".")
            and kind in PASSIVE_TYPES)


def _inside_or_safe(tag: str, attribute: str, value: str, kind: str) -> bool:
    """A link (a/@href) may go to a safe address or inside the book; anything else must be a
    path inside the book (no scheme, not absolute, not climbing out of EPUB/)."""
    if tag == "a" and attribute == "href" and kind in ("xhtml", "svg") and safe_href(value):
        return True
    if tag in ("blockquote", "q", "del", "ins") and attribute == "cite":
        return True  # not loaded, not followed
    if SCHEME.match(value) or value.startswith(("/", "\\")) or "\\" in value:
        return False
    depth = 1  # content documents are in EPUB/text/
    for part in value.split("#")[0].split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in ("", "."):
            depth += 1
    return True


def _text(data: str | bytes) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def kind_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


# ---------------------------------------------------------------- the PDF edition

PDF_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/ResetForm", "/GoToR", "/GoToE",
                      "/Rendition", "/Sound", "/Movie", "/RichMediaExecute", "/Hide", "/SetOCGState", "/Trans"}


def pdf_active(path, parts: list[str] | None = None, opened=None) -> list[str]:
    """What in a PDF could run or reach outside it: JavaScript, launch, form submission, remote
    go-to actions, open or additional actions, and URI actions to anything but http(s)/mailto.
    parts: for a book joined from parts (builder/pdf_stream_join.py), what this scan found in
    each part (builder/writers/pdf_parts.py Book.active): then only the book's own catalog is
    scanned here. The join adds no action: it writes the catalog, the page and outline roots and
    the trees that join the parts, and of the parts' objects it changes only numbers and replaces
    a placeholder link's URI action by an internal destination. opened: the PDF at path, open
    (pikepdf), for a caller that reads it for other checks too."""
    import pikepdf

    found: list[str] = []
    with pikepdf.open(path) if opened is None else nullcontext(opened) as pdf:
        root = pdf.Root
        for key in ("/OpenAction", "/AA", "/AcroForm"):
            if key in root:
                found.append(f"the document has {key}")
        names = root.get("/Names")
        if names is not None and "/JavaScript" in names:
            found.append("the document has /Names /JavaScript")
        if parts is not None:
            return found + list(parts)
        for obj in _dictionaries(pdf):
            if "/JS" in obj:
                found.append("a /JS entry")
            if "/AA" in obj:
                found.append("additional actions (/AA)")
            kind = _get(obj, "/S")
            if kind is None or not isinstance(kind, pikepdf.Name):
                continue
            if str(kind) in PDF_ACTIVE_ACTIONS:
                found.append(f"a {kind} action")
            elif str(kind) == "/URI":
                uri = bytes(obj.get("/URI", b"")).decode("latin-1") if "/URI" in obj else ""
                if not safe_href(uri) or uri.startswith("#"):
                    found.append(f"a link to «{uri[:60]}»")
    return found


ACTION_KEYS = ("/A", "/AA", "/Next", "/OpenAction") + tuple(
    f"/{k}" for k in ("O", "C", "K", "F", "V", "D", "U", "E", "X", "Fo", "Bl", "PO", "PC", "PV", "PI",
                      "WC", "WS", "DS", "WP", "DP"))  # where an action can be, and the triggers of /AA


def _dictionaries(pdf):
    """Every dictionary a viewer can act on: the catalog, each page and its annotations, each
    outline item, and every action reachable from them (/A, /AA and its triggers, /Next chains).
    (Walking every object of a long PDF, its structure tree included, costs seconds: the
    structure tree and the fonts hold no action a viewer runs.)"""
    import pikepdf

    containers = (pikepdf.Dictionary, pikepdf.Array)
    seen: set = set()
    todo = [pdf.Root]
    for page in pdf.pages:
        todo.append(page.obj)
        todo.extend(_get(page.obj, "/Annots") or [])
    outline = _get(pdf.Root, "/Outlines")
    stack = [_get(outline, "/First")] if isinstance(outline, pikepdf.Dictionary) else []
    while stack:  # outline items: /First of each, then /Next along
        item = stack.pop()
        if not isinstance(item, pikepdf.Dictionary) or (item.is_indirect and item.objgen in seen):
            continue
        seen.add(item.objgen) if item.is_indirect else None
        todo.append(item)
        stack.extend(x for x in (_get(item, "/First"), _get(item, "/Next")) if x is not None)
    seen.clear()
    while todo:
        obj = todo.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            todo.extend(v for v in obj if isinstance(v, containers))
        elif isinstance(obj, pikepdf.Dictionary):
            yield obj
            keys = obj.keys()
            todo.extend(v for key in ACTION_KEYS if key in keys and isinstance(v := obj[key], containers))


def _get(obj, key: str):
    """obj[key], or None where obj has no such key: looked up first (pikepdf's get() of a missing key
    raises and catches a C++ exception, about 1.9 µs against 0.2 µs: the scan asks of every
    dictionary it walks for some 26 keys it mostly lacks)."""
    return obj[key] if key in obj else None


def refuse_pdf(path, archive, parts: list[str] | None = None, opened=None, catalog: list[str] | None = None) -> None:
    """Refuse a PDF edition with anything active in it (pdf_active; parts: what the scan found in
    the parts of a book joined from parts; opened: the PDF, open; catalog: what pdf_active found
    in the book's catalogue, if it was read already): the corpus's own Typst templates made it
    (T108), or the tool did (a fault)."""
    found = catalog + parts if parts is not None and catalog is not None else pdf_active(path, parts, opened)
    if not found:
        return
    what = "; ".join(dict.fromkeys(found))
    own = corpus_typst(archive)
    if own:
        raise CorpusError([Problem("T108", own[0].parent, f"the corpus's Typst templates put active content in the "
                                   f"PDF edition: {what}", "link only to http:, https: or mailto: addresses; no "
                                   "actions, scripts or forms")])
    raise ArchiveError(f"{path.name}: the PDF edition holds active content ({what}); this is a fault of the tool")


def corpus_typst(archive) -> list:
    folder = archive.templates_dir / "pdf"
    return sorted(folder.glob("*.typ")) if folder.is_dir() else []


def typst_problem(archive, error) -> CorpusError | None:
    """A Typst error when the corpus brings its own Typst templates: a problem of the corpus (T109)."""
    own = corpus_typst(archive)
    if not own:
        return None
    return CorpusError([Problem("T109", own[0].parent, f"Typst could not make the PDF edition with the corpus's "
                                f"templates ({', '.join(p.name for p in own)}): {getattr(error, 'message', error)}",
                                "correct the template; a Typst template reads only the files of its build "
                                "folder (the data the edition gives it) and loads no package")])


# Typst fetches `@preview/...` packages from the network and reads `@local/...` packages from the
# user's data folder. The corpus's templates may import neither (T107, builder/templating.py); and
# while Typst runs, it is pointed at package folders inside its build folder and at a proxy that
# does not exist, so that nothing is fetched or read outside even if a check were missed.
OFFLINE_ENV = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
               "ALL_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
               "http_proxy": "http://127.0.0.1:9", "all_proxy": "http://127.0.0.1:9", "NO_PROXY": "", "no_proxy": ""}


def typst_packages(folder) -> dict:
    """Compiler arguments: package folders inside the build folder (empty)."""
    from pathlib import Path

    return {"package_path": str(Path(folder) / ".packages"), "package_cache_path": str(Path(folder) / ".cache")}


def offline():
    """The proxies pointed nowhere (OFFLINE_ENV) while the block runs: no package fetched."""
    from . import parallel
    return parallel.environ(OFFLINE_ENV)
