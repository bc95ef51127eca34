"""The quality check of one case version: an automated checklist a person then signs off.

Each check gives one ``CheckItem`` (id, severity, result, message, the element paths it
is about). ``BLOCKING`` failures stop the sign-off unless the signer gives an override
reason; ``WARNING`` failures are shown and recorded, nothing more.

Checks (ids are stored; keep them stable):

* ``minimum_criteria``            the four criteria of a valid ICSR
* ``completeness.*``              what the case's seriousness requires: a serious case
  needs outcome, onset, dose and route of the suspect drugs, the narrative and the
  company's causality (blocking); a non-serious case gets warnings for the same gaps
* ``meddra.coded``                every reaction carries an LLT
* ``meddra.known_current``        the LLT exists in the loaded dictionary and is current
* ``meddra.version``              the term's version is the loaded dictionary's
* ``meddra.verbatim``             the verbatim codes to the same LLT (a warning otherwise)
* ``dates.not_future``            no date after now
* ``dates.order``                 end >= start (reactions, dosages), C.1.5 >= C.1.4, birth
  before onset
* ``dates.onset_after_drug``      onset not before the suspect drug's first start (warning)
* ``identifiers.*``               C.1.1 format ``CC-ORG-number``, C.1.1 and C.1.8.1 unchanged
  from the previous version and the same as the ones the submissions carry, references
* ``consistency.fatal``           a fatal outcome carries the death criterion
* ``deadline``                    the case's submissions: an overdue one is blocking (the
  reason for the late submission must be documented: the override reason does that);
  one due within the at-risk window is a warning

Dates are compared by their spans (``PartialDate.compare``): "2024" is not after
"2024-03-05"; only a date wholly after another counts as after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum

from gateway.domain.causality import causality_pairs
from gateway.domain.codes import ReactionOutcome, SeriousnessCriterion
from gateway.domain.icsr import ICSR
from gateway.domain.meddra.coder import MedDRACoder
from gateway.domain.partial_date import DatePrecision
from gateway.domain.submissions.kinds import INACTIVE, SubmissionStatus
from gateway.domain.submissions.monitor import DeadlineState, submission_status
from gateway.domain.validity import assess_validity
from gateway.domain.values import PartialDate

__all__ = [
    "CheckItem",
    "CheckResult",
    "QualityContext",
    "QualityReport",
    "Severity",
    "SubmissionClock",
    "run_checklist",
]

#: C.1.1 as the gateway builds it: country (or EU), organisation, number
_C11 = re.compile(r"^[A-Z]{2}-[A-Z0-9]+-\S+$")


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


class CheckResult(StrEnum):
    PASS = "pass"  # noqa: S105 (a check outcome, not a secret)
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckItem:
    id: str
    title: str
    severity: Severity
    result: CheckResult
    message: str
    paths: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.result is CheckResult.FAIL and self.severity is Severity.BLOCKING

    def as_mapping(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "result": self.result.value,
            "message": self.message,
            "paths": list(self.paths),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmissionClock:
    """What the deadline and identifier checks need of one submission of the case."""

    destination_id: str
    kind: str
    status: str  # a SubmissionStatus value (the store's "built" counts as dispatched)
    due_date: date | None
    accepted_at: datetime | None = None
    safety_report_id: str | None = None
    worldwide_case_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityContext:
    now: datetime
    #: the loaded MedDRA dictionary's coder; None = MedDRA checks report "not checked"
    coder: MedDRACoder | None = None
    digital_channel: bool = False
    #: the version before this one: identifiers must not change between versions
    previous: ICSR | None = None
    submissions: tuple[SubmissionClock, ...] = ()
    at_risk_days: int = 3
    tz: tzinfo = UTC


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityReport:
    items: tuple[CheckItem, ...]
    meddra_version: str | None = None
    serious: bool = False

    @property
    def blocking_failures(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.blocks)

    @property
    def warnings(self) -> tuple[CheckItem, ...]:
        return tuple(
            i for i in self.items if i.result is CheckResult.FAIL and i.severity is Severity.WARNING
        )

    @property
    def passed(self) -> bool:
        """True when nothing blocking failed (warnings may remain)."""
        return not self.blocking_failures


def run_checklist(icsr: ICSR, context: QualityContext) -> QualityReport:
    """Every check, in a stable order."""
    if context.now.utcoffset() is None:
        raise ValueError("QualityContext.now must be timezone-aware")
    serious = icsr.is_serious()
    items = [
        _minimum_criteria(icsr, context),
        *_completeness(icsr, serious),
        *_meddra(icsr, context.coder),
        *_dates(icsr, context.now),
        *_identifiers(icsr, context),
        _fatal_consistency(icsr),
        _deadline(context),
    ]
    version = context.coder.dictionary.version if context.coder is not None else None
    return QualityReport(items=tuple(items), meddra_version=version, serious=serious)


# -- helpers ---------------------------------------------------------------------------------
def _item(
    check_id: str,
    title: str,
    severity: Severity,
    problems: list[tuple[str, str]] | None = None,
    *,
    ok: str,
    applicable: bool = True,
) -> CheckItem:
    """One item: PASS with ``ok`` when ``problems`` is empty, else FAIL naming each."""
    if not applicable:
        return CheckItem(
            id=check_id,
            title=title,
            severity=severity,
            result=CheckResult.NOT_APPLICABLE,
            message=ok,
        )
    if not problems:
        return CheckItem(
            id=check_id, title=title, severity=severity, result=CheckResult.PASS, message=ok
        )
    return CheckItem(
        id=check_id,
        title=title,
        severity=severity,
        result=CheckResult.FAIL,
        message="; ".join(dict.fromkeys(m for _, m in problems)),
        paths=tuple(dict.fromkeys(p for p, _ in problems)),
    )


def _date(value: object) -> PartialDate | None:
    return value if isinstance(value, PartialDate) else None


def _label(icsr: ICSR, reaction_id: str) -> str:
    r = icsr.reaction_by_id(reaction_id)
    if r is None:
        return reaction_id
    return r.verbatim_translation or r.verbatim_native or reaction_id


def _drug_label(icsr: ICSR, drug_id: str) -> str:
    d = icsr.drug_by_id(drug_id)
    return (d.name_as_reported if d is not None else None) or drug_id


# -- minimum criteria and completeness -------------------------------------------------------
def _minimum_criteria(icsr: ICSR, context: QualityContext) -> CheckItem:
    validity = assess_validity(icsr, digital_channel=context.digital_channel)
    problems = [(c.value, validity.gaps.get(c, c.value)) for c in validity.missing]
    return _item(
        "minimum_criteria",
        "Four minimum criteria of a valid ICSR",
        Severity.BLOCKING,
        problems,
        ok="reporter, patient, suspect product and reaction are identifiable",
    )


def _completeness(icsr: ICSR, serious: bool) -> list[CheckItem]:
    severity = Severity.BLOCKING if serious else Severity.WARNING
    why = "required for a serious case" if serious else "expected"
    outcome = [
        (f"reactions[{i}].outcome", f"no outcome (E.i.7) for {_label(icsr, r.id)!r}")
        for i, r in enumerate(icsr.reactions)
        if r.outcome is None or r.outcome is ReactionOutcome.UNKNOWN
    ]
    onset = [
        (f"reactions[{i}].start", f"no onset date (E.i.4) for {_label(icsr, r.id)!r}")
        for i, r in enumerate(icsr.reactions)
        if _date(r.start) is None
    ]
    dose_route: list[tuple[str, str]] = []
    for i, d in enumerate(icsr.drugs):
        if not d.is_suspected:
            continue
        name = _drug_label(icsr, d.id)
        if not any(x.dose is not None or (x.text or "").strip() for x in d.dosages):
            dose_route.append((f"drugs[{i}].dosages", f"no dose (G.k.4.r.1) for {name!r}"))
        if not any(x.route is not None or x.route_term is not None for x in d.dosages):
            dose_route.append(
                (f"drugs[{i}].dosages", f"no route of administration (G.k.4.r.10) for {name!r}")
            )
    narrative = (
        []
        if (icsr.narrative.case_narrative or "").strip()
        else [("narrative.case_narrative", "no case narrative (H.1)")]
    )
    causality = [
        (
            f"drugs[{icsr.drugs.index(d)}].reaction_assessments",
            f"no causality assessment (G.k.9.i.2.r) of {_drug_label(icsr, d.id)!r} "
            f"for {_label(icsr, rid)!r}",
        )
        for d, rid in causality_pairs(icsr)
        if (row := d.assessment_for(rid)) is None or not any(a.result for a in row.assessments)
    ]
    patient = icsr.patient
    demo: list[tuple[str, str]] = []
    if patient is None or (patient.age_at_onset is None and patient.birth_date is None):
        demo.append(("patient.age_at_onset", "no age at onset or date of birth (D.2)"))
    if patient is None or patient.sex is None:
        demo.append(("patient.sex", "no sex (D.5)"))
    return [
        _item(
            "completeness.outcome",
            f"Reaction outcome ({why})",
            severity,
            outcome,
            ok="every reaction has an outcome",
            applicable=bool(icsr.reactions),
        ),
        _item(
            "completeness.onset",
            f"Reaction onset date ({why})",
            severity,
            onset,
            ok="every reaction has an onset date",
            applicable=bool(icsr.reactions),
        ),
        _item(
            "completeness.dose_route",
            f"Dose and route of the suspect drugs ({why})",
            severity,
            dose_route,
            ok="every suspect drug has a dose and a route",
            applicable=bool(icsr.suspect_drugs()),
        ),
        _item(
            "completeness.narrative",
            f"Case narrative ({why})",
            severity,
            narrative,
            ok="the case narrative is written",
        ),
        _item(
            "completeness.causality",
            f"Causality of each suspect drug for each event ({why})",
            severity,
            causality,
            ok="every suspect drug x event pair has a causality result",
            applicable=bool(causality_pairs(icsr)),
        ),
        _item(
            "completeness.patient",
            "Patient age and sex",
            Severity.WARNING,
            demo,
            ok="the patient's age (or date of birth) and sex are known",
        ),
    ]


# -- MedDRA ----------------------------------------------------------------------------------
def _meddra(icsr: ICSR, coder: MedDRACoder | None) -> list[CheckItem]:
    uncoded = [
        (f"reactions[{i}].term", f"{_label(icsr, r.id)!r} has no MedDRA LLT (E.i.2.1b)")
        for i, r in enumerate(icsr.reactions)
        if r.term is None
    ]
    items = [
        _item(
            "meddra.coded",
            "Every reaction coded with a MedDRA LLT",
            Severity.BLOCKING,
            uncoded,
            ok="every reaction has an LLT",
            applicable=bool(icsr.reactions),
        )
    ]
    coded = [(i, r) for i, r in enumerate(icsr.reactions) if r.term is not None]
    if coder is None:
        note = "no MedDRA dictionary loaded (ICSR_MEDDRA_DIR): not checked"
        items += [
            _item(check_id, title, sev, ok=note, applicable=False)
            for check_id, title, sev in (
                ("meddra.known_current", "LLTs exist and are current", Severity.BLOCKING),
                ("meddra.version", "MedDRA version is the loaded one", Severity.WARNING),
                ("meddra.verbatim", "LLT consistent with the verbatim text", Severity.WARNING),
            )
        ]
        return items
    dictionary = coder.dictionary
    unknown: list[tuple[str, str]] = []
    old_version: list[tuple[str, str]] = []
    inconsistent: list[tuple[str, str]] = []
    for i, r in coded:
        assert r.term is not None
        path = f"reactions[{i}].term"
        llt = dictionary.llt(r.term.code)
        if llt is None:
            unknown.append((path, f"LLT {r.term.code} is not in MedDRA {dictionary.version}"))
        elif not llt.current:
            unknown.append(
                (path, f"LLT {r.term.code} {llt.name!r} is not current in {dictionary.version}")
            )
        if r.term.version != dictionary.version:
            old_version.append(
                (
                    path,
                    f"{_label(icsr, r.id)!r} is coded in MedDRA {r.term.version}; "
                    f"the loaded version is {dictionary.version}",
                )
            )
        verbatims = [v for v in (r.verbatim_translation, r.verbatim_native) if v and v.strip()]
        results = [res for v in verbatims if (res := coder.code(v)) is not None]
        if results and all(res.llt_code != r.term.code for res in results):
            best = results[0]
            coded_name = llt.name if llt is not None else r.term.code
            inconsistent.append(
                (
                    path,
                    f"verbatim {best.verbatim!r} codes to LLT {best.llt_code} "
                    f"{best.llt_name!r} ({best.method}, score {best.score:.0f}), "
                    f"not to the coded {r.term.code} {coded_name!r}",
                )
            )
    return [
        *items,
        _item(
            "meddra.known_current",
            "LLTs exist and are current",
            Severity.BLOCKING,
            unknown,
            ok=f"every LLT is current in MedDRA {dictionary.version}",
            applicable=bool(coded),
        ),
        _item(
            "meddra.version",
            "MedDRA version is the loaded one",
            Severity.WARNING,
            old_version,
            ok=f"every term is coded in MedDRA {dictionary.version}",
            applicable=bool(coded),
        ),
        _item(
            "meddra.verbatim",
            "LLT consistent with the verbatim text",
            Severity.WARNING,
            inconsistent,
            ok="each verbatim codes to its LLT (or the coder finds no other)",
            applicable=bool(coded),
        ),
    ]


# -- dates -----------------------------------------------------------------------------------
def _dated(icsr: ICSR) -> Iterator[tuple[str, str, PartialDate]]:
    """(path, label, date) of every date in the case that a reporter or sender gave."""
    report = icsr.report
    for path, label, value in (
        ("report.created_at", "C.1.2 date of creation", report.created_at),
        ("report.first_received", "C.1.4 first received", report.first_received),
        ("report.most_recent_info", "C.1.5 most recent information", report.most_recent_info),
    ):
        if value is not None:
            yield path, label, value
    p = icsr.patient
    if p is not None:
        if (birth := _date(p.birth_date)) is not None:
            yield "patient.birth_date", "D.2.1 date of birth", birth
        if p.death is not None and (died := _date(p.death.date)) is not None:
            yield "patient.death.date", "D.9.1 date of death", died
    for i, r in enumerate(icsr.reactions):
        for name, element in (("start", "E.i.4 onset"), ("end", "E.i.5 end")):
            if (value := _date(getattr(r, name))) is not None:
                yield f"reactions[{i}].{name}", f"{element} of {_label(icsr, r.id)!r}", value
    for i, d in enumerate(icsr.drugs):
        for j, dosage in enumerate(d.dosages):
            for name, element in (("start", "G.k.4.r.4 start"), ("end", "G.k.4.r.5 end")):
                if (value := _date(getattr(dosage, name))) is not None:
                    yield (
                        f"drugs[{i}].dosages[{j}].{name}",
                        f"{element} of {_drug_label(icsr, d.id)!r}",
                        value,
                    )
    for i, t in enumerate(icsr.tests):
        if (value := _date(t.date)) is not None:
            yield f"tests[{i}].date", "F.r.1 test date", value


def _after(a: PartialDate, b: PartialDate) -> bool:
    """``a`` lies wholly before ``b``: only then is ``b`` certainly later."""
    return a.compare(b) == -1


def _dates(icsr: ICSR, now: datetime) -> list[CheckItem]:
    today = PartialDate.from_datetime(now, DatePrecision.SECOND)
    future = [
        (path, f"{label} {value} is in the future")
        for path, label, value in _dated(icsr)
        if _after(today, value)
    ]
    order: list[tuple[str, str]] = []

    def before(
        path: str, first: PartialDate | None, second: PartialDate | None, message: str
    ) -> None:
        if first is not None and second is not None and _after(second, first):
            order.append((path, f"{message} ({second} before {first})"))

    report = icsr.report
    before(
        "report.most_recent_info",
        report.first_received,
        report.most_recent_info,
        "C.1.5 most recent information is before C.1.4 first received",
    )
    for i, r in enumerate(icsr.reactions):
        label = _label(icsr, r.id)
        before(
            f"reactions[{i}].end",
            _date(r.start),
            _date(r.end),
            f"{label!r} ends before it starts",
        )
        if icsr.patient is not None:
            before(
                f"reactions[{i}].start",
                _date(icsr.patient.birth_date),
                _date(r.start),
                f"{label!r} starts before the patient's birth",
            )
    for i, d in enumerate(icsr.drugs):
        for j, dosage in enumerate(d.dosages):
            before(
                f"drugs[{i}].dosages[{j}].end",
                _date(dosage.start),
                _date(dosage.end),
                f"{_drug_label(icsr, d.id)!r} administration ends before it starts",
            )
    onset: list[tuple[str, str]] = []
    for d in icsr.suspect_drugs():
        starts = [s for x in d.dosages if (s := _date(x.start)) is not None]
        if not starts:
            continue
        first = min(starts, key=PartialDate.sort_key)
        for i, r in enumerate(icsr.reactions):
            start = _date(r.start)
            if start is not None and _after(start, first):
                onset.append(
                    (
                        f"reactions[{i}].start",
                        f"{_label(icsr, r.id)!r} began ({start}) before "
                        f"{_drug_label(icsr, d.id)!r} was first given ({first})",
                    )
                )
    return [
        _item(
            "dates.not_future",
            "No date in the future",
            Severity.BLOCKING,
            future,
            ok="no date lies after today",
        ),
        _item(
            "dates.order",
            "Dates in a possible order",
            Severity.BLOCKING,
            order,
            ok="end dates follow start dates; C.1.5 follows C.1.4; onset follows birth",
        ),
        _item(
            "dates.onset_after_drug",
            "Onset after the suspect drug was started",
            Severity.WARNING,
            onset,
            ok="no event began before its suspect drug (where both dates are known)",
        ),
    ]


# -- identifiers -----------------------------------------------------------------------------
def _identifiers(icsr: ICSR, context: QualityContext) -> list[CheckItem]:
    report = icsr.report
    c11 = (report.safety_report_id or "").strip() or None
    worldwide = (report.worldwide_case_id or "").strip() or None
    fmt: list[tuple[str, str]] = []
    if c11 is not None and not _C11.match(c11):
        fmt.append(
            ("report.safety_report_id", f"C.1.1 {c11!r} is not 'CC-ORG-number' (country-org-id)")
        )
    stable: list[tuple[str, str]] = []
    prev = context.previous.report if context.previous is not None else None
    if prev is not None:
        if prev.safety_report_id and c11 != prev.safety_report_id.strip():
            stable.append(
                (
                    "report.safety_report_id",
                    f"C.1.1 changed from {prev.safety_report_id!r} to {c11!r} "
                    "(it stays the same across a sender's follow-ups)",
                )
            )
        if prev.worldwide_case_id and worldwide != prev.worldwide_case_id.strip():
            stable.append(
                (
                    "report.worldwide_case_id",
                    f"C.1.8.1 changed from {prev.worldwide_case_id!r} to {worldwide!r} "
                    "(set once by the first sender, never changed)",
                )
            )
    active = [s for s in context.submissions if SubmissionStatus(s.status) not in INACTIVE]
    sent_c11 = _distinct(s.safety_report_id for s in active)
    sent_world = _distinct(s.worldwide_case_id for s in active)
    if len(sent_c11) > 1:
        stable.append(("report.safety_report_id", f"submissions carry different C.1.1: {sent_c11}"))
    elif sent_c11 and c11 is not None and c11 != sent_c11[0]:
        stable.append(
            ("report.safety_report_id", f"C.1.1 {c11!r} differs from the submitted {sent_c11[0]!r}")
        )
    if len(sent_world) > 1:
        stable.append(
            ("report.worldwide_case_id", f"submissions carry different C.1.8.1: {sent_world}")
        )
    elif sent_world and worldwide is not None and worldwide != sent_world[0]:
        stable.append(
            (
                "report.worldwide_case_id",
                f"C.1.8.1 {worldwide!r} differs from the submitted {sent_world[0]!r}",
            )
        )
    references = [(p.path, p.message) for p in icsr.validate_references()]
    return [
        _item(
            "identifiers.format",
            "C.1.1 safety report id format",
            Severity.BLOCKING,
            fmt,
            ok="C.1.1 is 'CC-ORG-number'"
            if c11
            else "C.1.1 is assigned when the case is first submitted",
        ),
        _item(
            "identifiers.stable",
            "C.1.1 and C.1.8.1 consistent across versions and submissions",
            Severity.BLOCKING,
            stable,
            ok="identifiers unchanged across versions and submissions",
        ),
        _item(
            "identifiers.references",
            "Drug-reaction matrix and local ids",
            Severity.BLOCKING,
            references,
            ok="every G.k.9.i.1 names a reaction of the case; ids are unique",
        ),
    ]


def _distinct(values: Iterable[str | None]) -> list[str]:
    return sorted({v.strip() for v in values if v and v.strip()})


# -- consistency and deadline ----------------------------------------------------------------
def _fatal_consistency(icsr: ICSR) -> CheckItem:
    problems = [
        (
            f"reactions[{i}].seriousness.death",
            f"{_label(icsr, r.id)!r} has a fatal outcome but not the death criterion (E.i.3.2a)",
        )
        for i, r in enumerate(icsr.reactions)
        if r.outcome is ReactionOutcome.FATAL
        and SeriousnessCriterion.DEATH not in r.seriousness.criteria
    ]
    return _item(
        "consistency.fatal",
        "Fatal outcome and death criterion agree",
        Severity.BLOCKING,
        problems,
        ok="every fatal outcome carries the death criterion",
    )


def _deadline(context: QualityContext) -> CheckItem:
    title = "Submission deadlines"
    clocks = [
        (
            s,
            submission_status(
                s.due_date,
                context.now,
                s.accepted_at if s.status == SubmissionStatus.ACCEPTED else None,
                context.at_risk_days,
                tz=context.tz,
            ),
        )
        for s in context.submissions
        if SubmissionStatus(s.status) not in INACTIVE
    ]
    if not clocks:
        return _item(
            "deadline",
            title,
            Severity.BLOCKING,
            ok="no submission planned for this case",
            applicable=False,
        )
    overdue = [
        (
            f"submissions.{s.destination_id}",
            f"{s.kind} submission to {s.destination_id} was due {s.due_date} and is "
            "overdue: document the reason for the delay",
        )
        for s, state in clocks
        if state is DeadlineState.OVERDUE
    ]
    if overdue:
        return _item("deadline", title, Severity.BLOCKING, overdue, ok="")
    attention = [
        (
            f"submissions.{s.destination_id}",
            f"{s.kind} submission to {s.destination_id} is due {s.due_date}"
            if state is DeadlineState.AT_RISK
            else f"{s.kind} submission to {s.destination_id} was accepted after its due "
            f"date {s.due_date}",
        )
        for s, state in clocks
        if state in (DeadlineState.AT_RISK, DeadlineState.MET_LATE)
    ]
    return _item(
        "deadline", title, Severity.WARNING, attention, ok="every submission is within its deadline"
    )
