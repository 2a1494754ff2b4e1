"""A request message as the provisioner sees it, or the reason it is poison."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from tenant_contracts.codec import UndecodableEvent, decode_event
from tenant_contracts.events import REQUEST_TYPES, EventBase, event_type_name
from tenant_contracts.subjects import UnexpectedSubject, parse_subject, stored_as_first

REQUEST_SUFFIXES = frozenset(t.suffix for t in REQUEST_TYPES)


class Poison(ValueError):
    """A message that can never be processed: it is terminated, never retried."""


@dataclass(frozen=True)
class Request:
    seq: int  # stream sequence of the request event
    event: EventBase
    traceparent: str | None = None
    tracestate: str | None = None
    # Appended expecting an empty tenant (stored_as_first): its history up to `seq` is
    # this request alone, known without a read.
    first: bool = False

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.event.tenant_id


def parse_request(subject: str, data: bytes, headers: Mapping[str, str], seq: int) -> Request:
    try:
        tenant_id, suffix = parse_subject(subject)
    except UnexpectedSubject as exc:
        raise Poison(f"unexpected subject {subject!r}") from exc
    if suffix not in REQUEST_SUFFIXES:
        raise Poison(f"{subject!r} is not a request subject")
    try:
        event = decode_event(data)
    except UndecodableEvent as exc:
        raise Poison(f"undecodable payload on {subject!r}: {exc}") from exc
    if event.suffix != suffix:
        raise Poison(f"a {event_type_name(event)} payload on {subject!r}")
    if event.tenant_id != tenant_id:
        raise Poison(f"payload tenant_id {event.tenant_id} on {subject!r}")
    return Request(seq=seq, event=event, traceparent=headers.get("traceparent"),
                   tracestate=headers.get("tracestate"),
                   first=stored_as_first(headers, tenant_id))
