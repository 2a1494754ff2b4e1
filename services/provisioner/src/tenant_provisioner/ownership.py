"""Whose a tenant_<slug> database and role are: the tenant id in their COMMENT.

Two tenants can share a slug (an api create whose append was stored but whose own
transaction failed leaves an orphaned TenantRequested; the client's retry makes a
second tenant), so the name alone cannot say. Adopting the other's objects would
put two tenants in one database, and deleting either would drop the other's data.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass

import asyncpg

from tenant_contracts.tenant import Tenant
from tenant_provisioner.failures import TenantDbError
from tenant_provisioner.naming import TenantNames, marked_owner, quote_ident, quote_literal

log = logging.getLogger(__name__)


async def create_marked_role(conn: asyncpg.Connection, role: str, marker: str) -> None:
    # One transaction: the role never exists without the mark of its tenant.
    async with conn.transaction():
        await conn.execute(f"CREATE ROLE {quote_ident(role)} LOGIN NOSUPERUSER NOCREATEDB "
                           f"NOCREATEROLE PASSWORD {quote_literal(secrets.token_hex(24))}")
        await conn.execute(f"COMMENT ON ROLE {quote_ident(role)} IS {quote_literal(marker)}")


@dataclass(frozen=True)
class Existing:
    owner: uuid.UUID | None  # the tenant in its mark; None when unmarked


async def role_owner(conn: asyncpg.Connection, role: str) -> Existing | None:
    row = await conn.fetchrow("SELECT shobj_description(oid, 'pg_authid') AS mark "
                              "FROM pg_roles WHERE rolname = $1", role)
    return None if row is None else Existing(marked_owner(row["mark"]))


async def database_owner(conn: asyncpg.Connection, names: TenantNames) -> Existing | None:
    row = await conn.fetchrow(
        "SELECT shobj_description(d.oid, 'pg_database') AS mark, r.rolname AS owner, "
        "shobj_description(r.oid, 'pg_authid') AS owner_mark "
        "FROM pg_database d LEFT JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1",
        names.database)
    if row is None:
        return None
    if row["mark"] is None and row["owner"] == names.role:
        # Created, then a crash before its COMMENT: it is whose its owning role is.
        return Existing(marked_owner(row["owner_mark"]))
    return Existing(marked_owner(row["mark"]))


def claim(tenant: Tenant, what: str, existing: Existing | None) -> None:
    if existing is None:  # dropped under us (the delete of a same-slug tenant)
        raise TenantDbError(f"{what} vanished while being created", transient=True)
    if existing.owner == tenant.id:
        return
    # Permanent: adopting it would put two tenants in one database, and deleting
    # either would drop the other's data.
    whose = (f"belongs to tenant {existing.owner}" if existing.owner
             else "exists but is not marked as any tenant's")
    raise TenantDbError(f"{what} {whose}: slug {tenant.slug!r} is taken; "
                        f"not provisioning tenant {tenant.id} onto it", transient=False)


def may_drop(tenant: Tenant, what: str, existing: Existing | None) -> bool:
    if existing is None or existing.owner == tenant.id:
        return True  # DROP ... IF EXISTS: nothing to drop, or ours
    log.warning("tenant=%s: not dropping %s: it belongs to %s", tenant.id, what,
                f"tenant {existing.owner}" if existing.owner else "no marked tenant")
    return False
