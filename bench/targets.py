"""Issue 10's targets, in one run: each a ratio against a baseline measured in the same run (or a
limit), with peak memory; a table row per measurement, JSON in bench/results/, and a summary of
every target with PASS or FAIL. Measurements, never assertions (docs/performance.md).

    ./run bench                          # every target at the issue's sizes (long; see PARTS)
    ./run bench pdf 1000                 # one part, at a size
    ./run bench epub 200 incremental 100 # several parts in one run, one summary

Each tool runs as its own child process; its time is the wall time (the PDF's: the whole
`build(..., ("pdf",))` inside the child, read-back included); its peak memory is the larger of
ru_maxrss (wait4: the largest process of its tree) and the sampled sum of its process tree's
memory, each process counting its proportional share (Pss: processes in parallel add up, and
pages that forked workers share with the build are not counted twice).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import bench_epub
import bench_pdf
import measure
import pypandoc
import synthetic

# part -> default size (the issue's), in the order `./run bench` runs them
PARTS = {"pdf": 1000, "incremental": 1000, "epub": 10000, "pdf-large": 20000}
MEMORY_LIMIT_MIB = 4096  # "peak memory at most 4 GB": 4 GiB
PDF_SPEED = 8.0  # x the pages a second of single-process WeasyPrint
EPUB_SPEED = 30.0  # x faster than pandoc
EPUB_MEMORY = 20.0  # at most 1/20 of pandoc's peak
INCREMENTAL = 0.10  # rebuild time / full build time
ARCHIVE = [sys.executable, "-m", "builder.cli"]
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}

OURS_PDF = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    from builder.build import build
    result = build(Path(sys.argv[1]), Path(sys.argv[2]), ("pdf",))
    seconds = time.perf_counter() - t0
    made = result.editions["pdf"]
    paths = list(made) if isinstance(made, (list, tuple)) else [made]  # one book, or volumes
    print(json.dumps({"seconds": seconds, "paths": [str(p) for p in paths]}))
""")


def pdf_facts(child: dict) -> dict:
    """The child's figures with its PDFs' pages and bytes, counted here (not in the measured child,
    whose peak memory would then include pikepdf's page tree)."""
    import pikepdf

    paths = [Path(p) for p in child.pop("paths")]
    pages = 0
    for path in paths:
        with pikepdf.open(path) as book:
            pages += len(book.pages)
    return child | {"pages": pages, "files": len(paths), "bytes": sum(p.stat().st_size for p in paths)}


@dataclass
class Target:
    name: str
    measured: str
    threshold: str
    passed: bool
    value: float | None = None


class Run:
    """One bench run: its corpora (each made once), its results folder and its targets."""

    def __init__(self, results: Path, seed: int = 1, keep: Path | None = None):
        self.results = results
        self.keep = keep  # if given, the incremental part's editions are kept there (tests check them)
        self.seed = seed
        self.targets: list[Target] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-targets-")
        self.tmp = Path(self._tmp.name)
        self._corpora: dict[tuple[str, int], Path] = {}
        self.started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.load = os.getloadavg()  # the machine may be shared: wall times are loose when this is high
        results.mkdir(parents=True, exist_ok=True)

    def corpus(self, kind: str, n: int) -> Path:
        """The synthetic ("synthetic") or bulk-imported ("bulk") corpus of n sources, made once a run;
        "notes" is a synthetic corpus with a notes file beside each source, made fresh each call."""
        if kind != "notes" and (kind, n) in self._corpora:
            return self._corpora[(kind, n)]
        folder = Path(tempfile.mkdtemp(prefix=f"{kind}-{n}-", dir=self.tmp))
        start = time.perf_counter()
        if kind == "bulk":
            synthetic.make_bulk(folder, n, self.seed)
        else:
            synthetic.make(folder, n, self.seed)
            if kind == "notes":
                synthetic.add_notes(folder)
        print(f"(corpus: {n:,} {kind} sources made in {time.perf_counter() - start:.1f} s)", flush=True)
        if kind != "notes":
            self._corpora[(kind, n)] = folder
        return folder

    def scratch(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.tmp))

    def target(self, name: str, measured: str, threshold: str, passed: bool, value: float | None = None) -> None:
        self.targets.append(Target(name, measured, threshold, bool(passed), value))

    def save(self, name: str, row: dict) -> None:
        row = {"measurement": name, "machine": machine(), "started": self.started,
               "load_average": os.getloadavg(), **row}
        (self.results / f"{name}.json").write_text(json.dumps(row, indent=1, default=str) + "\n")

    def close(self) -> None:
        self._tmp.cleanup()


def machine() -> dict:
    return {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "commit": commit()}


def commit() -> str:
    here = Path(__file__).resolve().parent
    proc = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def failed(m: measure.Measured) -> str:
    """A failed build's last words (its error code, e.g. P302), for the row and the summary."""
    lines = [ln for ln in (m.stderr + m.stdout).splitlines() if ln.strip()]
    return f"exit {m.returncode}: " + (" / ".join(lines[-3:])[-400:] if lines else "no output")


def record(m: measure.Measured) -> dict:
    """A measurement for the JSON: its figures and the tail of what it printed."""
    return asdict(m) | {"peak_mib": m.peak_mib, "stdout": m.stdout[-2000:], "stderr": m.stderr[-2000:]}


def child_json(m: measure.Measured) -> dict:
    return json.loads(m.stdout.strip().splitlines()[-1])


# --- PDF against single-process WeasyPrint -------------------------------------------------------

def pdf(run: Run, n: int) -> None:
    corpus = run.corpus("synthetic", n)
    work = run.scratch(f"pdf-{n}")
    page = bench_pdf.weasy_html(corpus, work / "weasy.html")
    ours = measure.run_tree([sys.executable, "-c", OURS_PDF, str(corpus), str(work / "out")], env=ENV)
    o = pdf_facts(child_json(ours)) if not ours.returncode else {}
    weasy = measure.run_tree([sys.executable, "-c", bench_pdf.WEASY, str(page), str(work)], env=ENV)
    shutil.rmtree(work, ignore_errors=True)
    name = f"PDF at {n:,} sources"
    row = {"sources": n, "ours": record(ours), "weasyprint": record(weasy)}
    print("\n## PDF: ours against single-process WeasyPrint (pages a second, read-back included)\n")
    print("| sources | ours: pages | s | pages/s | peak MiB | PDF MiB | WeasyPrint: pages | s | pages/s "
          "| peak MiB | ratio (pages/s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if ours.returncode or weasy.returncode:
        row["error"] = failed(ours if ours.returncode else weasy)
        print(f"| {n:,} | failed: {row['error']} |||||||||")
        run.target(f"{name}: pages/s against WeasyPrint", row["error"], f">= {PDF_SPEED:g}x", False)
        run.target(f"{name}: peak memory", f"{ours.peak_mib:,.0f} MiB", f"<= {MEMORY_LIMIT_MIB:,} MiB", False)
        run.save(f"pdf-{n}", row)
        return
    w = child_json(weasy)
    o_pps, w_pps = o["pages"] / o["seconds"], w["pages"] / w["seconds"]
    ratio = o_pps / w_pps
    row.update(ours_child=o, weasyprint_child=w, ours_pps=o_pps, weasyprint_pps=w_pps, ratio=ratio)
    print(f"| {n:,} | {o['pages']:,} | {o['seconds']:.1f} | {o_pps:.0f} | {ours.peak_mib:,.0f} | "
          f"{o['bytes'] / 2**20:.1f} | {w['pages']:,} | {w['seconds']:.1f} | {w_pps:.0f} | "
          f"{weasy.peak_mib:,.0f} | {ratio:.1f}× |", flush=True)
    run.target(f"{name}: pages/s against WeasyPrint", f"{ratio:.2f}×", f">= {PDF_SPEED:g}×", ratio >= PDF_SPEED, ratio)
    run.target(f"{name}: peak memory", f"{ours.peak_mib:,.0f} MiB", f"<= {MEMORY_LIMIT_MIB:,} MiB",
               ours.peak_mib <= MEMORY_LIMIT_MIB, ours.peak_mib)
    run.save(f"pdf-{n}", row)


def pdf_large(run: Run, n: int) -> None:
    """Ours alone: single-process WeasyPrint at this size would take hours, so no baseline."""
    corpus = run.corpus("synthetic", n)
    work = run.scratch(f"pdf-large-{n}")
    ours = measure.run_tree([sys.executable, "-c", OURS_PDF, str(corpus), str(work / "out")], env=ENV)
    o = pdf_facts(child_json(ours)) if not ours.returncode else {}
    shutil.rmtree(work, ignore_errors=True)
    name = f"PDF at {n:,} sources (ours alone)"
    row = {"sources": n, "ours": record(ours),
           "baseline": "none: single-process WeasyPrint at this size would take hours"}
    print(f"\n## PDF at {n:,} sources: ours alone (no WeasyPrint baseline: it would take hours)\n")
    print("| sources | builds | s | pages | pages/s | files | PDF MiB | peak MiB |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    if ours.returncode:
        row["error"] = failed(ours)
        print(f"| {n:,} | no: {row['error']} | {ours.seconds:.1f} |  |  |  |  | {ours.peak_mib:,.0f} |", flush=True)
        run.target(f"{name}: builds", row["error"], "exit 0 (no P302)", False)
    else:
        row["ours_child"] = o
        print(f"| {n:,} | yes | {o['seconds']:.1f} | {o['pages']:,} | {o['pages'] / o['seconds']:.0f} | "
              f"{o['files']} | {o['bytes'] / 2**20:.1f} | {ours.peak_mib:,.0f} |", flush=True)
        run.target(f"{name}: builds", f"{o['pages']:,} pages in {o['seconds']:.0f} s, {o['bytes'] / 2**20:,.0f} MiB",
                   "exit 0 (no P302)", True)
    run.target(f"{name}: peak memory", f"{ours.peak_mib:,.0f} MiB", f"<= {MEMORY_LIMIT_MIB:,} MiB",
               not ours.returncode and ours.peak_mib <= MEMORY_LIMIT_MIB, ours.peak_mib)
    run.save(f"pdf-large-{n}", row)


# --- EPUB against pandoc, on both corpora --------------------------------------------------------

def epub(run: Run, n: int) -> None:
    print("\n## EPUB: ours against pandoc, on the synthetic and on a bulk-imported corpus\n")
    print("| corpus | sources | ours (s) | ours peak MiB | pandoc (s) | pandoc peak MiB | speed (pandoc s / ours) "
          "| memory (pandoc / ours) | EPUB bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for kind in ("synthetic", "bulk"):
        epub_one(run, kind, n)


def epub_one(run: Run, kind: str, n: int) -> None:
    corpus = run.corpus(kind, n)
    work = run.scratch(f"epub-{kind}-{n}")
    ours = measure.run_tree([*ARCHIVE, "build", str(corpus), "--out", str(work / "out"), "--format", "epub"], env=ENV)
    made = sorted((work / "out").glob("*.epub"))
    size = made[0].stat().st_size if made else 0
    md = bench_epub.pandoc_input(corpus, work / "all.md")
    theirs = measure.run_tree([pypandoc.get_pandoc_path(), str(md), "-o", str(work / "pandoc.epub"),
                               "--metadata", "title=bench"], env=ENV)
    shutil.rmtree(work, ignore_errors=True)
    name = f"EPUB at {n:,} sources, {kind} corpus"
    row = {"corpus": kind, "sources": n, "ours": record(ours), "pandoc": record(theirs), "epub_bytes": size}
    if ours.returncode or theirs.returncode:
        row["error"] = failed(ours if ours.returncode else theirs)
        print(f"| {kind} | {n:,} | failed: {row['error']} |||||||", flush=True)
        run.target(f"{name}: speed against pandoc", row["error"], f">= {EPUB_SPEED:g}×", False)
        run.target(f"{name}: memory against pandoc", row["error"], f"<= 1/{EPUB_MEMORY:g}", False)
        run.save(f"epub-{kind}-{n}", row)
        return
    speed, memory = theirs.seconds / ours.seconds, theirs.peak_mib / ours.peak_mib
    row.update(speed=speed, memory=memory, cpu_speed=theirs.cpu_s / ours.cpu_s if ours.cpu_s else None)
    print(f"| {kind} | {n:,} | {ours.seconds:.2f} | {ours.peak_mib:,.0f} | {theirs.seconds:.2f} | "
          f"{theirs.peak_mib:,.0f} | {speed:.1f}× | {memory:.1f}× | {size:,} |", flush=True)
    run.target(f"{name}: speed against pandoc", f"{speed:.1f}× faster", f">= {EPUB_SPEED:g}×",
               speed >= EPUB_SPEED, speed)
    run.target(f"{name}: memory against pandoc", f"1/{memory:.1f} ({ours.peak_mib:,.0f} / {theirs.peak_mib:,.0f} MiB)",
               f"<= 1/{EPUB_MEMORY:g}", memory >= EPUB_MEMORY, memory)
    run.save(f"epub-{kind}-{n}", row)


# --- Incremental: one note edited, both editions rebuilt ------------------------------------------

def editions(out: Path) -> dict[str, str]:
    """SHA-256 of each edition in an output folder (its files, not the cache or staging)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")}


def compare(before: dict[str, str], after: dict[str, str], reference: dict[str, str]) -> tuple[bool, list[str]]:
    """Whether the rebuilt editions are those of the --no-cache build, byte for byte (the same
    files, the same hashes), and which of them the edit changed."""
    identical = bool(after) and after == reference
    return identical, sorted(k for k in after if after.get(k) != before.get(k))


EDITS = 3  # rebuilds, each after one note edited (of another source each time): the median is the figure


def incremental(run: Run, n: int) -> None:
    """A full build (cache empty), then EDITS rebuilds, each after one note of another source is
    edited: the median rebuild against the full build (a single rebuild of 2-3 s varies by a
    fifth from run to run on this machine); the last rebuild byte-identical to a --no-cache build
    of the same corpus; every rebuild changed every edition."""
    corpus = run.corpus("notes", n)
    work = run.scratch(f"incremental-{n}")
    cached, fresh = work / "out", work / "out-no-cache"
    both = [*ARCHIVE, "build", str(corpus), "--format", "all"]
    full = measure.run_tree([*both, "--out", str(cached)], env=ENV)
    before = editions(cached) if not full.returncode else {}
    ids = sorted(p.name.removesuffix(".notes.toml") for p in (corpus / "sources").glob("*.notes.toml"))
    edited = [ids[(k + 1) * len(ids) // (EDITS + 1)] for k in range(EDITS)]
    rebuilds, changes, after = [], [], before
    for sid in edited:
        synthetic.edit_note(corpus, sid)
        rebuilds.append(measure.run_tree([*both, "--out", str(cached)], env=ENV))
        now = editions(cached) if not rebuilds[-1].returncode else {}
        changes.append(compare(after, now, {})[1])  # what this edit changed
        after = now
    nocache = measure.run_tree([*both, "--out", str(fresh), "--no-cache"], env=ENV)
    reference = editions(fresh) if not nocache.returncode else {}
    cache_bytes = sum(p.stat().st_size for p in (cached / ".cache").rglob("*") if p.is_file()) \
        if (cached / ".cache").is_dir() else 0
    if run.keep:
        shutil.copytree(cached, run.keep / f"incremental-{n}", ignore=shutil.ignore_patterns(".*"))
    shutil.rmtree(work, ignore_errors=True)
    name = f"Incremental at {n:,} sources (one note edited, both editions)"
    runs = {"full": full, **{f"rebuild_{k + 1}": m for k, m in enumerate(rebuilds)}, "no_cache": nocache}
    row = {"sources": n, "edited": [f"sources/{sid}.notes.toml" for sid in edited], "cache_bytes": cache_bytes,
           "editions": {"full": before, "rebuild": after, "no_cache": reference}}
    for key, m in runs.items():
        row[key] = record(m)
    print(f"\n## Incremental: {n:,} sources, both editions; {EDITS} rebuilds, each after one note edited "
          f"({', '.join(row['edited'])})\n")
    print("| sources | full (s) | rebuilds (s) | median rebuild / full | --no-cache (s) | peak MiB full / rebuild "
          "| cache MiB | last rebuild = --no-cache | each edit changed |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|")
    bad = next((m for m in runs.values() if m.returncode), None)
    if bad is not None:
        row["error"] = failed(bad)
        print(f"| {n:,} | failed: {row['error']} ||||||||", flush=True)
        run.target(f"{name}: rebuild / full", row["error"], f"<= {INCREMENTAL:.0%}", False)
        run.target(f"{name}: rebuild byte-identical to --no-cache", row["error"], "identical", False)
        run.save(f"incremental-{n}", row)
        return
    rebuild = sorted(rebuilds, key=lambda m: m.seconds)[len(rebuilds) // 2]  # the median
    ratio = rebuild.seconds / full.seconds
    identical = compare(before, after, reference)[0]
    row.update(ratio=ratio, identical=identical, changed=changes,
               ratios=[m.seconds / full.seconds for m in rebuilds])
    print(f"| {n:,} | {full.seconds:.2f} | {', '.join(f'{m.seconds:.2f}' for m in rebuilds)} | {ratio:.1%} | "
          f"{nocache.seconds:.2f} | {full.peak_mib:,.0f} / {max(m.peak_mib for m in rebuilds):,.0f} | "
          f"{cache_bytes / 2**20:.1f} | {'yes' if identical else 'NO'} ({len(after)} files) | "
          f"{'; '.join(', '.join(c) or 'nothing' for c in changes)} |", flush=True)
    cpu = rebuild.cpu_s / full.cpu_s if full.cpu_s else float("nan")
    row["cpu_ratio"] = cpu
    run.target(f"{name}: rebuild / full", f"{ratio:.1%} (median of {EDITS}: {rebuild.seconds:.1f} s / "
               f"{full.seconds:.1f} s; CPU {cpu:.1%}; each: "
               f"{', '.join(f'{m.seconds / full.seconds:.1%}' for m in rebuilds)})",
               f"<= {INCREMENTAL:.0%}", ratio <= INCREMENTAL, ratio)
    run.target(f"{name}: rebuild byte-identical to --no-cache",
               f"{'identical' if identical else 'DIFFERENT'}: {', '.join(sorted(after)) or 'no editions'}",
               "identical", identical)
    run.target(f"{name}: each edit reaches every edition (harness check)",
               f"changed: {'; '.join(', '.join(c) or 'nothing' for c in changes)}", "every edition changed",
               bool(after) and all(len(c) == len(after) for c in changes))
    run.save(f"incremental-{n}", row)


# --- The run ---------------------------------------------------------------------------------------

MEASURE = {"pdf": pdf, "pdf-large": pdf_large, "epub": epub, "incremental": incremental}


def summary(run: Run) -> None:
    print("\n## Summary: issue 10's targets\n")
    print(f"Run started {run.started} on {platform.machine()}, {os.cpu_count()} cores, commit {commit()}; "
          f"load average at the start {run.load[0]:.1f}, now {os.getloadavg()[0]:.1f} (wall times are loose "
          "when it is above the cores).\n")
    print("| target | measured | threshold | result |")
    print("|---|---|---|---|")
    for t in run.targets:
        print(f"| {t.name} | {t.measured} | {t.threshold} | {'PASS' if t.passed else 'FAIL'} |")
    passed = sum(t.passed for t in run.targets)
    print(f"\n{passed} of {len(run.targets)} targets PASS. JSON: {run.results}/", flush=True)
    (run.results / "summary.json").write_text(json.dumps(
        {"started": run.started, "machine": machine(), "targets": [asdict(t) for t in run.targets]},
        indent=1) + "\n")


def parse(argv: list[str]) -> tuple[list[tuple[str, int]], dict]:
    """`part [N] part [N] ... [--results DIR] [--seed S] [--keep DIR]`; no part: every part at its
    default size."""
    options, plan = {"results": Path(__file__).parent / "results", "seed": 1, "keep": None}, []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ("--results", "--seed", "--keep") and args:
            value = args.pop(0)
            options[a[2:]] = int(value) if a == "--seed" else Path(value)
        elif a in ("-h", "--help"):
            print(__doc__ + f"\nParts and their default sizes: {PARTS}. Options: --results DIR "
                  "(default bench/results), --seed S, --keep DIR.")
            raise SystemExit(0)
        elif a in ("all", "targets"):
            plan += list(PARTS.items())
        elif a in MEASURE:
            n = int(args.pop(0)) if args and args[0].isdigit() else PARTS[a]
            plan.append((a, n))
        else:
            print(f"bench: unknown part {a!r}: one of {', '.join(MEASURE)} (each with an optional number of "
                  "sources), or sizes alone for the earlier suite (docs/performance.md)", file=sys.stderr)
            raise SystemExit(2)
    return plan or list(PARTS.items()), options


def main(argv: list[str]) -> int:
    plan, options = parse(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"plan: {', '.join(f'{p} {n:,}' for p, n in plan)}", flush=True)
    run = Run(**options)
    try:
        for part, n in plan:
            MEASURE[part](run, n)
        summary(run)
    finally:
        run.close()
    return 0
