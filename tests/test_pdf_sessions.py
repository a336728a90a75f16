"""A part made again in its session (builder/writers/pdf_sessions.py): the same typst.Compiler,
its data file rewritten with another start, gives the bytes a fresh compile at that start gives,
on the same side (start + 2) and on the other (start + 1: the blank first page comes or goes);
and a session that read stale data lays the part out afresh."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from builder.build import build
from builder.writers import pdf_parts, pdf_sessions


def staged(corpus: Path, tmp_path: Path, monkeypatch) -> dict:
    """A build folder as the parts' compiles see it (copied during a build in parts), and the job
    of its first sources' part."""
    monkeypatch.setattr(pdf_parts, "PART_PAGES", 12)  # the default archive: three parts of sources
    monkeypatch.setattr(pdf_parts, "WORKERS", 1)
    real, kept = pdf_parts.run_jobs, {}

    def spied(jobs, *rest, **kw):
        for job in jobs:
            if job["output"] and job["part_file"] == "parts/part-1.json" and not kept:
                shutil.copytree(job["folder"], tmp_path / "staged")
                kept.update({k: v for k, v in job.items() if k not in ("session", "keep", "scan", "start")},
                            folder=str(tmp_path / "staged"), output=str(tmp_path / "staged" / "parts" / "p.pdf"))
        return real(jobs, *rest, **kw)
    monkeypatch.setattr(pdf_parts, "run_jobs", spied)
    build(corpus, tmp_path / "out", ("pdf",))
    assert kept, "the build was not made in parts"
    return kept


def at(job: dict, start: int) -> dict:
    """The job with its part's data file rewritten for start."""
    path = Path(job["folder"]) / job["part_file"]
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(start=start, pad=start % 2 == 0)
    path.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    return {**job, "start": start}


def fresh(job: dict) -> tuple[dict, bytes]:
    result = pdf_parts.compile_part(job)
    return result, Path(job["output"]).read_bytes()


def test_a_part_made_again_in_its_session_is_a_fresh_compile(corpus_copy, tmp_path, monkeypatch):
    job = staged(corpus_copy, tmp_path, monkeypatch)
    start = json.loads((Path(job["folder"]) / job["part_file"]).read_text(encoding="utf-8"))["start"]
    starts = [start, start + 2, start + 1, start + 4]  # the same side, the other side, back
    expected = []
    for s in starts:
        result, data = fresh(at(job, s))
        expected.append((result["info"], result["blocks"], data))
    assert len({d for _, _, d in expected}) == len(starts)  # each start its own bytes
    sessions = pdf_sessions.Sessions()
    try:
        for n, s in enumerate(starts):
            [result] = sessions.run([{**at(job, s), "session": 1, "keep": True}])
            assert "error" not in result, result
            assert (result["info"], result["blocks"], Path(job["output"]).read_bytes()) == expected[n], s
        assert list(sessions.live) == [1]  # one process all along
    finally:
        sessions.close()
    assert not sessions.live


def test_a_session_that_read_stale_data_lays_the_part_out_afresh(corpus_copy, tmp_path, monkeypatch):
    """typst-py reads a changed file again after a compile, not after a query: a session that
    queried last would lay the part out at its old start; the session sees the length moved and
    compiles afresh."""
    job = staged(corpus_copy, tmp_path, monkeypatch)
    start = json.loads((Path(job["folder"]) / job["part_file"]).read_text(encoding="utf-8"))["start"]
    _, expected = fresh(at(job, start + 2))
    import typst
    compiler = typst.Compiler(str(Path(job["folder"]) / job["main"]), root=job["folder"], font_paths=job["fonts"],
                              ignore_system_fonts=True, sys_inputs={"part": job["part_file"]})
    first, compiler = pdf_parts.compile_part_in(at(job, start), compiler)
    compiler.query("<part-info>", field="value", one=True)  # a query last: the next compile reads stale data
    stale, _ = pdf_parts.compile_part_in(at(job, start + 2), compiler)
    assert stale["info"]["last"] == first["info"]["last"]  # what the check in serve() guards against

    class Pipe:  # serve()'s side of the pipe: the two jobs, then the end
        def __init__(self, jobs):
            self.jobs, self.sent = list(jobs), []

        def recv(self):
            job = self.jobs.pop(0)
            return job() if callable(job) else job

        def send(self, result):
            self.sent.append(result)

    real = pdf_parts.compile_part_in

    def stale_after_first(job, compiler=None):  # the first compile ends with a query, as above
        result, compiler = real(job, compiler)
        compiler.query("<part-info>", field="value", one=True)
        return result, compiler
    monkeypatch.setattr(pdf_parts, "compile_part_in", stale_after_first)
    pipe = Pipe([at(job, start), lambda: at(job, start + 2), None])
    pdf_sessions.serve(pipe)
    assert [r["info"]["last"] - s for r, s in zip(pipe.sent, [start, start + 2])] == [first["info"]["last"] - start] * 2
    assert Path(job["output"]).read_bytes() == expected


def test_the_pdfs_processes_run_with_glibcs_allocator_tuned(monkeypatch, tmp_path):
    """Typst's sessions (forked from the fork server) and pdftotext start with MALLOC_TUNABLES in
    GLIBC_TUNABLES (builder/parallel.py), added to what the build's environment has there."""
    import os
    import subprocess

    from builder import parallel, pdf_reading
    assert parallel.tuned({})["GLIBC_TUNABLES"] == parallel.MALLOC_TUNABLES
    assert parallel.tuned({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})["GLIBC_TUNABLES"] == \
        "glibc.malloc.arena_max=2:" + parallel.MALLOC_TUNABLES
    before = os.environ.get("GLIBC_TUNABLES")
    ctx = pdf_sessions.server_context()
    with ctx.Pool(1) as pool:  # a process forked from the server, as a session is
        seen = pool.apply(os.getenv, ("GLIBC_TUNABLES",))
    assert seen and seen.split(":")[0] == parallel.MALLOC_TUNABLES.split(":")[0]  # (glibc cuts it at the first ":")
    assert os.environ.get("GLIBC_TUNABLES") == before  # the build's own environment as it was
    started = []

    class Popen:
        def __init__(self, args, **kw):
            started.append(kw.get("env"))
    monkeypatch.setattr(subprocess, "Popen", Popen)
    pdf_reading.pdftotext("pdftotext", tmp_path / "x.pdf")
    assert started and parallel.MALLOC_TUNABLES in started[0]["GLIBC_TUNABLES"]
