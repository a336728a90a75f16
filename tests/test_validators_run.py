"""A validator that cannot run is never a pass: the library says so (ValidatorUnavailable, exit 3),
and under CI=true the test suite's own guard (conftest.need) turns it into a failure."""

from __future__ import annotations

import shutil

import conftest
import pytest

from builder import validators
from builder.check import check
from builder.errors import EXIT_VALIDATOR, ValidatorUnavailable


def _missing(monkeypatch, module, *names: str) -> None:
    real = shutil.which
    monkeypatch.setattr(module.shutil, "which", lambda name, *a, **k: None if name in names else real(name, *a, **k))


def test_need_fails_in_ci_and_skips_elsewhere(monkeypatch):
    def unavailable():
        raise ValidatorUnavailable("no such validator")

    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="validator could not run in CI: no such validator"):
        conftest.need(unavailable)
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="no such validator"):
        conftest.need(unavailable)
    assert conftest.need(lambda x: x + 1, 1) == 2  # a validator that runs: its answer


def test_all_ran_fails_in_ci_on_a_report_with_a_validator_not_run(monkeypatch):
    report = check([], epubcheck=False)
    report.unavailable.append("x.epub: EPUBCheck: no Java")
    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="no Java"):
        conftest.all_ran(report)


def test_validators_without_their_programs_raise(monkeypatch, tmp_path):
    _missing(monkeypatch, validators, "java", "qpdf", "chromium", "chromium-browser")
    for action in (lambda: validators.epubcheck(tmp_path / "x.epub"), lambda: validators.qpdf_check(tmp_path / "x.pdf"),
                   lambda: validators.ace(tmp_path / "x.epub", tmp_path)):
        with pytest.raises(ValidatorUnavailable):
            action()


def test_check_of_a_pdf_without_pdftotext_is_not_a_pass(default_build, monkeypatch):
    from builder.check import pdf as check_pdf
    _missing(monkeypatch, check_pdf, "pdftotext")
    report = check([default_build.editions["pdf"]], epubcheck=False)
    assert report.exit_code == EXIT_VALIDATOR and any("pdftotext" in u for u in report.unavailable), report.text()
