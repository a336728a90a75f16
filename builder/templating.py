"""Templates by loader order: the corpus's own templates/ first, the packaged defaults second.

A corpus's templates come from whoever made the corpus, so every template is rendered in
jinja2's ImmutableSandboxedEnvironment (no attribute starting with `_`, no call of an unsafe
function, no change to the data passed in) and within a budget: at most RENDER_SECONDS of
work, RENDER_BYTES of output, and no `*`/`**` whose result is larger than BINOP_LIMIT.
A corpus template that breaks a rule is a problem of the corpus (T103-T106, naming the
template and its line), never a traceback. The files that make the package (the OPF, the
container, the navigation documents) cannot be replaced by a corpus (T101): the editions'
structure, and what the read-back checks rely on, stay the tool's own.
"""

from __future__ import annotations

import operator
import re
import signal
import threading
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2
import jinja2.sandbox
from markdown_it import MarkdownIt

from .errors import CorpusError, Problem

AUTOESCAPE = ("xhtml", "html", "opf", "ncx", "xml", "svg")
PACKAGE_FILES = ("epub/package.opf", "epub/container.xml", "epub/nav.xhtml", "epub/toc.ncx")
RENDER_SECONDS = 60  # per template rendered
RENDER_BYTES = 256 * 1024 * 1024  # output of one template rendered
BINOP_LIMIT = 1_000_000  # items or characters a `*` or `**` in a template may make


def packaged_templates() -> Path:
    return Path(str(resources.files("builder.templates")))


class Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, with `*` and `**` bounded (a template cannot ask for a
    billion-character string or a number of a million digits)."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator_: str, left, right):
        if operator_ == "**":
            if isinstance(right, (int, float)) and abs(right) > 64 and isinstance(left, (int, float)) \
                    and abs(left) > 1:
                raise Budget(f"the power {left!r} ** {right!r} is larger than a template may compute")
            return operator.pow(left, right)
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple, bytes)) and isinstance(n, int) and len(seq) * n > BINOP_LIMIT:
                raise Budget(f"`*` would make {len(seq) * n:,} items; a template may make at most {BINOP_LIMIT:,}")
        return operator.mul(left, right)


class Budget(jinja2.sandbox.SecurityError):
    """A template asked for more work or output than a template may have."""


def environment(corpus_templates: Path | None = None) -> jinja2.Environment:
    """The templates of a corpus (its own first, then the tool's). Made again when the corpus's
    templates/ changes (a file added, removed or rewritten), so that a process that builds more
    than once (`archive preview`, the tests) never renders with templates that are gone."""
    return _environment(corpus_templates, _listing(corpus_templates))


def _listing(folder: Path | None) -> tuple:
    if not folder or not folder.is_dir():
        return ()
    out = []
    for path in sorted(folder.rglob("*")):
        try:
            st = path.lstat()
        except OSError:
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


@lru_cache(maxsize=8)
def _environment(corpus_templates: Path | None, listing: tuple) -> jinja2.Environment:
    loaders = []
    if corpus_templates and corpus_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(corpus_templates), followlinks=False))
    loaders.append(jinja2.FileSystemLoader(str(packaged_templates())))
    # the tool's own templates alone are the tool's code, not the corpus's: rendered without the
    # sandbox's checks on every attribute and call (the same output; a third less time a page)
    kind = Sandbox if len(loaders) > 1 else jinja2.Environment
    env = kind(loader=jinja2.ChoiceLoader(loaders), autoescape=jinja2.select_autoescape(AUTOESCAPE),
               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
               undefined=jinja2.StrictUndefined, auto_reload=len(loaders) > 1)
    return env


def is_corpus_template(env: jinja2.Environment, filename: str | None) -> bool:
    return bool(filename) and not Path(filename).resolve().is_relative_to(packaged_templates().resolve())


def render(env: jinja2.Environment, name: str, **context) -> str:
    """Render template `name` within the sandbox and its budget. A corpus template that breaks a
    rule raises CorpusError naming the template file and line; a packaged one, the error itself."""
    filename = None
    try:
        template = env.get_template(name)
        filename = template.filename
        if _corpus_folder(env) is None:  # the tool's own templates alone: rendered whole (faster), then measured
            with time_budget(RENDER_SECONDS, name):
                text = template.render(**context)
            if len(text) > RENDER_BYTES:
                raise Budget(f"the template writes more than {RENDER_BYTES // (1024 * 1024)} MiB")
        else:  # a corpus's templates: stopped as soon as they write more than their budget
            out, size = [], 0
            with time_budget(RENDER_SECONDS, name):
                for chunk in template.generate(**context):
                    size += len(chunk)
                    if size > RENDER_BYTES:
                        raise Budget(f"the template writes more than {RENDER_BYTES // (1024 * 1024)} MiB")
                    out.append(chunk)
            text = "".join(out)
    except (jinja2.TemplateError, RecursionError, TypeError, ValueError, AttributeError, KeyError,
            IndexError, ZeroDivisionError, OverflowError, MemoryError) as e:
        where, line = _template_place(e, env, filename)
        if where is None:
            raise
        raise CorpusError([_problem(e, where, line)]) from None
    refuse_active(env, name, filename, text)
    return text


def refuse_active(env: jinja2.Environment, name: str, filename: str | None, text: str) -> None:
    """Nothing rendered may hold script, a handler, a form or a remote reference (builder/inert.py)."""
    from . import inert

    found = inert.active(text, inert.kind_of(name))
    if not found:
        return
    what = "; ".join(dict.fromkeys(found))
    own = _corpus_folder(env)
    if own is None:  # the tool's own templates and sanitised text: a fault of the tool
        inert.refuse_own(name, found, "rendered")
    where = Path(filename) if filename and is_corpus_template(env, filename) else own
    raise CorpusError([Problem("T108", where, f"rendering {name} writes active content into the edition: {what}",
                               "a template of the edition may lay out text and links; not script, handlers, "
                               "forms, frames or anything loaded from outside the book")])


def _corpus_folder(env: jinja2.Environment) -> Path | None:
    loaders = getattr(env.loader, "loaders", [])
    if len(loaders) > 1:
        return Path(loaders[0].searchpath[0])
    return None


def _problem(e: BaseException, where: Path, line: int | None) -> Problem:
    if isinstance(e, Budget):
        return Problem("T105", where, f"the template is over its budget: {e}",
                       "a template lays out the data it is given; do the work in the corpus's data instead",
                       line)
    if isinstance(e, jinja2.sandbox.SecurityError):
        return Problem("T104", where, f"the template tried something a corpus template may not do: {e}",
                       "templates may use the data they are given, filters and tests; not Python internals",
                       line)
    if isinstance(e, jinja2.TemplateSyntaxError):
        return Problem("T102", where, f"template syntax error: {e.message}",
                       "correct the jinja2 syntax at that line", line)
    if isinstance(e, RecursionError):
        return Problem("T105", where, "the template recurses without end (a macro or include calling itself)",
                       "make the recursion stop", line)
    return Problem("T103", where, f"the template could not be rendered: {type(e).__name__}: {e}",
                   "use only the fields documented in docs/corpus-format.md (Templates)", line)


def _template_place(e: BaseException, env: jinja2.Environment, filename: str | None) -> tuple[Path | None, int | None]:
    """The corpus template (and line) where e arose, from the traceback; None if not a corpus template."""
    if isinstance(e, jinja2.TemplateSyntaxError) and e.filename and is_corpus_template(env, e.filename):
        return Path(e.filename), e.lineno
    found: tuple[Path | None, int | None] = (None, None)
    tb = e.__traceback__
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if f.endswith((".xhtml", ".xml", ".opf", ".ncx", ".svg", ".css", ".html")) and is_corpus_template(env, f):
            found = (Path(f), tb.tb_lineno)
        tb = tb.tb_next
    if found[0] is None and filename and is_corpus_template(env, filename):
        return Path(filename), None
    return found


@contextmanager
def time_budget(seconds: float, name: str):
    """Stop the work inside after `seconds` (a Budget error). Only the main thread can set an
    alarm; elsewhere the work is not timed (the other limits still hold)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise Budget(f"rendering {name} took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    old_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, *old_timer) if old_timer[0] else signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- the corpus's templates, at load

CSS_ACTIVE = re.compile(r"@import|url\s*\(|expression\s*\(|-moz-binding|behavior\s*:|javascript:|\\", re.I)
TYPST_FORBIDDEN = re.compile(r"\bplugin\s*\(|\b(import|include)\b(?!\s+\"[^\"@/\\:][^\"\\:]*\"\s*(:|$|\n|;|\)))")


def check_corpus_templates(root: Path) -> list[Problem]:
    """Every problem of the corpus's own templates/ that can be seen before rendering."""
    folder = Path(root) / "templates"
    if not folder.is_dir() or folder.is_symlink():
        return []
    problems: list[Problem] = []
    env = environment(folder)
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        name = path.relative_to(folder).as_posix()
        if name in PACKAGE_FILES:
            problems.append(Problem("T101", path, f"a corpus cannot replace {name}: the package files are the tool's own",
                                    f"remove {path}; change the look with templates/epub/edition.css and the "
                                    "content documents' templates"))
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            if name.startswith("pdf/fonts/"):
                continue
            problems.append(Problem("T103", path, "the template is not valid UTF-8", "save it as UTF-8"))
            continue
        if name.startswith("epub/"):
            try:
                env.parse(text, name, str(path))
            except jinja2.TemplateSyntaxError as e:
                problems.append(Problem("T102", path, f"template syntax error: {e.message}",
                                        "correct the jinja2 syntax at that line", e.lineno))
        if name.endswith(".css"):
            problems += _active_lines(path, text, CSS_ACTIVE, "T106",
                                      "a style sheet of the edition may not load anything or run anything ({})",
                                      "remove it: the EPUB loads no other file, no font and no image from CSS")
        if name.startswith("pdf/") and name.endswith(".typ"):
            problems += _active_lines(path, text, TYPST_FORBIDDEN, "T107",
                                      "a Typst template of a corpus may not load packages or plugins ({})",
                                      "import only the edition's own .typ files, by a plain relative name")
    return problems


def _active_lines(path: Path, text: str, pattern: re.Pattern, code: str, message: str, fix: str) -> list[Problem]:
    by_line: dict[int, list[str]] = {}
    for m in pattern.finditer(text):
        by_line.setdefault(text.count("\n", 0, m.start()) + 1, []).append(m.group(0).strip())
    return [Problem(code, path, message.format(", ".join(f"«{f}»" for f in dict.fromkeys(found))), fix, line)
            for line, found in by_line.items()]


# ---------------------------------------------------------------- editorial Markdown

@lru_cache(maxsize=2)
def _markdown(typographic: bool = False) -> MarkdownIt:
    """The editor's Markdown parser; typographic: with the editor's quotes and dashes made
    typographic (builder/typography.py) as the PDF makes them, for the editions that render
    Markdown to XHTML (EPUB, web)."""
    from . import links  # links are made safe in the parse itself, so both editions get the same tree

    md = MarkdownIt("commonmark", {"xhtmlOut": True, "html": False, "typographer": False}).enable("table")
    md.core.ruler.push("safe_links", links.markdown_rule)
    if typographic:
        md.core.ruler.push("editorial_typography", _typographic_rule)
    return md


def _typographic_rule(state) -> None:
    """typography.editorial over each block's text, in reading order; code is left alone and each
    paragraph, heading, list item or table cell starts afresh (as typography.tree does)."""
    from . import typography

    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        quoting = typography.Quoting()
        for child in token.children:
            if child.type == "text":
                child.content = typography.editorial(child.content, quoting)
            elif child.type in ("softbreak", "hardbreak"):
                quoting.before = "\n"


def markdown(text: str, inline: bool = False) -> str:
    """Editorial Markdown to XHTML (raw HTML in editorial text is escaped, not passed through), with
    typographic quotes and dashes in the editor's own words (quotations left exact)."""
    md = _markdown(typographic=True)
    html = md.renderInline(text) if inline else md.render(text)
    return html


def link_sources(html: str, source_ids: set[str], pattern: str) -> str:
    """Rewrite `href="#<source-id>"` (cross-references in notes) to the edition's own targets; a
    fragment that names no source points at nothing in the edition: its link is made inert. A
    reference to the register (`#register:ID`, builder/register.py) is kept for the edition to point."""
    return re.sub(r' href="#([^"]*)"',
                  lambda m: f' href="{pattern.format(id=m.group(1))}"' if m.group(1) in source_ids
                  else m.group(0) if m.group(1).startswith("register:") else "",
                  html)

