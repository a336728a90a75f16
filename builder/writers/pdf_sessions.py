"""A part's compile kept alive for its next compile (docs/pdf.md, "A book in parts").

A part laid out at a guessed start (builder/writers/pdf_parts.py, Book.lay_out) is made again
when its true start is known. Made again in a fresh process, it costs a whole lay-out; made again
by the same `typst.Compiler`, in the process that laid it out, Typst's memoisation keeps what did
not move (the text set in lines and pages: a part's length does not depend on its start) and
redoes only what did (the folios, the "provenance and condition, p. N" of each heading): about
two fifths of a fresh compile. So each part is compiled in a *session*: a process (server_context) that
holds the part's compiler from its first compile until the parent says the part is done.

Memory: a session holds one part's lay-out (about 0.65 MiB a page, a little more after a second
compile); the parent keeps at most WORKERS sessions alive (a round's jobs), closing the others
before it starts new ones, and closes a session as soon as its part is made at a start that is
certain.

What a session reads must be what the parent wrote: the part's data file is rewritten in place
(parts/part-N.json: its name is in `sys.inputs`, which cannot change without a full lay-out).
typst-py looks at the files again after each `compile`, not after a `query`, so a session queries
first and compiles (writes the PDF) last; and it checks that the part made again has the length
of its first compile moved to the new start, else it lays the part out afresh (a stale read of
the data is never kept).
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from contextlib import nullcontext


def serve(conn) -> None:
    """A session (in its own process): jobs in, results out, until None (or the pipe closes).
    What a compile needs is imported before the first job is asked for: a session started ahead
    (warm) is ready when its job comes."""
    import pikepdf  # noqa: F401  (the active-content scan's, builder/inert.py)
    import typst  # noqa: F401

    from .. import inert  # noqa: F401
    from . import pdf_parts
    compiler, last = None, None  # the part's compiler; (its start, its last page) of the compile before
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        result, compiler = pdf_parts.compile_part_in(job, compiler)
        if last is not None and "info" in result and int(result["info"]["last"]) - job["start"] != last[1] - last[0]:
            result, compiler = pdf_parts.compile_part_in(job, None)  # read stale data: laid out afresh
        if "info" in result:
            last = (job["start"], int(result["info"]["last"]))
        conn.send(result)


def server_context(fonts: list[str] | None = None):
    """Sessions forked from multiprocessing's fork server: a process started afresh (once a process)
    (so it holds no thread of the build's Typst) that has imported Typst and pdf_parts, so that a
    session starts in a fork, not in a new interpreter importing them (about 0.15 s of CPU a part:
    3 s of a 1,000-source PDF's 34), and that has found the fonts in the folders fonts, if it starts
    now (builder/writers/typst_fonts.py: about 0.05 s a part)."""
    global _stopping
    from multiprocessing import forkserver

    from .. import parallel
    from . import typst_fonts
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["builder.writers.pdf_parts", "builder.inert", "typst", "pikepdf",
                                "builder.writers.typst_fonts"])
    tuned = parallel.environ({"GLIBC_TUNABLES": parallel.tuned()["GLIBC_TUNABLES"]})  # its sessions' Typst
    with typst_fonts.announced(fonts) if fonts is not None else nullcontext(), tuned:  # and the join's worker
        forkserver.ensure_running()  # (if it runs already: as it started)
    if not _stopping:  # the server waited for when the build's process ends, so that its sessions'
        atexit.register(_stop_server)  # CPU counts in the process's own (time, the bench's figures)
        _stopping = True
    return ctx


_stopping = False


def _stop_server() -> None:
    from multiprocessing import forkserver
    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        try:
            stop()
        except OSError:
            pass


class Session:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def end(self) -> None:
        """Tell the session to end (it frees its memory as it exits); close() waits for it."""
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self.end()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self.conn.close()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.conn.close()


_spare: list[Session] = []  # a session started ahead (warm), for the first job that needs a new one
_warming: list = []  # the thread starting the spare session (warm)
_ended: list[Session] = []  # sessions told to end after the lay-out, waited for by finish()


def warm(fonts: list[str] | None = None) -> None:
    """Start a session now, ahead of its first job: its process starts and imports Typst while the
    build stages the PDF's build folder, off the path of a rebuild that lays out one part again
    (the fork server's start and imports, on a build's first PDF; then a fork). Closed by finish()
    if no job takes it."""
    if _spare or _warming:
        return
    ctx = server_context(fonts)  # the fork server spawned here (it imports and finds the fonts meanwhile)

    def start() -> None:  # waits for the server to be ready: in a thread, beside the staging
        try:
            _spare.append(Session(ctx))
        except Exception:  # no spare: the first job starts its session, and says what fails
            pass

    thread = threading.Thread(target=start, name="pdf-session-warm", daemon=True)
    thread.start()
    _warming.append(thread)


def _warmed() -> None:
    """The session warm() is starting, once started (or failed to)."""
    while _warming:
        _warming.pop().join()


def finish() -> None:
    """After a PDF is made: the spare session closed if no job took it, and the sessions that
    ended after the lay-out waited for (they exit while the parts are joined)."""
    _warmed()
    while _spare:
        _spare.pop().close()
    while _ended:
        _ended.pop().close()


class Sessions:
    """The live sessions of one book, by part number."""

    def __init__(self, fonts: list[str] | None = None):
        # not forked from the build: it may hold Typst's threads, which a fork would copy stuck
        self.ctx = server_context(fonts)
        self.live: dict[int, Session] = {}
        self.ending: list[Session] = []  # told to end, not yet waited for (close)

    def run(self, jobs: list[dict], done=None, meanwhile=None) -> list[dict]:
        """Each job (its "session": the part's number; "keep": the session stays for the part's
        next compile) in the part's session, a new one if it has none; the results in order.
        meanwhile(): work done here while they are laid out."""
        while self.ending:  # a round's memory freed before the next starts
            self.ending.pop().close()
        wanted = {job["session"] for job in jobs}
        for number in [n for n in self.live if n not in wanted]:  # parts done: their memory freed first
            self.live.pop(number).close()
        sessions = []
        _warmed()
        for job in jobs:
            session = self.live.pop(job["session"], None) or (_spare.pop() if _spare else Session(self.ctx))
            session.conn.send(job)
            sessions.append(session)
        if not _spare:  # the next job's session started while these are laid out (a fork: ~14 ms)
            try:
                _spare.append(Session(self.ctx))
            except Exception:  # noqa: BLE001  (the next job starts its own, and says what fails)
                pass
        results = []
        try:
            if meanwhile is not None:
                meanwhile()
            for job, session in zip(jobs, sessions):
                try:
                    result = session.conn.recv()
                except (EOFError, OSError):
                    session.kill()
                    result = {"error": f"the process laying out part {job['session']} of the PDF stopped "
                                       f"(exit code {session.process.exitcode}; out of memory?)", "hints": []}
                else:
                    if job.get("keep") and "error" not in result:
                        self.live[job["session"]] = session
                    else:  # it ends meanwhile: a process with a part's lay-out takes a while to exit
                        session.end()
                        self.ending.append(session)
                results.append(result)
                if done is not None:
                    done()
        except BaseException:
            for session in sessions:
                session.kill()
            raise
        return results

    def close(self) -> None:
        """The live sessions closed; those ending are waited for by finish() (after the join)."""
        while self.live:
            self.live.popitem()[1].close()
        _ended.extend(self.ending)
        self.ending.clear()

    def kill(self) -> None:
        while self.live:
            self.live.popitem()[1].kill()
        while self.ending:
            self.ending.pop().kill()
