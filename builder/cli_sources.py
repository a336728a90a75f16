"""`archive add`: thin over builder.sources_io."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_run import run


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=Path("corpus"), show_default=True,
              help="The corpus to add to (the folder holding archive.toml).")
@click.option("--id", "source_id", metavar="ID",
              help="The new source's id ([a-z][a-z0-9-]*); one FILE only. Default: from the file name.")
@click.option("--title", metavar="T", help="The document's title; one FILE only. Default: its first line, "
              "marked as supplied.")
@click.option("--kind", metavar="K", help="What the document is: letter, news report, statement, … "
              "Default: document.")
@click.option("--how", metavar="TEXT", help="How it reached the archive (received.how).")
@click.option("--language", metavar="TAG", help="The document's language (BCP 47: en, fr, de, he, ar, …): "
              "recorded in its provenance, and a scan's OCR reads in it. Default: none recorded; OCR in English.")
@click.option("--no-ocr", is_flag=True, help="Add scans without transcribing them now (no Tesseract needed); "
              "run `archive transcribe ID` before the next build.")
def add(files: tuple[Path, ...], corpus_dir: Path, source_id: str | None, title: str | None,
        kind: str | None, how: str | None, language: str | None, no_ocr: bool) -> None:
    """Add each FILE (text in any encoding, Markdown, HTML, an email or an mbox, a PDF, a scan:
    PNG, JPEG, TIFF; told from its content) to the corpus as a new source.

    A scan (or a PDF without a text layer) is transcribed by OCR once, now, with its progress
    shown, and the transcription stored beside it (as `archive transcribe ID` does; docs/scans.md).

    The file is copied byte for byte to sources/<id>.<ext> (read-only; line ends, BOM and
    spaces as received), its kind, media type, encoding (as detected: correct it there if the
    text reads wrongly) and SHA-256 recorded in a provenance skeleton sources/<id>.toml for
    the editor to complete, and its id appended to the `sources` order in archive.toml (when
    there is one; comments kept). An email's attachments become sources of their own, linked
    both ways; an mbox becomes one source per message. Every file is checked first: a binary
    file, an id already taken, or bytes already in the corpus refuse the whole command,
    listing every problem, and nothing is written.

    Exit status: 0 added; 2 refused (nothing written); 1 a write failed (the corpus is as it was);
    3 Tesseract could not run for a scan (nothing written; --no-ocr adds it untranscribed).

    \b
    Example:
      archive add ~/received/letter.txt --id branch-letter-2021 --kind letter --how "By e-mail, 2024."
      archive add scans/*.txt --corpus my-corpus
      archive add inbox/minutes.eml --kind email
      archive add scans/tract-1936.png --language he    # recorded; OCR in Hebrew
    """
    from . import transcribe

    def progress(sid: str, page: int, total: int) -> None:
        click.echo(f"  {sid}: OCR page {page} of {total}…", err=True)

    report, transcribed = run(lambda: transcribe.add(corpus_dir, list(files), source_id, title, kind, how, progress,
                                                     ocr=not no_ocr, language=language))
    for a in report.added:
        click.echo(f"added {a.id}: {a.path} (received as {a.received_name})")
        click.echo(f"  {a.media_type or ''}{', encoding ' + a.encoding if a.encoding else ''}, sha256 {a.sha256}")
        click.echo(f"  provenance {a.sidecar}: to complete: {', '.join(a.to_complete)}")
    for t in transcribed:
        click.echo(f"transcribed {t.id}: {t.path}: {t.pages} page(s), {t.engine}, mean confidence "
                   f"{t.mean_confidence:.1f}; a machine transcription: read it against the scan")
    if report.appended:
        click.echo(f"{report.archive_toml}: {', '.join(report.appended)} appended to the sources order; "
                   "move each where it belongs")
    elif not report.has_order:
        click.echo(f"{report.archive_toml} has no sources list: the sources are in id order")
    click.echo(f"{len(report.added)} source(s) added. Complete the provenance before the next edition: "
               "the edition prints what it says (\"Not yet written.\", \"Unknown.\"). "
               f"`archive status {report.archive_toml.parent}` lists what is still to do.")
