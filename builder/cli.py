"""The `archive` command. Thin: it parses arguments, calls the library, prints, and exits."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__
from .cli_run import run

CORPUS = click.argument("corpus", type=click.Path(path_type=Path), default=Path("corpus"), required=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive")
def main() -> None:
    """Build and check annotated archives: EPUB 3 and PDF/A editions of a corpus of sources.

    \b
    Example:
      archive build                 # builds ./corpus into ./output
      archive build my-corpus --out dist --format epub
    """


@main.command()
@CORPUS
@click.option("--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Folder for the editions.")
@click.option("--format", "fmt", type=click.Choice(["epub", "pdf", "all"]), default="all", show_default=True,
              help="Which edition(s) to build.")
def build(corpus: Path, out: Path, fmt: str) -> None:
    """Build the editions of CORPUS (default ./corpus) into --out (default ./output).

    \b
    Example:
      archive build corpus --out output --format all
    """
    from .build import FORMATS
    from .build import build as run_build

    formats = FORMATS if fmt == "all" else (fmt,)
    result = run(lambda: run_build(corpus, out, formats))
    for warning in result.warnings:
        click.echo(warning, err=True)
    for kind, path in result.editions.items():
        click.echo(f"{kind}: {path} ({path.stat().st_size:,} bytes)")
    sources = result.archive.sources
    recorded = sum(1 for s in sources if s.provenance.received_sha256)
    click.echo(f"{len(sources)} sources; {recorded} verified against the SHA-256 recorded on receipt"
               + (f", {len(sources) - recorded} without a recorded SHA-256" if recorded < len(sources) else "") + ".")


from .cli_notes import notes  # noqa: E402  (the `archive notes` group)

main.add_command(notes)

from .cli_deposit import check, deposit  # noqa: E402  (`archive deposit`, `archive check`)

main.add_command(deposit)
main.add_command(check)

from .cli_sources import add  # noqa: E402  (`archive add`)

main.add_command(add)

from .cli_transcribe import transcribe  # noqa: E402  (`archive transcribe`)

main.add_command(transcribe)

if __name__ == "__main__":  # pragma: no cover
    main()
