from __future__ import annotations

import json

import pytest

from tenant_notifier.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_UNSUPPORTED_DATA,
    BadConnect,
    ConnectParams,
    event_frame,
    judge_client_frame,
    owner_of,
    parse_connect,
    welcome_frame,
)


def test_frames_are_the_json_of_spec_section_4() -> None:
    assert json.loads(welcome_frame("s1", "alice", None)) == {
        "type": "welcome", "session_id": "s1", "user": "alice", "after": None}
    payload = b'{"type":"TenantActive","owner":"alice","future_field":[1,2]}'
    assert json.loads(event_frame(42, payload)) == {
        "type": "event", "seq": 42,
        "event": {"type": "TenantActive", "owner": "alice", "future_field": [1, 2]}}
    assert owner_of(payload) == "alice"


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
