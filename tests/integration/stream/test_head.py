"""`stream_head`, the one lookup of the stream's last seq (EventLog.head, the notifier's
connects): the number the server holds, and a refusal said as one."""

from __future__ import annotations

import nats
import pytest

from tenant_stream.head import HeadUnknown, stream_head
from tenantctl.nats_server import temporary_nats_server


async def test_the_last_seq_or_a_refusal_when_there_is_no_stream() -> None:
    with temporary_nats_server("head-nats-") as server:
        nc = await nats.connect(**server.connect_options("admin"))
        try:
            with pytest.raises(HeadUnknown, match="stream not found"):
                await stream_head(nc)
            js = nc.jetstream()
            await js.add_stream(name="TENANTS", subjects=["tenants.>"])
            for _ in range(3):
                await js.publish("tenants.x.requested", b"{}")
            assert await stream_head(nc) == 3
        finally:
            await nc.close()
