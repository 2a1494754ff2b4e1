"""The tenants table: the Tenant shape of tenant_contracts, one row per tenant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

import asyncpg
import msgspec

from tenant_api.ddl import PROJECTION
from tenant_contracts.tenant import Status, Tenant

COLUMNS: tuple[str, ...] = tuple(f.name for f in msgspec.structs.fields(Tenant))
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM tenants"
# Every writer (projection, request handlers, rebuild) writes the fold at some seq;
# a row only ever moves forward, so their races are harmless.
_UPSERT = f"""
INSERT INTO tenants ({', '.join(COLUMNS)})
VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))})
ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in COLUMNS if c != 'id')}
WHERE tenants.version < EXCLUDED.version
"""


# _UPSERT, for callers that put it after a CTE that uses $1 as the tenant id.
if COLUMNS[0] != "id":
    raise RuntimeError("Tenant's first field is no longer id: UPSERT_ID_FIRST needs it")
UPSERT_ID_FIRST = _UPSERT


def to_tenant(record: asyncpg.Record) -> Tenant:
    values = dict(record)
    values["id"] = uuid.UUID(str(values["id"]))
    return msgspec.convert(values, Tenant)


def row(tenant: Tenant) -> tuple[object, ...]:
    return tuple(
        str(value) if isinstance(value, Status) else value
        for value in (getattr(tenant, c) for c in COLUMNS)
    )


async def upsert(conn: asyncpg.Connection, tenants: Iterable[Tenant]) -> None:
    rows = [row(t) for t in tenants]
    if rows:
        await conn.executemany(_UPSERT, rows)


async def fill_empty(conn: asyncpg.Connection, tenants: Iterable[Tenant],
                     slugs: Iterable[tuple[str, uuid.UUID]]) -> None:
    """COPY rows and slug claims into tables that are empty (a rebuild's new ones):
    one round trip each instead of a statement per row."""
    # astuple: a tenth of row()'s cost, and the columns are the fields in order; the
    # COPY encoder takes the Status (a str) as it is.
    await conn.copy_records_to_table("tenants", records=map(msgspec.structs.astuple, tenants),
                                     columns=COLUMNS)
    await conn.copy_records_to_table("slug_claims", records=slugs,
                                     columns=("slug", "tenant_id"))


async def get(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> Tenant | None:
    record = await conn.fetchrow(f"{_SELECT} WHERE id = $1", tenant_id)
    return to_tenant(record) if record else None


async def lock_many(conn: asyncpg.Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Tenant]:
    records = await conn.fetch(f"{_SELECT} WHERE id = ANY($1::uuid[]) FOR UPDATE", list(ids))
    return {t.id: t for t in map(to_tenant, records)}


async def page(
    conn: asyncpg.Connection, *, owner: str | None, status: Status | None,
    after: tuple[datetime, uuid.UUID] | None, limit: int,
) -> list[Tenant]:
    """Newest first; `owner` None means every tenant (admins)."""
    conditions: list[str] = []
    args: list[object] = []
    if owner is not None:
        args.append(owner)
        conditions.append(f"owner = ${len(args)}")
    if status is not None:
        args.append(str(status))
        conditions.append(f"status = ${len(args)}")
    if after is not None:
        args.extend(after)
        conditions.append(f"(created_at, id) < (${len(args) - 1}, ${len(args)})")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    args.append(limit)
    records = await conn.fetch(
        f"{_SELECT}{where} ORDER BY created_at DESC, id DESC LIMIT ${len(args)}", *args)
    return [to_tenant(r) for r in records]


async def applied_seq(conn: asyncpg.Connection, *, for_update: bool = False) -> int:
    lock = " FOR UPDATE" if for_update else ""
    seq = await conn.fetchval(
        f"SELECT last_seq FROM projection_state WHERE name = $1{lock}", PROJECTION)
    return int(seq or 0)


async def set_applied_seq(conn: asyncpg.Connection, seq: int) -> None:
    await conn.execute("UPDATE projection_state SET last_seq = $2 WHERE name = $1",
                       PROJECTION, seq)


async def claim_slug(conn: asyncpg.Connection, slug: str, tenant_id: uuid.UUID) -> bool:
    """Take the slug unless a tenant that is not Deleted holds it.

    The primary key makes a concurrent claimant wait for this transaction, so two
    requests for one slug can never both succeed.
    """
    holder = await conn.fetchval(
        """
        INSERT INTO slug_claims (slug, tenant_id) VALUES ($1, $2)
        ON CONFLICT (slug) DO UPDATE SET tenant_id = EXCLUDED.tenant_id
            WHERE slug_claims.tenant_id = EXCLUDED.tenant_id
               OR EXISTS (SELECT 1 FROM tenants t
                          WHERE t.id = slug_claims.tenant_id AND t.status = 'Deleted')
        RETURNING tenant_id
        """, slug, tenant_id)
    return holder is not None


async def release_slug(conn: asyncpg.Connection, slug: str, tenant_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM slug_claims WHERE slug = $1 AND tenant_id = $2",
                       slug, tenant_id)
