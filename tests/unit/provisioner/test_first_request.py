"""A request stored as its tenant's first message is handled without a history read
(its history is itself: JetStream stored it only on an empty tenant), and when
something was stored after it, the first append is refused and the processor reads
and decides exactly as it would have on a read."""

from __future__ import annotations

import uuid
from collections import Counter

from tenant_contracts.codec import encode_event
from tenant_contracts.events import (
    EventBase,
    TenantCancelRequested,
    TenantChanges,
    TenantProvisioning,
    TenantRequested,
)
from tenant_contracts.history import History
from tenant_contracts.subjects import append_headers, event_subject, tenant_filter
from tenant_contracts.tenant import Tenant
from tenant_provisioner.decision import Policy
from tenant_provisioner.processor import Done, Later, Processor
from tenant_provisioner.request import Request, parse_request
from tenant_stream.event_log import StoredMessage
from tenant_stream.memory import MemoryEventLog


class CountingLog(MemoryEventLog):
    """The in-memory log, counting the history reads the processor makes."""

    reads = 0

    async def history(self, tenant_id: uuid.UUID, *, at_least: int = 0,
                      deadline: float | None = None) -> History:
        self.reads += 1
        return await super().history(tenant_id, at_least=at_least, deadline=deadline)


class Databases:
    def __init__(self) -> None:
        self.stages: list[str] = []

    async def run_stage(self, stage: str, tenant: Tenant) -> None:
        self.stages.append(stage)

    async def apply_update(self, tenant: Tenant, changes: TenantChanges) -> None:
        self.stages.append("update")

    async def drop(self, tenant: Tenant) -> None:
        self.stages.append("drop")


def _event() -> TenantRequested:
    return TenantRequested(tenant_id=uuid.uuid4(), owner="alice", actor="alice", name="F",
                           slug="first", plan="free", admin_email="f@example.test")


async def _first(log: MemoryEventLog) -> Request:
    event = _event()
    seq = await log.append(event, 0)
    return parse_request(event_subject(event), encode_event(event), append_headers(event, 0),
                         seq)


def _store_behind(log: MemoryEventLog, event: EventBase) -> None:
    # Stored by someone else after the request, before the processor's first append.
    log.messages.append(StoredMessage(len(log.messages) + 1, event_subject(event),
                                      encode_event(event), {"Nats-Msg-Id": str(event.event_id)}))


def _kinds(log: MemoryEventLog) -> Counter[str]:
    return Counter(m.subject.rsplit(".", 1)[1] for m in log.messages)


def test_only_an_append_expecting_an_empty_tenant_proves_a_first_request() -> None:
    event = _event()
    subject, data = event_subject(event), encode_event(event)
    assert parse_request(subject, data, append_headers(event, 0), 7).first
    assert not parse_request(subject, data, append_headers(event, 3), 7).first
    assert not parse_request(subject, data, {}, 7).first
    # Expecting 0 on its own subject only proves no earlier *request* of that kind.
    headers = {**append_headers(event, 0),
               "Nats-Expected-Last-Subject-Sequence-Subject": subject}
    assert not parse_request(subject, data, headers, 7).first
    other = {**append_headers(event, 0),
             "Nats-Expected-Last-Subject-Sequence-Subject": tenant_filter(uuid.uuid4())}
    assert not parse_request(subject, data, other, 7).first


async def test_a_first_request_is_provisioned_without_reading_its_history() -> None:
    log, databases = CountingLog(), Databases()
    request = await _first(log)
    outcome = await Processor(store=log, databases=databases, policy=Policy()).process(request)
    assert isinstance(outcome, Done), outcome
    assert log.reads == 0
    assert _kinds(log) == {"requested": 1, "provisioning": 1, "progress": 4, "active": 1}


async def test_a_redelivered_first_request_reads_its_history() -> None:
    log, databases = CountingLog(), Databases()
    request = await _first(log)
    outcome = await Processor(store=log, databases=databases, policy=Policy()).process(
        request, delivery=2)
    assert isinstance(outcome, Done) and log.reads >= 1


async def test_a_cancel_stored_behind_the_request_is_met_before_any_work() -> None:
    log, databases = CountingLog(), Databases()
    request = await _first(log)
    _store_behind(log, TenantCancelRequested(tenant_id=request.tenant_id, owner="alice",
                                             actor="alice"))
    outcome = await Processor(store=log, databases=databases, policy=Policy()).process(request)
    assert outcome == Done("cancelled")
    assert log.reads >= 1
    assert _kinds(log) == {"requested": 1, "cancel_requested": 1, "cancelled": 1}
    assert databases.stages == ["drop"]


async def test_a_rival_stored_behind_the_request_is_decided_on_as_a_read_would() -> None:
    # Another worker's TenantProvisioning is already there: with the history read first
    # the processor would carry that attempt on (not defer as after a lost race); the
    # refused first append must lead to the very same decision.
    outcomes = []
    for first in (True, False):
        log, databases = CountingLog(), Databases()
        request = await _first(log)
        _store_behind(log, TenantProvisioning(tenant_id=request.tenant_id, owner="alice",
                                              actor="system", attempt=1))
        request = Request(seq=request.seq, event=request.event, first=first)
        outcome = await Processor(store=log, databases=databases,
                                  policy=Policy()).process(request)
        outcomes.append((type(outcome), _kinds(log), databases.stages))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] is not Later
