"""Tables of the api's PostgreSQL database, created at startup (idempotent), and the
create's reservation function (reservation.RESERVE_CREATE_DDL), replaced at startup."""

from __future__ import annotations

import asyncpg

from tenant_api.reservation import RESERVE_CREATE_DDL

PROJECTION = "tenants"
# Replicas may start together: DDL runs under one advisory lock, so they take turns.
_DDL_LOCK = 7_134_202_611

# The read model: derived from the stream only, dropped and replayed by a rebuild.
READ_MODEL_DDL = f"""
CREATE TABLE IF NOT EXISTS tenants (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL,
    plan text NOT NULL,
    admin_email text NOT NULL,
    owner text NOT NULL,
    status text NOT NULL,
    stage text,
    progress integer NOT NULL,
    error text,
    attempt integer NOT NULL,
    retry_at timestamptz,
    database text,
    pending_request text,
    version bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
-- Added after the first release: a database made by it gains the column here.
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS pending_request text;
CREATE INDEX IF NOT EXISTS tenants_by_owner ON tenants (owner, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS tenants_by_age ON tenants (created_at DESC, id DESC);
-- One row per slug held by a tenant that is not Deleted; its primary key is what
-- makes slug uniqueness race-free.
CREATE TABLE IF NOT EXISTS slug_claims (
    slug text PRIMARY KEY,
    tenant_id uuid NOT NULL
);
CREATE TABLE IF NOT EXISTS projection_state (
    name text PRIMARY KEY,
    last_seq bigint NOT NULL
);
INSERT INTO projection_state (name, last_seq) VALUES ('{PROJECTION}', 0)
    ON CONFLICT (name) DO NOTHING;
"""

# Command-side state that is not in the stream, so a rebuild keeps it.
COMMAND_DDL = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    owner text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    tenant_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);
-- A TenantRequested whose append has no known outcome yet: recorded with the slug
-- and the key before it is sent, deleted with the row's insert once it is stored.
-- Whoever finds it (a retry with the key or body, or the sweeper) sends the very same
-- event again; the stream stores it at most once (expected last sequence 0).
CREATE TABLE IF NOT EXISTS pending_creates (
    tenant_id uuid PRIMARY KEY,
    owner text NOT NULL,
    slug text NOT NULL,
    fingerprint text NOT NULL,
    event bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pending_creates_by_slug ON pending_creates (slug);
CREATE INDEX IF NOT EXISTS pending_creates_by_owner ON pending_creates (owner);
-- The creates each owner made in the last minute: the rate limit, shared by replicas.
CREATE TABLE IF NOT EXISTS create_log (
    owner text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS create_log_by_owner ON create_log (owner, at);
"""

DROP_READ_MODEL = "DROP TABLE IF EXISTS tenants, slug_claims, projection_state"


async def create_schema(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _DDL_LOCK)
        await conn.execute(READ_MODEL_DDL)
        await conn.execute(COMMAND_DDL)
        # Its plan refers to tables by name: a rebuild that recreates the read model
        # needs nothing more (PostgreSQL replans on the next call).
        await conn.execute(RESERVE_CREATE_DDL)


async def recreate_read_model(conn: asyncpg.Connection) -> None:
    """Drop and create the read model inside the caller's transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _DDL_LOCK)
    await conn.execute(DROP_READ_MODEL)
    await conn.execute(READ_MODEL_DDL)
