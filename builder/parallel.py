"""Work on many sources at once, one worker process a core, the results in order.

    with parallel.Map(work, job, todo) as done:    # work(job, i) -> a picklable result
        for i in todo:
            result = done.result(i)                # None: not made there (too few, one core, or it
            if result is None:                     #  failed): make it here, where its error is raised
                result = work(job, i)

Workers are forked from the build's process, so they share what it has loaded (the archive, the
templates) without pickling it; only results travel back. A result must not depend on where it
is made: the same bytes in a worker as in the build's own process (tests/test_epub_sources.py).
Below `least` items, on one core, or where fork is not available, nothing runs in parallel.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from contextlib import contextmanager
from typing import Callable

LEAST = 200  # items to make at least, for workers to be worth starting
CHUNK = 25  # items a worker makes at a time
enabled = True  # tests set False to compare a serial build with a parallel one
# ARCHIVE_WORKERS=N: at most N worker processes (1: none, everything in the build's own process);
# for measuring, and for a machine whose cores are busy with other work
WORKERS = os.environ.get("ARCHIVE_WORKERS", "")

# glibc's allocator (2.35 and later; other C libraries and older glibc ignore it) in the processes
# a PDF edition starts afresh (builder/writers/pdf_sessions.py: Typst's; pdftotext): its heap on
# transparent huge pages where the kernel allows them (madvise), grown 64 MiB at a time. A part's
# Typst takes about 50 MB of fresh memory: 15,000 page faults at 4 KiB, 1,700 so (about 10 % of a
# 1,000-source book's time on these machines: docs/pdf.md, "Where the CPU goes"). The same bytes.
MALLOC_TUNABLES = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864"


@contextmanager
def environ(values: dict[str, str]):
    """os.environ with values set while the block runs (a process started there inherits them);
    as it was afterwards."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def tuned(environ: dict | None = None) -> dict:
    """environ (os.environ if None) with MALLOC_TUNABLES added to any GLIBC_TUNABLES it has."""
    env = dict(os.environ if environ is None else environ)
    had = env.get("GLIBC_TUNABLES", "")
    env["GLIBC_TUNABLES"] = f"{had}:{MALLOC_TUNABLES}" if had else MALLOC_TUNABLES
    return env


_work: Callable | None = None  # inherited at fork, never pickled
_job = None


def cores() -> int:
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(n, int(WORKERS)) if WORKERS.isdigit() and int(WORKERS) > 0 else n


def _run(chunk: list[int]) -> list:
    out = []
    for i in chunk:
        try:
            out.append(_work(_job, i))
        except Exception:  # made again in the build's own process, where its error is raised and reported
            out.append(None)
    return out


class Map:
    def __init__(self, work: Callable, job, todo: list[int], least: int | None = None, chunk: int = CHUNK):
        global _work, _job
        least = LEAST if least is None else least
        self.pool = None
        self.order = iter(todo)
        self.results = iter(())
        if not enabled or len(todo) < least or cores() < 2 or multiprocessing.current_process().daemon:
            return  # (a daemonic process, such as Beside's, may not start processes: done in it)
        try:
            context = multiprocessing.get_context("fork")
        except ValueError:
            return
        _work, _job = work, job
        gc.freeze()  # the workers' collector leaves what they inherit alone: its pages stay shared
        try:
            self.pool = context.Pool(min(cores(), 4))
        finally:
            gc.unfreeze()
        chunks = [todo[k:k + chunk] for k in range(0, len(todo), chunk)]
        self.results = (one for chunk in self.pool.imap(_run, chunks) for one in chunk)

    def result(self, i: int):
        """The result for item i (asked in the order of todo), or None."""
        if self.pool is None:
            return None
        for j in self.order:
            one = next(self.results)
            if j == i:
                return one
        return None

    def close(self) -> None:
        global _work, _job
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
        _work = _job = None

    def __enter__(self) -> "Map":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Beside:
    """work(*args) done in a process forked from the build's, while the build goes on on the other
    core: result() waits for it and gives what work returned (pickled back), or raises what it
    raised. Where fork is not available, on one core, or with parallel work off, work is done in
    result(), here: the same result, later. abandon() stops it (the build failed meanwhile)."""

    def __init__(self, work: Callable, *args):
        self.work, self.args, self.proc, self.conn = work, args, None, None
        if not enabled or cores() < 2:
            return
        try:
            context = multiprocessing.get_context("fork")
        except ValueError:
            return
        self.conn, end = context.Pipe(duplex=False)
        gc.freeze()  # as Map: what it inherits stays shared
        try:
            self.proc = context.Process(target=_beside, args=(end, work, args), daemon=True)
            self.proc.start()
        finally:
            gc.unfreeze()
        end.close()

    def result(self):
        if self.proc is None:
            return self.work(*self.args)
        try:
            outcome, value = self.conn.recv()
        except EOFError:
            self.proc.join()
            raise RuntimeError(f"the process forked for {getattr(self.work, '__name__', 'a task')} ended "
                               f"without a result (exit code {self.proc.exitcode})") from None
        finally:
            self.conn.close()
        self.proc.join()
        self.proc = None
        if outcome == "error":
            raise value
        return value

    def abandon(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.join()
            self.conn.close()
            self.proc = None


def _beside(end, work: Callable, args: tuple) -> None:
    try:
        outcome = ("done", work(*args))
    except BaseException as e:  # noqa: BLE001  (raised again in the build's process)
        outcome = ("error", e)
    try:
        end.send(outcome)
    except Exception as e:  # noqa: BLE001  (what it raised could not be pickled)
        end.send(("error", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]}" if outcome[0] == "error"
                                        else f"its result could not be sent back: {e}")))
    end.close()
