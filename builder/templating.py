"""Templates by loader order: the corpus's own templates/ first, the packaged defaults second."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt

AUTOESCAPE = ("xhtml", "html", "opf", "ncx", "xml", "svg")


def packaged_templates() -> Path:
    return Path(str(resources.files("builder.templates")))


@lru_cache(maxsize=8)
def environment(corpus_templates: Path | None = None) -> jinja2.Environment:
    loaders = []
    if corpus_templates and corpus_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(corpus_templates)))
    loaders.append(jinja2.FileSystemLoader(str(packaged_templates())))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=jinja2.select_autoescape(AUTOESCAPE),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    return env


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"xhtmlOut": True, "html": False, "typographer": False}).enable("table")


def markdown(text: str, inline: bool = False) -> str:
    """Editorial Markdown to XHTML (raw HTML in editorial text is escaped, not passed through)."""
    md = _markdown()
    html = md.renderInline(text) if inline else md.render(text)
    return html


def link_sources(html: str, source_ids: set[str], pattern: str) -> str:
    """Rewrite `href="#<source-id>"` (cross-references in notes) to the edition's own targets."""
    return re.sub(r'href="#([a-z][a-z0-9-]*)"',
                  lambda m: f'href="{pattern.format(id=m.group(1))}"' if m.group(1) in source_ids else m.group(0),
                  html)
