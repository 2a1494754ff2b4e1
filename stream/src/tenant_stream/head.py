"""The stream's last seq, from the JetStream API reply itself.

nats-py's `stream_info` builds the whole StreamInfo (config, cluster, sources) with
the stdlib's json for one number: most of what a lookup cost when thousands of
sockets connect at once (the notifier asks once per round of connects).
"""

from __future__ import annotations

import msgspec
from nats.aio.client import Client as NatsClient

from tenant_contracts.subjects import STREAM_NAME

HEAD_TIMEOUT_SECONDS = 5.0  # nats-py's default for JetStream API requests


class HeadUnknown(Exception):
    """The server answered, but not with the stream's state (no stream, no permission)."""


class _State(msgspec.Struct):
    last_seq: int


class _InfoReply(msgspec.Struct):
    state: _State | None = None
    error: dict[str, object] | None = None


_decode = msgspec.json.Decoder(_InfoReply).decode


async def stream_head(nc: NatsClient, timeout: float = HEAD_TIMEOUT_SECONDS) -> int:
    msg = await nc.request(f"$JS.API.STREAM.INFO.{STREAM_NAME}", b"", timeout=timeout)
    reply = _decode(msg.data)
    if reply.state is None:
        raise HeadUnknown(f"stream info refused: {reply.error}")
    return reply.state.last_seq
