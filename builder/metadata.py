"""Metadata for the deposit, in the forms repositories read: CSL-JSON, Dublin Core, METS + PREMIS.

Plain functions from the archive's records (and the files already written) to bytes. Nothing
here reads a clock: every date is given (the edition's, one recorded in the corpus, or an event's,
from builder.clock), and a date the corpus does not know is never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from lxml import etree

from . import describe
from .model import Archive, Source

METS_NS = "http://www.loc.gov/METS/"
PREMIS_NS = "http://www.loc.gov/premis/v3"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
METS_LOCATION = "http://www.loc.gov/METS/ http://www.loc.gov/standards/mets/mets.xsd"
PREMIS_LOCATION = "http://www.loc.gov/premis/v3 http://www.loc.gov/standards/premis/v3/premis.xsd"
OAI_DC_LOCATION = "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

CSL_TYPES = {"letter": "personal_communication", "email": "personal_communication",
             "news report": "article-newspaper", "statement": "document", "web page": "webpage"}


@dataclass(frozen=True)
class PayloadFile:
    """A file of the bag's payload, as METS and PREMIS describe it."""

    path: str  # relative to data/, with forward slashes
    sha256: str
    size: int
    mime: str
    use: str  # edition | source | notes | metadata | report
    source_id: str = ""  # for sources: the corpus id
    original_name: str = ""  # for sources: the name it had when received


@dataclass(frozen=True)
class Event:
    """A PREMIS event: what happened, when (or 'unknown'), by which agent, with what outcome."""

    id: str
    type: str  # received | built | validated (PREMIS event types: ingestion, creation, validation)
    date: str  # ISO 8601 when it happened; EDTF ("[..2026-11-23]": on or before) when only a bound is known
    detail: str
    outcome: str  # success | failure | unknown
    outcome_note: str
    agents: tuple[str, ...]
    objects: tuple[str, ...]  # object identifiers (payload paths)


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    type: str  # software | organization | person
    version: str = ""
    note: str = ""


# -- CSL-JSON ---------------------------------------------------------------------------------

def csl_item(source: Source) -> dict:
    """One source as a CSL-JSON item: dates only as precise as known, no invented URL."""
    p = source.provenance
    item: dict = {"id": source.id, "type": CSL_TYPES.get(p.kind, "document"),
                  "title": describe.title(p)}
    if p.authors:
        item["author"] = [{"literal": a.name} for a in p.authors]
    if p.date.value and p.date.certainty != "unknown":
        issued: dict = {"date-parts": [[int(x) for x in p.date.value.split("-")]]}
        if p.date.certainty == "inferred":
            issued["circa"] = True
        item["issued"] = issued
    if p.publication:
        item["container-title"] = p.publication
    if p.url:
        item["URL"] = p.url
    if p.language:
        item["language"] = p.language
    item["note"] = certainty_note(source)
    return item


def certainty_note(source: Source) -> str:
    """How sure the edition is of author and date, in words (CSL's `note`)."""
    p = source.provenance
    if not p.recorded:
        return "Provenance not recorded."
    parts = []
    if p.date.certainty == "unknown" or not p.date.value:
        parts.append("Date unknown.")
    else:
        parts.append(_sentence(f"Date {p.date.value} {p.date.certainty}"
                               + (f": {p.date.evidence}" if p.date.evidence else "")))
    if not p.authors:
        parts.append("Author unknown.")
    for a in p.authors:
        role = "" if a.role == "author" else f" ({a.role})"
        parts.append(_sentence(f"Author {a.name}{role} {a.certainty}" + (f": {a.evidence}" if a.evidence else "")))
    if p.publication:
        parts.append(f"Publication {p.publication} {p.publication_certainty}.")
    if p.kind:
        parts.append(f"Kind: {p.kind}.")
    return " ".join(parts)


def _sentence(text: str) -> str:
    """Text ending in one full stop (evidence often ends in its own: no "month.." in the note)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def citations(archive: Archive) -> bytes:
    return json_bytes([csl_item(s) for s in archive.sources])


# -- Dublin Core ------------------------------------------------------------------------------

def dublin_core_element(archive: Archive, formats: Iterable[str]) -> etree._Element:
    """The archive as simple Dublin Core in an oai_dc container."""
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", OAI_DC_LOCATION)

    def dc(name: str, value: str) -> None:
        if value:
            etree.SubElement(root, f"{{{DC_NS}}}{name}").text = value

    dc("title", archive.full_title)
    for e in archive.editors:
        dc("contributor", f"{e.name} ({e.role})")
    dc("publisher", archive.publisher)
    dc("date", archive.date.date().isoformat())
    dc("description", archive.description)
    for s in archive.subjects:
        dc("subject", s)
    dc("type", "Collection")
    dc("type", "Text")
    for mime in formats:
        dc("format", mime)
    dc("identifier", archive.identifier)
    dc("language", archive.language)
    dc("rights", archive.rights)
    dc("rights", archive.license)  # the licence URI (oai_dc has no dcterms:license)
    for s in archive.sources:
        dc("relation", f"{archive.identifier}#{s.id}")
    return root


def dublin_core(archive: Archive, formats: Iterable[str]) -> bytes:
    return _xml(dublin_core_element(archive, formats))


# -- METS with PREMIS -------------------------------------------------------------------------

def mets(archive: Archive, files: list[PayloadFile], events: list[Event], agents: list[Agent],
         formats: Iterable[str], created: str = "") -> bytes:
    """The package as METS: DC in dmdSec, a PREMIS object per file, rights, events and agents, the files.

    `created`: when the METS document was made (ISO 8601); the edition's date when not given."""
    date = created or archive.date.strftime("%Y-%m-%dT%H:%M:%SZ")
    root = etree.Element(_m("mets"), nsmap={"mets": METS_NS, "premis": PREMIS_NS, "xlink": XLINK_NS,
                                             "xsi": XSI_NS, "dc": DC_NS, "oai_dc": OAI_DC_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{METS_LOCATION} {PREMIS_LOCATION}")
    root.set("OBJID", archive.identifier)
    root.set("LABEL", archive.full_title)
    root.set("TYPE", "annotated archive")
    header = etree.SubElement(root, _m("metsHdr"), CREATEDATE=date)
    creator = etree.SubElement(header, _m("agent"), ROLE="CREATOR", TYPE="ORGANIZATION")
    etree.SubElement(creator, _m("name")).text = archive.publisher
    tool = next((a for a in agents if a.type == "software"), None)
    if tool:
        software = etree.SubElement(header, _m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
        etree.SubElement(software, _m("name")).text = f"{tool.name} {tool.version}".strip()

    dmd = etree.SubElement(root, _m("dmdSec"), ID="dmd-archive")
    wrap = etree.SubElement(dmd, _m("mdWrap"), MDTYPE="DC", LABEL="Dublin Core (oai_dc)")
    etree.SubElement(wrap, _m("xmlData")).append(dublin_core_element(archive, formats))

    amd = etree.SubElement(root, _m("amdSec"), ID="amd")
    for i, f in enumerate(files, 1):
        tech = etree.SubElement(amd, _m("techMD"), ID=f"tech-{i}")
        _premis_wrap(tech, "PREMIS:OBJECT").append(_premis_object(f))
    for i, (rid, statement) in enumerate(_rights_statements(archive, files), 1):
        rights = etree.SubElement(amd, _m("rightsMD"), ID=f"rights-{rid}")
        _premis_wrap(rights, "PREMIS:RIGHTS").append(statement)
    for event in events:
        digi = etree.SubElement(amd, _m("digiprovMD"), ID=f"digiprov-{event.id}")
        _premis_wrap(digi, "PREMIS:EVENT").append(_premis_event(event))
    for agent in agents:
        digi = etree.SubElement(amd, _m("digiprovMD"), ID=f"digiprov-{agent.id}")
        _premis_wrap(digi, "PREMIS:AGENT").append(_premis_agent(agent))

    file_sec = etree.SubElement(root, _m("fileSec"))
    file_ids: dict[str, str] = {}
    for use in USES:
        group = [(i, f) for i, f in enumerate(files, 1) if f.use == use]
        if not group:
            continue
        grp = etree.SubElement(file_sec, _m("fileGrp"), USE=use)
        for i, f in group:
            fid = f"file-{i}"
            file_ids[f.path] = fid
            el = etree.SubElement(grp, _m("file"), ID=fid, MIMETYPE=f.mime, SIZE=str(f.size), ADMID=f"tech-{i}",
                                  CHECKSUM=f.sha256, CHECKSUMTYPE="SHA-256")
            etree.SubElement(el, _m("FLocat"), {f"{{{XLINK_NS}}}href": f.path, f"{{{XLINK_NS}}}type": "simple",
                                                "LOCTYPE": "URL"})

    smap = etree.SubElement(root, _m("structMap"), TYPE="logical", LABEL="The archive")
    top = etree.SubElement(smap, _m("div"), TYPE="archive", LABEL=archive.full_title, DMDID="dmd-archive")
    for use, label in (("edition", "Editions"), ("editorial", "Editorial matter"), ("notes", "Editorial notes"),
                       ("provenance", "Provenance of the sources"), ("metadata", "Metadata"),
                       ("report", "Validation reports")):
        group = [f for f in files if f.use == use and f.path in file_ids]
        if group:
            div = etree.SubElement(top, _m("div"), TYPE=use, LABEL=label)
            for f in group:
                etree.SubElement(div, _m("fptr"), FILEID=file_ids[f.path])
    sources = etree.SubElement(top, _m("div"), TYPE="sources", LABEL="Sources, as received")
    by_id = {f.source_id: f for f in files if f.use == "source"}
    for order, s in enumerate(archive.sources, 1):
        div = etree.SubElement(sources, _m("div"), TYPE="source", ORDER=str(order), LABEL=s.provenance.title,
                               ID=f"source-{s.id}")
        if s.id in by_id:
            etree.SubElement(div, _m("fptr"), FILEID=file_ids[by_id[s.id].path])
    return _xml(root)


USES = ("edition", "source", "provenance", "editorial", "notes", "metadata", "report")


def _rights_statements(archive: Archive, files: list[PayloadFile]) -> list[tuple[str, etree._Element]]:
    """PREMIS rights: the editorial matter's licence (its URI), and each source's rights as recorded."""
    statements = []
    editorial = [f.path for f in files if f.use not in ("source",)]
    ed = etree.Element(_p("rightsStatement"))
    _identifier(ed, "rightsStatementIdentifier", "editorial")
    _text(ed, "rightsBasis", "License")
    lic = etree.SubElement(ed, _p("licenseInformation"))
    if archive.license:
        doc = etree.SubElement(lic, _p("licenseDocumentationIdentifier"))
        _text(doc, "licenseDocumentationIdentifierType", "URI")
        _text(doc, "licenseDocumentationIdentifierValue", archive.license)
    _text(lic, "licenseTerms", archive.rights)
    for path in editorial:
        _link_object(ed, path)
    statements.append(("editorial", ed))
    by_id = {f.source_id: f.path for f in files if f.use == "source"}
    for s in archive.sources:
        st = etree.Element(_p("rightsStatement"))
        _identifier(st, "rightsStatementIdentifier", f"source-{s.id}")
        _text(st, "rightsBasis", "Other")
        other = etree.SubElement(st, _p("otherRightsInformation"))
        _text(other, "otherRightsBasis", "rights holder as recorded in the source's provenance")
        _text(other, "otherRightsNote", s.provenance.rights or "Not recorded.")
        if s.id in by_id:
            _link_object(st, by_id[s.id])
        statements.append((f"source-{s.id}", st))
    return statements


def _identifier(parent: etree._Element, name: str, value: str) -> None:
    ident = etree.SubElement(parent, _p(name))
    _text(ident, f"{name}Type", "local")
    _text(ident, f"{name}Value", value)


def _link_object(parent: etree._Element, path: str) -> None:
    link = etree.SubElement(parent, _p("linkingObjectIdentifier"))
    _text(link, "linkingObjectIdentifierType", "local path in bag data/")
    _text(link, "linkingObjectIdentifierValue", path)


def _premis_wrap(parent: etree._Element, label: str) -> etree._Element:
    wrap = etree.SubElement(parent, _m("mdWrap"), MDTYPE="PREMIS", LABEL=label)
    return etree.SubElement(wrap, _m("xmlData"))


def _premis_object(f: PayloadFile) -> etree._Element:
    obj = etree.Element(_p("object"), {f"{{{XSI_NS}}}type": "premis:file"})
    ident = etree.SubElement(obj, _p("objectIdentifier"))
    _text(ident, "objectIdentifierType", "local path in bag data/")
    _text(ident, "objectIdentifierValue", f.path)
    chars = etree.SubElement(obj, _p("objectCharacteristics"))
    _text(chars, "compositionLevel", "0")
    fixity = etree.SubElement(chars, _p("fixity"))
    _text(fixity, "messageDigestAlgorithm", "SHA-256")
    _text(fixity, "messageDigest", f.sha256)
    _text(chars, "size", str(f.size))
    fmt = etree.SubElement(chars, _p("format"))
    designation = etree.SubElement(fmt, _p("formatDesignation"))
    _text(designation, "formatName", f.mime)
    if f.original_name:
        _text(obj, "originalName", f.original_name)
    return obj


def _premis_event(e: Event) -> etree._Element:
    ev = etree.Element(_p("event"))
    ident = etree.SubElement(ev, _p("eventIdentifier"))
    _text(ident, "eventIdentifierType", "local")
    _text(ident, "eventIdentifierValue", e.id)
    _text(ev, "eventType", e.type)
    _text(ev, "eventDateTime", e.date)
    detail = etree.SubElement(ev, _p("eventDetailInformation"))
    _text(detail, "eventDetail", e.detail)
    outcome = etree.SubElement(ev, _p("eventOutcomeInformation"))
    _text(outcome, "eventOutcome", e.outcome)
    if e.outcome_note:
        od = etree.SubElement(outcome, _p("eventOutcomeDetail"))
        _text(od, "eventOutcomeDetailNote", e.outcome_note)
    for agent in e.agents:
        link = etree.SubElement(ev, _p("linkingAgentIdentifier"))
        _text(link, "linkingAgentIdentifierType", "local")
        _text(link, "linkingAgentIdentifierValue", agent)
    for obj in e.objects:
        link = etree.SubElement(ev, _p("linkingObjectIdentifier"))
        _text(link, "linkingObjectIdentifierType", "local path in bag data/")
        _text(link, "linkingObjectIdentifierValue", obj)
    return ev


def _premis_agent(a: Agent) -> etree._Element:
    ag = etree.Element(_p("agent"))
    ident = etree.SubElement(ag, _p("agentIdentifier"))
    _text(ident, "agentIdentifierType", "local")
    _text(ident, "agentIdentifierValue", a.id)
    _text(ag, "agentName", a.name)
    _text(ag, "agentType", a.type)
    if a.version:
        _text(ag, "agentVersion", a.version)
    if a.note:
        _text(ag, "agentNote", a.note)
    return ag


def _text(parent: etree._Element, name: str, value: str) -> etree._Element:
    el = etree.SubElement(parent, _p(name))
    el.text = value
    return el


def _m(name: str) -> str:
    return f"{{{METS_NS}}}{name}"


def _p(name: str) -> str:
    return f"{{{PREMIS_NS}}}{name}"


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def json_bytes(data) -> bytes:
    """JSON as the deposit writes it: UTF-8, indented, keys sorted, the same bytes every time."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
