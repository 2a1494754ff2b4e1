"""Request parsing, names and quoting, trace context, settings, failure classes, migrations."""

from __future__ import annotations

import uuid

import pytest

from tenant_contracts.codec import encode_event
from tenant_contracts.events import TenantActive, TenantRequested
from tenant_provisioner.failures import is_transient_sqlstate
from tenant_provisioner.naming import TenantNames, quote_ident, quote_literal
from tenant_provisioner.request import Poison, parse_request
from tenant_provisioner.schema_migrations import migrations, parse_migration_name
from tenant_provisioner.settings import Settings, SettingsError
from tenant_provisioner.tracing import child_traceparent, trace_id_of

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def requested() -> TenantRequested:
    return TenantRequested(tenant_id=uuid.uuid4(), owner="a", actor="a", name="n",
                           slug="acme", plan="free", admin_email="a@b.c")


def test_parses_a_request_with_its_trace_context() -> None:
    event = requested()
    request = parse_request(f"tenants.{event.tenant_id}.requested", encode_event(event),
                            {"traceparent": PARENT}, 42)
    assert request.event == event and request.seq == 42 and request.traceparent == PARENT


@pytest.mark.parametrize(("subject", "data", "reason"), [
    ("tenants.{id}.requested", b"{nope", "undecodable"),
    ("tenants.{id}.requested", b'{"type": "Nope"}', "undecodable"),
    ("tenants.x.requested", b"{}", "unexpected subject"),
    ("tenants.{id}.active", b"{}", "not a request subject"),
    ("tenants.{id}.updated_requested", b"{}", "unexpected subject"),
    ("tenants.{id}.retry_requested", None, "payload on"),
    ("tenants.{other}.requested", None, "payload tenant_id"),
])
def test_poison_is_recognised(subject: str, data: bytes | None, reason: str) -> None:
    event = requested()
    subject = subject.format(id=event.tenant_id, other=uuid.uuid4())
    with pytest.raises(Poison, match=reason):
        parse_request(subject, data or encode_event(event), {}, 1)


def test_a_non_request_payload_on_a_request_subject_is_poison() -> None:
    tenant_id = uuid.uuid4()
    active = TenantActive(tenant_id=tenant_id, owner="a", actor="a", database="d")
    with pytest.raises(Poison, match="TenantActive"):
        parse_request(f"tenants.{tenant_id}.requested", encode_event(active), {}, 1)


def test_names_map_dashes_and_quote_safely() -> None:
    assert TenantNames.for_slug("acme-corp-2") == TenantNames("tenant_acme_corp_2",
                                                              "tenant_acme_corp_2")
    assert quote_ident('we"ird') == '"we""ird"'
    assert quote_literal("it's") == "'it''s'"
    assert len(TenantNames.for_slug("a" * 40).database) <= 63


def test_child_traceparent_keeps_the_trace_and_makes_a_new_span() -> None:
    child = child_traceparent(PARENT)
    assert trace_id_of(child) == trace_id_of(PARENT) and child != PARENT
    assert child.endswith("-01")
    fresh = child_traceparent("garbage")
    assert trace_id_of(fresh) and trace_id_of(fresh) != trace_id_of(PARENT)
    assert trace_id_of(child_traceparent(None))


def test_settings_defaults_and_errors() -> None:
    settings = Settings.from_env({"PROVISIONER_DATABASE_URL": "postgresql://x/y"})
    assert settings.backoff == (1, 5, 30, 120, 600) and settings.policy.max_attempts == 6
    assert settings.stage_delay == 0 and settings.consumer == "provisioner"
    assert settings.max_deliver > settings.policy.max_attempts
    with pytest.raises(SettingsError, match="PROVISIONER_DATABASE_URL"):
        Settings.from_env({})
    with pytest.raises(SettingsError, match="PROVISIONER_BACKOFF_SECONDS"):
        Settings.from_env({"PROVISIONER_DATABASE_URL": "u", "PROVISIONER_BACKOFF_SECONDS": "1,x"})
    with pytest.raises(SettingsError, match="PROVISIONER_STAGE_DELAY_SECONDS"):
        Settings.from_env({"PROVISIONER_DATABASE_URL": "u",
                           "PROVISIONER_STAGE_DELAY_SECONDS": "-1"})


@pytest.mark.parametrize(("sqlstate", "transient"), [
    ("08006", True), ("53300", True), ("57P01", True), ("57P03", True), ("40P01", True),
    ("55P03", True), ("42501", False), ("42601", False), ("28P01", False), (None, False),
])
def test_failure_classes(sqlstate: str | None, transient: bool) -> None:
    assert is_transient_sqlstate(sqlstate) is transient


def test_migrations_are_shipped_in_order() -> None:
    shipped = migrations()
    assert [m.version for m in shipped] == [1, 2, 3]
    assert all(m.sql.strip() and len(m.checksum) == 64 for m in shipped)
    assert parse_migration_name("0012_add_things.sql") == (12, "add_things")
    with pytest.raises(ValueError):
        parse_migration_name("add_things.sql")
