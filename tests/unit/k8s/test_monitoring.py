"""The optional monitoring component: a ServiceMonitor per service on its metrics
port, and alerts written in metrics the services export and the README explains."""

from __future__ import annotations

import re

from tests.unit.k8s.render import K8S, ROOT, SERVICES, Obj, by_kind, workload


def exported(service: str) -> set[str]:
    """Metric names a service's source declares (prometheus_client adds _total)."""
    names: set[str] = set()
    for source in (ROOT / "services" / service / "src").rglob("*.py"):
        for name in re.findall(rf'"({service}_[a-z_]+)"', source.read_text()):
            names |= {name, f"{name}_total"}
    return names


def base_name(metric: str) -> str:
    for suffix in ("_bucket", "_count", "_sum"):
        if metric.endswith(suffix):
            return metric[: -len(suffix)]
    return metric


def alerts() -> list[Obj]:
    (rule,) = by_kind("PrometheusRule", monitoring=True).values()
    return [a for group in rule["spec"]["groups"] for a in group["rules"]]


def test_each_service_is_scraped_on_the_port_that_serves_metrics() -> None:
    monitors = by_kind("ServiceMonitor", monitoring=True)
    services = by_kind("Service")
    assert set(monitors) == set(SERVICES)
    for name in SERVICES:
        (endpoint,) = monitors[name]["spec"]["endpoints"]
        assert endpoint["path"] == "/metrics"
        service = services[name]
        assert service["metadata"]["labels"].items() >= \
            monitors[name]["spec"]["selector"]["matchLabels"].items()
        (port,) = [p for p in service["spec"]["ports"] if p["name"] == endpoint["port"]]
        (container,) = workload(name).pod["containers"]
        assert port["targetPort"] in {p["name"] for p in container["ports"]}


def test_the_alerts_cover_stuck_tenants_backlog_and_notifier_lag() -> None:
    expressions = {a["alert"]: a["expr"] for a in alerts()}
    assert "provisioner_consumer_pending" in expressions["TenantsStuck"]
    assert "provisioner_requests_total" in expressions["TenantsStuck"]
    assert "provisioner_consumer_pending" in expressions["ProvisionerConsumerBacklog"]
    assert "notifier_stream_lag_messages" in expressions["NotifierLagging"]


def test_every_metric_an_alert_reads_is_exported() -> None:
    known = exported("api") | exported("notifier") | exported("provisioner")
    for alert in alerts():
        for metric in re.findall(r"\b((?:api|notifier|provisioner)_[a-z_]+)\b", alert["expr"]):
            assert base_name(metric) in known or metric in known, (alert["alert"], metric)


def test_every_alert_says_how_bad_and_what_and_the_readme_explains_it() -> None:
    readme = (K8S / "README.md").read_text()
    for alert in alerts():
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}
        assert alert["annotations"]["summary"]
        assert f"`{alert['alert']}`" in readme, f"README.md does not explain {alert['alert']}"
