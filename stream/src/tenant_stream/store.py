"""What the orchestration needs of the stream: the seam between the services'
decisions and the stream adapter. `EventLog` (NATS) and `MemoryEventLog` (tests)
both satisfy it; the contract suite in tests/contract holds them to the same rules."""

from __future__ import annotations

import uuid
from typing import Protocol

from tenant_contracts.events import EventBase
from tenant_contracts.history import History
from tenant_stream.event_log import StoredMessage


class EventStore(Protocol):
    async def head(self) -> int: ...

    async def history(self, tenant_id: uuid.UUID, *, at_least: int = 0,
                      deadline: float | None = None) -> History: ...

    async def append(self, event: EventBase, expected_last_seq: int,
                     traceparent: str | None = None, tracestate: str | None = None, *,
                     deadline: float | None = None) -> int: ...

    async def message(self, seq: int) -> StoredMessage: ...
