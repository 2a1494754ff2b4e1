"""Byte-level fuzzing of the api process: bodies, query strings, headers, cursors, tokens.

Each target runs FUZZ_EXAMPLES requests (a few seconds); every answer must be below 500,
and the `watch` fixture then requires a clean log and a process still serving.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.harness import Platform
from tests.integration.hostile.conftest import Watch, fuzz
from tests.integration.hostile.strategies import any_text, bodies, cursors, tokens
from tests.integration.hostile.tokens import signed
from tests.integration.hostile.wire import http, request_bytes

TOKEN = signed(sub="fuzzer", exp=2_000_000_000)


def assert_no_server_error(platform: Platform, request: bytes) -> int:
    answer = http(platform.api_port, request)
    assert answer.status < 500, (answer.status, answer.body[:300], request[:300])
    return answer.status


def bearer(token: str) -> tuple[bytes, bytes]:
    return b"Authorization", b"Bearer " + token.encode("utf-8", "surrogatepass")


@fuzz
@given(body=bodies, content_type=st.sampled_from([b"application/json", b"text/plain",
                                                  b"application/json; charset=latin-1"]),
       method=st.sampled_from(["POST", "PATCH"]))
def test_fuzz_bodies(platform: Platform, watch: Watch, body: bytes, content_type: bytes,
                     method: str) -> None:
    target = b"/api/v1/tenants" if method == "POST" else f"/api/v1/tenants/{uuid.uuid4()}".encode()
    assert_no_server_error(platform, request_bytes(
        method, target, [bearer(TOKEN), (b"Content-Type", content_type)], body))


@fuzz
@given(query=st.binary(max_size=300) | any_text.map(
    lambda t: t.encode("utf-8", "surrogatepass")), raw=st.booleans())
def test_fuzz_query_strings(platform: Platform, watch: Watch, query: bytes, raw: bool) -> None:
    # Raw: the bytes as they are in the request line; else percent-encoded as a client would.
    encoded = query.replace(b"\r", b"").replace(b"\n", b"") if raw else quote_from_bytes(
        query, safe="=&").encode()
    assert_no_server_error(platform, request_bytes(
        "GET", b"/api/v1/tenants?" + encoded, [bearer(TOKEN)]))


@fuzz
@given(params=st.dictionaries(st.sampled_from(["limit", "cursor", "status", "x"]),
                              any_text, max_size=3))
def test_fuzz_list_parameters(platform: Platform, watch: Watch, params: dict[str, Any]) -> None:
    query = "&".join(f"{k}={quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}"
                     for k, v in params.items())
    assert_no_server_error(platform, request_bytes(
        "GET", b"/api/v1/tenants?" + query.encode(), [bearer(TOKEN)]))


header_names = st.sampled_from([b"Authorization", b"Idempotency-Key", b"traceparent",
                                b"tracestate", b"Content-Type", b"Accept", b"X-Forwarded-For",
                                b"X-Forwarded-Proto", b"Forwarded", b"Cookie", b"Host",
                                b"Accept-Encoding", b"Range", b"X-Anything"])
# Header values as bytes: anything but the line breaks that would end the header.
header_values = st.binary(max_size=200).map(
    lambda v: v.replace(b"\r", b"").replace(b"\n", b"").strip())


@fuzz
@given(headers=st.lists(st.tuples(header_names, header_values), max_size=6),
       method=st.sampled_from(["GET", "POST"]))
def test_fuzz_headers(platform: Platform, watch: Watch, headers: list[tuple[bytes, bytes]],
                      method: str) -> None:
    body = b'{"name":"Acme","slug":"acme-hdr","admin_email":"a@b.co"}' if method == "POST" else b""
    assert_no_server_error(platform, request_bytes(
        method, b"/api/v1/tenants", [bearer(TOKEN), *headers], body))


@fuzz
@given(cursor=cursors)
def test_fuzz_cursors(platform: Platform, watch: Watch, cursor: str) -> None:
    encoded = quote_from_bytes(cursor.encode("utf-8", "surrogatepass")).encode()
    assert_no_server_error(platform, request_bytes(
        "GET", b"/api/v1/tenants?cursor=" + encoded, [bearer(TOKEN)]))


@fuzz
@given(token=tokens)
def test_fuzz_tokens(platform: Platform, watch: Watch, token: str) -> None:
    status = assert_no_server_error(platform, request_bytes(
        "GET", b"/api/v1/tenants", [bearer(token)]))
    assert status in (200, 400, 401, 431), status
