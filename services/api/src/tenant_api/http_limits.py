"""uvicorn's httptools protocol with a header-size limit and header- and body-read timeouts.

uvicorn has none of them for httptools (its keep-alive timer only runs between
requests, and any byte cancels it), so a client could hold a connection for
ever by trickling header lines or body bytes, or send headers of any size. The
limits are tenant_contracts.http_limits, shared with the notifier.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tenant_contracts.http_limits import MAX_LINE_BYTES, HttpLimits


class _Refused(Exception):
    """Raised inside a parser callback; httptools turns it into a parser error."""


def _refusal(status: HTTPStatus, detail: str) -> bytes:
    body = msgspec.json.encode({"type": "about:blank", "title": status.phrase,
                                "status": int(status), "detail": detail})
    head = (f"HTTP/1.1 {int(status)} {status.phrase}\r\n"
            "content-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode() + body


def guarded_http_protocol(limits: HttpLimits) -> type[HttpToolsProtocol]:
    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._reading_head = True  # from the connection (or a message's start) to its headers
            self._head_bytes = 0  # raw bytes received while reading a head
            self._parsed_bytes = 0  # the current head's line and headers, as parsed
            self._head_timer: asyncio.TimerHandle | None = None
            self._body_timer: asyncio.TimerHandle | None = None
            self._refusal: bytes | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_timer = _cancelled(self._head_timer)
            self._body_timer = _cancelled(self._body_timer)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._reading_head:
                self._head_bytes += len(data)
            super().data_received(data)
            # Counted per chunk, so that one header of any size is refused as it arrives,
            # not after httptools has buffered all of it.
            if (self._reading_head and self._head_bytes > limits.max_header_bytes
                    and not self.transport.is_closing()):
                self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._reading_head = True
            self._parsed_bytes = 0
            self._arm_head_timer()

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            self._parsed_bytes += len(url)
            if len(self.url) > MAX_LINE_BYTES:
                self._refusal = self._response(HTTPStatus.REQUEST_URI_TOO_LONG)
                raise _Refused

        def on_header(self, name: bytes, value: bytes) -> None:
            line = len(name) + len(value) + 4  # "name: value\r\n"
            self._parsed_bytes += line
            if line > MAX_LINE_BYTES or self._parsed_bytes > limits.max_header_bytes:
                self._refusal = self._response(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
                raise _Refused
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._reading_head = False
            self._head_bytes = 0
            self._head_timer = _cancelled(self._head_timer)
            super().on_headers_complete()
            # Until on_message_complete, which for a request without a body follows at once.
            self._body_timer = self.loop.call_later(limits.body_timeout, self._body_late)

        def on_message_complete(self) -> None:
            self._body_timer = _cancelled(self._body_timer)
            super().on_message_complete()

        def send_400_response(self, msg: str) -> None:
            # uvicorn answers every parser error here; a limit we hit answers its own status.
            if self._refusal is None:
                super().send_400_response(msg)
                return
            self.transport.write(self._refusal)
            self.transport.close()

        def _response(self, status: HTTPStatus) -> bytes:
            return _refusal(status, f"the request head may take at most "
                                    f"{limits.max_header_bytes} bytes, a line {MAX_LINE_BYTES}")

        def _refuse(self, status: HTTPStatus) -> None:
            self.logger.warning("refused a request head over %d bytes", limits.max_header_bytes)
            self.transport.write(self._response(status))
            self.transport.close()

        def _arm_head_timer(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(limits.header_timeout, self._head_late)

        def _head_late(self) -> None:
            self._head_timer = None
            if not self._reading_head or self.transport.is_closing():
                return
            self._cut_off("headers", limits.header_timeout, answer=self._head_bytes > 0)

        def _body_late(self) -> None:
            self._body_timer = None
            if self.transport.is_closing():
                return
            self.logger.warning("cut off a request body not received within %g s",
                                limits.body_timeout)
            # Usually the handler still waits for the body, so the 408 is the answer;
            # closing tells the handler too (receive() gets http.disconnect). One that
            # answered without reading the body (a 401) has had its say: only close.
            self._cut_off("body", limits.body_timeout,
                          answer=self.cycle is not None and not self.cycle.response_started)

        def _cut_off(self, part: str, timeout: float, *, answer: bool) -> None:
            if answer:
                self.transport.write(_refusal(HTTPStatus.REQUEST_TIMEOUT, (
                    f"the request {part} took longer than {timeout:g} s")))
            self.transport.close()

    return GuardedHttpToolsProtocol


def _cancelled(timer: asyncio.TimerHandle | None) -> asyncio.TimerHandle | None:
    """Cancels `timer`; what its attribute holds afterwards (`self._t = _cancelled(self._t)`)."""
    if timer is not None:
        timer.cancel()
    return None
