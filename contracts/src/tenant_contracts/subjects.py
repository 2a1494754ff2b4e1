"""NATS subjects and headers of SPEC section 2."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import msgspec

from tenant_contracts.events import REQUEST_TYPES, TYPE_BY_SUFFIX, EventBase

STREAM_NAME = "TENANTS"
SUBJECT_PREFIX = "tenants"
ALL_SUBJECTS = "tenants.>"
REQUEST_SUBJECTS: tuple[str, ...] = tuple(f"tenants.*.{t.suffix}" for t in REQUEST_TYPES)

# JetStream's error code when Nats-Expected-Last-Subject-Sequence does not hold.
WRONG_LAST_SEQUENCE_ERR_CODE = 10071


# The canonical text of a UUID, as str() writes it: str() is pure Python (about 1 µs),
# and every reader formats the subject of every event it checks for poison.
_UUID_JSON = msgspec.json.Encoder().encode


def uuid_text(value: uuid.UUID) -> str:
    return _UUID_JSON(value)[1:-1].decode()


def event_subject(event: EventBase) -> str:
    return f"{SUBJECT_PREFIX}.{uuid_text(event.tenant_id)}.{event.suffix}"


def tenant_filter(tenant_id: uuid.UUID | str) -> str:
    return f"{SUBJECT_PREFIX}.{tenant_id}.>"


class UnexpectedSubject(ValueError):
    pass


def parse_subject(subject: str) -> tuple[uuid.UUID, str]:
    """Split tenants.<tenant_id>.<suffix>; raise UnexpectedSubject otherwise."""
    parts = subject.split(".")
    if len(parts) != 3 or parts[0] != SUBJECT_PREFIX or parts[2] not in TYPE_BY_SUFFIX:
        raise UnexpectedSubject(subject)
    try:
        return uuid.UUID(parts[1]), parts[2]
    except ValueError as exc:
        raise UnexpectedSubject(subject) from exc


def stored_as_first(headers: Mapping[str, str], tenant_id: uuid.UUID) -> bool:
    """Whether a stored message was appended expecting its tenant to have no message at
    all: JetStream stores such an append only when that holds (10071 otherwise), so the
    tenant's history up to this message is this message alone."""
    return (headers.get("Nats-Expected-Last-Subject-Sequence") == "0"
            and headers.get("Nats-Expected-Last-Subject-Sequence-Subject")
            == tenant_filter(tenant_id))


def append_headers(
    event: EventBase,
    expected_last_seq: int,
    traceparent: str | None = None,
    tracestate: str | None = None,
) -> dict[str, str]:
    """Headers every append carries: dedup id, optimistic concurrency, trace context."""
    headers = {
        "Nats-Msg-Id": str(event.event_id),
        "Nats-Expected-Last-Subject-Sequence": str(expected_last_seq),
        "Nats-Expected-Last-Subject-Sequence-Subject": tenant_filter(event.tenant_id),
    }
    if traceparent:
        headers["traceparent"] = traceparent
    if tracestate:
        headers["tracestate"] = tracestate
    return headers
