"""A TCP proxy that can make its live connections silently dead, as after a laptop's sleep.

Black-holed connections stay open on both sides but carry nothing, and no close
reaches the browser: exactly what a socket looks like when the machine wakes up.
New connections are forwarded as usual.
"""

from __future__ import annotations

import asyncio
import contextlib

from tenantctl.ports import free_port


class BlackholeProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._live: list[asyncio.Event] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> BlackholeProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def blackhole(self) -> int:
        """Silence every connection open now; returns how many."""
        for dead in self._live:
            dead.set()
        count, self._live = len(self._live), []
        return count

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        dead = asyncio.Event()
        self._live.append(dead)
        for reader, writer in ((client_r, upstream_w), (upstream_r, client_w)):
            task = asyncio.create_task(self._pipe(reader, writer, dead))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    dead: asyncio.Event) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                if not dead.is_set():
                    writer.write(chunk)
                    await writer.drain()
        if not dead.is_set():  # a real close passes through; a dead link says nothing
            writer.close()
        else:
            await asyncio.Event().wait()  # hold the other side open until the test ends
