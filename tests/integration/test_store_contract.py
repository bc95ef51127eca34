"""The store's contract, run against every supported database (SQLite and PostgreSQL).

Each test builds a fresh, migrated store on the ``database_url`` fixture's empty database
and checks a behaviour the rest of the gateway relies on: dedupe keys, ordering, the
transactional outbox's atomicity, exact round-trips of bytes, headers and UTC times.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from gateway.domain.case import Case, Provenance
from gateway.domain.lifecycle import CaseState
from gateway.domain.receipt import open_case_for_receipt
from gateway.store import audit, cases, dead_letters, inbound, outbox, processed
from gateway.store.audit import AuditEntry
from gateway.store.dead_letters import DeadLetterRecord
from gateway.store.engine import Store, build_engine
from gateway.store.inbound import InboundRecord
from gateway.store.migrate import current_revision, head_revision, upgrade
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import inbound_messages
from gateway.store.tables import outbox as outbox_table

pytestmark = pytest.mark.integration

# A fixed instant with microseconds, so round-trips are checked to the microsecond.
T0 = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)


class Boom(RuntimeError):
    """Raised inside a transaction to make it roll back."""


@pytest.fixture
def store(database_url: URL) -> Iterator[Store]:
    s = Store(build_engine(database_url))
    upgrade(s.engine)
    try:
        yield s
    finally:
        s.dispose()


def _inbound(
    id_: str,
    *,
    channel: str = "email",
    source_id: str | None = None,
    received_at: datetime = T0,
    payload: bytes = b"payload",
    headers: dict[str, str] | None = None,
) -> InboundRecord:
    return InboundRecord(
        id=id_,
        channel=channel,
        source_id=source_id if source_id is not None else f"src-{id_}",
        received_at=received_at,
        content_type="message/rfc822",
        headers=headers if headers is not None else {},
        payload=payload,
    )


def _letter(
    id_: str,
    *,
    offset: int = 7,
    consumer: str = "intake",
    failed_at: datetime = T0,
    headers: tuple[tuple[str, bytes | None], ...] = (),
) -> DeadLetterRecord:
    return DeadLetterRecord(
        id=id_,
        original_topic="icsr.inbound",
        original_partition=2,
        original_offset=offset,
        original_key=b"key-" + id_.encode(),
        original_value=b"\x00\x01value\xff",
        original_headers=headers,
        error_type="ValueError",
        error_message="bad input",
        consumer=consumer,
        attempts=3,
        failed_at=failed_at,
    )


# --- migrations -------------------------------------------------------------------------------


def test_migrations_bring_an_empty_database_to_head_and_are_a_no_op_the_second_time(
    database_url: URL,
) -> None:
    store = Store(build_engine(database_url))
    try:
        assert current_revision(store.engine) is None
        upgrade(store.engine)
        assert head_revision() is not None
        assert current_revision(store.engine) == head_revision()
        tables = set(inspect(store.engine).get_table_names())
        assert {
            "inbound_messages",
            "cases",
            "case_versions",
            "processed_events",
            "outbox",
            "audit_log",
            "dead_letters",
        } <= tables

        store.run_sync(inbound.insert_many, [_inbound("in-1")])
        upgrade(store.engine)  # second run: nothing to do, nothing lost
        assert current_revision(store.engine) == head_revision()
        assert store.run_sync(inbound.get, "in-1") is not None
    finally:
        store.dispose()


# --- inbound messages -------------------------------------------------------------------------


def test_inbound_round_trips_payload_headers_digest_size_and_utc_time_exactly(
    database_url: URL, store: Store
) -> None:
    payload = b"\x00\xffMIME-Version: 1.0\r\n\r\nbody \xe2\x9c\x93"
    headers = {"From": "reporter@example.org", "Subject": "Reacción adversa", "X-Empty": ""}
    received = T0.astimezone(timezone(timedelta(hours=-5)))  # any offset in, UTC out
    record = _inbound("in-1", received_at=received, payload=payload, headers=headers)

    store.run_sync(inbound.insert_many, [record])
    row = store.run_sync(inbound.get, "in-1")

    assert row is not None
    assert row["payload"] == payload
    assert isinstance(row["payload"], bytes)
    assert row["headers"] == headers
    assert row["size"] == len(payload)
    assert row["sha256"] == record.row()["sha256"]
    assert len(row["sha256"]) == 64
    assert row["received_at"] == T0
    assert row["received_at"].tzinfo == UTC
    assert row["received_at"].microsecond == T0.microsecond
    assert row["status"] == inbound.ACCEPTED
    assert row["processed_at"] is None
    assert row["case_id"] is None


def test_inbound_with_the_same_channel_and_source_id_is_kept_once_and_maps_to_the_first_id(
    database_url: URL, store: Store
) -> None:
    first = _inbound("in-first", source_id="msg-1", payload=b"first")
    again = _inbound("in-again", source_id="msg-1", payload=b"second")
    other_channel = _inbound("in-sms", channel="sms", source_id="msg-1")

    ids = store.run_sync(inbound.insert_many, [first])
    assert ids == {("email", "msg-1"): "in-first"}

    ids = store.run_sync(inbound.insert_many, [again, other_channel])
    assert ids == {("email", "msg-1"): "in-first", ("sms", "msg-1"): "in-sms"}

    assert store.run_sync(inbound.get, "in-again") is None
    kept = store.run_sync(inbound.get, "in-first")
    assert kept is not None
    assert kept["payload"] == b"first"
    with store.transaction() as conn:
        n = conn.execute(select(func.count()).select_from(inbound_messages)).scalar_one()
    assert n == 2


def test_unfinished_lists_only_accepted_records_older_than_the_cutoff_and_processed_ones_leave(
    database_url: URL, store: Store
) -> None:
    cutoff = T0
    old_1 = _inbound("old-1", received_at=cutoff - timedelta(minutes=10))
    old_2 = _inbound("old-2", received_at=cutoff - timedelta(minutes=5))
    at_cutoff = _inbound("at-cutoff", received_at=cutoff)
    recent = _inbound("recent", received_at=cutoff + timedelta(seconds=1))
    rejected = _inbound("rejected", received_at=cutoff - timedelta(hours=1))
    store.run_sync(inbound.insert_many, [recent, old_2, at_cutoff, old_1, rejected])
    store.run_sync(inbound.mark_rejected, "rejected", "not an ICSR", cutoff)

    assert [r["id"] for r in store.run_sync(inbound.unfinished, cutoff)] == ["old-1", "old-2"]

    processed_at = cutoff + timedelta(minutes=1, microseconds=42)
    store.run_sync(inbound.mark_processed, [("old-1", "case-1"), ("old-2", None)], processed_at)

    assert store.run_sync(inbound.unfinished, cutoff) == []
    row = store.run_sync(inbound.get, "old-1")
    assert row is not None
    assert row["status"] == inbound.PROCESSED
    assert row["case_id"] == "case-1"
    assert row["processed_at"] == processed_at
    row_2 = store.run_sync(inbound.get, "old-2")
    assert row_2 is not None
    assert row_2["status"] == inbound.PROCESSED
    assert row_2["case_id"] is None
    assert store.run_sync(inbound.count_by_status) == {
        inbound.PROCESSED: 2,
        inbound.ACCEPTED: 2,
        inbound.REJECTED: 1,
    }


# --- outbox -----------------------------------------------------------------------------------


def test_outbox_returns_pending_messages_in_insertion_order_with_bytes_and_headers_intact(
    database_url: URL, store: Store
) -> None:
    messages = [
        OutboxMessage(
            event_id=f"ev-{i}",
            topic="icsr.cases",
            key=None if i == 1 else f"case-{i}".encode(),
            value=bytes([0, i, 255]) + b"avro",
            headers=(("event-type", "case.opened"), ("trace", f"t-{i}")),
        )
        for i in (3, 1, 2)  # event ids deliberately not in sort order
    ]
    with store.transaction() as conn:
        outbox.enqueue(conn, messages[:2], T0)
    with store.transaction() as conn:
        outbox.enqueue(conn, messages[2:], T0)

    pending = store.run_sync(outbox.pending, 100)

    assert [p.message for p in pending] == messages
    assert [p.id for p in pending] == sorted(p.id for p in pending)
    assert store.run_sync(outbox.count_pending) == 3
    assert [p.message.event_id for p in store.run_sync(outbox.pending, 2)] == ["ev-3", "ev-1"]


def test_outbox_stores_an_event_id_enqueued_twice_once(database_url: URL, store: Store) -> None:
    message = OutboxMessage(event_id="ev-1", topic="t", key=b"k", value=b"v1")
    duplicate = OutboxMessage(event_id="ev-1", topic="t", key=b"k", value=b"v2")
    other = OutboxMessage(event_id="ev-2", topic="t", key=b"k", value=b"v")

    assert store.run_sync(outbox.enqueue, [message], T0) == 1
    assert store.run_sync(outbox.enqueue, [duplicate, other], T0) == 1
    assert store.run_sync(outbox.enqueue, [duplicate], T0) == 0

    pending = store.run_sync(outbox.pending, 100)
    assert [p.message for p in pending] == [message, other]
    assert store.run_sync(outbox.count_pending) == 2


def test_outbox_published_messages_leave_pending_and_requeue_puts_recent_ones_back(
    database_url: URL, store: Store
) -> None:
    messages = [
        OutboxMessage(event_id=f"ev-{i}", topic="t", key=None, value=b"v") for i in range(4)
    ]
    store.run_sync(outbox.enqueue, messages, T0)
    ids = [p.id for p in store.run_sync(outbox.pending, 100)]

    store.run_sync(outbox.mark_published, ids[:1], T0 + timedelta(minutes=1))
    store.run_sync(outbox.mark_published, ids[1:3], T0 + timedelta(minutes=5))

    assert [p.id for p in store.run_sync(outbox.pending, 100)] == ids[3:]
    assert store.run_sync(outbox.count_pending) == 1
    with store.transaction() as conn:
        published_at = conn.execute(
            select(outbox_table.c.published_at).where(outbox_table.c.id == ids[1])
        ).scalar_one()
    assert published_at == T0 + timedelta(minutes=5)

    # The broker restarted at minute 5: what it got since then is published again.
    requeued = store.run_sync(outbox.requeue_published_since, T0 + timedelta(minutes=5))

    assert requeued == 2
    assert [p.id for p in store.run_sync(outbox.pending, 100)] == ids[1:]
    assert store.run_sync(outbox.count_pending) == 3


# --- processed events -------------------------------------------------------------------------


def test_already_processed_reports_only_ids_this_consumer_marked_and_marking_twice_is_harmless(
    database_url: URL, store: Store
) -> None:
    store.run_sync(processed.mark, "intake", ["ev-1", "ev-2"], T0)
    store.run_sync(processed.mark, "coding", ["ev-3"], T0)
    store.run_sync(processed.mark, "intake", ["ev-2", "ev-1"], T0 + timedelta(seconds=1))

    asked = ["ev-1", "ev-2", "ev-3", "ev-4"]
    assert store.run_sync(processed.already_processed, "intake", asked) == {"ev-1", "ev-2"}
    assert store.run_sync(processed.already_processed, "coding", asked) == {"ev-3"}
    assert store.run_sync(processed.already_processed, "routing", asked) == set()
    assert store.run_sync(processed.already_processed, "intake", []) == set()


def test_already_processed_answers_for_more_ids_than_one_query_chunk(
    database_url: URL, store: Store
) -> None:
    marked = [f"ev-{i}" for i in range(0, 1200, 2)]
    store.run_sync(processed.mark, "intake", marked, T0)

    asked = [f"ev-{i}" for i in range(1200)]
    assert store.run_sync(processed.already_processed, "intake", asked) == set(marked)


# --- atomicity --------------------------------------------------------------------------------


def test_a_transaction_that_raises_leaves_no_inbound_outbox_or_processed_rows_behind(
    database_url: URL, store: Store
) -> None:
    def handle(conn: Connection) -> None:
        inbound.insert_many(conn, [_inbound("in-1")])
        outbox.enqueue(conn, [OutboxMessage(event_id="ev-1", topic="t", key=None, value=b"v")], T0)
        processed.mark(conn, "intake", ["ev-0"], T0)
        raise Boom("handler failed after writing")

    with pytest.raises(Boom):
        store.run_sync(handle)

    assert store.run_sync(inbound.get, "in-1") is None
    assert store.run_sync(outbox.count_pending) == 0
    assert store.run_sync(processed.already_processed, "intake", ["ev-0"]) == set()

    # The same work committed normally is kept in full.
    with store.transaction() as conn:
        inbound.insert_many(conn, [_inbound("in-1")])
        outbox.enqueue(conn, [OutboxMessage(event_id="ev-1", topic="t", key=None, value=b"v")], T0)
    assert store.run_sync(inbound.get, "in-1") is not None
    assert store.run_sync(outbox.count_pending) == 1


async def test_run_executes_the_function_in_one_committed_transaction_off_the_event_loop(
    database_url: URL, store: Store
) -> None:
    def insert_noting_thread(conn: Connection) -> tuple[dict[tuple[str, str], str], int]:
        return inbound.insert_many(conn, [_inbound("in-1")]), threading.get_ident()

    ids, worker_thread = await store.run(insert_noting_thread)
    assert ids == {("email", "src-in-1"): "in-1"}
    assert worker_thread != threading.get_ident()
    assert await store.run(inbound.get, "in-1") is not None

    def failing(conn: Connection) -> None:
        outbox.enqueue(conn, [OutboxMessage(event_id="ev-1", topic="t", key=None, value=b"v")], T0)
        raise Boom

    with pytest.raises(Boom):
        await store.run(failing)
    assert await store.run(outbox.count_pending) == 0


# --- cases ------------------------------------------------------------------------------------


def _opened_case(case_id: str, inbound_id: str) -> Case:
    return open_case_for_receipt(
        case_id=case_id,
        channel="email",
        received_at=T0,
        inbound_id=inbound_id,
        actor="intake-email",
    )


def test_a_case_inserted_new_loads_back_equal_with_versions_provenance_and_icsr(
    database_url: URL, store: Store
) -> None:
    opened = _opened_case("case-1", "in-1")
    moved = _opened_case("case-2", "in-2").transition(
        CaseState.IN_PROGRESS,
        Provenance(
            actor="user-7",
            action="transition:in_progress",
            at=(T0 + timedelta(hours=2, microseconds=1)).astimezone(timezone(timedelta(hours=1))),
            reason="data entry started",
        ),
    )

    store.run_sync(cases.insert_new, [(opened, "in-1"), (moved, "in-2")])

    loaded = store.run_sync(cases.load_case, "case-1")
    assert loaded == opened
    assert loaded is not None
    assert loaded.current.provenance.at == T0
    assert loaded.current.provenance.at.tzinfo == UTC
    assert loaded.current.provenance.source_ref == "in-1"
    assert loaded.icsr == opened.icsr

    loaded_2 = store.run_sync(cases.load_case, "case-2")
    assert loaded_2 == moved
    assert [v.number for v in loaded_2.versions] == [1, 2]
    assert loaded_2.state is CaseState.IN_PROGRESS
    assert loaded_2.versions[1].provenance.at.tzinfo == UTC

    assert store.run_sync(cases.load_case, "no-such-case") is None
    assert store.run_sync(cases.count) == 2


def test_one_inbound_record_can_hold_several_cases_but_a_case_id_is_used_once(
    database_url: URL, store: Store
) -> None:
    """An E2B batch or an e-mail with several ICSRs opens several cases from one record."""
    store.run_sync(cases.insert_new, [(_opened_case("case-1", "in-1"), "in-1")])
    store.run_sync(cases.insert_new, [(_opened_case("case-2", "in-1"), "in-1")])
    assert store.run_sync(cases.count) == 2

    with pytest.raises(IntegrityError):
        store.run_sync(cases.insert_new, [(_opened_case("case-1", "in-2"), "in-2")])
    assert store.run_sync(cases.count) == 2


def test_case_keys_find_cases_by_source_identifier_and_blocking_key(
    database_url: URL, store: Store
) -> None:
    store.run_sync(cases.insert_new, [(_opened_case("case-1", "in-1"), "in-1")])
    store.run_sync(cases.add_keys, {"case-1": {"id:e2b:US-1", "patient:JD|2"}})
    store.run_sync(cases.add_keys, {"case-1": {"id:e2b:US-1"}})  # adding again is harmless
    found = store.run_sync(cases.cases_with_keys, ["id:e2b:US-1", "id:other"])
    assert found == {"id:e2b:US-1": {"case-1"}}
    assert store.run_sync(cases.cases_with_keys, ["patient:JD|2"]) == {"patient:JD|2": {"case-1"}}


# --- audit ------------------------------------------------------------------------------------


def test_audit_trail_returns_an_entitys_entries_in_order_with_who_what_when_and_why(
    database_url: URL, store: Store
) -> None:
    entries = [
        AuditEntry(
            at=T0 + timedelta(minutes=i, microseconds=i),
            actor=actor,
            action=action,
            entity_type="case",
            entity_id="case-1",
            reason=reason,
            detail={"version": i + 1, "note": None},
        )
        for i, (actor, action, reason) in enumerate(
            [
                ("intake-email", "case.received", "report received on channel email"),
                ("user-7", "transition:valid", "four minimum criteria met"),
                ("user-9", "transition:in_progress", "data entry started"),
            ]
        )
    ]
    other = AuditEntry(
        at=T0, actor="x", action="y", entity_type="case", entity_id="case-2", reason="z"
    )
    store.run_sync(audit.record, entries[:1])
    store.run_sync(audit.record, [other, *entries[1:]])
    store.run_sync(audit.record, [])

    trail = store.run_sync(audit.trail, "case", "case-1")

    assert trail == entries
    assert all(e.at.tzinfo == UTC for e in trail)
    assert store.run_sync(audit.trail, "case", "case-2") == [other]
    assert store.run_sync(audit.trail, "inbound", "case-1") == []


# --- dead letters -----------------------------------------------------------------------------


def test_dead_letters_keep_one_letter_per_topic_partition_offset_and_consumer(
    database_url: URL, store: Store
) -> None:
    first = _letter("dl-1", offset=7, consumer="intake")
    store.run_sync(dead_letters.record, [first])
    store.run_sync(
        dead_letters.record,
        [
            _letter("dl-again", offset=7, consumer="intake"),  # same message, same consumer
            _letter("dl-2", offset=7, consumer="coding", failed_at=T0 + timedelta(seconds=1)),
            _letter("dl-3", offset=8, consumer="intake", failed_at=T0 + timedelta(seconds=2)),
        ],
    )

    letters = store.run_sync(dead_letters.list_letters)
    assert [d.id for d in letters] == ["dl-1", "dl-2", "dl-3"]
    assert letters[0] == first
    assert store.run_sync(dead_letters.count_pending) == 3
    assert [d.id for d in store.run_sync(dead_letters.list_letters, None, "coding")] == ["dl-2"]


def test_dead_letter_headers_with_bytes_and_none_values_round_trip(
    database_url: URL, store: Store
) -> None:
    headers: tuple[tuple[str, bytes | None], ...] = (
        ("event-id", b"ev-1"),
        ("binary", b"\x00\xff\x80\n"),
        ("empty", b""),
        ("absent", None),
        ("event-id", b"duplicate keys are kept in order"),
    )
    letter = _letter("dl-1", headers=headers)
    store.run_sync(dead_letters.record, [letter])

    [loaded] = store.run_sync(dead_letters.list_letters)

    assert loaded.original_headers == headers
    assert loaded.original_key == letter.original_key
    assert loaded.original_value == letter.original_value
    assert loaded.failed_at == T0
    assert loaded.failed_at.tzinfo == UTC
    assert loaded == letter


def test_replayed_dead_letters_leave_the_pending_list(database_url: URL, store: Store) -> None:
    store.run_sync(
        dead_letters.record,
        [_letter(f"dl-{i}", offset=i, failed_at=T0 + timedelta(seconds=i)) for i in range(3)],
    )
    assert store.run_sync(dead_letters.count_pending) == 3

    store.run_sync(dead_letters.mark_replayed, ["dl-0", "dl-2"], T0 + timedelta(hours=1))
    store.run_sync(dead_letters.mark_replayed, [], T0)

    assert [d.id for d in store.run_sync(dead_letters.list_letters)] == ["dl-1"]
    assert store.run_sync(dead_letters.count_pending) == 1
    replayed = store.run_sync(dead_letters.list_letters, dead_letters.REPLAYED)
    assert [(d.id, d.status) for d in replayed] == [
        ("dl-0", dead_letters.REPLAYED),
        ("dl-2", dead_letters.REPLAYED),
    ]


# --- several processes ------------------------------------------------------------------------


def test_a_row_committed_through_one_store_is_visible_through_another_on_the_same_database(
    database_url: URL, store: Store
) -> None:
    other = Store(build_engine(database_url))
    try:
        assert other.run_sync(inbound.get, "in-1") is None  # opens a connection before the write

        store.run_sync(inbound.insert_many, [_inbound("in-1", payload=b"seen elsewhere")])
        store.run_sync(
            outbox.enqueue, [OutboxMessage(event_id="ev-1", topic="t", key=None, value=b"v")], T0
        )

        row = other.run_sync(inbound.get, "in-1")
        assert row is not None
        assert row["payload"] == b"seen elsewhere"
        assert row["received_at"] == T0
        assert [p.message.event_id for p in other.run_sync(outbox.pending, 10)] == ["ev-1"]

        # and the other way round: the second store's writes reach the first.
        other.run_sync(processed.mark, "intake", ["ev-1"], T0)
        assert store.run_sync(processed.already_processed, "intake", ["ev-1"]) == {"ev-1"}

        # An uncommitted write on one is not seen by the other until it commits.
        with other.transaction() as conn:
            outbox.mark_published(conn, [p.id for p in outbox.pending(conn, 10)], T0)
            if store.dialect == "postgresql":  # SQLite's writer lock would block the reader
                assert store.run_sync(outbox.count_pending) == 1
        assert store.run_sync(outbox.count_pending) == 0
    finally:
        other.dispose()
