"""builder/writers/typst_fonts.py: the fonts found once a process give the PDF Typst makes when it
searches the folders itself, and are searched again when a folder's files change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import typst

from builder import templating
from builder.writers import typst_fonts

SHIPPED = templating.packaged_templates() / "pdf" / "fonts"


def _fonts_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "fonts"
    folder.mkdir()
    for font in sorted(SHIPPED.rglob("*.ttf")):
        shutil.copy(font, folder / font.name)
    assert any(folder.iterdir())
    return folder


def test_the_fonts_found_once_make_the_same_pdf(tmp_path):
    main = tmp_path / "main.typ"
    main.write_text('#set text(font: "Noto Naskh Arabic")\nHello, “world” — 1934: رسالة\n', encoding="utf-8")
    dirs = [str(SHIPPED)]
    searched = typst.Compiler(str(main), root=str(tmp_path), font_paths=dirs, ignore_system_fonts=True)
    found = typst.Compiler(str(main), root=str(tmp_path), font_paths=typst_fonts.fonts(dirs),
                           ignore_system_fonts=True)
    first = searched.compile(format="pdf", timestamp=0)
    assert first and found.compile(format="pdf", timestamp=0) == first


def test_a_folder_whose_files_change_is_searched_again(tmp_path):
    folder = _fonts_folder(tmp_path)
    dirs = [str(folder)]
    once = typst_fonts.fonts(dirs)
    assert typst_fonts.fonts(dirs) is once  # the same files: found once
    font = sorted(folder.iterdir())[0]
    font.write_bytes(font.read_bytes() + b"\0")  # a font replaced between two builds
    assert typst_fonts.fonts(dirs) is not once
    again = typst_fonts.fonts(dirs)
    (folder / "more.ttf").write_bytes(sorted(SHIPPED.rglob("*.ttf"))[-1].read_bytes())  # a font added
    assert typst_fonts.fonts(dirs) is not again


def test_the_folders_are_named_for_a_fork_server_only_while_it_starts(monkeypatch):
    monkeypatch.delenv(typst_fonts.ENV, raising=False)
    with typst_fonts.announced(["/a", "/b"]):
        assert os.environ[typst_fonts.ENV] == os.pathsep.join(["/a", "/b"])
    assert typst_fonts.ENV not in os.environ
    monkeypatch.setenv(typst_fonts.ENV, "/before")
    with typst_fonts.announced(["/c"]):
        assert os.environ[typst_fonts.ENV] == "/c"
    assert os.environ[typst_fonts.ENV] == "/before"
