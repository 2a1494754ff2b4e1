from __future__ import annotations

from websockets.datastructures import Headers
from websockets.http11 import Request

from tenant_contracts.http_limits import HttpLimits
from tenant_notifier.http import http_routes
from tenant_notifier.http_limits import limit_request_head


async def _never() -> None:
    raise AssertionError("not for /ws")


def test_the_socket_path_answers_the_handshake_without_a_coroutine() -> None:
    """Every session's handshake asks the HTTP routes first: for /ws they answer None at
    once (a coroutine to create and await per handshake was measurable at 10,000)."""
    routes = limit_request_head(http_routes(lambda: b"", _never, lambda: None), HttpLimits())
    request = Request("/ws?access_token=x&after=3", Headers({"Host": "localhost"}))
    assert routes(None, request) is None  # type: ignore[arg-type]  # conn: unused for /ws
