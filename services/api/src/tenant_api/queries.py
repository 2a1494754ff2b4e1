"""Reads: the read model for tenants, the stream for history."""

from __future__ import annotations

import uuid

import asyncpg

from tenant_api import read_model
from tenant_api.cursor import decode_cursor, encode_cursor
from tenant_api.decisions import TenantNotFound, visible
from tenant_api.wire import HistoryItem, TenantHistory, TenantPage
from tenant_contracts.access import Principal
from tenant_contracts.tenant import Status, Tenant
from tenant_stream.store import EventStore


class TenantQueries:
    def __init__(self, store: EventStore, pool: asyncpg.Pool) -> None:
        self._store = store
        self._pool = pool

    async def one(self, principal: Principal, tenant_id: uuid.UUID) -> Tenant:
        async with self._pool.acquire() as conn:
            tenant = await read_model.get(conn, tenant_id)
        if tenant is None or not principal.may_see(tenant.owner):
            raise TenantNotFound("no such tenant")
        return tenant

    async def page(self, principal: Principal, *, limit: int, cursor: str | None,
                   status: Status | None) -> TenantPage:
        after = decode_cursor(cursor) if cursor else None
        async with self._pool.acquire() as conn:
            # One snapshot for rows and seq: every event up to as_of is in the page.
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                as_of = await read_model.applied_seq(conn)
                rows = await read_model.page(
                    conn, owner=None if principal.is_admin else principal.sub,
                    status=status, after=after, limit=limit + 1)
        more = len(rows) > limit
        items = rows[:limit]
        next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
        return TenantPage(items=items, next_cursor=next_cursor, as_of=as_of)

    async def history(self, principal: Principal, tenant_id: uuid.UUID) -> TenantHistory:
        events = await self._store.history(tenant_id)
        visible(events, principal)
        return TenantHistory(items=[HistoryItem(seq=seq, event=e) for seq, e in events])  # type: ignore[arg-type]
