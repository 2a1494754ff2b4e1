"""What to do with a request message, given the tenant's ledger: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tenant_contracts.events import (
    TenantChanges,
    TenantDeletionRequested,
    TenantRequested,
    TenantRetryRequested,
    TenantUpdateRequested,
)
from tenant_provisioner.ledger import Ledger


@dataclass(frozen=True)
class Policy:
    backoff: tuple[float, ...] = (1, 5, 30, 120, 600)
    # How long a request waits (nak delay) while an older request of its tenant is
    # open, or while another worker is visibly busy with its tenant.
    wait_seconds: float = 1.0

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1


# What becomes of the message. Both are decisions (nothing to do; not now) and, the
# same objects, outcomes the processor hands the consumer after carrying a decision out.
@dataclass(frozen=True)
class Done:  # the request has its outcome (or needs none): ack
    reason: str


@dataclass(frozen=True)
class Later:  # not finished, or not now: nak with this delay
    delay: float
    reason: str


# The work a decision may call for: exactly one per decision.


@dataclass(frozen=True)
class Provision:
    attempt: int
    begin: bool  # append TenantProvisioning(attempt) first


@dataclass(frozen=True)
class Update:
    changes: TenantChanges
    begin: bool  # append TenantUpdating first
    attempt: int


@dataclass(frozen=True)
class Delete:
    begin: bool  # append TenantDeleting first
    attempt: int


@dataclass(frozen=True)
class Cancel:  # drop what the tenant has, append TenantCancelled and ack
    reason: str


@dataclass(frozen=True)
class GiveUp:  # append TenantFailed and ack
    error: str
    attempts: int


Decision = Done | Later | Provision | Update | Delete | Cancel | GiveUp


def decide(ledger: Ledger, request_seq: int, now: datetime, policy: Policy,
           after_conflict: bool = False) -> Decision:
    if request_seq in ledger.closed:
        return Done("already handled")
    if request_seq in ledger.skipped:
        return Done(ledger.skipped[request_seq])
    head = ledger.head
    if head is None or request_seq > ledger.last_seq:
        return Later(policy.wait_seconds, "request not in the loaded history yet")
    if head.cancel_seq == request_seq:
        if head.open:
            # A worker holds the provisioning: it meets the cancel at its next stage
            # boundary (its append conflicts); if it died, the provisioning request is
            # delivered again and its handler cancels. Either way that message answers.
            return Done(f"the provisioning at seq {head.seq} stops at its next stage")
        # Not begun, or waiting for its next attempt: stop it now.
        return Cancel("cancelled before its next attempt")
    if head.seq != request_seq:
        return Later(_wait_for(head.retry_at, now, policy),
                     f"waits for the older request at seq {head.seq}")
    if after_conflict and head.open:
        # Someone appended to this tenant while we were working: another worker holds
        # this request (we stalled past ack_wait). Let it finish instead of fighting.
        return Later(policy.wait_seconds, "another worker is working on this request")
    if head.cancel_seq is not None:
        return Cancel(f"cancel requested at seq {head.cancel_seq}")
    if head.failures >= policy.max_attempts:
        return GiveUp(head.last_error or "attempts exhausted", head.attempt)
    if not head.open and head.retry_at is not None and head.retry_at > now:
        return Later((head.retry_at - now).total_seconds(), "backing off before the next attempt")
    request = head.request
    if isinstance(request, TenantRequested | TenantRetryRequested):
        # An open attempt here was interrupted (its worker died): begin the next one.
        return Provision(attempt=head.attempt + 1, begin=True)
    if isinstance(request, TenantUpdateRequested):
        return Update(changes=request.changes, begin=not head.started, attempt=head.failures + 1)
    if isinstance(request, TenantDeletionRequested):
        return Delete(begin=not head.started, attempt=head.failures + 1)
    return Done(f"{type(request).__name__} is not a request")


@dataclass(frozen=True)
class RetryLater:  # append TenantAttemptFailed and nak with `delay`
    attempt: int
    error: str
    retry_at: datetime
    delay: float


def after_error(ledger: Ledger, attempt: int, error: str, transient: bool, now: datetime,
                policy: Policy) -> RetryLater | GiveUp:
    failures = (ledger.head.failures if ledger.head else 0) + 1
    if not transient or failures >= policy.max_attempts:
        return GiveUp(error, attempt)
    delay = policy.backoff[failures - 1]
    return RetryLater(attempt, error, now + timedelta(seconds=delay), delay)


def after_max_deliveries(ledger: Ledger, request_seq: int, deliveries: int
                         ) -> Done | Cancel | GiveUp:
    """JetStream stopped redelivering a request: make sure it still gets an outcome."""
    if ledger.is_done(request_seq):
        return Done("already handled")
    head = ledger.head
    if head is not None and head.cancel_seq == request_seq:
        return Done(f"the provisioning request at seq {head.seq} carries the cancel out")
    if head is None or head.seq != request_seq:
        return Done("abandoned while an older request is open")
    if head.cancel_seq is not None:
        # The owner asked to cancel it: that is its outcome, not a failure.
        return Cancel(f"cancel requested at seq {head.cancel_seq}")
    detail = f"; last error: {head.last_error}" if head.last_error else ""
    return GiveUp(f"gave up after {deliveries} deliveries{detail}", max(head.attempt, 1))


def _wait_for(retry_at: datetime | None, now: datetime, policy: Policy) -> float:
    if retry_at is None or retry_at <= now:
        return policy.wait_seconds
    return (retry_at - now).total_seconds() + policy.wait_seconds
