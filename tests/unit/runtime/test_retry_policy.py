"""The one place that decides: retry, retry later, or dead-letter."""

from __future__ import annotations

import pytest

from consumers.policy import DeadLetter, Retry, RetryPolicy
from gateway.errors import InvalidMessageError, StoreUnavailableError, UnknownSchemaError

POLICY = RetryPolicy(max_attempts=3, backoff_initial_s=0.5, backoff_max_s=2.0)


def test_unknown_errors_are_retried_with_growing_backoff_then_dead_lettered() -> None:
    exc = RuntimeError("boom")
    assert POLICY.decide(exc, 1) == Retry(0.5)
    assert POLICY.decide(exc, 2) == Retry(1.0)
    decision = POLICY.decide(exc, 3)
    assert isinstance(decision, DeadLetter)
    assert "failed 3 times" in decision.reason
    assert "RuntimeError: boom" in decision.reason


@pytest.mark.parametrize("exc", [UnknownSchemaError("fp 00"), InvalidMessageError("bad")])
def test_bad_messages_are_dead_lettered_at_once(exc: Exception) -> None:
    assert isinstance(POLICY.decide(exc, 1), DeadLetter)


def test_an_unavailable_store_is_never_the_messages_fault() -> None:
    decision = POLICY.decide(StoreUnavailableError("locked"), 50)
    assert decision == Retry(2.0)  # capped backoff, never dead-lettered
