"""Names of a tenant's PostgreSQL objects, and SQL quoting for statements that take no parameters.

CREATE DATABASE / CREATE ROLE cannot use bind parameters, so identifiers and the
role password are quoted here, in one place, instead of being pasted into SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

_MARK = "tenant:"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    # standard_conforming_strings is on (the default since 9.1): only quotes need doubling
    return "'" + value.replace("'", "''") + "'"


def owner_mark(tenant_id: uuid.UUID) -> str:
    """The COMMENT on a tenant's database and role: whose they are. Two tenants can
    share a slug (an orphaned request, then the client's retry), hence a name can't say."""
    return f"{_MARK}{tenant_id}"


def marked_owner(comment: str | None) -> uuid.UUID | None:
    if not comment or not comment.startswith(_MARK):
        return None
    try:
        return uuid.UUID(comment.removeprefix(_MARK))
    except ValueError:
        return None


@dataclass(frozen=True)
class TenantNames:
    database: str
    role: str

    @classmethod
    def for_slug(cls, slug: str) -> TenantNames:
        # Slugs are ^[a-z][a-z0-9-]{2,39}$: '-' is the only character that is not a
        # plain identifier character, and '_' never occurs in a slug, so the mapping
        # is one to one and the result stays under PostgreSQL's 63-byte limit.
        name = "tenant_" + slug.replace("-", "_")
        return cls(database=name, role=name)
