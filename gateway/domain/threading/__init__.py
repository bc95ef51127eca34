"""Threading: which follow-up request an inbound email, SMS or WhatsApp message answers.

* ``model``: ``InboundFacts``, ``RequestRef``, the decisions ``Matched`` / ``NewReport`` /
  ``Ambiguous`` and the store port ``ThreadLookup``
* ``resolver``: ``resolve`` (the rules are in its module docstring)
* ``markers``: message ids, addresses, plus tokens, button payloads, subject prefixes
* ``memory``: ``InMemoryThreadLookup``, the reference lookup for tests and benchmarks
"""

from __future__ import annotations

from gateway.domain.followup.templates import find_subject_tag, subject_tag
from gateway.domain.threading.markers import (
    ButtonAnswer,
    button_payload,
    is_forward_subject,
    is_reply_subject,
    normalise_address,
    normalise_message_id,
    parse_button_payload,
    parse_message_ids,
    plus_token,
    subject_markers,
)
from gateway.domain.threading.memory import InMemoryThreadLookup, OutboundRequest
from gateway.domain.threading.model import (
    THREAD_CHANNELS,
    Ambiguous,
    InboundFacts,
    Matched,
    NewReport,
    RequestRef,
    ThreadDecision,
    ThreadLookup,
)
from gateway.domain.threading.resolver import resolve

__all__ = [
    "THREAD_CHANNELS",
    "Ambiguous",
    "ButtonAnswer",
    "InMemoryThreadLookup",
    "InboundFacts",
    "Matched",
    "NewReport",
    "OutboundRequest",
    "RequestRef",
    "ThreadDecision",
    "ThreadLookup",
    "button_payload",
    "find_subject_tag",
    "is_forward_subject",
    "is_reply_subject",
    "normalise_address",
    "normalise_message_id",
    "parse_button_payload",
    "parse_message_ids",
    "plus_token",
    "resolve",
    "subject_markers",
    "subject_tag",
]
