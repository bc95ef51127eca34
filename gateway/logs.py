"""structlog configuration and the redaction processor that keeps identifiers out of logs.

Patient and reporter identifiers must never reach a log line. Two layers make sure:
keys that name personal data are replaced wholesale, and any string value is scrubbed of
e-mail addresses and phone numbers (reporters' contact details travel in free text too).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

REDACTED = "[redacted]"

#: keys whose values are personal data, whatever their content
SENSITIVE_KEYS = frozenset(
    {
        "address",
        "body",
        "body_text",
        "birth_date",
        "date_of_birth",
        "dob",
        "email",
        "family_name",
        "from",
        "from_address",
        "given_name",
        "initials",
        "name",
        "narrative",
        "patient",
        "patient_name",
        "payload",
        "phone",
        "profile_name",
        "recipient",
        "reporter",
        "reporter_name",
        "sender_address",
        "subject",
        "telephone",
        "text",
        "to",
        "to_address",
        "verbatim",
        "wa_id",
    }
)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+")
# Dots are left out on purpose: "127.0.0.1:9092" is an address, not a phone number.
_PHONE = re.compile(r"(?<![\w.])(?:whatsapp:)?\+?\d[\d ()-]{6,}\d(?![\w.])")


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    # International numbers (+…) have 8+ digits; without a +, ask for 9 so that short
    # references such as batch numbers ("2024-0001") stay readable.
    is_phone = digits >= (8 if text.removeprefix("whatsapp:").startswith("+") else 9)
    return REDACTED if is_phone else text


def scrub(text: str) -> str:
    """Replace e-mail addresses and phone numbers in free text."""
    return _PHONE.sub(_phone, _EMAIL.sub(REDACTED, text))


def _redact_value(key: str, value: Any) -> Any:
    if key.lower() in SENSITIVE_KEYS:
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, v) for v in value]
    return value


def redact_identifiers(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: no patient or reporter identifiers in any log line."""
    for key in list(event_dict):
        if key in {"timestamp", "level", "logger"}:
            continue
        event_dict[key] = _redact_value(key, event_dict[key])
    return event_dict


def configure_logging(level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog once, in the entry point. JSON unless writing to a terminal."""
    out = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_identifiers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
