"""One contract for every event log the orchestration may be given: the in-memory
log of the unit tests, a single nats-server and a three-node cluster (R3) must all
keep these rules, so that a unit test on the memory log means what it says."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import nats
import pytest

from tenant_contracts.events import TenantProgress, TenantProvisioning, TenantRequested
from tenant_stream.event_log import Conflict, EventLog
from tenant_stream.memory import MemoryEventLog
from tenant_stream.setup import ensure_stream
from tenant_stream.store import EventStore
from tenantctl.nats_server import NatsCluster, NatsServer


@pytest.fixture(params=["memory", "one node", "cluster"])
async def log(request: pytest.FixtureRequest) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield MemoryEventLog()
        return
    if request.param == "one node":
        server: NatsServer = request.getfixturevalue("nats_server")
        options, replicas = server.connect_options("admin"), 1
    else:
        cluster: NatsCluster = request.getfixturevalue("nats_cluster")
        options, replicas = cluster.connect_options("admin"), 3
    nc = await nats.connect(**options)
    await ensure_stream(nc.jetstream(), replicas)
    yield EventLog(nc)
    await nc.close()


def _requested(owner: str = "alice") -> TenantRequested:
    return TenantRequested(tenant_id=uuid.uuid4(), owner=owner, actor=owner, name="C",
                           slug=f"c-{uuid.uuid4().hex[:8]}", plan="free",
                           admin_email="c@example.test")


def _provisioning(requested: TenantRequested, owner: str | None = None) -> TenantProvisioning:
    return TenantProvisioning(tenant_id=requested.tenant_id, owner=owner or requested.owner,
                              actor="system", attempt=1)


async def test_an_append_is_in_the_history_at_its_seq(log: EventStore) -> None:
    requested = _requested()
    seq = await log.append(requested, 0)
    assert await log.head() >= seq
    history = await log.history(requested.tenant_id)
    assert [(s, e.event_id) for s, e in history] == [(seq, requested.event_id)]
    assert history.last_seq == seq
    assert (await log.message(seq)).subject == f"tenants.{requested.tenant_id}.requested"


async def test_an_unknown_tenant_has_an_empty_history(log: EventStore) -> None:
    history = await log.history(uuid.uuid4())
    assert list(history) == [] and history.last_seq == 0


async def test_an_append_on_a_stale_sequence_is_a_conflict(log: EventStore) -> None:
    requested = _requested()
    first = await log.append(requested, 0)
    second = await log.append(_provisioning(requested), first)
    with pytest.raises(Conflict) as refused:
        await log.append(_provisioning(requested), first)
    assert refused.value.history is not None and refused.value.history.last_seq == second
    with pytest.raises(Conflict):
        await log.append(_requested(), 7)  # a new tenant's first event expects 0


async def test_a_resend_of_a_stored_event_answers_its_seq(log: EventStore) -> None:
    requested = _requested()
    seq = await log.append(requested, 0)
    assert await log.append(requested, 0) == seq
    assert len(await log.history(requested.tenant_id)) == 1


async def test_a_poison_event_is_skipped_but_counts_for_the_sequence(log: EventStore) -> None:
    requested = _requested()
    first = await log.append(requested, 0)
    forged = await log.append(_provisioning(requested, owner="mallory"), first)
    progress = TenantProgress(tenant_id=requested.tenant_id, owner="alice", actor="system",
                              stage="migrating", percent=35)
    with pytest.raises(Conflict):
        await log.append(progress, first)  # the forged one is the tenant's last message
    last = await log.append(progress, forged)
    history = await log.history(requested.tenant_id)
    assert [s for s, _ in history] == [first, last]
    assert history.skipped == (forged,) and history.last_seq == last
