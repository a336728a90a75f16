"""Every input gets an answer: generated corpora, loaded (docs/security.md, "Errors").

Hypothesis writes metadata of any shape (known and unknown fields, values of every TOML type,
nested tables and arrays, impossible dates, paths) and bytes of any kind into one file of a copy
of the default corpus. The loader must answer each: an Archive, or a CorpusError whose every
problem has a code, says where (a file or what), and says how to fix it. Any other exception is a
traceback the user would see, and fails the test. The number of cases run is printed at the end
(pytest -s) and recorded in docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest
import tomlkit
from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.corpus import ARCHIVE_KEYS, NOTE_KEYS, PROVENANCE_KEYS, load
from builder.errors import CorpusError
from builder.model import Archive

LETTER = "sources/butler-letter-to-jlm"
KNOWN = sorted(ARCHIVE_KEYS | PROVENANCE_KEYS | NOTE_KEYS | {
    "value", "certainty", "evidence", "name", "role", "file_name", "sha256", "how", "description", "flaws",
    "page_size", "source_bytes", "metadata_bytes", "url", "identifiers", "notes"})
HOSTILE_TEXT = ["2020-13-45", "2020-00", "2020-02-30", "../../etc/passwd", "/etc/passwd", "\x00", "\u202e",
                "x" * 300, "", " ", "unknown", "inferred", "stated", "en-GB", "en_GB", "a5"]
CASES = {"count": 0}

keys = st.one_of(st.sampled_from(KNOWN), st.text(min_size=1, max_size=8))
scalars = st.one_of(
    st.text(max_size=40), st.sampled_from(HOSTILE_TEXT), st.integers(), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(), st.datetimes(),
    st.datetimes(timezones=st.just(dt.timezone.utc)))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=24)
tables = st.dictionaries(keys, values, max_size=10)


@pytest.fixture(scope="module")
def base():
    """The default corpus cut to one source (fast to load), once for the module; each case
    changes one file and restores it."""
    folder = Path(tempfile.mkdtemp(prefix="hostile-props-")) / "corpus"
    shutil.copytree(CORPUS, folder)
    keep = LETTER.split("/")[1]
    for p in folder.rglob("*"):
        p.chmod(0o644)
        if p.parent.name == "sources" and not p.name.startswith(keep + "."):
            p.unlink()
    archive = tomlkit.parse((folder / "archive.toml").read_text(encoding="utf-8"))
    archive["sources"] = [keep]
    (folder / "archive.toml").write_text(tomlkit.dumps(archive), encoding="utf-8")
    assert len(load(folder).sources) == 1
    yield folder
    shutil.rmtree(folder.parent, ignore_errors=True)
    print(f"\ngenerated corpora loaded: {CASES['count']}")


def answers(corpus: Path, name: str, data: bytes) -> None:
    """Write data to corpus/name, load, restore; the load must answer (Archive or CorpusError)."""
    path = corpus / name
    before = path.read_bytes()
    path.write_bytes(data)
    try:
        result = load(corpus)
        assert isinstance(result, Archive)
    except CorpusError as e:
        assert e.problems, "a CorpusError with no problem"
        for p in e.problems:
            assert p.code and p.message and p.fix, p
            assert p.path is not None or p.where, p
        assert str(e).endswith("nothing was written.")
    finally:
        path.write_bytes(before)
        CASES["count"] += 1


def toml(table: dict) -> bytes:
    return tomlkit.dumps(table).encode("utf-8", "surrogatepass")


PROPERTY = settings(max_examples=100, deadline=None, derandomize=True,  # the same cases every run
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY
@given(table=tables)
def test_any_sidecar_gets_an_answer(base, table):
    answers(base, f"{LETTER}.toml", toml(table))


@PROPERTY
@given(table=tables)
def test_any_archive_toml_gets_an_answer(base, table):
    """The real archive.toml with generated fields over it: mostly valid, with hostile values."""
    data = tomlkit.parse((base / "archive.toml").read_text(encoding="utf-8")).unwrap()
    data.update(table)
    answers(base, "archive.toml", toml(data))


@PROPERTY
@given(notes=st.lists(st.dictionaries(keys, values, max_size=8), max_size=6), extra=tables)
def test_any_notes_file_gets_an_answer(base, notes, extra):
    answers(base, f"{LETTER}.notes.toml", toml({**extra, "notes": notes}))


@PROPERTY
@given(name=st.sampled_from(["archive.toml", f"{LETTER}.toml", f"{LETTER}.notes.toml", "introduction.md",
                             f"{LETTER}.txt"]),
       data=st.binary(max_size=400))
def test_any_bytes_get_an_answer(base, name, data):
    answers(base, name, data)


@PROPERTY
@given(name=st.sampled_from(["archive.toml", f"{LETTER}.toml", f"{LETTER}.notes.toml"]),
       at=st.integers(min_value=0), junk=st.binary(min_size=1, max_size=12))
def test_damaged_metadata_gets_an_answer(base, name, at, junk):
    """A real file with a few bytes spliced in: near-valid TOML, the hardest case for messages."""
    data = (base / name).read_bytes()
    at %= len(data)
    answers(base, name, data[:at] + junk + data[at:])
