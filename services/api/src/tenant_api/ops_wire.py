"""Wire shapes of the operations view (GET /api/v1/ops/...)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class Waiting(msgspec.Struct, frozen=True, kw_only=True):
    """A request stored but not taken up by the provisioner yet."""

    tenant_id: uuid.UUID
    slug: str
    status: str
    request: str
    since: datetime


class InProgress(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: uuid.UUID
    slug: str
    status: str
    stage: str | None
    attempt: int
    since: datetime  # when its current stage (or step) began: its last event
    cancel_requested: bool


class Retrying(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: uuid.UUID
    slug: str
    attempt: int
    last_error: str | None
    next_retry_at: datetime
    cancel_requested: bool


class ConsumerState(msgspec.Struct, frozen=True, kw_only=True):
    """JetStream's view of the provisioner's durable consumer."""

    name: str
    pending: int | None = None  # stored requests not yet delivered
    ack_pending: int | None = None  # delivered, not acknowledged (in progress or waiting)
    redelivered: int | None = None  # delivered more than once, not acknowledged yet
    waiting_pulls: int | None = None  # fetches waiting: idle provisioner workers
    problem: str | None = None  # why the figures are missing


class Replica(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    in_flight: int
    started_at: datetime
    last_seen: datetime


class Backlog(msgspec.Struct, frozen=True, kw_only=True):
    waiting: list[Waiting]
    in_progress: list[InProgress]
    retrying: list[Retrying]
    consumer: ConsumerState
    replicas: list[Replica]


class StageDuration(msgspec.Struct, frozen=True, kw_only=True):
    stage: str
    count: int
    p50_seconds: float | None
    p95_seconds: float | None


class StageDurations(msgspec.Struct, frozen=True, kw_only=True):
    window: str  # what the figures cover, e.g. "the last 50 tenants active in the last hour"
    tenants: int
    stages: list[StageDuration]


class OpsOverview(msgspec.Struct, frozen=True, kw_only=True):
    as_of: int  # stream seq the read model had applied
    generated_at: datetime
    counts: dict[str, int]  # every status, 0 included
    backlog: Backlog
    stage_durations: StageDurations


class FailureItem(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: uuid.UUID
    slug: str
    owner: str
    error: str | None
    attempts: int
    failed_at: datetime


class Failures(msgspec.Struct, frozen=True, kw_only=True):
    since: datetime
    items: list[FailureItem]
