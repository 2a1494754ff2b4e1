"""Requests that append to the stream: create, update, retry, delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg

from tenant_api import idempotency, read_model
from tenant_api.decisions import (
    History,
    InvalidRequest,
    TenantConflict,
    check_create,
    current_state,
    fingerprint,
    new_tenant,
    visible,
)
from tenant_api.event_store import EventStore, WrongLastSequence
from tenant_api.tracing import TraceContext
from tenant_api.wire import CreateTenant
from tenant_contracts.access import Principal
from tenant_contracts.events import EventBase
from tenant_contracts.tenant import Tenant, apply

Decide = Callable[[History, Principal], EventBase]
MAX_ATTEMPTS = 5


class IdempotencyKeyReused(InvalidRequest):
    """The same Idempotency-Key came back with a different body."""


class TenantCommands:
    def __init__(self, store: EventStore, pool: asyncpg.Pool,
                 on_append: Callable[[EventBase], None] = lambda event: None) -> None:
        self._store = store
        self._pool = pool
        self._on_append = on_append

    async def create(self, principal: Principal, body: CreateTenant, key: str | None,
                     trace: TraceContext) -> Tenant:
        check_create(body)
        body_fingerprint = fingerprint(body)
        async with self._pool.acquire() as conn:
            for _ in range(MAX_ATTEMPTS):
                if key is not None:
                    known = await idempotency.find(conn, principal.sub, key)
                    if known is not None:
                        if known.fingerprint != body_fingerprint:
                            raise IdempotencyKeyReused(
                                "this Idempotency-Key was used with a different body")
                        return await self._current(conn, known.tenant_id)
                event = new_tenant(body, principal)
                # One transaction holds the key and the slug across the append: a
                # concurrent request for either waits, then sees the outcome.
                async with conn.transaction():
                    if key is not None and not await idempotency.reserve(
                            conn, principal.sub, key, body_fingerprint, event.tenant_id):
                        continue  # a concurrent request with this key won: replay it
                    if not await read_model.claim_slug(conn, body.slug, event.tenant_id):
                        raise TenantConflict(f"slug {body.slug!r} is taken")
                    seq = await self._store.append(event, 0, *trace)
                    self._on_append(event)
                    tenant = apply(None, event, seq)
                    # Read your writes: the row exists before the 202 leaves.
                    await read_model.upsert(conn, [tenant])
                return tenant
        raise TenantConflict("concurrent requests with this Idempotency-Key; try again")

    async def _current(self, conn: asyncpg.Connection, tenant_id: uuid.UUID) -> Tenant:
        tenant = await read_model.get(conn, tenant_id)
        if tenant is None:  # the key and the row commit together, but the stream decides
            tenant = current_state((await self._store.history(tenant_id)).events)
        assert tenant is not None
        return tenant

    async def change(self, principal: Principal, tenant_id: uuid.UUID, decide: Decide,
                     trace: TraceContext) -> Tenant:
        for _ in range(MAX_ATTEMPTS):
            history = await self._store.history(tenant_id)
            event = decide(history.events, principal)
            try:
                seq = await self._store.append(event, history.last_seq, *trace)
            except WrongLastSequence:
                continue  # someone appended first: decide again on the new history
            self._on_append(event)
            tenant = apply(visible(history.events, principal), event, seq)
            async with self._pool.acquire() as conn:
                await read_model.upsert(conn, [tenant])
            return tenant
        raise TenantConflict("the tenant keeps changing; try again")
