"""The operations view's routes (GET /api/v1/ops/...): admins only; for everyone else
they do not exist (404, like another user's tenant)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from tenant_api.decisions import TenantNotFound
from tenant_api.ops_data import OpsReader
from tenant_api.ops_wire import Failures, OpsOverview
from tenant_api.problems import problem_specs
from tenant_contracts.access import Principal
from tenant_contracts.events import utc_now

Reader = NamedDependency[OpsReader]


async def admins_only(connection: ASGIConnection[Any, Any, Any, Any],
                      _: BaseRouteHandler) -> None:
    principal: Principal = connection.state.principal  # set by the api's authentication
    if not principal.is_admin:
        raise TenantNotFound("no such resource")


class OpsController(Controller):
    path = "/ops"
    tags = ["operations view"]
    security = [{"bearer": []}]
    guards = [admins_only]

    @get("/overview", responses=problem_specs(401, 404, 503),
         summary="Counts by status, the provisioner's backlog and replicas, stage durations",
         description="Admins only (404 for everyone else). Counts and backlog come from the "
                     "read model as of `as_of`; the consumer figures from JetStream's consumer "
                     "info of the provisioner's durable consumer; replicas from their "
                     "heartbeats on the core NATS subject ops.provisioner.heartbeat (gone "
                     "after 6 s of silence); stage durations (p50/p95) from the TenantProgress "
                     "timestamps in the histories of the last 50 tenants changed in the last "
                     "hour.")
    async def overview(self, ops: Reader) -> OpsOverview:
        return await ops.overview(utc_now())

    @get("/failures", responses=problem_specs(401, 404, 503),
         summary="Tenants that failed in the last 24 hours, newest first, with their errors",
         description="Admins only (404 for everyone else). Retry one with "
                     "POST /api/v1/tenants/<id>/retry.")
    async def failures(self, ops: Reader) -> Failures:
        return await ops.failures(utc_now())
