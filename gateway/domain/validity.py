"""Minimum criteria of a valid ICSR, Day 0, and significant follow-up information.

An ICSR is valid (GVP VI.B.1.1.1, ICH E2D 5.1) when it has all four minimum criteria:

* an **identifiable reporter**: any of name, initials, qualification, address, email or
  telephone of at least one primary source (C.2.r). For reports from the internet or
  digital media (email, SMS, WhatsApp, web forms) the reporter counts only with contact
  details that let the company verify that the person exists: an email address or a
  telephone number (GVP VI.B.1.1.4). An anonymous web form is not valid.
* an **identifiable patient**: any of name/initials, GP/specialist/hospital/investigation
  record number, date of birth, age, age group, sex, or gestation period (section D).
  Reporter and patient may be the same person: ``reporter_is_patient=True`` lets an
  identifiable reporter satisfy the patient criterion too ("I got a rash").
* at least one **suspect product**: a drug with G.k.1 = 1 suspect, 3 interacting or
  4 "drug not administered" (E2B accepts each of 1/3/4 as the case's reason for being),
  and something naming it (product name, substance, MPID or PhPID).
* at least one **adverse reaction**: a reaction with a verbatim term, a translation or a
  MedDRA code.

nullFlavors (decision, documented here and tested)
--------------------------------------------------
An element holding a nullFlavor is evidence only when the flavor says the value *exists*:

* ``MSK`` (masked) - the sender knows the value and withholds it for privacy. The person
  exists; GVP treats masked identifiers as identifiable.
* ``ASKU`` (asked, unknown) - the reporter was asked about a specific person and could
  not give the value; the person is still a specific individual.

``UNK``, ``NI``, ``NASK``, ``NA`` ... say nothing about the person and do not count. The set
is ``IDENTIFYING_NULL_FLAVORS`` and can be overridden per call. For a *digital-channel*
reporter the contact must be verifiable: an actual email/telephone, or ``MSK`` (the company
holds it but masks it in the record); ``ASKU`` contact details cannot be used to verify
anyone and do not count there.

Day 0
-----
``day_zero`` takes the ordered receipts of a case (when each message arrived, plus the
ICSR as known after it) and returns the receipt time of the message that *completes* the
fourth criterion: the first receipt after which ``assess_validity`` is valid. While the
case is invalid there is no Day 0 (``None``). A negative acknowledgement or a rejected
message is not a receipt of new information and must not be passed in.

Significant follow-up
---------------------
``significant_changes(before, after)`` lists what makes a follow-up *significant*
(new suspect drug, new reaction, seriousness change, death, new or changed causality):
such a follow-up gets its own Day 0 (``reporting_clocks``). Anything else (typo fixes in
the narrative, administrative detail, contact updates) is not significant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from itertools import pairwise

from gateway.domain.codes import DrugRole, ReactionOutcome, SeriousnessCriterion
from gateway.domain.drug import Drug
from gateway.domain.icsr import ICSR
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.domain.report import PrimarySource
from gateway.domain.values import NullFlavor

__all__ = [
    "IDENTIFYING_NULL_FLAVORS",
    "QUALIFYING_DRUG_ROLES",
    "Change",
    "ChangeKind",
    "ClockStart",
    "Criterion",
    "Receipt",
    "ValidityAssessment",
    "assess_validity",
    "day_zero",
    "is_significant",
    "reporting_clocks",
    "significant_changes",
]

#: nullFlavors that say "the value exists" (masked, or asked of a specific person)
IDENTIFYING_NULL_FLAVORS: frozenset[NullFlavor] = frozenset({NullFlavor.MSK, NullFlavor.ASKU})

#: nullFlavors that still let the company verify a digital-media reporter (it holds the
#: contact detail, masked in the record)
_VERIFIABLE_CONTACT_NULL_FLAVORS: frozenset[NullFlavor] = frozenset({NullFlavor.MSK})

#: G.k.1 roles that make a drug count for validity (E2B: at least one of 1, 3 or 4)
QUALIFYING_DRUG_ROLES: frozenset[DrugRole] = frozenset(
    {DrugRole.SUSPECT, DrugRole.INTERACTING, DrugRole.DRUG_NOT_ADMINISTERED}
)


class Criterion(Enum):
    """The four minimum criteria of a valid ICSR (GVP VI.B.1.1.1)."""

    IDENTIFIABLE_REPORTER = "identifiable_reporter"
    IDENTIFIABLE_PATIENT = "identifiable_patient"
    SUSPECT_PRODUCT = "suspect_product"
    ADVERSE_REACTION = "adverse_reaction"


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidityAssessment:
    """The outcome of ``assess_validity``.

    ``evidence`` says, for each criterion that is met, which data met it (for the audit
    trail); ``gaps`` says, for each missing criterion, what is lacking (for the follow-up
    question to the reporter). ``missing`` keeps the order of ``Criterion``.
    """

    valid: bool
    missing: tuple[Criterion, ...]
    evidence: dict[Criterion, str] = field(default_factory=dict, hash=False)
    gaps: dict[Criterion, str] = field(default_factory=dict, hash=False)


def _present(value: object, null_flavors: frozenset[NullFlavor]) -> bool:
    """True when an element holds a usable value or an identifying nullFlavor."""
    if value is None:
        return False
    if isinstance(value, NullFlavor):
        return value in null_flavors
    if isinstance(value, str):
        return bool(value.strip())
    return True


def _describe(label: str, value: object) -> str:
    return f"{label} ({value.name})" if isinstance(value, NullFlavor) else label


def _reporter_evidence(
    source: PrimarySource, *, digital_channel: bool, null_flavors: frozenset[NullFlavor]
) -> list[str]:
    if digital_channel:
        fields: list[tuple[str, object]] = [
            ("email", source.email),
            ("telephone", source.telephone),
        ]
        usable = _VERIFIABLE_CONTACT_NULL_FLAVORS & null_flavors
    else:
        fields = [
            ("given name", source.given_name),
            ("family name", source.family_name),
            ("middle name", source.middle_name),
            ("qualification", source.qualification),
            ("organisation", source.organisation),
            ("department", source.department),
            ("street", source.street),
            ("city", source.city),
            ("state", source.state),
            ("postcode", source.postcode),
            ("email", source.email),
            ("telephone", source.telephone),
        ]
        usable = null_flavors
    return [_describe(label, value) for label, value in fields if _present(value, usable)]


def _patient_evidence(patient: Patient, null_flavors: frozenset[NullFlavor]) -> list[str]:
    fields: list[tuple[str, object]] = [
        ("name or initials", patient.name_or_initials),
        ("GP record number", patient.gp_record_number),
        ("specialist record number", patient.specialist_record_number),
        ("hospital record number", patient.hospital_record_number),
        ("investigation number", patient.investigation_number),
        ("date of birth", patient.birth_date),
        ("age at onset", patient.age_at_onset),
        ("age group", patient.age_group),
        ("sex", patient.sex),
        ("gestation period", patient.gestation_period_at_onset),
    ]
    return [_describe(label, value) for label, value in fields if _present(value, null_flavors)]


def _drug_label(drug: Drug) -> str | None:
    """What names the product, or None when the record names nothing."""
    if drug.name_as_reported and drug.name_as_reported.strip():
        return drug.name_as_reported.strip()
    names = [s.name.strip() for s in drug.substances if s.name and s.name.strip()]
    if names:
        return " + ".join(names)
    coded = drug.mpid or drug.phpid
    if coded is not None:
        return coded.code
    if any(s.term_id is not None for s in drug.substances):
        return "coded substance"
    return None


def _reaction_label(reaction: Reaction) -> str | None:
    for text in (reaction.verbatim_native, reaction.verbatim_translation):
        if text and text.strip():
            return text.strip()
    if reaction.term is not None:
        return f"MedDRA {reaction.term.code}"
    return None


def assess_validity(
    icsr: ICSR,
    *,
    digital_channel: bool,
    reporter_is_patient: bool = False,
    identifying_null_flavors: frozenset[NullFlavor] = IDENTIFYING_NULL_FLAVORS,
) -> ValidityAssessment:
    """Check the four minimum criteria; see the module docstring for the rules.

    ``digital_channel``: the report came by email, SMS, WhatsApp or a web form, so the
    reporter needs verifiable contact details (GVP VI.B.1.1.4).
    """
    evidence: dict[Criterion, str] = {}
    gaps: dict[Criterion, str] = {}

    # Reporter: any primary source that is identifiable is enough.
    for index, source in enumerate(icsr.primary_sources):
        found = _reporter_evidence(
            source, digital_channel=digital_channel, null_flavors=identifying_null_flavors
        )
        if found:
            channel = "digital channel, verifiable contact: " if digital_channel else ""
            evidence[Criterion.IDENTIFIABLE_REPORTER] = (
                f"primary source {index + 1}: {channel}{', '.join(found)}"
            )
            break
    else:
        if not icsr.primary_sources:
            gaps[Criterion.IDENTIFIABLE_REPORTER] = "no primary source (reporter) recorded"
        elif digital_channel:
            gaps[Criterion.IDENTIFIABLE_REPORTER] = (
                "digital-media report without an email address or telephone number to "
                "verify the reporter (GVP VI.B.1.1.4)"
            )
        else:
            gaps[Criterion.IDENTIFIABLE_REPORTER] = (
                "no reporter name, initials, qualification, address, email or telephone"
            )

    # Patient.
    patient_found = (
        _patient_evidence(icsr.patient, identifying_null_flavors) if icsr.patient else []
    )
    if patient_found:
        evidence[Criterion.IDENTIFIABLE_PATIENT] = ", ".join(patient_found)
    elif reporter_is_patient and Criterion.IDENTIFIABLE_REPORTER in evidence:
        evidence[Criterion.IDENTIFIABLE_PATIENT] = "the patient is the identifiable reporter"
    else:
        gaps[Criterion.IDENTIFIABLE_PATIENT] = (
            "no patient initials, record number, date of birth, age, age group, sex "
            "or gestation period"
        )

    # Suspect product.
    products: list[str] = []
    for drug in icsr.drugs:
        label = _drug_label(drug)
        if drug.role is not None and drug.role in QUALIFYING_DRUG_ROLES and label is not None:
            products.append(f"{label} (G.k.1 {drug.role.name.lower()})")
    if products:
        evidence[Criterion.SUSPECT_PRODUCT] = ", ".join(products)
    elif any(d.role in QUALIFYING_DRUG_ROLES for d in icsr.drugs):
        gaps[Criterion.SUSPECT_PRODUCT] = "a suspect drug is recorded but not named"
    else:
        gaps[Criterion.SUSPECT_PRODUCT] = (
            "no suspect, interacting or not-administered drug (G.k.1 = 1, 3 or 4)"
        )

    # Reaction.
    reactions = [label for r in icsr.reactions if (label := _reaction_label(r)) is not None]
    if reactions:
        evidence[Criterion.ADVERSE_REACTION] = ", ".join(reactions)
    else:
        gaps[Criterion.ADVERSE_REACTION] = "no adverse reaction or event described"

    missing = tuple(c for c in Criterion if c not in evidence)
    return ValidityAssessment(valid=not missing, missing=missing, evidence=evidence, gaps=gaps)


# --- Day 0 ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """One message received for a case and the ICSR as known after processing it.

    ``digital_channel`` is the channel of *this* message (email, SMS, WhatsApp, web form):
    a reporter who later phones in is verified by the call itself.
    """

    received_at: datetime
    icsr: ICSR
    digital_channel: bool = False
    reporter_is_patient: bool = False
    message_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.received_at, datetime) or self.received_at.utcoffset() is None:
            raise ValueError(
                f"Receipt.received_at must be a timezone-aware datetime, got {self.received_at!r}"
            )


def _check_order(history: Sequence[Receipt]) -> None:
    for earlier, later in pairwise(history):
        if later.received_at < earlier.received_at:
            raise ValueError(
                f"receipts must be in order of arrival: {later.received_at.isoformat()} "
                f"comes after {earlier.received_at.isoformat()}"
            )


def _assess(receipt: Receipt) -> ValidityAssessment:
    return assess_validity(
        receipt.icsr,
        digital_channel=receipt.digital_channel,
        reporter_is_patient=receipt.reporter_is_patient,
    )


def day_zero(history: Sequence[Receipt]) -> datetime | None:
    """The receipt time of the message that completed the four criteria, else None."""
    _check_order(history)
    for receipt in history:
        if _assess(receipt).valid:
            return receipt.received_at
    return None


# --- significant follow-up ---------------------------------------------------------------


class ChangeKind(Enum):
    """Kinds of significant follow-up information (GVP VI.C.6.2.2.7)."""

    NEW_SUSPECT_DRUG = "new_suspect_drug"
    NEW_REACTION = "new_reaction"
    SERIOUSNESS_CHANGE = "seriousness_change"
    DEATH = "death"
    CAUSALITY = "causality"


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One significant difference between two versions, with the reason it matters."""

    kind: ChangeKind
    reason: str
    subject: str | None = None  # local id of the drug or reaction concerned


_SUSPECTED = frozenset({DrugRole.SUSPECT, DrugRole.INTERACTING})


def _new_suspect_drugs(before: ICSR, after: ICSR) -> list[Change]:
    changes: list[Change] = []
    previous = {d.id: d for d in before.drugs}
    for drug in after.drugs:
        if drug.role not in _SUSPECTED:
            continue
        label = _drug_label(drug) or drug.id
        old = previous.get(drug.id)
        if old is None:
            changes.append(
                Change(
                    kind=ChangeKind.NEW_SUSPECT_DRUG,
                    reason=f"new suspect drug {label!r}",
                    subject=drug.id,
                )
            )
        elif old.role not in _SUSPECTED:
            was = old.role.name.lower() if old.role else "no role"
            changes.append(
                Change(
                    kind=ChangeKind.NEW_SUSPECT_DRUG,
                    reason=f"drug {label!r} is now suspected (was {was})",
                    subject=drug.id,
                )
            )
    return changes


def _new_reactions(before: ICSR, after: ICSR) -> list[Change]:
    known = {r.id for r in before.reactions}
    return [
        Change(
            kind=ChangeKind.NEW_REACTION,
            reason=f"new reaction {_reaction_label(r) or r.id!r}",
            subject=r.id,
        )
        for r in after.reactions
        if r.id not in known and _reaction_label(r) is not None
    ]


def _names(criteria: Iterable[SeriousnessCriterion]) -> str:
    return ", ".join(sorted(c.name.lower() for c in criteria)) or "none"


def _seriousness_changes(before: ICSR, after: ICSR) -> list[Change]:
    changes: list[Change] = []
    old_case = frozenset().union(*(r.seriousness.criteria for r in before.reactions))
    new_case = frozenset().union(*(r.seriousness.criteria for r in after.reactions))
    if bool(old_case) != bool(new_case):
        direction = "upgraded to serious" if new_case else "downgraded to non-serious"
        changes.append(
            Change(
                kind=ChangeKind.SERIOUSNESS_CHANGE,
                reason=f"case {direction} (criteria {_names(old_case)} -> {_names(new_case)})",
            )
        )
    previous = {r.id: r for r in before.reactions}
    for reaction in after.reactions:
        old = previous.get(reaction.id)
        if old is None:
            continue  # a new reaction is reported as such
        if old.seriousness.criteria != reaction.seriousness.criteria:
            changes.append(
                Change(
                    kind=ChangeKind.SERIOUSNESS_CHANGE,
                    reason=(
                        f"seriousness of reaction {_reaction_label(reaction) or reaction.id!r} "
                        f"changed: {_names(old.seriousness.criteria)} -> "
                        f"{_names(reaction.seriousness.criteria)}"
                    ),
                    subject=reaction.id,
                )
            )
    return changes


def _died(icsr: ICSR) -> bool:
    if icsr.patient is not None and icsr.patient.death is not None:
        return True
    return any(
        r.outcome is ReactionOutcome.FATAL or SeriousnessCriterion.DEATH in r.seriousness.criteria
        for r in icsr.reactions
    )


def _death_changes(before: ICSR, after: ICSR) -> list[Change]:
    if _died(after) and not _died(before):
        return [Change(kind=ChangeKind.DEATH, reason="the patient died (new information)")]
    return []


def _causality_rows(icsr: ICSR) -> dict[tuple[str, str], frozenset[tuple[str, str, str]]]:
    rows: dict[tuple[str, str], frozenset[tuple[str, str, str]]] = {}
    for drug in icsr.drugs:
        for row in drug.reaction_assessments:
            rows[(drug.id, row.reaction_id)] = frozenset(
                (
                    (a.source or "").strip().lower(),
                    (a.method or "").strip().lower(),
                    (a.result or "").strip().lower(),
                )
                for a in row.assessments
            )
    return rows


def _causality_changes(before: ICSR, after: ICSR) -> list[Change]:
    old_rows = _causality_rows(before)
    changes: list[Change] = []
    for (drug_id, reaction_id), assessments in _causality_rows(after).items():
        added = assessments - old_rows.get((drug_id, reaction_id), frozenset())
        if added:
            results = ", ".join(sorted(f"{m or '?'}: {r or '?'}" for _, m, r in added))
            changes.append(
                Change(
                    kind=ChangeKind.CAUSALITY,
                    reason=(
                        f"new causality assessment for drug {drug_id!r} x reaction "
                        f"{reaction_id!r} ({results})"
                    ),
                    subject=f"{drug_id}:{reaction_id}",
                )
            )
    return changes


def significant_changes(before: ICSR, after: ICSR) -> tuple[Change, ...]:
    """What in ``after`` is significant new information compared with ``before``.

    Significant: a new suspect (or interacting) drug, a new reaction, a change of
    seriousness (case or reaction level, up or down), the patient's death, new or changed
    causality. Not significant (returns nothing): narrative typos, administrative detail,
    contact details, dates refined, recoding. Drugs and reactions are matched by their
    local ids, which are stable across versions of a case.
    """
    return (
        *_new_suspect_drugs(before, after),
        *_new_reactions(before, after),
        *_seriousness_changes(before, after),
        *_death_changes(before, after),
        *_causality_changes(before, after),
    )


def is_significant(before: ICSR, after: ICSR) -> bool:
    return bool(significant_changes(before, after))


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockStart:
    """A reporting clock: the initial Day 0 or a significant follow-up's Day 0."""

    day_zero: datetime
    follow_up: bool
    changes: tuple[Change, ...] = ()
    message_id: str | None = None


def reporting_clocks(history: Sequence[Receipt]) -> tuple[ClockStart, ...]:
    """Every Day 0 of a case: when it became valid, then each significant follow-up.

    Follow-ups received before the case is valid only help complete it; after Day 0 a
    receipt starts a new clock when it brings significant changes compared with the
    ICSR as known before it.
    """
    _check_order(history)
    clocks: list[ClockStart] = []
    previous: ICSR | None = None
    for receipt in history:
        if not clocks:
            if _assess(receipt).valid:
                clocks.append(
                    ClockStart(
                        day_zero=receipt.received_at,
                        follow_up=False,
                        message_id=receipt.message_id,
                    )
                )
        elif previous is not None and (changes := significant_changes(previous, receipt.icsr)):
            clocks.append(
                ClockStart(
                    day_zero=receipt.received_at,
                    follow_up=True,
                    changes=changes,
                    message_id=receipt.message_id,
                )
            )
        previous = receipt.icsr
    return tuple(clocks)
