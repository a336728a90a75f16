"""The editor's commands: `archive init`, `archive status`, `archive cite`, `archive preview`.
Thin over builder.init, builder.status, builder.citation and builder.preview."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli_run import run

CORPUS = click.argument("corpus", type=click.Path(path_type=Path), default=Path("corpus"), required=False)


@click.command()
@click.argument("folder", type=click.Path(path_type=Path), default=Path("corpus"), required=False)
@click.option("--title", default="", help="The archive's title (default: \"Untitled archive\").")
@click.option("--editor", default="", help="The editor's name (default: \"The editors\").")
@click.option("--language", default="en", show_default=True, help="Language of the editorial matter (BCP 47).")
@click.option("--publisher", default="", help="Publisher (default: the editor).")
@click.option("--licence", default="cc-by-4.0", show_default=True,
              type=click.Choice(["cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc0-1.0"]),
              help="Licence of the editorial matter, named with its URI in `rights`.")
def init(folder: Path, title: str, editor: str, language: str, publisher: str, licence: str) -> None:
    """Make a new corpus in FOLDER (default ./corpus): a commented archive.toml with a fresh
    identifier and today's date, an introduction to write, and an empty sources/.

    FOLDER must be new or empty: init never writes over anything (exit 2, nothing written).

    \b
    Example:
      archive init letters-1921 --title "Letters of 1921" --editor "A. Editor"
      archive add ~/received/*.txt --corpus letters-1921
      archive status letters-1921
    """
    from . import init as init_

    made = run(lambda: init_.init(folder, title, editor, language, publisher, licence))
    for path in made.files:
        click.echo(f"wrote {path}{'/' if path.name == 'sources' else ''}")
    click.echo(f"identifier {made.identifier}")
    click.echo("Next: edit archive.toml and introduction.md, then add the documents:\n"
               f"  archive add FILE... --corpus {folder}\n  archive status {folder}")


@click.command()
@CORPUS
@click.option("--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="The output folder: its editions and last deposit are compared with the corpus.")
@click.option("--strict", is_flag=True, help="Exit 1 when anything is incomplete.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(corpus: Path, out: Path, strict: bool, as_json: bool) -> None:
    """Show what CORPUS still lacks before its next edition: for each source, what its provenance
    record lacks (placeholders, unknown rights, no date, a title the tool derived) and its notes
    (how many, how many cannot be placed); for the archive, a subtitle or description that no
    longer matches the number of sources, and an identifier or date unchanged since the last
    deposit although the content changed.

    Exit status: 0 (with --strict: 0 only when nothing is incomplete, else 1); 2 the corpus does
    not load (its problems are listed).

    \b
    Example:
      archive status
      archive status my-corpus --strict --json
    """
    from . import status as status_

    found = run(lambda: status_.status(corpus, out))
    click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False) if as_json else found.text(), nl=as_json)
    sys.exit(1 if strict and not found.complete else 0)


@click.command()
@click.argument("target", required=False, metavar="[SOURCE-ID[#NOTE-ID]]")
@click.option("--edition", is_flag=True, help="Cite the edition as a whole (the default without TARGET).")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=Path("corpus"), show_default=True,
              help="The corpus.")
@click.option("--format", "fmt", type=click.Choice(["text", "csl-json", "bibtex", "ris"]), default="text",
              show_default=True, help="Citation format.")
def cite(target: str | None, edition: bool, corpus_dir: Path, fmt: str) -> None:
    """Print the citation of the edition, of a source in it (SOURCE-ID), or of a note's passage
    (SOURCE-ID#NOTE-ID), from the records the editions and the deposit are made from.

    \b
    Example:
      archive cite --edition --format bibtex
      archive cite butler-letter-to-jlm
      archive cite "butler-letter-to-jlm#jlm" --format ris
    """
    from . import citation, corpus

    if edition and target:
        run(lambda: _usage("give either --edition or a SOURCE-ID, not both"))
    archive = run(lambda: corpus.load(corpus_dir))
    item = run(lambda: citation.item_for(archive, None if edition else target))
    click.echo(citation.render(item, fmt), nl=False)


def _usage(message: str):
    from .errors import UsageError
    raise UsageError(message)


@click.command()
@CORPUS
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--interval", type=click.FloatRange(0.1, 10), default=0.5, show_default=True,
              help="Seconds between looks at the corpus for changes.")
@click.option("--no-search", is_flag=True, help="Skip the search index (faster rebuilds).")
def preview(corpus: Path, port: int, interval: float, no_search: bool) -> None:
    """Serve the web edition of CORPUS on http://127.0.0.1:PORT/ (this computer only), build it
    again whenever a file in the corpus changes, and reload the page in the browser. A corpus that
    does not load shows its problems in the page until it is corrected. Ctrl-C stops it.

    \b
    Example:
      archive preview                 # then open http://127.0.0.1:8000/
      archive preview my-corpus --port 0
    """
    from . import preview as preview_

    def say(message: str) -> None:
        click.echo(message, err=True)

    run(lambda: preview_.serve(corpus, port, interval, not no_search, say))
