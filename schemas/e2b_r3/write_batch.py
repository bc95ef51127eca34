"""The batch and message wrappers (N.1, N.2.r) written as text."""

from __future__ import annotations

from schemas.e2b_r3 import oids
from schemas.e2b_r3.model import R3Batch, R3Message
from schemas.e2b_r3.write_datatypes import _code, _id, _kids_el, _ts
from schemas.e2b_r3.write_escape import _NSDECL, attr
from schemas.e2b_r3.write_regional import Placer
from schemas.e2b_r3.write_report import _investigation


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
