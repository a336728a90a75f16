"""The console script's quick exit (builder/cli_run.py exit_quickly): the exit code, the output and
atexit's handlers as Python's own exit gives them, without the interpreter's teardown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from builder.cli import main

from conftest import CORPUS


def archive(*args) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("archive")  # the installed console script
    return subprocess.run([str(script), *map(str, args)], capture_output=True, text=True, timeout=300)


def test_the_console_script_exits_with_the_commands_code_and_all_its_output(tmp_path):
    ok = archive("notes", "export", CORPUS, "-o", "-")
    assert ok.returncode == 0
    assert ok.stdout == CliRunner().invoke(main, ["notes", "export", str(CORPUS), "-o", "-"]).stdout  # every byte
    assert len(ok.stdout) > 10_000
    bad = archive("build", tmp_path / "no-corpus", "--out", tmp_path / "out")
    assert bad.returncode == 2 and "error C100" in bad.stderr
    usage = archive("no-such-command")
    assert usage.returncode == 2 and "No such command" in usage.stderr


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_atexit_handlers_run_the_output_is_flushed_and_a_message_exit_is_code_1():
    done = run_python("import atexit, sys\n"
                      "from builder.cli_run import exit_quickly\n"
                      "atexit.register(lambda: print('atexit ran'))\n"
                      "exit_quickly(lambda: print('the command') or sys.exit(3))\n")
    assert (done.returncode, done.stdout) == (3, "the command\natexit ran\n")  # stdout a pipe: block-buffered
    said = run_python("import sys\nfrom builder.cli_run import exit_quickly\nexit_quickly(lambda: sys.exit('no way'))\n")
    assert (said.returncode, said.stderr) == (1, "no way\n")


def test_a_command_that_leaves_a_thread_running_exits_the_usual_way():
    done = run_python("import sys, threading, time\n"
                      "from builder.cli_run import exit_quickly\n"
                      "t = threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', flush=True)))\n"
                      "exit_quickly(lambda: t.start() or sys.exit(4))\n")
    assert (done.returncode, done.stdout) == (4, "thread done\n")  # waited for, as Python's own exit does
