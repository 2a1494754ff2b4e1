"""Idempotency-Key records: (user, key) -> the request's fingerprint and its tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

KEY_LIFETIME = "24 hours"


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    tenant_id: uuid.UUID


async def find(conn: asyncpg.Connection, owner: str, key: str) -> KeyRecord | None:
    record = await conn.fetchrow(
        f"""SELECT fingerprint, tenant_id FROM idempotency_keys
            WHERE owner = $1 AND key = $2 AND created_at > now() - interval '{KEY_LIFETIME}'""",
        owner, key)
    if record is None:
        return None
    return KeyRecord(record["fingerprint"], uuid.UUID(str(record["tenant_id"])))


async def reserve(conn: asyncpg.Connection, owner: str, key: str, fingerprint: str,
                  tenant_id: uuid.UUID) -> bool:
    """Record the key in the caller's transaction; False if another request holds it.

    A concurrent request with the same key waits on the primary key until this
    transaction ends, then finds the committed record (or takes the key over).
    """
    inserted = await conn.fetchval(
        f"""INSERT INTO idempotency_keys (owner, key, fingerprint, tenant_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (owner, key) DO UPDATE
                SET fingerprint = EXCLUDED.fingerprint, tenant_id = EXCLUDED.tenant_id,
                    created_at = now()
                WHERE idempotency_keys.created_at <= now() - interval '{KEY_LIFETIME}'
            RETURNING 1""",
        owner, key, fingerprint, tenant_id)
    return inserted is not None


async def repoint(conn: asyncpg.Connection, owner: str, key: str, tenant_id: uuid.UUID) -> None:
    """The key's request turned out to be one sent before (its outcome was unknown)."""
    await conn.execute("UPDATE idempotency_keys SET tenant_id = $3 WHERE owner = $1 AND key = $2",
                       owner, key, tenant_id)


async def forget(conn: asyncpg.Connection, owner: str, key: str) -> None:
    """The key's request was not stored: a retry with it starts afresh."""
    await conn.execute("DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2", owner, key)


async def purge_expired(pool: asyncpg.Pool) -> int:
    """Delete the records no request can match any more; returns how many."""
    status = await pool.execute(
        f"DELETE FROM idempotency_keys WHERE created_at <= now() - interval '{KEY_LIFETIME}'")
    return int(status.split()[-1])
