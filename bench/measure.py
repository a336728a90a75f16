"""Run a command as a child process; return its wall time and peak memory (from wait4)."""

from __future__ import annotations

import os
import subprocess
import time


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
