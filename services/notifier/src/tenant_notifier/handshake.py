"""The HTTP side of the opening handshake: the request head read, checked and answered.

No I/O. `websockets` parses a head line by line through generators and builds its
101 as a header object serialized per connection: with the checks around them,
about a third of the CPU it took to open 10,000 sessions. Here the head is split
once, a canonical upgrade (what browsers and client libraries send) is checked
inline, and the 101 is a template where only the date and Sec-WebSocket-Accept
vary. Whatever is not canonical goes through the library's own checks
(`ServerProtocol.accept`), so every refusal has the status and text it had.

The head is refused as `websockets` refused it: a request line over 8 KiB is a 414,
a header line over 8 KiB or more than 128 headers a 431; and the whole head over
HTTP_MAX_HEADER_BYTES a 431, counted on the raw bytes as the api counts them. A
head that is not HTTP/1.x (which the library hung up on) gets a 400.
"""

from __future__ import annotations

import binascii
import email.utils
import re
import time
from dataclasses import dataclass
from hashlib import sha1
from http import HTTPStatus

from websockets.datastructures import Headers
from websockets.http11 import SERVER, Request, Response
from websockets.server import ServerProtocol

from tenant_contracts.http_limits import MAX_LINE_BYTES

MAX_HEADERS = 128  # as `websockets`
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
# Header lines as `websockets` accepts them: a name of token characters (RFC 9110),
# a colon, a value of visible characters, spaces, tabs and obs-text; each ending CRLF.
_HEADER_LINES = re.compile(rb"(?:[-!#$%&\'*+.^_`|~0-9a-zA-Z]+:[\x09\x20-\x7e\x80-\xff]*\r\n)*")
_PROTOCOLS = (b"HTTP/1.1", b"HTTP/1.0")
# The Connection values of a canonical upgrade (Firefox sends "keep-alive, Upgrade").
_CONNECTION_UPGRADE = frozenset({"upgrade", "keep-alive, upgrade"})


@dataclass(frozen=True)
class Refusal(Exception):
    """The head cannot be served: answered with this status, then the connection closes."""

    status: HTTPStatus
    text: str


def head_end(buffer: bytes | bytearray, max_header_bytes: int) -> int:
    """Where the head ends (after its blank line) in what has arrived so far, or -1 while
    incomplete; refuses a head that is already too large, before the rest arrives."""
    end = buffer.find(b"\r\n\r\n")
    if end >= 0:
        return end + 4
    first = buffer.find(b"\n")
    if first < 0:
        if len(buffer) > MAX_LINE_BYTES:
            raise _line_too_long(HTTPStatus.REQUEST_URI_TOO_LONG)
    elif first + 1 > MAX_LINE_BYTES:
        raise _line_too_long(HTTPStatus.REQUEST_URI_TOO_LONG)
    elif len(buffer) - buffer.rfind(b"\n") - 1 > MAX_LINE_BYTES:
        raise _line_too_long(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
    if len(buffer) > max_header_bytes:
        raise _head_too_large(max_header_bytes)
    if buffer.count(b"\n") != buffer.count(b"\r\n"):
        raise Refusal(HTTPStatus.BAD_REQUEST, "HTTP lines must end with CRLF\n")
    return -1


def parse_head(head: bytes, max_header_bytes: int) -> Request:
    """`head`: the request line and headers, up to and with the blank line."""
    first_end = head.find(b"\r\n")
    request_line, block = head[:first_end], head[first_end + 2:-2]
    if len(request_line) + 2 > MAX_LINE_BYTES:
        raise _line_too_long(HTTPStatus.REQUEST_URI_TOO_LONG)
    # A head shorter than a line cannot hold a line too long: the usual case, no split.
    if len(head) > MAX_LINE_BYTES and max(map(len, block.split(b"\r\n"))) + 2 > MAX_LINE_BYTES:
        raise _line_too_long(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
    if block.count(b"\r\n") > MAX_HEADERS:
        raise Refusal(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                      f"at most {MAX_HEADERS} headers\n")
    if len(head) > max_header_bytes:
        raise _head_too_large(max_header_bytes)
    if b"\n" in request_line:  # header lines: _HEADER_LINES takes no bare LF either
        raise Refusal(HTTPStatus.BAD_REQUEST, "HTTP lines must end with CRLF\n")
    parts = request_line.split(b" ", 2)
    if len(parts) != 3 or parts[2] not in _PROTOCOLS:
        raise _bad_request("not an HTTP/1.1 request line")
    method, path, protocol = parts
    try:
        request = Request(path.decode("ascii"), _headers(block), method.decode("ascii"),
                          protocol.decode("ascii"))
    except UnicodeDecodeError:
        raise _bad_request("the request line must be ASCII") from None
    # No body: a handshake has none (as `websockets`, which refused one too).
    if "Transfer-Encoding" in request.headers or not set(
            request.headers.get_all("Content-Length")) <= {"0"}:
        raise _bad_request("a request body is not accepted here")
    return request


def _headers(block: bytes) -> Headers:
    """`block`: the header lines, each with its CRLF."""
    if not _HEADER_LINES.fullmatch(block):
        raise _bad_request("a header line is not `name: value`")
    headers = _RequestHeaders()
    by_name, in_order = headers._dict, headers._list
    # Names are ASCII (checked above); values beyond ASCII are tolerated and kept as
    # ISO-8859-1, as `websockets` does: one decoding for the whole block.
    for line in block.decode("iso-8859-1").split("\r\n")[:-1]:
        name, _, value = line.partition(":")
        value = value.strip(" \t")
        by_name.setdefault(name.lower(), []).append(value)  # as Headers.set_insecure
        in_order.append((name, value))
    return headers


class _RequestHeaders(Headers):
    """`websockets`' Headers, filled in place: its constructor goes through the
    generic MutableMapping.update, a microsecond per request for nothing."""

    def __init__(self) -> None:
        self._dict = {}
        self._list = []


def upgrade_key(request: Request) -> str | None:
    """The Sec-WebSocket-Key of a canonical upgrade request, else None (then
    `library_verdict` decides, with the library's own checks and refusals)."""
    if request.method != "GET" or request.protocol != "HTTP/1.1":
        return None
    headers = request.headers
    connection, upgrade = headers.get_all("Connection"), headers.get_all("Upgrade")
    key = headers.get_all("Sec-WebSocket-Key")
    if (len(connection) != 1 or connection[0].lower() not in _CONNECTION_UPGRADE
            or len(upgrade) != 1 or upgrade[0].lower() != "websocket"
            or len(key) != 1 or headers.get_all("Sec-WebSocket-Version") != ["13"]
            or len(headers.get_all("Origin")) > 1 or "Sec-WebSocket-Protocol" in headers):
        return None
    if not _valid_key(key[0]):
        return None
    return key[0]


def _valid_key(key: str) -> bool:
    try:
        raw = binascii.a2b_base64(key.encode(), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        return False
    return len(raw) == 16


def library_verdict(request: Request) -> Response:
    """What `websockets` answers this upgrade request: a 101 or its refusal."""
    # No extensions (permessage-deflate is off: frames are written as built, wire.py),
    # no subprotocols, no Origin check: as the server was configured before.
    return ServerProtocol().accept(request)


def accept_value(key: str) -> str:
    return binascii.b2a_base64(sha1(key.encode() + GUID).digest(), newline=False).decode()


class _Date:
    """The Date header, formatted once a second rather than once a response."""

    second = -1
    text = ""


def http_date() -> str:
    now = int(time.time())
    if now != _Date.second:
        _Date.second, _Date.text = now, email.utils.formatdate(now, usegmt=True)
    return _Date.text


def switching_protocols(key: str) -> bytes:
    # The headers, and their order, that `websockets` wrote.
    return (f"HTTP/1.1 101 Switching Protocols\r\nDate: {http_date()}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_value(key)}\r\nServer: {SERVER}\r\n\r\n"
            ).encode()


def plain(status: HTTPStatus, text: str) -> Response:
    """A plain-text answer that closes the connection (websockets' `reject`)."""
    body = text.encode()
    headers = Headers([("Date", http_date()), ("Connection", "close"),
                       ("Content-Length", str(len(body))),
                       ("Content-Type", "text/plain; charset=utf-8")])
    return Response(status.value, status.phrase, headers, body)


def serialize(response: Response) -> bytes:
    response.headers["Server"] = SERVER  # on every answer, as `websockets` did
    return response.serialize()


def _line_too_long(status: HTTPStatus) -> Refusal:
    what = "request line" if status is HTTPStatus.REQUEST_URI_TOO_LONG else "header line"
    return Refusal(status, f"a {what} may take at most {MAX_LINE_BYTES} bytes\n")


def _head_too_large(max_header_bytes: int) -> Refusal:
    return Refusal(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                   f"the request head may take at most {max_header_bytes} bytes\n")


def _bad_request(why: str) -> Refusal:
    return Refusal(HTTPStatus.BAD_REQUEST, f"Failed to open a WebSocket connection: {why}.\n")
