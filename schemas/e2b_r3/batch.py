"""N.1 / N.2.r: the ``MCCI_IN200100UV01`` batch of ``PORR_IN049016UV`` messages."""

from __future__ import annotations

from lxml import etree

from gateway.domain.icsr import ICSR
from schemas.e2b_r3 import oids
from schemas.e2b_r3.build_report import build_investigation
from schemas.e2b_r3.model import R3Batch, R3Message
from schemas.e2b_r3.parse_report import parse_icsr
from schemas.e2b_r3.xml import (
    NS,
    NSMAP,
    E2BR3Error,
    Element,
    Extras,
    Placer,
    first,
    kids,
    local,
    path,
    q,
    sub,
    sub_code,
    sub_id,
    sub_ts,
    ts_required,
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_DEVICE = {"classCode": "DEV", "determinerCode": "INSTANCE"}


def _device_id(el: Element | None, root: str, where: str) -> str:
    ident = path(el, "device", "id")
    if ident is None or ident.get("root") != root or ident.get("extension") is None:
        raise E2BR3Error(f"{where}: missing <device><id root={root!r} extension=...>")
    return str(ident.get("extension"))


def _id(el: Element | None, root: str, where: str) -> str:
    if el is None or el.get("root") != root or el.get("extension") is None:
        raise E2BR3Error(f"{where}: missing <id root={root!r} extension=...>")
    return str(el.get("extension"))


def parse_batch(root: Element | bytes) -> R3Batch:
    """Read an ICSR batch. ``root`` is a parsed element (from the safe loader) or bytes."""
    if isinstance(root, bytes):
        root = etree.fromstring(root, _PARSER)
    if root.tag != q("MCCI_IN200100UV01"):
        raise E2BR3Error(f"not an E2B(R3) ICSR batch: <{root.tag}>")
    fields: dict[str, object] = {}
    messages: list[R3Message] = []
    extras = Extras()
    for tag, child in kids(root):
        if tag == "id":
            fields["batch_id"] = _id(child, oids.BATCH_ID, "N.1.2")
        elif tag == "creationTime":
            fields["created_at"] = ts_required(child, "N.1.5")
        elif tag == "responseModeCode":
            fields["response_mode_code"] = child.get("code") or "D"
        elif tag == "interactionId":
            continue
        elif tag == "name":
            fields["batch_type"] = child.get("code") or "1"
        elif tag == "PORR_IN049016UV":
            messages.append(_parse_message(child))
        elif tag == "receiver":
            fields["receiver_id"] = _device_id(child, oids.BATCH_RECEIVER, "N.1.4")
        elif tag == "sender":
            fields["sender_id"] = _device_id(child, oids.BATCH_SENDER, "N.1.3")
        else:
            extras.keep("batch", root, child)
    try:
        return R3Batch(messages=tuple(messages), regional_extensions=tuple(extras.items), **fields)  # type: ignore[arg-type]
    except TypeError as exc:
        raise E2BR3Error(f"N.1: incomplete batch header: {exc}") from None


def _parse_message(msg: Element) -> R3Message:
    fields: dict[str, object] = {}
    extras = Extras()
    icsr: ICSR | None = None
    for tag, child in kids(msg):
        if tag == "id":
            fields["message_id"] = _id(child, oids.MESSAGE_ID, "N.2.r.1")
        elif tag == "creationTime":
            fields["created_at"] = ts_required(child, "N.2.r.4")
        elif tag == "interactionId":
            continue
        elif tag in ("processingCode", "processingModeCode", "acceptAckCode"):
            key = {
                "processingCode": "processing_code",
                "processingModeCode": "processing_mode_code",
            }.get(tag, "accept_ack_code")
            fields[key] = child.get("code") or ""
        elif tag == "receiver":
            fields["receiver_id"] = _device_id(child, oids.MESSAGE_RECEIVER, "N.2.r.3")
        elif tag == "sender":
            fields["sender_id"] = _device_id(child, oids.MESSAGE_SENDER, "N.2.r.2")
        elif tag == "controlActProcess":
            icsr = _parse_control_act(child, extras)
        else:
            extras.keep("message", msg, child)
    if icsr is None:
        raise E2BR3Error("N.2.r: message without controlActProcess/subject/investigationEvent")
    try:
        return R3Message(icsr=icsr, regional_extensions=tuple(extras.items), **fields)  # type: ignore[arg-type]
    except TypeError as exc:
        raise E2BR3Error(f"N.2.r: incomplete message header: {exc}") from None


def _parse_control_act(cap: Element, extras: Extras) -> ICSR:
    effective = first(cap, "effectiveTime")
    icsr: ICSR | None = None
    for tag, child in kids(cap):
        if tag in ("code", "effectiveTime"):
            continue
        ie = first(child, "investigationEvent") if tag == "subject" else None
        if ie is not None and icsr is None:
            icsr = parse_icsr(ie, effective, extras)
        else:
            extras.keep("controlActProcess", cap, child)
    if icsr is None:
        raise E2BR3Error("N.2.r: controlActProcess has no investigationEvent")
    return icsr


def build_batch(batch: R3Batch) -> Element:
    """Write a batch as an ``MCCI_IN200100UV01`` element (schema order)."""
    root = etree.Element(q("MCCI_IN200100UV01"), nsmap=NSMAP)
    root.set("ITSVersion", "XML_1.0")
    sub_id(root, oids.BATCH_ID, batch.batch_id)
    sub_ts(root, "creationTime", batch.created_at)
    sub(root, "responseModeCode", {"code": batch.response_mode_code})
    sub_id(root, oids.HL7_INTERACTION, "MCCI_IN200100UV01", tag="interactionId")
    sub_code(root, "name", batch.batch_type, oids.CL_MESSAGE_TYPE)
    for message in batch.messages:
        _build_message(root, message)
    _device(root, "receiver", "RCV", oids.BATCH_RECEIVER, batch.receiver_id)
    _device(root, "sender", "SND", oids.BATCH_SENDER, batch.sender_id)
    Placer(batch.regional_extensions).place("batch", root)
    return root


def _device(parent: Element, tag: str, type_code: str, root: str, extension: str) -> None:
    device = sub(sub(parent, tag, {"typeCode": type_code}), "device", _DEVICE)
    sub_id(device, root, extension)


def _build_message(root: Element, m: R3Message) -> None:
    placer = Placer(m.regional_extensions)
    msg = sub(root, "PORR_IN049016UV")
    sub_id(msg, oids.MESSAGE_ID, m.message_id)
    sub_ts(msg, "creationTime", m.created_at)
    sub_id(msg, oids.HL7_INTERACTION, "PORR_IN049016UV", tag="interactionId")
    sub(msg, "processingCode", {"code": m.processing_code})
    sub(msg, "processingModeCode", {"code": m.processing_mode_code})
    sub(msg, "acceptAckCode", {"code": m.accept_ack_code})
    _device(msg, "receiver", "RCV", oids.MESSAGE_RECEIVER, m.receiver_id)
    _device(msg, "sender", "SND", oids.MESSAGE_SENDER, m.sender_id)
    cap = sub(msg, "controlActProcess", {"classCode": "CACT", "moodCode": "EVN"})
    sub_code(cap, "code", "PORR_TE049016UV", oids.HL7_TRIGGER_EVENT)
    sub_ts(cap, "effectiveTime", m.icsr.report.created_at)
    subject = sub(cap, "subject", {"typeCode": "SUBJ"})
    build_investigation(subject, m.icsr, placer)
    placer.place("controlActProcess", cap)
    placer.place("message", msg)


def serialize(el: Element) -> bytes:
    """UTF-8 bytes with an XML declaration."""
    return bytes(etree.tostring(el, encoding="UTF-8", xml_declaration=True))


_ = (NS, local)
