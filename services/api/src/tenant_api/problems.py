"""Every error as application/problem+json (RFC 9457), and its OpenAPI description."""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
import nats.errors
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.utils.scope.state import ScopeState

from tenant_api.auth import Unauthorized
from tenant_api.commands import RequestOutcomeUnknown
from tenant_api.cursor import InvalidCursor
from tenant_api.decisions import (
    InvalidFields,
    InvalidRequest,
    TenantConflict,
    TenantNotFound,
)
from tenant_api.field_errors import all_field_errors
from tenant_api.limits import QuotaExceeded, RateLimited
from tenant_api.runtime import NotReady
from tenant_stream.event_log import NotStored, StreamUnavailable

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    message: str
    location: str | None = None  # body, query, path or header


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
    # Extension members (RFC 9457 section 3.2): the limit that refused, and the count.
    quota: int | None = None
    held: int | None = None
    limit_per_minute: int | None = None


# NATS or PostgreSQL did not answer: 503, and the client may retry. SQLSTATE class 57
# (operator intervention: 57P01 admin shutdown, 57P03 cannot connect now while starting
# or stopping, 57014 canceled) and class 53 (too many connections) pass in seconds.
# InternalClientError is asyncpg failing to reset a pooled connection the server has
# just terminated ("cannot switch to state ..."): the same outage, seen one step later.
UNAVAILABLE = (NotReady, nats.errors.Error, asyncpg.PostgresConnectionError,
               asyncpg.InterfaceError, asyncpg.exceptions.OperatorInterventionError,
               asyncpg.exceptions.InsufficientResourcesError,
               asyncpg.exceptions.InternalClientError, OSError, asyncio.TimeoutError,
               NotStored, StreamUnavailable)
# What msgspec raises, beside DecodeError, for hostile JSON: bytes that are not UTF-8
# (overlong forms included) and nesting deeper than its recursion limit.
UNREADABLE = {UnicodeDecodeError: "the request is not valid UTF-8",
              RecursionError: "the JSON nests too deeply"}
# Litestar's own 500 when the connection closes before the body has arrived (the
# client went away, or the body timeout cut it off): the client's doing, not ours, and
# nobody is left to read the answer. It only tells that by this detail.
CLIENT_GONE = "client disconnected prematurely"


_encoder = msgspec.json.Encoder()


def problem_response(status: int, detail: str | None = None, *, kind: str | None = None,
                     errors: list[FieldError] | None = None,
                     headers: dict[str, str] | None = None, **extensions: int
                     ) -> Response[bytes]:
    problem = Problem(type=f"/problems/{kind}" if kind else "about:blank",
                      title=HTTPStatus(status).phrase, status=status, detail=detail,
                      errors=errors, **extensions)
    return Response(_encoder.encode(problem), status_code=status, media_type=PROBLEM_JSON,
                    headers=headers)


def _field_errors(extra: Any) -> list[FieldError]:
    if not isinstance(extra, list):
        return []
    return [FieldError(field=str(e.get("key", "")), message=str(e.get("message", "invalid")),
                       location=_location(e.get("source")))
            for e in extra if isinstance(e, dict)]


def _body_field_errors(request: Request[Any, Any, Any]) -> list[FieldError]:
    # The decoder stops at the first bad field; a form wants all of them at once.
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    body = ScopeState.from_scope(request.scope).body
    if data is None or not isinstance(body, bytes) or not (
            isinstance(data.annotation, type) and issubclass(data.annotation, msgspec.Struct)):
        return []
    return [FieldError(field=field, message=message, location="body")
            for field, message in all_field_errors(data.annotation, body)]


def _location(source: Any) -> str | None:
    # Litestar gives a ParamType enum for query/path/header and "body" for the body.
    return None if source is None else str(getattr(source, "value", source))


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if isinstance(exc, Unauthorized):
        return problem_response(401, str(exc), kind="unauthorized",
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if isinstance(exc, TenantNotFound):
        return problem_response(404, str(exc), kind="not-found")
    if isinstance(exc, QuotaExceeded):
        return problem_response(403, str(exc), kind="quota-exceeded", quota=exc.quota,
                                held=exc.held)
    if isinstance(exc, RateLimited):
        return problem_response(429, str(exc), kind="rate-limited",
                                limit_per_minute=exc.limit,
                                headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, TenantConflict):
        return problem_response(409, str(exc), kind="conflict")
    if isinstance(exc, InvalidFields):
        return problem_response(422, str(exc), kind="validation", errors=[
            FieldError(field=field, message=message, location="body")
            for field, message in exc.errors])
    if isinstance(exc, InvalidRequest):
        return problem_response(422, str(exc), kind="invalid-request")
    if isinstance(exc, InvalidCursor):
        return problem_response(400, str(exc), kind="validation",
                                errors=[FieldError(field="cursor", message=str(exc),
                                                   location="query")])
    if isinstance(exc, ValidationException):
        errors = _body_field_errors(request) or _field_errors(exc.extra)
        if errors:
            return problem_response(422, "the request has invalid fields", kind="validation",
                                    errors=errors)
        return problem_response(400, exc.detail, kind="bad-request")
    if isinstance(exc, HTTPException) and exc.detail == CLIENT_GONE:
        log.info("client left before its body arrived on %s %s", request.method,
                 request.url.path)
        return problem_response(400, "the request body did not arrive", kind="bad-request")
    if isinstance(exc, HTTPException):
        status = exc.status_code if exc.status_code >= 400 else 500
        if status >= 500:
            log.error("internal error on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(status, exc.detail, headers=dict(exc.headers or {}))
    if isinstance(exc, RequestOutcomeUnknown):
        # Not a lie in either direction: the event may be stored. The same request
        # with the same Idempotency-Key (a create: or the same body) tells which.
        return problem_response(
            503, f"the outcome is not known yet: send the same request again with the same "
                 f"Idempotency-Key; tenant {exc.tenant_id}", kind="outcome-unknown",
            headers={"Retry-After": "1", "Location": f"/api/v1/tenants/{exc.tenant_id}"})
    for kind, detail in UNREADABLE.items():
        if isinstance(exc, kind):
            log.warning("unreadable request on %s %s: %s", request.method, request.url.path,
                        type(exc).__name__)
            return problem_response(400, detail, kind="bad-request")
    if isinstance(exc, UNAVAILABLE):
        log.warning("dependency unavailable on %s %s: %r", request.method, request.url.path, exc)
        return problem_response(503, "a dependency did not answer; retry shortly",
                                kind="unavailable", headers={"Retry-After": "1"})
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal error; it has been logged")


_EXAMPLES: dict[int, Problem] = {
    400: Problem(type="/problems/bad-request", title="Bad Request", status=400,
                 detail="malformed JSON"),
    401: Problem(type="/problems/unauthorized", title="Unauthorized", status=401,
                 detail="Signature has expired"),
    403: Problem(type="/problems/quota-exceeded", title="Forbidden", status=403,
                 detail="tenant quota reached: you hold 10 of 10 tenants; delete one to "
                        "create another", quota=10, held=10),
    404: Problem(type="/problems/not-found", title="Not Found", status=404,
                 detail="no such tenant"),
    409: Problem(type="/problems/conflict", title="Conflict", status=409,
                 detail="the tenant is busy (Provisioning); try again when it settles"),
    413: Problem(type="about:blank", title="Request Entity Too Large", status=413,
                 detail="Request Entity Too Large"),
    422: Problem(type="/problems/validation", title="Unprocessable Entity", status=422,
                 detail="the request has invalid fields",
                 errors=[FieldError(field="slug", location="body",
                                    message="Expected `str` matching regex "
                                            "'^[a-z][a-z0-9-]{2,39}$'")]),
    429: Problem(type="/problems/rate-limited", title="Too Many Requests", status=429,
                 detail="at most 30 creates per minute; retry in 12 s", limit_per_minute=30),
    503: Problem(type="/problems/unavailable", title="Service Unavailable", status=503,
                 detail="NATS did not answer"),
}


def problem_specs(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a route can answer."""
    return {
        status: ResponseSpec(
            data_container=Problem, media_type=PROBLEM_JSON, generate_examples=False,
            description=HTTPStatus(status).phrase,
            examples=[Example(summary=HTTPStatus(status).phrase,
                              value=msgspec.to_builtins(_EXAMPLES[status]))],
        )
        for status in statuses
    }
