"""Ack, retry and dead-letter policy, in one place.

- success: the offset is committed after the store transaction.
- a non-retriable GatewayError (bad bytes, a broken domain rule): dead-lettered at once.
- the store or broker being unavailable: not the message's fault, so retried without limit
  (capped backoff) and never dead-lettered.
- anything else, retriable or unknown: retried with exponential backoff up to
  ``max_attempts``, then dead-lettered with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import BrokerUnavailableError, GatewayError, StoreUnavailableError


@dataclass(frozen=True, slots=True)
class Retry:
    delay_s: float


@dataclass(frozen=True, slots=True)
class DeadLetter:
    reason: str


Decision = Retry | DeadLetter


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_max_s, self.backoff_initial_s * (2 ** max(0, attempt - 1))))

    def decide(self, exc: BaseException, attempt: int) -> Decision:
        """What to do after ``attempt`` (1-based) failed with ``exc``."""
        if isinstance(exc, StoreUnavailableError | BrokerUnavailableError):
            return Retry(self.backoff(attempt))
        if isinstance(exc, GatewayError) and not exc.retriable:
            return DeadLetter(f"{exc.code}: {exc}")
        if attempt >= self.max_attempts:
            return DeadLetter(f"failed {attempt} times; last error {type(exc).__name__}: {exc}")
        return Retry(self.backoff(attempt))
