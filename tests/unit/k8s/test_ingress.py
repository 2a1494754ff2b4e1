"""The Ingress publishes the SPA, the API, the schema page and the WebSocket, over TLS,
and nothing else: not /metrics, /healthz or /readyz."""

from __future__ import annotations

from tests.unit.k8s.render import ROOT, Obj, by_kind

STATIC = ROOT / "services" / "api" / "src" / "tenant_api" / "static"


def paths() -> list[Obj]:
    (ingress,) = by_kind("Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    return list(rule["http"]["paths"])


def route(path: str) -> str | None:
    """The Service a request path reaches, by the Ingress API's matching rules: an
    Exact path wins, then the longest Prefix matching whole path segments."""
    exact = [p for p in paths() if p["pathType"] == "Exact" and p["path"] == path]
    if exact:
        return str(exact[0]["backend"]["service"]["name"])
    segments = path.strip("/").split("/")
    prefixes = [p for p in paths() if p["pathType"] == "Prefix"
                and segments[:len(p["path"].strip("/").split("/"))]
                == p["path"].strip("/").split("/")]
    if not prefixes:
        return None
    return str(max(prefixes, key=lambda p: len(p["path"]))["backend"]["service"]["name"])


def test_the_browser_reaches_the_spa_the_api_the_schema_and_the_socket() -> None:
    assert route("/") == "api"
    assert route("/config.json") == "api"
    for asset in STATIC.iterdir():
        assert route(f"/{asset.name}") == "api", asset.name
    assert route("/api/v1/tenants") == "api"
    assert route("/api/v1/vocabulary") == "api"  # the rules the SPA loads first
    assert route("/api/v1/tenants/0b7c/events") == "api"
    assert route("/schema") == "api"
    assert route("/schema/openapi.json") == "api"
    assert route("/ws") == "notifier"


def test_operations_endpoints_are_not_published() -> None:
    for path in ("/metrics", "/healthz", "/readyz", "/metrics/", "/anything-else.js"):
        assert route(path) is None, path


def test_every_routed_file_exists() -> None:
    spa_files = {p["path"] for p in paths() if p["pathType"] == "Exact"} - {"/", "/ws",
                                                                              "/config.json"}
    folders = {p["path"] for p in paths() if p["pathType"] == "Prefix"} & {
        f"/{f.name}" for f in STATIC.iterdir() if f.is_dir()}
    assert spa_files | folders == {f"/{f.name}" for f in STATIC.iterdir()}


def test_the_host_is_served_over_tls() -> None:
    (ingress,) = by_kind("Ingress").values()
    hosts = {r["host"] for r in ingress["spec"]["rules"]}
    (tls,) = ingress["spec"]["tls"]
    assert set(tls["hosts"]) == hosts and tls["secretName"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
