"""Which stored messages a consumer must ignore, even if they decode (SPEC section 2):
an event whose payload does not belong on its subject, or whose `owner` is not the
one its tenant's TenantRequested recorded. Even a principal allowed to append cannot
move a tenant to another user's list or socket that way."""

from __future__ import annotations

from tenant_contracts.events import EventBase
from tenant_contracts.subjects import event_subject


def poison_reason(subject: str, event: EventBase, recorded_owner: str | None) -> str | None:
    """Why the event must be ignored, or None. `recorded_owner` is the owner of the
    tenant's TenantRequested (None while it is unknown, e.g. for that event itself)."""
    expected = event_subject(event)
    if subject != expected:
        return f"payload of {expected} stored on {subject}"
    return owner_reason(event, recorded_owner)


def owner_reason(event: EventBase, recorded_owner: str | None) -> str | None:
    """The owner half of poison_reason, for a consumer that has checked the subject
    already (the projection's fold: formatting the subject again costs a replay)."""
    if recorded_owner is not None and event.owner != recorded_owner:
        return f"owner {event.owner!r} is not the tenant's owner {recorded_owner!r}"
    return None
