"""Whether the rendered NetworkPolicies let one endpoint reach another, by the API's
rules: traffic is allowed when no policy selects the pod for that direction, or
when any policy that does has a rule admitting it (ingress at the destination and
egress at the source must both allow)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.unit.k8s.policy import selects
from tests.unit.k8s.render import Obj, by_kind

NAMESPACE = "tenant-platform"


@dataclass(frozen=True)
class Endpoint:
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None  # outside the cluster (no pod): only ipBlock rules name it

    @property
    def is_pod(self) -> bool:
        return self.ip is None


def pod(name: str, **labels: str) -> Endpoint:
    return Endpoint(NAMESPACE, {"app.kubernetes.io/name": name, **labels})


def policies() -> list[Obj]:
    return list(by_kind("NetworkPolicy", monitoring=True).values())


def _peer_matches(peer: Obj, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        return not other.is_pod  # the tests' outside addresses are in any block written
    if not other.is_pod:
        return False
    if "namespaceSelector" in peer:
        ns_labels = {"kubernetes.io/metadata.name": other.namespace}
        if peer["namespaceSelector"] and not selects(peer["namespaceSelector"], ns_labels):
            return False
    elif other.namespace != NAMESPACE:
        return False
    pod_selector = peer.get("podSelector")
    return not pod_selector or selects(pod_selector, other.labels)


def _rule_allows(rule: Obj, peers_key: str, other: Endpoint, port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    if ports and not any(p.get("port") == port and p.get("protocol", "TCP") == protocol
                         for p in ports):
        return False
    peers = rule.get(peers_key)
    return not peers or any(_peer_matches(p, other) for p in peers)


def _selects_pod(policy: Obj, endpoint: Endpoint) -> bool:
    selector = policy["spec"]["podSelector"]
    return endpoint.is_pod and endpoint.namespace == NAMESPACE and (
        not selector or selects(selector, endpoint.labels))


def _allowed(endpoint: Endpoint, direction: str, other: Endpoint, port: int,
             protocol: str) -> bool:
    if not endpoint.is_pod or endpoint.namespace != NAMESPACE:
        return True  # not governed by these policies
    key = "Ingress" if direction == "ingress" else "Egress"
    governing = [p for p in policies() if _selects_pod(p, endpoint)
                 and key in p["spec"].get("policyTypes", ["Ingress"])]
    if not governing:
        return True
    peers_key = "from" if direction == "ingress" else "to"
    return any(_rule_allows(rule, peers_key, other, port, protocol)
               for p in governing for rule in p["spec"].get(direction, []))


def reaches(source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
    return (_allowed(source, "egress", destination, port, protocol)
            and _allowed(destination, "ingress", source, port, protocol))
