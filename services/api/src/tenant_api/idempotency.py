"""Idempotency-Key records: (user, key) -> the request's fingerprint and its tenant.

A create finds, records and repoints them in reservation.reserve_create."""

from __future__ import annotations

import asyncpg

KEY_LIFETIME = "24 hours"


async def forget(conn: asyncpg.Connection, owner: str, key: str) -> None:
    """The key's request was not stored: a retry with it starts afresh."""
    await conn.execute("DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2", owner, key)


async def purge_expired(pool: asyncpg.Pool) -> int:
    """Delete the records no request can match any more; returns how many."""
    status = await pool.execute(
        f"DELETE FROM idempotency_keys WHERE created_at <= now() - interval '{KEY_LIFETIME}'")
    return int(status.split()[-1])
