"""N.1 / N.2.r: the ``MCCI_IN200100UV01`` batch of ``PORR_IN049016UV`` messages."""

from __future__ import annotations

from lxml import etree

from gateway.domain.icsr import ICSR
from schemas.e2b_r3 import oids
from schemas.e2b_r3.model import R3Batch, R3Message
from schemas.e2b_r3.parse_report import parse_icsr
from schemas.e2b_r3.parse_tags import (
    ACCEPT_ACK_CODE,
    CODE,
    CONTROL_ACT_PROCESS,
    CREATION_TIME,
    DEVICE,
    EFFECTIVE_TIME,
    ID,
    INTERACTION_ID,
    INVESTIGATION_EVENT,
    NAME,
    PROCESSING_CODE,
    PROCESSING_MODE_CODE,
    RECEIVER,
    RESPONSE_MODE_CODE,
    SENDER,
    SUBJECT,
)
from schemas.e2b_r3.write import EMPTY, XML_DECLARATION, write_batch
from schemas.e2b_r3.xml import NS, E2BR3Error, Element, Extras, first, local, path, q, ts_required

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
#: for XML this module wrote itself (never for input)
_TRUSTED = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_BATCH = q("MCCI_IN200100UV01")
_MESSAGE = q("PORR_IN049016UV")
_MESSAGE_CODES = {
    PROCESSING_CODE: "processing_code",
    PROCESSING_MODE_CODE: "processing_mode_code",
    ACCEPT_ACK_CODE: "accept_ack_code",
}


def _device_id(el: Element | None, root: str, where: str) -> str:
    ident = path(el, DEVICE, ID)
    if ident is None or ident.get(b"root") != root or ident.get(b"extension") is None:
        raise E2BR3Error(f"{where}: missing <device><id root={root!r} extension=...>")
    return str(ident.get(b"extension"))


def _id(el: Element | None, root: str, where: str) -> str:
    if el is None or el.get(b"root") != root or el.get(b"extension") is None:
        raise E2BR3Error(f"{where}: missing <id root={root!r} extension=...>")
    return str(el.get(b"extension"))


def parse_batch(root: Element | bytes) -> R3Batch:
    """Read an ICSR batch. ``root`` is a parsed element (from the safe loader) or bytes."""
    # a tree parsed here is ours alone, so kept fragments may be written when first read
    deferred = False
    if isinstance(root, bytes):
        root = etree.fromstring(root, _PARSER)
        deferred = True
    if root.tag != _BATCH:
        raise E2BR3Error(f"not an E2B(R3) ICSR batch: <{root.tag}>")
    fields: dict[str, object] = {}
    messages: list[R3Message] = []
    extras = Extras(deferred=deferred)
    children = root.getchildren()
    for child in children:
        tag = child.tag
        if tag == _MESSAGE:
            messages.append(_parse_message(child, deferred))
        elif tag == ID:
            fields["batch_id"] = _id(child, oids.BATCH_ID, "N.1.2")
        elif tag == CREATION_TIME:
            fields["created_at"] = ts_required(child, "N.1.5")
        elif tag == RESPONSE_MODE_CODE:
            fields["response_mode_code"] = child.get(b"code") or "D"
        elif tag == INTERACTION_ID or tag.__class__ is not str:
            continue
        elif tag == NAME:
            fields["batch_type"] = child.get(b"code") or "1"
        elif tag == RECEIVER:
            fields["receiver_id"] = _device_id(child, oids.BATCH_RECEIVER, "N.1.4")
        elif tag == SENDER:
            fields["sender_id"] = _device_id(child, oids.BATCH_SENDER, "N.1.3")
        else:
            extras.keep("batch", children, child)
    try:
        return R3Batch(messages=tuple(messages), regional_extensions=tuple(extras.items), **fields)  # type: ignore[arg-type]
    except TypeError as exc:
        raise E2BR3Error(f"N.1: incomplete batch header: {exc}") from None


def _parse_message(msg: Element, deferred: bool) -> R3Message:
    fields: dict[str, object] = {}
    extras = Extras(deferred=deferred)
    icsr: ICSR | None = None
    children = msg.getchildren()
    for child in children:
        tag = child.tag
        if tag == CONTROL_ACT_PROCESS:
            try:
                icsr = _parse_control_act(child, extras)
            except E2BR3Error:
                raise
            except ValueError as exc:  # a value the domain refuses (a code, a quantity, …)
                raise E2BR3Error(f"N.2.r ICSR: {exc}") from None
        elif tag == ID:
            fields["message_id"] = _id(child, oids.MESSAGE_ID, "N.2.r.1")
        elif tag == CREATION_TIME:
            fields["created_at"] = ts_required(child, "N.2.r.4")
        elif tag == INTERACTION_ID or tag.__class__ is not str:
            continue
        elif tag in _MESSAGE_CODES:
            fields[_MESSAGE_CODES[tag]] = child.get(b"code") or ""
        elif tag == RECEIVER:
            fields["receiver_id"] = _device_id(child, oids.MESSAGE_RECEIVER, "N.2.r.3")
        elif tag == SENDER:
            fields["sender_id"] = _device_id(child, oids.MESSAGE_SENDER, "N.2.r.2")
        else:
            extras.keep("message", children, child)
    if icsr is None:
        raise E2BR3Error("N.2.r: message without controlActProcess/subject/investigationEvent")
    try:
        return R3Message(icsr=icsr, regional_extensions=tuple(extras.items), **fields)  # type: ignore[arg-type]
    except TypeError as exc:
        raise E2BR3Error(f"N.2.r: incomplete message header: {exc}") from None


def _parse_control_act(cap: Element, extras: Extras) -> ICSR:
    children = cap.getchildren()
    effective = first(cap, EFFECTIVE_TIME)
    icsr: ICSR | None = None
    for child in children:
        tag = child.tag
        if tag in (CODE, EFFECTIVE_TIME) or tag.__class__ is not str:
            continue
        ie = first(child, INVESTIGATION_EVENT) if tag == SUBJECT else None
        if ie is not None and icsr is None:
            icsr = parse_icsr(ie, effective, extras)
        else:
            extras.keep("controlActProcess", children, child)
    if icsr is None:
        raise E2BR3Error("N.2.r: controlActProcess has no investigationEvent")
    return icsr


def to_bytes(batch: R3Batch) -> bytes:
    """The batch as UTF-8 bytes with an XML declaration, written directly (no element tree).

    Byte-identical to ``serialize(build_batch(batch))``.
    """
    body = write_batch(batch)
    if EMPTY in body:
        body = body.replace(EMPTY, "")
    return (XML_DECLARATION + body).encode("utf-8")


def build_batch(batch: R3Batch) -> Element:
    """Write a batch as an ``MCCI_IN200100UV01`` element (schema order).

    The XML is written as text and parsed once; text we generated is trusted. Text set to
    ``""`` (which lxml writes ``<x></x>`` but parses as no text) is restored afterwards so
    that ``serialize`` gives exactly ``to_bytes``.
    """
    body = write_batch(batch)
    if EMPTY not in body:
        return etree.fromstring(body.encode("utf-8"), _TRUSTED)
    token = _empty_token(body)
    root = etree.fromstring(body.replace(EMPTY, token).encode("utf-8"), _TRUSTED)
    for el in root.iter():
        if el.text == token:
            el.text = ""
    return root


def _empty_token(body: str) -> str:
    token = "\ue000icsr-empty-text\ue000"  # noqa: S105 (not a secret)
    while token in body:
        token += "\ue001"
    return token


def serialize(el: Element) -> bytes:
    """UTF-8 bytes with an XML declaration."""
    return bytes(etree.tostring(el, encoding="UTF-8", xml_declaration=True))


_ = (NS, local)
