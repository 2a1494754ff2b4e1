"""The NATS StatefulSet and its config: accepted by nats-server itself, authenticated
and encrypted, durable, drained gracefully, probed as the official chart probes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError

from tenant_contracts.events import EVENT_TYPES, REQUEST_TYPES
from tenant_stream.connection import NatsSettings
from tenantctl.nats_server import nats_server_binary
from tenantctl.ports import free_port, wait_for_port
from tests.conftest import wait_until
from tests.unit.k8s import nats_config as conf
from tests.unit.k8s.render import by_kind, container_env, rendered, workload

PRINCIPALS = {"api", "provisioner", "notifier", "mailer", "operator", "admin"}
READ_API = {"$JS.API.INFO", "$JS.API.STREAM.INFO.TENANTS", "$JS.API.STREAM.MSG.GET.TENANTS",
            "$JS.API.DIRECT.GET.TENANTS.>", "$JS.API.CONSUMER.CREATE.TENANTS"}


async def ignore(error: Exception) -> None:
    """A refused publish is reported to the publisher; the test looks at the receiver."""


def check(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([nats_server_binary(), "-t", "-c", str(config)], env=env,
                          capture_output=True, text=True, timeout=30, check=False)


def test_nats_server_accepts_the_rendered_config(tmp_path: Path) -> None:
    result = check(conf.lay_out(tmp_path), conf.container_env())
    assert result.returncode == 0, result.stderr


def test_nats_server_refuses_it_when_a_password_is_not_in_the_environment(
        tmp_path: Path) -> None:
    env = conf.container_env()
    del env["NOTIFIER_NATS_PASSWORD"]
    result = check(conf.lay_out(tmp_path), env)
    assert result.returncode != 0
    assert "NOTIFIER_NATS_PASSWORD" in result.stderr


def test_every_mount_path_the_config_names_is_mounted() -> None:
    mounts = {m["mountPath"].rstrip("/") + "/": m["name"]
              for m in conf.nats_container()["volumeMounts"]}
    assert mounts == conf.MOUNTS
    for path in ("/etc/nats-tls/", "/var/run/nats/", "/data/"):
        assert path in conf.text()
    claims = {c["metadata"]["name"] for c in workload("nats").obj["spec"]["volumeClaimTemplates"]}
    assert claims == {"data"}


def test_each_principal_has_a_password_from_the_secret_and_nobody_is_anonymous() -> None:
    users = conf.users()
    assert set(users) == PRINCIPALS
    env = {e["name"]: e for e in conf.nats_container()["env"]}
    for name, user in users.items():
        assert user.password.startswith("$"), f"{name}'s password is written in the config"
        ref = env[user.password[1:]]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "nats-users", "key": name}
    assert "no_auth_user" not in conf.text()


def test_permissions_follow_the_spec() -> None:
    users = conf.users()
    requests = {f"tenants.*.{t.suffix}" for t in REQUEST_TYPES}
    outcomes = {f"tenants.*.{t.suffix}" for t in EVENT_TYPES if t not in REQUEST_TYPES}
    api, provisioner = users["api"].allowed("publish"), users["provisioner"].allowed("publish")
    assert {s for s in api if s.startswith("tenants.")} == requests
    assert api >= READ_API | {"$JS.API.STREAM.CREATE.TENANTS"}
    assert {s for s in provisioner if s.startswith("tenants.")} == outcomes
    assert provisioner >= READ_API | {
        "$JS.API.CONSUMER.DURABLE.CREATE.TENANTS.provisioner",
        "$JS.API.CONSUMER.INFO.TENANTS.provisioner",
        "$JS.API.CONSUMER.MSG.NEXT.TENANTS.provisioner", "$JS.ACK.TENANTS.provisioner.>"}
    assert "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.TENANTS.provisioner" in \
        users["provisioner"].allowed("subscribe")
    notifier = users["notifier"].allowed("publish")
    assert notifier >= READ_API and not any(s.startswith("tenants.") for s in notifier)
    operator = users["operator"]
    assert not any(s.startswith("tenants.") for s in operator.allowed("publish"))
    assert operator.allowed("subscribe") >= {"_INBOX.>", "tenants.>"}
    # Only the admin edits or deletes the stream and the consumers.
    for name in PRINCIPALS - {"admin"}:
        for subject in users[name].allowed("publish"):
            assert ".DELETE." not in subject and ".UPDATE." not in subject \
                and ".PURGE." not in subject and subject != ">", (name, subject)
    assert users["admin"].allowed("publish") == {">"}


def test_clients_and_routes_use_tls_and_routes_verify_their_peer() -> None:
    client_tls = conf.block("tls", conf.text().split("cluster {")[0])
    for key in ("cert_file", "key_file", "ca_file"):
        assert conf.setting(key, client_tls).startswith("/etc/nats-tls/")
    route_tls = conf.block("tls", conf.block("cluster"))
    assert conf.setting("verify", route_tls) == "true"
    assert conf.setting("ca_file", route_tls) == "/etc/nats-tls/ca.crt"
    volumes = {v["name"]: v for v in workload("nats").pod["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "nats-tls"


def test_routes_and_the_services_seed_list_name_every_replica() -> None:
    statefulset = workload("nats").obj["spec"]
    nodes = [f"nats-{i}.{statefulset['serviceName']}" for i in range(statefulset["replicas"])]
    assert statefulset["replicas"] == 3
    routes = conf.block("cluster").split("routes:")[1]
    assert [line.strip() for line in routes.splitlines() if "://" in line] == [
        f"nats-route://{node}:6222" for node in nodes]
    assert conf.setting("no_advertise", conf.block("cluster")) == "true"
    (service,) = [s for s in by_kind("Service").values() if s["metadata"]["name"] == "nats"]
    assert service["spec"]["clusterIP"] == "None"
    assert statefulset["podManagementPolicy"] == "Parallel"
    for name in ("api", "provisioner", "notifier"):
        (container,) = workload(name).pod["containers"]
        env = container_env(workload(name), container)
        assert env["NATS_URL"]["value"] == ",".join(f"tls://{n}:4222" for n in nodes)


def test_lame_duck_drains_clients_within_the_grace_period() -> None:
    duration = conf.seconds(conf.setting("lame_duck_duration"))
    grace = conf.seconds(conf.setting("lame_duck_grace_period"))
    assert duration >= 30 and grace < duration
    pod = workload("nats").pod
    # Room after the lame duck for JetStream's leaders to step down and flush.
    assert pod["terminationGracePeriodSeconds"] >= duration + grace + 10
    pid_file = conf.setting("pid_file")
    command = conf.nats_container()["lifecycle"]["preStop"]["exec"]["command"]
    assert command == ["nats-server", "--signal", f"ldm={pid_file}"]


def test_acknowledged_appends_are_on_disk() -> None:
    assert conf.setting("sync_interval", conf.block("jetstream")) == "always"


def test_stores_are_bounded_below_the_volume_and_the_memory_limit() -> None:
    jetstream = conf.block("jetstream")
    (claim,) = workload("nats").obj["spec"]["volumeClaimTemplates"]
    volume = conf.size_bytes(claim["spec"]["resources"]["requests"]["storage"])
    assert conf.size_bytes(conf.setting("max_file_store", jetstream)) <= 0.85 * volume
    memory_limit = conf.size_bytes(conf.nats_container()["resources"]["limits"]["memory"])
    assert conf.size_bytes(conf.setting("max_memory_store", jetstream)) <= memory_limit / 2
    env = {e["name"]: e.get("value") for e in conf.nats_container()["env"]}
    assert conf.size_bytes(env["GOMEMLIMIT"]) < memory_limit


def test_probes_are_those_of_the_official_chart() -> None:
    container = conf.nats_container()
    monitor = {p["name"]: p["containerPort"] for p in container["ports"]}["monitor"]
    assert conf.setting("http_port") == str(monitor)
    paths = {probe: container[probe]["httpGet"]["path"]
             for probe in ("startupProbe", "readinessProbe", "livenessProbe")}
    assert paths == {"startupProbe": "/healthz",
                     "readinessProbe": "/healthz?js-server-only=true",
                     "livenessProbe": "/healthz?js-enabled-only=true"}
    for probe in paths:
        assert container[probe]["httpGet"]["port"] == "monitor"


def test_the_image_runs_the_version_the_config_is_checked_with() -> None:
    version = subprocess.run([nats_server_binary(), "--version"], capture_output=True,
                             text=True, check=True).stdout.split()[-1].lstrip("v")
    assert conf.nats_container()["image"] == f"nats:{version}-alpine"


def test_no_secret_value_is_in_a_config_map() -> None:
    env = conf.container_env()
    dummy_secrets = [v for v in env.values() if v.startswith("dummy+")]
    for obj in rendered(monitoring=True):
        if obj["kind"] == "ConfigMap":
            assert not any(s in str(obj["data"]) for s in dummy_secrets)
            assert "password:" not in str(obj["data"]).replace("password: $", "")


@dataclass(frozen=True)
class RunningNode:
    url: str
    ca: str
    env: dict[str, str]


@pytest.fixture
def rendered_node(tmp_path: Path) -> Iterator[RunningNode]:
    """One nats-server on the rendered config (its routes lead nowhere: core NATS and
    the authorization work without the other nodes)."""
    ports = {4222: free_port(), 6222: free_port(), 8222: free_port()}
    env = conf.container_env()
    server = subprocess.Popen([nats_server_binary(), "-c", str(conf.lay_out(tmp_path, ports))],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(ports[4222], timeout=15)
        yield RunningNode(f"tls://127.0.0.1:{ports[4222]}", str(tmp_path / "tls" / "ca.crt"), env)
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_a_node_with_the_rendered_config_enforces_the_principals(
        rendered_node: RunningNode) -> None:
    url, ca, env = rendered_node.url, rendered_node.ca, rendered_node.env

    def settings(user: str) -> NatsSettings:
        return NatsSettings(servers=(url,), user=user, tls_ca=ca,
                            password=env[f"{user.upper()}_NATS_PASSWORD"])

    watcher = await nats.connect(**settings("admin").connect_options())
    seen: list[str] = []

    async def record(msg: nats.aio.msg.Msg) -> None:
        seen.append(msg.subject)

    await watcher.subscribe("tenants.>", cb=record)
    await watcher.flush()

    async def delivered(user: str, subject: str) -> bool:
        """Whether a publish of `user` reaches a subscriber: the server drops a
        forbidden one (and tells only the publisher)."""
        seen.clear()
        nc = await nats.connect(**settings(user).connect_options(), allow_reconnect=False,
                                error_cb=ignore)
        await nc.publish(subject, b"{}")
        await nc.flush()  # processed by the server before the marker below
        await nc.close()
        await watcher.publish("tenants.marker.end", b"")
        await wait_until(lambda: "tenants.marker.end" in seen, timeout=10)
        return subject in seen

    assert await delivered("api", "tenants.t1.requested")
    assert not await delivered("notifier", "tenants.t1.requested")
    assert not await delivered("api", "tenants.t1.active")
    assert await delivered("provisioner", "tenants.t1.active")
    assert not await delivered("operator", "tenants.t1.deleted")
    await watcher.close()
    with pytest.raises((NatsError, OSError)):
        await nats.connect(url, tls=NatsSettings(tls_ca=ca).tls_context(),
                           allow_reconnect=False, max_reconnect_attempts=0)
