"""`archive transcribe ID`: thin over builder.transcribe."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_run import run


def show_progress(page: int, total: int) -> None:
    click.echo(f"  OCR: page {page} of {total}…", err=True)


@click.command()
@click.argument("source_id", metavar="ID")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=Path("corpus"), show_default=True,
              help="The corpus (the folder holding archive.toml and sources/).")
@click.option("--language", metavar="LANG", help="Tesseract's language name(s): eng, fra, deu+eng, … "
              "Default: the one recorded, else from the source's `language`, else eng.")
@click.option("--force", is_flag=True, help="Replace a transcription an editor has revised (revised = true).")
def transcribe(source_id: str, corpus_dir: Path, language: str | None, force: bool) -> None:
    """Make (or make again) the machine transcription of the scan ID, by OCR.

    Every page of sources/ID.png|.jpg|.tif|.pdf is read by Tesseract (progress shown page by
    page); the text is stored beside the original as sources/ID.transcription.txt and how it was
    made (engine, version, language, date, mean confidence, revised = false) in the
    [transcription] table of sources/ID.toml. Builds never run OCR: they read what is stored.
    An editor may correct the transcription and set revised = true: it is then kept unless --force.

    Exit status: 0 stored; 2 bad input (nothing written); 3 Tesseract could not run.

    \b
    Example:
      archive transcribe branch-minutes-1987
      archive transcribe leaflet-1990 --corpus my-corpus --language fra+eng
    """
    from . import transcribe as library

    click.echo(f"transcribing {source_id} …", err=True)
    done = run(lambda: library.transcribe(corpus_dir, source_id, language, force, show_progress))
    click.echo(f"{'replaced' if done.replaced else 'stored'} {done.path}: {done.pages} page(s), "
               f"{done.characters:,} characters; {done.engine} ({done.language}), mean confidence "
               f"{done.mean_confidence:.1f}")
    click.echo(f"  provenance {done.sidecar}: [transcription] recorded. Read it against the facsimile; "
               "correct it there and set revised = true.")
