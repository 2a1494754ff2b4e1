"""Raw bytes on a socket: HTTP requests and WebSocket handshakes no client library would send."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import struct
from dataclasses import dataclass

TIMEOUT = 10.0


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        return json.loads(self.body)  # type: ignore[no-any-return]


def _read_head(sock: socket.socket, buffered: bytes = b"") -> tuple[bytes, bytes]:
    data = buffered
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionError(f"closed before a full response head: {data[:200]!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    assert match, f"not an HTTP status line: {lines[0]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(match.group(1)), headers


def _send_all(sock: socket.socket, data: bytes) -> None:
    # A server may answer and close before it has read everything (a refused head):
    # what it answered is still what the test wants to see.
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def http(port: int, request: bytes, *, timeout: float = TIMEOUT) -> HttpAnswer:
    """Send `request` as is (it should say Connection: close); the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        _send_all(sock, request)
        head, rest = _read_head(sock)
        status, headers = _parse_head(head)
        length = int(headers.get("content-length", "-1"))
        body = rest
        while length < 0 or len(body) < length:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            body += chunk
        return HttpAnswer(status, headers, body)


def request_bytes(method: str, target: bytes, headers: list[tuple[bytes, bytes]],
                  body: bytes = b"") -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1",
             b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    if body or method in ("POST", "PATCH"):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@dataclass(frozen=True)
class WsOutcome:
    """How a handshake ended: refused over HTTP, dropped (a request that is not HTTP),
    closed with a code, or welcomed."""

    http_status: int | None = None
    dropped: bool = False
    close_code: int | None = None
    close_reason: str = ""
    welcome: dict[str, object] | None = None


def ws_open(port: int, target: bytes, headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
            *, timeout: float = TIMEOUT) -> WsOutcome:
    """Opens /ws by hand; returns the HTTP refusal, the first frame's close code or welcome."""
    key = base64.b64encode(os.urandom(16))
    request = b"\r\n".join([
        b"GET " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Upgrade: websocket",
        b"Connection: Upgrade", b"Sec-WebSocket-Key: " + key, b"Sec-WebSocket-Version: 13",
        *(name + b": " + value for name, value in headers)]) + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        _send_all(sock, request)
        try:
            head, rest = _read_head(sock)
        except ConnectionError:
            return WsOutcome(dropped=True)
        status, _ = _parse_head(head)
        if status != 101:
            return WsOutcome(http_status=status)
        opcode, payload = _read_frame(sock, rest)
        if opcode == 8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            return WsOutcome(close_code=code, close_reason=payload[2:].decode(errors="replace"))
        assert opcode == 1, f"unexpected first frame opcode {opcode}"
        _send_all(sock, _masked_close(1000))
        return WsOutcome(welcome=json.loads(payload))


def _read_frame(sock: socket.socket, buffered: bytes) -> tuple[int, bytes]:
    data = buffered

    def need(n: int) -> None:
        nonlocal data
        while len(data) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed inside a frame")
            data += chunk

    need(2)
    opcode, length, offset = data[0] & 0x0F, data[1] & 0x7F, 2
    if length == 126:
        need(4)
        length, offset = struct.unpack("!H", data[2:4])[0], 4
    elif length == 127:
        need(10)
        length, offset = struct.unpack("!Q", data[2:10])[0], 10
    need(offset + length)
    return opcode, data[offset:offset + length]


def _masked_close(code: int) -> bytes:
    payload = struct.pack("!H", code)
    mask = os.urandom(4)
    return bytes([0x88, 0x80 | len(payload)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))
