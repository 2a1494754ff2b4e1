"""Request and response bodies of the HTTP API (SPEC section 3)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from tenant_contracts.events import Event
from tenant_contracts.tenant import DEFAULT_PLAN, SLUG_PATTERN, Plan, Tenant

# Control characters (NUL above all, which PostgreSQL text cannot hold) are refused.
_TEXT = r"[^\x00-\x1f\x7f]"
NAME_PATTERN = rf"^{_TEXT}*[^\s\x00-\x1f\x7f]{_TEXT}*$"  # and not only blanks
_ATOM = r"[^@\s\x00-\x1f\x7f]+"
EMAIL_PATTERN = rf"^{_ATOM}@{_ATOM}\.{_ATOM}$"

Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=NAME_PATTERN,
                           examples=["Acme Corporation"])]
Slug = Annotated[str, Meta(pattern=SLUG_PATTERN, examples=["acme"],
                           description="unique among tenants that are not Deleted")]
Email = Annotated[str, Meta(max_length=254, pattern=EMAIL_PATTERN,
                            examples=["admin@acme.example"])]


class CreateTenant(msgspec.Struct, frozen=True, kw_only=True):
    name: Name
    slug: Slug
    admin_email: Email
    plan: Plan = DEFAULT_PLAN


class UpdateTenant(msgspec.Struct, frozen=True, kw_only=True):
    name: Name | None = None
    plan: Plan | None = None


class TenantPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Tenant]
    next_cursor: str | None
    # The stream seq every row of the page reflects: open the socket with after=as_of.
    as_of: int


class HistoryItem(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    event: Event


class TenantHistory(msgspec.Struct, frozen=True, kw_only=True):
    items: list[HistoryItem]


class ClientConfig(msgspec.Struct, frozen=True, kw_only=True):
    notifier_url: str | None
    dev_tokens: bool


class DevTokenRequest(msgspec.Struct, frozen=True, kw_only=True):
    sub: Annotated[str, Meta(min_length=1, max_length=200, pattern=rf"^{_TEXT}+$",
                             examples=["alice"])]
    roles: list[Annotated[str, Meta(max_length=50, pattern=rf"^{_TEXT}*$")]] = msgspec.field(
        default_factory=list)


class DevToken(msgspec.Struct, frozen=True, kw_only=True):
    token: str


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    checks: dict[str, bool] = msgspec.field(default_factory=dict)
    problems: dict[str, str] = msgspec.field(default_factory=dict)  # why a check fails
