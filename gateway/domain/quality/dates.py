"""Date plausibility: no date in the future, dates in a possible order, onset after the
suspect drug was started.

Dates are compared by their spans (``PartialDate.compare``): "2024" is not after
"2024-03-05"; only a date wholly after another counts as after it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from gateway.domain.icsr import ICSR
from gateway.domain.partial_date import DatePrecision
from gateway.domain.quality.items import CheckItem, Severity, check_item
from gateway.domain.quality.labels import drug_label, given_date, reaction_label
from gateway.domain.values import PartialDate


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
        if (birth := given_date(p.birth_date)) is not None:
            yield "patient.birth_date", "D.2.1 date of birth", birth
        if p.death is not None and (died := given_date(p.death.date)) is not None:
            yield "patient.death.date", "D.9.1 date of death", died
    for i, r in enumerate(icsr.reactions):
        for name, element in (("start", "E.i.4 onset"), ("end", "E.i.5 end")):
            if (value := given_date(getattr(r, name))) is not None:
                label = f"{element} of {reaction_label(icsr, r.id)!r}"
                yield f"reactions[{i}].{name}", label, value
    for i, d in enumerate(icsr.drugs):
        for j, dosage in enumerate(d.dosages):
            for name, element in (("start", "G.k.4.r.4 start"), ("end", "G.k.4.r.5 end")):
                if (value := given_date(getattr(dosage, name))) is not None:
                    yield (
                        f"drugs[{i}].dosages[{j}].{name}",
                        f"{element} of {drug_label(icsr, d.id)!r}",
                        value,
                    )
    for i, t in enumerate(icsr.tests):
        if (value := given_date(t.date)) is not None:
            yield f"tests[{i}].date", "F.r.1 test date", value


def _after(a: PartialDate, b: PartialDate) -> bool:
    """``a`` lies wholly before ``b``: only then is ``b`` certainly later."""
    return a.compare(b) == -1


def date_checks(icsr: ICSR, now: datetime) -> list[CheckItem]:
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
        label = reaction_label(icsr, r.id)
        before(
            f"reactions[{i}].end",
            given_date(r.start),
            given_date(r.end),
            f"{label!r} ends before it starts",
        )
        if icsr.patient is not None:
            before(
                f"reactions[{i}].start",
                given_date(icsr.patient.birth_date),
                given_date(r.start),
                f"{label!r} starts before the patient's birth",
            )
    for i, d in enumerate(icsr.drugs):
        for j, dosage in enumerate(d.dosages):
            before(
                f"drugs[{i}].dosages[{j}].end",
                given_date(dosage.start),
                given_date(dosage.end),
                f"{drug_label(icsr, d.id)!r} administration ends before it starts",
            )
    onset: list[tuple[str, str]] = []
    for d in icsr.suspect_drugs():
        starts = [s for x in d.dosages if (s := given_date(x.start)) is not None]
        if not starts:
            continue
        first = min(starts, key=PartialDate.sort_key)
        for i, r in enumerate(icsr.reactions):
            start = given_date(r.start)
            if start is not None and _after(start, first):
                onset.append(
                    (
                        f"reactions[{i}].start",
                        f"{reaction_label(icsr, r.id)!r} began ({start}) before "
                        f"{drug_label(icsr, d.id)!r} was first given ({first})",
                    )
                )
    return [
        check_item(
            "dates.not_future",
            "No date in the future",
            Severity.BLOCKING,
            future,
            ok="no date lies after today",
        ),
        check_item(
            "dates.order",
            "Dates in a possible order",
            Severity.BLOCKING,
            order,
            ok="end dates follow start dates; C.1.5 follows C.1.4; onset follows birth",
        ),
        check_item(
            "dates.onset_after_drug",
            "Onset after the suspect drug was started",
            Severity.WARNING,
            onset,
            ok="no event began before its suspect drug (where both dates are known)",
        ),
    ]
