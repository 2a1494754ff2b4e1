from __future__ import annotations

import json
import uuid

import pytest

from tenant_notifier.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_UNSUPPORTED_DATA,
    BadConnect,
    ConnectParams,
    event_frame,
    events_frame,
    judge_client_frame,
    parse_connect,
    routing_of,
    trace_id_of,
    welcome_frame,
)


def test_frames_are_the_json_of_spec_section_4() -> None:
    assert json.loads(welcome_frame("s1", "alice", None)) == {
        "type": "welcome", "session_id": "s1", "user": "alice", "after": None}
    tenant = "0b6e4f5c-8a1e-4c59-9d59-7f3f1f3e2a10"
    payload = b'{"type":"TenantActive","owner":"alice","tenant_id":"%b","future_field":[1,2]}' \
        % tenant.encode()
    assert json.loads(event_frame(42, payload)) == {
        "type": "event", "seq": 42,
        "event": {"type": "TenantActive", "owner": "alice", "tenant_id": tenant,
                  "future_field": [1, 2]}}
    assert routing_of(f"tenants.{tenant}.active", payload).owner == "alice"


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_an_event_frame_names_the_trace_of_its_message() -> None:
    payload = b'{"type":"TenantActive","owner":"alice"}'
    frame = event_frame(7, payload, TRACE_ID)
    assert json.loads(frame) == {"type": "event", "seq": 7,
                                 "event": {"type": "TenantActive", "owner": "alice"},
                                 "trace_id": TRACE_ID}
    assert frame.startswith(event_frame(7, payload)[:-1])  # the same frame, one field more


@pytest.mark.parametrize(("headers", "expected"), [
    ({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}, TRACE_ID),
    ({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-00", "tracestate": "a=1"}, TRACE_ID),
    (None, None),
    ({}, None),
    ({"Nats-Msg-Id": "x"}, None),
    ({"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}, None),  # invalid by the spec
    ({"traceparent": f"00-{TRACE_ID.upper()}-00f067aa0ba902b7-01"}, None),
    ({"traceparent": '00-"},"x":{"-00f067aa0ba902b7-01'}, None),  # never into the frame
    ({"traceparent": "garbage"}, None),
])
def test_trace_id_of_reads_only_a_valid_traceparent(headers: dict[str, str] | None,
                                                     expected: str | None) -> None:
    assert trace_id_of(headers) == expected


@pytest.mark.parametrize(("path", "headers", "expected"), [
    ("/ws?access_token=t&after=17", {}, ConnectParams(token="t", after=17)),
    ("/ws", {"Authorization": "Bearer h"}, ConnectParams(token="h", after=None)),
    ("/ws?access_token=q", {"Authorization": "Bearer h"}, ConnectParams(token="q", after=None)),
    ("/ws?after=", {"Authorization": "Basic x"}, ConnectParams(token=None, after=None)),
    ("/ws?after=0", {}, ConnectParams(token=None, after=0)),
])
def test_parse_connect(path: str, headers: dict[str, str], expected: ConnectParams) -> None:
    assert parse_connect(path, headers) == expected


@pytest.mark.parametrize("after", ["-1", "abc", "1.5"])
def test_a_bad_after_is_refused(after: str) -> None:
    with pytest.raises(BadConnect):
        parse_connect(f"/ws?access_token=t&after={after}", {})


def test_client_frames_must_be_json_text() -> None:
    assert judge_client_frame('{"type":"hello"}') is None
    assert judge_client_frame("[]") is None
    assert judge_client_frame("hello")[0] == CLOSE_BAD_REQUEST  # type: ignore[index]
    assert judge_client_frame(b"{}")[0] == CLOSE_UNSUPPORTED_DATA  # type: ignore[index]


def test_tenant_parameters_are_canonical_ids_and_repeatable() -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    params = parse_connect(f"/ws?access_token=t&tenant={str(one).upper()}&tenant={two}", {})
    assert params.tenants == frozenset({str(one), str(two)})
    assert parse_connect("/ws?access_token=t", {}).tenants is None
    with pytest.raises(BadConnect):
        parse_connect("/ws?access_token=t&tenant=acme", {})


def test_batch_is_asked_for_with_batch_1_only() -> None:
    assert parse_connect("/ws?access_token=t&batch=1", {}).batch
    assert not parse_connect("/ws?access_token=t&batch=0", {}).batch
    assert not parse_connect("/ws?access_token=t", {}).batch


def test_an_events_frame_holds_the_event_frames_as_they_are() -> None:
    frames = [event_frame(4, b'{"a":1}'), event_frame(5, b'{"b":2}', "0" * 31 + "1")]
    assert json.loads(events_frame(frames)) == {
        "type": "events", "items": [json.loads(frame) for frame in frames]}


def test_the_same_path_is_parsed_once_and_the_header_token_still_counts() -> None:
    path = f"/ws?batch=1&after=7&n={uuid.uuid4().hex}"
    first = parse_connect(path, {})
    assert parse_connect(path, {}) is first  # every tab of a user asks for the same path
    with_header = parse_connect(path, {"Authorization": "Bearer tok"})
    assert with_header == ConnectParams(token="tok", after=7, batch=True)
    assert parse_connect(path, {}).token is None  # the header's token was not cached
    with pytest.raises(BadConnect):
        parse_connect(f"/ws?after=x{uuid.uuid4().hex}", {})
