"""A create's reservation in one PostgreSQL round trip: the function reserve_create.

It does, in one transaction and in this order, what the create needs before its
event is sent: the Idempotency-Key (a replay answers with the tenant it recorded),
the slug claim, and for a new create the owner's lock, the rate limit, the quota,
the create log and the pending create. A slug held by another request answers 409
before the limits are looked at; held by this very request sent before (same user,
same body, its outcome unknown), that create is finished instead.

Rejections RAISE with SQLSTATEs of our own (class TA) rather than return: the raise
rolls back whatever the function wrote before it (the key, the slug claim), so a
rejected request leaves nothing behind, wherever in the order it was refused.
"""

from __future__ import annotations

import uuid

import asyncpg

from tenant_api.decisions import InvalidRequest, TenantConflict
from tenant_api.idempotency import KEY_LIFETIME
from tenant_api.limits import WINDOW_SECONDS, Limits, QuotaExceeded, RateLimited
from tenant_contracts.access import Principal
from tenant_contracts.codec import decode_event, encode_event
from tenant_contracts.events import TenantRequested

KEY_REUSED, SLUG_TAKEN, RATE_LIMITED, QUOTA_EXCEEDED = "TA422", "TA409", "TA429", "TA403"


class IdempotencyKeyReused(InvalidRequest):
    """The same Idempotency-Key came back with a different body."""


# Plain SELECT INTO a record sets it to nulls when no row is found, hence the FOUND
# checks. Each statement of a (volatile) function sees what committed before it
# began, so the look after a lost race on the key sees the winner's record.
RESERVE_CREATE_DDL = f"""
CREATE OR REPLACE FUNCTION reserve_create(
    p_owner text, p_key text, p_fingerprint text, p_tenant_id uuid, p_slug text,
    p_event bytea, p_quota integer, p_rate integer,
    OUT outcome text, OUT known_id uuid, OUT held_event bytea)
LANGUAGE plpgsql AS $fn$
DECLARE
    found_key record;
    key_known boolean := false;
    holder record;
    recent bigint;
    wait_seconds double precision;
    held bigint;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT k.fingerprint, k.tenant_id INTO found_key FROM idempotency_keys k
        WHERE k.owner = p_owner AND k.key = p_key
          AND k.created_at > now() - interval '{KEY_LIFETIME}';
        key_known := FOUND;
        IF NOT key_known THEN
            -- A concurrent request with the key waits here on the primary key until
            -- the holder's transaction ends; a rejected holder leaves the key free.
            INSERT INTO idempotency_keys AS k (owner, key, fingerprint, tenant_id)
            VALUES (p_owner, p_key, p_fingerprint, p_tenant_id)
            ON CONFLICT (owner, key) DO UPDATE
                SET fingerprint = EXCLUDED.fingerprint, tenant_id = EXCLUDED.tenant_id,
                    created_at = now()
                WHERE k.created_at <= now() - interval '{KEY_LIFETIME}';
            IF NOT FOUND THEN
                SELECT k.fingerprint, k.tenant_id INTO found_key FROM idempotency_keys k
                WHERE k.owner = p_owner AND k.key = p_key;
                IF NOT FOUND THEN  -- taken and forgotten meanwhile (its append refused)
                    outcome := 'retry';
                    RETURN;
                END IF;
                key_known := true;
            END IF;
        END IF;
        IF key_known THEN
            IF found_key.fingerprint <> p_fingerprint THEN
                RAISE EXCEPTION 'Idempotency-Key reused' USING ERRCODE = '{KEY_REUSED}';
            END IF;
            outcome := 'known';
            known_id := found_key.tenant_id;
            RETURN;
        END IF;
    END IF;

    -- The slug: taken unless a tenant that is not Deleted holds it. Its primary key
    -- makes a concurrent claimant wait, so two requests never both get one slug.
    INSERT INTO slug_claims AS c (slug, tenant_id) VALUES (p_slug, p_tenant_id)
    ON CONFLICT (slug) DO UPDATE SET tenant_id = EXCLUDED.tenant_id
        WHERE c.tenant_id = EXCLUDED.tenant_id
           OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = c.tenant_id AND t.status = 'Deleted');
    IF FOUND THEN
        -- Held until the transaction ends, which commits the pending create: two
        -- creates of one owner (on any replica) take turns, the second counts the first.
        PERFORM pg_advisory_xact_lock(hashtextextended('owner:' || p_owner, 7));
        -- clock_timestamp, not now(): now() is when the transaction began, before the wait.
        SELECT count(*),
               extract(epoch FROM min(l.at) + make_interval(secs => {WINDOW_SECONDS})
                                  - clock_timestamp())
        INTO recent, wait_seconds
        FROM create_log l
        WHERE l.owner = p_owner
          AND l.at > clock_timestamp() - make_interval(secs => {WINDOW_SECONDS});
        IF recent >= p_rate THEN
            RAISE EXCEPTION 'rate limited' USING ERRCODE = '{RATE_LIMITED}',
                DETAIL = greatest(1, ceil(wait_seconds))::bigint::text;
        END IF;
        IF p_quota IS NOT NULL THEN  -- NULL: an admin, exempt
            -- Tenants not Deleted plus creates recorded but not yet projected: a
            -- tenant in both counts once.
            SELECT count(*) INTO held FROM (
                SELECT t.id FROM tenants t WHERE t.owner = p_owner AND t.status <> 'Deleted'
                UNION
                SELECT pc.tenant_id FROM pending_creates pc WHERE pc.owner = p_owner
            ) AS h;
            IF held >= p_quota THEN
                RAISE EXCEPTION 'quota exceeded' USING ERRCODE = '{QUOTA_EXCEEDED}',
                    DETAIL = held::text;
            END IF;
        END IF;
        DELETE FROM create_log l WHERE l.owner = p_owner
            AND l.at < clock_timestamp() - make_interval(secs => {WINDOW_SECONDS});
        INSERT INTO create_log (owner, at) VALUES (p_owner, clock_timestamp());
        INSERT INTO pending_creates (tenant_id, owner, slug, fingerprint, event)
        VALUES (p_tenant_id, p_owner, p_slug, p_fingerprint, p_event);
        outcome := 'new';
        RETURN;
    END IF;

    -- Held by a create whose outcome nobody learnt? If it is this very request sent
    -- before (same user, same body), the caller finishes that one.
    SELECT pc.tenant_id, pc.owner, pc.fingerprint, pc.event INTO holder
    FROM pending_creates pc WHERE pc.slug = p_slug;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'slug taken' USING ERRCODE = '{SLUG_TAKEN}';
    END IF;
    IF holder.owner <> p_owner OR holder.fingerprint <> p_fingerprint THEN
        RAISE EXCEPTION 'slug taken' USING ERRCODE = '{SLUG_TAKEN}';
    END IF;
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys k SET tenant_id = holder.tenant_id
        WHERE k.owner = p_owner AND k.key = p_key;
    END IF;
    outcome := 'pending';
    held_event := holder.event;
END
$fn$;
"""

_CALL = "SELECT outcome, known_id, held_event FROM reserve_create($1, $2, $3, $4, $5, $6, $7, $8)"


async def reserve(conn: asyncpg.Connection, principal: Principal, event: TenantRequested,
                  body_fingerprint: str, key: str | None,
                  limits: Limits) -> TenantRequested | uuid.UUID | None:
    """The event to send (ours, or the same request's sent before); or the tenant this
    Idempotency-Key already names; or None when a concurrent request with the key
    won and then gave the key up (look again)."""
    quota = None if principal.is_admin else limits.quota_for(event.plan)
    try:
        row = await conn.fetchrow(_CALL, principal.sub, key, body_fingerprint,
                                  event.tenant_id, event.slug, encode_event(event), quota,
                                  limits.creates_per_minute)
    except asyncpg.PostgresError as exc:
        rejection = _rejection(exc, event, limits, quota)
        if rejection is None:
            raise
        raise rejection from None
    assert row is not None
    match row["outcome"]:
        case "new":
            return event
        case "known":
            return uuid.UUID(str(row["known_id"]))
        case "pending":
            held = decode_event(bytes(row["held_event"]))
            assert isinstance(held, TenantRequested)
            return held
        case _:  # "retry"
            return None


def _rejection(exc: asyncpg.PostgresError, event: TenantRequested, limits: Limits,
               quota: int | None) -> Exception | None:
    state, detail = getattr(exc, "sqlstate", None), getattr(exc, "detail", None)
    if state == KEY_REUSED:
        return IdempotencyKeyReused("this Idempotency-Key was used with a different body")
    if state == SLUG_TAKEN:
        return TenantConflict(f"slug {event.slug!r} is taken")
    if state == RATE_LIMITED:
        return RateLimited(limits.creates_per_minute, int(detail or 1))
    if state == QUOTA_EXCEEDED and quota is not None:
        return QuotaExceeded(quota, int(detail or quota))
    return None
