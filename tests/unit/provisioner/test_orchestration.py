"""The processor's subtlest paths, with faults injected into the in-memory log that
keeps JetStream's rules (tests/contract holds it to the real stream's behaviour):
a lost answer, a refused append, another worker appending first."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantChanges, TenantProvisioning, TenantRequested
from tenant_contracts.tenant import Tenant
from tenant_provisioner.decision import Done, Later, Policy
from tenant_provisioner.processor import Processor
from tenant_provisioner.request import Request
from tenant_stream.event_log import NotStored, StoredMessage
from tenant_stream.memory import Fault, MemoryEventLog


class Databases:
    """Every stage succeeds at once; records what was asked."""

    def __init__(self) -> None:
        self.stages: list[str] = []

    async def run_stage(self, stage: str, tenant: Tenant) -> None:
        self.stages.append(stage)

    async def apply_update(self, tenant: Tenant, changes: TenantChanges) -> None:
        self.stages.append("update")

    async def drop(self, tenant: Tenant) -> None:
        self.stages.append("drop")


async def _requested(log: MemoryEventLog) -> Request:
    event = TenantRequested(tenant_id=uuid.uuid4(), owner="alice", actor="alice", name="O",
                            slug="orch", plan="free", admin_email="o@example.test")
    return Request(seq=await log.append(event, 0), event=event)


def _kinds(log: MemoryEventLog) -> Counter[str]:
    return Counter(m.subject.rsplit(".", 1)[1] for m in log.messages)


async def test_a_lost_answer_stores_every_event_once() -> None:
    log, databases = MemoryEventLog(), Databases()
    request = await _requested(log)
    log.fail_next(Fault.LOST_ANSWER, Fault.LOST_ANSWER)  # Provisioning's and a Progress's
    outcome = await Processor(store=log, databases=databases, policy=Policy()).process(request)
    assert isinstance(outcome, Done)
    assert _kinds(log) == {"requested": 1, "provisioning": 1, "progress": 4, "active": 1}
    assert len(databases.stages) == 4


async def test_a_refused_append_hands_the_request_back_for_a_redelivery() -> None:
    log, databases = MemoryEventLog(), Databases()
    request = await _requested(log)
    log.fail_next(Fault.REFUSED)
    with pytest.raises(NotStored):  # the consumer naks it with backoff
        await Processor(store=log, databases=databases, policy=Policy()).process(request)
    assert _kinds(log) == {"requested": 1} and databases.stages == []
    outcome = await Processor(store=log, databases=databases, policy=Policy()).process(request)
    assert isinstance(outcome, Done) and _kinds(log)["active"] == 1


async def test_another_worker_appending_first_makes_it_decide_again() -> None:
    log, databases = MemoryEventLog(), Databases()
    request = await _requested(log)
    intruded = False

    def another_worker(message: StoredMessage) -> None:
        # Right after our TenantProvisioning, another worker starts attempt 2.
        nonlocal intruded
        if not intruded and log.messages[-1].subject.endswith(".provisioning"):
            intruded = True
            rival = TenantProvisioning(tenant_id=request.tenant_id, owner="alice",
                                       actor="system", attempt=2)
            log.messages.append(StoredMessage(
                len(log.messages) + 1, f"tenants.{request.tenant_id}.provisioning",
                encode_event(rival), {"Nats-Msg-Id": str(rival.event_id)}))

    log.on_append = another_worker
    outcome = await Processor(store=log, databases=databases, policy=Policy()).process(request)
    # It saw a live rival: it never appends over it, and asks to look again later.
    assert isinstance(outcome, Later), outcome
    assert _kinds(log) == {"requested": 1, "provisioning": 2}
    assert not any(m.subject.endswith(".progress") for m in log.messages)
