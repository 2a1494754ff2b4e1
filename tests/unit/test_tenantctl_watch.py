from __future__ import annotations

from tenantctl.watch import describe, unfold


def test_a_frame_with_a_trace_id_reads_as_one_without() -> None:
    event = {"type": "TenantProgress", "tenant_id": "6f0c", "stage": "migrating", "percent": 35}
    plain = {"type": "event", "seq": 4, "event": event}
    traced = {**plain, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}
    line = "     4 TenantProgress           6f0c migrating 35%"
    assert describe(traced) == describe(plain) == line


def test_an_events_frame_unfolds_into_its_frames_in_order() -> None:
    first = {"type": "event", "seq": 4, "event": {}}
    second = {"type": "event", "seq": 5, "event": {}}
    assert unfold({"type": "events", "items": [first, second]}) == [first, second]
    assert unfold(first) == [first]
