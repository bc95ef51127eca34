"""An in-memory ``ThreadLookup``: the reference behaviour for the store's implementation.

Used by the threading corpus test, the benchmark and handler tests. It shows the
contract: message ids and addresses compared in their normalised forms, tokens and tags
case-insensitively, open requests filtered by the number or address we sent from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.domain.threading.markers import normalise_address, normalise_message_id
from gateway.domain.threading.model import RequestRef

__all__ = ["InMemoryThreadLookup", "OutboundRequest"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundRequest:
    """A request with every mark it went out with (request and reminders)."""

    ref: RequestRef
    recipient: str
    our_address: str | None = None
    message_ids: tuple[str, ...] = ()  # email Message-IDs or Twilio SIDs
    token: str | None = None
    subject_tag: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> OutboundRequest:
        sent = record["sent_at"]
        recipient = normalise_address(record["recipient"])
        return cls(
            ref=RequestRef(
                request_id=record["request_id"],
                case_id=record["case_id"],
                channel=record["channel"],
                open=bool(record["open"]),
                sent_at=datetime.fromisoformat(sent) if isinstance(sent, str) else sent,
                recipient=recipient,
            ),
            recipient=recipient,
            our_address=record.get("our_address"),
            message_ids=tuple(record.get("message_ids", ())),
            token=record.get("token"),
            subject_tag=record.get("subject_tag"),
        )


def _id_key(channel: str, value: str) -> str:
    return normalise_message_id(value) if channel == "EMAIL" else value.strip()


class InMemoryThreadLookup:
    """``ThreadLookup`` over a list of requests; records each call in ``calls``."""

    def __init__(self, requests: Iterable[OutboundRequest], *, record_calls: bool = True) -> None:
        self.requests = tuple(requests)
        self.calls: list[tuple[str, object]] = []
        self._record = record_calls
        self._by_id: dict[str, RequestRef] = {}
        self._by_token: dict[str, RequestRef] = {}
        self._by_tag: dict[str, RequestRef] = {}
        self._by_recipient: dict[str, list[OutboundRequest]] = {}
        for request in self.requests:
            ref = request.ref
            for message_id in request.message_ids:
                self._add(self._by_id, _id_key(ref.channel, message_id), ref, "message id")
            if request.token:
                self._add(self._by_token, request.token.casefold(), ref, "token")
            if request.subject_tag:
                self._add(self._by_tag, request.subject_tag.casefold(), ref, "subject tag")
            key = normalise_address(request.recipient)
            self._by_recipient.setdefault(key, []).append(request)

    @staticmethod
    def _add(index: dict[str, RequestRef], key: str, ref: RequestRef, what: str) -> None:
        if key in index and index[key].request_id != ref.request_id:
            raise ValueError(f"{what} {key!r} belongs to two requests")
        index[key] = ref

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], *, record_calls: bool = True
    ) -> InMemoryThreadLookup:
        return cls((OutboundRequest.from_record(r) for r in records), record_calls=record_calls)

    def _note(self, call: str, arguments: object) -> None:
        if self._record:
            self.calls.append((call, arguments))

    def request_for_message_ids(self, ids: Sequence[str]) -> dict[str, RequestRef]:
        self._note("message_ids", tuple(ids))
        found: dict[str, RequestRef] = {}
        for message_id in ids:
            ref = self._by_id.get(message_id) or self._by_id.get(message_id.strip())
            if ref is not None:
                found[message_id] = ref
        return found

    def request_for_token(self, token: str) -> RequestRef | None:
        self._note("token", token)
        return self._by_token.get(token.casefold())

    def request_for_subject_tag(self, tag: str) -> RequestRef | None:
        self._note("subject_tag", tag)
        return self._by_tag.get(tag.casefold())

    def open_requests_for(self, address: str, our_address: str | None) -> list[RequestRef]:
        self._note("open_requests_for", (address, our_address))
        ours = normalise_address(our_address) if our_address else None
        matches = [
            r.ref
            for r in self._by_recipient.get(normalise_address(address), [])
            if r.ref.open
            and (ours is None or r.our_address is None or normalise_address(r.our_address) == ours)
        ]
        return sorted(matches, key=lambda ref: ref.sent_at)
