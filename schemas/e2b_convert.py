"""E2B(R3) <-> E2B(R2) conversion, always *through* the domain ``ICSR``, with a loss report.

``r3_to_r2`` turns an ``R3Batch`` into an ``ichicsr`` ``R2Message``; ``r2_to_r3`` does the
reverse. Each returns a ``ConversionResult``: the converted value and one ``Loss`` per
populated source element the target cannot carry (R3-only elements such as attachments,
native-language verbatim terms, substance strengths, extra dosage regimens, regional
extensions, nullFlavors and time zones; R2-only elements such as the receiver block or
PT-level MedDRA terms). Nothing is dropped without a ``Loss``.

The R2 value is what R2 actually carries: ``r3_to_r2`` writes the ICSRs as R2 and reads
them back. Local reaction / drug ids (which R2 has no place for) are then restored from the
R3 input by position, since the writer never drops or reorders a reaction or drug.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.domain.icsr import ICSR
from gateway.domain.partial_date import PartialDate
from schemas.e2b_r2 import (
    Loss,
    R2Header,
    R2Message,
    R2Receiver,
    R2Report,
    build_r2,
    parse_r2,
    r2_losses,
)
from schemas.e2b_r2.model import RECEIVER_ELEMENTS
from schemas.e2b_r2.refs import ref
from schemas.e2b_r3 import R3Batch, R3Message, RegionalExtension

__all__ = ["ConversionResult", "Loss", "r2_to_r3", "r3_to_r2"]

T = TypeVar("T")
_CODE = re.compile(r'\bcode="([^"]+)"(?:\s+displayName="([^"]+)")?')
_DEFAULTS = {"processing_code": "P", "processing_mode_code": "T", "accept_ack_code": "AL"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversionResult(Generic[T]):
    """A converted message and what the target format could not carry."""

    value: T
    losses: tuple[Loss, ...] = ()

    def element_ids(self) -> frozenset[str]:
        return frozenset(loss.element_id for loss in self.losses)


def _restore_ids(projected: ICSR, original: ICSR) -> ICSR:
    """Put the R3 reaction / drug ids back onto the re-read ICSR (same order, same count)."""
    if len(projected.reactions) != len(original.reactions) or len(projected.drugs) != len(
        original.drugs
    ):
        return projected
    rename = {p.id: o.id for p, o in zip(projected.reactions, original.reactions, strict=True)}
    reactions = tuple(
        dataclasses.replace(p, id=o.id)
        for p, o in zip(projected.reactions, original.reactions, strict=True)
    )
    drugs = tuple(
        dataclasses.replace(
            p,
            id=o.id,
            reaction_assessments=tuple(
                dataclasses.replace(a, reaction_id=rename.get(a.reaction_id, a.reaction_id))
                for a in p.reaction_assessments
            ),
        )
        for p, o in zip(projected.drugs, original.drugs, strict=True)
    )
    return dataclasses.replace(projected, reactions=reactions, drugs=drugs)


def _regional(ext: RegionalExtension, where: str) -> Loss:
    text = ext.xml.decode("utf-8", "replace")
    code = _CODE.search(text)
    what = (
        f"code {code.group(1)}" + (f" ({code.group(2)})" if code.group(2) else "") if code else ""
    )
    return Loss(
        element_id=f"regional:{ext.tag}",
        path=f"{where}.{ext.anchor}",
        reason=f"regional (non-ICH) extension {what} has no place in ICH ICSR 2.1".replace(
            "  ", " "
        ),
    )


def _message_losses(batch: R3Batch, m: R3Message, where: str) -> list[Loss]:
    losses = [_regional(ext, where) for ext in m.regional_extensions]
    if m.message_id != m.icsr.report.safety_report_id:
        losses.append(
            Loss(
                element_id="N.2.r.1",
                path=where,
                reason="message id differs from C.1.1; R2 has no message-level id",
            )
        )
    if m.sender_id != batch.sender_id:
        losses.append(
            Loss(
                element_id="N.2.r.2",
                path=where,
                reason="message sender differs "
                "from the batch sender; R2 has one sender identifier per message",
            )
        )
    if m.created_at != m.icsr.report.created_at:
        losses.append(
            Loss(
                element_id="N.2.r.4",
                path=where,
                reason="message creation time differs from C.1.2; R2 has no message-level date",
            )
        )
    for attr, default in _DEFAULTS.items():
        if getattr(m, attr) != default:
            losses.append(
                Loss(
                    element_id="N.2.r",
                    path=f"{where}.{attr}",
                    reason=f"HL7 {attr} {getattr(m, attr)!r} has no R2 element",
                )
            )
    return losses


def r3_to_r2(batch: R3Batch, *, lang: str = "en") -> ConversionResult[R2Message]:
    """An ``ichicsr`` message holding the batch's ICSRs, and what R2 cannot carry."""
    losses = [_regional(ext, "batch") for ext in batch.regional_extensions]
    reports = []
    for index, m in enumerate(batch.messages):
        losses += _message_losses(batch, m, f"messages[{index}]")
        reports.append(R2Report(icsr=m.icsr, receiver=R2Receiver(organisation=m.receiver_id)))
    draft = R2Message(
        header=R2Header(
            message_number=batch.batch_id,
            sender_id=batch.sender_id,
            receiver_id=batch.receiver_id,
            date=batch.created_at,
            lang=lang,
        ),
        reports=tuple(reports),
    )
    for loss in r2_losses(draft):
        path = loss.path
        if path.startswith("reports["):
            index_text, _, rest = path[len("reports[") :].partition("].")
            path = f"messages[{index_text}].icsr.{rest}"
        losses.append(dataclasses.replace(loss, path=path))
    value = parse_r2(build_r2(draft))
    for r_index, report in enumerate(value.reports):  # parsing our own output: none expected
        losses += [
            dataclasses.replace(loss, path=f"messages[{r_index}] (R2 re-read) {loss.path}")
            for loss in report.not_carried
        ]
    reports_back = tuple(
        dataclasses.replace(r, icsr=_restore_ids(r.icsr, m.icsr), not_carried=())
        for r, m in zip(value.reports, batch.messages, strict=True)
    )
    return ConversionResult(
        value=dataclasses.replace(value, reports=reports_back), losses=tuple(losses)
    )


def r2_to_r3(
    message: R2Message,
    *,
    batch_id: str | None = None,
    sender: str | None = None,
    receiver: str | None = None,
    created_at: PartialDate | None = None,
) -> ConversionResult[R3Batch]:
    """An E2B(R3) batch holding the message's ICSRs, and what R3 cannot carry.

    Batch id, sender and receiver default to the R2 header's M.1.4 / M.1.5 / M.1.6 and the
    batch time to M.1.7; each message's receiver (N.2.r.3) is the report's receiver
    organisation when given. C.1.2 (required in R3) falls back to the message date.
    """
    h = message.header
    losses: list[Loss] = []
    for given, own, element_id in (
        (batch_id, h.message_number, "M.1.4"),
        (sender, h.sender_id, "M.1.5"),
        (receiver, h.receiver_id, "M.1.6"),
    ):
        if given is not None and given != own:
            losses.append(
                Loss(
                    element_id=element_id,
                    path="header",
                    reason=f"replaced by {given!r} for the R3 batch",
                )
            )
    batch_sender = sender or h.sender_id
    messages = []
    for index, report in enumerate(message.reports):
        where = f"reports[{index}]"
        losses += [dataclasses.replace(x, path=f"{where}.{x.path}") for x in report.not_carried]
        if report.version is not None:
            losses.append(
                Loss(
                    element_id="A.1.0.1",
                    path=f"{where}.safetyreportversion",
                    reason="safety report version has no R3 element",
                )
            )
        for attr, tag in RECEIVER_ELEMENTS:
            if attr != "organisation" and getattr(report.receiver, attr) is not None:
                losses.append(
                    Loss(
                        element_id=ref(tag),
                        path=f"{where}.receiver.{tag}",
                        reason="R3 keeps only the receiver identifier (N.2.r.3)",
                    )
                )
        icsr = report.icsr
        created = icsr.report.created_at or h.date
        if icsr.report.created_at is None:
            icsr = dataclasses.replace(
                icsr, report=dataclasses.replace(icsr.report, created_at=created)
            )
        messages.append(
            R3Message(
                message_id=icsr.report.safety_report_id or f"{h.message_number}-{index + 1}",
                sender_id=batch_sender,
                receiver_id=report.receiver.organisation or receiver or h.receiver_id,
                created_at=created,
                icsr=icsr,
            )
        )
    batch = R3Batch(
        batch_id=batch_id or h.message_number,
        sender_id=batch_sender,
        receiver_id=receiver or h.receiver_id,
        created_at=created_at or h.date,
        messages=tuple(messages),
    )
    return ConversionResult(value=batch, losses=tuple(losses))
