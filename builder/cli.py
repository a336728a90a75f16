"""The `archive` command. Thin: it parses arguments, calls the library, prints, and exits."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__
from .cli_run import Group, run

CORPUS = click.argument("corpus", type=click.Path(path_type=Path), default=Path("corpus"), required=False)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive")
@click.option("--debug", is_flag=True, help="On a fault of the tool, show the Python traceback.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on the terminal (there is none in a pipe).")
@click.option("--verbose", "-v", is_flag=True, help="Say what each step did, and list every warning "
              "(many of one kind are otherwise summarised).")
def main(debug: bool, quiet: bool, verbose: bool) -> None:
    """Build and check annotated archives: EPUB 3, PDF/A and web editions of a corpus of sources,
    and a BagIt deposit.

    \b
    From an empty folder to a deposit (docs/tutorial.md):
      archive init letters --title "Letters of 1921"   # a new corpus
      archive add ~/received/*.txt --corpus letters    # sources, exactly as received
      archive status letters                           # what is still to write
      archive notes import notes.json letters          # notes from Hypothesis
      archive preview letters                          # the web edition, live
      archive build letters --strict                   # EPUB + PDF, refused if incomplete
      archive build letters --format web               # a static web site
      archive deposit letters --strict                 # the BagIt deposit
      archive check output                             # is everything whole?
      archive cite butler-letter-to-jlm --format bibtex
      archive notes export -o notes.jsonld
      archive --debug build                            # a fault of the tool shows its traceback
      archive --verbose build                          # each step, and every warning listed
      archive transcribe minutes-1987                  # OCR of a scan, made again

    \b
    Each command has its own --help. Shell completion (bash; zsh and fish alike):
      eval "$(_ARCHIVE_COMPLETE=bash_source archive)"      # in ~/.bashrc
      eval "$(_ARCHIVE_COMPLETE=zsh_source archive)"       # in ~/.zshrc
      _ARCHIVE_COMPLETE=fish_source archive | source       # in ~/.config/fish/completions/archive.fish
    """
    from . import progress
    progress.configure(quiet_=quiet, verbose_=verbose)


@main.command()
@CORPUS
@click.option("--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Folder for the editions.")
@click.option("--format", "fmt", type=click.Choice(["epub", "pdf", "web", "all"]), default="all",
              show_default=True, help="Which edition(s) to build: all is the EPUB and the PDF; web is a static "
              "site in OUT/<slug>-web/.")
@click.option("--strict", is_flag=True, help="Refuse (exit 2) a corpus with anything incomplete "
              "(`archive status` lists it).")
@click.option("--no-cache", is_flag=True, help="Make everything again, and keep nothing in OUT/.cache/ "
              "(a rebuild otherwise remakes only what changed: the same bytes either way).")
def build(corpus: Path, out: Path, fmt: str, strict: bool, no_cache: bool) -> None:
    """Build the editions of CORPUS (default ./corpus) into --out (default ./output).

    \b
    Example:
      archive build corpus --out output --format all
      archive build corpus --format web      # then open output/<slug>-web/index.html
      archive build corpus --strict          # refuse placeholders, unknown rights, ...
      archive build corpus --no-cache        # everything made again
    """
    from . import cache, progress
    from .build import FORMATS
    from .build import build as run_build

    cache.configure(use=not no_cache)
    if strict:
        from .status import refuse_incomplete
        run(lambda: refuse_incomplete(corpus, None))
    if fmt == "web":
        from .web import build_site
        site = run(lambda: build_site(corpus, out))
        for warning in progress.warnings(site.warnings):
            click.echo(warning, err=True)
        click.echo(f"web: {site.folder}/index.html ({site.pages} pages, {site.files} files"
                   + (", searchable)" if site.searchable else ")"))
        click.echo(f"{len(site.archive.sources)} sources; every one read back whole from its page.")
        _incomplete(site.archive, corpus)
        return
    formats = FORMATS if fmt == "all" else (fmt,)
    result = run(lambda: run_build(corpus, out, formats))
    for warning in progress.warnings(result.warnings):
        click.echo(warning, err=True)
    for kind, path in result.editions.items():
        click.echo(f"{kind}: {path} ({path.stat().st_size:,} bytes)")
    sources = result.archive.sources
    recorded = sum(1 for s in sources if s.provenance.received_sha256)
    click.echo(f"{len(sources)} sources; {recorded} verified against the SHA-256 recorded on receipt"
               + (f", {len(sources) - recorded} without a recorded SHA-256" if recorded < len(sources) else "") + ".")
    _incomplete(result.archive, corpus)


def _incomplete(archive, corpus: Path) -> None:
    """After a build that was not --strict: say, in one line, if the corpus is incomplete."""
    from .status import of_archive
    blocking = of_archive(archive, corpus, placed=True).blocking
    if blocking:
        codes = ", ".join(sorted({i.code for i in blocking}))
        click.echo(f"note: {len(blocking)} thing(s) incomplete in the corpus ({codes}); the edition prints them as "
                   f"they are. `archive status {corpus}` lists them; --strict refuses them.", err=True)


from .cli_notes import notes  # noqa: E402  (the `archive notes` group)

main.add_command(notes)

from .cli_deposit import check, deposit  # noqa: E402  (`archive deposit`, `archive check`)

main.add_command(deposit)
main.add_command(check)

from .cli_sources import add  # noqa: E402  (`archive add`)

main.add_command(add)

from .cli_transcribe import transcribe  # noqa: E402  (`archive transcribe`)

main.add_command(transcribe)

from .cli_workflow import cite, init, preview, status  # noqa: E402  (the editor's commands)

for command in (init, status, cite, preview):
    main.add_command(command)



def entry() -> None:
    """The console script `archive` (pyproject.toml): the command, then a quick exit (cli_run.exit_quickly)."""
    from .cli_run import exit_quickly
    exit_quickly(main)


if __name__ == "__main__":  # pragma: no cover
    entry()
