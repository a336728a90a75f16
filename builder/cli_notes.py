"""`archive notes import` and `archive notes export`: thin over builder.notes_io."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_run import run
from .errors import EXIT_FAULT, EXIT_OK

CORPUS = click.argument("corpus", type=click.Path(path_type=Path), default=Path("corpus"), required=False)


@click.group()
def notes() -> None:
    """Exchange editorial notes with annotation tools (Hypothesis, W3C Web Annotation).

    \b
    Example:
      archive notes import hypothesis.json corpus --source jlm-duty-of-care-report
      archive notes export corpus -o notes.jsonld
    """


@notes.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@CORPUS
@click.option("--source", "source_id", metavar="ID",
              help="Put every annotation on this source, whatever its target names.")
def import_(file: Path, corpus: Path, source_id: str | None) -> None:
    """Import the annotations in FILE into CORPUS (default ./corpus).

    FILE holds Hypothesis records (an API search response {"rows": [...]}, or a list) or
    W3C Web Annotation JSON-LD (an Annotation, an AnnotationCollection or an AnnotationPage).
    Each target is matched to a source by the URL or identifiers in its provenance, or
    --source says which. Notes that anchor are written to sources/<id>.notes.toml (comments
    and existing notes kept; a note imported before is replaced, not duplicated); every
    annotation that cannot be placed is listed with the reason.

    Exit status: 0 all placed; 1 some left unplaced; 2 bad usage or unreadable file.

    \b
    Example:
      archive notes import hypothesis.json corpus --source jlm-duty-of-care-report
    """
    from . import notes_io

    report = run(lambda: notes_io.import_file(corpus, file, source_id))
    for p in report.placed:
        where = "the whole source" if p.start is None else f"{p.start}-{p.end}"
        click.echo(f"{p.action:9} {p.annotation} -> {p.source}/{p.note} ({p.kind}, {where})")
    for s in report.skipped:
        click.echo(f"{'skipped':9} {s.annotation}: {s.reason}")
    for o in report.orphans:
        click.echo(f"{'orphan':9} {o}", err=True)
    for path in report.written:
        click.echo(f"wrote {path}")
    counts = {a: sum(p.action == a for p in report.placed) for a in ("added", "replaced", "unchanged")}
    click.echo(f"{counts['added']} added, {counts['replaced']} replaced, {counts['unchanged']} unchanged, "
               f"{len(report.skipped)} skipped, {len(report.orphans)} not placed.")
    if report.orphans:
        click.echo("Correct the quote (or the target) of each note not placed, and import again: "
                   "notes already imported are not duplicated.", err=True)
        sys.exit(EXIT_FAULT)
    sys.exit(EXIT_OK)


@notes.command("export")
@CORPUS
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="File to write; '-' for standard output. Default: output/<slug>-notes.jsonld.")
def export(corpus: Path, output: Path | None) -> None:
    """Export every note of CORPUS (default ./corpus) as W3C Web Annotation JSON-LD.

    One AnnotationCollection; each note an Annotation with a TextQuoteSelector (32 code
    points of prefix and suffix) and a TextPositionSelector where it is anchored. The output
    is the same for the same corpus, byte for byte.

    \b
    Example:
      archive notes export corpus -o notes.jsonld
      archive notes export corpus -o - | jq '.total'
    """
    from . import corpus as corpus_mod
    from . import notes_io
    from .errors import CorpusError
    from .output import atomic_path, out_file_problems

    text, count = run(lambda: notes_io.export(corpus))
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    if output is None:
        slug = run(lambda: corpus_mod.load(corpus)).slug
        output = Path("output") / f"{slug}-notes.jsonld"
    problems = out_file_problems(corpus, output)
    if problems:  # -o inside the corpus, or not a file that can be written
        click.echo(str(CorpusError(problems)), err=True)
        sys.exit(CorpusError.exit_code)
    with atomic_path(output) as tmp:
        tmp.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output} ({count} notes)", err=True)


