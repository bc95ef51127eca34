"""Regional profiles on top of the ICH rules.

FDA (``fda-rejection-warning-rules.csv``, FDA E2B(R3) technical specifications): an ICH
finding that has an FDA counterpart is reported under the FDA error id, severity and text
(:data:`FDA_EQUIVALENTS`); FDA-only routing and consistency rules are added
(:func:`fda_batch` / :func:`fda_message`). ICH rules without an FDA counterpart still apply.

EMA (EU ICSR Implementation Guide, GVP Module VI): the ICH rules, plus EudraVigilance
receiver identifiers (N.1.4 / N.2.r.3 must be ``EVHUMAN`` or ``EVTEST``) and a warning for
non-serious ICSRs whose primary source is outside the EEA (GVP VI.C.3: not submitted to
EudraVigilance). C.3.1 (sender type) is already an ICH mandatory element here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from gateway.domain.codes import DrugRole, ReportType
from gateway.domain.values import PartialDate
from schemas.e2b_r3.model import R3Batch, R3Message
from schemas.e2b_rules.base import Sink
from schemas.e2b_rules.countries import is_eea
from schemas.e2b_rules.findings import Finding, Severity
from schemas.e2b_rules.paths import HEADER, MessagePaths

__all__ = [
    "EV_RECEIVERS",
    "FDA_EQUIVALENTS",
    "ema_batch",
    "ema_message",
    "fda_batch",
    "fda_message",
    "to_fda",
]

R = Severity.REJECT
W = Severity.WARN

#: ICH rule id -> (FDA error id, FDA severity, FDA error description).
FDA_EQUIVALENTS: Final[dict[str, tuple[str, Severity, str]]] = {
    "ICH.C.1.6.1.r.1.conditional": ("R0009", R, "C.1.6.1.r.1 must be provided when C.1.6.1 = true"),
    "ICH.C.1.9.1.r.conditional": (
        "R0017",
        R,
        "At least one C.1.9.1.r.1 must be provided when C.1.9.1 = true",
    ),
    "ICH.C.2.r.3.conditional": ("R0019", R, "C.2.r.3 must be provided when C.2.r.5 = 1"),
    "ICH.C.2.r.5.conditional": (
        "R0021",
        R,
        "At least one reporter must be provided with C.2.r.5 = 1",
    ),
    "ICH.C.3.2.conditional": ("R0022", R, "C.3.2 must be provided when C.3.1 = 1, 2, 3, 4, 5 or 6"),
    "ICH.C.5.4.conditional": ("R0023", R, "C.5.4 must be provided when C.1.3 =2"),
    "ICH.E.i.1.1b.conditional": ("R0058", R, "E.i.1.1b must be provided when E.i.1.1a is provided"),
    "ICH.F.r.3.conditional": (
        "R0065",
        R,
        "At least one of test results (F.r.3.1, F.r.3.2, "
        "F.r.3.4) must contain a value when F.r.2.2b is provided.",
    ),
    "ICH.F.r.3.3.conditional": ("R0067", R, "F.r.3.3 must be provided when F.r.3.2 is provided"),
    "ICH.G.k.3.2.conditional": ("R0074", R, "G.k.3.2 must be provided when G.k.3.1 is provided"),
    "ICH.H.5.r.1b.conditional": ("R0099", R, "H.5.r.1b must be provided when H.5.r.1a is provided"),
    "ICH.N.2.r.2.consistency": (
        "R0100",
        R,
        "N.2.r.2 provided is not same for all reports and does not match with N.1.3",
    ),
}

POSTMARKET: Final = "ZZFDA"
PREMARKET: Final = "ZZFDA_PREMKT"
_IND: Final = frozenset({"CDER_IND", "CBER_IND"})
_BABE: Final = "CDER_IND_EXEMPT_BA_BE"
_PREMARKET_RECEIVERS: Final = _IND | {_BABE}
_AGGREGATE: Final = frozenset({"AGGREGATE", "AGGREGRATE"})  # FDA's own spelling varies
EV_RECEIVERS: Final = frozenset({"EVHUMAN", "EVTEST"})


def to_fda(findings: list[Finding], message: R3Message | None) -> list[Finding]:
    """Report ICH findings under their FDA id / severity / text where FDA has one."""
    out: list[Finding] = []
    for f in findings:
        rule_id = f.rule_id
        if rule_id == "ICH.G.k.1.suspect" and message is not None and message.receiver_id == "CDER":
            out.append(
                replace(
                    f,
                    rule_id="R0069",
                    message="G.k.1 must be provided with "
                    'Observation Code Value of 1, 3 or 4 when N.2.r.3 = "CDER"',
                )
            )
            continue
        equivalent = FDA_EQUIVALENTS.get(rule_id)
        if equivalent is None:
            out.append(f)
        else:
            fda_id, severity, text = equivalent
            out.append(replace(f, rule_id=fda_id, severity=severity, message=text))
    return out


def fda_batch(batch: R3Batch, sink: Sink) -> None:
    """R0004 / R0005: the batch receiver is ZZFDA (postmarket) or ZZFDA_PREMKT (premarket)."""
    if batch.receiver_id in (POSTMARKET, PREMARKET):
        return
    premarket = bool(batch.messages) and all(
        m.receiver_id in _PREMARKET_RECEIVERS for m in batch.messages
    )
    if premarket:
        sink.reject(
            "R0005",
            "N.1.4",
            HEADER["N.1.4"],
            'ICSR sent to the premaket route does not have the value "ZZFDA_PREMKT" for N.1.4',
        )
    else:
        sink.reject(
            "R0004",
            "N.1.4",
            HEADER["N.1.4"],
            'ICSR sent to the postmaket route does not have the value "ZZFDA" for N.1.4',
        )


def fda_message(batch: R3Batch, message: R3Message, p: MessagePaths, sink: Sink) -> None:
    """FDA routing (R0006, R0007), report type (R0111, R0112, R0103), IND drug roles (R0070),
    death and parent details (R0041, R0045, R0051), tests (R0062), warnings W0001/2/5."""
    icsr = message.icsr
    rcv = message.receiver_id
    n2r3 = p.n2("N.2.r.3")
    report_type = icsr.report.report_type
    if batch.receiver_id == POSTMARKET and rcv != "CDER":
        sink.reject("R0006", "N.2.r.3", n2r3, 'N.1.4 = "ZZFDA" but N.2.r.3 is not "CDER"')
    if batch.receiver_id == PREMARKET and rcv not in _PREMARKET_RECEIVERS:
        sink.reject(
            "R0007",
            "N.2.r.3",
            n2r3,
            'N.1.4 = "ZZFDA_PREMKT" but N.2.r.3 is not '
            '"CDER_IND" or "CBER_IND" or "CDER_IND_EXEMPT_BA_BE"',
        )
    c13 = p.report("C.1.3")
    if batch.receiver_id == PREMARKET and rcv == _BABE and report_type is not ReportType.STUDY:
        sink.reject(
            "R0111",
            "C.1.3",
            c13,
            "C.1.3 must be 2 when N.1.4 = \"ZZFDA_PREMKT\" and N.2.r.3 = 'CDER_IND_EXEMPT_BA_BE'",
        )
    if (
        batch.receiver_id == PREMARKET
        and rcv in _IND
        and report_type in (ReportType.OTHER, ReportType.NOT_AVAILABLE_TO_SENDER)
    ):
        sink.reject(
            "R0112",
            "C.1.3",
            c13,
            "C.1.3 must not be 3 or 4 when N.1.4 = "
            "\"ZZFDA_PREMKT\" and N.2.r.3 = 'CDER_IND' or 'CBER_IND'",
        )
    study_type = icsr.study.study_type if icsr.study is not None else None
    if report_type is ReportType.SPONTANEOUS and rcv == "CDER" and study_type is not None:
        sink.reject(
            "R0103",
            "C.5.4",
            p.patient("C.5.4"),
            'C.5.4 must not be provided when C.1.3 = 1 and N.2.r.3 = "CDER"',
        )
    roles = {d.role for d in icsr.drugs}
    if (
        report_type is ReportType.STUDY
        and rcv in _IND
        and not roles & {DrugRole.SUSPECT, DrugRole.INTERACTING}
    ):
        sink.reject(
            "R0070",
            "G.k.1",
            p.drug(1),
            "G.k.1 must be provided with Observation Code "
            'Value of 1 or 3 when C.1.3 = 2 and N.2.r.3 = "CDER_IND" or "CBER_IND"',
        )
    if (
        rcv == "CDER"
        and icsr.drugs
        and icsr.drugs[0].role
        not in (DrugRole.SUSPECT, DrugRole.INTERACTING, DrugRole.DRUG_NOT_ADMINISTERED)
    ):
        sink.warn(
            "W0005",
            "G.k.1",
            p.drug(1),
            "The first product reported does not have G.k.1 "
            "with Observation Code Value of 1, 3 or 4.",
        )
    _fda_patient(message, p, sink)
    for r, test in enumerate(icsr.tests, start=1):
        if test.date is not None and test.name is None and test.name_term is None:
            sink.reject(
                "R0062",
                "F.r.2.1",
                p.test(r),
                "F.r.2.1 must be provided when F.r.1 is provided and F.r.2.2b is not provided",
            )


def _fda_patient(message: R3Message, p: MessagePaths, sink: Sink) -> None:
    icsr = message.icsr
    patient = icsr.patient
    if patient is None:
        return
    died = any(r.seriousness.death is True for r in icsr.reactions)
    death = patient.death
    if (
        died
        and icsr.report.report_type is ReportType.STUDY
        and message.receiver_id in _IND
        and (death is None or death.date is None)
    ):
        sink.reject(
            "R0041",
            "D.9.1",
            p.patient("D.9.1"),
            "D.9.1 must be provided when C.1.3 = 2 "
            'and N.2.r.3 = "CDER_IND" or "CBER_IND" and E.i.3.2a = true',
        )
    if death is not None and isinstance(death.date, PartialDate) and death.autopsy_done is None:
        sink.reject(
            "R0045", "D.9.3", p.patient("D.9.1"), "D.9.3 must be provided when D.9.1 is provided"
        )
    if patient.parent is not None and patient.parent.sex is None:
        sink.reject(
            "R0051",
            "D.10.6",
            p.patient("D"),
            "D.10.6 must be provided when any information is provided in Section D.10",
        )
    name = patient.name_or_initials
    if isinstance(name, str) and name.strip().upper() in _AGGREGATE:
        if not icsr.report.linked_report_ids:
            sink.warn(
                "W0001",
                "C.1.10.r",
                p.report("C.1.10.r"),
                'C.1.10.r should be provided when D.1 = "AGGREGRATE"',
            )
        study_type = icsr.study.study_type if icsr.study is not None else None
        if study_type is None or study_type.code != "1":
            sink.warn(
                "W0002", "C.5.4", p.patient("C.5.4"), 'C.5.4 should be 1 when D.1 = "AGGREGRATE"'
            )


def ema_batch(batch: R3Batch, sink: Sink) -> None:
    """EMA.N.1.4.receiver: EudraVigilance's batch receiver is EVHUMAN (or EVTEST)."""
    if batch.receiver_id not in EV_RECEIVERS:
        sink.reject(
            "EMA.N.1.4.receiver",
            "N.1.4",
            HEADER["N.1.4"],
            f"N.1.4 {batch.receiver_id!r} is not a EudraVigilance receiver (EVHUMAN, EVTEST)",
        )


def ema_message(message: R3Message, p: MessagePaths, sink: Sink) -> None:
    """EMA.N.2.r.3.receiver; EMA.C.2.r.3.non_eea_non_serious (warning)."""
    if message.receiver_id not in EV_RECEIVERS:
        sink.reject(
            "EMA.N.2.r.3.receiver",
            "N.2.r.3",
            p.n2("N.2.r.3"),
            f"N.2.r.3 {message.receiver_id!r} is not a EudraVigilance receiver (EVHUMAN, EVTEST)",
        )
    icsr = message.icsr
    primary = icsr.primary_source_for_regulatory_purposes()
    country = primary.country if primary is not None else None
    if isinstance(country, str) and not is_eea(country) and not icsr.is_serious():
        sink.warn(
            "EMA.C.2.r.3.non_eea_non_serious",
            "C.2.r.3",
            p.source(1, "C.2.r.3"),
            f"non-serious ICSR from outside the EEA ({country}): not to be submitted to "
            "EudraVigilance (GVP VI.C.3)",
        )
