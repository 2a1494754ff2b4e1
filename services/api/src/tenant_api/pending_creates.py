"""Creates whose append has no known outcome yet (table pending_creates).

A create records its TenantRequested here (reservation.reserve_create), with the
slug claim and the Idempotency-Key, in one transaction that commits before the event
is sent. So whatever happens to the append (a timeout during an election, a crash
of this process), the request can be finished later by sending the same event again,
and its client, told 503, finds the tenant by retrying with the same key or body.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from tenant_api import read_model
from tenant_contracts.codec import decode_event
from tenant_contracts.events import TenantRequested
from tenant_contracts.tenant import Tenant


@dataclass(frozen=True)
class PendingCreate:
    event: TenantRequested
    fingerprint: str


async def settle(pool: asyncpg.Pool, tenant: Tenant) -> None:
    """The created tenant's row (read_model.upsert) and the end of its pending create,
    in one statement: atomic, and one round trip instead of four."""
    await pool.execute(
        f"""WITH settled AS (DELETE FROM pending_creates WHERE tenant_id = $1)
            {read_model.UPSERT_ID_FIRST}""", *read_model.row(tenant))


async def forget(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM pending_creates WHERE tenant_id = $1", tenant_id)


def _pending(record: asyncpg.Record | None) -> PendingCreate | None:
    if record is None:
        return None
    event = decode_event(bytes(record["event"]))
    assert isinstance(event, TenantRequested)
    return PendingCreate(event, record["fingerprint"])


async def find(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> PendingCreate | None:
    return _pending(await conn.fetchrow(
        "SELECT event, fingerprint FROM pending_creates WHERE tenant_id = $1", tenant_id))


async def older_than(pool: asyncpg.Pool, seconds: float, limit: int = 100) -> list[PendingCreate]:
    rows = await pool.fetch(
        """SELECT event, fingerprint FROM pending_creates
           WHERE created_at < now() - make_interval(secs => $1)
           ORDER BY created_at LIMIT $2""", seconds, limit)
    return [p for p in map(_pending, rows) if p is not None]
