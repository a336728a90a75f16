"""`archive init`: a new, empty corpus that loads, with every field to fill in commented.

`init(folder, ...)` writes archive.toml (title, slug, a fresh identifier, language, today's date,
editors, publisher, rights with a licence URI), introduction.md and an empty sources/. It refuses
a folder that is not empty, writing nothing; the files are made in a temporary folder beside it
and moved in at the end, so that a failure leaves nothing half-made.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from .corpus import SLUG_FORM, slugify
from .errors import ArchiveError, CorpusError, Problem

# What `init` writes where the editor must write something; `archive status` looks for these.
DESCRIPTION_PLACEHOLDER = "Not yet written: what the archive holds, in a paragraph."
INTRODUCTION_PLACEHOLDER = ("Not yet written. The editorial introduction: what the collection is and is not, "
                            "how the documents were chosen, and the context a reader needs.")
LICENCES = {
    "cc-by-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-sa-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "cc-by-nc-4.0": ("CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
    "cc0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}


@dataclass(frozen=True)
class Initialised:
    folder: Path
    files: tuple[Path, ...]
    identifier: str


def init(folder: Path, title: str = "", editor: str = "", language: str = "en", publisher: str = "",
         licence: str = "cc-by-4.0", today: dt.date | None = None) -> Initialised:
    """Make a new corpus in folder (absent or empty). Raises CorpusError, writing nothing, on bad input."""
    folder = Path(folder)
    problems = _check(folder, title, editor, language, licence)
    if problems:
        raise CorpusError(problems)
    title = title.strip() or "Untitled archive"
    editor = editor.strip() or "The editors"
    identifier = f"urn:uuid:{uuid.uuid4()}"
    files = {
        "archive.toml": archive_toml(title, editor, language.strip(), publisher.strip() or editor, licence,
                                     identifier, today or dt.datetime.now(dt.timezone.utc).date()),
        "introduction.md": f"## About this archive\n\n{INTRODUCTION_PLACEHOLDER}\n",
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    try:
        for name, text in files.items():
            (tmp / name).write_bytes(text.encode("utf-8"))
        (tmp / "sources").mkdir()
        if folder.exists():  # empty (checked): move the files in
            for item in sorted(tmp.iterdir()):
                os.replace(item, folder / item.name)
            tmp.rmdir()
        else:
            tmp.chmod(0o755)
            os.replace(tmp, folder)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ArchiveError(f"{e.filename or folder}: could not write: {e.strerror or e}; nothing was made") from e
    return Initialised(folder, tuple(folder / n for n in (*files, "sources")), identifier)


def _check(folder: Path, title: str, editor: str, language: str, licence: str) -> list[Problem]:
    problems = []
    if folder.exists() and not folder.is_dir():
        problems.append(Problem("A341", folder, "is a file, not a folder",
                                "give `archive init` a new folder's name, or an empty folder"))
    elif folder.is_dir() and any(folder.iterdir()):
        found = ", ".join(sorted(p.name for p in folder.iterdir())[:5])
        hint = ("it is already a corpus: go on with `archive add FILE --corpus " + str(folder) + "`"
                if (folder / "archive.toml").exists() else
                "give a new folder's name (init never writes over files); to bring documents in, make the "
                f"corpus elsewhere and `archive add` them, e.g. archive init my-archive && "
                f"archive add {folder}/*.txt --corpus my-archive")
        problems.append(Problem("A340", folder, f"the folder is not empty ({found})", hint))
    if title and not slugify(title).strip("-"):
        problems.append(Problem("A342", None, f"--title '{title}' gives no usable slug",
                                "use a title with letters or digits"))
    if not language.strip() or " " in language.strip():
        problems.append(Problem("A342", None, f"--language '{language}' is not a language tag",
                                "give a BCP 47 tag such as en, en-GB, de, fr"))
    if licence not in LICENCES:
        problems.append(Problem("A342", None, f"--licence '{licence}' is not one this tool knows",
                                f"use one of {', '.join(LICENCES)}, then edit `rights` in archive.toml as needed"))
    if editor and "\n" in editor:
        problems.append(Problem("A342", None, "--editor has a line break", "give the name on one line"))
    return problems


def archive_toml(title: str, editor: str, language: str, publisher: str, licence: str, identifier: str,
                 today: dt.date) -> str:
    """The commented archive.toml of a new corpus; the values through tomlkit, so they are quoted right."""
    name, uri = LICENCES[licence]
    slug = slugify(title)
    assert SLUG_FORM.match(slug)
    rights = (f"Editorial matter (introduction, provenance notes, editorial notes) © {editor}, licensed under "
              f"{name} ({uri}). Each source remains with its rights holder and is reproduced for research "
              "and preservation.")

    def v(value) -> str:
        return tomlkit.item(value).as_string()

    return f"""\
# The archive: see docs/corpus-format.md. Written by `archive init`; `archive status` lists what
# is still to do. Every value here appears in the editions and the deposit.

# The title of the archive, and a subtitle (optional). Keep the subtitle true as sources are
# added: `archive status` warns when it names a number of documents the corpus no longer has.
title = {v(title)}
subtitle = ""
# The file names of the editions: lower-case letters, digits and hyphens.
slug = {v(slug)}
# A persistent identifier for this edition, made fresh by `archive init`. Give each new edition
# a new one (python3 -c "import uuid; print(uuid.uuid4())"), or a DOI or handle when there is one.
identifier = {v(identifier)}
# The language of the editorial matter, as a BCP 47 tag (en, en-GB, de, fr, ...).
language = {v(language)}
# The edition's date (YYYY-MM-DD). Change it with each new edition.
date = {today.isoformat()}
publisher = {v(publisher)}
# The rights statement printed in every edition; the licence of the editorial matter with its URI.
rights = {v(rights)}
# A paragraph: what the archive holds (the editions' blurb, the deposit's Dublin Core description).
description = {v(DESCRIPTION_PLACEHOLDER)}
# Subject headings (Library of Congress style), optional.
subjects = []
# The order of the sources in the editions; `archive add` appends to it.
sources = []

# One [[editors]] table for each editor (role: editor, compiler, translator, ...).
[[editors]]
name = {v(editor)}
role = "editor"

[pdf]
# a5, a4 or us-trade
page_size = "a5"
"""
