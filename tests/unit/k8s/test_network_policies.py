"""Default deny; only the services reach NATS and PostgreSQL; only the ingress
controller reaches the api and the notifier; NATS routes only between NATS pods."""

from __future__ import annotations

from tests.unit.k8s.netpol import NAMESPACE, Endpoint, pod, policies, reaches
from tests.unit.k8s.render import SERVICES, workload

NATS_CLIENT = {"tenant-platform/nats-client": "true"}
INGRESS_CONTROLLER = Endpoint("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
PROMETHEUS = Endpoint("monitoring", {"app.kubernetes.io/name": "prometheus"})
OUTSIDE = Endpoint("", ip="10.20.30.40")  # PostgreSQL, an identity provider
STRANGER = Endpoint(NAMESPACE, {"app.kubernetes.io/name": "debug"})
OTHER_NAMESPACE = Endpoint("default", {**NATS_CLIENT})
KUBE_DNS = Endpoint("kube-system", {"k8s-app": "kube-dns"})
NATS = [pod("nats")]


def service(name: str) -> Endpoint:
    return Endpoint(NAMESPACE, workload(name).pod_labels)


def test_only_the_services_reach_nats_clients_port() -> None:
    for name in SERVICES:
        assert reaches(service(name), NATS[0], 4222), name
    for intruder in (STRANGER, OTHER_NAMESPACE, INGRESS_CONTROLLER, PROMETHEUS):
        assert not reaches(intruder, NATS[0], 4222), intruder
    assert not reaches(service("api"), NATS[0], 6222)


def test_nats_routes_only_between_nats_pods() -> None:
    assert reaches(NATS[0], NATS[0], 6222)
    assert not reaches(NATS[0], OUTSIDE, 4222)
    assert not reaches(NATS[0], service("api"), 8000)


def test_only_the_ingress_controller_reaches_the_api_and_the_notifier() -> None:
    assert reaches(INGRESS_CONTROLLER, service("api"), 8000)
    assert reaches(INGRESS_CONTROLLER, service("notifier"), 8001)
    assert not reaches(INGRESS_CONTROLLER, service("provisioner"), 8002)
    assert not reaches(INGRESS_CONTROLLER, NATS[0], 8222)
    for caller in (STRANGER, service("notifier"), OTHER_NAMESPACE):
        assert not reaches(caller, service("api"), 8000), caller
    assert not reaches(STRANGER, service("notifier"), 8001)


def test_only_the_api_and_the_provisioner_reach_postgresql() -> None:
    assert reaches(service("api"), OUTSIDE, 5432)
    assert reaches(service("provisioner"), OUTSIDE, 5432)
    assert not reaches(service("notifier"), OUTSIDE, 5432)
    assert not reaches(NATS[0], OUTSIDE, 5432)
    assert not reaches(STRANGER, OUTSIDE, 5432)


def test_everyone_resolves_names_and_nothing_else_leaves() -> None:
    for endpoint in (*map(service, SERVICES), NATS[0], STRANGER):
        assert reaches(endpoint, KUBE_DNS, 53, "UDP"), endpoint
        assert reaches(endpoint, KUBE_DNS, 53, "TCP"), endpoint
        if endpoint != service("mailer"):  # the one that talks to an SMTP relay
            assert not reaches(endpoint, OUTSIDE, 25), endpoint
    assert not reaches(service("provisioner"), OUTSIDE, 443)


def test_the_mailer_reaches_nats_and_an_smtp_relay_only() -> None:
    mailer = service("mailer")
    assert reaches(mailer, NATS[0], 4222)
    for port in (25, 465, 587):
        assert reaches(mailer, OUTSIDE, port), port
    for port in (443, 5432):
        assert not reaches(mailer, OUTSIDE, port), port
    assert not reaches(service("api"), mailer, 8003)  # nothing calls it


def test_prometheus_scrapes_the_services_with_the_monitoring_component() -> None:
    for name, port in (("api", 8000), ("notifier", 8001), ("provisioner", 8002),
                       ("mailer", 8003)):
        assert reaches(PROMETHEUS, service(name), port), name
    assert not reaches(PROMETHEUS, NATS[0], 4222)


def test_a_pod_added_later_starts_from_deny_all() -> None:
    # Any new workload in the namespace is selected by `default-deny` before anyone
    # writes a policy for it.
    (deny,) = [p for p in policies() if p["metadata"]["name"] == "default-deny"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    newcomer = Endpoint(NAMESPACE, {"app.kubernetes.io/name": "newcomer"})
    assert not reaches(service("api"), newcomer, 8080)
    assert not reaches(newcomer, OUTSIDE, 443)
