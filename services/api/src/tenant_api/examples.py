"""Example bodies for the OpenAPI document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from http import HTTPStatus

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from tenant_api.wire import HistoryItem, TenantHistory, TenantPage
from tenant_contracts.events import TenantActive, TenantRequested
from tenant_contracts.tenant import Status, Tenant

_ID = uuid.UUID("6f1c1d0e-8a4b-4c5e-9a7d-2b3c4d5e6f70")
_AT = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)

TENANT = Tenant(id=_ID, name="Acme Corporation", slug="acme", plan="pro",
                admin_email="admin@acme.example", owner="alice", status=Status.PENDING,
                version=42, created_at=_AT, updated_at=_AT)
PAGE = TenantPage(items=[TENANT], next_cursor="WyIyMDI1LTAxLTE1VDA5OjMwOjAwWiIsIjZmMWMiXQ",
                  as_of=57)
HISTORY = TenantHistory(items=[
    HistoryItem(seq=42, event=TenantRequested(
        tenant_id=_ID, owner="alice", actor="alice", occurred_at=_AT, name="Acme Corporation",
        slug="acme", plan="pro", admin_email="admin@acme.example",
        event_id=uuid.UUID("0b7e3a52-1d4f-4f0e-8a57-8f9c6e2d1a10"))),
    HistoryItem(seq=61, event=TenantActive(
        tenant_id=_ID, owner="alice", actor="system", occurred_at=_AT, database="tenant_acme",
        event_id=uuid.UUID("5d0c9b1e-7f3a-4c2d-9e8b-1a2b3c4d5e6f"))),
])


def example_spec(status: int, body: msgspec.Struct, summary: str) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(
        data_container=type(body), generate_examples=False,
        description=HTTPStatus(status).description,
        examples=[Example(summary=summary, value=msgspec.to_builtins(body))])}
