"""The tenant routes of SPEC section 3."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from tenant_api.commands import TenantCommands
from tenant_api.decisions import decide_cancel, decide_delete, decide_retry, decide_update
from tenant_api.examples import HISTORY, PAGE, TENANT, example_spec
from tenant_api.problems import problem_specs
from tenant_api.queries import TenantQueries
from tenant_api.tracing import outgoing_trace
from tenant_api.wire import CreateTenant, TenantHistory, TenantPage, UpdateTenant
from tenant_contracts.access import Principal
from tenant_contracts.tenant import Status, Tenant

# Supplied by the app's dependencies: the verified caller and the service objects.
Caller = NamedDependency[Principal]
Commands = NamedDependency[TenantCommands]
Queries = NamedDependency[TenantQueries]
TenantId = Annotated[uuid.UUID, PathParameter(description="the tenant's id")]
ACCEPTED = example_spec(202, TENANT, "accepted; the tenant as it is now")


# A create: the same key with the same body returns the same tenant for 24 h. A change:
# the same key finds the change already stored and appends nothing.
IdempotencyKey = Annotated[str | None, HeaderParameter(
    name="Idempotency-Key", min_length=1, max_length=200, required=False,
    description="repeat the request safely (after a 503, say): it is applied once")]


def _accepted(tenant: Tenant) -> Response[Tenant]:
    return Response(tenant, status_code=202,
                    headers={"Location": f"/api/v1/tenants/{tenant.id}"})


class TenantController(Controller):
    path = "/tenants"
    tags = ["tenants"]
    security = [{"bearer": []}]

    @post("/", status_code=202,
          responses=ACCEPTED | problem_specs(400, 401, 403, 409, 413, 422, 429, 503),
          summary="Request a new tenant",
          description="Appends TenantRequested and answers at once; the tenant starts Pending. "
                      "A repeated Idempotency-Key with the same body returns the same tenant "
                      "and appends nothing; with another body it is a 422. 403: the caller "
                      "holds TENANT_QUOTA_PER_USER tenants that are not Deleted (admins are "
                      "exempt). 429: RATE_LIMIT_CREATES_PER_MINUTE creates in the last "
                      "minute; Retry-After says when to try again.")
    async def create_tenant(
        self, request: Request[Any, Any, Any], data: JSONBody[CreateTenant], principal: Caller,
        commands: Commands,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Tenant]:
        tenant = await commands.create(principal, data, idempotency_key,
                                       outgoing_trace(request.headers, "TenantRequested"))
        return _accepted(tenant)

    @get("/", responses=example_spec(200, PAGE, "a page") | problem_specs(400, 401, 422, 503),
         summary="The tenants the caller may see, newest first")
    async def list_tenants(
        self, request: Request[Any, Any, Any], principal: Caller, queries: Queries,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="page size")] = 20,
        cursor: Annotated[str | None, QueryParameter(
            max_length=200, description="next_cursor of the previous page")] = None,
        status: Annotated[Status | None, QueryParameter(description="only this status")] = None,
    ) -> TenantPage:
        _digits_only(request, "limit")
        return await queries.page(principal, limit=limit, cursor=cursor, status=status)

    @get("/{tenant_id:uuid}",
         responses=example_spec(200, TENANT, "a tenant") | problem_specs(400, 401, 404, 422, 503),
         summary="One tenant (404 for tenants of other users)")
    async def get_tenant(self, tenant_id: TenantId, principal: Caller,
                         queries: Queries) -> Tenant:
        return await queries.one(principal, tenant_id)

    @get("/{tenant_id:uuid}/events",
         responses=example_spec(200, HISTORY, "requested, then active")
         | problem_specs(400, 401, 404, 422, 503),
         summary="The tenant's history, read from the stream")
    async def tenant_events(self, tenant_id: TenantId, principal: Caller,
                            queries: Queries) -> TenantHistory:
        return await queries.history(principal, tenant_id)

    @patch("/{tenant_id:uuid}", status_code=202,
           responses=ACCEPTED | problem_specs(400, 401, 404, 409, 413, 422, 503),
           summary="Change name and/or plan (409 while busy)")
    async def update_tenant(self, request: Request[Any, Any, Any], tenant_id: TenantId,
                            data: JSONBody[UpdateTenant], principal: Caller,
                            commands: Commands, idempotency_key: IdempotencyKey = None
                            ) -> Response[Tenant]:
        tenant = await commands.change(
            principal, tenant_id, lambda history, who: decide_update(history, who, data),
            outgoing_trace(request.headers, "TenantUpdateRequested"), idempotency_key)
        return _accepted(tenant)

    @post("/{tenant_id:uuid}/retry", status_code=202,
          responses=ACCEPTED | problem_specs(400, 401, 404, 409, 422, 503),
          summary="Provision a Failed or Cancelled tenant again (409 otherwise)")
    async def retry_tenant(self, request: Request[Any, Any, Any], tenant_id: TenantId,
                           principal: Caller, commands: Commands,
                           idempotency_key: IdempotencyKey = None) -> Response[Tenant]:
        tenant = await commands.change(principal, tenant_id, decide_retry,
                                       outgoing_trace(request.headers, "TenantRetryRequested"),
                                       idempotency_key)
        return _accepted(tenant)

    @delete("/{tenant_id:uuid}", status_code=202,
            responses=ACCEPTED | problem_specs(400, 401, 404, 409, 422, 503),
            summary="Delete the tenant and its database (409 while busy)")
    async def delete_tenant(self, request: Request[Any, Any, Any], tenant_id: TenantId,
                            principal: Caller, commands: Commands,
                            idempotency_key: IdempotencyKey = None) -> Response[Tenant]:
        tenant = await commands.change(principal, tenant_id, decide_delete,
                                       outgoing_trace(request.headers,
                                                      "TenantDeletionRequested"),
                                       idempotency_key)
        return _accepted(tenant)

    @post("/{tenant_id:uuid}/cancel", status_code=202,
          responses=ACCEPTED | problem_specs(400, 401, 404, 409, 422, 503),
          summary="Stop a provisioning (409 unless Pending or Provisioning)",
          description="Appends TenantCancelRequested. The provisioner stops at the next stage "
                      "boundary (at once while the tenant waits for a retry), drops what it "
                      "created for the tenant and appends TenantCancelled: status Cancelled, "
                      "which can be retried or deleted. A provisioning that completes first "
                      "ends Active, and the cancel is skipped.")
    async def cancel_tenant(self, request: Request[Any, Any, Any], tenant_id: TenantId,
                            principal: Caller, commands: Commands,
                            idempotency_key: IdempotencyKey = None) -> Response[Tenant]:
        tenant = await commands.change(principal, tenant_id, decide_cancel,
                                       outgoing_trace(request.headers, "TenantCancelRequested"),
                                       idempotency_key)
        return _accepted(tenant)


def _digits_only(request: Request[Any, Any, Any], name: str) -> None:
    """Litestar converts query integers leniently ("12.0", "1e1" and "+12" become 12 and
    10): an integer parameter here is ASCII digits and nothing else, as documented."""
    raw = request.query_params.get(name)
    if raw is not None and not (raw.isascii() and raw.isdigit()):
        raise ValidationException(
            detail=f"Validation failed for {request.method} {request.url.path}",
            extra=[{"key": name, "message": "Expected an integer of ASCII digits",
                    "source": "query"}])
