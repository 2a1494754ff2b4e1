from __future__ import annotations

import pytest

from tenant_notifier.window import Entry, EventWindow


def entry(seq: int, owner: str = "alice") -> Entry:
    return Entry(seq, owner, f"frame-{seq}".encode())


def everyone(owner: str, tenant: str) -> bool:
    return True


def test_an_empty_window_covers_its_floor_and_reaches_head_at_once() -> None:
    window = EventWindow(3, floor=10)
    assert window.covers(10) and not window.covers(9)
    assert window.scan(10, everyone, 5) == ([], 10, True)


def test_eviction_raises_the_floor_to_the_oldest_evicted_seq() -> None:
    window = EventWindow(3)
    for seq in (1, 2, 4, 7):  # gaps are allowed: seqs of other messages
        window.append(entry(seq))
    assert len(window) == 3
    assert window.floor == 1 and window.head == 7
    assert not window.covers(0) and window.covers(1)
    assert window.scan(1, everyone, 10) == ([b"frame-2", b"frame-4", b"frame-7"], 7, True)


def test_scan_returns_only_visible_entries_and_where_it_stopped() -> None:
    window = EventWindow(10)
    for seq, owner in ((1, "alice"), (2, "bob"), (3, "alice"), (4, "bob"), (5, "alice")):
        window.append(entry(seq, owner))

    def alice(owner: str, tenant: str) -> bool:
        return owner == "alice"

    assert window.scan(0, alice, 2) == ([b"frame-1", b"frame-3"], 4, False)
    assert window.scan(4, alice, 2) == ([b"frame-5"], 5, True)
    assert window.scan(1, lambda owner, tenant: False, 2) == ([], 5, True)


def test_a_cursor_beyond_the_head_reaches_head_with_the_cursor_kept() -> None:
    window = EventWindow(2)
    window.append(entry(1))
    assert window.scan(50, everyone, 2) == ([], 50, True)


def test_skip_moves_the_head_over_a_poison_message() -> None:
    window = EventWindow(2)
    window.append(entry(1))
    window.skip(2)
    assert window.head == 2
    assert window.scan(1, everyone, 5) == ([], 2, True)
    with pytest.raises(ValueError):
        window.append(entry(2))


def test_compaction_keeps_order_across_many_appends() -> None:
    window = EventWindow(4)
    for seq in range(1, 101):
        window.append(entry(seq))
    assert window.floor == 96
    assert window.scan(95, everyone, 10) == ([f"frame-{s}".encode() for s in range(97, 101)],
                                             100, True)
    assert window.scan(98, everyone, 1) == ([b"frame-99"], 99, False)
