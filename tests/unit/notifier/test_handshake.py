"""The notifier's own HTTP head and upgrade answer as `websockets`' server did.

The library's sans-I/O server is the oracle: each request below goes through both,
and the status (and for a 101 the response bytes, the date aside) must agree. Where
the library hung up without an answer (a head that is not HTTP), ours says 400."""

from __future__ import annotations

import base64
import os
import re
from http import HTTPStatus

import pytest
from websockets.http11 import SERVER
from websockets.server import ServerProtocol
from websockets.utils import accept_key

from tenant_notifier.handshake import (
    Refusal,
    accept_value,
    head_end,
    library_verdict,
    parse_head,
    switching_protocols,
    upgrade_key,
)

LIMIT = 16 * 1024
KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455, section 1.3


def request(*headers: str, line: str = "GET /ws?access_token=t HTTP/1.1",
            standard: bool = True) -> bytes:
    base = ["Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
            f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"] if standard else []
    return "\r\n".join([line, *base, *headers]).encode("latin-1") + b"\r\n\r\n"


def bare(*headers: str) -> bytes:
    """A GET /ws with only these headers."""
    return request(*headers, standard=False)


def ours(raw: bytes) -> int:
    try:
        end = head_end(raw, LIMIT)
        assert end == len(raw), "a complete head"
        parsed = parse_head(raw[:end], LIMIT)
    except Refusal as refusal:
        return refusal.status
    if upgrade_key(parsed) is not None:
        return 101
    return library_verdict(parsed).status_code


def theirs(raw: bytes) -> int | None:
    """What `websockets` answered; None when it hung up without an answer."""
    protocol = ServerProtocol()
    protocol.receive_data(raw)
    events = protocol.events_received()
    if events:
        return protocol.accept(events[0]).status_code  # type: ignore[arg-type]
    written = b"".join(protocol.data_to_send())
    return int(written.split(b" ")[1]) if written else None


SAME_ANSWER = {
    "canonical": request(),
    "firefox connection": bare(*[
        "Host: x", "Connection: keep-alive, Upgrade", "Upgrade: websocket",
        f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"]),
    "upper-case upgrade": bare(*[
        "Host: x", "Connection: upgrade", "Upgrade: WebSocket",
        f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"]),
    "connection list": bare(*[
        "Connection: Upgrade, keep-alive, x", "Upgrade: websocket",
        f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"]),
    "post": request(line="POST /ws HTTP/1.1"),
    "http/1.0": request(line="GET /ws HTTP/1.0"),
    "no connection": bare(*[
        "Upgrade: websocket", f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"]),
    "connection close": bare(*[
        "Connection: close", "Upgrade: websocket", f"Sec-WebSocket-Key: {KEY}",
        "Sec-WebSocket-Version: 13"]),
    "no upgrade": bare(*[
        "Connection: Upgrade", f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"]),
    "upgrade h2c": bare(*[
        "Connection: Upgrade", "Upgrade: h2c", f"Sec-WebSocket-Key: {KEY}",
        "Sec-WebSocket-Version: 13"]),
    "two upgrades": request("Upgrade: websocket"),
    "no key": bare(*[
        "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13"]),
    "key not base64": bare(*[
        "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: !!!!",
        "Sec-WebSocket-Version: 13"]),
    "key of 15 bytes": bare(*[
        "Connection: Upgrade", "Upgrade: websocket",
        f"Sec-WebSocket-Key: {base64.b64encode(bytes(15)).decode()}",
        "Sec-WebSocket-Version: 13"]),
    "two keys": request(f"Sec-WebSocket-Key: {KEY}"),
    "version 8": bare(*[
        "Connection: Upgrade", "Upgrade: websocket", f"Sec-WebSocket-Key: {KEY}",
        "Sec-WebSocket-Version: 8"]),
    "two versions": request("Sec-WebSocket-Version: 13"),
    "an origin": request("Origin: https://example.test"),
    "two origins": request("Origin: https://a.test", "Origin: https://b.test"),
    "a subprotocol offered": request("Sec-WebSocket-Protocol: chat"),
    "a malformed subprotocol": request("Sec-WebSocket-Protocol: ,,\"x"),
    "deflate offered": request("Sec-WebSocket-Extensions: permessage-deflate"),
    "a malformed extension": request("Sec-WebSocket-Extensions: ;;"),
    "latin-1 value": request("X-Name: caf\xe9"),
    "128 headers": request(*(f"X-{i}: y" for i in range(123))),
    "129 headers": request(*(f"X-{i}: y" for i in range(124))),
    "request line of 8 KiB": request(line="GET /ws?" + "a" * (8192 - 19) + " HTTP/1.1"),
    "request line over 8 KiB": request(line="GET /ws?" + "a" * (8192 - 18) + " HTTP/1.1"),
    "header line of 8 KiB": request("X: " + "a" * (8192 - 5)),
    "header line over 8 KiB": request("X: " + "a" * (8192 - 4)),
    "empty body": request("Content-Length: 0"),
}


@pytest.mark.parametrize("raw", SAME_ANSWER.values(), ids=SAME_ANSWER.keys())
def test_the_answer_is_the_librarys(raw: bytes) -> None:
    assert ours(raw) == theirs(raw)


HUNG_UP_ON = {
    "not http": b"HELLO\r\n\r\n",
    "bare LF in the request line": b"GET /w\ns HTTP/1.1\r\nHost: x\r\n\r\n",
    "bare LF in a header": b"GET /ws HTTP/1.1\r\nHost: x\nY: z\r\n\r\n",
    "bad protocol": request(line="GET /ws HTTP/2.0"),
    "non-ascii path": request(line="GET /ws?\xe9 HTTP/1.1"),
    "bad header name": request("X Y: z"),
    "no colon": request("just words"),
    "control byte in a value": request("X: a\x01b"),
    "a body": request("Content-Length: 5"),
    "chunked": request("Transfer-Encoding: chunked"),
}


@pytest.mark.parametrize("raw", HUNG_UP_ON.values(), ids=HUNG_UP_ON.keys())
def test_a_head_the_library_hung_up_on_gets_a_400(raw: bytes) -> None:
    assert theirs(raw) is None
    assert ours(raw) == HTTPStatus.BAD_REQUEST


def test_the_101_is_the_librarys_byte_for_byte_but_the_date() -> None:
    for key in [KEY, *(base64.b64encode(os.urandom(16)).decode() for _ in range(20))]:
        parsed = parse_head(request().replace(KEY.encode(), key.encode()), LIMIT)
        assert upgrade_key(parsed) == key
        library = ServerProtocol().accept(parsed)
        library.headers["Server"] = SERVER  # as the library's server added it
        expected = library.serialize()
        written = switching_protocols(key)
        undated = re.compile(rb"Date: [^\r]*\r\n")
        assert undated.sub(b"", written) == undated.sub(b"", expected)
        assert undated.search(written) is not None


def test_sec_websocket_accept_is_base64_sha1_of_key_and_guid() -> None:
    assert accept_value(KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455's example
    for _ in range(50):
        key = base64.b64encode(os.urandom(16)).decode()
        assert accept_value(key) == accept_key(key)


def test_the_request_is_parsed_as_the_library_parses_it() -> None:
    raw = request("X-Spaced:   padded value \t", "x-lower: a", "X-LOWER: b",
                  line="GET /ws?access_token=abc&after=12 HTTP/1.1")
    protocol = ServerProtocol()
    protocol.receive_data(raw)
    [expected] = protocol.events_received()
    parsed = parse_head(raw, LIMIT)
    assert (parsed.method, parsed.path, parsed.protocol) == (
        expected.method, expected.path, expected.protocol)  # type: ignore[union-attr]
    assert list(parsed.headers.raw_items()) == list(
        expected.headers.raw_items())  # type: ignore[union-attr]
    assert parsed.headers.get_all("X-Lower") == ["a", "b"]


def test_an_incomplete_head_waits_then_parses_as_a_whole() -> None:
    raw = request()
    for cut in range(1, len(raw)):
        assert head_end(raw[:cut], LIMIT) == -1
    assert head_end(raw + b"\x81\x80", LIMIT) == len(raw)  # a frame right behind it


def refused(buffer: bytes, limit: int = LIMIT) -> int:
    with pytest.raises(Refusal) as caught:
        head_end(buffer, limit)
    return caught.value.status


def test_an_oversized_head_is_refused_before_it_is_complete() -> None:
    assert refused(b"GET /ws?" + b"a" * 9000) == 414  # no line end yet
    assert refused(b"GET /ws?" + b"a" * 9000 + b"\r\n") == 414
    assert refused(b"GET /ws HTTP/1.1\r\nX: " + b"a" * 9000) == 431
    assert refused(b"GET /ws HTTP/1.1\r\n" + b"X: aaaa\r\n" * 2000) == 431
    assert refused(b"GET /ws HTTP/1.1\r\n" + b"X: aaaa\r\n" * 200, limit=1000) == 431
    assert head_end(b"GET /ws HTTP/1.1\r\n" + b"X: aaaa\r\n" * 100, LIMIT) == -1


def test_a_complete_head_over_the_limit_is_a_431() -> None:
    raw = request(*(f"X-{i}: " + "y" * 7000 for i in range(3)))
    assert len(raw) > LIMIT
    with pytest.raises(Refusal) as caught:
        parse_head(raw, LIMIT)
    assert caught.value.status == 431
    assert ours(request(*(f"X-{i}: " + "y" * 7000 for i in range(2)))) == 101


def test_bare_line_feeds_are_refused() -> None:
    assert refused(b"GET /ws HTTP/1.1\nHost: x\n") == 400
    with pytest.raises(Refusal):
        parse_head(b"GET /ws HTTP/1.1\r\nHost: x\nY: z\r\n\r\n", LIMIT)
