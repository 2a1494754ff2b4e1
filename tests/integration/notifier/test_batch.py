"""`batch=1`: a session that is behind gets its waiting frames as `events` frames."""

from __future__ import annotations

import json
import uuid

import websockets

from tests.integration.notifier.support import Appender, NotifierProcess, token


async def _frames_until(url: str, last_seq: int) -> list[dict[str, object]]:
    messages = []
    async with websockets.connect(url) as socket:
        async for raw in socket:
            frame = json.loads(raw)
            messages.append(frame)
            items = frame["items"] if frame["type"] == "events" else [frame]
            if any(item.get("seq") == last_seq for item in items):
                return messages
    raise AssertionError("closed before the last event")


def _seqs(messages: list[dict[str, object]]) -> list[int]:
    seqs = []
    for frame in messages:
        items = frame["items"] if frame["type"] == "events" else [frame]
        assert isinstance(items, list)
        seqs += [item["seq"] for item in items if item["type"] == "event"]
    return seqs


async def test_a_resuming_batch_session_gets_every_event_once_in_order_in_fewer_messages(
    notifier: NotifierProcess, appender: Appender
) -> None:
    owner = f"batch-{uuid.uuid4().hex[:6]}"
    tenant, first = await appender.new_tenant(owner)
    seqs = [first] + [await appender.progress(tenant, i) for i in range(40)]
    batched = await _frames_until(notifier.url(token(owner), after=first - 1) + "&batch=1",
                                  seqs[-1])
    plain = await _frames_until(notifier.url(token(owner), after=first - 1), seqs[-1])
    assert _seqs(batched) == _seqs(plain) == seqs
    assert any(frame["type"] == "events" for frame in batched)
    assert len(batched) < len(plain)
    assert all(frame["type"] != "events" for frame in plain)  # only when asked for
