"""tenant_stream.connection.close at shutdown, when NATS went away under it: the
process stops cleanly instead of failing its shutdown (seen when the server died
between the connected check and nats-py's last flush)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from tenant_stream.connection import close


class DisconnectedClient:
    is_closed = False
    is_connected = False

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.close_called = False

    async def close(self) -> None:
        self.close_called = True
        self.is_closed = True  # nats-py marks it closed before its last flush fails
        raise self.error


@pytest.mark.parametrize("error", [ConnectionResetError("Connection lost"),
                                   RuntimeError("transport is closing")])
async def test_a_failed_last_flush_still_closes(error: Exception) -> None:
    client = DisconnectedClient(error)
    await close(cast(Any, client))
    assert client.close_called and client.is_closed


async def test_anything_else_is_not_hidden() -> None:
    with pytest.raises(ValueError):
        await close(cast(Any, DisconnectedClient(ValueError("a bug"))))
