"""Run a command as a child process; return its wall time and peak memory (from wait4, and
for run_tree also the sampled sum of its process tree)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def run(cmd: list[str], **kwargs) -> tuple[float, float]:
    """(seconds, peak resident MiB) of one child process; raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr.read().decode()[-800:]}")
    return seconds, usage.ru_maxrss / 1024


@dataclass
class Measured:
    """One child process: wall seconds, peak memory and what it printed."""
    seconds: float
    maxrss_mib: float  # ru_maxrss from wait4: the largest single process of the tree (child or a reaped descendant)
    tree_mib: float  # the largest sum of memory (Pss) of the child and all its descendants at one time (sampled)
    returncode: int
    stdout: str
    stderr: str
    cpu_s: float = 0.0  # user + system time of the child and its reaped descendants (wait4)

    @property
    def peak_mib(self) -> float:
        """The peak the targets are judged on: the larger of the two (processes in parallel add up)."""
        return max(self.maxrss_mib, self.tree_mib)


def _tree_rss(root: int) -> int:
    """Memory of root and every descendant now, from /proc (0 where /proc cannot tell): each
    process's proportional share (Pss, /proc/PID/smaps_rollup: a page shared by n processes counts
    1/n to each, so that workers forked from the build are not counted twice for the pages they
    share with it); its resident size where Pss cannot be read."""
    parents: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (comm) "
        pid = int(name)
        parents.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * PAGE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss(pid, rss.get(pid, 0))
        todo += parents.get(pid, [])
    return total


def _pss(pid: int, rss: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return rss


PAGE = os.sysconf("SC_PAGE_SIZE")


def run_tree(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None, every: float = 0.2) -> Measured:
    """Run cmd to the end (it may fail: see returncode), sampling its process tree's memory. The
    disk's pending writes are flushed first (os.sync), so that a command is not charged for the
    writing back of files made before it (the corpus the harness just wrote, an earlier command's
    output): each command, ours or a baseline, starts from the same state."""
    os.sync()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        tree, done = [0], threading.Event()

        def sample() -> None:
            while not done.wait(every):
                tree[0] = max(tree[0], _tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(seconds, usage.ru_maxrss / 1024, tree[0] / 2**20, proc.returncode,
                        out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                        usage.ru_utime + usage.ru_stime)
