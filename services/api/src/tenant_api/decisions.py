"""What a request may do to a tenant, decided from its history alone (no I/O)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence

import msgspec

from tenant_api.wire import EMAIL_PATTERN, NAME_PATTERN, CreateTenant, UpdateTenant
from tenant_contracts.access import Principal
from tenant_contracts.events import (
    EventBase,
    TenantCancelRequested,
    TenantChanges,
    TenantDeletionRequested,
    TenantRequested,
    TenantRetryRequested,
    TenantUpdateRequested,
)
from tenant_contracts.tenant import (
    ACCEPTS_IN,
    SLUG_PATTERN,
    NotRequested,
    Status,
    Tenant,
    accepts,
    apply,
    is_busy,
)

History = Sequence[tuple[int, EventBase]]


class Rejected(Exception):
    """The request cannot be accepted; the subclass names the HTTP answer."""


class TenantNotFound(Rejected):
    pass


class TenantConflict(Rejected):
    pass


class InvalidRequest(Rejected):
    pass


class InvalidFields(InvalidRequest):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("the request has invalid fields")
        self.errors = errors


def _full(pattern: str, value: str | None) -> bool:
    # JSON Schema patterns end in `$`, which Python also lets match before a final
    # newline: the whole value must match, or "acme\n" would pass as a slug.
    return value is None or re.fullmatch(pattern, value) is not None


def check_create(body: CreateTenant) -> None:
    errors = [(field, f"must match {pattern}") for field, pattern, value in (
        ("name", NAME_PATTERN, body.name), ("slug", SLUG_PATTERN, body.slug),
        ("admin_email", EMAIL_PATTERN, body.admin_email)) if not _full(pattern, value)]
    if errors:
        raise InvalidFields(errors)


def check_update(body: UpdateTenant) -> None:
    if not _full(NAME_PATTERN, body.name):
        raise InvalidFields([("name", f"must match {NAME_PATTERN}")])


def current_state(history: History) -> Tenant | None:
    """The fold, skipping events that come before the tenant's TenantRequested.

    The projection skips those poison events as well, so both agree on the state.
    """
    tenant: Tenant | None = None
    for seq, event in history:
        try:
            tenant = apply(tenant, event, seq)
        except NotRequested:
            continue
    return tenant


def visible(history: History, principal: Principal) -> Tenant:
    tenant = current_state(history)
    # Someone else's tenant looks exactly like a missing one: its existence is not shared.
    if tenant is None or not principal.may_see(tenant.owner):
        raise TenantNotFound("no such tenant")
    return tenant


def _manageable(history: History, principal: Principal, request: type[EventBase]) -> Tenant:
    tenant = visible(history, principal)
    if tenant.status is Status.DELETED:
        raise TenantConflict("the tenant is deleted")
    if is_busy(tenant):  # busy statuses, or a request not taken up yet
        raise TenantConflict(f"the tenant is busy ({tenant.status}); try again when it settles")
    accepted = ACCEPTS_IN[request]
    if tenant.status not in accepted:
        allowed = " or ".join(sorted(accepted))
        raise TenantConflict(f"only a tenant that is {allowed} accepts this "
                             f"(it is {tenant.status})")
    return tenant


def decide_update(
    history: History, principal: Principal, update: UpdateTenant
) -> TenantUpdateRequested:
    check_update(update)
    if update.name is None and update.plan is None:
        raise InvalidRequest("nothing to change: give name and/or plan")
    tenant = _manageable(history, principal, TenantUpdateRequested)
    return TenantUpdateRequested(tenant_id=tenant.id, owner=tenant.owner, actor=principal.sub,
                                 changes=TenantChanges(name=update.name, plan=update.plan))


def decide_retry(history: History, principal: Principal) -> TenantRetryRequested:
    tenant = _manageable(history, principal, TenantRetryRequested)
    return TenantRetryRequested(tenant_id=tenant.id, owner=tenant.owner, actor=principal.sub)


def decide_delete(history: History, principal: Principal) -> TenantDeletionRequested:
    tenant = _manageable(history, principal, TenantDeletionRequested)
    return TenantDeletionRequested(tenant_id=tenant.id, owner=tenant.owner, actor=principal.sub)


def decide_cancel(history: History, principal: Principal) -> TenantCancelRequested:
    # Not _manageable: a cancel is meant for a busy tenant (contracts' accepts() lets it
    # overtake a provisioning request not taken up yet).
    tenant = visible(history, principal)
    if not accepts(tenant, TenantCancelRequested):
        if tenant.pending_request == TenantCancelRequested.__name__:
            raise TenantConflict("a cancel is already requested; it ends Cancelled shortly")
        raise TenantConflict("only a tenant that is Pending or Provisioning can be cancelled "
                             f"(it is {tenant.status})")
    return TenantCancelRequested(tenant_id=tenant.id, owner=tenant.owner, actor=principal.sub)


def new_tenant(body: CreateTenant, principal: Principal) -> TenantRequested:
    return TenantRequested(tenant_id=uuid.uuid4(), owner=principal.sub, actor=principal.sub,
                           name=body.name, slug=body.slug, plan=body.plan,
                           admin_email=body.admin_email, owner_email=principal.email)


_fingerprint_encoder = msgspec.json.Encoder(order="sorted")


def fingerprint(body: CreateTenant) -> str:
    """Identifies a create request's content, so a reused Idempotency-Key can be checked."""
    return hashlib.sha256(_fingerprint_encoder.encode(body)).hexdigest()
