"""The element-by-element builder (``etree.SubElement`` per node), kept as the reference.

``build_batch`` / ``to_bytes`` now write the XML as text (``schemas.e2b_r3.write``); this
builder is what they must match byte for byte (``tests/unit/e2b_r3/test_e2b_r3_writer.py``).
It is not used on any production path. Its parts live in ``build_report`` /
``build_assessment`` / ``build_patient`` / ``build_reaction`` / ``build_drug``.
"""

from __future__ import annotations

from lxml import etree

from schemas.e2b_r3 import oids
from schemas.e2b_r3.build_report import build_investigation
from schemas.e2b_r3.model import R3Batch, R3Message
from schemas.e2b_r3.xml import NSMAP, Element, Placer, q, sub, sub_code, sub_id, sub_ts

_DEVICE = {"classCode": "DEV", "determinerCode": "INSTANCE"}


def build_batch_elements(batch: R3Batch) -> Element:
    """Write a batch as an ``MCCI_IN200100UV01`` element (schema order), node by node."""
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


def serialize_elements(batch: R3Batch) -> bytes:
    """The reference bytes: the element builder's tree through ``etree.tostring``."""
    root = build_batch_elements(batch)
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True))
