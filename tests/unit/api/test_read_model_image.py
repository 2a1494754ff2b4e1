"""The rebuild's in-memory read model: slug claims as claim_slug makes them, and a
feed that skips a seq fails the rebuild instead of folding past it."""

from __future__ import annotations

import uuid

import pytest

from tenant_api.read_model_image import ReadModelImage
from tenant_api.rebuild import RebuildGap, _apply
from tenant_contracts.codec import encode_event
from tenant_contracts.events import EventBase, TenantDeleted, TenantRequested
from tenant_contracts.subjects import event_subject


def _requested(tenant_id: uuid.UUID, slug: str) -> TenantRequested:
    return TenantRequested(tenant_id=tenant_id, owner="o", actor="o", name="n", slug=slug,
                           plan="free", admin_email="a@b.c")


def _deleted(tenant_id: uuid.UUID) -> TenantDeleted:
    return TenantDeleted(tenant_id=tenant_id, owner="o", actor="system")


def test_a_claim_sees_its_holder_as_the_batch_before_left_it() -> None:
    old, new = uuid.uuid4(), uuid.uuid4()
    # old is Deleted, then claims its slug again (a repeated request: ignored by the
    # fold, but claimed), then new asks for it.
    events: list[tuple[int, EventBase | None]] = [
        (1, _requested(old, "acme")), (2, _deleted(old)), (3, _requested(old, "acme")),
        (4, _requested(new, "acme"))]
    one_batch = ReadModelImage()
    one_batch.apply(events)
    # In one batch the SQL still sees old as Pending when new claims: old keeps it.
    assert one_batch.slugs == {"acme": old}
    by_batches = ReadModelImage()
    by_batches.apply(events[:3])
    by_batches.apply(events[3:])
    assert by_batches.slugs == {"acme": new}
    by_batches.apply([(5, _deleted(old))])  # a release by another tenant frees nothing
    assert by_batches.slugs == {"acme": new}


def _message(seq: int, event: EventBase) -> tuple[int, str, bytes]:
    return seq, event_subject(event), encode_event(event)


def test_the_rebuild_fails_on_a_gap_and_skips_redeliveries() -> None:
    tenant = uuid.uuid4()
    image = ReadModelImage()
    first = [_message(1, _requested(tenant, "acme")), _message(2, _deleted(tenant))]
    assert _apply(image, 0, first) == 2
    assert _apply(image, 2, first) == 2  # delivered again: nothing happens
    assert image.tenants[tenant].version == 2
    with pytest.raises(RebuildGap, match="from seq 2 to 4"):
        _apply(image, 2, [_message(4, _requested(uuid.uuid4(), "other"))])
