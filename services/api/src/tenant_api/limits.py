"""Per-owner quota and create rate limit, kept in PostgreSQL so replicas share them.

Checked inside the create's transaction that also records the slug claim and the
pending create, under an advisory lock per owner: two creates of one owner (on any
replica) take turns, and the second one counts the first one's tenant. No overshoot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import asyncpg

from tenant_api.decisions import Rejected
from tenant_contracts.access import Principal

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


# Tenants not Deleted, from the read model, plus creates recorded but not yet
# projected: a tenant is in one or both (UNION counts it once).
_HELD = """
SELECT count(*) FROM (
    SELECT id FROM tenants WHERE owner = $1 AND status <> 'Deleted'
    UNION
    SELECT tenant_id FROM pending_creates WHERE owner = $1
) AS held"""


async def admit_create(conn: asyncpg.Connection, principal: Principal, plan: str,
                       limits: Limits) -> None:
    """Raise if this create is over the owner's rate or quota; else count it.
    Must run inside the transaction that records the create."""
    owner = principal.sub
    # Held until the transaction ends: it commits with the pending create, so the
    # next create of this owner, waiting here, sees it.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('owner:' || $1, 7))",
                       owner)
    # clock_timestamp, not now(): now() is when the transaction began, before the wait.
    row = await conn.fetchrow(
        """SELECT count(*) AS n,
                  extract(epoch FROM min(at) + make_interval(secs => $2) - clock_timestamp())
                      AS wait
           FROM create_log WHERE owner = $1
             AND at > clock_timestamp() - make_interval(secs => $2)""",
        owner, WINDOW_SECONDS)
    if row["n"] >= limits.creates_per_minute:
        raise RateLimited(limits.creates_per_minute, max(1, math.ceil(float(row["wait"]))))
    if not principal.is_admin:
        quota = limits.quota_for(plan)
        held = int(await conn.fetchval(_HELD, owner))
        if held >= quota:
            raise QuotaExceeded(quota, held)
    await conn.execute(
        """DELETE FROM create_log
           WHERE owner = $1 AND at < clock_timestamp() - make_interval(secs => $2)""",
        owner, WINDOW_SECONDS)
    await conn.execute("INSERT INTO create_log (owner, at) VALUES ($1, clock_timestamp())",
                       owner)
