"""Projection of the stream into the read model: apply batches, track the last seq."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg

from tenant_api import read_model
from tenant_api.folding import fold_batch
from tenant_contracts.codec import UndecodableEvent, decode_event
from tenant_contracts.events import EventBase
from tenant_contracts.poison import poison_reason

log = logging.getLogger(__name__)

StreamMessage = tuple[int, str, bytes]  # (stream seq, subject, payload)


class OutOfStep(Exception):
    """The read model is not where the consumer thought (e.g. a rebuild): restart from it."""

    def __init__(self, applied_seq: int) -> None:
        super().__init__(f"read model is at seq {applied_seq}")
        self.applied_seq = applied_seq


def decode_message(seq: int, subject: str, data: bytes) -> EventBase | None:
    """The event, or None for poison (the live projection and the rebuild alike)."""
    try:
        event = decode_event(data)
    except UndecodableEvent as exc:
        # Poison: counted and skipped so that the projection never stops on it.
        log.warning("skipping undecodable event at seq %d: %s", seq, exc)
        return None
    # A payload for another tenant than its subject's: whoever appended it may write
    # that subject, not that tenant (the owner is checked against the row in the fold).
    reason = poison_reason(subject, event, None)
    if reason is not None:
        log.warning("skipping poison event at seq %d: %s", seq, reason)
        return None
    return event


def consecutive(messages: list[StreamMessage], applied: int) -> list[StreamMessage]:
    """The messages up to the first gap.

    Every message of the stream belongs to the projection and none is ever deleted,
    so a gap means a lost delivery: applying past it would skip events for good.
    The caller sees that less was applied than it gave and starts over from there.
    """
    for index, (seq, _, _) in enumerate(messages):
        if seq != applied + 1 + index:
            return messages[:index]
    return messages


async def apply_batch(conn: asyncpg.Connection, messages: Sequence[StreamMessage]) -> int:
    """Apply messages in one transaction, up to any gap; returns the seq now applied.

    The last applied seq is written in the same transaction as the rows, so a
    crash anywhere replays the batch exactly once.
    """
    async with conn.transaction():
        applied = await read_model.applied_seq(conn, for_update=True)
        fresh = consecutive([m for m in messages if m[0] > applied], applied)
        if not fresh:
            return applied
        events = [(seq, decode_message(seq, subject, data)) for seq, subject, data in fresh]
        ids = list({e.tenant_id for _, e in events if e is not None})
        # Only rows that exist are locked; a create handler claims its slug before it
        # inserts a brand-new row, so it never waits for us while we wait for it.
        current = await read_model.lock_many(conn, ids) if ids else {}
        changes = fold_batch(current, events)
        for claim, slug, tenant_id in changes.slugs:
            if claim:
                await read_model.claim_slug(conn, slug, tenant_id)
            else:
                await read_model.release_slug(conn, slug, tenant_id)
        await read_model.upsert(conn, changes.tenants.values())
        await read_model.set_applied_seq(conn, fresh[-1][0])
        return fresh[-1][0]

