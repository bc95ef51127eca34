"""The marks replies carry: message ids, addresses, plus tokens, buttons, subject prefixes."""

from __future__ import annotations

import pytest

from gateway.domain.threading import (
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


def test_message_ids_are_normalised_with_brackets_and_without_folding() -> None:
    assert normalise_message_id("\r\n <abc@host>") == "<abc@host>"
    assert normalise_message_id("abc@host") == "<abc@host>"
    with pytest.raises(ValueError, match="not a message id"):
        normalise_message_id("<>")


def test_references_header_is_split_in_order_without_repeats_or_comments() -> None:
    header = "<a@x>\r\n\t<b@y> <a@x> (Anna's message of 1 March)"
    assert parse_message_ids(header) == ("<a@x>", "<b@y>")
    assert parse_message_ids("bare@id") == ("<bare@id>",)
    assert parse_message_ids("  ") == ()


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Anna Keller <Anna.Keller@Gmail.com>", "anna.keller@gmail.com"),
        ("+44 7700 900-123", "+447700900123"),
        ("0044 (7700) 900123", "+447700900123"),
        ("WhatsApp:+34 699 111 222", "whatsapp:+34699111222"),
    ],
)
def test_addresses_are_normalised(raw: str, normal: str) -> None:
    assert normalise_address(raw) == normal


@pytest.mark.parametrize(
    ("address", "token"),
    [
        ("followup+k3v9q2@pv.example.com", "k3v9q2"),
        ("PV Team <followup+k3v9q2@pv.example.com>", "k3v9q2"),
        ("followup@pv.example.com", None),
        ("followup+@pv.example.com", None),
        ("not an address", None),
    ],
)
def test_plus_token_is_read_from_the_local_part(address: str, token: str | None) -> None:
    assert plus_token(address) == token


def test_button_payload_round_trips() -> None:
    payload = button_payload("tk42", "not_recovered")
    assert payload == "fu:tk42:not_recovered"
    assert parse_button_payload(payload) == ButtonAnswer(token="tk42", answer="not_recovered")


@pytest.mark.parametrize("payload", [None, "", "YES", "fu:tk", "xx:tk:yes", "fu:t k:yes"])
def test_foreign_button_payloads_are_not_ours(payload: str | None) -> None:
    assert parse_button_payload(payload) is None


def test_button_payload_refuses_separators_in_its_parts() -> None:
    with pytest.raises(ValueError, match="button token"):
        button_payload("a:b", "yes")


@pytest.mark.parametrize(
    ("subject", "markers"),
    [
        ("Re: Follow-up", ("reply",)),
        ("AW: WG: Follow-up", ("reply", "forward")),
        ("RV: Reacción", ("forward",)),
        ("[EXTERNAL] RE: Fwd: x", ("reply", "forward")),
        ("Re[2]: x", ("reply",)),
        ("Odp: x", ("reply",)),
        ("Enc: Carta", ("forward",)),
        ("Question: is this a prefix", ()),
        ("[ICSR-REF:AB] Re: x", ()),
        (None, ()),
    ],
)
def test_subject_prefix_chains_are_read_in_many_languages(
    subject: str | None, markers: tuple[str, ...]
) -> None:
    assert subject_markers(subject) == markers


def test_the_outermost_prefix_decides_reply_or_forward() -> None:
    assert is_reply_subject("Re: Fwd: x")
    assert not is_forward_subject("Re: Fwd: x")
    assert is_forward_subject("FW: Re: x")
    assert not is_reply_subject("FW: Re: x")
