"""Each hostile input of issue 16 against the api process, by name: a precise 4xx or 503."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import quote

import pytest

from tests.e2e.harness import Platform
from tests.integration.hostile.conftest import Watch
from tests.integration.hostile.tokens import deep_json, padded, signed, unsigned
from tests.integration.hostile.wire import HttpAnswer, http, request_bytes

PROBLEM_JSON = "application/problem+json"


def call(platform: Platform, method: str, target: str | bytes, *, token: str | None = None,
         body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> HttpAnswer:
    all_headers = list(headers or [])
    if token is not None:
        all_headers.append((b"Authorization", b"Bearer " + token.encode()))
    if body:
        all_headers.append((b"Content-Type", b"application/json"))
    raw_target = target if isinstance(target, bytes) else target.encode()
    return http(platform.api_port, request_bytes(method, raw_target, all_headers, body))


def assert_problem(answer: HttpAnswer, status: int) -> None:
    assert answer.status == status, (answer.status, answer.body[:300])
    assert answer.headers.get("content-type", "").startswith(PROBLEM_JSON), answer.headers
    assert answer.json()["status"] == status


@pytest.mark.parametrize("text", [b"a\xffb", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe0\x80\xaf"],
                         ids=["0xff", "overlong-slash", "surrogate", "overlong-3-byte"])
def test_a_json_body_that_is_not_utf8_is_a_400(platform: Platform, watch: Watch,
                                               text: bytes) -> None:
    body = b'{"name": "' + text + b'", "slug": "acme", "admin_email": "a@b.co"}'
    answer = call(platform, "POST", "/api/v1/tenants", token=signed(), body=body)
    assert_problem(answer, 400)
    assert "UTF-8" in str(answer.json()["detail"])
    patched = call(platform, "PATCH", f"/api/v1/tenants/{uuid.uuid4()}", token=signed(),
                   body=b'{"name": "' + text + b'"}')
    assert_problem(patched, 400)


def test_a_body_nested_5000_levels_inside_an_unknown_field_is_a_400(
        platform: Platform, watch: Watch) -> None:
    body = (b'{"name": "Acme", "slug": "acme", "admin_email": "a@b.co", "extra": '
            + b"[" * 5000 + b"]" * 5000 + b"}")
    answer = call(platform, "POST", "/api/v1/tenants", token=signed(), body=body)
    assert_problem(answer, 400)
    assert "deeply" in str(answer.json()["detail"])


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                       "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                                       "1999-12-31T23:59:59Z"])
def test_a_cursor_with_a_timestamp_out_of_range_is_a_400(
        platform: Platform, watch: Watch, timestamp: str) -> None:
    raw = f'["{timestamp}","{uuid.uuid4()}"]'.encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    answer = call(platform, "GET", f"/api/v1/tenants?cursor={cursor}", token=signed())
    assert_problem(answer, 400)
    assert answer.json()["errors"] == [{"field": "cursor", "location": "query",
                                        "message": "cursor is not one this API returned"}]


def test_a_cursor_inside_the_range_is_served(platform: Platform, watch: Watch) -> None:
    raw = f'["2026-01-01T00:00:00+14:00","{uuid.uuid4()}"]'.encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    answer = call(platform, "GET", f"/api/v1/tenants?cursor={cursor}", token=signed())
    assert answer.status == 200, answer.body


@pytest.mark.parametrize("limit", ["²", "١٢", "\uff11\uff12", "1" * 5000, "0", "101", "-1", "12a",
                                   "12.0", "1e1", "+12", " 12", "12_0"])
def test_limit_takes_ascii_digits_within_1_to_100_only(
        platform: Platform, watch: Watch, limit: str) -> None:
    answer = call(platform, "GET", f"/api/v1/tenants?limit={quote(limit)}", token=signed())
    assert answer.status in (400, 422), (answer.status, answer.body[:200])


@pytest.mark.parametrize("exp", ["9999999999", 9e99, True, [1], {"a": 1}, -1])
def test_a_token_whose_exp_is_not_a_numeric_date_is_a_401(
        platform: Platform, watch: Watch, exp: object) -> None:
    answer = call(platform, "GET", "/api/v1/tenants", token=signed(exp=exp))
    assert_problem(answer, 401)


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_whose_nbf_or_iat_is_a_string_is_a_401(
        platform: Platform, watch: Watch, claim: str) -> None:
    answer = call(platform, "GET", "/api/v1/tenants", token=signed(**{claim: "1000000000"}))
    assert_problem(answer, 401)


def test_a_token_with_infinite_exp_is_a_401(platform: Platform, watch: Watch) -> None:
    # json.dumps writes Infinity, and Python's json reads it back: int() then overflows.
    answer = call(platform, "GET", "/api/v1/tenants", token=signed(exp=float("inf")))
    assert_problem(answer, 401)


def test_a_token_whose_header_nests_deeply_is_a_401(platform: Platform, watch: Watch) -> None:
    answer = call(platform, "GET", "/api/v1/tenants",
                  token=unsigned(deep_json(1500), b'{"sub":"x"}'))
    assert_problem(answer, 401)


def test_a_token_over_the_size_limit_is_a_401(platform: Platform, watch: Watch) -> None:
    token = padded(6000)  # valid, but over JWT_MAX_TOKEN_BYTES (4096) and under the head limit
    answer = call(platform, "GET", "/api/v1/tenants", token=token)
    assert_problem(answer, 401)
    assert "longer than 4096" in str(answer.json()["detail"])
    assert call(platform, "GET", "/api/v1/tenants", token=padded(3000)).status == 200


def test_a_megabyte_token_is_a_431(platform: Platform, watch: Watch) -> None:
    answer = call(platform, "GET", "/api/v1/tenants", token=padded(1 << 20))
    assert_problem(answer, 431)


def test_a_request_head_over_16_kib_is_a_431_and_a_long_line_a_414(
        platform: Platform, watch: Watch) -> None:
    three = [(f"X-Filler-{i}".encode(), b"y" * 7000) for i in range(3)]
    assert_problem(call(platform, "GET", "/healthz", headers=three), 431)
    assert_problem(call(platform, "GET", "/healthz", headers=[(b"X-Long", b"y" * 9000)]), 431)
    assert_problem(call(platform, "GET", "/healthz?" + "q" * 9000), 414)
    assert call(platform, "GET", "/healthz", headers=three[:2]).status == 200
