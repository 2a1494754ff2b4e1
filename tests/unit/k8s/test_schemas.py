"""Every rendered object is valid for the Kubernetes API, checked offline against the
JSON schemas that the kubernetes-validate package ships (strict: an unknown or
misspelt field fails, as `kubectl apply --validate=strict` would)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from tests.unit.k8s.render import KUSTOMIZE_VERSION, ROOT, rendered

# The oldest Kubernetes the manifests support: matchLabelKeys in topology spread
# constraints is beta (on by default) from 1.27, restricted Pod Security from 1.25.
KUBERNETES_VERSION = "1.29"
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule"}  # CRDs: their schemas are not shipped


def test_every_object_of_the_base_and_the_monitoring_overlay_is_valid() -> None:
    checked = 0
    for obj in rendered(monitoring=True):
        if obj["kind"] in OPERATOR_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message} "
                        f"at {'.'.join(map(str, exc.path))}")
        checked += 1
    assert checked >= 15  # the namespace, 3 Deployments, the StatefulSet, Services, PDBs...


def test_the_validator_rejects_a_misspelt_field() -> None:
    # The check above is only worth something if strict validation bites.
    deployment: dict[str, Any] = next(o for o in rendered() if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_operator_objects_have_the_fields_the_operator_reads() -> None:
    monitors = [o for o in rendered(monitoring=True) if o["kind"] == "ServiceMonitor"]
    rules = [o for o in rendered(monitoring=True) if o["kind"] == "PrometheusRule"]
    assert monitors and rules
    for obj in monitors + rules:
        assert obj["apiVersion"] == "monitoring.coreos.com/v1"
        assert obj["metadata"]["namespace"] == "tenant-platform"
    for monitor in monitors:
        assert monitor["spec"]["selector"]["matchLabels"]
        for endpoint in monitor["spec"]["endpoints"]:
            assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout", "scheme"}
    for rule in rules:
        for group in rule["spec"]["groups"]:
            for alert in group["rules"]:
                assert set(alert) <= {"alert", "expr", "for", "labels", "annotations"}
                assert alert["expr"].strip()


def test_the_tests_use_the_kustomize_that_platform_installs() -> None:
    platform = (ROOT / "platform").read_text()
    assert f"KUSTOMIZE_VERSION={KUSTOMIZE_VERSION}\n" in platform
    assert "@latest" not in platform
