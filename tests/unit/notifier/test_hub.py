from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import cache

import pytest

from tenant_contracts.access import Principal
from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantProgress
from tenant_notifier.hub import Hub, Session, Stats
from tenant_notifier.protocol import CLOSE_TOO_SLOW, NotAnEvent, event_frame
from tenant_notifier.window import EventWindow

TENANTS = uuid.uuid4()


def tenant_of(owner: str) -> uuid.UUID:
    return uuid.uuid5(TENANTS, owner)  # one tenant per owner: an owner never changes


def subject(owner: str) -> str:
    return f"tenants.{tenant_of(owner)}.progress"


@cache
def payload(owner: str, tenant: uuid.UUID | None = None) -> bytes:
    return encode_event(TenantProgress(
        event_id=uuid.uuid4(), tenant_id=tenant or tenant_of(owner),
        occurred_at=datetime.now(UTC), owner=owner, actor="system", stage="migrating",
        percent=35))


def make_hub(window: int = 100, head: int = 0) -> Hub:
    return Hub(EventWindow(window, floor=head), Stats(), stream_last_seq=head)


def session(sub: str, *roles: str, capacity: int = 10) -> Session:
    return Session(uuid.uuid4().hex, Principal(sub=sub, roles=roles), capacity)


def live(hub: Hub, s: Session) -> Session:
    frames, cursor, at_head = hub.window.scan(hub.live_from(), s.wants, s.capacity)
    assert at_head
    hub.go_live(s, cursor, frames)
    return s


def test_owners_get_their_events_admins_get_all_others_none() -> None:
    hub = make_hub()
    alice, alice_tab, bob, admin = (live(hub, session("alice")), live(hub, session("alice")),
                                    live(hub, session("bob")), live(hub, session("root", "admin")))
    hub.ingest(1, subject("alice"), payload("alice"))
    hub.ingest(2, subject("carol"), payload("carol"))
    first = event_frame(1, payload("alice"))
    assert list(alice.queue) == list(alice_tab.queue) == [first]
    assert list(admin.queue) == [first, event_frame(2, payload("carol"))]
    assert list(bob.queue) == []
    assert alice.queue[0] is alice_tab.queue[0] is admin.queue[0]  # one encoding, shared


def test_a_full_buffer_closes_that_session_only_with_4008() -> None:
    hub = make_hub()
    slow, fast = live(hub, session("alice", capacity=2)), live(hub, session("alice", capacity=2))
    closed: list[int | None] = []
    slow.on_close = lambda: closed.append(slow.close_code)
    for seq in (1, 2):
        hub.ingest(seq, subject("alice"), payload("alice"))
        fast.queue.popleft()  # the fast one keeps sending
    hub.ingest(3, subject("alice"), payload("alice"))
    assert closed == [CLOSE_TOO_SLOW]
    assert hub.stats.sessions_closed_slow == 1
    assert not slow.live and fast.live
    hub.ingest(4, subject("alice"), payload("alice"))
    assert len(slow.queue) == 2 and len(fast.queue) == 2  # slow gets nothing more


def test_replay_then_live_has_no_gap_and_no_duplicate() -> None:
    hub = make_hub()
    for seq in range(1, 6):
        owner = "alice" if seq % 2 else "bob"
        hub.ingest(seq, subject(owner), payload(owner))
    resumed = session("alice", capacity=2)
    frames, cursor, at_head = hub.window.scan(0, resumed.wants, resumed.capacity)
    # seqs 1 and 3 (the caller sends them); 4 is bob's, so the scan got past it
    assert (len(frames), cursor, at_head) == (2, 4, False)
    frames, cursor, at_head = hub.window.scan(cursor, resumed.wants, 2)
    assert at_head and cursor == 5
    hub.go_live(resumed, cursor, frames)
    hub.ingest(5, subject("alice"), payload("alice"))  # redelivered after a reset: ignored
    hub.ingest(6, subject("alice"), payload("alice"))
    assert list(resumed.queue) == [event_frame(5, payload("alice")),
                                   event_frame(6, payload("alice"))]


def test_a_session_without_after_starts_at_the_streams_head_even_before_the_hub_got_there() -> (
        None):
    hub = make_hub(head=0)
    hub.stats.stream_last_seq = 3  # the stream held 3 messages when the process started
    s = live(hub, session("alice"))
    for seq in range(1, 5):
        hub.ingest(seq, subject("alice"), payload("alice"))
    assert list(s.queue) == [event_frame(4, payload("alice"))]
    assert hub.lag == 0


def test_poison_is_skipped_and_counted_and_the_head_moves_on() -> None:
    hub = make_hub()
    s = live(hub, session("alice"))
    with pytest.raises(NotAnEvent):
        hub.ingest(1, subject("alice"), b"not json")
    with pytest.raises(NotAnEvent):
        hub.ingest(2, subject("alice"), b'{"type": "TenantProgress"}')  # no owner
    hub.ingest(3, subject("alice"), payload("alice"))
    assert hub.stats.poison_messages == 2 and hub.window.head == 3
    assert list(s.queue) == [event_frame(3, payload("alice"))]


def test_go_live_refuses_more_pending_frames_than_the_buffer_holds() -> None:
    hub = make_hub()
    with pytest.raises(ValueError):
        hub.go_live(session("alice", capacity=1), 0, [b"a", b"b"])


def test_unregistered_sessions_receive_nothing() -> None:
    hub = make_hub()
    s = live(hub, session("alice"))
    hub.unregister(s)
    hub.ingest(1, subject("alice"), payload("alice"))
    assert list(s.queue) == []


def test_the_frame_built_once_carries_the_trace_id_to_every_session_and_the_window() -> None:
    hub = make_hub()
    alice, admin = live(hub, session("alice")), live(hub, session("root", "admin"))
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    hub.ingest(1, subject("alice"), payload("alice"), trace_id)
    (sent,) = alice.queue
    assert sent == event_frame(1, payload("alice"), trace_id)
    assert admin.queue[0] is sent  # the very same bytes object
    late = session("alice")
    frames, _, _ = hub.window.scan(0, late.wants, late.capacity)
    assert frames == [sent]


@cache
def _of(owner: str, tenant: uuid.UUID) -> bytes:
    return encode_event(TenantProgress(
        tenant_id=tenant, owner=owner, actor="system", stage="migrating", percent=35))


def test_a_tenant_filter_narrows_live_and_replay_but_never_widens() -> None:
    hub = make_hub()
    mine, other, carols = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    follow = frozenset({str(mine), str(carols)})  # carol's tenant: alice may not see it
    alice = live(hub, Session("s1", Principal(sub="alice"), 10, follow))
    admin = live(hub, Session("s2", Principal(sub="root", roles=("admin",)), 10,
                              frozenset({str(carols)})))
    hub.ingest(1, f"tenants.{mine}.progress", _of("alice", mine))
    hub.ingest(2, f"tenants.{other}.progress", _of("alice", other))
    hub.ingest(3, f"tenants.{carols}.progress", _of("carol", carols))
    assert list(alice.queue) == [event_frame(1, _of("alice", mine))]
    assert list(admin.queue) == [event_frame(3, _of("carol", carols))]
    resumed = Session("s3", Principal(sub="alice"), 10, follow)
    frames, cursor, at_head = hub.window.scan(0, resumed.wants, resumed.capacity)
    assert (frames, cursor, at_head) == ([event_frame(1, _of("alice", mine))], 3, True)


def test_an_event_not_on_its_tenants_subject_or_of_another_owner_is_poison() -> None:
    hub = make_hub()
    alice, mallory = live(hub, session("alice")), live(hub, session("mallory"))
    hub.ingest(1, subject("alice"), payload("alice"))
    forged = [
        (subject("alice"), payload("mallory", tenant_of("alice"))),  # alice's tenant, new owner
        (subject("mallory"), payload("mallory", tenant_of("alice"))),  # payload elsewhere
        (f"tenants.{tenant_of('alice')}.active", payload("alice")),  # Progress as Active
    ]
    for seq, (forged_subject, forged_payload) in enumerate(forged, start=2):
        with pytest.raises(NotAnEvent):
            hub.ingest(seq, forged_subject, forged_payload)
    assert hub.stats.poison_messages == 3 and hub.window.head == 4
    assert list(alice.queue) == [event_frame(1, payload("alice"))]
    assert list(mallory.queue) == []


def test_a_newer_releases_event_type_still_routes() -> None:
    hub = make_hub()
    s = live(hub, session("alice"))
    newer = (b'{"type":"TenantArchived","owner":"alice","tenant_id":"%b"}'
             % str(tenant_of("alice")).encode())
    hub.ingest(1, f"tenants.{tenant_of('alice')}.archived", newer)
    assert list(s.queue) == [event_frame(1, newer)]
