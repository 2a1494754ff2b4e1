"""Byte-level fuzzing of the notifier process: connect parameters, handshake headers, tokens
and client frames. A connect may be refused over HTTP (4xx), closed with a documented code,
or welcomed; never an HTTP 5xx, never 1011, never an ERROR line (the `watch` fixture)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote_from_bytes

from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.harness import Platform
from tests.integration.hostile.conftest import FUZZ_EXAMPLES, Watch, fuzz
from tests.integration.hostile.strategies import any_text, json_values, tokens
from tests.integration.hostile.test_fuzz_api import header_names, header_values
from tests.integration.hostile.tokens import signed
from tests.integration.hostile.wire import WsOutcome, ws_open

TOKEN = signed(sub="fuzzer", exp=2_000_000_000)
# 1000 normal, 1003 binary frame, 1007 text that is not UTF-8, 1009 too big, 1013 head
# unknown, 4400 bad request, 4401 unauthorized, 4416 after beyond the head.
DOCUMENTED = {1000, 1003, 1007, 1009, 1013, 4400, 4401, 4416}


def assert_documented(outcome: WsOutcome, *, may_drop: bool = False) -> None:
    if outcome.dropped:
        assert may_drop, "a well-formed request was dropped without an answer"
    elif outcome.http_status is not None:
        assert 400 <= outcome.http_status < 500, outcome
    elif outcome.close_code is not None:
        assert outcome.close_code in DOCUMENTED, outcome
    else:
        assert outcome.welcome is not None and outcome.welcome["type"] == "welcome", outcome


# Header bytes `websockets` accepts (RFC 9110 field-value); with others it hangs up unanswered.
FIELD_VALUE = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")


def well_formed(headers: list[tuple[bytes, bytes]]) -> bool:
    return all(FIELD_VALUE.fullmatch(value) for _, value in headers)


def encoded(value: str | bytes) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw).encode()


after_values = st.one_of(
    any_text, st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),
    st.sampled_from(["²", "١٢", "\uff11\uff12", "0", "", "1e3", "0x10", "00000000000000000001"]),
)


@fuzz
@given(after=after_values, with_token=st.booleans())
def test_fuzz_after(platform: Platform, watch: Watch, after: str, with_token: bool) -> None:
    query = (b"access_token=" + TOKEN.encode() + b"&" if with_token else b"") + (
        b"after=" + encoded(after))
    assert_documented(ws_open(platform.notifier_port, b"/ws?" + query))


@fuzz
@given(query=st.binary(max_size=300), raw=st.booleans())
def test_fuzz_query_strings(platform: Platform, watch: Watch, query: bytes, raw: bool) -> None:
    # Raw bytes in the request line (the server may refuse the request outright), or
    # percent-encoded as a client library would send them.
    target = query.replace(b"\r", b"").replace(b"\n", b"").replace(b" ", b"") if raw else (
        quote_from_bytes(query, safe="=&").encode())
    # `websockets` hangs up, without an answer, on a request line that is not ASCII.
    assert_documented(ws_open(platform.notifier_port, b"/ws?" + target), may_drop=raw)


@fuzz
@given(token=tokens, in_header=st.booleans())
def test_fuzz_tokens(platform: Platform, watch: Watch, token: str, in_header: bool) -> None:
    raw = token.encode("utf-8", "surrogatepass")
    if in_header:
        header = [(b"Authorization", b"Bearer " + raw.replace(b"\r", b"").replace(b"\n", b""))]
        outcome = ws_open(platform.notifier_port, b"/ws", header)
        assert_documented(outcome, may_drop=not well_formed(header))
    else:
        assert_documented(ws_open(platform.notifier_port, b"/ws?access_token=" + encoded(raw)))


@fuzz
@given(headers=st.lists(st.tuples(header_names | st.sampled_from(
    [b"Sec-WebSocket-Extensions", b"Sec-WebSocket-Protocol", b"Origin"]), header_values),
    max_size=6))
def test_fuzz_handshake_headers(platform: Platform, watch: Watch,
                                headers: list[tuple[bytes, bytes]]) -> None:
    target = b"/ws?access_token=" + TOKEN.encode()
    assert_documented(ws_open(platform.notifier_port, target, headers),
                      may_drop=not well_formed(headers))


frames = st.one_of(
    st.binary(max_size=300),
    any_text,
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.binary(max_size=300).map(lambda b: ("text", b)),  # bytes sent as a text frame
)


@settings(fuzz, max_examples=max(1, FUZZ_EXAMPLES // 3))  # a session each: slower
@given(messages=st.lists(frames, min_size=1, max_size=4))
def test_fuzz_client_frames(platform: Platform, watch: Watch,
                            messages: list[object]) -> None:
    with connect(f"{platform.ws_url}?access_token={TOKEN}", open_timeout=10,
                 close_timeout=5) as socket:
        assert "welcome" in str(socket.recv(timeout=10))
        try:
            for message in messages:
                if isinstance(message, tuple):
                    socket.send(message[1], text=True)
                else:
                    socket.send(message)  # type: ignore[arg-type]
            socket.close()
        except ConnectionClosed:
            pass
        code = socket.protocol.close_rcvd.code if socket.protocol.close_rcvd else None
    assert code is None or code in DOCUMENTED, code
