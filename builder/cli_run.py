"""The one place where library errors become a message and an exit code, for every command."""

from __future__ import annotations

import sys

import click

from .errors import EXIT_FAULT, ArchiveError


def run(action):
    """Call library code; turn its errors into a message on stderr and the documented exit code."""
    try:
        return action()
    except ArchiveError as e:
        click.echo(str(e), err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(EXIT_FAULT)
