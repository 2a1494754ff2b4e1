"""The notifier's bounded memory of the most recent events of the stream.

Invariant: every event the stream holds with floor < seq <= head is here, in
order. A session resuming with after >= floor is served from memory; one that
is further behind reads the stream itself until it reaches the window.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import NamedTuple


class Entry(NamedTuple):
    seq: int
    owner: str
    frame: bytes  # encoded once, shared by every session that receives it
    tenant: str = ""  # the event's tenant_id, for sessions that follow some tenants


class EventWindow:
    def __init__(self, capacity: int, floor: int = 0) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.floor = floor
        self.head = floor
        self._entries: list[Entry] = []
        self._seqs: list[int] = []  # parallel to _entries, for bisect
        self._start = 0  # index of the oldest kept entry; the prefix is dropped lazily

    def __len__(self) -> int:
        return len(self._entries) - self._start

    def covers(self, after: int) -> bool:
        return after >= self.floor

    def append(self, entry: Entry) -> None:
        if entry.seq <= self.head:
            raise ValueError(f"seq {entry.seq} is not after head {self.head}")
        self._entries.append(entry)
        self._seqs.append(entry.seq)
        self.head = entry.seq
        if len(self) > self.capacity:
            self.floor = self._seqs[self._start]
            self._start += 1
            if self._start >= self.capacity:  # amortised O(1) compaction
                del self._entries[: self._start]
                del self._seqs[: self._start]
                self._start = 0

    def skip(self, seq: int) -> None:
        """A stream message that is not an event (poison): the head moves past it."""
        if seq > self.head:
            self.head = seq

    def scan(
        self, after: int, visible: Callable[[str, str], bool], limit: int
    ) -> tuple[list[bytes], int, bool]:
        """Up to `limit` frames of visible entries with seq > after.

        Returns (frames, scanned_to, reached_head): scanned_to is the seq up to
        which every event was either returned or is invisible, so the caller
        continues from there; reached_head says nothing newer is in memory.
        Requires covers(after).
        """
        frames: list[bytes] = []
        scanned_to = after
        first = bisect_right(self._seqs, after, lo=self._start)
        for index in range(first, len(self._entries)):
            entry = self._entries[index]
            if visible(entry.owner, entry.tenant):
                if len(frames) == limit:
                    return frames, scanned_to, False
                frames.append(entry.frame)
            scanned_to = entry.seq
        return frames, max(scanned_to, self.head), True
