"""Per-owner quota and create rate limit, kept in PostgreSQL so replicas share them.

Checked by reservation.reserve_create, in the create's transaction that also records
the slug claim and the pending create, under an advisory lock per owner: two creates
of one owner (on any replica) take turns, and the second one counts the first one's
tenant. No overshoot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tenant_api.decisions import Rejected

WINDOW_SECONDS = 60


@dataclass(frozen=True, kw_only=True)
class Limits:
    quota_per_user: int = 10
    # A plan's own quota (TENANT_QUOTA_PER_PLAN="pro=50,enterprise=200"): the create's
    # plan picks the quota, so a user holding pro tenants may hold more of them.
    quota_per_plan: dict[str, int] = field(default_factory=dict)
    creates_per_minute: int = 30

    def quota_for(self, plan: str) -> int:
        return self.quota_per_plan.get(plan, self.quota_per_user)


class QuotaExceeded(Rejected):
    def __init__(self, quota: int, held: int) -> None:
        super().__init__(f"tenant quota reached: you hold {held} of {quota} tenants; "
                         f"delete one to create another")
        self.quota = quota
        self.held = held


class RateLimited(Rejected):
    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"at most {limit} creates per minute; retry in {retry_after} s")
        self.limit = limit
        self.retry_after = retry_after
