"""Destinations: the regulators (and partners) a case may have to reach, as plain data.

A ``Destination`` says who receives (N.1.4 batch receiver, N.2.r.3 message receiver) and
who sends (N.1.3, N.2.r.2), in which format (E2B(R3) or E2B(R2)) and business-rule profile
(``ich``, ``ema``, ``fda``: the profiles of ``schemas.e2b_rules``), through which transport
(an outbox/inbox folder handed to an AS2 product, or HTTP POST), which cases go there
(``DestinationCriteria``) and by when (``deadline_rules``, calendar days from Day 0, see
``gateway.domain.deadlines``).

``destinations_from_config`` builds them from plain rows (a TOML file read by
``gateway.destinations.load_destinations``); every problem is a ``ValueError`` naming the
destination and the field, so a wrong file is refused at start with a message that says
what to fix.

Which cases a destination takes is decided in two steps (``schedule.plan_submissions``):
the criteria filter (country, EEA, seriousness, expectedness, own product, report type),
then the deadline rules: the shortest applicable rule gives the due date; when none
applies, ``non_expedited_days`` is the fallback (``None``: the case is not sent there).
EudraVigilance is configured with no fallback, so a non-serious non-EEA case matches no
rule and is not sent (GVP VI.C.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from gateway.domain.codes import ReportType
from gateway.domain.deadlines import DEFAULT_RULES, DeadlineRule, is_eea, rules_from_config
from gateway.errors import ConfigurationError

__all__ = [
    "REPORT_TYPE_NAMES",
    "Destination",
    "DestinationCriteria",
    "DestinationMode",
    "E2BFormat",
    "FolderTransport",
    "HttpTransport",
    "TransportConfig",
    "TransportKind",
    "destinations_from_config",
]


class E2BFormat(StrEnum):
    """The E2B format a destination receives (and acknowledges in)."""

    R3 = "R3"  # ICH E2B(R3), HL7 MCCI_IN200100UV01
    R2 = "R2"  # ICH E2B(R2), ichicsr 2.1 (DTD)


class DestinationMode(StrEnum):
    """``test`` sends HL7 processingCode T (and, for EudraVigilance, goes to EVTEST);
    ``production`` sends P."""

    TEST = "test"
    PRODUCTION = "production"


class TransportKind(StrEnum):
    FOLDER = "folder"
    HTTP = "http"


#: configuration names of C.1.3 report types (``criteria.report_types``)
REPORT_TYPE_NAMES: Mapping[str, ReportType] = MappingProxyType(
    {
        "spontaneous": ReportType.SPONTANEOUS,
        "study": ReportType.STUDY,
        "other": ReportType.OTHER,
        "not_available": ReportType.NOT_AVAILABLE_TO_SENDER,
    }
)

_PROFILES = frozenset({"ich", "ema", "fda"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderTransport:
    """Hand-off through folders, the usual interface of an AS2 product.

    The gateway writes E2B files to ``outbox_dir`` (temp name, then rename) and reads ACKs
    (and transport receipts) from ``inbox_dir``. ``receipt_timeout_s``: how long a
    transport receipt (AS2 MDN) may take; it is tracked apart from the business ACK.
    """

    outbox_dir: Path
    inbox_dir: Path
    receipt_timeout_s: float = 3600.0

    @property
    def kind(self) -> TransportKind:
        return TransportKind.FOLDER


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpTransport:
    """HTTP POST of each E2B file to ``url``; the 2xx answer is the transport receipt.

    ``auth`` names a credential held outside this file (never the secret itself);
    ``headers`` are sent as given. ``timeout_s`` bounds one request.
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    auth: str | None = None
    receipt_timeout_s: float = 300.0
    timeout_s: float = 30.0

    @property
    def kind(self) -> TransportKind:
        return TransportKind.HTTP


TransportConfig = FolderTransport | HttpTransport


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationCriteria:
    """Which cases a destination takes. Every empty set / ``None`` means "any".

    * ``occurrence_countries`` / ``reporter_countries``: the occurrence (reporter) country
      must be one of them; ``countries``: either one must be; ``exclude_countries``:
      neither may be.
    * ``eea``: the occurrence country must (True) or must not (False) be in the EEA; an
      unknown occurrence country is judged by the reporter's country.
    * ``serious``, ``unexpected``: required True or False.
    * ``own_product_only``: only cases whose suspect product is ours.
    * ``report_types``: C.1.3 types taken (by name: spontaneous, study, other,
      not_available). A case with no C.1.3 is judged by its study flag.
    """

    occurrence_countries: frozenset[str] = frozenset()
    reporter_countries: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    exclude_countries: frozenset[str] = frozenset()
    eea: bool | None = None
    serious: bool | None = None
    unexpected: bool | None = None
    own_product_only: bool = False
    report_types: frozenset[ReportType] = frozenset()

    def matches(
        self,
        *,
        occurrence_country: str | None,
        reporter_country: str | None,
        serious: bool,
        unexpected: bool,
        own_product: bool,
        report_type: ReportType | None,
        study: bool,
    ) -> bool:
        occurrence = _code(occurrence_country)
        reporter = _code(reporter_country)
        if self.occurrence_countries and occurrence not in self.occurrence_countries:
            return False
        if self.reporter_countries and reporter not in self.reporter_countries:
            return False
        if self.countries and occurrence not in self.countries and reporter not in self.countries:
            return False
        if self.exclude_countries and (
            occurrence in self.exclude_countries or reporter in self.exclude_countries
        ):
            return False
        if self.eea is not None:
            in_eea = is_eea(occurrence) if occurrence is not None else is_eea(reporter)
            if bool(in_eea) is not self.eea:
                return False
        if self.serious is not None and serious is not self.serious:
            return False
        if self.unexpected is not None and unexpected is not self.unexpected:
            return False
        if self.own_product_only and not own_product:
            return False
        return not self.report_types or _report_type_taken(self.report_types, report_type, study)


def _report_type_taken(
    taken: frozenset[ReportType], report_type: ReportType | None, study: bool
) -> bool:
    if report_type is not None:
        return report_type in taken
    # No C.1.3 yet: a study case needs "study" listed; any other case any non-study type.
    if study:
        return ReportType.STUDY in taken
    return bool(taken - {ReportType.STUDY})


def _code(country: str | None) -> str | None:
    if country is None or not country.strip():
        return None
    return country.strip().upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """One regulator (or partner) the gateway submits to."""

    id: str
    name: str
    format: E2BFormat
    profile: str  # "ich" | "ema" | "fda": business rules the receiver applies
    batch_receiver: str  # N.1.4 (R2: M.1.6)
    message_receiver: str  # N.2.r.3
    batch_sender: str  # N.1.3 (R2: M.1.5)
    message_sender: str  # N.2.r.2
    transport: TransportConfig
    criteria: DestinationCriteria = field(default_factory=DestinationCriteria)
    deadline_rules: tuple[DeadlineRule, ...] = ()
    #: calendar days when no rule applies; None = not sent unless a rule applies
    non_expedited_days: int | None = None
    mode: DestinationMode = DestinationMode.TEST
    max_batch_size: int = 100  # ICSRs per batch (N.2.r repetitions)
    ack_timeout_business_days: int = 2  # EudraVigilance: ACK within 2 business days
    enabled: bool = True

    @property
    def processing_code(self) -> str:
        """HL7 processingCode of the messages: ``P`` production, ``T`` test."""
        return "P" if self.mode is DestinationMode.PRODUCTION else "T"

    @property
    def is_test(self) -> bool:
        return self.mode is DestinationMode.TEST


# -- building from configuration rows ------------------------------------------------------

_TOP_KEYS = frozenset(
    {
        "id",
        "name",
        "format",
        "profile",
        "batch_receiver",
        "message_receiver",
        "batch_sender",
        "message_sender",
        "transport",
        "criteria",
        "deadline_rules",
        "non_expedited_days",
        "mode",
        "max_batch_size",
        "ack_timeout_business_days",
        "enabled",
    }
)
_FOLDER_KEYS = frozenset({"kind", "outbox_dir", "inbox_dir", "receipt_timeout_s"})
_HTTP_KEYS = frozenset({"kind", "url", "headers", "auth", "receipt_timeout_s", "timeout_s"})
_CRITERIA_KEYS = frozenset(
    {
        "occurrence_countries",
        "reporter_countries",
        "countries",
        "exclude_countries",
        "eea",
        "serious",
        "unexpected",
        "own_product_only",
        "report_types",
    }
)
_DEFAULT_RULES_BY_ID = {rule.id: rule for rule in DEFAULT_RULES}


class _Row:
    """Typed reads of one destination row; every error names the destination and field."""

    def __init__(self, label: str, data: Mapping[str, object], prefix: str = "") -> None:
        self.label = label
        self.data = data
        self.prefix = prefix

    def fail(self, key: str, problem: str) -> ValueError:
        return ValueError(f"destination {self.label}: {self.prefix}{key}: {problem}")

    def refuse_unknown(self, known: frozenset[str]) -> None:
        unknown = sorted(set(self.data) - known)
        if unknown:
            raise self.fail(unknown[0], f"unknown field (known: {', '.join(sorted(known))})")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be non-empty text, got {value!r}")
        return value.strip()

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if self.data.get(key) is not None else None

    def choice(self, key: str, allowed: Iterable[str], default: str | None = None) -> str:
        value = self.text(key, default)
        options = sorted(allowed)
        normalised = {o.lower(): o for o in options}.get(value.lower())
        if normalised is None:
            raise self.fail(key, f"must be one of {', '.join(options)}, got {value!r}")
        return normalised

    def integer(self, key: str, default: int | None, *, minimum: int) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, got {value!r}")
        if value < minimum:
            raise self.fail(key, f"must be >= {minimum}, got {value}")
        return value

    def required_integer(self, key: str, default: int, *, minimum: int) -> int:
        value = self.integer(key, default, minimum=minimum)
        assert value is not None  # a default is given
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(key, f"must be a positive number of seconds, got {value!r}")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def optional_flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, f"must be true or false (or left out), got {value!r}")
        return value

    def path(self, key: str) -> Path:
        return Path(self.text(key))

    def table(self, key: str) -> Mapping[str, object]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise self.fail(key, f"must be a table, got {value!r}")
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, ())
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise self.fail(key, f"must be a list of text, got {value!r}")
        items: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise self.fail(key, f"must be a list of text, found {item!r}")
            items.append(item.strip())
        return tuple(items)

    def countries(self, key: str) -> frozenset[str]:
        codes = self.text_list(key)
        for code in codes:
            if len(code) != 2 or not code.isalpha():
                raise self.fail(key, f"{code!r} is not an ISO 3166-1 alpha-2 country code")
        return frozenset(code.upper() for code in codes)


def _transport(row: _Row) -> TransportConfig:
    data = row.table("transport")
    if not data:
        raise row.fail("transport", "is required (kind = folder or http)")
    sub = _Row(row.label, data, prefix="transport.")
    kind = sub.choice("kind", {k.value for k in TransportKind})
    if kind == TransportKind.FOLDER:
        sub.refuse_unknown(_FOLDER_KEYS)
        outbox, inbox = sub.path("outbox_dir"), sub.path("inbox_dir")
        if outbox == inbox:
            raise sub.fail("inbox_dir", "must differ from outbox_dir (ACKs would be resent)")
        return FolderTransport(
            outbox_dir=outbox,
            inbox_dir=inbox,
            receipt_timeout_s=sub.seconds("receipt_timeout_s", 3600.0),
        )
    sub.refuse_unknown(_HTTP_KEYS)
    url = sub.text("url")
    if not url.lower().startswith(("http://", "https://")):
        raise sub.fail("url", f"must start with http:// or https://, got {url!r}")
    headers = sub.table("headers")
    for name, value in headers.items():
        if not isinstance(value, str):
            raise sub.fail(f"headers.{name}", f"must be text, got {value!r}")
    return HttpTransport(
        url=url,
        headers=MappingProxyType({k: str(v) for k, v in headers.items()}),
        auth=sub.optional_text("auth"),
        receipt_timeout_s=sub.seconds("receipt_timeout_s", 300.0),
        timeout_s=sub.seconds("timeout_s", 30.0),
    )


def _criteria(row: _Row) -> DestinationCriteria:
    sub = _Row(row.label, row.table("criteria"), prefix="criteria.")
    sub.refuse_unknown(_CRITERIA_KEYS)
    report_types: set[ReportType] = set()
    for name in sub.text_list("report_types"):
        found = REPORT_TYPE_NAMES.get(name.lower())
        if found is None:
            raise sub.fail(
                "report_types",
                f"{name!r} is not one of {', '.join(sorted(REPORT_TYPE_NAMES))}",
            )
        report_types.add(found)
    return DestinationCriteria(
        occurrence_countries=sub.countries("occurrence_countries"),
        reporter_countries=sub.countries("reporter_countries"),
        countries=sub.countries("countries"),
        exclude_countries=sub.countries("exclude_countries"),
        eea=sub.optional_flag("eea"),
        serious=sub.optional_flag("serious"),
        unexpected=sub.optional_flag("unexpected"),
        own_product_only=sub.flag("own_product_only", False),
        report_types=frozenset(report_types),
    )


def _deadline_rules(row: _Row) -> tuple[DeadlineRule, ...]:
    value = row.data.get("deadline_rules", ())
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise row.fail("deadline_rules", f"must be a list, got {value!r}")
    rules: list[DeadlineRule] = []
    for index, item in enumerate(value):
        where = f"deadline_rules[{index}]"
        if isinstance(item, str):
            # A bare id names a rule of the built-in table (gateway.domain.deadlines).
            rule = _DEFAULT_RULES_BY_ID.get(item)
            if rule is None:
                known = ", ".join(sorted(_DEFAULT_RULES_BY_ID))
                raise row.fail(where, f"{item!r} is not a built-in rule id ({known})")
            rules.append(rule)
            continue
        if not isinstance(item, Mapping):
            raise row.fail(where, f"must be a rule table or a built-in rule id, got {item!r}")
        try:
            rules.extend(rules_from_config([item]))
        except (ConfigurationError, ValueError) as exc:
            problem = exc.problem if isinstance(exc, ConfigurationError) else str(exc)
            raise row.fail(where, problem) from None
    ids = [r.id for r in rules]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise row.fail("deadline_rules", f"rule id {duplicated[0]!r} is listed twice")
    return tuple(rules)


def _destination(data: Mapping[str, object], position: int) -> Destination:
    raw_id = data.get("id")
    label = repr(raw_id) if isinstance(raw_id, str) and raw_id.strip() else f"#{position + 1}"
    row = _Row(label, data)
    row.refuse_unknown(_TOP_KEYS)
    destination_id = row.text("id")
    non_expedited = row.integer("non_expedited_days", None, minimum=1)
    rules = _deadline_rules(row)
    if not rules and non_expedited is None:
        raise row.fail(
            "deadline_rules", "no rule and no non_expedited_days: nothing could be sent there"
        )
    return Destination(
        id=destination_id,
        name=row.text("name", destination_id),
        format=E2BFormat(row.choice("format", {f.value for f in E2BFormat})),
        profile=row.choice("profile", _PROFILES),
        batch_receiver=row.text("batch_receiver"),
        message_receiver=row.text("message_receiver", row.text("batch_receiver")),
        batch_sender=row.text("batch_sender"),
        message_sender=row.text("message_sender", row.text("batch_sender")),
        transport=_transport(row),
        criteria=_criteria(row),
        deadline_rules=rules,
        non_expedited_days=non_expedited,
        mode=DestinationMode(
            row.choice("mode", {m.value for m in DestinationMode}, DestinationMode.TEST.value)
        ),
        max_batch_size=row.required_integer("max_batch_size", 100, minimum=1),
        ack_timeout_business_days=row.required_integer("ack_timeout_business_days", 2, minimum=1),
        enabled=row.flag("enabled", True),
    )


def destinations_from_config(rows: Iterable[Mapping[str, object]]) -> tuple[Destination, ...]:
    """Build destinations from plain rows (one mapping per destination).

    Raises ``ValueError`` naming the destination (its id, else its position) and the field;
    destination ids must be unique.
    """
    built: list[Destination] = []
    seen: set[str] = set()
    for position, row in enumerate(rows):
        if not isinstance(row, Mapping):
            # A configuration error, not a programming one: callers catch ValueError.
            raise ValueError(f"destination #{position + 1}: must be a table, got {row!r}")  # noqa: TRY004
        destination = _destination(row, position)
        if destination.id in seen:
            raise ValueError(f"destination {destination.id!r}: id: is used twice")
        seen.add(destination.id)
        built.append(destination)
    return tuple(built)
