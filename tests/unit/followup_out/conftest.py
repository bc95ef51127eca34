"""Real local servers for the outbound transports: an SMTP relay and the Twilio API."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from channels.followup_out import FollowUpChannel, OutgoingMessage
from tests.support.smtp_relay import CapturingRelay
from tests.support.twilio_api import FakeTwilioApi

REPORTER_EMAIL = "dr.meyer@praxis-meyer.example"
REPORTER_PHONE = "+4915112345678"


@pytest.fixture
def relay() -> Iterator[CapturingRelay]:
    with CapturingRelay() as running:
        yield running


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi() as running:
        yield running


def _email_follow_up(**changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "request_id": "FU-2026-000123",
        "case_id": "CASE-2026-000042",
        "channel": FollowUpChannel.EMAIL,
        "recipient": REPORTER_EMAIL,
        "subject": "[ICSR CASE-2026-000042] Follow-up: start date of Amoxicillin",
        "body": "Dear reporter,\n\nwhen did the patient start taking Amoxicillin?\n",
        "language": "en",
        "message_id": "<fu.k3j9x2ab.t5y8a1@pharma.example>",
        "reply_to": "safety+q7w3e9r2t1@pharma.example",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def _phone_follow_up(channel: FollowUpChannel, **changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "request_id": "FU-2026-000124",
        "case_id": "CASE-2026-000043",
        "channel": channel,
        "recipient": REPORTER_PHONE,
        "body": "CASE-2026-000043: when did the rash start? Reply to this message.",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


@pytest.fixture
def email_follow_up() -> Callable[..., OutgoingMessage]:
    """Builds an e-mail follow-up; keyword arguments change fields."""
    return _email_follow_up


@pytest.fixture
def phone_follow_up() -> Callable[..., OutgoingMessage]:
    """Builds an SMS or WhatsApp follow-up: ``phone_follow_up(channel, **changes)``."""
    return _phone_follow_up
