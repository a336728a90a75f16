"""Property tests (Hypothesis) of the link rules (docs/security.md, "Links"): whatever a corpus
writes as a link target, in editorial Markdown or in a provenance URL, what reaches an edition
is a safe link or no link at all. Derandomised: the same cases on every run."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from builder import inert, links, templating

SCHEMES = ["javascript", "JavaScript", "vbscript", "data", "file", "http", "https", "mailto", "ftp", "blob",
           "about", "jar", "ms-its", "x", ""]
TEXT = st.characters(blacklist_categories=("Cc", "Cs"))  # control characters: docs/characters.md
PIECES = st.sampled_from(["/", "//", "..", "#", ":", "\\", "%0a", "%09", "\t", "\n", " ", "\u200b",
                          "&#x6a;", "&colon;", "alert(1)", "example.org", "@", "?", "=", "'", '"', "<", ">",
                          "(", ")", "[", "]"])
TARGETS = st.builds(lambda scheme, sep, rest: scheme + sep + "".join(rest), st.sampled_from(SCHEMES),
                    st.sampled_from([":", "://", ":/", "", "&#58;", "%3a"]), st.lists(PIECES | st.text(TEXT, max_size=4),
                                                                                  max_size=8))
SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None)


@SETTINGS
@given(st.one_of(TARGETS, st.text(max_size=40)))
def test_safe_href_passes_only_safe_links(target):
    got = links.safe_href(target)
    if got is not None:
        assert got == target
        assert re.match(r"(https?://[^/\s]|mailto:.|#[A-Za-z])", target, re.I)
        assert not any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in target)


@SETTINGS
@given(TARGETS)
def test_editorial_markdown_never_makes_an_unsafe_link(target):
    for markdown in (f"[text]({target})", f"[text](<{target}>)", f"<{target}>", f"[text][r]\n\n[r]: {target}\n"):
        html = templating.link_sources(templating.markdown(markdown), {"letter"}, "{id}.xhtml")
        doc = f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{html}</body></html>'
        root = etree.fromstring(doc.encode())
        for a in root.iter("{http://www.w3.org/1999/xhtml}a"):
            href = a.get("href")
            assert href is None or links.safe_href(href) or href == "letter.xhtml", (markdown, href)
        assert not root.xpath("//*[local-name()='img']")
        assert inert.active(doc, "xhtml") == [], markdown


def _targets(tokens):
    """Every link and image target the editorial check's parser finds (builder/links.py)."""
    out = []
    for block in tokens:
        for token in block.children or []:
            if token.type in ("link_open", "image"):
                out.append(token.type)
    return out


@SETTINGS
@given(st.lists(PIECES | st.sampled_from(["!", "](", "http://example.org", "www.example.org", "mailto:a@b.c",
                                          "\\", "`", "*", "|", "-", "\n\n", "    ", "&lbrack;", "&#91;", "&lt;"])
                | st.text(TEXT, max_size=6), max_size=20))
def test_markdown_without_bracket_or_angle_has_no_link_to_check(pieces):
    """links.check_markdown does not parse a text with no '[' and no '<' (no link or image can be
    in it): the parser it would run finds none in any such text."""
    text = "".join(pieces)
    if "[" in text or "<" in text:
        text = text.replace("[", "(").replace("<", "(")
    assert _targets(links._every_target().parse(text)) == [], text


def test_markdown_check_still_reads_a_link(tmp_path):
    """The shortcut above leaves a text with a link to the parser: an unsafe link is warned of."""
    warnings: list[str] = []
    links.check_markdown("see [this](javascript:alert(1))", links.Place(tmp_path / "a.md"), tmp_path, [], warnings, {})
    assert any("L102" in w for w in warnings), warnings
    warnings.clear()
    links.check_markdown("see <javascript:alert(1)>", links.Place(tmp_path / "a.md"), tmp_path, [], warnings, {})
    assert any("L102" in w for w in warnings), warnings
