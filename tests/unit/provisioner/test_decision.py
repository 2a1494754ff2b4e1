"""The provisioner's decisions from a tenant's history: pure, no servers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenant_contracts.events import TenantChanges
from tenant_contracts.tenant import NotRequested, fold
from tenant_provisioner.decision import (
    Decision,
    Delete,
    Done,
    GiveUp,
    Later,
    Policy,
    Provision,
    RetryLater,
    Update,
    after_error,
    after_max_deliveries,
    decide,
)
from tenant_provisioner.ledger import Phase, only_requests, replay
from tests.unit.provisioner.history import NOW, HistoryBuilder

POLICY = Policy(backoff=(1, 5, 30))  # 4 attempts


def plan_for(history: HistoryBuilder, seq: int, after_conflict: bool = False) -> Decision:
    return decide(replay(history.events), seq, NOW, POLICY, after_conflict)


def test_a_new_request_begins_attempt_one() -> None:
    h = HistoryBuilder()
    seq = h.requested()
    assert plan_for(h, seq) == Provision(attempt=1, begin=True)


def test_an_interrupted_attempt_is_followed_by_the_next_one() -> None:
    h = HistoryBuilder()
    seq = h.requested()
    h.attempt(1, stages=2)  # the worker died while migrating
    assert plan_for(h, seq) == Provision(attempt=2, begin=True)


def test_after_a_conflict_an_open_attempt_belongs_to_another_worker() -> None:
    h = HistoryBuilder()
    seq = h.requested()
    h.attempt(1, stages=2)
    assert isinstance(plan_for(h, seq, after_conflict=True), Later)


def test_a_failed_attempt_waits_for_its_retry_at_then_goes_on() -> None:
    h = HistoryBuilder()
    seq = h.requested()
    h.attempt(1, stages=1)
    h.attempt_failed(1, retry_in=5)
    plan = plan_for(h, seq)
    assert isinstance(plan, Later) and plan.delay == pytest.approx(5)
    later = decide(replay(h.events), seq, NOW + timedelta(seconds=6), POLICY)
    assert later == Provision(attempt=2, begin=True)


@pytest.mark.parametrize("finish", ["active", "failed"])
def test_a_handled_request_is_skipped(finish: str) -> None:
    h = HistoryBuilder()
    seq = h.requested()
    h.attempt(1)
    getattr(h, finish)()
    assert plan_for(h, seq) == Done("already handled")


def test_transient_errors_retry_with_the_backoff_then_give_up() -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1, stages=1)
    first = after_error(replay(h.events), 1, "refused", True, NOW, POLICY)
    assert first == RetryLater(1, "refused", NOW + timedelta(seconds=1), 1)
    for n in (1, 2, 3):
        h.attempt_failed(n)
        h.attempt(n + 1, stages=1)
    # three failures recorded; the fourth attempt is the last one
    assert after_error(replay(h.events), 4, "refused", True, NOW, POLICY) == GiveUp("refused", 4)


def test_a_permanent_error_gives_up_at_once() -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1, stages=2)
    assert after_error(replay(h.events), 1, "syntax error", False, NOW, POLICY) \
        == GiveUp("syntax error", 1)


def test_a_request_stored_while_the_tenant_is_busy_is_ignored_by_fold_and_provisioner() -> None:
    # The api answers 409 to it; found in the stream anyway (appended by hand, or
    # replayed), it is skipped by the provisioner exactly as the fold ignores it, so
    # the tenant never waits for a request nobody will take up (issue 9, defect 5).
    h = HistoryBuilder()
    first = h.requested()
    update = h.update_requested()
    h.attempt(1, stages=2)
    assert isinstance(plan_for(h, update), Done)
    assert plan_for(h, first) == Provision(attempt=2, begin=True)
    h.attempt(2)
    h.active()
    assert isinstance(plan_for(h, update), Done)
    tenant = fold(h.events)
    assert tenant is not None and tenant.pending_request is None and tenant.status == "Active"


def test_a_retry_of_an_active_tenant_wedges_nothing() -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1)
    h.active()
    stray = h.retry_requested()
    assert isinstance(plan_for(h, stray), Done)
    tenant = fold(h.events)
    assert tenant is not None and (tenant.status, tenant.pending_request) == ("Active", None)
    update = h.update_requested()  # a later request is taken up as usual
    assert plan_for(h, update) == Update(TenantChanges(name="New"), begin=True, attempt=1)


def test_update_and_delete_resume_without_a_second_start_event() -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1)
    h.active()
    update = h.update_requested()
    h.updating()
    assert plan_for(h, update) == Update(TenantChanges(name="New"), begin=False, attempt=1)
    h.updated()
    delete = h.deletion_requested()
    assert plan_for(h, delete) == Delete(begin=True, attempt=1)
    h.deleting()
    h.attempt_failed(1, retry_in=-1)  # retry_at already passed
    assert plan_for(h, delete) == Delete(begin=False, attempt=2)


def test_retry_of_a_failed_tenant_starts_a_new_series() -> None:
    h = HistoryBuilder()
    h.requested()
    for n in (1, 2, 3):
        h.attempt(n, stages=1)
        h.attempt_failed(n)
    h.attempt(4, stages=1)
    h.failed(attempts=4)
    retry = h.retry_requested()
    ledger = replay(h.events)
    assert ledger.phase is Phase.FAILED and ledger.head is not None
    assert ledger.head.failures == 0
    assert plan_for(h, retry) == Provision(attempt=1, begin=True)


@pytest.mark.parametrize("request_kind", ["update_requested", "retry_requested"])
def test_requests_that_do_not_apply_are_skipped_with_a_reason(request_kind: str) -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1)
    h.active()
    h.deletion_requested()
    h.deleting()
    h.deleted()
    seq = getattr(h, request_kind)()
    plan = plan_for(h, seq)
    assert isinstance(plan, Done) and "does not apply" in plan.reason


def test_a_retry_of_an_active_tenant_is_skipped_but_a_later_update_runs() -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1)
    h.active()
    retry = h.retry_requested()
    update = h.update_requested()
    assert isinstance(plan_for(h, retry), Done)
    assert plan_for(h, update) == Update(TenantChanges(name="New"), begin=True, attempt=1)


def test_deleting_a_failed_tenant_applies() -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1, stages=1)
    h.failed(attempts=1)
    assert plan_for(h, h.deletion_requested()) == Delete(begin=True, attempt=1)


def test_a_request_missing_from_the_loaded_history_is_deferred() -> None:
    h = HistoryBuilder()
    h.requested()
    assert isinstance(plan_for(h, h.last_seq + 1), Later)


def test_a_history_without_tenant_requested_is_rejected() -> None:
    h = HistoryBuilder()
    h.retry_requested()
    with pytest.raises(NotRequested):
        replay(h.events)


def test_max_deliveries_fails_the_open_head_only() -> None:
    h = HistoryBuilder()
    seq = h.requested()
    h.attempt(1, stages=1)
    h.attempt_failed(1)
    waiting = h.update_requested()
    ledger = replay(h.events)
    assert after_max_deliveries(ledger, seq, 3) == GiveUp(
        "gave up after 3 deliveries; last error: refused", 1)
    assert isinstance(after_max_deliveries(ledger, waiting, 3), Done)
    h.attempt(2)
    h.active()
    assert after_max_deliveries(replay(h.events), seq, 3) == Done("already handled")


def test_exhausted_attempts_found_on_redelivery_give_up() -> None:
    """The backoff was shortened by a new release: the next delivery fails the tenant."""
    h = HistoryBuilder()
    seq = h.requested()
    for n in range(1, 6):
        h.attempt(n, stages=1)
        h.attempt_failed(n, retry_in=-1)
    assert plan_for(h, seq) == GiveUp("refused", 5)


def test_only_requests_tells_the_api_apart_from_another_worker() -> None:
    h = HistoryBuilder()
    h.requested()
    h.update_requested()
    h.deletion_requested()
    assert only_requests([e for _, e in h.events[1:]])
    h.attempt(1, stages=1)
    assert not only_requests([e for _, e in h.events[1:]])
    assert not only_requests([])
