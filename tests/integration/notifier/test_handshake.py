"""The notifier's opening handshake over a real socket: the 101 and its headers, the
refusals, the HTTP routes on the same port, frames sent right behind the request."""

from __future__ import annotations

import base64
import email.utils
import os
import socket
import struct
import time
from collections.abc import Callable

import pytest
from websockets.utils import accept_key

from tests.conftest import wait_until
from tests.integration.hostile.wire import http
from tests.integration.notifier.support import NotifierProcess, token


def upgrade_request(target: str, *headers: str, key: str | None = None,
                    line: str | None = None) -> bytes:
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = [line or f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def head_of(sock: socket.socket) -> tuple[str, list[tuple[str, str]], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a full response head: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, [(n, v.strip()) for n, _, v in (line.partition(":") for line in lines)], rest


class Frames:
    """Server frames off a raw socket, from what arrived behind the response head on."""

    def __init__(self, sock: socket.socket, buffered: bytes) -> None:
        self.sock, self.data = sock, buffered

    def _need(self, n: int) -> None:
        while len(self.data) < n:
            chunk = self.sock.recv(65536)
            assert chunk, "closed inside a frame"
            self.data += chunk

    def next(self) -> tuple[int, bytes]:
        self._need(2)
        opcode, length, offset = self.data[0] & 0x0F, self.data[1] & 0x7F, 2
        if length == 126:
            self._need(4)
            length, offset = struct.unpack("!H", self.data[2:4])[0], 4
        elif length == 127:
            self._need(10)
            length, offset = struct.unpack("!Q", self.data[2:10])[0], 10
        self._need(offset + length)
        payload = self.data[offset:offset + length]
        self.data = self.data[offset + length:]
        return opcode, payload


def masked(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))


def test_the_101_carries_the_accept_of_each_key(notifier: NotifierProcess) -> None:
    target = f"/ws?access_token={token('handshake-user')}"
    keys = ["dGhlIHNhbXBsZSBub25jZQ==", *(base64.b64encode(os.urandom(16)).decode()
                                          for _ in range(5))]
    for key in keys:
        with socket.create_connection(("127.0.0.1", notifier.port), timeout=10) as sock:
            # A client offering compression gets none: the server's frames are shared bytes.
            sock.sendall(upgrade_request(target, "Sec-WebSocket-Extensions: permessage-deflate",
                                         key=key))
            status, headers, rest = head_of(sock)
            assert status == "HTTP/1.1 101 Switching Protocols"
            assert [name for name, _ in headers] == [
                "Date", "Upgrade", "Connection", "Sec-WebSocket-Accept", "Server"]
            values = dict(headers)
            assert values["Sec-WebSocket-Accept"] == accept_key(key)
            assert (values["Upgrade"], values["Connection"]) == ("websocket", "Upgrade")
            assert values["Server"].startswith("Python/") and "websockets/" in values["Server"]
            assert email.utils.parsedate_to_datetime(values["Date"]) is not None
            opcode, payload = Frames(sock, rest).next()
            assert opcode == 1 and b'"type":"welcome"' in payload
            sock.sendall(masked(8, struct.pack("!H", 1000)))


@pytest.mark.parametrize(("request_bytes", "status", "header"), [
    (upgrade_request("/ws", line="POST /ws HTTP/1.1"), 405, ("allow", "GET")),
    (upgrade_request("/ws", line="GET /ws HTTP/1.0"), 505, None),
    (b"GET /ws HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
     b"Sec-WebSocket-Version: 13\r\n\r\n", 426, ("upgrade", "websocket")),
    (upgrade_request("/ws").replace(b"Version: 13", b"Version: 8"), 400, None),
    (upgrade_request("/ws", "Origin: https://a.test", "Origin: https://b.test"), 400, None),
    (b"NOT HTTP AT ALL\r\n\r\n", 400, None),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200, ("content-type",
                                                         "text/plain; charset=utf-8")),
    (b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, None),
], ids=["post", "http-1.0", "no-upgrade", "version-8", "two-origins", "not-http", "healthz",
        "unknown-path"])
def test_refusals_and_routes_answer_then_close(
        notifier: NotifierProcess, request_bytes: bytes, status: int,
        header: tuple[str, str] | None) -> None:
    answer = http(notifier.port, request_bytes)
    assert answer.status == status, answer
    assert answer.headers["connection"] == "close"
    assert int(answer.headers["content-length"]) == len(answer.body)
    assert answer.headers["server"].startswith("Python/")
    if header is not None:
        assert answer.headers[header[0]] == header[1]


def test_a_frame_sent_right_behind_the_request_reaches_the_session(
        notifier: NotifierProcess) -> None:
    with socket.create_connection(("127.0.0.1", notifier.port), timeout=10) as sock:
        # In the same packet as the request: a binary frame, which closes the session 1003.
        sock.sendall(upgrade_request(f"/ws?access_token={token('eager-user')}")
                     + masked(2, b"binary"))
        status, _, rest = head_of(sock)
        assert status.startswith("HTTP/1.1 101")
        frames = Frames(sock, rest)
        assert frames.next()[0] == 1  # the welcome
        opcode, payload = frames.next()
        assert opcode == 8
        assert struct.unpack("!H", payload[:2])[0] == 1003


def test_a_head_arriving_in_pieces_is_gathered(notifier: NotifierProcess) -> None:
    request = upgrade_request(f"/ws?access_token={token('slow-user')}")
    with socket.create_connection(("127.0.0.1", notifier.port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Separate segments (no Nagle); how many reads they take is the kernel's choice,
        # so the gathering itself is pinned by tests/unit/notifier/test_opening.py.
        for start in range(0, len(request), 7):
            sock.sendall(request[start:start + 7])
        status, _, rest = head_of(sock)
        assert status.startswith("HTTP/1.1 101")
        assert Frames(sock, rest).next()[0] == 1  # the welcome


async def test_a_client_that_never_hangs_up_after_an_answer_is_cut_off_at_the_close_timeout(
        start_notifier: Callable[..., NotifierProcess]) -> None:
    notifier = start_notifier(NOTIFIER_CLOSE_TIMEOUT_SECONDS="1")
    with socket.create_connection(("127.0.0.1", notifier.port), timeout=10) as sock:
        sock.sendall(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):  # the answer, then the server's half-close
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 404")
        started = time.monotonic()

        def cut_off() -> bool:
            # Read and dropped while the server waits for us to hang up; once it has
            # closed its side, the kernel answers with a reset and the next send fails.
            try:
                sock.send(b"still here")
            except OSError:
                return True
            return False

        await wait_until(cut_off, timeout=8)
        assert 0.8 <= time.monotonic() - started <= 4
