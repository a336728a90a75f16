"""`archive deposit` and `archive check`: thin over builder.deposit and builder.check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli_run import run

CORPUS = click.argument("corpus", type=click.Path(path_type=Path), default=Path("corpus"), required=False)


@click.command()
@CORPUS
@click.option("--out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Folder for the editions, the bag and its zip.")
@click.option("--strict", is_flag=True, help="Refuse (exit 2) a corpus with anything incomplete "
              "(`archive status` lists it); without it, each is a warning.")
def deposit(corpus: Path, out: Path, strict: bool) -> None:
    """Make the deposit of CORPUS: OUT/<slug>-deposit/ (BagIt 1.0) and OUT/<slug>-deposit.zip.

    The editions in OUT are reused when the record of their inputs matches; otherwise they are
    built again. See docs/deposit.md for what the bag holds.

    \b
    Example:
      archive deposit corpus --out output --strict
      archive check output/my-archive-deposit.zip
    """
    from . import progress
    from .deposit import deposit as run_deposit
    from .status import refuse_incomplete, status

    if strict:
        run(lambda: refuse_incomplete(corpus, out))
    else:
        for line in progress.warnings(f"{item.path or corpus}: warning {item.code}: {item.message} "
                                      "(--strict refuses this)" for item in run(lambda: status(corpus, out)).blocking):
            click.echo(line, err=True)

    result = run(lambda: run_deposit(corpus, out))
    for warning in progress.warnings(result.warnings):
        click.echo(warning, err=True)
    click.echo(f"editions: {'reused (inputs unchanged)' if result.reused else 'built'}: "
               + ", ".join(str(p) for p in result.editions.values()))
    click.echo(f"bag: {result.bag} ({result.files} payload files, {result.payload_bytes:,} bytes)")
    click.echo(f"zip: {result.zip} ({result.zip.stat().st_size:,} bytes)")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None,
              help="Check against this corpus instead of what each file carries.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(paths: tuple[Path, ...], corpus_dir: Path | None, as_json: bool) -> None:
    """Check EPUBs, PDFs, web editions, bags (folder or zip) or output folders for damage.

    Exit codes: 0 all holds; 1 damage found; 2 bad usage or unreadable input;
    3 a validator (EPUBCheck, qpdf, pdftotext) could not run.

    \b
    Example:
      archive check output/
      archive check output/my-archive.epub --corpus corpus --json
    """
    from .check import check as run_check

    report = run(lambda: run_check(list(paths), corpus_dir))
    click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if as_json else report.text())
    sys.exit(report.exit_code)


