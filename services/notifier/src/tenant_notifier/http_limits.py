"""The request-head size limit of tenant_contracts.http_limits, as the api applies it.

`websockets` itself refuses a line over 8 KiB (414/431) and more than 128 headers;
this adds the limit on the whole head, before the handshake goes any further.
"""

from __future__ import annotations

from http import HTTPStatus

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request

from tenant_contracts.http_limits import HttpLimits
from tenant_notifier.http import ProcessRequest, RequestAnswer


def head_bytes(request: Request) -> int:
    # "GET <path> HTTP/1.1\r\n", then "name: value\r\n" per header, then "\r\n".
    return (len(request.path) + 16
            + sum(len(name) + len(value) + 4 for name, value in request.headers.raw_items())
            + 2)


def limit_request_head(process_request: ProcessRequest, limits: HttpLimits) -> ProcessRequest:
    def guarded(conn: ServerConnection, request: Request) -> RequestAnswer:
        if head_bytes(request) > limits.max_header_bytes:
            return conn.respond(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                                f"the request head may take at most "
                                f"{limits.max_header_bytes} bytes\n")
        return process_request(conn, request)

    return guarded
