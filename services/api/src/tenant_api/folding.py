"""What a batch of stream events does to the read model (pure: no I/O)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tenant_contracts.events import EventBase, TenantDeleted, TenantRequested
from tenant_contracts.poison import owner_reason
from tenant_contracts.tenant import NotRequested, Tenant, apply

log = logging.getLogger(__name__)


@dataclass
class BatchChanges:
    tenants: dict[uuid.UUID, Tenant] = field(default_factory=dict)  # only changed rows
    # (claim?, slug, tenant) in stream order: a slug can be released and taken again
    # by another tenant within one batch.
    slugs: list[tuple[bool, str, uuid.UUID]] = field(default_factory=list)
    ignored: int = 0


def fold_batch(
    current: Mapping[uuid.UUID, Tenant], events: Sequence[tuple[int, EventBase | None]]
) -> BatchChanges:
    """Apply events (None = undecodable) on top of the rows as they are now.

    An event at or below a row's version is already in it (a request handler
    wrote that row first, or this is a replay): skipping it keeps this idempotent.
    """
    changes = BatchChanges()
    for seq, event in events:
        if event is None:
            changes.ignored += 1
            continue
        before = changes.tenants.get(event.tenant_id) or current.get(event.tenant_id)
        if before is not None and seq <= before.version:
            continue
        # The owner is the first TenantRequested's: an event claiming another owner is
        # poison, or an allowed appender could move a tenant into someone else's list.
        # (Its subject was checked as it was decoded: projection.decode_message.)
        reason = owner_reason(event, before.owner if before else None)
        if reason is not None:
            log.warning("skipping poison event at seq %d: %s", seq, reason)
            changes.ignored += 1
            continue
        try:
            after = apply(before, event, seq)
        except NotRequested:
            # A poison event must not stop the projection; it stays in the stream for
            # anyone to inspect, and the row is simply never created from it.
            log.warning("ignoring %s at seq %d: tenant %s was never requested",
                        type(event).__name__, seq, event.tenant_id)
            changes.ignored += 1
            continue
        changes.tenants[event.tenant_id] = after
        if isinstance(event, TenantRequested):
            changes.slugs.append((True, after.slug, after.id))
        elif isinstance(event, TenantDeleted):
            changes.slugs.append((False, after.slug, after.id))
    return changes
