"""Delivery state of outbound messages: monotonic under out-of-order status callbacks."""

from __future__ import annotations

import itertools

import pytest

from gateway.domain.followup.delivery import DeliveryState, apply_status, from_twilio

S = DeliveryState


def _fold(statuses: list[DeliveryState]) -> DeliveryState:
    state = S.QUEUED
    for status in statuses:
        state = apply_status(state, status)
    return state


def test_the_normal_sequence_ends_read() -> None:
    assert _fold([S.SENDING, S.SENT, S.DELIVERED, S.READ]) is S.READ


def test_a_late_sent_never_overwrites_delivered() -> None:
    assert apply_status(S.DELIVERED, S.SENT) is S.DELIVERED
    assert apply_status(S.READ, S.QUEUED) is S.READ


def test_every_arrival_order_of_the_same_callbacks_gives_the_same_state() -> None:
    callbacks = [S.SENDING, S.SENT, S.DELIVERED, S.READ]
    results = {_fold(list(order)) for order in itertools.permutations(callbacks)}
    assert results == {S.READ}


def test_a_failure_overrides_states_before_delivery() -> None:
    assert apply_status(S.SENT, S.UNDELIVERED) is S.UNDELIVERED
    assert apply_status(S.QUEUED, S.FAILED) is S.FAILED
    assert apply_status(S.SENT, S.BOUNCED) is S.BOUNCED


def test_a_failure_after_delivered_or_read_is_ignored() -> None:
    assert apply_status(S.DELIVERED, S.FAILED) is S.DELIVERED
    assert apply_status(S.READ, S.UNDELIVERED) is S.READ


def test_a_late_delivery_receipt_after_undelivered_wins() -> None:
    assert apply_status(S.UNDELIVERED, S.DELIVERED) is S.DELIVERED


def test_the_first_failure_stays() -> None:
    assert apply_status(S.UNDELIVERED, S.FAILED) is S.UNDELIVERED


def test_states_never_regress_for_any_pair() -> None:
    for current, incoming in itertools.product(S, S):
        assert apply_status(current, incoming).rank >= current.rank


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("queued", S.QUEUED),
        ("accepted", S.QUEUED),
        ("scheduled", S.QUEUED),
        ("sending", S.SENDING),
        ("sent", S.SENT),
        ("delivered", S.DELIVERED),
        ("read", S.READ),
        ("failed", S.FAILED),
        ("undelivered", S.UNDELIVERED),
        ("canceled", S.FAILED),
        ("partially_delivered", S.SENT),
        (" Delivered ", S.DELIVERED),
    ],
)
def test_twilio_statuses_map_to_delivery_states(status: str, state: DeliveryState) -> None:
    assert from_twilio(status) is state


@pytest.mark.parametrize("status", ["received", "receiving"])
def test_inbound_twilio_statuses_are_refused(status: str) -> None:
    with pytest.raises(ValueError, match="inbound"):
        from_twilio(status)


def test_unknown_twilio_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown Twilio message status 'lost'"):
        from_twilio("lost")


def test_state_properties_say_what_happened() -> None:
    assert S.DELIVERED.reached_reporter
    assert S.READ.reached_reporter
    assert S.BOUNCED.is_failure
    assert not S.SENT.is_failure
    assert S.READ.is_final
    assert not S.FAILED.is_final
