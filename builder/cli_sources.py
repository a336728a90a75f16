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
def add(files: tuple[Path, ...], corpus_dir: Path, source_id: str | None, title: str | None,
        kind: str | None, how: str | None) -> None:
    """Add each FILE (text in any encoding, Markdown, HTML, an email or an mbox, told from its
    content) to the corpus as a new source.

    The file is copied byte for byte to sources/<id>.<ext> (read-only; line ends, BOM and
    spaces as received), its kind, media type, encoding (as detected: correct it there if the
    text reads wrongly) and SHA-256 recorded in a provenance skeleton sources/<id>.toml for
    the editor to complete, and its id appended to the `sources` order in archive.toml (when
    there is one; comments kept). An email's attachments become sources of their own, linked
    both ways; an mbox becomes one source per message. Every file is checked first: a binary
    file, an id already taken, or bytes already in the corpus refuse the whole command,
    listing every problem, and nothing is written.

    Exit status: 0 added; 2 refused (nothing written); 1 a write failed (the corpus is as it was).

    \b
    Example:
      archive add ~/received/letter.txt --id branch-letter-2021 --kind letter --how "By e-mail, 2024."
      archive add scans/*.txt --corpus my-corpus
      archive add inbox/minutes.eml --kind email
    """
    from . import sources_io

    report = run(lambda: sources_io.add(corpus_dir, list(files), source_id, title, kind, how))
    for a in report.added:
        click.echo(f"added {a.id}: {a.path} (received as {a.received_name})")
        click.echo(f"  {a.media_type or ''}{', encoding ' + a.encoding if a.encoding else ''}, sha256 {a.sha256}")
        click.echo(f"  provenance {a.sidecar}: to complete: {', '.join(a.to_complete)}")
    if report.appended:
        click.echo(f"{report.archive_toml}: {', '.join(report.appended)} appended to the sources order; "
                   "move each where it belongs")
    elif not report.has_order:
        click.echo(f"{report.archive_toml} has no sources list: the sources are in id order")
    click.echo(f"{len(report.added)} source(s) added. Complete the provenance before the next edition: "
               "the edition prints what it says (\"Not yet written.\", \"Unknown.\"). "
               f"`archive status {report.archive_toml.parent}` lists what is still to do.")
