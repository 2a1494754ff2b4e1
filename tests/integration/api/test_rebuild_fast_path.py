"""The rebuild folds the stream in memory and writes once; the live projection applies
batch by batch in SQL. Both must leave the same tables, poison and slugs included."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import nats
import pytest

from tenant_api import read_model
from tenant_api.ddl import create_schema, recreate_read_model
from tenant_api.projection import StreamMessage, apply_batch, decode_message
from tenant_api.projection_runner import ProjectionRunner
from tenant_api.read_model_image import ReadModelImage
from tenant_api.rebuild import rebuild
from tenant_contracts.codec import encode_event
from tenant_contracts.events import (
    EventBase,
    TenantActive,
    TenantAttemptFailed,
    TenantCancelled,
    TenantCancelRequested,
    TenantChanges,
    TenantDeleted,
    TenantDeleting,
    TenantDeletionRequested,
    TenantFailed,
    TenantProgress,
    TenantProvisioning,
    TenantRequested,
    TenantRetryRequested,
    TenantUpdated,
    TenantUpdateRequested,
    TenantUpdating,
)
from tenant_contracts.subjects import STREAM_NAME, event_subject
from tenant_stream.setup import ensure_stream
from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster
from tests.conftest import nats_url_as, unique_database
from tests.integration.api.support import nats_settings

READ_MODEL = ("SELECT * FROM tenants ORDER BY id", "SELECT * FROM slug_claims ORDER BY slug",
              "SELECT * FROM projection_state ORDER BY name")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Stream:
    """Messages as they would be stored, numbered from seq 1."""

    def __init__(self) -> None:
        self.messages: list[StreamMessage] = []

    def append(self, event: EventBase, subject: str | None = None) -> None:
        seq = len(self.messages) + 1
        # Each event a second after the one before: updated_at tells them apart.
        event = type(event)(**{**_fields(event), "occurred_at": T0 + timedelta(seconds=seq)})
        self.messages.append((seq, subject or event_subject(event), encode_event(event)))

    def raw(self, subject: str, data: bytes) -> None:
        self.messages.append((len(self.messages) + 1, subject, data))


def _fields(event: EventBase) -> dict[str, object]:
    return {name: getattr(event, name) for name in event.__struct_fields__}


class Tenant:
    def __init__(self, stream: Stream, slug: str, owner: str = "olga") -> None:
        self.stream, self.id, self.owner, self.slug = stream, uuid.uuid4(), owner, slug

    def requested(self, owner: str | None = None) -> None:
        owner = owner or self.owner
        self.stream.append(TenantRequested(
            tenant_id=self.id, owner=owner, actor=owner, name=f"Tenant {self.slug}",
            slug=self.slug, plan="free", admin_email=f"admin@{self.slug}.example"))

    def then(self, event_type: type[EventBase], owner: str | None = None,
             **fields: object) -> None:
        actor = "system" if event_type.__name__ not in _REQUESTS else self.owner
        self.stream.append(event_type(tenant_id=self.id, owner=owner or self.owner,
                                      actor=actor, **fields))


_REQUESTS = {t.__name__ for t in (TenantUpdateRequested, TenantRetryRequested,
                                  TenantDeletionRequested, TenantCancelRequested)}


def everyday_stream() -> Stream:
    """Every status, a slug freed and taken again, and what the projection skips."""
    stream = Stream()
    active, failed, deleted = (Tenant(stream, s) for s in ("alpha", "bravo", "charlie"))
    cancelled, pending, taker = (Tenant(stream, s) for s in ("delta", "echo", "charlie"))
    late = Tenant(stream, "bravo", owner="omar")  # asks for a slug that is taken
    for tenant in (active, failed, deleted, cancelled, late):
        tenant.requested()
    for tenant in (active, failed, deleted):
        tenant.then(TenantProvisioning, attempt=1)
    active.then(TenantProgress, stage="creating_database", percent=10)
    failed.then(TenantAttemptFailed, attempt=1, error="no disk", retry_at=T0)
    active.then(TenantActive, database="tenant_alpha")
    deleted.then(TenantActive, database="tenant_charlie")
    failed.then(TenantFailed, error="no disk", attempts=1)
    cancelled.then(TenantCancelRequested)
    cancelled.then(TenantCancelled)
    active.then(TenantUpdateRequested, changes=TenantChanges(plan="pro", name="Alpha Pro"))
    active.then(TenantUpdating)
    active.then(TenantUpdated, changes=TenantChanges(plan="pro", name="Alpha Pro"))
    failed.then(TenantRetryRequested)
    failed.then(TenantProvisioning, attempt=1)
    deleted.then(TenantDeletionRequested)
    deleted.then(TenantDeleting)
    deleted.then(TenantDeleted)
    taker.requested()  # charlie's slug, free again
    pending.requested()
    # Skipped: a forged owner, a payload on another tenant's subject, an undecodable
    # message, a tenant never requested, a request its tenant does not accept.
    active.then(TenantDeletionRequested, owner="mallory")
    stream.append(TenantDeletionRequested(tenant_id=pending.id, owner=pending.owner,
                                          actor=pending.owner),
                  subject=f"tenants.{active.id}.deletion_requested")
    stream.raw(f"tenants.{uuid.uuid4()}.requested", b"{not json")
    Tenant(stream, "ghost").then(TenantProgress, stage="migrating", percent=35)
    pending.then(TenantRetryRequested)
    failed.then(TenantActive, database="tenant_bravo")
    return stream


def slug_races() -> Stream:
    """Claims that depend on where batches end (apply_batch's claims see the rows as
    the batch before left them): only a fold given the same batches can agree."""
    stream = Stream()
    first, second, third = (Tenant(stream, "foxtrot") for _ in range(3))
    first.requested()
    first.then(TenantDeleted)
    first.requested()  # ignored by the fold, but it claims the slug again
    second.requested()  # takes it from a Deleted holder, or not, by batch
    second.then(TenantDeleted)
    third.requested()
    first.requested()
    return stream


@pytest.fixture
def own_nats() -> Iterator[NatsServer]:
    with temporary_nats_server("rebuild-fast-nats-") as server:
        yield server


async def _snapshot(conn: asyncpg.Connection) -> list[list[asyncpg.Record]]:
    return [list(await conn.fetch(query)) for query in READ_MODEL]


async def _publish(server: NatsServer, stream: Stream) -> int:
    nc = await nats.connect(**server.connect_options("admin"))
    try:
        js = nc.jetstream()
        await ensure_stream(js, replicas=1)
        for seq, subject, data in stream.messages:
            assert (await js.publish(subject, data, stream=STREAM_NAME)).seq == seq
    finally:
        await nc.close()
    return len(stream.messages)


async def _live_projection(server: NatsServer, database_url: str, head: int) -> None:
    nc = await nats.connect(**server.connect_options("api"))
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await create_schema(conn)

        async def stream_head() -> int:
            return head

        runner = ProjectionRunner(nc, pool, stream_head)
        task = asyncio.create_task(runner.run())
        try:
            await asyncio.wait_for(runner.caught_up.wait(), 20)
        finally:
            runner.stopping()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await pool.close()
        await nc.close()


async def test_rebuild_equals_the_live_projection(own_nats: NatsServer,
                                                  postgres: PostgresCluster) -> None:
    stream = everyday_stream()
    head = await _publish(own_nats, stream)
    live_url = await unique_database(postgres, "live")
    rebuilt_url = await unique_database(postgres, "rebuilt")
    await _live_projection(own_nats, live_url, head)
    report = await rebuild(rebuilt_url, nats_settings(nats_url_as(own_nats, "api")))
    assert (report.events, report.tenants) == (head, 7)

    live, rebuilt = await asyncpg.connect(live_url), await asyncpg.connect(rebuilt_url)
    try:
        expected = await _snapshot(live)
        assert await _snapshot(rebuilt) == expected
        # The stream did what it says: otherwise equal tables could prove little.
        statuses = sorted(r["status"] for r in expected[0])
        assert statuses == ["Active", "Active", "Cancelled", "Deleted", "Pending", "Pending",
                            "Pending"]
        claims = {r["slug"]: r["tenant_id"] for r in expected[1]}
        assert sorted(claims) == ["alpha", "bravo", "charlie", "delta", "echo"]
        owners = {r["id"]: r["owner"] for r in expected[0]}
        assert owners[claims["bravo"]] == "olga"  # omar's request came second
        assert expected[2][0]["last_seq"] == head
    finally:
        await live.close()
        await rebuilt.close()


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5, 100])
@pytest.mark.parametrize("make_stream", [everyday_stream, slug_races])
async def test_the_in_memory_fold_equals_apply_batch_batch_for_batch(
        postgres: PostgresCluster, batch_size: int, make_stream: Callable[[], Stream]) -> None:
    messages = make_stream().messages
    batches = [messages[i:i + batch_size] for i in range(0, len(messages), batch_size)]
    live = await asyncpg.connect(await unique_database(postgres, "live"))
    rebuilt = await asyncpg.connect(await unique_database(postgres, "rebuilt"))
    try:
        await create_schema(live)
        for batch in batches:
            await apply_batch(live, batch)
        await create_schema(rebuilt)
        image = ReadModelImage()
        for batch in batches:
            image.apply([(seq, decode_message(seq, subject, data))
                         for seq, subject, data in batch])
        async with rebuilt.transaction():
            await recreate_read_model(rebuilt)
            await read_model.fill_empty(rebuilt, image.tenants.values(), image.slugs.items())
            await read_model.set_applied_seq(rebuilt, len(messages))
        assert await _snapshot(rebuilt) == await _snapshot(live)
    finally:
        await live.close()
        await rebuilt.close()
