"""Delivery state of an outbound follow-up message, kept monotonic: ``apply_status``.

Twilio posts a status callback for each change (queued, sending, sent, delivered,
undelivered, failed, read); the callbacks are separate HTTP requests and Twilio does not
guarantee they arrive in order. SMTP gives us sent, and a bounce (DSN) may follow.
The stored state therefore only moves *forward* along this ranking::

    queued < sending < sent < failed = undelivered = bounced < delivered < read

Decisions, from Twilio's status definitions:

* ``failed`` (Twilio could not send it), ``undelivered`` (the carrier or WhatsApp
  reported non-delivery) and ``bounced`` (email DSN) are terminal failures: they override
  queued/sending/sent, and the first failure stays (a second one adds nothing).
* ``delivered`` (a carrier delivery receipt) and ``read`` (WhatsApp read receipt) are
  positive evidence the reporter got the message. They override a failure (a late
  delivery receipt after an ``undelivered`` is the later truth), and a failure reported
  after them is ignored: the message reached the reporter, so it must not be re-sent on
  another channel as if it had not.
* a late ``sent`` never overwrites ``delivered`` or ``read``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DeliveryState", "apply_status", "from_twilio"]


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    BOUNCED = "bounced"  # email: a delivery status notification said it failed

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def is_failure(self) -> bool:
        return self in _FAILURES

    @property
    def reached_reporter(self) -> bool:
        return self in (DeliveryState.DELIVERED, DeliveryState.READ)

    @property
    def is_final(self) -> bool:
        """No later status can change it (a failure may still become delivered)."""
        return self is DeliveryState.READ


_FAILURES = frozenset({DeliveryState.FAILED, DeliveryState.UNDELIVERED, DeliveryState.BOUNCED})
_RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENDING: 1,
    DeliveryState.SENT: 2,
    DeliveryState.FAILED: 3,
    DeliveryState.UNDELIVERED: 3,
    DeliveryState.BOUNCED: 3,
    DeliveryState.DELIVERED: 4,
    DeliveryState.READ: 5,
}


def apply_status(current: DeliveryState, incoming: DeliveryState) -> DeliveryState:
    """The state after a status report; never regresses (see the module docstring)."""
    return incoming if incoming.rank > current.rank else current


_TWILIO = {
    "queued": DeliveryState.QUEUED,
    # Messaging Service statuses before queueing
    "accepted": DeliveryState.QUEUED,
    "scheduled": DeliveryState.QUEUED,
    "sending": DeliveryState.SENDING,
    "sent": DeliveryState.SENT,
    # some parts delivered: no proof the reporter has the whole message
    "partially_delivered": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "failed": DeliveryState.FAILED,
    "undelivered": DeliveryState.UNDELIVERED,
    # a cancelled scheduled message never left: for follow-up it failed
    "canceled": DeliveryState.FAILED,
}


def from_twilio(status: str) -> DeliveryState:
    """Map a Twilio ``MessageStatus``; inbound statuses and unknown values raise ValueError."""
    key = status.strip().lower()
    if key in ("receiving", "received"):
        raise ValueError(f"Twilio status {status!r} describes an inbound message, not ours")
    try:
        return _TWILIO[key]
    except KeyError:
        raise ValueError(
            f"unknown Twilio message status {status!r}; known: {', '.join(sorted(_TWILIO))}"
        ) from None
