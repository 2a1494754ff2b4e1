"""The read model held in memory while a rebuild replays the stream (pure: no I/O).

Batch by batch it becomes what apply_batch makes of an empty read model: the same
fold (folding.fold_batch), and slug claims taken and released as read_model's
claim_slug and release_slug do. The rebuild then writes it in one go.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from tenant_api.folding import fold_batch
from tenant_contracts.events import EventBase
from tenant_contracts.tenant import Status, Tenant


@dataclass
class ReadModelImage:
    # Memory: a Tenant and a slug claim per tenant, about 800 bytes with their strings
    # (tracemalloc, 3,000 tenants of the bench); events are dropped once folded.
    tenants: dict[uuid.UUID, Tenant] = field(default_factory=dict)
    slugs: dict[str, uuid.UUID] = field(default_factory=dict)  # slug_claims

    def apply(self, events: Sequence[tuple[int, EventBase | None]]) -> None:
        """Apply one batch, as apply_batch does (None = undecodable)."""
        changes = fold_batch(self.tenants, events)
        for claim, slug, tenant_id in changes.slugs:
            holder = self.slugs.get(slug)
            if claim:
                # claim_slug: taken unless a tenant that is not Deleted holds it.
                if holder is None or holder == tenant_id or self._deleted(holder):
                    self.slugs[slug] = tenant_id
            elif holder == tenant_id:  # release_slug
                del self.slugs[slug]
        # After the claims: apply_batch upserts the rows after claiming, so its claims
        # see each holder's status as the batch before left it; so do ours.
        self.tenants.update(changes.tenants)

    def _deleted(self, tenant_id: uuid.UUID) -> bool:
        tenant = self.tenants.get(tenant_id)
        return tenant is not None and tenant.status == Status.DELETED
