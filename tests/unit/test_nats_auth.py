"""The NATS principals' table (tenantctl.nats_auth): derived from contracts, rendered
for nats-server, kept in the data dir, printed for the stock CLI."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tenant_contracts.events import EVENT_TYPES, REQUEST_TYPES
from tenant_contracts.subjects import REQUEST_SUBJECTS
from tenantctl.cli import main
from tenantctl.nats_auth import (
    CREDENTIALS_FILE,
    PRINCIPALS,
    NatsCredentials,
    cli_options,
    permission_markdown,
    permission_table,
    render_users,
    save_endpoint,
)

CHANGES = ("$JS.API.STREAM.UPDATE", "$JS.API.STREAM.DELETE", "$JS.API.STREAM.PURGE",
           "$JS.API.STREAM.MSG.DELETE", "$JS.API.CONSUMER.DELETE", ">", "tenants.>")


def test_the_api_appends_requests_and_the_provisioner_the_rest() -> None:
    table = permission_table()
    api = {s for s in table["api"].publish if s.startswith("tenants.")}
    provisioner = {s for s in table["provisioner"].publish if s.startswith("tenants.")}
    assert api == set(REQUEST_SUBJECTS) == {f"tenants.*.{t.suffix}" for t in REQUEST_TYPES}
    assert provisioner == {f"tenants.*.{t.suffix}" for t in EVENT_TYPES} - api
    assert not any(s.startswith("tenants.") for name in ("notifier", "operator")
                   for s in table[name].publish)


@pytest.mark.parametrize("name", ["api", "provisioner", "notifier", "operator"])
def test_nobody_but_admin_may_change_the_stream_or_a_consumer(name: str) -> None:
    publish = permission_table()[name].publish
    assert not [s for s in publish if s.startswith(CHANGES) or s in CHANGES]
    assert not [s for s in publish if s.startswith("$JS.API.CONSUMER.DURABLE.CREATE")
                and not s.endswith(".provisioner")]


def test_rendered_users_carry_each_password_token_and_permissions() -> None:
    block = render_users({name: f"${name.upper()}_PASSWORD" for name in PRINCIPALS})
    for name in PRINCIPALS:
        assert f'{{user: "{name}", password: ${name.upper()}_PASSWORD, permissions:' in block
    assert "no_auth_user" not in block


def test_credentials_are_kept_private_and_reused(tmp_path: Path) -> None:
    first = NatsCredentials.load_or_create(tmp_path)
    assert stat.S_IMODE((tmp_path / CREDENTIALS_FILE).stat().st_mode) == 0o600
    assert NatsCredentials.load_or_create(tmp_path) == first
    assert len(set(first.passwords.values())) == len(PRINCIPALS)
    assert first.env("notifier") == {"NATS_USER": "notifier",
                                     "NATS_PASSWORD": first.password("notifier")}


def test_nats_creds_prints_the_cli_options(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    credentials = NatsCredentials.load_or_create(tmp_path)
    save_endpoint(tmp_path, "tls://127.0.0.1:4999", "/data/ca.pem")
    with pytest.raises(SystemExit) as done:
        main(["nats-creds", "operator", "--data-dir", str(tmp_path)])
    assert done.value.code == 0
    printed = capsys.readouterr().out.split()
    assert printed == cli_options(tmp_path, "operator") == [
        "--server", "tls://127.0.0.1:4999", "--user", "operator",
        f"--password={credentials.password('operator')}", "--tlsca", "/data/ca.pem"]


def test_nats_creds_without_a_data_dir_says_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["nats-creds", "api", "--data-dir", str(tmp_path / "none")])
    assert done.value.code == 2
    assert "tenantctl dev" in capsys.readouterr().err


def test_the_architecture_doc_shows_the_configured_table() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text()
    assert permission_markdown() in doc


def test_the_kubernetes_config_carries_the_same_principals() -> None:
    from pathlib import Path

    from tenantctl.nats_auth import render_k8s_auth

    conf = Path(__file__).parents[2] / "deploy" / "k8s" / "nats" / "auth.conf"
    assert conf.read_text() == render_k8s_auth()
