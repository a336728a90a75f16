"""The one place where library errors become a message and an exit code, for every command.

A bad input is an ArchiveError: its message (file, line, what, fix) and its exit code. Anything
else is a fault of the tool: one line and exit 1, the traceback only under `archive --debug`.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

import click

from .errors import EXIT_FAULT, ArchiveError

PASS_THROUGH = (click.ClickException, click.exceptions.Exit, click.Abort)


def run(action):
    """Call library code; turn its errors into a message on stderr and the documented exit code."""
    try:
        return action()
    except ArchiveError as e:
        click.echo(str(e), err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(EXIT_FAULT)
    except PASS_THROUGH:
        raise
    except Exception as e:
        fault(e)


def fault(e: Exception) -> None:
    """A fault of the tool: re-raised under --debug, else one line on stderr and exit 1."""
    if debugging():
        raise e
    if isinstance(e, OSError) and e.strerror:  # the system refused: a full disk, a permission
        what = f"{e.filename}: {e.strerror}" if e.filename else e.strerror
        click.echo(f"archive: {what} (an error of the system, not of the corpus; `archive --debug …` "
                   "shows where)", err=True)
        sys.exit(EXIT_FAULT)
    what = " ".join(str(e).split())[:300] or "(no message)"
    click.echo(f"archive: internal error: {type(e).__name__}: {what} "
               "(a fault of the tool, not of the corpus; `archive --debug …` shows where)", err=True)
    sys.exit(EXIT_FAULT)


def debugging() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


class Group(click.Group):
    """The `archive` group: whatever a command raises goes through run()'s handling."""

    def invoke(self, ctx: click.Context):
        return run(lambda: super(Group, self).invoke(ctx))


def exit_quickly(command) -> None:
    """The console script's way out (pyproject.toml; `python -m builder.cli`): command() run, then
    the exit that Python's own would be -- atexit's handlers (the PDF's fork server stopped and
    waited for), the output flushed, the same exit code -- without the interpreter's teardown,
    which frees every object of the build one by one (0.1 s after a rebuild of 1,000 sources,
    0.2-0.35 s after an EPUB of 10,000; docs/performance.md). A command that leaves a thread
    running exits the usual way. Tests call the click group itself (CliRunner), never this."""
    try:
        command()
        code = 0
    except SystemExit as e:
        code = e.code
    if threading.active_count() > 1:
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):  # as sys.exit("message"): the message on stderr, exit 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: as Python's own exit, nothing more to say
            pass
    os._exit(code)
