"""An in-memory event log that enforces JetStream's rules, for unit tests of the
orchestration (the provisioner's processor, the api's commands) with injected faults.

It keeps what the real stream keeps and refuses what it refuses: a stream seq per
message; Nats-Expected-Last-Subject-Sequence on `tenants.<id>.>` checked before
de-duplication (so a resend of a stored event is refused with a conflict, exactly
as 10071 is); Nats-Msg-Id de-duplication. `fail_next` injects the faults a cluster
makes: a publish whose answer is lost after it was stored, or one refused outright.
The contract suite (tests/contract) runs the same assertions against this log, a
nats-server and a three-node cluster.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from tenant_contracts.codec import encode_event
from tenant_contracts.events import EventBase
from tenant_contracts.history import History
from tenant_contracts.subjects import event_subject
from tenant_stream.event_log import (
    Conflict,
    NotStored,
    OutcomeUnknown,
    StoredMessage,
    as_history,
)


class Fault(Enum):
    LOST_ANSWER = "stored, but the answer never arrives"
    REFUSED = "not stored: no leader answered"


@dataclass
class MemoryEventLog:
    messages: list[StoredMessage] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    on_append: Callable[[StoredMessage], None] | None = None

    def fail_next(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    async def head(self) -> int:
        return len(self.messages)

    async def history(self, tenant_id: uuid.UUID, *, at_least: int = 0,
                      deadline: float | None = None) -> History:
        prefix = f"tenants.{tenant_id}."
        return as_history(tenant_id, [m for m in self.messages if m.subject.startswith(prefix)])

    async def message(self, seq: int) -> StoredMessage:
        return self.messages[seq - 1]

    async def append(self, event: EventBase, expected_last_seq: int,
                     traceparent: str | None = None, tracestate: str | None = None, *,
                     deadline: float | None = None) -> int:
        # Like EventLog.append: a lost answer is resent; a resend of a stored event is
        # refused (the sequence no longer matches) and settled from the history.
        maybe_stored = False
        while True:
            fault = self.faults.pop(0) if self.faults else None
            if fault is Fault.REFUSED:
                if maybe_stored:
                    raise OutcomeUnknown(f"{event.event_id}: refused on resend")
                raise NotStored(f"{event.event_id}: {fault.value}")
            try:
                seq = self._store(event, expected_last_seq, traceparent)
            except Conflict:
                history = await self.history(event.tenant_id)
                stored = history.seq_of(event.event_id)
                if stored is not None:
                    return stored
                raise Conflict(f"tenant {event.tenant_id} moved on", history) from None
            if fault is Fault.LOST_ANSWER:
                maybe_stored = True
                continue  # the answer is lost: send again, as the real log does
            return seq

    def _store(self, event: EventBase, expected_last_seq: int, traceparent: str | None) -> int:
        prefix = f"tenants.{event.tenant_id}."
        last = max((m.seq for m in self.messages if m.subject.startswith(prefix)), default=0)
        if last != expected_last_seq:  # checked before de-duplication, as JetStream does
            raise Conflict(f"wrong last sequence: {last}")
        for stored in self.messages:  # de-duplication: the first one's seq again
            if stored.headers.get("Nats-Msg-Id") == str(event.event_id):
                return stored.seq
        headers = {"Nats-Msg-Id": str(event.event_id)}
        if traceparent:
            headers["traceparent"] = traceparent
        message = StoredMessage(len(self.messages) + 1, event_subject(event),
                                encode_event(event), headers)
        self.messages.append(message)
        if self.on_append is not None:
            self.on_append(message)
        return message.seq
