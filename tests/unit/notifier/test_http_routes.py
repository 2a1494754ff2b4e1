from __future__ import annotations

from websockets.datastructures import Headers
from websockets.http11 import Request

from tenant_notifier.http import http_routes


async def _never() -> None:
    raise AssertionError("not for /ws")


def test_the_socket_path_answers_the_handshake_without_a_coroutine() -> None:
    """Every session's handshake asks the HTTP routes first: for /ws they answer None at
    once (a coroutine to create and await per handshake was measurable at 10,000)."""
    routes = http_routes(lambda: b"", _never, lambda: None)
    request = Request("/ws?access_token=x&after=3", Headers({"Host": "localhost"}))
    assert routes(request) is None
