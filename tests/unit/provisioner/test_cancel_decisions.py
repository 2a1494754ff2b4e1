"""Cancel: which message stops a provisioning, and when (pure, no servers)."""

from __future__ import annotations

from tenant_contracts.tenant import Status, fold
from tenant_provisioner.decision import (
    Cancel,
    Done,
    Policy,
    Provision,
    after_max_deliveries,
    decide,
)
from tenant_provisioner.ledger import Phase, replay
from tests.unit.provisioner.history import NOW, HistoryBuilder

POLICY = Policy(backoff=(1, 5, 30))


def test_a_cancel_of_a_pending_tenant_overtakes_its_request_and_stops_it_at_once() -> None:
    h = HistoryBuilder()
    request = h.requested()
    cancel = h.cancel_requested()
    ledger = replay(h.events)
    assert ledger.head is not None and ledger.head.cancel_seq == cancel
    assert ledger.waiting == ()
    assert isinstance(decide(ledger, cancel, NOW, POLICY), Cancel)
    # the request itself, delivered meanwhile, cancels too instead of provisioning
    assert isinstance(decide(ledger, request, NOW, POLICY), Cancel)


def test_a_cancel_while_waiting_for_a_retry_stops_at_once() -> None:
    h = HistoryBuilder()
    request = h.requested()
    h.attempt(1, stages=2)
    h.attempt_failed(1, retry_in=600)
    cancel = h.cancel_requested()
    ledger = replay(h.events)
    assert isinstance(decide(ledger, cancel, NOW, POLICY), Cancel)
    assert isinstance(decide(ledger, request, NOW, POLICY), Cancel)  # no backoff wait


def test_a_cancel_during_an_attempt_is_left_to_the_worker_holding_it() -> None:
    h = HistoryBuilder()
    request = h.requested()
    h.attempt(1, stages=2)
    cancel = h.cancel_requested()
    ledger = replay(h.events)
    assert isinstance(decide(ledger, cancel, NOW, POLICY), Done)
    # the holder (or the redelivery after it died) cancels at its next decision
    assert isinstance(decide(ledger, request, NOW, POLICY), Cancel)
    assert isinstance(after_max_deliveries(ledger, cancel, 9), Done)


def test_a_request_jetstream_gave_up_on_with_a_cancel_pending_ends_cancelled() -> None:
    """Not Failed: the owner asked to cancel it, and the cancel is its outcome."""
    h = HistoryBuilder()
    request = h.requested()
    h.attempt(1, stages=1)
    h.attempt_failed(1)
    cancel = h.cancel_requested()
    ledger = replay(h.events)
    assert after_max_deliveries(ledger, request, 3) == Cancel(f"cancel requested at seq {cancel}")
    assert isinstance(after_max_deliveries(ledger, cancel, 3), Done)  # the request's to do


def test_cancelled_closes_both_and_the_tenant_may_be_retried_or_deleted() -> None:
    h = HistoryBuilder()
    request = h.requested()
    cancel = h.cancel_requested()
    h.cancelled()
    ledger = replay(h.events)
    assert ledger.phase is Phase.CANCELLED and ledger.head is None
    assert ledger.is_done(request) and ledger.is_done(cancel)
    retry = h.retry_requested()
    assert decide(replay(h.events), retry, NOW, POLICY) == Provision(attempt=1, begin=True)
    tenant = fold(h.events)
    assert tenant is not None and tenant.status is Status.PENDING


def test_completion_first_makes_the_cancel_moot() -> None:
    h = HistoryBuilder()
    request = h.requested()
    h.attempt(1)
    cancel = h.cancel_requested()
    h.active()
    ledger = replay(h.events)
    assert ledger.phase is Phase.ACTIVE and ledger.is_done(request)
    assert "before the cancel took effect" in ledger.skipped[cancel]
    tenant = fold(h.events)
    assert tenant is not None and tenant.pending_request is None


def test_a_second_cancel_and_a_cancel_of_a_settled_tenant_are_ignored() -> None:
    h = HistoryBuilder()
    h.requested()
    first = h.cancel_requested()
    second = h.cancel_requested()
    ledger = replay(h.events)
    assert ledger.head is not None and ledger.head.cancel_seq == first
    assert second in ledger.skipped
    h.cancelled()
    late = h.cancel_requested()
    assert late in replay(h.events).skipped
    tenant = fold(h.events)
    assert tenant is not None and tenant.status is Status.CANCELLED
    assert tenant.pending_request is None
