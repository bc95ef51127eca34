"""Transports to regulators: an outbox/inbox folder hand-off (the usual interface of an AS2
product) and HTTP POST, behind one small port, plus the intake of what comes back (ACKs and
transport receipts).

Both transports make sending idempotent: the file name is the batch's, so sending the same
transmission again (after a restart) is recognised rather than delivered twice.

    TransportError           retriable: the transport did not take the file (try again)
    TransportRefusedError    not retriable: the receiver refused the file (a person looks)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.errors import GatewayError, TransientError


class TransportError(TransientError):
    """The transport did not take the file this time (network, disk, 5xx)."""

    code = "transport_unavailable"


class TransportRefusedError(GatewayError):
    """The receiving side refused the file (HTTP 4xx): sending it again will not help."""

    code = "transport_refused"


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the transport said when it took a file."""

    #: the transport confirmed receipt there and then (HTTP 2xx); folder hand-offs get
    #: their receipt (an MDN file) later, through the inbox
    receipt: bool
    #: the file had been handed over before (a resend after a restart): not sent again
    already_sent: bool = False
    detail: str = ""


class RegulatorTransport(Protocol):
    """Hands one E2B file to a regulator's gateway."""

    async def send(self, file_name: str, data: bytes, *, batch_number: str) -> Delivery: ...
