"""resolve: the order of evidence, conflicts, closed requests and the sender fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.domain.threading import (
    Ambiguous,
    InboundFacts,
    InMemoryThreadLookup,
    Matched,
    NewReport,
    OutboundRequest,
    RequestRef,
    resolve,
)

AT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
OURS = "followup@pv.example.com"


def _request(
    request_id: str,
    case_id: str,
    recipient: str,
    *,
    channel: str = "EMAIL",
    open_: bool = True,
    ids: tuple[str, ...] = (),
    token: str | None = None,
    tag: str | None = None,
    our_address: str | None = None,
) -> OutboundRequest:
    return OutboundRequest(
        ref=RequestRef(
            request_id=request_id,
            case_id=case_id,
            channel=channel,
            open=open_,
            sent_at=AT,
            recipient=recipient,
        ),
        recipient=recipient,
        our_address=our_address,
        message_ids=ids,
        token=token,
        subject_tag=tag,
    )


@pytest.fixture
def lookup() -> InMemoryThreadLookup:
    return InMemoryThreadLookup(
        [
            _request(
                "A",
                "C-A",
                "ann@example.com",
                ids=("<a1@pv>", "<a2@pv>"),
                token="tka",
                tag="[ICSR-REF:AAA]",
            ),
            _request(
                "B", "C-B", "ann@example.com", ids=("<b1@pv>",), token="tkb", tag="[ICSR-REF:BBB]"
            ),
            _request("OLD", "C-OLD", "bob@example.com", open_=False, ids=("<o1@pv>",)),
            _request(
                "S", "C-S", "+15550001", channel="SMS", ids=("SMs1",), our_address="+15559999"
            ),
            _request(
                "W",
                "C-W",
                "whatsapp:+15550002",
                channel="WHATSAPP",
                ids=("SMw1",),
                token="tkw",
                our_address="whatsapp:+15559998",
            ),
            _request(
                "W2",
                "C-W2",
                "whatsapp:+15550002",
                channel="WHATSAPP",
                ids=("SMw2",),
                token="tkw2",
                our_address="whatsapp:+15559998",
            ),
        ]
    )


def _email(**fields: Any) -> InboundFacts:
    values: dict[str, Any] = {
        "channel": "EMAIL",
        "from_address": "ann@example.com",
        "to_addresses": (OURS,),
        "received_at": AT,
    }
    values.update(fields)
    return InboundFacts(**values)


def test_references_are_read_right_to_left(lookup: InMemoryThreadLookup) -> None:
    decision = resolve(_email(references=("<a1@pv>", "<b1@pv>", "<x@gmail>")), lookup)
    assert isinstance(decision, Matched)
    assert decision.request.request_id == "B"
    assert decision.via == "references"


def test_in_reply_to_is_used_when_references_name_nothing_of_ours(
    lookup: InMemoryThreadLookup,
) -> None:
    decision = resolve(_email(references=("<x@gmail>",), in_reply_to="<a2@pv>"), lookup)
    assert isinstance(decision, Matched)
    assert (decision.request.request_id, decision.via) == ("A", "in-reply-to")


def test_plus_token_then_subject_tag_are_used_without_headers(
    lookup: InMemoryThreadLookup,
) -> None:
    by_token = resolve(_email(to_addresses=("PV <followup+TKB@pv.example.com>",)), lookup)
    by_tag = resolve(_email(subject="Re: hello [ICSR-REF:AAA]"), lookup)
    assert isinstance(by_token, Matched)
    assert by_token.via == "plus-token"
    assert by_token.request.request_id == "B"
    assert isinstance(by_tag, Matched)
    assert by_tag.via == "subject-tag"
    assert by_tag.request.request_id == "A"


def test_marks_naming_different_cases_go_to_triage(lookup: InMemoryThreadLookup) -> None:
    decision = resolve(_email(in_reply_to="<a1@pv>", subject="Re: [ICSR-REF:BBB]"), lookup)
    assert isinstance(decision, Ambiguous)
    assert {c.request_id for c in decision.candidates} == {"A", "B"}


def test_a_reply_to_a_closed_request_still_threads_to_its_case(
    lookup: InMemoryThreadLookup,
) -> None:
    decision = resolve(_email(from_address="bob@example.com", in_reply_to="<o1@pv>"), lookup)
    assert isinstance(decision, Matched)
    assert decision.request.case_id == "C-OLD"
    assert decision.request.open is False


def test_known_reporter_without_open_request_or_reference_is_a_new_report(
    lookup: InMemoryThreadLookup,
) -> None:
    decision = resolve(_email(from_address="bob@example.com", subject="Re: hello"), lookup)
    assert isinstance(decision, NewReport)


def test_two_open_requests_and_no_reference_go_to_triage(lookup: InMemoryThreadLookup) -> None:
    decision = resolve(_email(subject="Re: Follow-up"), lookup)
    assert isinstance(decision, Ambiguous)
    assert len(decision.candidates) == 2


def test_a_third_party_answer_is_flagged(lookup: InMemoryThreadLookup) -> None:
    decision = resolve(
        _email(from_address="Dr X <doc@clinic.example>", in_reply_to="<a1@pv>"), lookup
    )
    assert isinstance(decision, Matched)
    assert decision.third_party


def test_a_forward_without_marks_never_uses_the_sender_fallback() -> None:
    lookup = InMemoryThreadLookup([_request("A", "C-A", "ann@example.com")])
    forward = resolve(_email(subject="Fwd: my lab results"), lookup)
    reply = resolve(_email(subject="Re: Follow-up"), lookup)
    fresh = resolve(_email(subject="New problem"), lookup)
    assert isinstance(forward, Ambiguous)
    assert isinstance(reply, Matched)
    assert reply.via == "sender-open-request"
    assert isinstance(fresh, Ambiguous)


def _sms(sender: str, to: str) -> InboundFacts:
    return InboundFacts(channel="SMS", from_address=sender, to_addresses=(to,), received_at=AT)


def test_sms_threads_on_sender_and_our_number(lookup: InMemoryThreadLookup) -> None:
    matched = resolve(_sms("+15550001", "+15559999"), lookup)
    other_number = resolve(_sms("+15550001", "+15557777"), lookup)
    assert isinstance(matched, Matched)
    assert matched.via == "sms-open-request"
    assert isinstance(other_number, NewReport)


def _whatsapp(**fields: Any) -> InboundFacts:
    values: dict[str, Any] = {
        "channel": "WHATSAPP",
        "from_address": "whatsapp:+15550002",
        "to_addresses": ("whatsapp:+15559998",),
        "received_at": AT,
    }
    values.update(fields)
    return InboundFacts(**values)


def test_whatsapp_reply_reference_and_button_pick_the_request(
    lookup: InMemoryThreadLookup,
) -> None:
    replied = resolve(_whatsapp(replied_message_ref="SMw2"), lookup)
    button = resolve(_whatsapp(button_payload="fu:tkw:recovered"), lookup)
    plain = resolve(_whatsapp(), lookup)
    assert isinstance(replied, Matched)
    assert replied.request.request_id == "W2"
    assert replied.via == "whatsapp-reply"
    assert isinstance(button, Matched)
    assert button.request.request_id == "W"
    assert button.via == "button"
    assert isinstance(plain, Ambiguous)


def test_resolution_asks_the_lookup_for_all_header_ids_at_once(
    lookup: InMemoryThreadLookup,
) -> None:
    resolve(_email(references=("<x@y>", "<a1@pv>"), in_reply_to="<z@y>"), lookup)
    id_calls = [args for name, args in lookup.calls if name == "message_ids"]
    assert id_calls == [("<a1@pv>", "<x@y>", "<z@y>")]


def test_inbound_facts_refuse_unknown_channels_and_naive_times() -> None:
    with pytest.raises(ValueError, match="channel"):
        InboundFacts(channel="FAX", from_address="x", received_at=AT)
    with pytest.raises(ValueError, match="timezone-aware"):
        InboundFacts(channel="SMS", from_address="x", received_at=datetime(2024, 1, 1))
