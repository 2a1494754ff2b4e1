"""The listening side's first protocol (`server.Opening`) gathers a request head that
arrives in many reads, and answers it once it is whole, exactly as if it came at once."""

from __future__ import annotations

import asyncio
from http import HTTPStatus

from websockets.http11 import Request

from tenant_contracts.http_limits import HttpLimits
from tenant_notifier.handshake import plain
from tenant_notifier.server import Opening, SessionServer

HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: pieces\r\n\r\n"


class Transport(asyncio.Transport):
    """What the protocol wrote, and whether it closed: no socket in a unit test."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def can_write_eof(self) -> bool:
        return False

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


def _answered(pieces: list[bytes]) -> tuple[bytes, list[Request]]:
    seen: list[Request] = []

    def routes(request: Request) -> object:
        seen.append(request)
        return plain(HTTPStatus.OK, "ok\n")

    server = SessionServer(handler=lambda conn: asyncio.sleep(0), routes=routes,  # type: ignore[arg-type]
                           limits=HttpLimits(), close_timeout=1.0)
    opening, transport = Opening(server), Transport()
    opening.connection_made(transport)
    for piece in pieces:
        assert not transport.written, "answered before the head was whole"
        opening.data_received(piece)
    opening.connection_lost(None)
    return bytes(transport.written), seen


async def test_a_head_in_seven_byte_reads_is_answered_once_it_is_whole() -> None:
    at_once, (whole,) = _answered([HEAD])
    written, (gathered,) = _answered([HEAD[i:i + 7] for i in range(0, len(HEAD), 7)])
    assert written.startswith(b"HTTP/1.1 200 OK\r\n") and written.endswith(b"ok\n")
    assert (gathered.path, list(gathered.headers.raw_items())) == (
        whole.path, list(whole.headers.raw_items()))
    assert _undated(written) == _undated(at_once)


def _undated(answer: bytes) -> list[bytes]:
    return [line for line in answer.split(b"\r\n") if not line.startswith(b"Date:")]
