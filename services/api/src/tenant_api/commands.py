"""Requests that append to the stream: create, update, retry, delete.

Every answer tells the truth: a returned tenant means its event is stored, once.
An append whose outcome stays unknown past its deadline raises OutcomeUnknown
(503); the same request retried with the same Idempotency-Key (a create: or with
the same body) then answers with what was stored and appends nothing new.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import asyncpg
import msgspec

from tenant_api import idempotency, pending_creates, read_model, reservation
from tenant_api.decisions import (
    History,
    TenantConflict,
    check_create,
    current_state,
    fingerprint,
    new_tenant,
    visible,
)
from tenant_api.limits import Limits
from tenant_api.tracing import TraceContext
from tenant_api.wire import CreateTenant
from tenant_contracts.access import Principal
from tenant_contracts.events import EventBase, TenantRequested
from tenant_contracts.tenant import Tenant, apply
from tenant_stream.event_log import Conflict, NotStored, OutcomeUnknown
from tenant_stream.store import EventStore

log = logging.getLogger(__name__)

Decide = Callable[[History, Principal], EventBase]
MAX_ATTEMPTS = 5
# The namespace of event ids derived from an Idempotency-Key (PATCH, retry, DELETE).
NO_TRACE: TraceContext = ("", None)  # the sweeper's resend: no caller to trace
KEYED_EVENTS = uuid.UUID("6f4f6f53-6a1e-4a47-9d35-0c5f3d0f6b1e")


class RequestOutcomeUnknown(Exception):
    """The append was sent and its outcome could not be told by the deadline."""

    def __init__(self, tenant_id: uuid.UUID, detail: str) -> None:
        super().__init__(detail)
        self.tenant_id = tenant_id


class TenantCommands:
    def __init__(self, store: EventStore, pool: asyncpg.Pool,
                 on_append: Callable[[EventBase], None] = lambda event: None,
                 limits: Limits | None = None) -> None:
        self._store = store
        self._pool = pool
        self._limits = limits or Limits()
        self._on_append = on_append

    async def create(self, principal: Principal, body: CreateTenant, key: str | None,
                     trace: TraceContext) -> Tenant:
        check_create(body)
        body_fingerprint = fingerprint(body)
        for _ in range(MAX_ATTEMPTS):
            # The pool connection is held for the reservation only, never across the
            # append: a slow or unknown append must not starve the other requests.
            async with self._pool.acquire() as conn:
                # One round trip, one transaction: the key, the slug, the limits and the
                # pending create commit before the append, so an append with an unknown
                # outcome can be finished by whoever finds them.
                step = await reservation.reserve(conn, principal, new_tenant(body, principal),
                                                 body_fingerprint, key, self._limits)
            if isinstance(step, uuid.UUID):
                return await self._settled(step, trace)
            if step is not None:
                # Either our own new event, or the same request sent before without a
                # key whose answer was lost: the client's retry finishes it.
                return await self._send_create(step, trace, key)
        raise TenantConflict("concurrent requests with this Idempotency-Key; try again")

    async def _send_create(self, event: TenantRequested, trace: TraceContext,
                           key: str | None = None) -> Tenant:
        try:
            seq = await self._store.append(event, 0, *trace)
        except NotStored:
            # Refused every time: nothing is stored, so the slug and key are free again.
            async with self._pool.acquire() as conn, conn.transaction():
                await read_model.release_slug(conn, event.slug, event.tenant_id)
                await pending_creates.forget(conn, event.tenant_id)
                if key is not None:
                    await idempotency.forget(conn, event.owner, key)
            raise
        except (OutcomeUnknown, Conflict) as exc:
            # Conflict: another event is stored at this brand-new tenant's first seq,
            # which only a hand-made message can do; leave it to the sweeper to log.
            raise RequestOutcomeUnknown(event.tenant_id, str(exc)) from exc
        self._on_append(event)
        tenant = apply(None, event, seq)
        # Read your writes: the row exists before the 202 leaves (one statement: the
        # row and the end of the pending create, together).
        await pending_creates.settle(self._pool, tenant)
        return tenant

    async def _settled(self, tenant_id: uuid.UUID, trace: TraceContext) -> Tenant:
        """The tenant a key recorded: from the read model, or by finishing its create."""
        async with self._pool.acquire() as conn:
            tenant = await read_model.get(conn, tenant_id)
            pending = None if tenant is not None else await pending_creates.find(conn,
                                                                                tenant_id)
        if tenant is not None:
            return tenant
        if pending is not None:
            return await self._send_create(pending.event, trace)
        tenant = current_state(await self._store.history(tenant_id))
        if tenant is None:
            raise RequestOutcomeUnknown(tenant_id, "the request is not settled yet")
        return tenant

    async def finish_pending(self, older_than_seconds: float) -> int:
        """Send again the creates whose outcome nobody learnt (the api crashed, or its
        client gave up): each ends stored exactly once. Returns how many settled."""
        settled = 0
        for pending in await pending_creates.older_than(self._pool, older_than_seconds):
            try:
                await self._send_create(pending.event, NO_TRACE)
                settled += 1
            except (RequestOutcomeUnknown, NotStored) as exc:
                log.warning("pending create of tenant %s still unsettled: %s",
                            pending.event.tenant_id, exc)
        return settled

    async def change(self, principal: Principal, tenant_id: uuid.UUID, decide: Decide,
                     trace: TraceContext, key: str | None = None) -> Tenant:
        # With a key, the event id is derived from it: a retry finds its event stored.
        keyed_id = uuid.uuid5(KEYED_EVENTS, f"{tenant_id}/{principal.sub}/{key}") \
            if key is not None else None
        for _ in range(MAX_ATTEMPTS):
            history = await self._store.history(tenant_id)
            if keyed_id is not None and history.seq_of(keyed_id) is not None:
                return visible(history, principal)  # stored before: append nothing
            event = decide(history, principal)
            if keyed_id is not None:
                event = msgspec.structs.replace(event, event_id=keyed_id)
            try:
                seq = await self._store.append(event, history.last_seq, *trace)
            except Conflict:
                continue  # someone appended first: decide again on the new history
            except OutcomeUnknown as exc:
                raise RequestOutcomeUnknown(tenant_id, str(exc)) from exc
            self._on_append(event)
            tenant = apply(visible(history, principal), event, seq)
            async with self._pool.acquire() as conn:
                await read_model.upsert(conn, [tenant])
            return tenant
        raise TenantConflict("the tenant keeps changing; try again")
