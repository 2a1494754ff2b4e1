"""Whose a tenant_<slug> database or role is: the mark, and what follows from it."""

from __future__ import annotations

import uuid

import pytest

from tenant_contracts.events import TenantRequested
from tenant_contracts.tenant import Tenant, apply
from tenant_provisioner.failures import TenantDbError
from tenant_provisioner.naming import marked_owner, owner_mark
from tenant_provisioner.ownership import Existing, claim, may_drop


def tenant() -> Tenant:
    return apply(None, TenantRequested(tenant_id=uuid.uuid4(), owner="a", actor="a",
                                       name="n", slug="acme", plan="free",
                                       admin_email="a@b.c"), 1)


def test_the_mark_names_the_tenant_and_reads_back() -> None:
    tenant_id = uuid.uuid4()
    assert owner_mark(tenant_id) == f"tenant:{tenant_id}"
    assert marked_owner(owner_mark(tenant_id)) == tenant_id


@pytest.mark.parametrize("comment", [None, "", "made by hand", "tenant:", "tenant:not-a-uuid"])
def test_anything_else_is_unmarked(comment: str | None) -> None:
    assert marked_owner(comment) is None


def test_claim_accepts_only_the_tenant_itself() -> None:
    me = tenant()
    claim(me, "database tenant_acme", Existing(me.id))
    other = uuid.uuid4()
    with pytest.raises(TenantDbError) as taken:
        claim(me, "database tenant_acme", Existing(other))
    assert not taken.value.transient
    assert str(other) in str(taken.value) and "tenant_acme" in str(taken.value)
    with pytest.raises(TenantDbError) as unmarked:
        claim(me, "role tenant_acme", Existing(None))
    assert not unmarked.value.transient and "not marked" in str(unmarked.value)
    with pytest.raises(TenantDbError) as vanished:
        claim(me, "role tenant_acme", None)
    assert vanished.value.transient  # dropped under us: the next attempt creates it


def test_may_drop_what_is_gone_or_its_own_only() -> None:
    me = tenant()
    assert may_drop(me, "database tenant_acme", None)
    assert may_drop(me, "database tenant_acme", Existing(me.id))
    assert not may_drop(me, "database tenant_acme", Existing(uuid.uuid4()))
    assert not may_drop(me, "database tenant_acme", Existing(None))
