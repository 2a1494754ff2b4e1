from __future__ import annotations

import uuid

import pytest

from tenant_contracts.events import TenantActive, TenantFailed, TenantRequested
from tenant_contracts.tenant import fold
from tenant_mailer.consumer import ending_subjects
from tenant_mailer.mail import mails_for, message
from tenant_mailer.settings import Settings, SettingsError, parse_smtp_url

TENANT = uuid.uuid4()
COMMON = dict(tenant_id=TENANT, owner="ann", actor="system")


def _requested(owner_email: str | None) -> TenantRequested:
    return TenantRequested(tenant_id=TENANT, owner="ann", actor="ann", name="Shop",
                           slug="shop", plan="free", admin_email="boss@shop.test",
                           owner_email=owner_email)


def test_active_welcomes_the_admin_and_tells_an_owner_nobody_watched() -> None:
    requested, active = _requested("ann@x.test"), TenantActive(**COMMON, database="tenant_shop")
    tenant = fold([(1, requested), (2, active)])
    assert tenant is not None
    mails = mails_for(tenant, active, requested, owner_watching=False)
    assert [(m.kind, m.to) for m in mails] == [("welcome", "boss@shop.test"),
                                               ("owner", "ann@x.test")]
    assert "tenant_shop" in mails[0].body and "Shop" in mails[0].subject
    assert [m.kind for m in mails_for(tenant, active, requested, owner_watching=True)] == [
        "welcome"]
    email = message(mails[1], active, "platform@x.test")
    assert email["Message-ID"] == f"<{active.event_id}.owner@tenant-platform>"


def test_failed_tells_only_an_owner_with_an_address() -> None:
    failed = TenantFailed(**COMMON, error="disk full", attempts=3)
    for owner_email, expected in (("ann@x.test", 1), (None, 0)):
        requested = _requested(owner_email)
        tenant = fold([(1, requested), (2, failed)])
        assert tenant is not None
        mails = mails_for(tenant, failed, requested, owner_watching=False)
        assert len(mails) == expected
    assert "disk full" in mails_for(tenant, failed, _requested("a@b.c"), False)[0].body


def test_the_consumer_follows_the_endings_contracts_knows() -> None:
    assert {"tenants.*.active", "tenants.*.failed"} <= set(ending_subjects())


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://mail.test")
    assert (plain.port, plain.starttls, plain.implicit_tls, plain.username) == (
        25, False, False, None)
    relay = parse_smtp_url("smtp://me%40x:p%2Fw@relay.test:587?starttls=true")
    assert (relay.port, relay.starttls, relay.username, relay.password) == (
        587, True, "me@x", "p/w")
    assert "p/w" not in repr(relay)
    assert parse_smtp_url("smtps://relay.test").port == 465


@pytest.mark.parametrize("url", ["http://x", "smtp://", "smtps://x?starttls=true",
                                 "smtp://user@x", "smtp://x:port"])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"NATS_URL": "nats://127.0.0.1:4222", "SMTP_URL": url})


def test_email_is_off_without_smtp_url() -> None:
    assert Settings.from_env({"NATS_URL": "nats://127.0.0.1:4222"}).smtp is None
