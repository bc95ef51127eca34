"""The store's side of threading: our follow-up requests found by the marks they went out
with (``gateway.domain.threading.ThreadLookup``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from gateway.domain.threading.markers import normalise_address, normalise_message_id
from gateway.domain.threading.model import RequestRef
from gateway.store import followup
from gateway.store.tables import followup_requests


def _ref(r: followup.RequestRow) -> RequestRef:
    return RequestRef(
        request_id=r.id,
        case_id=r.case_id,
        channel=r.channel,
        open=r.status == followup.OPEN,
        sent_at=r.sent_at or r.created_at,
        recipient=r.recipient,
    )


class StoreThreadLookup:
    """``ThreadLookup`` over the follow-up tables, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def request_for_message_ids(self, ids: Sequence[str]) -> dict[str, RequestRef]:
        if not ids:
            return {}
        keys: dict[str, str] = {}
        for value in ids:
            keys.setdefault(value, value.strip())
            if value.strip().startswith("<") or "@" in value:
                try:
                    keys[value] = normalise_message_id(value)
                except ValueError:
                    continue
        messages = followup.messages_by_ref(self._conn, set(keys.values()))
        by_ref: dict[str, str] = {}
        for m in messages:
            if m.request_id is None:
                continue
            for ref in (m.message_ref, m.provider_ref):
                if ref:
                    by_ref[ref] = m.request_id
        requests = {
            r.id: _ref(r) for r in followup.requests_by(self._conn, "id", set(by_ref.values()))
        }
        found: dict[str, RequestRef] = {}
        for value, key in keys.items():
            request_id = by_ref.get(key)
            if request_id is not None and request_id in requests:
                found[value] = requests[request_id]
        return found

    def request_for_token(self, token: str) -> RequestRef | None:
        rows = followup.requests_by(self._conn, "token", [token.casefold()])
        return _ref(rows[0]) if rows else None

    def request_for_subject_tag(self, tag: str) -> RequestRef | None:
        r = self._conn.execute(
            select(followup_requests.c.id).where(
                func.lower(followup_requests.c.subject_tag) == tag.casefold()
            )
        ).first()
        if r is None:
            return None
        rows = followup.requests_by(self._conn, "id", [r.id])
        return _ref(rows[0]) if rows else None

    def open_requests_for(self, address: str, our_address: str | None) -> list[RequestRef]:
        ours = normalise_address(our_address) if our_address else None
        rows = [
            r
            for r in followup.requests_by(self._conn, "recipient", [normalise_address(address)])
            if r.status == followup.OPEN
            and (ours is None or r.our_address is None or normalise_address(r.our_address) == ours)
        ]
        return sorted((_ref(r) for r in rows), key=lambda ref: ref.sent_at)
