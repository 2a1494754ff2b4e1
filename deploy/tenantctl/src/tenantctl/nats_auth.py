"""The five NATS principals and what each may publish and subscribe (issue 10).

The one place their permissions are defined: `tenantctl dev`, the tests' servers
and (by comparison in a unit test) the Kubernetes config all use this table.

Why these subjects:
- appends are plain publishes on `tenants.<id>.<suffix>`, so the subject decides
  which events a principal may write: the request suffixes come from contracts, so
  a request event added later is the api's, every other event type the provisioner's;
- every service creates the stream when it is missing (STREAM.CREATE). Creating is
  safe to grant: the server refuses a different config for an existing stream, while
  STREAM.UPDATE / DELETE / PURGE, MSG.DELETE and CONSUMER.DELETE stay admin-only;
- readers follow the stream with unnamed ephemeral consumers (the 5-token
  CONSUMER.CREATE.TENANTS subject) and answer their flow control ($JS.FC);
- JetStream API replies and push deliveries land in the client's `_INBOX.>`.
The notifier answers the mailer's presence questions (`allow_responses`: it may
publish to the asker's inbox only while answering); the provisioner publishes its
heartbeat for the api's operations view.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tenant_contracts.events import EVENT_TYPES, REQUEST_TYPES
from tenant_contracts.subjects import ALL_SUBJECTS, STREAM_NAME, SUBJECT_PREFIX

PRINCIPALS: tuple[str, ...] = ("api", "provisioner", "notifier", "mailer", "operator", "admin")
PROVISIONER_CONSUMER = "provisioner"  # the provisioner's default durable (PROVISIONER_CONSUMER)
MAILER_CONSUMER = "mailer"  # the mailer's default durable (MAILER_CONSUMER)
HEARTBEAT = "ops.provisioner.heartbeat"  # tenant_contracts.heartbeat.HEARTBEAT_SUBJECT
PRESENCE = "presence.sessions"  # tenant_contracts.presence.PRESENCE_SUBJECT
CREDENTIALS_FILE = "nats-auth.json"

_S = STREAM_NAME
_P = PROVISIONER_CONSUMER
INBOX = "_INBOX.>"

# What every service needs to find, create (when missing) and read the stream.
READ_API: tuple[str, ...] = (
    "$JS.API.INFO",
    f"$JS.API.STREAM.INFO.{_S}",
    f"$JS.API.STREAM.CREATE.{_S}",
    f"$JS.API.STREAM.MSG.GET.{_S}",
    f"$JS.API.DIRECT.GET.{_S}",
    f"$JS.API.DIRECT.GET.{_S}.>",
    f"$JS.API.CONSUMER.CREATE.{_S}",  # unnamed ephemeral only: 5 tokens, nothing after
    "$JS.FC.>",  # flow-control replies of the ephemeral push consumers
)

# The README's recipes with the stock CLI: info, view, get, sub --stream, consumer info.
# The CLI names its ephemeral consumers (CONSUMER.CREATE.TENANTS.<name>[.<filter>]), so the
# operator may create named consumers, except over the provisioner's (denied below).
OPERATOR_API: tuple[str, ...] = (
    "$JS.API.INFO",
    "$JS.API.STREAM.NAMES",
    "$JS.API.STREAM.LIST",
    f"$JS.API.STREAM.INFO.{_S}",
    f"$JS.API.STREAM.MSG.GET.{_S}",
    f"$JS.API.DIRECT.GET.{_S}",
    f"$JS.API.DIRECT.GET.{_S}.>",
    f"$JS.API.CONSUMER.CREATE.{_S}",
    f"$JS.API.CONSUMER.CREATE.{_S}.>",
    f"$JS.API.CONSUMER.NAMES.{_S}",
    f"$JS.API.CONSUMER.LIST.{_S}",
    f"$JS.API.CONSUMER.INFO.{_S}.*",
    f"$JS.API.CONSUMER.MSG.NEXT.{_S}.*",  # `nats stream view` pulls from its own consumer
    "$JS.FC.>",
)
# The notifier's replays pull from an unnamed consumer (the server names it).
NOTIFIER_API: tuple[str, ...] = (f"$JS.API.CONSUMER.MSG.NEXT.{_S}.*",)
# Pulling from the provisioner's consumer would steal its requests; a create on an
# existing consumer's name would edit it.
READER_DENY: tuple[str, ...] = (f"$JS.API.CONSUMER.MSG.NEXT.{_S}.{_P}",)
OPERATOR_DENY: tuple[str, ...] = (
    f"$JS.API.CONSUMER.CREATE.{_S}.{_P}",
    f"$JS.API.CONSUMER.CREATE.{_S}.{_P}.>",
    f"$JS.API.CONSUMER.MSG.NEXT.{_S}.{_P}",
)

def durable_api(consumer: str) -> tuple[str, ...]:
    """Create (when missing), read and acknowledge one's own durable consumer."""
    return (
        f"$JS.API.CONSUMER.CREATE.{_S}.{consumer}",
        f"$JS.API.CONSUMER.CREATE.{_S}.{consumer}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{_S}.{consumer}",
        f"$JS.API.CONSUMER.INFO.{_S}.{consumer}",
        f"$JS.API.CONSUMER.MSG.NEXT.{_S}.{consumer}",
        f"$JS.ACK.{_S}.{consumer}.>",
        f"$JS.ACK.*.*.{_S}.{consumer}.>",  # the v2 ack subject ($JS.ACK.<domain>.<account>.…)
    )


PROVISIONER_API = durable_api(_P)


def request_subjects() -> tuple[str, ...]:
    return tuple(f"{SUBJECT_PREFIX}.*.{t.suffix}" for t in REQUEST_TYPES)


def outcome_subjects() -> tuple[str, ...]:
    return tuple(f"{SUBJECT_PREFIX}.*.{t.suffix}" for t in EVENT_TYPES
                 if t not in REQUEST_TYPES)


@dataclass(frozen=True, kw_only=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    publish_deny: tuple[str, ...] = ()
    answers_requests: bool = False  # allow_responses: reply to what it received, only

    def as_config(self) -> dict[str, object]:
        """The nats-server `permissions` map (its config syntax accepts JSON)."""
        publish: dict[str, list[str]] = {"allow": list(self.publish)}
        if self.publish_deny:
            publish["deny"] = list(self.publish_deny)
        config: dict[str, object] = {"publish": publish,
                                     "subscribe": {"allow": list(self.subscribe)}}
        if self.answers_requests:
            config["allow_responses"] = True
        return config


def permission_table() -> dict[str, Permissions]:
    """Every principal's permissions, as configured locally and on Kubernetes."""
    advisory = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{_S}.{_P}"
    return {
        # The operations view reads the provisioner's consumer info and heartbeats.
        "api": Permissions(publish=(*request_subjects(), *READ_API,
                                    f"$JS.API.CONSUMER.INFO.{_S}.{_P}"),
                           subscribe=(INBOX, HEARTBEAT)),
        "provisioner": Permissions(publish=(*outcome_subjects(), *READ_API, *PROVISIONER_API,
                                            HEARTBEAT),
                                   subscribe=(INBOX, advisory)),
        "notifier": Permissions(publish=(*READ_API, *NOTIFIER_API), publish_deny=READER_DENY,
                                subscribe=(INBOX, PRESENCE), answers_requests=True),
        # Reads the tenant's history, its own durable consumer, and asks the notifiers
        # whether an owner is watching; appends nothing.
        "mailer": Permissions(publish=(*READ_API, *durable_api(MAILER_CONSUMER), PRESENCE),
                              publish_deny=READER_DENY, subscribe=(INBOX,)),
        "operator": Permissions(publish=OPERATOR_API, publish_deny=OPERATOR_DENY,
                                subscribe=(INBOX, ALL_SUBJECTS)),
        "admin": Permissions(publish=(">",), subscribe=(">",)),
    }


def render_users(password_tokens: Mapping[str, str]) -> str:
    """The `authorization { users: [...] }` block. Each password token goes in as
    written: a quoted string locally, a `$VARIABLE` from a Secret on Kubernetes."""
    table = permission_table()
    users = []
    for name in PRINCIPALS:
        permissions = json.dumps(table[name].as_config(), indent=None)
        users.append(f"    {{user: {json.dumps(name)}, password: {password_tokens[name]}, "
                     f"permissions: {permissions}}}")
    # no_auth_user stays unset: a connection without credentials is refused.
    return "authorization {\n  users: [\n" + ",\n".join(users) + "\n  ]\n}\n"


@dataclass(frozen=True)
class NatsCredentials:
    """A password per principal, generated once and kept in the data dir."""

    passwords: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def generate(cls) -> NatsCredentials:
        return cls({name: secrets.token_urlsafe(24) for name in PRINCIPALS})

    @classmethod
    def load_or_create(cls, data_dir: Path) -> NatsCredentials:
        path = data_dir / CREDENTIALS_FILE
        if path.exists():
            stored = json.loads(path.read_text())
            if set(stored) >= set(PRINCIPALS):
                return cls({name: str(stored[name]) for name in PRINCIPALS})
        created = cls.generate()
        created.save(data_dir)
        return created

    def save(self, data_dir: Path) -> None:
        path = data_dir / CREDENTIALS_FILE
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)  # before the secrets go in
        path.write_text(json.dumps(dict(self.passwords), indent=2) + "\n")

    @classmethod
    def load(cls, data_dir: Path) -> NatsCredentials:
        stored = json.loads((data_dir / CREDENTIALS_FILE).read_text())
        return cls({name: str(stored[name]) for name in PRINCIPALS})

    def password(self, principal: str) -> str:
        if principal not in PRINCIPALS:
            raise KeyError(f"no NATS principal {principal!r}; one of {', '.join(PRINCIPALS)}")
        return self.passwords[principal]

    def authorization_block(self) -> str:
        return render_users({name: json.dumps(self.passwords[name]) for name in PRINCIPALS})

    def env(self, principal: str) -> dict[str, str]:
        """The settings tenant_stream.connection reads for this principal."""
        return {"NATS_USER": principal, "NATS_PASSWORD": self.password(principal)}


ENDPOINT_FILE = "nats-endpoint.json"
DEFAULT_URL = "nats://127.0.0.1:4222"


def save_endpoint(data_dir: Path, url: str, tls_ca: str | None) -> None:
    """Where `tenantctl dev` serves NATS, for `tenantctl nats-creds`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / ENDPOINT_FILE).write_text(json.dumps({"url": url, "tls_ca": tls_ca}) + "\n")


def cli_options(data_dir: Path, principal: str) -> list[str]:
    """The stock `nats` CLI's connection options for `principal` against the server
    `tenantctl dev` ran with this data dir."""
    credentials = NatsCredentials.load(data_dir)
    endpoint_file = data_dir / ENDPOINT_FILE
    endpoint = json.loads(endpoint_file.read_text()) if endpoint_file.exists() else {}
    return cli_connection_options(str(endpoint.get("url") or DEFAULT_URL), credentials,
                                  principal, endpoint.get("tls_ca"))


def cli_connection_options(url: str, credentials: NatsCredentials, principal: str,
                           tls_ca: str | None = None) -> list[str]:
    # `--password=...` in one word: a generated password may begin with "-" (base64url),
    # which the CLI would take for a flag of its own.
    options = ["--server", url, "--user", principal,
               f"--password={credentials.password(principal)}"]
    if tls_ca:
        options += ["--tlsca", tls_ca]
    return options


def permission_markdown() -> str:
    """The table docs/architecture.md shows (a unit test keeps the two equal)."""
    def cell(subjects: tuple[str, ...]) -> str:
        return ", ".join(f"`{s}`" for s in subjects) or "nothing"

    rows = ["| principal | may publish | never (deny) | may subscribe |",
            "| --- | --- | --- | --- |"]
    for name, p in permission_table().items():
        rows.append(f"| `{name}` | {cell(p.publish)} | {cell(p.publish_deny)} | "
                    f"{cell(p.subscribe)} |")
    return "\n".join(rows) + "\n"


K8S_HEADER = """\
# The NATS principals (SPEC section 2) and what each may publish and subscribe:
# generated from tenantctl.nats_auth (the same table as tenantctl's local servers;
# tests/unit/test_nats_auth.py keeps this file equal to it). Each password is an
# environment variable of the nats container, filled from the Secret `nats-users`
# (nats-server expands $NAME from the environment); no password is written here.
"""


def render_k8s_auth() -> str:
    """deploy/k8s/nats/auth.conf: `python -c 'from tenantctl.nats_auth import *;
    print(render_k8s_auth(), end="")' > deploy/k8s/nats/auth.conf`."""
    return K8S_HEADER + render_users({n: f"${n.upper()}_NATS_PASSWORD" for n in PRINCIPALS})
