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
