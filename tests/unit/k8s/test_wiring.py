"""Each service gets what its settings read, secrets only from Secrets, and a config
edit rolls the pods."""

from __future__ import annotations

import re

from tests.unit.k8s.render import K8S, SERVICES, by_kind, container_env, workload, workloads

PORTS = {"api": 8000, "notifier": 8001, "provisioner": 8002, "mailer": 8003}
SECRET_VARIABLES = {"NATS_PASSWORD", "DATABASE_URL", "PROVISIONER_DATABASE_URL", "JWT_SECRET",
                    "NATS_CREDS", "SMTP_URL"}
DATABASE = {"api": "DATABASE_URL", "provisioner": "PROVISIONER_DATABASE_URL"}


def test_each_service_runs_its_module() -> None:
    for name in SERVICES:
        (container,) = workload(name).pod["containers"]
        assert container["command"] == ["python", "-m", f"tenant_{name}"]
        assert workload(name).pod["terminationGracePeriodSeconds"] > 0


def test_each_service_is_a_nats_principal_with_its_own_password() -> None:
    for name in SERVICES:
        (container,) = workload(name).pod["containers"]
        env = container_env(workload(name), container)
        assert env["NATS_USER"] == {"value": name}
        assert env["NATS_PASSWORD"] == {
            "valueFrom": {"secretKeyRef": {"name": "nats-users", "key": name}}}
        assert env["NATS_TLS_CA"]["value"] == "/etc/nats-tls/ca.crt"
        assert env["STREAM_REPLICAS"]["value"] == "3"


def test_clients_mount_only_the_ca_of_the_nats_certificate() -> None:
    for name in SERVICES:
        volumes = {v["name"]: v for v in workload(name).pod["volumes"]}
        (container,) = workload(name).pod["containers"]
        mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
        secret = mounts["/etc/nats-tls"]["secret"]
        assert secret == {"secretName": "nats-tls", "items": [{"key": "ca.crt",
                                                                "path": "ca.crt"}]}


def test_only_the_services_that_use_a_database_get_its_url() -> None:
    for name in SERVICES:
        (container,) = workload(name).pod["containers"]
        env = container_env(workload(name), container)
        urls = {k: v for k, v in env.items() if k.endswith("DATABASE_URL")}
        if name in DATABASE:
            assert urls == {DATABASE[name]: {"valueFrom": {"secretKeyRef": {
                "name": "tenant-platform-db", "key": DATABASE[name]}}}}
        else:
            assert urls == {}


def test_secrets_come_only_from_secrets() -> None:
    for name in (*SERVICES, "nats"):
        work = workload(name)
        for container in work.containers():
            for variable, source in container_env(work, container).items():
                if variable in SECRET_VARIABLES or variable.endswith("_PASSWORD"):
                    assert "secretKeyRef" in source.get("valueFrom", {}), (name, variable)
    for config_map in by_kind("ConfigMap").values():
        for key, value in config_map.get("data", {}).items():
            assert key not in SECRET_VARIABLES, key
            # No credentials in a URL (scheme://user:password@host).
            assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", value), key
    assert by_kind("Secret") == {}  # created out of band (README), never rendered from git


def test_each_service_listens_and_is_probed_on_its_port() -> None:
    for name in SERVICES:
        (container,) = workload(name).pod["containers"]
        env = container_env(workload(name), container)
        port = PORTS[name]
        assert env[f"{name.upper()}_PORT"]["value"] == str(port)
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


def test_a_config_edit_rolls_the_pods() -> None:
    # configMapGenerator names each ConfigMap after a hash of its content, and
    # kustomize writes that name into the pod templates: new content, new template.
    names = set(by_kind("ConfigMap"))
    hashed = {n.rsplit("-", 1)[0]: n for n in names}
    assert set(hashed) == {"tenant-platform", "nats-config"}
    assert all(re.fullmatch(r"[a-z-]+-[a-z0-9]{10}", n) for n in names)
    for name in SERVICES:
        (container,) = workload(name).pod["containers"]
        assert container["envFrom"] == [{"configMapRef": {"name": hashed["tenant-platform"]}}]
    volumes = {v["name"]: v for v in workload("nats").pod["volumes"]}
    assert volumes["config"]["configMap"]["name"] == hashed["nats-config"]


def secrets_read() -> set[tuple[str, str]]:
    """(Secret, key) pairs the pods read, from env and volumes."""
    found: set[tuple[str, str]] = set()
    for work in workloads():
        for container in work.containers():
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    found.add((ref["name"], ref["key"]))
        for volume in work.pod.get("volumes", []):
            secret = volume.get("secret")
            if secret:
                keys = [i["key"] for i in secret.get("items", [])] or ["ca.crt", "tls.crt",
                                                                       "tls.key"]
                found |= {(secret["secretName"], key) for key in keys}
    for ingress in by_kind("Ingress").values():
        found |= {(t["secretName"], "tls.crt") for t in ingress["spec"]["tls"]}
    return found


def test_every_secret_the_pods_read_is_documented_for_the_operator() -> None:
    readme = (K8S / "README.md").read_text()
    (table,) = [part for part in readme.split("\n\n") if part.startswith("| Secret | keys")]
    rows = {line.split("|")[1].strip(" `"): line.split("|")[2] for line in
            table.splitlines()[2:]}
    for secret, key in secrets_read():
        assert secret in rows, f"README.md's Secret table lacks {secret}"
        assert f"`{key}`" in rows[secret], f"README.md's row for {secret} lacks {key}"
