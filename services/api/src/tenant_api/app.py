"""The one module that wires settings, adapters and routes into the Litestar app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Router
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Schema,
    SecurityScheme,
)
from litestar.static_files import create_static_files_router

from tenant_api.auth import TokenVerifier
from tenant_api.commands import TenantCommands
from tenant_api.metrics import Metrics
from tenant_api.ops import ops_router
from tenant_api.ops_data import OpsReader
from tenant_api.ops_view import OpsController
from tenant_api.problems import handle_exception
from tenant_api.queries import TenantQueries
from tenant_api.routes import TenantController
from tenant_api.runtime import Runtime
from tenant_api.settings import Settings
from tenant_api.tracing import configure_tracing
from tenant_contracts.access import Principal

STATIC_DIR = Path(__file__).parent / "static"
# The docs page's assets, served by the SPA's static route at a pinned version
# (static/vendor/README.md): /schema renders with no network beyond the api.
SWAGGER_UI = "/vendor/swagger-ui-dist-5.35.0"


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env(os.environ)
    metrics = Metrics()
    runtime = Runtime(settings, metrics)
    verifier = TokenVerifier(settings.jwt)
    tracing = configure_tracing(settings.otel_endpoint)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            tracing.shutdown()

    async def authenticated(connection: ASGIConnection[Any, Any, Any, Any],
                            _: BaseRouteHandler) -> None:
        # A guard runs before the body is parsed: no token means 401, never a 422.
        connection.state.principal = await verifier.principal(
            connection.headers.get("authorization"))

    def principal(request: Request[Any, Any, Any]) -> Principal:
        return request.state.principal

    def commands() -> TenantCommands:
        return runtime.commands

    def queries() -> TenantQueries:
        return runtime.queries

    def ops() -> OpsReader:
        return runtime.ops

    api = Router(
        path="/api/v1", route_handlers=[TenantController, OpsController],
        guards=[authenticated],
        dependencies={"principal": Provide(principal, sync_to_thread=False),
                      "commands": Provide(commands, sync_to_thread=False),
                      "queries": Provide(queries, sync_to_thread=False),
                      "ops": Provide(ops, sync_to_thread=False)},
    )
    # Registered after the API so that every /api, /schema and ops path wins over a file.
    spa = create_static_files_router(path="/", directories=[STATIC_DIR], html_mode=True,
                                     include_in_schema=False)
    app = Litestar(
        route_handlers=[api, ops_router(settings), spa],
        lifespan=[lifespan],
        exception_handlers={Exception: handle_exception},
        request_max_body_size=settings.max_body_bytes,
        # The server span (the plugin) wraps everything; these run once routed, inside it.
        plugins=tracing.plugins,
        middleware=[*tracing.middleware, metrics.middleware],
        state=State({"runtime": runtime, "metrics": metrics, "settings": settings}),
        openapi_config=_openapi(),
        # Logging is the process's business (__main__): plain synchronous handlers,
        # so the last lines before a SIGTERM exit are not lost in a queue.
        logging_config=None,
    )
    _document_location(app.openapi_schema)
    return app


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Tenant platform API", version="1.0.0", path="/schema",
        description="Self-service tenants: requests are accepted at once (202) and carried "
                    "out in the background; errors are application/problem+json (RFC 9457).",
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}),
        render_plugins=[SwaggerRenderPlugin(
            path="/", js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER_UI}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER_UI}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_UI}/favicon-32x32.png'>",
        )],
        use_handler_docstrings=False,
    )


def _document_location(schema: OpenAPI) -> None:
    """Every 202 carries Location; Litestar drops declared headers once examples are given."""
    for item in (schema.paths or {}).values():
        for operation in (item.post, item.patch, item.delete):
            accepted = (operation.responses or {}).get("202") if operation else None
            if isinstance(accepted, OpenAPIResponse):
                accepted.headers = {"Location": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING), required=True,
                    description="the tenant's URL, e.g. /api/v1/tenants/<id>")}
            limited = (operation.responses or {}).get("429") if operation else None
            if isinstance(limited, OpenAPIResponse):
                limited.headers = {"Retry-After": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.INTEGER), required=True,
                    description="seconds until a create is admitted again")}
