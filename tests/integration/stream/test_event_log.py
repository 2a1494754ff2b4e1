"""The stream adapter's promises, each forced deterministically on a real server:
a history read that a replica behind would answer short, an append whose first
answer was lost, and a request seq the history must reach."""

from __future__ import annotations

import uuid

import nats
from nats.aio.client import Client as NatsClient

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantProvisioning, TenantRequested
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenant_stream.event_log import Conflict, EventLog, StoredMessage


def _requested(owner: str = "alice") -> TenantRequested:
    return TenantRequested(tenant_id=uuid.uuid4(), owner=owner, actor=owner, name="A",
                           slug=f"s-{uuid.uuid4().hex[:8]}", plan="free",
                           admin_email="a@example.test")


class ReplicaBehind(EventLog):
    """Every direct get is answered by a replica that has applied nothing of the
    tenant's last `behind` messages (R3 followers answer direct gets too)."""

    def __init__(self, nc: NatsClient, behind: int) -> None:
        super().__init__(nc)
        self.behind = behind
        self.direct_reads = 0

    async def _direct_batch(self, tenant_id: uuid.UUID, start: int,
                            up_to: int) -> list[StoredMessage]:
        self.direct_reads += 1
        found = await super()._direct_batch(tenant_id, start, up_to)
        return found[:max(0, len(found) - self.behind)]


async def _stored(nc: NatsClient, log: EventLog) -> tuple[TenantRequested, int, int]:
    requested = _requested()
    first = await log.append(requested, 0)
    provisioning = TenantProvisioning(tenant_id=requested.tenant_id, owner="alice",
                                      actor="system", attempt=1)
    second = await log.append(provisioning, first)
    return requested, first, second


async def test_a_replica_that_is_behind_never_shortens_a_history(nc: nats.NATS) -> None:
    requested, first, second = await _stored(nc, EventLog(nc))
    for behind in (1, 2):
        lagging = ReplicaBehind(nc, behind)
        history = await lagging.history(requested.tenant_id)
        assert [seq for seq, _ in history] == [first, second]
        assert history.last_seq == second
        assert lagging.direct_reads > 1  # it did meet the short answer, and read on


async def test_the_history_reaches_the_request_just_delivered(nc: nats.NATS) -> None:
    log = EventLog(nc)
    requested, first, _ = await _stored(nc, log)
    history = await ReplicaBehind(nc, behind=2).history(requested.tenant_id, at_least=first)
    assert history.seq_of(requested.event_id) == first  # never "no such tenant"


async def test_a_resend_of_a_stored_event_is_its_stored_seq_not_a_conflict(
        nc: nats.NATS) -> None:
    # The first send was stored and its answer lost (a timeout in an election): the
    # resend with the same Nats-Msg-Id and expected sequence answers 10071, which the
    # adapter settles by finding its event in the history.
    requested = _requested()
    ack = await nc.jetstream().publish(event_subject(requested), encode_event(requested),
                                       stream=STREAM_NAME, headers=append_headers(requested, 0))
    assert await EventLog(nc).append(requested, 0) == ack.seq


async def test_someone_elses_append_is_a_conflict_with_the_new_history(nc: nats.NATS) -> None:
    log = EventLog(nc)
    requested, first, second = await _stored(nc, log)
    late = TenantProvisioning(tenant_id=requested.tenant_id, owner="alice", actor="system",
                              attempt=2)
    try:
        await log.append(late, first)
    except Conflict as exc:
        assert exc.history is not None and exc.history.last_seq == second
    else:
        raise AssertionError("an append on a stale history was stored")
