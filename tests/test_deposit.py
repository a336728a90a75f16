"""The deposit: a valid BagIt 1.0 bag and its zip, METS/PREMIS/DC/CSL, reproducible, atomic."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
import re
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner
from conftest import CORPUS, IN_CI, REPO, epubcheck_problems, need
from lxml import etree

from builder import deposit as deposit_mod
from builder.build import FORMATS
from builder.cli import main
from builder.corpus import load
from builder.metadata import DC_NS, METS_NS, OAI_DC_NS, PREMIS_NS

SCHEMAS = REPO / "templates" / "deposit" / "schemas"
NS = {"m": METS_NS, "p": PREMIS_NS, "x": "http://www.w3.org/1999/xlink", "dc": DC_NS}


def sha(path: Path, alg: str = "sha256") -> str:
    return hashlib.new(alg, path.read_bytes()).hexdigest()


def test_bag_is_valid_bagit_1_0(default_deposit):
    bag = default_deposit.bag
    b = bagit.Bag(str(bag))
    b.validate(processes=1)
    assert b.version_info == (1, 0)
    assert (bag / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    assert set(b.algorithms) == {"sha256", "sha512"}
    for alg in ("sha256", "sha512"):  # tag manifests agree with the tag files as written
        lines = (bag / f"tagmanifest-{alg}.txt").read_text().splitlines()
        listed = dict(reversed(line.split("  ", 1)) for line in lines)
        assert set(listed) == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"}
        for name, digest in listed.items():
            assert sha(bag / name, alg) == digest, name


def test_bag_info_is_dated_when_bagged(default_deposit):
    archive = load(CORPUS)
    info = bagit._load_tag_file(str(default_deposit.bag / "bag-info.txt"))
    bagged = dt.date.fromisoformat(info["Bagging-Date"])  # the day of bagging (or SOURCE_DATE_EPOCH's)
    assert bagged >= archive.date.date()  # bagged after the edition was dated, never before
    mets = etree.parse(str(default_deposit.bag / "data" / "metadata" / "mets.xml")).getroot()
    assert mets.find("m:metsHdr", namespaces=NS).get("CREATEDATE").startswith(info["Bagging-Date"])
    assert info["Source-Organization"] == archive.publisher
    assert info["External-Identifier"] == archive.identifier
    assert info["External-Description"]
    assert info["Bag-Software-Agent"].startswith("annotated-archive ")
    payload = [p for p in (default_deposit.bag / "data").rglob("*") if p.is_file()]
    assert info["Payload-Oxum"] == f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"


def test_payload_holds_editions_originals_notes_metadata_reports(default_deposit):
    data = default_deposit.bag / "data"
    archive = load(CORPUS)
    for kind in FORMATS:
        assert (data / "editions" / f"{archive.slug}.{kind}").read_bytes() == default_deposit.editions[kind].read_bytes()
    for s in archive.sources:  # every original, byte for byte
        assert (data / "sources" / s.file_name).read_bytes() == s.read_bytes()
    notes = json.loads((data / "notes" / "annotations.jsonld").read_text())
    assert notes["type"] == "AnnotationCollection"
    assert notes["total"] == sum(len(s.notes) for s in archive.sources) == len(notes["first"]["items"])
    for name in ("citations.json", "dc.xml", "mets.xml"):
        assert (data / "metadata" / name).is_file()
    assert {p.name for p in (data / "reports").iterdir()} >= {"epubcheck.json", "pdf-checks.json",
                                                             "fidelity-epub.json"}


def test_the_register_travels_as_recorded_and_as_json(default_deposit):
    """Issue 11: the register of people, organisations and terms is among the bag's records."""
    data = default_deposit.bag / "data"
    assert (data / "register.toml").read_bytes() == (CORPUS / "register.toml").read_bytes()
    entries = json.loads((data / "register.json").read_text(encoding="utf-8"))
    recorded = tomllib.loads((CORPUS / "register.toml").read_text(encoding="utf-8"))
    assert [e["id"] for e in entries] == [e["id"] for e in recorded["entry"]]
    assert all(e["description"] and e["evidence"] for e in entries)
    assert "register.toml" in (default_deposit.bag / "data" / "README.txt").read_text(encoding="utf-8")


def test_readme_tells_a_person_what_each_file_is(default_deposit):
    data = default_deposit.bag / "data"
    readme = (data / "README.txt").read_text(encoding="utf-8")
    archive = load(CORPUS)
    for path in sorted(p for p in data.rglob("*") if p.is_file() and p.name != "README.txt"):
        assert path.relative_to(data).as_posix() in readme, path
    for s in archive.sources:
        assert s.provenance.received_file_name in readme and s.sha256 in readme


def test_reports_have_no_volatile_fields(default_deposit):
    reports = default_deposit.bag / "data" / "reports"
    epubcheck = json.loads((reports / "epubcheck.json").read_text())
    assert epubcheck["checker"]["nError"] == epubcheck["checker"]["nFatal"] == 0
    for key in ("checkDate", "elapsedTime", "path"):
        assert key not in epubcheck["checker"]
    for p in reports.iterdir():
        text = p.read_text()
        assert "/tmp" not in text and tempfile.gettempdir() not in text, p.name
        assert str(default_deposit.bag.parent) not in text, p.name
        assert "java" not in text.lower(), p.name
    pdf = json.loads((reports / "pdf-checks.json").read_text())
    assert pdf["findings"] == [] and pdf["claims"]["pdfa"] and all(f["embedded"] for f in pdf["fonts"])


def test_citations_are_csl_json_as_precise_as_known(default_deposit):
    items = {i["id"]: i for i in json.loads((default_deposit.bag / "data/metadata/citations.json").read_text())}
    archive = load(CORPUS)
    assert set(items) == {s.id for s in archive.sources}
    kinds = {"letter": "personal_communication", "news report": "article-newspaper", "statement": "document"}
    for s in archive.sources:
        p, item = s.provenance, items[s.id]
        assert item["type"] == kinds.get(p.kind, "document")
        assert ("URL" in item) == bool(p.url)  # never invented
        if p.date.certainty == "unknown":
            assert "issued" not in item
        else:
            assert item["issued"]["date-parts"] == [[int(x) for x in p.date.value.split("-")]]
            assert item["issued"].get("circa", False) == (p.date.certainty == "inferred")
        if p.publication:
            assert item["container-title"] == p.publication
        assert p.date.certainty in item["note"] or "unknown" in item["note"]
        assert not re.search(r"(?<!\.)\.\.(?!\.)", item["note"]), item["note"]  # no "month.. Author"
        assert [a["literal"] for a in item.get("author", [])] == [a.name for a in p.authors]


def test_mets_validates_against_mets_xsd_offline(default_deposit, monkeypatch):
    import metsrw
    import xmlschema

    def no_network(*args, **kwargs):
        raise AssertionError("the test tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    xsd = Path(metsrw.__file__).parent / "resources" / "mets.xsd"
    schema = xmlschema.XMLSchema(str(xsd), locations={"http://www.w3.org/1999/xlink": str(SCHEMAS / "xlink.xsd")})
    tree = etree.parse(str(default_deposit.bag / "data" / "metadata" / "mets.xml"))
    # xmlData is processContents="lax": PREMIS (no schema available offline) is checked structurally
    # below; its xsi:type="premis:file" would send xmlschema looking for the PREMIS schema.
    for obj in tree.getroot().iter(f"{{{PREMIS_NS}}}object"):
        del obj.attrib["{http://www.w3.org/2001/XMLSchema-instance}type"]
    schema.validate(tree)
    # and the schema has teeth: an element METS does not define is refused
    root = tree.getroot()
    root.insert(0, etree.Element(f"{{{root.nsmap['mets']}}}notAMetsSection"))
    assert not schema.is_valid(tree)


def test_mets_and_premis_record_fixity_formats_events_agents(default_deposit):
    data = default_deposit.bag / "data"
    root = etree.parse(str(data / "metadata" / "mets.xml")).getroot()
    files = root.xpath("//m:fileSec//m:file", namespaces=NS)
    listed = {f.xpath("m:FLocat/@x:href", namespaces=NS)[0]: f for f in files}
    payload = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    assert set(listed) == payload - {"metadata/mets.xml"}
    objects = {o.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=NS): o
               for o in root.xpath("//p:object", namespaces=NS)}
    for href, f in listed.items():
        assert f.get("CHECKSUM") == sha(data / href) and f.get("CHECKSUMTYPE") == "SHA-256"
        obj = objects[href]
        assert obj.findtext("p:objectCharacteristics/p:fixity/p:messageDigestAlgorithm", namespaces=NS) == "SHA-256"
        assert obj.findtext("p:objectCharacteristics/p:fixity/p:messageDigest", namespaces=NS) == sha(data / href)
        assert obj.findtext("p:objectCharacteristics/p:format/p:formatDesignation/p:formatName",
                            namespaces=NS) == f.get("MIMETYPE")
    archive = load(CORPUS)
    events = {e.findtext("p:eventIdentifier/p:eventIdentifierValue", namespaces=NS): e
              for e in root.xpath("//p:event", namespaces=NS)}
    record = json.loads((default_deposit.bag.parent / f".{archive.slug}.inputs.json").read_text())
    built = dt.datetime.fromisoformat(record["built"].replace("Z", "+00:00"))  # when the editions were built
    for s in archive.sources:
        received = events[f"received-{s.id}"]
        assert received.findtext("p:eventType", namespaces=NS) == "ingestion"
        # no receipt date recorded: only a bound is known, in EDTF ("on or before"), never "unknown"
        bound = min(archive.date, built).date().isoformat()
        assert received.findtext("p:eventDateTime", namespaces=NS) == (s.provenance.received_date or f"[..{bound}]")
        detail = received.findtext("p:eventDetailInformation/p:eventDetail", namespaces=NS)
        assert detail.startswith(s.provenance.received_how) and s.provenance.received_file_name in detail
    for kind in FORMATS:
        assert events[f"built-{kind}"].findtext("p:eventDateTime", namespaces=NS) == record["built"]
        validated = events[f"validated-{kind}"]
        assert validated.findtext("p:eventOutcomeInformation/p:eventOutcome", namespaces=NS) == "success"
        checked = validated.findtext("p:eventDateTime", namespaces=NS)
        assert dt.datetime.fromisoformat(checked.replace("Z", "+00:00")) >= built  # checked after it was built
    agents = {a.findtext("p:agentName", namespaces=NS): a for a in root.xpath("//p:agent", namespaces=NS)}
    assert agents["annotated-archive"].findtext("p:agentType", namespaces=NS) == "software"
    assert agents[archive.publisher].findtext("p:agentType", namespaces=NS) == "organization"
    from importlib.metadata import version
    assert agents["annotated-archive"].findtext("p:agentVersion", namespaces=NS) == version("annotated-archive")
    assert agents["Typst"].findtext("p:agentVersion", namespaces=NS) == version("typst")
    assert agents["EPUBCheck"].findtext("p:agentVersion", namespaces=NS) == version("epubcheck")
    qpdf = subprocess.run(["qpdf", "--version"], capture_output=True, text=True).stdout.split()[2]
    assert agents["qpdf"].findtext("p:agentVersion", namespaces=NS) == qpdf
    ace = json.loads((data / "reports" / "ace.json").read_text())["earl:assertedBy"]["doap:release"]["doap:revision"]
    assert agents["DAISY Ace"].findtext("p:agentVersion", namespaces=NS) == ace
    linked = {a.findtext("p:linkingAgentIdentifierValue", namespaces=NS)
              for a in events["built-pdf"].findall("p:linkingAgentIdentifier", namespaces=NS)}
    assert "agent-typst" in linked


def test_bag_holds_provenance_introduction_citation_and_notes_files(default_deposit):
    data = default_deposit.bag / "data"
    archive = load(CORPUS)
    for s in archive.sources:
        sidecar = CORPUS / "sources" / f"{s.id}.toml"
        assert (data / "provenance" / f"{s.id}.toml").read_bytes() == sidecar.read_bytes()  # as recorded
        record = json.loads((data / "provenance" / f"{s.id}.json").read_text(encoding="utf-8"))
        p = s.provenance
        assert record["id"] == s.id and record["title"] == p.title and record["title_supplied"] == p.title_supplied
        assert record["date"] == {"value": p.date.value, "certainty": p.date.certainty, "evidence": p.date.evidence}
        assert record["authors"] == [{"name": a.name, "role": a.role, "certainty": a.certainty,
                                      "evidence": a.evidence} for a in p.authors]
        assert record["origin"]["publication"] == p.publication and record["rights"] == p.rights
        assert record["received"]["sha256"] == p.received_sha256 == record["file"]["sha256"] == s.sha256
        assert record["condition"] == {"summary": p.condition_summary, "flaws": list(p.flaws)}
        assert record["notes"] == len(s.notes)
        assert (data / "notes" / f"{s.id}.notes.toml").read_bytes() == s.notes_path.read_bytes()
    assert (data / "introduction.md").read_bytes() == (CORPUS / "introduction.md").read_bytes()
    [item] = json.loads((data / "metadata" / "citation.json").read_text(encoding="utf-8"))
    assert item["type"] == "book" and item["title"] == archive.full_title and item["publisher"] == archive.publisher
    assert item["editor"] == [{"literal": e.name} for e in archive.editors]
    assert item["issued"] == {"date-parts": [[archive.date.year, archive.date.month, archive.date.day]]}
    assert item["license"] == archive.license == "https://creativecommons.org/licenses/by/4.0/"
    line = (data / "metadata" / "citation.txt").read_text(encoding="utf-8")
    assert archive.full_title in line and archive.identifier in line and str(archive.date.year) in line


def test_bag_lists_every_check_with_its_tool_version_and_result(default_deposit):
    reports = default_deposit.bag / "data" / "reports"
    checks = json.loads((reports / "checks.json").read_text())
    tools = {c["tool"]: c for c in checks}
    assert {"EPUBCheck", "DAISY Ace", "qpdf", "annotated-archive"} <= set(tools)
    for c in checks:
        assert c["result"] == "pass" and c["version"] and (reports.parent / c["report"]).is_file()
        assert dt.datetime.fromisoformat(c["at"].replace("Z", "+00:00")).tzinfo is not None
    ace = json.loads((reports / "ace.json").read_text())
    assert ace["earl:result"]["earl:outcome"] == "pass" and "dct:date" not in ace  # no run-to-run field
    assert ace["earl:testSubject"]["url"] == default_deposit.editions["epub"].name
    assert tools["DAISY Ace"]["version"] == ace["earl:assertedBy"]["doap:release"]["doap:revision"]


def test_licence_and_rights_in_dc_and_mets(default_deposit):
    data = default_deposit.bag / "data"
    archive = load(CORPUS)
    dc = etree.parse(str(data / "metadata" / "dc.xml")).getroot()
    assert archive.license in [e.text for e in dc.findall("dc:rights", namespaces=NS)]
    root = etree.parse(str(data / "metadata" / "mets.xml")).getroot()
    statements = {r.findtext("p:rightsStatementIdentifier/p:rightsStatementIdentifierValue", namespaces=NS): r
                  for r in root.xpath("//m:rightsMD//p:rightsStatement", namespaces=NS)}
    assert set(statements) == {"editorial"} | {f"source-{s.id}" for s in archive.sources}
    editorial = statements["editorial"]
    assert editorial.findtext("p:rightsBasis", namespaces=NS) == "License"
    assert editorial.findtext("p:licenseInformation/p:licenseDocumentationIdentifier/"
                              "p:licenseDocumentationIdentifierValue", namespaces=NS) == archive.license
    for s in archive.sources:
        st = statements[f"source-{s.id}"]
        assert st.findtext("p:otherRightsInformation/p:otherRightsNote", namespaces=NS) == s.provenance.rights
        assert st.findtext("p:linkingObjectIdentifier/p:linkingObjectIdentifierValue",
                           namespaces=NS) == f"sources/{s.file_name}"


@pytest.mark.parametrize("value", ["CC BY 4.0", "creativecommons.org/licenses/by/4.0/", "https://x y"])
def test_licence_must_be_an_absolute_uri(corpus_copy, value):
    from builder.errors import CorpusError
    toml = corpus_copy / "archive.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('license = "https://creativecommons.org/licenses/by/4.0/"',
                                 f"license = {json.dumps(value)}"), encoding="utf-8")
    with pytest.raises(CorpusError) as e:
        load(corpus_copy)
    assert [p.code for p in e.value.problems] == ["C155"] and "absolute URI" in str(e.value)


def test_dublin_core_is_oai_dc(default_deposit):
    root = etree.parse(str(default_deposit.bag / "data" / "metadata" / "dc.xml")).getroot()
    archive = load(CORPUS)
    assert root.tag == f"{{{OAI_DC_NS}}}dc"
    assert all(child.tag.startswith(f"{{{DC_NS}}}") for child in root)
    assert root.findtext("dc:title", namespaces=NS) == archive.full_title
    assert root.findtext("dc:identifier", namespaces=NS) == archive.identifier
    assert root.findtext("dc:date", namespaces=NS) == archive.date.date().isoformat()
    assert {e.text for e in root.findall("dc:format", namespaces=NS)} == {"application/epub+zip", "application/pdf"}


def test_zip_is_the_bag_in_one_folder_with_fixed_dates_and_modes(default_deposit):
    archive = load(CORPUS)
    top = default_deposit.bag.name
    with zipfile.ZipFile(default_deposit.zip) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names) and all(n.startswith(f"{top}/") for n in names)
        for info in infos:
            assert info.date_time == archive.date.timetuple()[:6]
            assert (info.external_attr >> 16) in (0o100644, 0o40755)
            if not info.is_dir():
                assert z.read(info) == (default_deposit.bag.parent / info.filename).read_bytes()
    bag_files = {p.relative_to(default_deposit.bag.parent).as_posix()
                 for p in default_deposit.bag.rglob("*") if p.is_file()}
    assert bag_files == {n for n in names if not n.endswith("/")}


def test_deposited_epub_passes_epubcheck(default_deposit):
    epub = default_deposit.bag / "data" / "editions" / default_deposit.editions["epub"].name
    assert epub.read_bytes() == default_deposit.editions["epub"].read_bytes()
    assert epubcheck_problems(epub) == []


def test_deposit_refuses_editions_that_fail_their_checks(default_epub, tmp_path):
    from builder import anchor
    from builder.errors import DamageFound

    archive, anchors = anchor.anchor(load(CORPUS))
    source = archive.sources[0]
    chapter = f"EPUB/text/{source.id}.xhtml"
    bad = tmp_path / default_epub.name
    with zipfile.ZipFile(default_epub) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == chapter:  # one word cut from the source's text
                at = data.index(b" the ", data.index(f'id="{source.id}-text"'.encode()))
                data = data[:at] + data[at + 4:]
            zout.writestr(info, data)

    def attempt():
        with pytest.raises(DamageFound) as e:
            deposit_mod.validate(archive, anchors, {"epub": bad})
        return str(e.value)

    message = need(attempt)  # EPUBCheck runs inside: it must in CI
    assert "nothing was deposited" in message and chapter in message


def test_editions_reused_only_when_inputs_match(corpus_copy, tmp_path):
    out = tmp_path / "out"
    archive = load(corpus_copy)
    _, reused, built = deposit_mod.editions_for(corpus_copy, out, archive, FORMATS)
    assert not reused and (out / f".{archive.slug}.inputs.json").is_file()
    _, reused, again = deposit_mod.editions_for(corpus_copy, out, archive, FORMATS)
    assert reused and again == built  # reused editions keep the time they were built
    intro = corpus_copy / "introduction.md"
    intro.write_text(intro.read_text() + "\nOne more sentence.\n")
    _, reused, _ = deposit_mod.editions_for(corpus_copy, out, load(corpus_copy), FORMATS)
    assert not reused
    (out / f"{archive.slug}.epub").write_bytes(b"damaged")  # an edition changed after its build
    editions, reused, _ = deposit_mod.editions_for(corpus_copy, out, load(corpus_copy), FORMATS)
    assert not reused and editions["epub"].read_bytes()[:2] == b"PK"
    assert epubcheck_problems(editions["epub"]) == []  # rebuilt whole, with the longer introduction


def test_source_date_epoch_is_part_of_the_inputs(corpus_copy, monkeypatch):
    before = deposit_mod.inputs_record(corpus_copy, FORMATS)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert deposit_mod.inputs_record(corpus_copy, FORMATS) != before


def test_failed_deposit_leaves_nothing(corpus_copy, tmp_path, monkeypatch):
    out = tmp_path / "out"

    def broken(*args, **kwargs):
        raise RuntimeError("METS writer failed")

    monkeypatch.setattr(deposit_mod, "validate", lambda archive, anchors, editions: ({}, [], []))
    monkeypatch.setattr(deposit_mod.metadata, "mets", broken)
    with pytest.raises(RuntimeError):
        deposit_mod.deposit(corpus_copy, out)
    left = sorted(p.name for p in out.iterdir())
    assert not any("deposit" in n for n in left), left  # no bag, no zip, no .part
    assert epubcheck_problems(out / f"{load(corpus_copy).slug}.epub") == []  # the editions it built stay whole


EPOCH = "1800000000"  # 2027-01-15T08:00:00Z: stands in for the clock (reproducible-builds.org)


def deposit_elsewhere(tmp_path, name, tz, seed):
    corpus = tmp_path / name / "corpus"
    shutil.copytree(CORPUS, corpus)
    work = tmp_path / name / "cwd"
    work.mkdir()
    env = {**os.environ, "TZ": tz, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": EPOCH}
    return work, subprocess.Popen([sys.executable, "-m", "builder.cli", "deposit", str(corpus), "--out", "out"],
                                  cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_deposits_in_separate_processes_give_identical_zips(tmp_path):
    runs = [deposit_elsewhere(tmp_path, "a", "UTC", "1"), deposit_elsewhere(tmp_path, "b", "Asia/Kathmandu", "977")]
    zips = []
    for work, proc in runs:
        _, err = proc.communicate(timeout=300)
        if proc.returncode == 3:
            pytest.fail(err) if IN_CI else pytest.skip(f"a validator could not run: {err}")
        assert proc.returncode == 0, err
        zips.append(next((work / "out").glob("*-deposit.zip")))
    assert sha(zips[0]) == sha(zips[1])
    assert epubcheck_problems(next(zips[0].parent.glob("*.epub"))) == []
    for kind in ("epub", "pdf"):
        a, b = (next((z.parent).glob(f"*.{kind}")) for z in zips)
        assert sha(a) == sha(b), kind
    # with SOURCE_DATE_EPOCH set, it stands in for the clock in every record of time
    bag = next(p for p in zips[0].parent.iterdir() if p.is_dir() and p.name.endswith("-deposit"))
    stamp = "2027-01-15T08:00:00Z"
    assert bagit._load_tag_file(str(bag / "bag-info.txt"))["Bagging-Date"] == "2027-01-15"
    root = etree.parse(str(bag / "data" / "metadata" / "mets.xml")).getroot()
    assert root.find("m:metsHdr", namespaces=NS).get("CREATEDATE") == stamp
    times = {e.findtext("p:eventIdentifier/p:eventIdentifierValue", namespaces=NS):
             e.findtext("p:eventDateTime", namespaces=NS) for e in root.xpath("//p:event", namespaces=NS)}
    assert {t for i, t in times.items() if not i.startswith("received-")} == {stamp}
    assert {t for i, t in times.items() if i.startswith("received-")} == {"[..2027-01-15]"}
    checks = json.loads((bag / "data" / "reports" / "checks.json").read_text())
    assert {c["at"] for c in checks} == {stamp}


def test_cli_deposit_has_help_with_an_example():
    result = CliRunner().invoke(main, ["deposit", "--help"])
    assert result.exit_code == 0 and "Example" in result.output and "BagIt" in result.output


def test_licence_uri_in_the_opf_and_the_pdf_xmp(default_build):
    import pikepdf
    archive = load(CORPUS)
    with zipfile.ZipFile(default_build.editions["epub"]) as z:
        opf = etree.fromstring(z.read("EPUB/package.opf"))
    licences = opf.xpath("//o:meta[@property='dcterms:license']/text()", namespaces={"o": "http://www.idpf.org/2007/opf"})
    assert licences == [archive.license]
    with pikepdf.open(default_build.editions["pdf"]) as pdf:
        meta = pdf.open_metadata()
        assert meta["xmpRights:WebStatement"] == archive.license and meta["xmpRights:Marked"] == "True"
        assert meta.pdfa_status == "3A" and str(meta.get("pdfuaid:part")) == "1"  # the claims survive the edit
        assert len(pdf.Root.AF) == len(archive.sources) + 1  # the originals and the notes


def test_check_corpus_tells_a_bag_out_of_date_from_a_damaged_one(default_deposit, corpus_copy, tmp_path):
    archive = load(corpus_copy)
    source = archive.sources[0]
    with source.notes_path.open("a", encoding="utf-8") as f:  # a note added after the deposit was made
        f.write('\n[[notes]]\nid = "added-later"\nkind = "gloss"\nbody = "A note added after the deposit."\n')
    result = CliRunner().invoke(main, ["check", str(default_deposit.bag), "--corpus", str(corpus_copy)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    stale = [line for line in lines if line.startswith("OUT OF DATE")]
    assert len(stale) == 1 and "made before a change to the corpus" in stale[0] and source.id in stale[0]
    assert not any(line.startswith("DAMAGED") for line in lines), result.output  # neither the EPUB nor the PDF
    assert any("a valid BagIt 1.0 bag" in line for line in lines if line.startswith("ok:"))
    # the same bag with a damaged source is damaged, and says so, against the corpus as on its own
    bag = tmp_path / "bag"
    shutil.copytree(default_deposit.bag, bag)
    victim = bag / "data" / "sources" / source.file_name
    victim.write_bytes(victim.read_bytes() + b" ")
    damaged = CliRunner().invoke(main, ["check", str(bag), "--corpus", str(CORPUS)])
    assert damaged.exit_code == 1 and f"DAMAGED {bag}:data/sources/{source.file_name}" in damaged.output
    assert "OUT OF DATE" not in damaged.output and "a valid BagIt 1.0 bag" not in damaged.output


def test_publication_certainty_is_a_field_of_its_own(corpus_copy):
    from builder import deposit_records, describe, metadata
    from builder.errors import CorpusError
    sidecar = corpus_copy / "sources" / "butler-berger-report.toml"
    text = sidecar.read_text(encoding="utf-8")
    assert 'publication = "The Jewish Chronicle"\npublication_certainty = "inferred"' in text  # as the corpus words it
    archive = load(corpus_copy)
    source = next(s for s in archive.sources if s.id == "butler-berger-report")
    item = metadata.csl_item(source)
    assert item["container-title"] == "The Jewish Chronicle"  # no qualifier inside the name
    assert "Publication The Jewish Chronicle inferred." in item["note"]
    record = deposit_records.provenance_record(archive, source, 0)
    assert record["origin"]["publication"] == "The Jewish Chronicle"
    assert record["origin"]["publication_certainty"] == "inferred"
    # the editions still say so, in the same words as before
    assert describe.source_context(source)["publication"] == "The Jewish Chronicle (inferred)"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace('publication_certainty = "inferred"',
                                                                   'publication_certainty = "probably"'),
                       encoding="utf-8")
    with pytest.raises(CorpusError) as e:
        load(corpus_copy)
    assert [p.code for p in e.value.problems] == ["C157"]


def test_a_bag_alone_is_read_in_the_encoding_the_editor_recorded(tmp_path):
    """A Czech letter in Windows-1250 that the detector takes for cp1258 ("Dvoøák"): the editor
    corrects received.encoding; the editions follow the correction, and so does `archive check`
    of the bag alone, because the bag's provenance record carries the encoding (before, the
    check went by the detector and found the text damaged)."""
    runner = CliRunner()
    corpus, out = tmp_path / "c", tmp_path / "out"
    assert runner.invoke(main, ["init", str(corpus), "--title", "Encodings"]).exit_code == 0
    letter = tmp_path / "dvorak.txt"
    letter.write_bytes("Antonín Dvořák napsal Novosvětskou symfonii.\n".encode("cp1250"))
    assert runner.invoke(main, ["add", str(letter), "--corpus", str(corpus)]).exit_code == 0
    sidecar = corpus / "sources" / "dvorak.toml"
    detected = tomllib.loads(sidecar.read_text(encoding="utf-8"))["received"]["encoding"]
    assert detected not in ("windows-1250", "cp1250")  # the case this test is about: the detector is wrong
    sidecar.write_text(re.sub(r'(?m)^encoding = .*$', 'encoding = "windows-1250"',
                              sidecar.read_text(encoding="utf-8")), encoding="utf-8")
    result = runner.invoke(main, ["deposit", str(corpus), "--out", str(out)])
    if result.exit_code == 3:
        pytest.fail(result.output) if IN_CI else pytest.skip(f"a validator could not run: {result.output}")
    assert result.exit_code == 0, result.output
    bag = next(p for p in out.iterdir() if p.is_dir() and p.name.endswith("-deposit"))
    record = json.loads((bag / "data" / "provenance" / "dvorak.json").read_text(encoding="utf-8"))
    assert record["received"]["encoding"] == "windows-1250"
    checked = runner.invoke(main, ["check", str(bag)])
    assert checked.exit_code == 0, checked.output
    # the same bag with the record saying the detector's encoding is read as damaged: the check
    # really reads the text in the recorded encoding
    from builder.check.records import rebuilt_source
    original = bag / "data" / "sources" / "dvorak.txt"
    right = rebuilt_source("dvorak", original, sha(original), recorded_encoding="windows-1250")
    wrong = rebuilt_source("dvorak", original, sha(original), recorded_encoding=detected)
    assert "Dvořák" in right.read_text() and "Dvořák" not in wrong.read_text()
