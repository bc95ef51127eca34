"""The E2B(R3) batch written directly as XML text (no element tree).

``write_batch`` produces exactly the bytes that ``etree.tostring`` gives for the tree the
element builder (``schemas.e2b_r3.legacy``) makes: same element and attribute order, same
escaping, same empty-element forms; ``tests/unit/e2b_r3/test_e2b_r3_writer.py`` checks
byte identity. Rules that keep it so:

* attribute values escape ``& < > "`` and write TAB / LF / CR as ``&#9; &#10; &#13;``;
  text escapes ``& < >`` and CR as ``&#13;`` (what libxml2 writes);
* text and attribute values with characters XML forbids raise the errors lxml raises
  (``ValueError``, or ``UnicodeEncodeError`` for lone surrogates) before anything is written;
* an element without content is written ``<x/>``; one whose text was set to ``""`` is
  ``<x></x>`` (lxml keeps the empty text node). ``EMPTY`` marks such text in the string
  until the caller decides (``to_bytes`` drops it, ``build_batch`` restores ``.text = ""``);
* regional fragments (``RegionalExtension.xml``) are written the way lxml writes them
  when they sit in the batch tree (redundant namespace declarations dropped),
  and placed by the same rule as ``xml.Placer``: each direct child of an anchor container
  is one string in a list, so the index / position rules apply unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from lxml import etree

from gateway.domain.codes import ResultQualifier, SeriousnessCriterion
from gateway.domain.drug import Dosage, Drug
from gateway.domain.icsr import ICSR
from gateway.domain.lab_test import LabTest
from gateway.domain.patient import CauseOfDeath, MedicalHistoryEpisode, Parent, PastDrug, Patient
from gateway.domain.reaction import Reaction
from gateway.domain.report import Document, PrimarySource, Sender, Study
from gateway.domain.values import (
    Coded,
    MedDRATerm,
    Nullable,
    NullFlavor,
    PartialDate,
    Quantity,
)
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import anchor as make_anchor
from schemas.e2b_r3.ids import uid
from schemas.e2b_r3.model import R3Batch, R3Message, RegionalExtension
from schemas.e2b_r3.xml import NS, NSMAP, format_decimal, q

#: stands for text set to "" (``<x></x>``); NUL can never be real XML text
EMPTY = "\x00"
XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
_NSDECL = ' xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'

_ATTR_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LXML_MESSAGE = (
    "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
)


def _check(value: str) -> None:
    """lxml's rule for text and attribute values (apihelpers ``_utf8``)."""
    value.encode("utf-8")  # lone surrogates: UnicodeEncodeError, as in lxml
    if _INVALID.search(value) is not None:
        raise ValueError(_LXML_MESSAGE)


def attr(value: str) -> str:
    """An attribute value, escaped as libxml2 writes it."""
    if _ATTR_SPECIAL.search(value) is None:
        return value
    _check(value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def text(value: str) -> str:
    """Element text, escaped as libxml2 writes it; ``""`` becomes ``EMPTY``."""
    if _TEXT_SPECIAL.search(value) is None:
        return value or EMPTY
    _check(value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def tail(value: str) -> str:
    """Tail text: like ``text`` but an empty tail writes nothing."""
    return text(value) if value else ""


# --- datatypes ------------------------------------------------------------------------------


def _el(tag: str, attrs: str, inner: str) -> str:
    if inner:
        return f"<{tag}{attrs}>{inner}</{tag}>"
    return f"<{tag}{attrs}/>"


def _kids_el(tag: str, attrs: str, kids: list[str]) -> str:
    return _el(tag, attrs, "".join(kids))


def _id(root: str, extension: str | None = None, tag: str = "id") -> str:
    """``root`` is one of our OID constants (written as is); ``extension`` is data."""
    if extension is None:
        return f'<{tag} root="{root}"/>'
    return f'<{tag} extension="{attr(extension)}" root="{root}"/>'


def _ts(tag: str, value: Nullable[PartialDate] | None, xsi_type: str | None = None) -> str:
    if value is None:
        return ""
    xsi = f' xsi:type="{xsi_type}"' if xsi_type else ""
    if isinstance(value, NullFlavor):
        return f'<{tag}{xsi} nullFlavor="{value.value}"/>'
    return f'<{tag}{xsi} value="{value.format()}"/>'  # digits and a sign only


def _nullable_text(tag: str, value: Nullable[str] | None, attrs: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, NullFlavor):
        return f'<{tag}{attrs} nullFlavor="{value.value}"/>'
    return f"<{tag}{attrs}>{text(value)}</{tag}>"


def _code_attrs(
    code: str | None,
    system: str | None,
    version: str | None = None,
    xsi_type: str | None = None,
) -> str:
    out = f' xsi:type="{xsi_type}"' if xsi_type else ""
    out += f' code="{attr(code)}"'  # type: ignore[arg-type]
    if system:
        out += f' codeSystem="{attr(system)}"'
    if version:
        out += f' codeSystemVersion="{attr(version)}"'
    return out


def _code(
    tag: str,
    code: str | None,
    system: str | None,
    version: str | None = None,
    xsi_type: str | None = None,
) -> str:
    return f"<{tag}{_code_attrs(code, system, version, xsi_type)}/>"


def _enum_code(tag: str, code: str, system: str, xsi_type: str | None = None) -> str:
    """A code-list value: ``code`` is an ``E2BCode.code`` (the digits of an int member) and
    ``system`` one of our OID constants, so neither needs escaping."""
    xsi = f' xsi:type="{xsi_type}"' if xsi_type else ""
    return f'<{tag}{xsi} code="{code}" codeSystem="{system}"/>'


_MEDDRA_SYSTEM = f' codeSystem="{oids.MEDDRA}"'


def _meddra_attrs(term: MedDRATerm, xsi_type: str | None = "CE") -> str:
    out = f' xsi:type="{xsi_type}"' if xsi_type else ""
    out += f' code="{attr(term.code)}"{_MEDDRA_SYSTEM}'
    if term.version:
        out += f' codeSystemVersion="{attr(term.version)}"'
    return out


def _pq(tag: str, value: Quantity, xsi_type: str | None = None) -> str:
    xsi = f' xsi:type="{xsi_type}"' if xsi_type else ""
    return f'<{tag}{xsi} value="{format_decimal(value.value)}" unit="{attr(value.unit)}"/>'


def _bl(tag: str, value: Nullable[bool]) -> str:
    if isinstance(value, NullFlavor):
        return f'<{tag} xsi:type="BL" nullFlavor="{value.value}"/>'
    return f'<{tag} xsi:type="BL" value="{"true" if value else "false"}"/>'


def _obs(rel_tag: str, type_code: str, code: str, inner: str) -> str:
    """``<rel typeCode><observation classCode="OBS" moodCode="EVN"><code/>inner``."""
    return (
        f'<{rel_tag} typeCode="{type_code}"><observation classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_OBSERVATION}"/>{inner}</observation>'
        f"</{rel_tag}>"
    )


def _ivl(
    start: Nullable[PartialDate] | None, width: Quantity | None, end: Nullable[PartialDate] | None
) -> str:
    return _ts("low", start) + (_pq("width", width) if width is not None else "") + _ts("high", end)


def _interval(
    start: Nullable[PartialDate] | None,
    end: Nullable[PartialDate] | None,
    duration: Quantity | None,
    period: Quantity | None = None,
) -> str:
    """``xml.write_interval`` as text."""
    has_range = start is not None or end is not None or duration is not None
    if not has_range and period is None:
        return ""
    ranges: list[
        tuple[Nullable[PartialDate] | None, Quantity | None, Nullable[PartialDate] | None]
    ] = []
    if start is not None and end is not None and duration is not None:
        ranges = [(start, None, end), (None, duration, None)]
    elif has_range:
        ranges = [(start, duration, end)]
    if period is None and len(ranges) == 1:
        return _el("effectiveTime", ' xsi:type="IVL_TS"', _ivl(*ranges[0]))
    if period is not None and not ranges:
        return f'<effectiveTime xsi:type="PIVL_TS">{_pq("period", period)}</effectiveTime>'
    parts: list[str] = []
    first_part = True
    if period is not None:
        parts.append(f'<comp xsi:type="PIVL_TS">{_pq("period", period)}</comp>')
        first_part = False
    for rng in ranges:
        op = "" if first_part else ' operator="A"'
        first_part = False
        parts.append(_el("comp", f' xsi:type="IVL_TS"{op}', _ivl(*rng)))
    return _kids_el("effectiveTime", ' xsi:type="SXPR_TS"', parts)


# --- regional extensions --------------------------------------------------------------------

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
_TAG = re.compile(r"<([^\s/>]+)")
_NS_PREFIX = f"{{{NS}}}"
_WRAP_TAG = q("wrap")
_WRAP_OPEN = f"<wrap{_NSDECL}>"
#: ``tostring(child)`` of an HL7 element read from a batch: the root's two declarations
_PLAIN_FRAGMENT = re.compile(
    rb'<([A-Za-z_][A-Za-z0-9_.\-]*) xmlns="urn:hl7-org:v3" '
    rb'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"(?=[ />])'
)
#: anything lxml might write differently after a re-parse: character / entity references,
#: CDATA, a DTD, non-ASCII bytes, further namespace declarations
_NOT_PLAIN = re.compile(rb"&(?!amp;|lt;|gt;|quot;)|<!\[CDATA\[|[\x80-\xff]")


def _fragment(ext: RegionalExtension) -> tuple[str, object]:
    """A kept fragment as lxml writes it inside the batch tree, and its (qualified) tag.

    Inside the tree the fragment's declarations of the root's two namespaces are redundant
    and lxml drops them. When ``xml`` is what the parser had lxml write for an HL7 element
    (``ext.lxml_output is ext.xml``) declaring just those two, and it holds nothing a
    re-parse would change (character or entity references, CDATA), the declarations are cut
    directly; every other fragment goes through lxml as the element builder did.
    """
    xml = ext.xml
    if ext.lxml_output is xml:
        m = _PLAIN_FRAGMENT.match(xml)
        if m is not None and xml.count(b"xmlns") == 2 and _NOT_PLAIN.search(xml) is None:
            name = m.group(1).decode("ascii")
            return f"<{name}{xml[m.end() :].decode('ascii')}", _NS_PREFIX + name
    wrap = etree.Element(_WRAP_TAG, nsmap=NSMAP)
    fragment = etree.fromstring(xml, _SAFE_PARSER)
    wrap.append(fragment)
    fragment.tail = None
    out = etree.tostring(wrap, encoding="UTF-8", xml_declaration=False).decode("utf-8")
    if not (out.startswith(_WRAP_OPEN) and out.endswith("</wrap>")):  # pragma: no cover
        raise AssertionError(f"unexpected fragment serialisation: {out[:200]!r}")
    return out[len(_WRAP_OPEN) : -len("</wrap>")], fragment.tag


class Placer:
    """``xml.Placer`` over lists of child strings (one string per child element)."""

    __slots__ = ("_by_anchor",)

    def __init__(self, extensions: tuple[RegionalExtension, ...]) -> None:
        self._by_anchor: dict[str, list[RegionalExtension]] = {}
        for ext in extensions:
            self._by_anchor.setdefault(ext.anchor, []).append(ext)

    def has(self, anchor: str) -> bool:
        return anchor in self._by_anchor

    def place(self, anchor: str, kids: list[str]) -> list[str]:
        items = self._by_anchor.get(anchor) if self._by_anchor else None
        if not items:
            return kids
        kids = [k for k in kids if k]
        tags: list[object] = []
        for k in kids:
            m = _TAG.match(k)
            tags.append(_NS_PREFIX + m.group(1) if m is not None else None)
        for ext in sorted(items, key=lambda e: e.position):
            chunk, qtag = _fragment(ext)
            same = [i for i, t in enumerate(tags) if t == qtag]
            if ext.index < len(same):
                at = same[ext.index]
            elif same:
                at = same[-1] + 1
            elif ext.position < len(kids):
                at = ext.position
            else:
                at = len(kids)
            kids.insert(at, chunk)
            tags.insert(at, qtag)
        return kids


# --- batch and message (N.1, N.2.r) ---------------------------------------------------------


def _device(tag: str, type_code: str, root: str, extension: str) -> str:
    return (
        f'<{tag} typeCode="{type_code}"><device classCode="DEV" determinerCode="INSTANCE">'
        f"{_id(root, extension)}</device></{tag}>"
    )


def write_batch(batch: R3Batch) -> str:
    """The batch element as text, ``EMPTY`` marking text set to ``""``."""
    kids = [
        _id(oids.BATCH_ID, batch.batch_id),
        _ts("creationTime", batch.created_at),
        f'<responseModeCode code="{attr(batch.response_mode_code)}"/>',
        _id(oids.HL7_INTERACTION, "MCCI_IN200100UV01", tag="interactionId"),
        _code("name", batch.batch_type, oids.CL_MESSAGE_TYPE),
    ]
    for message in batch.messages:
        kids.append(_message(message))
    kids.append(_device("receiver", "RCV", oids.BATCH_RECEIVER, batch.receiver_id))
    kids.append(_device("sender", "SND", oids.BATCH_SENDER, batch.sender_id))
    if batch.regional_extensions:
        kids = Placer(batch.regional_extensions).place("batch", kids)
    return _kids_el("MCCI_IN200100UV01", f'{_NSDECL} ITSVersion="XML_1.0"', kids)


def _message(m: R3Message) -> str:
    placer = Placer(m.regional_extensions)
    kids = [
        _id(oids.MESSAGE_ID, m.message_id),
        _ts("creationTime", m.created_at),
        _id(oids.HL7_INTERACTION, "PORR_IN049016UV", tag="interactionId"),
        f'<processingCode code="{attr(m.processing_code)}"/>',
        f'<processingModeCode code="{attr(m.processing_mode_code)}"/>',
        f'<acceptAckCode code="{attr(m.accept_ack_code)}"/>',
        _device("receiver", "RCV", oids.MESSAGE_RECEIVER, m.receiver_id),
        _device("sender", "SND", oids.MESSAGE_SENDER, m.sender_id),
    ]
    cap = [
        f'<code code="PORR_TE049016UV" codeSystem="{oids.HL7_TRIGGER_EVENT}"/>',
        _ts("effectiveTime", m.icsr.report.created_at),
        f'<subject typeCode="SUBJ">{_investigation(m.icsr, placer)}</subject>',
    ]
    cap = placer.place("controlActProcess", cap)
    kids.append(_kids_el("controlActProcess", ' classCode="CACT" moodCode="EVN"', cap))
    kids = placer.place("message", kids)
    return _kids_el("PORR_IN049016UV", "", kids)


# --- investigationEvent (C, H.1, H.5) -------------------------------------------------------

_EVN = ' classCode="CACT" moodCode="EVN"'
_XSI_ED = ' xsi:type="ED"'
_ACT_EVN = ' classCode="ACT" moodCode="EVN"'
_CNTRCT_EVN = ' classCode="CNTRCT" moodCode="EVN"'
_INST = ' classCode="INST"'
_AUTHOR_OPEN = '<author typeCode="AUT"><assignedEntity classCode="ASSIGNED">'
_AUTHOR_CLOSE = "</assignedEntity></author>"


def _investigation(icsr: ICSR, placer: Placer) -> str:
    rep = icsr.report
    narrative = icsr.narrative
    k = [_id(oids.MESSAGE_ID, rep.safety_report_id or "")]
    if rep.worldwide_case_id is not None:
        k.append(_id(oids.WORLDWIDE_CASE_ID, rep.worldwide_case_id))
    k.append(f'<code code="PAT_ADV_EVNT" codeSystem="{oids.HL7_ACT_CODE}"/>')
    if narrative.case_narrative is not None:
        k.append(f"<text>{text(narrative.case_narrative)}</text>")
    k.append('<statusCode code="active"/>')
    if rep.first_received is not None:
        k.append(f"<effectiveTime>{_ts('low', rep.first_received)}</effectiveTime>")
    k.append(_ts("availabilityTime", rep.most_recent_info))
    for doc in rep.documents:
        k.append(_document("1", doc, None))
    for lit in icsr.literature:
        k.append(_document("2", lit.document or Document(), lit.reference))
    k.append(f'<component typeCode="COMP">{_assessment(icsr, placer)}</component>')
    if rep.additional_documents is not None:
        k.append(_event(oids.OBS_ADDITIONAL_DOCUMENTS, _bl("value", rep.additional_documents)))
    if rep.fulfils_expedited_criteria is not None:
        k.append(_event(oids.OBS_EXPEDITED, _bl("value", rep.fulfils_expedited_criteria)))
    for native in narrative.native_language_summaries:
        lang = f' language="{attr(native.language)}"' if native.language is not None else ""
        value = f'<value xsi:type="ED"{lang}>{text(native.text)}</value>'
        k.append(_event(oids.OBS_NATIVE_SUMMARY, value + _author_code(oids.AUTHOR_NATIVE)))
    if rep.first_sender is not None:
        entity = _enum_code("code", rep.first_sender.code, oids.CL_FIRST_SENDER)
        k.append(_related("1", None, f"{_AUTHOR_OPEN}{entity}{_AUTHOR_CLOSE}"))
    for source in icsr.primary_sources:
        k.append(_primary_source(source))
    for linked in rep.linked_report_ids:
        k.append(_related(None, None, _id(oids.WORLDWIDE_CASE_ID, linked)))
    if rep.other_case_ids:
        ids = []
        for other in rep.other_case_ids:
            ext = f' extension="{attr(other.case_id)}"' if other.case_id is not None else ""
            auth = (
                f' assigningAuthorityName="{attr(other.source)}"'
                if other.source is not None
                else ""
            )
            ids.append(f'<id{ext} root="{oids.OTHER_CASE_ID}"{auth}/>')
        k.append(
            f'<subjectOf1 typeCode="SUBJ"><controlActEvent{_EVN}>{"".join(ids)}'
            "</controlActEvent></subjectOf1>"
        )
    if icsr.sender is not None:
        k.append(_sender(icsr.sender))
    if rep.report_type is not None:
        value = _enum_code("value", rep.report_type.code, oids.CL_REPORT_TYPE, xsi_type="CE")
        k.append(_characteristic(oids.CHAR_REPORT_TYPE, value))
    if rep.other_case_ids_exist is not None:
        k.append(_characteristic(oids.CHAR_OTHER_CASE_IDS, _bl("value", rep.other_case_ids_exist)))
    if rep.nullification_amendment is not None:
        code = rep.nullification_amendment.code
        value = _enum_code("value", code, oids.CL_NULLIFICATION, xsi_type="CE")
        k.append(_characteristic(oids.CHAR_NULLIFICATION, value))
    if rep.nullification_amendment_reason is not None:
        reason = text(rep.nullification_amendment_reason)
        value = f'<value xsi:type="CE"><originalText>{reason}</originalText></value>'
        k.append(_characteristic(oids.CHAR_NULLIFICATION_REASON, value))
    k = placer.place("investigationEvent", k)
    return _kids_el("investigationEvent", ' classCode="INVSTG" moodCode="EVN"', k)


def _characteristic(code: str, inner: str) -> str:
    return (
        '<subjectOf2 typeCode="SUBJ"><investigationCharacteristic classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_CHARACTERISTIC}"/>{inner}'
        "</investigationCharacteristic></subjectOf2>"
    )


def _event(code: str, inner: str) -> str:
    return (
        '<component typeCode="COMP"><observationEvent classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_OBSERVATION}"/>{inner}'
        "</observationEvent></component>"
    )


def _author_code(code: str) -> str:
    return f'{_AUTHOR_OPEN}<code code="{code}" codeSystem="{oids.CL_AUTHOR}"/>{_AUTHOR_CLOSE}'


def _document(code: str, doc: Document, reference: Nullable[str] | None) -> str:
    parts = [f'<code code="{code}" codeSystem="{oids.CL_DOCUMENT}"/>']
    if doc.title is not None:
        parts.append(f"<title>{text(doc.title)}</title>")
    if doc.content_base64 is not None or doc.url is not None or doc.media_type is not None:
        attrs = ""
        if doc.media_type is not None:
            attrs += f' mediaType="{attr(doc.media_type)}"'
        if doc.content_base64 is not None:
            attrs += ' representation="B64"'
        if doc.compression is not None:
            attrs += f' compression="{attr(doc.compression)}"'
        inner = ""
        if doc.url is not None:
            inner = f'<reference value="{attr(doc.url)}"/>'
        if doc.content_base64 is not None:
            if doc.url is not None:
                inner += tail(doc.content_base64)
            else:
                inner = text(doc.content_base64)
        parts.append(_el("text", attrs, inner))
    parts.append(_nullable_text("bibliographicDesignationText", reference))
    return (
        '<reference typeCode="REFR"><document classCode="DOC" moodCode="EVN">'
        f"{''.join(parts)}</document></reference>"
    )


def _related(code: str | None, priority: str | None, inner: str) -> str:
    prio = f'<priorityNumber value="{priority}"/>' if priority is not None else ""
    if code is None:
        c = '<code nullFlavor="NA"/>'
    else:
        c = f'<code code="{code}" codeSystem="{oids.CL_RELATED_INVESTIGATION}"/>'
    return (
        f'<outboundRelationship typeCode="SPRT">{prio}'
        f'<relatedInvestigation classCode="INVSTG" moodCode="EVN">{c}<subjectOf2 typeCode="SUBJ">'
        f"{_el('controlActEvent', _EVN, inner)}</subjectOf2></relatedInvestigation>"
        "</outboundRelationship>"
    )


def _addr(values: Iterable[tuple[str, Nullable[str] | None]]) -> str:
    parts = [_nullable_text(tag, value) for tag, value in values if value is not None]
    return f"<addr>{''.join(parts)}</addr>" if parts else ""


def _telecom(scheme: str, value: Nullable[str] | None) -> str:
    if value is None:
        return ""
    if isinstance(value, NullFlavor):
        return f'<telecom nullFlavor="{value.value}"/>'
    return f'<telecom value="{attr(f"{scheme}:{value}")}"/>'


def _name(parts: Iterable[tuple[str, Nullable[str] | None]]) -> str:
    out = [_nullable_text(tag, value) for tag, value in parts if value is not None]
    return f"<name>{''.join(out)}</name>" if out else ""


def _country(country: Nullable[str] | None) -> str:
    if country is None:
        return ""
    if isinstance(country, NullFlavor):
        code = f'<code nullFlavor="{country.value}"/>'
    else:
        code = _code("code", country, oids.COUNTRY)
    return (
        '<asLocatedEntity classCode="LOCE"><location classCode="COUNTRY" '
        f'determinerCode="INSTANCE">{code}</location></asLocatedEntity>'
    )


_ORG = ' classCode="ORG" determinerCode="INSTANCE"'


def _organisation(department: Nullable[str] | None, organisation: Nullable[str] | None) -> str:
    if department is None and organisation is None:
        return ""
    inner = _nullable_text("name", department)
    if organisation is not None:
        inner += (
            '<assignedEntity classCode="ASSIGNED">'
            f"{_el('representedOrganization', _ORG, _nullable_text('name', organisation))}"
            "</assignedEntity>"
        )
    return _el("representedOrganization", _ORG, inner)


_PERSON = ' classCode="PSN" determinerCode="INSTANCE"'


def _primary_source(src: PrimarySource) -> str:
    entity = _addr(
        (
            ("streetAddressLine", src.street),
            ("city", src.city),
            ("state", src.state),
            ("postalCode", src.postcode),
        )
    )
    entity += _telecom("tel", src.telephone) + _telecom("mailto", src.email)
    person = _name(
        (
            ("prefix", src.title),
            ("given", src.given_name),
            ("given", src.middle_name),
            ("family", src.family_name),
        )
    )
    if src.qualification is not None:
        if isinstance(src.qualification, NullFlavor):
            qual = f'<code nullFlavor="{src.qualification.value}"/>'
        else:
            qual = _enum_code("code", src.qualification.code, oids.CL_QUALIFICATION)
        person += f'<asQualifiedEntity classCode="QUAL">{qual}</asQualifiedEntity>'
    person += _country(src.country)
    if person:
        entity += f"<assignedPerson{_PERSON}>{person}</assignedPerson>"
    entity += _organisation(src.department, src.organisation)
    author = f'<author typeCode="AUT">{_el("assignedEntity", _ASSIGNED, entity)}</author>'
    return _related("2", "1" if src.primary_for_regulatory_purposes else None, author)


_ASSIGNED = ' classCode="ASSIGNED"'


def _sender(s: Sender) -> str:
    entity = ""
    if s.sender_type is not None:
        entity = _enum_code("code", s.sender_type.code, oids.CL_SENDER_TYPE)
    entity += _addr(
        (
            ("streetAddressLine", s.street),
            ("city", s.city),
            ("state", s.state),
            ("postalCode", s.postcode),
        )
    )
    entity += _telecom("tel", s.telephone) + _telecom("fax", s.fax) + _telecom("mailto", s.email)
    person = _name(
        (
            ("prefix", s.title),
            ("given", s.given_name),
            ("given", s.middle_name),
            ("family", s.family_name),
        )
    )
    person += _country(s.country)
    if person:
        entity += f"<assignedPerson{_PERSON}>{person}</assignedPerson>"
    entity += _organisation(s.department, s.organisation)
    return (
        f'<subjectOf1 typeCode="SUBJ"><controlActEvent{_EVN}><author typeCode="AUT">'
        f"{_el('assignedEntity', _ASSIGNED, entity)}</author></controlActEvent></subjectOf1>"
    )


# --- adverseEventAssessment (G.k.1, G.k.9.i.2.r, H.2-H.4) ----------------------------------


def _assessment(icsr: ICSR, placer: Placer) -> str:
    k = [f'<subject1 typeCode="SBJ">{_primary_role(icsr, placer)}</subject1>']
    _causality(k, icsr.drugs)
    narrative = icsr.narrative
    if narrative.reporter_comments is not None:
        value = f'<value xsi:type="ED">{text(narrative.reporter_comments)}</value>'
        k.append(_comment(oids.OBS_COMMENT, value + _author_code(oids.AUTHOR_REPORTER)))
    for term in narrative.sender_diagnoses:
        value = f"<value{_meddra_attrs(term)}/>"
        k.append(_comment(oids.OBS_DIAGNOSIS, value + _author_code(oids.AUTHOR_SENDER)))
    if narrative.sender_comments is not None:
        value = f'<value xsi:type="ED">{text(narrative.sender_comments)}</value>'
        k.append(_comment(oids.OBS_COMMENT, value + _author_code(oids.AUTHOR_SENDER)))
    k = placer.place("adverseEventAssessment", k)
    return _kids_el("adverseEventAssessment", ' classCode="INVSTG" moodCode="EVN"', k)


def _comment(code: str, inner: str) -> str:
    return (
        '<component1 typeCode="COMP"><observationEvent classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_OBSERVATION}"/>{inner}'
        "</observationEvent></component1>"
    )


def _reference(rel: str, tag: str, root: str, class_code: str) -> str:
    return (
        f'<{rel} typeCode="SUBJ"><{tag} classCode="{class_code}" moodCode="EVN">'
        f'<id root="{attr(root)}"/></{tag}></{rel}>'
    )


def _causality_el(code: str, inner: str) -> str:
    return (
        '<component typeCode="COMP"><causalityAssessment classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_OBSERVATION}"/>{inner}'
        "</causalityAssessment></component>"
    )


def _causality(k: list[str], drugs: tuple[Drug, ...]) -> None:
    for d in drugs:
        if d.role is None:
            continue
        value = _enum_code("value", d.role.code, oids.CL_DRUG_ROLE, xsi_type="CE")
        ref = _reference("subject2", "productUseReference", uid(d.id), "SBADM")
        k.append(_causality_el(oids.OBS_DRUG_ROLE, value + ref))
    for d in drugs:
        for row in d.reaction_assessments:
            for a in row.assessments:
                inner = ""
                if a.result is not None:
                    inner += f'<value xsi:type="ST">{text(a.result)}</value>'
                if a.method is not None:
                    inner += (
                        f"<methodCode><originalText>{text(a.method)}</originalText></methodCode>"
                    )
                if a.source is not None:
                    inner += (
                        f"{_AUTHOR_OPEN}<code><originalText>{text(a.source)}</originalText></code>"
                        f"{_AUTHOR_CLOSE}"
                    )
                inner += _reference(
                    "subject1", "adverseEffectReference", uid(row.reaction_id), "OBS"
                )
                inner += _reference("subject2", "productUseReference", uid(d.id), "SBADM")
                k.append(_causality_el(oids.OBS_CAUSALITY, inner))


# --- primary role (C.5, D, and the E, F, G containers) -------------------------------------

_RECORDS = (
    ("gp_record_number", oids.GP_RECORD, "1"),
    ("specialist_record_number", oids.SPECIALIST_RECORD, "2"),
    ("hospital_record_number", oids.HOSPITAL_RECORD, "3"),
    ("investigation_number", oids.INVESTIGATION_NUMBER, "4"),
)


def _subject_obs(code: str, inner: str) -> str:
    return _obs("subjectOf2", "SBJ", code, inner)


def _organizer(code: str, inner: str) -> str:
    return (
        '<subjectOf2 typeCode="SBJ"><organizer classCode="CATEGORY" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_ORGANIZER}"/>{inner}</organizer></subjectOf2>'
    )


def _primary_role(icsr: ICSR, placer: Placer) -> str:
    patient = icsr.patient or Patient()
    k = [_player(patient, placer)]
    if icsr.study is not None:
        k.append(f'<subjectOf1 typeCode="SBJ">{_study(icsr.study, placer)}</subjectOf1>')
    _vitals(
        k,
        age=patient.age_at_onset,
        gestation=patient.gestation_period_at_onset,
        age_group=patient.age_group,
        weight=patient.weight_kg,
        height=patient.height_cm,
        lmp=patient.last_menstrual_period,
    )
    k.append(
        _history(
            patient.medical_history, patient.medical_history_text, patient.concomitant_therapies
        )
    )
    k.append(_past_drugs(patient.past_drugs))
    death = patient.death
    if death is not None:
        for cause in death.reported_causes:
            k.append(_subject_obs(oids.OBS_REPORTED_CAUSE, _cause(cause)))
        if death.autopsy_done is not None or death.autopsy_causes:
            inner = _bl("value", death.autopsy_done) if death.autopsy_done is not None else ""
            for cause in death.autopsy_causes:
                inner += _obs(
                    "outboundRelationship2", "DRIV", oids.OBS_AUTOPSY_CAUSE, _cause(cause)
                )
            k.append(_subject_obs(oids.OBS_AUTOPSY, inner))
    seen: dict[str, int] = {}
    for reaction in icsr.reactions:
        k.append(f'<subjectOf2 typeCode="SBJ">{_reaction(reaction, placer, seen)}</subjectOf2>')
    if icsr.tests:
        comps = "".join(f'<component typeCode="COMP">{_test(t)}</component>' for t in icsr.tests)
        k.append(_organizer(oids.ORG_TESTS, comps))
    if icsr.drugs:
        comps = "".join(
            f'<component typeCode="COMP">{_drug(d, placer, seen)}</component>' for d in icsr.drugs
        )
        k.append(_organizer(oids.ORG_DRUGS, comps))
    k = placer.place("primaryRole", k)
    return _kids_el("primaryRole", ' classCode="INVSBJ"', k)


def _sex(sex: object) -> str:
    if isinstance(sex, NullFlavor):
        return f'<administrativeGenderCode nullFlavor="{sex.value}"/>'
    if sex is not None:
        return _enum_code("administrativeGenderCode", sex.code, oids.SEX)  # type: ignore[attr-defined]
    return ""


def _player(p: Patient, placer: Placer) -> str:
    k = [_nullable_text("name", p.name_or_initials), _sex(p.sex), _ts("birthTime", p.birth_date)]
    if p.death is not None:
        k.append(_ts("deceasedTime", p.death.date))
    for field, root, code in _RECORDS:
        value: Nullable[str] | None = getattr(p, field)
        if value is None:
            continue
        if isinstance(value, NullFlavor):
            ident = f'<id nullFlavor="{value.value}" root="{root}"/>'
        else:
            ident = f'<id extension="{attr(value)}" root="{root}"/>'
        k.append(
            f'<asIdentifiedEntity classCode="IDENT">{ident}'
            f'<code code="{code}" codeSystem="{oids.CL_RECORD_SOURCE}"/></asIdentifiedEntity>'
        )
    if p.parent is not None:
        k.append(_parent(p.parent, placer))
    k = placer.place("patient", k)
    return _kids_el("player1", _PERSON, k)


def _parent(parent: Parent, placer: Placer) -> str:
    person = [
        _nullable_text("name", parent.identification),
        _sex(parent.sex),
        _ts("birthTime", parent.birth_date),
    ]
    person = placer.place("parent:person", person)
    k = [
        f'<code code="PAR" codeSystem="{oids.HL7_ROLE_CODE}"/>',
        _kids_el("associatedPerson", _PERSON, person),
    ]
    _vitals(
        k,
        age=parent.age,
        gestation=None,
        age_group=None,
        weight=parent.weight_kg,
        height=parent.height_cm,
        lmp=parent.last_menstrual_period,
    )
    k.append(_history(parent.medical_history, parent.medical_history_text, None))
    k.append(_past_drugs(parent.past_drugs))
    k = placer.place("parent", k)
    return _kids_el("role", ' classCode="PRS"', k)


def _vitals(
    k: list[str],
    *,
    age: Quantity | None,
    gestation: Quantity | None,
    age_group: object,
    weight: Decimal | None,
    height: Decimal | None,
    lmp: Nullable[PartialDate] | None,
) -> None:
    if age is not None:
        k.append(_subject_obs(oids.OBS_AGE, _pq("value", age, "PQ")))
    if gestation is not None:
        k.append(_subject_obs(oids.OBS_GESTATION, _pq("value", gestation, "PQ")))
    if age_group is not None:
        code = age_group.code  # type: ignore[attr-defined]
        k.append(
            _subject_obs(
                oids.OBS_AGE_GROUP, _enum_code("value", code, oids.CL_AGE_GROUP, xsi_type="CE")
            )
        )
    if weight is not None:
        value = f'<value xsi:type="PQ" value="{format_decimal(weight)}" unit="kg"/>'
        k.append(_subject_obs(oids.OBS_WEIGHT, value))
    if height is not None:
        value = f'<value xsi:type="PQ" value="{format_decimal(height)}" unit="cm"/>'
        k.append(_subject_obs(oids.OBS_HEIGHT, value))
    if lmp is not None:
        k.append(_subject_obs(oids.OBS_LMP, _ts("value", lmp, "TS")))


def _span(start: Nullable[PartialDate] | None, end: Nullable[PartialDate] | None) -> str:
    if start is None and end is None:
        return ""
    return f'<effectiveTime xsi:type="IVL_TS">{_ts("low", start)}{_ts("high", end)}</effectiveTime>'


_OBS_OPEN = '<component typeCode="COMP"><observation classCode="OBS" moodCode="EVN">'
_OBS_CLOSE = "</observation></component>"


def _history(
    episodes: tuple[MedicalHistoryEpisode, ...],
    history_text: Nullable[str] | None,
    concomitant: bool | None,
) -> str:
    if not episodes and history_text is None and concomitant is None:
        return ""
    comps = []
    for ep in episodes:
        if ep.condition is not None:
            inner = f"<code{_meddra_attrs(ep.condition, None)}/>"
        else:
            inner = f'<code codeSystem="{oids.MEDDRA}"/>'
        inner += _span(ep.start, ep.end)
        if ep.comments is not None:
            value = f'<value xsi:type="ED">{text(ep.comments)}</value>'
            inner += _obs("outboundRelationship2", "COMP", oids.OBS_COMMENT, value)
        if ep.family_history is not None:
            value = _bl("value", True)
            inner += _obs("outboundRelationship2", "EXPL", oids.OBS_FAMILY_HISTORY, value)
        if ep.continuing is not None:
            value = _bl("value", ep.continuing)
            inner += _obs("inboundRelationship", "REFR", oids.OBS_CONTINUING, value)
        comps.append(f"{_OBS_OPEN}{inner}{_OBS_CLOSE}")
    if history_text is not None:
        comps.append(
            f'{_OBS_OPEN}<code code="{oids.OBS_HISTORY_TEXT}" codeSystem="{oids.CL_OBSERVATION}"/>'
            f"{_nullable_text('value', history_text, _XSI_ED)}{_OBS_CLOSE}"
        )
    if concomitant is not None:
        comps.append(
            f'{_OBS_OPEN}<code code="{oids.OBS_CONCOMITANT_THERAPY}" '
            f'codeSystem="{oids.CL_OBSERVATION}"/>{_bl("value", True)}{_OBS_CLOSE}'
        )
    return _organizer(oids.ORG_MEDICAL_HISTORY, "".join(comps))


def _product_code(code: Coded | None) -> str:
    return _code("code", code.code, code.system, code.version) if code is not None else ""


_KIND = ' classCode="MMAT" determinerCode="KIND"'


def _past_drugs(drugs: tuple[PastDrug, ...]) -> str:
    if not drugs:
        return ""
    comps = []
    for d in drugs:
        kind = _product_code(d.mpid or d.phpid) + _nullable_text("name", d.name)
        inner = (
            f'{_span(d.start, d.end)}<consumable typeCode="CSM"><instanceOfKind classCode="INST">'
            f"{_el('kindOfProduct', _KIND, kind)}</instanceOfKind></consumable>"
        )
        if d.indication is not None:
            value = f"<value{_meddra_attrs(d.indication)}/>"
            inner += _obs("outboundRelationship2", "RSON", oids.OBS_INDICATION, value)
        if d.reaction is not None:
            value = f"<value{_meddra_attrs(d.reaction)}/>"
            inner += _obs("outboundRelationship2", "CAUS", oids.OBS_REACTION, value)
        comps.append(
            '<component typeCode="COMP"><substanceAdministration classCode="SBADM" moodCode="EVN">'
            f"{inner}</substanceAdministration></component>"
        )
    return _organizer(oids.ORG_DRUG_HISTORY, "".join(comps))


def _cause(cause: CauseOfDeath) -> str:
    if cause.term is not None:
        attrs = _meddra_attrs(cause.term)
    else:
        attrs = f' xsi:type="CE" codeSystem="{oids.MEDDRA}"'
    inner = f"<originalText>{text(cause.text)}</originalText>" if cause.text is not None else ""
    return _el("value", attrs, inner)


_STUDY_NUMBER = oids.SPONSOR_STUDY_NUMBER


def _study(study: Study, placer: Placer) -> str:
    k = []
    number = study.sponsor_study_number
    if isinstance(number, NullFlavor):
        k.append(f'<id nullFlavor="{number.value}" root="{_STUDY_NUMBER}"/>')
    elif number is not None:
        k.append(f'<id extension="{attr(number)}" root="{_STUDY_NUMBER}"/>')
    if study.study_type is not None:
        k.append(_enum_code("code", study.study_type.code, oids.CL_STUDY_TYPE))
    k.append(_nullable_text("title", study.name))
    for reg in study.registrations:
        inner = ""
        if isinstance(reg.number, NullFlavor):
            inner = f'<id nullFlavor="{reg.number.value}" root="{oids.STUDY_REGISTRATION}"/>'
        elif reg.number is not None:
            inner = f'<id extension="{attr(reg.number)}" root="{oids.STUDY_REGISTRATION}"/>'
        if reg.country is not None:
            if isinstance(reg.country, NullFlavor):
                code = f'<code nullFlavor="{reg.country.value}"/>'
            else:
                code = _code("code", reg.country, oids.COUNTRY)
            inner += (
                '<author typeCode="AUT"><territorialAuthority classCode="TERR">'
                f'<governingPlace classCode="COUNTRY" determinerCode="INSTANCE">{code}'
                "</governingPlace></territorialAuthority></author>"
            )
        k.append(
            f'<authorization typeCode="AUTH">'
            f"{_el('studyRegistration', _ACT_EVN, inner)}"
            "</authorization>"
        )
    k = placer.place("study", k)
    return _kids_el("researchStudy", ' classCode="CLNTRL" moodCode="EVN"', k)


# --- E.i reactions and F.r tests ------------------------------------------------------------

_CRITERIA = (
    SeriousnessCriterion.DEATH,
    SeriousnessCriterion.LIFE_THREATENING,
    SeriousnessCriterion.HOSPITALISATION,
    SeriousnessCriterion.DISABLING,
    SeriousnessCriterion.CONGENITAL_ANOMALY,
    SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT,
)
_CRITERION_CODES = tuple((c, c.code) for c in _CRITERIA)
_REACTION_CODE = f'<code code="{oids.OBS_REACTION}" codeSystem="{oids.CL_OBSERVATION}"/>'


def _pert(code: str, value: str) -> str:
    return _obs("outboundRelationship2", "PERT", code, value)


def _reaction(r: Reaction, placer: Placer, seen: dict[str, int]) -> str:
    k = [f'<id root="{attr(uid(r.id))}"/>', _REACTION_CODE, _interval(r.start, r.end, r.duration)]
    if r.term is not None or r.verbatim_native is not None:
        if r.term is not None:
            attrs = _meddra_attrs(r.term)
        else:
            attrs = f' xsi:type="CE" codeSystem="{oids.MEDDRA}"'
        inner = ""
        if r.verbatim_native is not None:
            lang = (
                f' language="{attr(r.verbatim_language)}"'
                if r.verbatim_language is not None
                else ""
            )
            inner = f"<originalText{lang}>{text(r.verbatim_native)}</originalText>"
        k.append(_el("value", attrs, inner))
    if r.country is not None:
        k.append(
            '<location typeCode="LOC"><locatedEntity classCode="LOCE">'
            '<locatedPlace classCode="COUNTRY" determinerCode="INSTANCE">'
            f"{_code('code', r.country, oids.COUNTRY)}</locatedPlace></locatedEntity></location>"
        )
    if r.verbatim_translation is not None:
        value = f'<value xsi:type="ED">{text(r.verbatim_translation)}</value>'
        k.append(_pert(oids.OBS_TRANSLATION, value))
    if r.term_highlighted is not None:
        code = r.term_highlighted.code
        value = _enum_code("value", code, oids.CL_TERM_HIGHLIGHTED, xsi_type="CE")
        k.append(_pert(oids.OBS_TERM_HIGHLIGHTED, value))
    flag = r.seriousness.flag
    for criterion, code in _CRITERION_CODES:
        k.append(_pert(code, _bl("value", flag(criterion))))
    if r.outcome is not None:
        value = _enum_code("value", r.outcome.code, oids.CL_OUTCOME, xsi_type="CE")
        k.append(_pert(oids.OBS_OUTCOME, value))
    if r.medically_confirmed is not None:
        k.append(_pert(oids.OBS_MEDICAL_CONFIRMATION, _bl("value", r.medically_confirmed)))
    k = placer.place(make_anchor("reaction", r.id, seen), k)
    return _kids_el("observation", ' classCode="OBS" moodCode="EVN"', k)


_BOUNDS = {
    ResultQualifier.LESS_THAN: ("high", "false", NullFlavor.NINF),
    ResultQualifier.LESS_OR_EQUAL: ("high", "true", NullFlavor.NINF),
    ResultQualifier.GREATER_THAN: ("low", "false", NullFlavor.PINF),
    ResultQualifier.GREATER_OR_EQUAL: ("low", "true", NullFlavor.PINF),
}


def _bound(tag: str, value: str | None, unit: str | None, extra: str = "") -> str:
    out = f"<{tag}"
    if value is not None:
        out += f' value="{attr(value)}"'
    if unit is not None:
        out += f' unit="{attr(unit)}"'
    return f"{out}{extra}/>"


def _is_number(value: str) -> bool:
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _test(t: LabTest) -> str:
    attrs = _meddra_attrs(t.name_term, None) if t.name_term is not None else ""
    inner = f"<originalText>{text(t.name)}</originalText>" if t.name is not None else ""
    k = [_el("code", attrs, inner)]
    if t.date is not None:
        k.append(_ts("effectiveTime", t.date))
    value = t.result_value
    if value is not None:
        if isinstance(value, NullFlavor):
            unit = f' unit="{attr(t.result_unit)}"' if t.result_unit is not None else ""
            ivl = f'<center nullFlavor="{value.value}"{unit}/>'
        elif t.result_qualifier is None:
            ivl = _bound("center", format_decimal(value), t.result_unit)
        else:
            side, inclusive, open_nf = _BOUNDS[t.result_qualifier]
            bound = _bound(side, format_decimal(value), t.result_unit, f' inclusive="{inclusive}"')
            open_bound = f'<{"high" if side == "low" else "low"} nullFlavor="{open_nf.value}"/>'
            ivl = bound + open_bound if side == "low" else open_bound + bound
        k.append(f'<value xsi:type="IVL_PQ">{ivl}</value>')
    if t.result_text is not None:
        k.append(f'<value xsi:type="ED">{text(t.result_text)}</value>')
    if t.result_code is not None:
        k.append(_enum_code("interpretationCode", t.result_code.code, oids.CL_TEST_RESULT))
    for bound_value, interp in ((t.normal_low, "L"), (t.normal_high, "H")):
        if bound_value is None:
            continue
        if _is_number(bound_value):
            unit = f' unit="{attr(t.result_unit)}"' if t.result_unit is not None else ""
            rng = f'<value xsi:type="PQ" value="{attr(bound_value)}"{unit}/>'
        else:
            rng = f'<value xsi:type="ST">{text(bound_value)}</value>'
        k.append(
            '<referenceRange typeCode="REFV"><observationRange classCode="OBS" moodCode="EVN.CRT">'
            f'{rng}<interpretationCode code="{interp}" codeSystem="{oids.HL7_INTERPRETATION}"/>'
            "</observationRange></referenceRange>"
        )
    if t.comments is not None:
        value_ed = f'<value xsi:type="ED">{text(t.comments)}</value>'
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_COMMENT, value_ed))
    if t.more_information_available is not None:
        more = _bl("value", t.more_information_available)
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_MORE_INFO, more))
    return f'<observation classCode="OBS" moodCode="EVN">{"".join(k)}</observation>'


# --- G.k drugs ------------------------------------------------------------------------------


def _coded(
    tag: str,
    code: Coded | None,
    value: Nullable[str] | None,
    default_system: str,
    xsi_type: str | None = None,
) -> str:
    if code is None and value is None:
        return ""
    if code is not None:
        attrs = _code_attrs(code.code, code.system or default_system, code.version, xsi_type)
    else:
        attrs = f' xsi:type="{xsi_type}"' if xsi_type else ""
        attrs += f' codeSystem="{default_system}"'
    return _el(tag, attrs, _nullable_text("originalText", value))


_SA = ' classCode="SBADM" moodCode="EVN"'
_ACT_REF = '<actReference classCode="OBS" moodCode="EVN">'


def _drug(d: Drug, placer: Placer, seen: dict[str, int]) -> str:
    anchor = make_anchor("drug", d.id, seen)
    k = [f'<id root="{attr(uid(d.id))}"/>']
    kind = []
    product = d.mpid or d.phpid
    if product is not None:
        kind.append(_code("code", product.code, product.system, product.version))
    if d.name_as_reported is not None:
        kind.append(f"<name>{text(d.name_as_reported)}</name>")
    if d.authorisation_number or d.authorisation_holder or d.authorisation_country:
        approval = ""
        if d.authorisation_number is not None:
            approval += _id(oids.AUTHORISATION_NUMBER, d.authorisation_number)
        if d.authorisation_holder is not None:
            approval += (
                '<holder typeCode="HLD"><role classCode="HLD">'
                f"<playingOrganization{_ORG}><name>{text(d.authorisation_holder)}</name>"
                "</playingOrganization></role></holder>"
            )
        if d.authorisation_country is not None:
            approval += (
                '<author typeCode="AUT"><territorialAuthority classCode="TERR">'
                '<territory classCode="NAT" determinerCode="INSTANCE">'
                f"{_code('code', d.authorisation_country, oids.COUNTRY)}</territory>"
                "</territorialAuthority></author>"
            )
        kind.append(
            '<asManufacturedProduct classCode="MANU"><subjectOf typeCode="SBJ">'
            f"{_el('approval', _CNTRCT_EVN, approval)}"
            "</subjectOf></asManufacturedProduct>"
        )
    for s in d.substances:
        ing = ""
        if s.strength is not None:
            ing = (
                f'<quantity>{_pq("numerator", s.strength)}<denominator value="1" unit="1"/>'
                "</quantity>"
            )
        subst = ""
        if s.term_id is not None:
            subst = _code("code", s.term_id.code, s.term_id.system, s.term_id.version)
        if s.name is not None:
            subst += f"<name>{text(s.name)}</name>"
        ing += _el("ingredientSubstance", _KIND, subst)
        kind.append(f'<ingredient classCode="ACTI">{ing}</ingredient>')
    kind = placer.place(f"{anchor}:product", kind)
    iok = [_kids_el("kindOfProduct", _KIND, kind)]
    if d.country_obtained is not None:
        iok.append(
            '<subjectOf typeCode="SBJ"><productEvent classCode="ACT" moodCode="EVN">'
            f'<code code="1" codeSystem="{oids.CL_PRODUCT_EVENT}"/><performer typeCode="PRF">'
            f'<assignedEntity classCode="ASSIGNED"><representedOrganization{_ORG}><addr>'
            f"<country>{text(d.country_obtained)}</country></addr></representedOrganization>"
            "</assignedEntity></performer></productEvent></subjectOf>"
        )
    iok = placer.place(f"{anchor}:instance", iok)
    k.append(f'<consumable typeCode="CSM">{_kids_el("instanceOfKind", _INST, iok)}</consumable>')
    for row in d.reaction_assessments:
        for type_code, interval in (
            ("SAS", row.time_from_first_dose),
            ("SAE", row.time_from_last_dose),
        ):
            if interval is None:
                continue
            k.append(
                f'<outboundRelationship1 typeCode="{type_code}">{_pq("pauseQuantity", interval)}'
                f'{_ACT_REF}<id root="{attr(uid(row.reaction_id))}"/></actReference>'
                "</outboundRelationship1>"
            )
    for index, dosage in enumerate(d.dosages):
        k.append(_dosage(dosage, f"{anchor}:dosage:{index}", placer))
    if d.investigational_blinded is not None:
        k.append(_obs("outboundRelationship2", "COMP", oids.OBS_BLINDED, _bl("value", True)))
    if d.cumulative_dose is not None:
        value = _pq("value", d.cumulative_dose, "PQ")
        k.append(_obs("outboundRelationship2", "SUMM", oids.OBS_CUMULATIVE_DOSE, value))
    if d.gestation_period_at_exposure is not None:
        value = _pq("value", d.gestation_period_at_exposure, "PQ")
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_GESTATION, value))
    for row in d.reaction_assessments:
        if row.recurrence is None:
            continue
        value = _enum_code("value", row.recurrence.code, oids.CL_RECURRENCE, xsi_type="CE")
        value += (
            f'<outboundRelationship1 typeCode="REFR">{_ACT_REF}'
            f'<id root="{attr(uid(row.reaction_id))}"/></actReference></outboundRelationship1>'
        )
        k.append(_obs("outboundRelationship2", "PERT", oids.OBS_RECURRENCE, value))
    for info in d.additional_info_codes:
        value = _enum_code("value", info.code, oids.CL_ADDITIONAL_INFO, xsi_type="CE")
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_ADDITIONAL_INFO_CODE, value))
    if d.additional_info_text is not None:
        value = f'<value xsi:type="ST">{text(d.additional_info_text)}</value>'
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_ADDITIONAL_INFO_TEXT, value))
    for ind in d.indications:
        if ind.term is not None:
            attrs = _meddra_attrs(ind.term)
        else:
            attrs = f' xsi:type="CE" codeSystem="{oids.MEDDRA}"'
        value = _el("value", attrs, _nullable_text("originalText", ind.text))
        k.append(
            '<inboundRelationship typeCode="RSON"><observation classCode="OBS" moodCode="EVN">'
            f'<code code="{oids.OBS_INDICATION}" codeSystem="{oids.CL_OBSERVATION}"/>{value}'
            f'<performer typeCode="PRF"><assignedEntity classCode="ASSIGNED">'
            f'<code code="{oids.AUTHOR_REPORTER}" codeSystem="{oids.CL_AUTHOR}"/>'
            "</assignedEntity></performer></observation></inboundRelationship>"
        )
    if d.action_taken is not None:
        k.append(
            '<inboundRelationship typeCode="CAUS"><act classCode="ACT" moodCode="EVN">'
            f"{_enum_code('code', d.action_taken.code, oids.CL_ACTION_TAKEN)}</act>"
            "</inboundRelationship>"
        )
    k = placer.place(anchor, k)
    return _kids_el("substanceAdministration", _SA, k)


def _dosage(r: Dosage, anchor: str, placer: Placer) -> str:
    k = []
    if r.text is not None:
        k.append(f"<text>{text(r.text)}</text>")
    if r.period_null_flavor is not None:
        k.append(f'<effectiveTime nullFlavor="{r.period_null_flavor.value}"/>')
    else:
        k.append(_interval(r.start, r.end, r.duration, r.interval))
    k.append(_coded("routeCode", r.route_term, r.route, oids.EDQM_ROUTE))
    if r.dose is not None:
        k.append(_pq("doseQuantity", r.dose))
    has_form = r.dose_form is not None or r.dose_form_term is not None
    if r.batch_lot is not None or has_form or placer.has(f"{anchor}:instance"):
        iok = []
        if r.batch_lot is not None:
            iok.append(
                '<productInstanceInstance classCode="MMAT" determinerCode="INSTANCE">'
                f"<lotNumberText>{text(r.batch_lot)}</lotNumberText></productInstanceInstance>"
            )
        if has_form:
            form = _coded("formCode", r.dose_form_term, r.dose_form, oids.EDQM_DOSE_FORM)
            iok.append(_el("kindOfProduct", _KIND, form))
        iok = placer.place(f"{anchor}:instance", iok)
        k.append(
            f'<consumable typeCode="CSM">{_kids_el("instanceOfKind", _INST, iok)}</consumable>'
        )
    if r.parent_route is not None or r.parent_route_term is not None:
        value = _coded("value", r.parent_route_term, r.parent_route, oids.EDQM_ROUTE, "CE")
        k.append(_obs("inboundRelationship", "REFR", oids.OBS_PARENT_ROUTE, value))
    k = placer.place(anchor, k)
    return (
        '<outboundRelationship2 typeCode="COMP">'
        f"{_kids_el('substanceAdministration', _SA, k)}</outboundRelationship2>"
    )
