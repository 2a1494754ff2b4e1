"""A tenant's history as read from the stream: its events in stream order, and how
far the read went."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from tenant_contracts.events import EventBase


class History(tuple[tuple[int, EventBase], ...]):
    """A tenant's events in stream order, and the seq of the last message read on its
    subjects, counting the ones skipped (unreadable, or poison: not the tenant's own):
    NATS counts every message for Nats-Expected-Last-Subject-Sequence, so appends must
    expect `last_seq`, not the seq of the last event kept."""

    last_seq: int
    skipped: tuple[int, ...]

    def __new__(cls, events: Iterable[tuple[int, EventBase]], last_seq: int,
                skipped: Iterable[int] = ()) -> History:
        history = super().__new__(cls, events)
        history.last_seq = last_seq
        history.skipped = tuple(skipped)
        return history

    @property
    def events(self) -> list[tuple[int, EventBase]]:
        return list(self)

    def seq_of(self, event_id: uuid.UUID) -> int | None:
        """The stream seq at which this event was stored, if it is in the history."""
        for seq, event in self:
            if event.event_id == event_id:
                return seq
        return None
