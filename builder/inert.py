"""What an edition may not contain: script, event handlers, forms, frames, or a reference that
loads or leaves to anything outside the book. `active(data, kind)` lists what it finds.

Every document the EPUB writer renders is scanned (builder/templating.render); a corpus
template that writes active content is refused (T108), naming the template. The same scan
reads a written EPUB back in the tests (tests/test_hostile_content.py).
"""

from __future__ import annotations

import re

from lxml import etree

from .links import safe_href

ACTIVE_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
                   "button", "textarea", "select", "base", "portal", "handler", "listener", "foreignObject",
                   "audio", "video", "source", "track"}
URL_ATTRIBUTES = {"href", "src", "srcset", "poster", "action", "formaction", "data", "background", "cite",
                  "longdesc", "usemap", "manifest", "ping", "lowsrc", "dynsrc", "codebase", "archive", "icon"}
CSS_ACTIVE = re.compile(r"@import|url\s*\(|expression\s*\(|-moz-binding|behavior\s*:|javascript:", re.I)
SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


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
        tag = etree.QName(el).localname
        if tag in ACTIVE_ELEMENTS:
            found.append(f"<{tag}>")
        if tag == "meta" and (el.get("http-equiv") or "").lower() in ("refresh", "set-cookie", "content-security-policy"):
            found.append(f"<meta http-equiv=\"{el.get('http-equiv')}\">")
        if tag == "style" and CSS_ACTIVE.search(el.text or ""):
            found.append("<style> loading or running something")
        if tag in ("set", "animate") and (el.get("attributeName") or "").split(":")[-1] in ("href", "src"):
            found.append(f"<{tag}> changing a link")
        for name, value in el.attrib.items():
            local = etree.QName(name).localname.lower()
            if local.startswith("on"):
                found.append(f"<{tag} {local}>")
            elif local == "style" and CSS_ACTIVE.search(value):
                found.append(f"<{tag} style=\"{value[:40]}\">")
            elif local in URL_ATTRIBUTES and not _inside_or_safe(tag, local, value, kind):
                found.append(f"<{tag} {local}=\"{value[:60]}\">")
    return found


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
