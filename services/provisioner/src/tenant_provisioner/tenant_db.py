"""The real work in PostgreSQL. Every step checks what already exists, so a
redelivered request finishes the job instead of failing or doing it twice."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import asyncpg

from tenant_contracts.events import TenantChanges
from tenant_contracts.tenant import Tenant
from tenant_provisioner.failures import TenantDbError, is_transient_sqlstate
from tenant_provisioner.naming import TenantNames, owner_mark, quote_ident, quote_literal
from tenant_provisioner.ownership import (
    claim,
    create_marked_role,
    database_owner,
    may_drop,
    role_owner,
)
from tenant_provisioner.schema_migrations import migrations

# A stuck lock becomes LockNotAvailable (transient, retried) instead of a hang.
_SERVER_SETTINGS = {"lock_timeout": "10s", "application_name": "tenant-provisioner"}
_CONNECT_TIMEOUT = 10.0
_DUPLICATE = frozenset({"42P04", "42710", "23505"})  # database / role exists, catalog race
_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('schema_migrations'))"


def to_db_error(exc: BaseException) -> TenantDbError:
    text = f"{type(exc).__name__}: {exc}".strip()
    if isinstance(exc, asyncpg.PostgresError):
        return TenantDbError(text, transient=is_transient_sqlstate(exc.sqlstate))
    # Refused / reset / timed out connections, and connections lost mid-statement.
    # InternalClientError: asyncpg's protocol caught in an unexpected state, seen when
    # PostgreSQL restarts under a statement; the stages are safe to run again, and a
    # wrong "transient" only costs retries, a wrong "permanent" a Failed tenant.
    transient = isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError
                           | asyncpg.InternalClientError)
    return TenantDbError(text, transient=transient)


class TenantDatabases:
    def __init__(self, admin_url: str, concurrency: int) -> None:
        self._admin_url = admin_url
        # min_size=0: the service starts even while PostgreSQL is down; connections
        # are opened on demand and broken ones replaced after an outage.
        self._pool = asyncpg.create_pool(admin_url, min_size=0, max_size=concurrency + 1,
                                         timeout=_CONNECT_TIMEOUT,
                                         server_settings=_SERVER_SETTINGS)
        self._ready = False

    async def close(self) -> None:
        if self._ready:
            await self._pool.close()

    async def _admin(self) -> asyncpg.Pool:
        if not self._ready:
            await self._pool  # with min_size=0 this opens no connection
            self._ready = True
        return self._pool

    # The work of each stage that contracts' STAGES names (a test keeps the two equal).
    STAGE_WORK: ClassVar[dict[str, str]] = {
        "creating_database": "_create_database",
        "migrating": "_migrate",
        "seeding": "_seed",
        "verifying": "_verify",
    }

    async def run_stage(self, stage: str, tenant: Tenant) -> None:
        work: Callable[[Tenant, TenantNames], Awaitable[None]] = getattr(
            self, self.STAGE_WORK[stage])
        await _guarded(work(tenant, TenantNames.for_slug(tenant.slug)))

    async def apply_update(self, tenant: Tenant, changes: TenantChanges) -> None:
        await _guarded(self._write_settings(TenantNames.for_slug(tenant.slug),
                                            changes.as_dict()))

    async def drop(self, tenant: Tenant) -> None:
        await _guarded(self._drop(tenant, TenantNames.for_slug(tenant.slug)))

    async def _create_database(self, tenant: Tenant, names: TenantNames) -> None:
        pool = await self._admin()
        marker = owner_mark(tenant.id)
        async with pool.acquire() as conn:
            if await role_owner(conn, names.role) is None:
                await _tolerate_duplicate(create_marked_role(conn, names.role, marker))
            # Whoever created it (we, a moment ago another worker, or another tenant with
            # the same slug), only the mark says whose it is.
            claim(tenant, f"role {names.role}", await role_owner(conn, names.role))
            superuser = await conn.fetchval(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not superuser:
                # CREATE DATABASE ... OWNER and SET ROLE need membership in the tenant role
                await conn.execute(f"GRANT {quote_ident(names.role)} TO CURRENT_USER")
            if await database_owner(conn, names) is None:
                await _tolerate_duplicate(conn.execute(
                    f"CREATE DATABASE {quote_ident(names.database)} "
                    f"OWNER {quote_ident(names.role)} ENCODING 'UTF8'"))
            claim(tenant, f"database {names.database}", await database_owner(conn, names))
            # CREATE DATABASE cannot share a transaction with its COMMENT: a crash in
            # between leaves it unmarked but owned by our (marked) role, which
            # database_owner reads as ours; mark it now.
            await conn.execute(f"COMMENT ON DATABASE {quote_ident(names.database)} "
                               f"IS {quote_literal(marker)}")
            # Isolation: only the tenant's own role (and the platform) may connect.
            await conn.execute(f"REVOKE ALL ON DATABASE {quote_ident(names.database)} FROM PUBLIC")

    async def _migrate(self, tenant: Tenant, names: TenantNames) -> None:
        async with self._tenant_connection(names) as conn:
            async with conn.transaction():
                # Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS both
                # see no table, and the second fails on the catalog's unique index.
                await conn.execute(_MIGRATION_LOCK)
                await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "version integer PRIMARY KEY, name text NOT NULL, "
                                   "checksum text NOT NULL, "
                                   "applied_at timestamptz NOT NULL DEFAULT now())")
            for migration in migrations():
                async with conn.transaction():
                    # One runner at a time per tenant database, so two workers on a
                    # redelivered request cannot apply the same migration twice.
                    await conn.execute(_MIGRATION_LOCK)
                    applied = await conn.fetchval(
                        "SELECT checksum FROM schema_migrations WHERE version = $1",
                        migration.version)
                    if applied is None:
                        await conn.execute(migration.sql)
                        await conn.execute("INSERT INTO schema_migrations (version, name, checksum)"
                                           " VALUES ($1, $2, $3)", migration.version,
                                           migration.name, migration.checksum)
                    elif applied != migration.checksum:
                        raise TenantDbError(f"migration {migration.version} ({migration.name}) "
                                            "was applied with different contents",
                                            transient=False)

    async def _seed(self, tenant: Tenant, names: TenantNames) -> None:
        async with self._tenant_connection(names) as conn, conn.transaction():
            await conn.execute("INSERT INTO users (email, role) VALUES ($1, 'admin') "
                               "ON CONFLICT (email) DO NOTHING", tenant.admin_email)
            await _upsert_settings(conn, {"name": tenant.name, "plan": tenant.plan})

    async def _verify(self, tenant: Tenant, names: TenantNames) -> None:
        # A fresh password each attempt: whoever runs the verification knows it, and a
        # redelivery never depends on a secret from an earlier attempt.
        password = secrets.token_hex(24)
        pool = await self._admin()
        async with pool.acquire() as admin:
            await admin.execute(f"ALTER ROLE {quote_ident(names.role)} WITH LOGIN "
                                f"PASSWORD {quote_literal(password)}")
        conn = await asyncpg.connect(self._admin_url, user=names.role, password=password,
                                     database=names.database, timeout=_CONNECT_TIMEOUT,
                                     server_settings=_SERVER_SETTINGS)
        try:
            admins = await conn.fetchval("SELECT count(*) FROM users WHERE email = $1 "
                                         "AND role = 'admin'", tenant.admin_email)
            applied = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        finally:
            await conn.close()
        if admins != 1 or applied != len(migrations()):
            raise TenantDbError(f"verification failed: {admins} admin rows, {applied} of "
                                f"{len(migrations())} migrations", transient=False)

    async def _write_settings(self, names: TenantNames, values: dict[str, Any]) -> None:
        async with self._tenant_connection(names) as conn, conn.transaction():
            await _upsert_settings(conn, values)

    async def _drop(self, tenant: Tenant, names: TenantNames) -> None:
        pool = await self._admin()
        async with pool.acquire() as conn:
            # Objects of another tenant with the same slug (or unmarked ones) are not
            # this tenant's to drop: for it they are already gone.
            if may_drop(tenant, f"database {names.database}", await database_owner(conn, names)):
                # FORCE terminates the tenant's open sessions first (PostgreSQL 13+).
                await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(names.database)} "
                                   "WITH (FORCE)")
            if may_drop(tenant, f"role {names.role}", await role_owner(conn, names.role)):
                await conn.execute(f"DROP ROLE IF EXISTS {quote_ident(names.role)}")

    @asynccontextmanager
    async def _tenant_connection(self, names: TenantNames) -> AsyncIterator[asyncpg.Connection]:
        """The platform's role inside the tenant database, acting as the tenant role so
        that everything it creates is owned by the tenant."""
        conn = await asyncpg.connect(self._admin_url, database=names.database,
                                     timeout=_CONNECT_TIMEOUT, server_settings=_SERVER_SETTINGS)
        try:
            await conn.execute(f"SET ROLE {quote_ident(names.role)}")
            yield conn
        finally:
            await conn.close()


async def _upsert_settings(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    for key, value in values.items():
        await conn.execute("INSERT INTO settings (key, value) VALUES ($1, $2) "
                           "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, "
                           "updated_at = now()", key, str(value))


async def _tolerate_duplicate(statement: Awaitable[object]) -> None:
    try:
        await statement
    except asyncpg.PostgresError as exc:
        if exc.sqlstate not in _DUPLICATE:  # another worker created it a moment ago
            raise


async def _guarded(step: Awaitable[None]) -> None:
    try:
        await step
    except TenantDbError:
        raise
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise to_db_error(exc) from exc
