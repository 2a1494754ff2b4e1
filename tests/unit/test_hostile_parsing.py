"""Pure parsing of hostile input (issue 16): cursors, `after`, token dates, limits."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest
from websockets.datastructures import Headers

from tenant_api.cursor import InvalidCursor, decode_cursor, encode_cursor
from tenant_contracts.http_limits import HttpLimits, HttpLimitsError, http_limits_from_env
from tenant_contracts.jwt_settings import (
    DEFAULT_MAX_TOKEN_BYTES,
    JwtSettingsError,
    jwt_settings_from_env,
    numeric_date_problem,
)
from tenant_notifier.protocol import (
    MAX_SEQ,
    BadConnect,
    beyond_head_reason,
    close_reason,
    parse_connect,
)


def _cursor(timestamp: str) -> str:
    raw = f'["{timestamp}","{uuid.uuid4()}"]'.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("timestamp", [
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:59:59Z",
    "9000-01-01T00:00:00Z", "2026-01-01T00:00:00"])
def test_a_cursor_outside_2000_to_9000_utc_or_without_offset_is_invalid(timestamp: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(_cursor(timestamp))


def test_a_cursor_is_normalised_to_utc_and_round_trips() -> None:
    created_at, _ = decode_cursor(_cursor("2026-01-01T10:00:00+14:00"))
    assert created_at == datetime(2025, 12, 31, 20, tzinfo=UTC) and created_at.tzinfo is UTC
    now, tenant_id = datetime.now(UTC), uuid.uuid4()
    assert decode_cursor(encode_cursor(now, tenant_id)) == (now, tenant_id)


@pytest.mark.parametrize("cursor", ["é" * 10, "a" * 201, _cursor("x"),
                                    base64.urlsafe_b64encode(b"[" * 5000).decode(),
                                    base64.urlsafe_b64encode(b'["\xff"]').decode()])
def test_hostile_cursors_are_invalid_not_errors(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


@pytest.mark.parametrize("after", ["²", "١٢", "\uff11\uff12", "1" * 5000, "1" * 17, "+1",
                                   " 1", "1 ", "-0", str(MAX_SEQ + 1)])
def test_after_is_ascii_digits_within_0_to_2_53_minus_1(after: str) -> None:
    with pytest.raises(BadConnect):
        parse_connect(f"/ws?after={after}", {})


def test_after_accepts_its_bounds() -> None:
    assert parse_connect("/ws?after=0", {}).after == 0
    assert parse_connect(f"/ws?after={MAX_SEQ}", {}).after == MAX_SEQ


def test_a_repeated_authorization_header_is_a_bad_connect() -> None:
    headers = Headers([("Authorization", "Bearer a"), ("Authorization", "Bearer b")])
    with pytest.raises(BadConnect):
        parse_connect("/ws", headers)


def test_close_reasons_fit_a_close_frame_without_splitting_a_character() -> None:
    assert close_reason("short") == "short"
    cut = close_reason("é" * 100)
    assert len(cut.encode()) <= 123 and set(cut) == {"é"}
    assert beyond_head_reason(MAX_SEQ, MAX_SEQ - 1).endswith(f"head={MAX_SEQ - 1}")
    assert len(beyond_head_reason(MAX_SEQ, MAX_SEQ).encode()) <= 123


@pytest.mark.parametrize(("claims", "problem"), [
    ({"exp": 1_900_000_000, "iat": 1_800_000_000.5, "nbf": 0}, None),
    ({}, None),
    ({"exp": "9999999999"}, "claim exp must be a number"),
    ({"nbf": True}, "claim nbf must be a number"),
    ({"iat": [1]}, "claim iat must be a number"),
    ({"exp": 10**20}, "claim exp is out of range"),
    ({"exp": float("inf")}, "claim exp is out of range"),
    ({"exp": float("nan")}, "claim exp is out of range"),
    ({"iat": -1}, "claim iat is out of range"),
])
def test_token_dates_must_be_numbers_in_range(claims: dict[str, object],
                                              problem: str | None) -> None:
    assert numeric_date_problem(claims) == problem


def test_the_token_size_limit_is_read_once_for_both_services() -> None:
    assert jwt_settings_from_env({"JWT_SECRET": "s"}).max_token_bytes == DEFAULT_MAX_TOKEN_BYTES
    assert jwt_settings_from_env({"JWT_SECRET": "s",
                                  "JWT_MAX_TOKEN_BYTES": "8192"}).max_token_bytes == 8192
    for bad in ("100", "99999", "٤٠٩٦", "4k"):
        with pytest.raises(JwtSettingsError):
            jwt_settings_from_env({"JWT_SECRET": "s", "JWT_MAX_TOKEN_BYTES": bad})


def test_http_limits_have_defaults_and_bounds() -> None:
    assert http_limits_from_env({}) == HttpLimits(max_header_bytes=16384, header_timeout=10.0,
                                                  body_timeout=10.0, idle_timeout=5.0)
    assert http_limits_from_env({"HTTP_HEADER_TIMEOUT_SECONDS": "2.5"}).header_timeout == 2.5
    assert http_limits_from_env({"HTTP_BODY_TIMEOUT_SECONDS": "30"}).body_timeout == 30.0
    for name, bad in (("HTTP_MAX_HEADER_BYTES", "100"), ("HTTP_HEADER_TIMEOUT_SECONDS", "0"),
                      ("HTTP_BODY_TIMEOUT_SECONDS", "-1"),
                      ("HTTP_IDLE_TIMEOUT_SECONDS", "nan"),
                      ("HTTP_IDLE_TIMEOUT_SECONDS", "\u0665")):
        with pytest.raises(HttpLimitsError):
            http_limits_from_env({name: bad})
