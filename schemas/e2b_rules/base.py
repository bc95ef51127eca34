"""Shared helpers of the rule modules: the finding sink and generic table-driven checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from gateway.domain.values import NullFlavor, PartialDate
from schemas.e2b_rules.countries import is_country
from schemas.e2b_rules.findings import Finding, Severity
from schemas.e2b_rules.tables import LENGTHS, NULL_FLAVORS

__all__ = ["Sink", "Where", "date_start", "is_future", "known"]

#: Where an element is: a fixed XPath, or a function of the element id.
Where = Callable[[str], str] | str


def _at(where: Where, element: str) -> str:
    return where if isinstance(where, str) else where(element)


def date_start(value: PartialDate) -> date:
    """The first calendar day a partial date may denote, in the sender's own calendar."""
    return date(value.year, value.month or 1, value.day or 1)


def is_future(value: PartialDate, today: date) -> bool:
    """True when the whole date lies after ``today`` (the sender's local calendar day is
    compared, so a UTC offset never turns today into tomorrow)."""
    return date_start(value) > today


def known(value: object) -> bool:
    """A value that identifies: present and not a "we do not know" nullFlavor (MSK counts:
    the value is known to the sender, only masked)."""
    if value is None:
        return False
    if isinstance(value, NullFlavor):
        return value is NullFlavor.MSK
    return not (isinstance(value, str) and not value.strip())


class Sink:
    """Collects the findings of one ICSR (``message_id``) or of the batch header (None)."""

    __slots__ = ("items", "message_id", "today")

    def __init__(self, message_id: str | None, today: date) -> None:
        self.message_id = message_id
        self.today = today
        self.items: list[Finding] = []

    def add(self, rule_id: str, element: str, xpath: str, severity: Severity, message: str) -> None:
        self.items.append(
            Finding(
                rule_id=rule_id,
                element_id=element,
                xpath=xpath,
                severity=severity,
                message=message,
                message_id=self.message_id,
            )
        )

    def reject(self, rule_id: str, element: str, xpath: str, message: str) -> None:
        self.add(rule_id, element, xpath, Severity.REJECT, message)

    def warn(self, rule_id: str, element: str, xpath: str, message: str) -> None:
        self.add(rule_id, element, xpath, Severity.WARN, message)

    def required(self, element: str, xpath: str, value: object, what: str = "") -> bool:
        """``ICH.<element>.required`` when ``value`` is None; True when present."""
        if value is None:
            self.reject(
                f"ICH.{element}.required",
                element,
                xpath,
                f"data value required for {element}{f' ({what})' if what else ''}",
            )
            return False
        return True

    def lengths(self, scope: str, record: Any, where: Where) -> None:
        """``ICH.<element>.length`` for every text of ``record`` over the CSV's MAX LENGTH."""
        for element, attr, limit in LENGTHS[scope]:
            value = getattr(record, attr, None)
            if isinstance(value, str) and len(value) > limit:
                self.reject(
                    f"ICH.{element}.length",
                    element,
                    _at(where, element),
                    f"maximum length exceeded for {element}: {len(value)} > {limit} characters",
                )

    def null_flavors(self, scope: str, record: Any, where: Where) -> None:
        """``ICH.<element>.nullflavor`` for a nullFlavor the element does not allow."""
        for element, attr, allowed in NULL_FLAVORS[scope]:
            value = getattr(record, attr, None)
            if isinstance(value, NullFlavor) and value not in allowed:
                names = ", ".join(sorted(n.value for n in allowed))
                self.reject(
                    f"ICH.{element}.nullflavor",
                    element,
                    _at(where, element),
                    f"{element} nullFlavor {value.value} is not allowed (allowed: {names})",
                )

    def future(self, element: str, xpath: str, value: object) -> None:
        """``ICH.<element>.future``: dates cannot refer to a future date."""
        if isinstance(value, PartialDate) and is_future(value, self.today):
            self.reject(
                f"ICH.{element}.future",
                element,
                xpath,
                f"{element} contains a future date ({value.format()} > {self.today.isoformat()})",
            )

    def country(self, element: str, xpath: str, value: object) -> None:
        """``ICH.<element>.value``: ISO 3166-1 alpha-2 (or EU)."""
        if isinstance(value, str) and not is_country(value):
            self.reject(
                f"ICH.{element}.value",
                element,
                xpath,
                f"{element} contains invalid value {value!r} (ISO 3166-1 alpha-2 or EU)",
            )

    def end_after_start(
        self, element: str, start_element: str, xpath: str, start: object, end: object
    ) -> None:
        """``ICH.<end element>.order``: an end date wholly before its start date."""
        if isinstance(start, PartialDate) and isinstance(end, PartialDate) and end < start:
            self.reject(
                f"ICH.{element}.order",
                element,
                xpath,
                f"{element} ({end.format()}) is before {start_element} ({start.format()})",
            )
